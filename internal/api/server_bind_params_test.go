package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// tlsFiles are a self-signed CA certificate with its key (crt), the
// certificate alone (ca), an empty CRL it signed (crl) and a TLS ticket
// keys file (tickets), written in dir.
type tlsFiles struct{ crt, ca, crl, tickets string }

func writeTLSFiles(t *testing.T, dir string) tlsFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dataplane test CA"},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour),
	}, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	f := tlsFiles{
		crt: filepath.Join(dir, "crt.pem"), ca: filepath.Join(dir, "ca.pem"),
		crl: filepath.Join(dir, "crl.pem"), tickets: filepath.Join(dir, "tickets.key"),
	}
	var tickets strings.Builder
	for range 3 {
		k := make([]byte, 48)
		if _, err := rand.Read(k); err != nil {
			t.Fatal(err)
		}
		tickets.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	}
	for path, data := range map[string][]byte{
		f.crt:     append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...),
		f.ca:      certPEM,
		f.crl:     pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crlDER}),
		f.tickets: []byte(tickets.String()),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func merged(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestServerAndBindParamsOnHAProxy: every server and bind field of the v3
// model that HAProxy 2.6 knows, with valid values, is written, accepted by
// `haproxy -c` (the commit runs it; 200 after the reload) and read back
// equal. HAProxy 2.6 takes at most 64 words on a line and some params
// exclude others (force-tlsv12 and force-tlsv13), so the fields go in
// rounds. The fields 2.6 does not know are refused with its message (400),
// and the file stays as it was.
func TestServerAndBindParamsOnHAProxy(t *testing.T) {
	e, _ := start(t)
	f := writeTLSFiles(t, t.TempDir())
	base := "/services/haproxy/configuration"
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": "be_tls"}}), 201, "create backend")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_tls/servers" + vq(t, e),
		Body: map[string]any{"name": "s1", "address": "127.0.0.1", "port": 9}}), 201, "create server")
	port := haproxytest.FreePort(t)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/frontends/fe/binds" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": "b1", "address": "127.0.0.1", "port": port}}), 201, "create bind")

	srvPath := base + "/backends/be_tls/servers/s1"
	srvBase := map[string]any{
		"name": "s1", "address": "127.0.0.1", "port": 9, "ssl": "enabled", "verify": "required",
		"ssl_cafile": f.ca, "ssl_certificate": f.crt,
	}
	srvRounds := []map[string]any{
		{
			"allow_0rtt": true, "check-send-proxy": "enabled", "check_via_socks4": "enabled", "socks4": "127.0.0.1:1080",
			"ciphers": "ECDHE+AESGCM:!aNULL", "ciphersuites": "TLS_AES_128_GCM_SHA256", "crl_file": f.crl,
			"force_tlsv12": "enabled", "log_proto": "octet-count", "max_reuse": 10, "npn": "http/1.1",
			"pool_low_conn": 2, "pool_max_conn": 20, "pool_purge_delay": 5000, "proxy-v2-options": []any{"ssl", "cert-cn"},
		},
		{
			"redir": "https://s1.example.com", "send_proxy_v2_ssl": "enabled", "send_proxy_v2_ssl_cn": "disabled",
			"source": "127.0.0.1", "ssl_max_ver": "TLSv1.3", "ssl_min_ver": "TLSv1.2", "ssl_reuse": "disabled",
			"stick": "disabled", "tcp_ut": 20000, "tfo": "disabled", "tls_tickets": "enabled",
			"verifyhost": "s1.example.com", "no_sslv3": "enabled", "no_tlsv10": "enabled", "no_tlsv11": "enabled",
		},
		{
			"check-send-proxy": "disabled", "send_proxy_v2_ssl": "disabled", "send_proxy_v2_ssl_cn": "enabled",
			"ssl_reuse": "enabled", "stick": "enabled", "tfo": "enabled", "tls_tickets": "disabled", "force_tlsv10": "enabled",
		},
		{"force_tlsv11": "enabled"},
		{"force_tlsv13": "enabled"},
		{"no_tlsv12": "enabled", "no_tlsv13": "enabled"},
	}
	bindPath := base + "/frontends/fe/binds/b1"
	bindBase := map[string]any{"name": "b1", "address": "127.0.0.1", "port": port, "ssl": true, "ssl_certificate": f.crt}
	bindRounds := []map[string]any{
		{
			"accept_netscaler_cip": 1234, "ca_ignore_err": "all", "ca_sign_file": f.crt, "ca_sign_pass": "secret",
			"ca_verify_file": f.ca, "ssl_cafile": f.ca, "verify": "optional", "ciphers": "ECDHE+AESGCM:!aNULL",
			"ciphersuites": "TLS_AES_128_GCM_SHA256", "crl_file": f.crl, "crt_ignore_err": "10,12",
			"curves": "X25519:P-256", "ecdhe": "prime256v1", "force_tlsv12": true, "generate_certificates": true,
			"gid": os.Getgid(), "id": "42", "mss": "1400", "nice": -5,
		},
		{
			"no_ca_names": true, "no_sslv3": true, "no_tls_tickets": true, "no_tlsv10": true, "no_tlsv11": true,
			"npn": "http/1.1", "prefer_client_ciphers": true, "proto": "h2", "severity_output": "number", "shards": "1",
			"tcp_user_timeout": 20000, "tls_ticket_keys": f.tickets, "uid": fmt.Sprint(os.Getuid()),
		},
		{"force_tlsv10": true},
		{"force_tlsv11": true},
		{"force_tlsv13": true},
		{"no_tlsv12": true},
		{"no_tlsv13": true},
	}
	for _, o := range []struct {
		name, path string
		base       map[string]any
		rounds     []map[string]any
	}{{"server", srvPath, srvBase, srvRounds}, {"bind", bindPath, bindBase, bindRounds}} {
		for i, round := range o.rounds {
			body := merged(o.base, round)
			r := e.Do(apitest.Request{Method: "PUT", Path: o.path + vq(t, e) + "&force_reload=true", Body: body})
			mustStatus(t, r, 200, fmt.Sprintf("%s round %d", o.name, i+1))
			got := e.Get(o.path)
			mustStatus(t, got, 200, "GET")
			want, _ := json.Marshal(body)
			if !jsonEqual(t, want, got.Body) {
				t.Fatalf("%s round %d: GET after PUT:\n got %s\nwant %s", o.name, i+1, got.Body, want)
			}
		}
	}

	// Fields HAProxy 2.6 does not know, or cannot take here: each is
	// written, `haproxy -c` refuses the file, and the client gets its
	// message with a 400.
	unknown := func(kw string) string { return fmt.Sprintf("unknown keyword '%s'", kw) }
	for _, c := range []struct {
		name, path string
		base       map[string]any
		field      map[string]any
		message    string
	}{
		{"server cc", srvPath, srvBase, map[string]any{"cc": "cubic"}, unknown("cc")},
		{"server check-pool-conn-name", srvPath, srvBase, map[string]any{"check-pool-conn-name": "chk"}, unknown("check-pool-conn-name")},
		{"server check-reuse-pool", srvPath, srvBase, map[string]any{"check-reuse-pool": "enabled"}, unknown("check-reuse-pool")},
		{"server check_sni_auto", srvPath, srvBase, map[string]any{"check_sni_auto": "enabled"}, unknown("check-sni-auto")},
		{"server client_sigalgs", srvPath, srvBase, map[string]any{"client_sigalgs": "ECDSA+SHA256"}, unknown("client-sigalgs")},
		{"server curves", srvPath, srvBase, map[string]any{"curves": "X25519"}, unknown("curves")},
		{"server guid", srvPath, srvBase, map[string]any{"guid": "g1"}, unknown("guid")},
		{"server hash_key", srvPath, srvBase, map[string]any{"hash_key": "addr"}, unknown("hash-key")},
		{"server idle_ping", srvPath, srvBase, map[string]any{"idle_ping": 1000}, unknown("idle-ping")},
		{"server init-state", srvPath, srvBase, map[string]any{"init-state": "up"}, unknown("init-state")},
		{"server ktls", srvPath, srvBase, map[string]any{"ktls": "on"}, unknown("ktls")},
		{"server log-bufsize", srvPath, srvBase, map[string]any{"log-bufsize": 1024}, unknown("log-bufsize")},
		{"server no_verifyhost", srvPath, srvBase, map[string]any{"no_verifyhost": "enabled"}, unknown("no-verifyhost")},
		{"server pool_conn_name", srvPath, srvBase, map[string]any{"pool_conn_name": "p"}, unknown("pool-conn-name")},
		{"server quic-cc-algo", srvPath, srvBase, map[string]any{"quic-cc-algo": "cubic", "quic_cc_algo_max_window": 4096}, unknown("quic-cc-algo")},
		{"server renegotiate", srvPath, srvBase, map[string]any{"renegotiate": "enabled"}, unknown("renegotiate")},
		{"server set-proxy-v2-tlv-fmt", srvPath, srvBase, map[string]any{"set-proxy-v2-tlv-fmt": map[string]any{"id": "0x20", "value": "%[str(a)]"}}, unknown("set-proxy-v2-tlv-fmt(0x20)")},
		{"server shard", srvPath, srvBase, map[string]any{"shard": 1}, unknown("shard")},
		{"server sigalgs", srvPath, srvBase, map[string]any{"sigalgs": "ECDSA+SHA256"}, unknown("sigalgs")},
		{"server sni_auto", srvPath, srvBase, map[string]any{"sni_auto": "enabled"}, unknown("sni-auto")},
		{"server sslv3", srvPath, srvBase, map[string]any{"sslv3": "enabled"}, unknown("sslv3")},
		{"server tlsv10", srvPath, srvBase, map[string]any{"tlsv10": "enabled"}, unknown("tlsv10")},
		{"server tlsv11", srvPath, srvBase, map[string]any{"tlsv11": "enabled"}, unknown("tlsv11")},
		{"server tlsv12", srvPath, srvBase, map[string]any{"tlsv12": "enabled"}, unknown("tlsv12")},
		{"server tlsv13", srvPath, srvBase, map[string]any{"tlsv13": "enabled"}, unknown("tlsv13")},
		{"server strict-maxconn", srvPath, srvBase, map[string]any{"strict-maxconn": true}, unknown("strict-maxconn")},
		{"server tcp_md5sig", srvPath, srvBase, map[string]any{"tcp_md5sig": "secret"}, unknown("tcp-md5sig")},
		// Known to 2.6, refused here: a namespace needs one to exist, and
		// this OpenSSL has no SSLv3.
		{"server namespace", srvPath, srvBase, map[string]any{"namespace": "dataplane-test-none"}, "Cannot open namespace"},
		{"server force_sslv3", srvPath, srvBase, map[string]any{"force_sslv3": "enabled"}, "all SSL/TLS versions are disabled"},

		{"bind cc", bindPath, bindBase, map[string]any{"cc": "cubic"}, unknown("cc")},
		{"bind client_sigalgs", bindPath, bindBase, map[string]any{"client_sigalgs": "ECDSA+SHA256"}, unknown("client-sigalgs")},
		{"bind default_crt_list", bindPath, bindBase, map[string]any{"default_crt_list": []any{f.crt}}, unknown("default-crt")},
		{"bind force_strict_sni", bindPath, bindBase, map[string]any{"force_strict_sni": "enabled"}, unknown("force-strict-sni")},
		{"bind guid_prefix", bindPath, bindBase, map[string]any{"guid_prefix": "g"}, unknown("guid-prefix")},
		{"bind idle_ping", bindPath, bindBase, map[string]any{"idle_ping": 1000}, unknown("idle-ping")},
		{"bind ktls", bindPath, bindBase, map[string]any{"ktls": "on"}, unknown("ktls")},
		{"bind label", bindPath, bindBase, map[string]any{"label": "public"}, unknown("label")},
		{"bind nbconn", bindPath, bindBase, map[string]any{"nbconn": 2}, unknown("nbconn")},
		{"bind no_alpn", bindPath, bindBase, map[string]any{"no_alpn": true}, unknown("no-alpn")},
		{"bind no_strict_sni", bindPath, bindBase, map[string]any{"no_strict_sni": true}, unknown("no-strict-sni")},
		{"bind quic-cc-algo", bindPath, bindBase, map[string]any{"quic-cc-algo": "bbr", "quic_cc_algo_burst_size": 10, "quic_cc_algo_max_window": 4096}, unknown("quic-cc-algo")},
		{"bind quic-force-retry", bindPath, bindBase, map[string]any{"quic-force-retry": true}, unknown("quic-force-retry")},
		{"bind quic-socket", bindPath, bindBase, map[string]any{"quic-socket": "listener"}, unknown("quic-socket")},
		{"bind sigalgs", bindPath, bindBase, map[string]any{"sigalgs": "ECDSA+SHA256"}, unknown("sigalgs")},
		{"bind sslv3", bindPath, bindBase, map[string]any{"sslv3": "enabled"}, unknown("sslv3")},
		{"bind tlsv10", bindPath, bindBase, map[string]any{"tlsv10": "enabled"}, unknown("tlsv10")},
		{"bind tlsv11", bindPath, bindBase, map[string]any{"tlsv11": "enabled"}, unknown("tlsv11")},
		{"bind tlsv12", bindPath, bindBase, map[string]any{"tlsv12": "enabled"}, unknown("tlsv12")},
		{"bind tlsv13", bindPath, bindBase, map[string]any{"tlsv13": "enabled"}, unknown("tlsv13")},
		{"bind tls_tickets", bindPath, bindBase, map[string]any{"tls_tickets": "enabled"}, unknown("tls-tickets")},
		{"bind tcp_md5sig", bindPath, bindBase, map[string]any{"tcp_md5sig": "secret"}, unknown("tcp-md5sig")},
		{"bind tcp_ss", bindPath, bindBase, map[string]any{"tcp_ss": 1}, unknown("tcp-ss")},
		{"bind force_sslv3", bindPath, bindBase, map[string]any{"force_sslv3": true}, "all SSL/TLS versions are disabled"},
	} {
		before := e.ReadConfig()
		r := e.Do(apitest.Request{Method: "PUT", Path: c.path + vq(t, e), Body: merged(c.base, c.field)})
		if r.Status != 400 || !strings.Contains(string(r.Body), c.message) {
			t.Errorf("%s: %d %s, want 400 with %q", c.name, r.Status, r.Body, c.message)
		}
		if string(before) != string(e.ReadConfig()) {
			t.Fatalf("%s: the refused change reached the file", c.name)
		}
	}

	// An unknown property is refused with 422 naming it.
	r := e.Do(apitest.Request{Method: "PUT", Path: srvPath + vq(t, e), Body: merged(srvBase, map[string]any{"tls_frobnicate": "on"})})
	if r.Status != 422 || !strings.Contains(string(r.Body), "tls_frobnicate") {
		t.Errorf("unknown property: %d %s, want 422 naming it", r.Status, r.Body)
	}
}
