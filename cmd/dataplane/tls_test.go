package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// testCA is a certificate authority made by the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

// newCA makes a self-signed CA named name.
func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a leaf certificate for cn: a server certificate for
// 127.0.0.1 when server, else a client certificate. It returns the
// certificate and key in PEM.
func (ca *testCA) issue(t *testing.T, cn string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// clientCert is a client certificate for cn signed by ca.
func (ca *testCA) clientCert(t *testing.T, cn string) *tls.Certificate {
	t.Helper()
	c, k := ca.issue(t, cn, false)
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return &pair
}

// tlsClient is an https client trusting ca, presenting cert when not nil.
// Each has its own connections: a refused handshake is not hidden by a
// connection another request opened.
func tlsClient(ca *testCA, cert *tls.Certificate, maxVersion uint16) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	cfg := &tls.Config{RootCAs: pool, MaxVersion: maxVersion}
	if maxVersion != 0 {
		// Go's client would refuse by itself below TLS 1.2: the refusal
		// must come from the server.
		cfg.MinVersion = tls.VersionTLS10
	}
	if cert != nil {
		// Always sent: Go's client leaves out a certificate whose issuer
		// is not among the CAs the server names, and a foreign one must
		// reach the server to be refused there.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
}

// tlsReq is one request of TestHTTPSAndMTLS.
type tlsReq struct {
	name   string
	client *http.Client
	method string
	path   string // after /v3, with {version} replaced by the current version
	user   string // basic auth user, "" for none
	pass   string
	code   int    // the status wanted; 0: the handshake (or the request on its connection) fails
	body   string // in the answer, when not ""
}

// TestHTTPSAndMTLS starts the dataplane binary with an https listener,
// with certificates made here: a CA, a server certificate for 127.0.0.1
// and client certificates from that CA and from another. It checks https
// with basic auth, both listeners at once, TLS 1.2 at least, mTLS required
// (no certificate or a foreign one: no connection) and optional, a
// certificate's common name standing for a user whose role applies, and
// that basic credentials win over the certificate.
func TestHTTPSAndMTLS(t *testing.T) {
	in := haproxytest.New(t)
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, haproxytest.FreePort(t)))

	ca, foreign := newCA(t, "dataplane test CA"), newCA(t, "another CA")
	files := map[string][]byte{"ca.pem": ca.pem}
	files["server.pem"], files["server.key"] = ca.issue(t, "127.0.0.1", true)
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(in.Dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	viewerCert, adminCert := ca.clientCert(t, "viewer"), ca.clientCert(t, "admin")
	nobodyCert, foreignCert := ca.clientCert(t, "nobody"), foreign.clientCert(t, "admin")
	plain := &http.Client{Timeout: 30 * time.Second}
	noCert := tlsClient(ca, nil, 0)

	tests := []struct {
		name   string
		scheme string
		tls    string // the tls block's other lines
		reqs   []tlsReq
		h2     bool // also ask over HTTP/2
	}{
		{
			name: "https with basic auth beside http", scheme: "http,https", h2: true,
			reqs: []tlsReq{
				{name: "https, basic auth", client: noCert, method: "GET", path: "/info", user: "admin", pass: "adminpwd", code: 200},
				{name: "https, no credentials", client: noCert, method: "GET", path: "/info", code: 401, body: `"code":401`},
				{name: "http at once", client: plain, method: "GET", path: "/info", user: "admin", pass: "adminpwd", code: 200},
				{name: "TLS 1.1 refused", client: tlsClient(ca, nil, tls.VersionTLS11), method: "GET", path: "/info", user: "admin", pass: "adminpwd"},
				// No CA: no certificate is asked for, so none names a user.
				{name: "a certificate without tls_ca names nobody", client: tlsClient(ca, adminCert, 0), method: "GET", path: "/info", code: 401},
			},
		},
		{
			name: "mTLS required, user from cn", scheme: "https",
			tls: `tls_ca = "ca.pem"
    tls_client_user_from = "cn"`,
			reqs: []tlsReq{
				{name: "no certificate", client: noCert, method: "GET", path: "/info", user: "admin", pass: "adminpwd"},
				{name: "foreign CA", client: tlsClient(ca, foreignCert, 0), method: "GET", path: "/info", user: "admin", pass: "adminpwd"},
				{name: "http is off", client: plain, method: "GET", path: "/info", user: "admin", pass: "adminpwd"},
				{name: "read-only by certificate reads", client: tlsClient(ca, viewerCert, 0), method: "GET", path: "/services/haproxy/configuration/backends", code: 200},
				{name: "read-only by certificate may not write", client: tlsClient(ca, viewerCert, 0), method: "POST",
					path: "/services/haproxy/configuration/backends?version={version}", code: 403, body: `has role read-only`},
				{name: "admin by certificate writes", client: tlsClient(ca, adminCert, 0), method: "POST",
					path: "/services/haproxy/configuration/backends?version={version}", code: 202},
				{name: "basic auth wins over the certificate", client: tlsClient(ca, viewerCert, 0), method: "POST",
					path: "/services/haproxy/configuration/backends?version={version}", user: "admin", pass: "adminpwd", code: 202},
				{name: "a wrong password is not saved by the certificate", client: tlsClient(ca, adminCert, 0), method: "GET",
					path: "/info", user: "admin", pass: "wrong", code: 401},
				{name: "a certificate naming no user", client: tlsClient(ca, nobodyCert, 0), method: "GET", path: "/info", code: 401, body: "names no API user"},
			},
		},
		{
			name: "mTLS optional", scheme: "https",
			tls: `tls_ca = "ca.pem"
    tls_client_auth = "optional"
    tls_client_user_from = "cn"`,
			reqs: []tlsReq{
				{name: "no certificate, basic auth", client: noCert, method: "GET", path: "/info", user: "viewer", pass: "viewerpwd", code: 200},
				{name: "no certificate, no credentials", client: noCert, method: "GET", path: "/info", code: 401},
				{name: "foreign CA", client: tlsClient(ca, foreignCert, 0), method: "GET", path: "/info", user: "admin", pass: "adminpwd"},
				{name: "read-only by certificate may not write", client: tlsClient(ca, viewerCert, 0), method: "POST",
					path: "/services/haproxy/configuration/backends?version={version}", code: 403},
			},
		},
	}
	t.Run("a key that does not match stops dataplane", func(t *testing.T) {
		hcl := writeTLSHCL(t, in, haproxytest.FreePort(t), haproxytest.FreePort(t), "https", "")
		text, err := os.ReadFile(hcl)
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(text), `tls_key         = "server.key"`, `tls_key         = "ca.pem"`, 1)
		if err := os.WriteFile(hcl, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "-f", hcl)
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "tls_key "+filepath.Join(in.Dir, "ca.pem")) {
			t.Fatalf("exit %v, want 1 naming the key file:\n%s", err, out)
		}
	})
	backend := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, tlsPort := haproxytest.FreePort(t), haproxytest.FreePort(t)
			hcl := writeTLSHCL(t, in, port, tlsPort, tt.scheme, tt.tls)
			cmd := exec.Command(binary, "-f", hcl)
			logs := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = logs, logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				_ = cmd.Wait()
				if t.Failed() {
					t.Logf("dataplane:\n%s", logs)
				}
			})
			base := fmt.Sprintf("https://127.0.0.1:%d/v3", tlsPort)
			// A client that the listener accepts in every case.
			ready := tlsClient(ca, adminCert, 0)
			haproxytest.WaitFor(t, 15*time.Second, "dataplane answers on https", func() bool {
				code, _, err := tlsDo(ready, "GET", base+"/info", "admin", "adminpwd")
				return err == nil && code == 200
			})
			for _, r := range tt.reqs {
				url := base + r.path
				if r.client == plain {
					url = fmt.Sprintf("http://127.0.0.1:%d/v3%s", port, r.path)
				}
				if strings.Contains(url, "{version}") {
					_, v, err := tlsDo(ready, "GET", base+"/services/haproxy/configuration/version", "admin", "adminpwd")
					if err != nil {
						t.Fatal(err)
					}
					url = strings.ReplaceAll(url, "{version}", strings.TrimSpace(v))
				}
				backend++
				code, body, err := tlsDo(r.client, r.method, url, r.user, r.pass, fmt.Sprintf(`{"name": "be_tls_%d"}`, backend))
				if r.code == 0 && err != nil {
					t.Logf("%s: refused as wanted: %v", r.name, err)
				}
				switch {
				case r.code == 0 && err == nil:
					t.Errorf("%s: answered %d %s, want no connection", r.name, code, body)
				case r.code != 0 && err != nil:
					t.Errorf("%s: %v, want %d", r.name, err, r.code)
				case r.code != 0 && (code != r.code || !strings.Contains(body, r.body)):
					t.Errorf("%s: %d %s, want %d with %q", r.name, code, body, r.code, r.body)
				}
			}
			if tt.h2 {
				// curl and browsers speak HTTP/2 over TLS: the same answers.
				c := tlsClient(ca, nil, 0)
				c.Transport.(*http.Transport).ForceAttemptHTTP2 = true
				req, err := http.NewRequest(http.MethodGet, base+"/services/haproxy/configuration/backends", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.SetBasicAuth("viewer", "viewerpwd")
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
					t.Errorf("HTTP/2: %d over %s", resp.StatusCode, resp.Proto)
				}
			}
		})
	}
}

// tlsDo sends one request, with basic auth when user is not "" and body
// (JSON) when given, and returns the status and the body.
func tlsDo(c *http.Client, method, url, user, pass string, body ...string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rd io.Reader
	if method != http.MethodGet && len(body) > 0 {
		rd = strings.NewReader(body[0])
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, "", err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	if resp.TLS != nil && resp.TLS.Version < tls.VersionTLS12 {
		return 0, "", fmt.Errorf("answered over TLS version %#x", resp.TLS.Version)
	}
	return resp.StatusCode, string(b), nil
}

// writeTLSHCL writes dataplane's settings for TestHTTPSAndMTLS: users
// admin (admin) and viewer (read-only), the given listeners, the
// certificates beside the file, and HAProxy's master CLI.
func writeTLSHCL(t *testing.T, in *haproxytest.Instance, port, tlsPort int, scheme, tlsLines string) string {
	t.Helper()
	var schemes []string
	for s := range strings.SplitSeq(scheme, ",") {
		schemes = append(schemes, strconv.Quote(s))
	}
	text := fmt.Sprintf(`
dataplaneapi {
  port   = %d
  scheme = [%s]
  tls {
    tls_port        = %d
    tls_certificate = "server.pem"
    tls_key         = "server.key"
    %s
  }
  user "admin" {
    password = "adminpwd"
    insecure = true
  }
  user "viewer" {
    password = "viewerpwd"
    insecure = true
    role     = "read-only"
  }
  transaction {
    transaction_dir = "tx"
  }
}
haproxy {
  config_file    = "haproxy.cfg"
  master_runtime = %q
  reload {
    reload_delay = 0
  }
}
`, port, strings.Join(schemes, ", "), tlsPort, tlsLines, in.MasterSocket)
	path := filepath.Join(in.Dir, "dataplane.hcl")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
