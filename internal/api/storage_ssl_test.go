package api_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"mime/multipart"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// testCert is a certificate made by a test, with its key, as PEM.
type testCert struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	pem    []byte // the certificate alone
	keyPEM []byte
}

// bundle is the file HAProxy loads: certificate, then chain, then key.
func (c testCert) bundle(chain ...testCert) []byte {
	out := append([]byte{}, c.pem...)
	for _, ch := range chain {
		out = append(out, ch.pem...)
	}
	return append(out, c.keyPEM...)
}

// makeCert issues a certificate for cn with serial, signed by parent (self
// signed when parent is nil), valid until notAfter.
func makeCert(t testing.TB, cn string, serial int64, parent *testCert, notAfter time.Time) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		DNSNames:              []string{cn},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:                  parent == nil,
		BasicConstraintsValid: true,
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: c, key: key,
		pem:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})}
}

// multipartBody is a multipart/form-data body with one file_upload part
// named filename (written raw, as a hostile client would).
func multipartBody(t testing.TB, filename string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file_upload"; filename="%s"`, filename)}
	h["Content-Type"] = []string{"application/octet-stream"}
	p, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = p.Write(content)
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// servedSerial is the serial of the certificate HAProxy serves on addr.
func servedSerial(t testing.TB, addr string) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("tls dial %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// workerPIDs is the worker lines of `show proc` (PIDs), to tell a reload.
func workerPIDs(in *haproxytest.Instance) string {
	var pids []string
	for _, line := range strings.Split(in.Master("show proc"), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "worker" {
			pids = append(pids, f[0])
		}
	}
	return strings.Join(pids, ",")
}

const storageCerts = "/services/haproxy/storage/ssl_certificates"

// TestStorageCertificateSwapLive: a certificate uploaded to the storage,
// referenced from a bind through the API, serves TLS; replacing it through
// the storage swaps it live (the new serial, no reload, the same worker);
// a broken certificate is refused and the old one keeps serving; a
// certificate in use cannot be deleted.
func TestStorageCertificateSwapLive(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+`
frontend fe
    bind 127.0.0.1:`+fmt.Sprint(haproxytest.FreePort(t))+`
    http-request return status 200 content-type text/plain string ok
`, apitest.Options{})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	notAfter := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	one := makeCert(t, "one.test", 1001, nil, notAfter)
	soon := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	two := makeCert(t, "two.test", 2002, nil, soon)

	body, ct := multipartBody(t, "site.pem", one.bundle())
	r := e.Do(apitest.Request{Method: "POST", Path: storageCerts, Body: body, ContentType: ct})
	mustStatus(t, r, 201, "upload a certificate")
	var m map[string]any
	r.JSON(t, &m)
	path, _ := m["file"].(string)
	if m["storage_name"] != "site.pem" || m["serial"] != "03E9" || !strings.Contains(fmt.Sprint(m["subject"]), "CN=one.test") ||
		m["domains"] != "one.test" || !strings.Contains(fmt.Sprint(m["subject_alternative_names"]), "IP:127.0.0.1") ||
		m["not_after"] != notAfter.UTC().Format(time.RFC3339) || len(fmt.Sprint(m["sha256_finger_print"])) != 64 || !filepath.IsAbs(path) {
		t.Fatalf("the stored certificate: %v", m)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: storageCerts, Body: body, ContentType: ct}), 409, "the same name again")

	// Reference it from a bind, through the API.
	r = e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/frontends/fe/binds?version=%d&force_reload=true", version(t, e)),
		Body: map[string]any{"name": "tls", "address": "127.0.0.1", "port": port, "ssl": true, "ssl_certificate": path}})
	mustStatus(t, r, 201, "a bind with the certificate")
	if got := servedSerial(t, addr); got != "1001" {
		t.Fatalf("HAProxy serves serial %s, want 1001", got)
	}
	reloads, _ := in.Reloads()
	workers := workerPIDs(in)

	// Replace it: swapped live.
	r = e.Do(apitest.Request{Method: "PUT", Path: storageCerts + "/site.pem", Body: two.bundle()})
	mustStatus(t, r, 200, "replace the certificate in use")
	if got := servedSerial(t, addr); got != "2002" {
		t.Fatalf("after the replacement HAProxy serves serial %s, want 2002", got)
	}
	if after, _ := in.Reloads(); after != reloads || workerPIDs(in) != workers {
		t.Fatalf("the swap reloaded HAProxy: reloads %d -> %d, workers %s -> %s", reloads, after, workers, workerPIDs(in))
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, two.bundle()) {
		t.Fatalf("the stored file is not the new certificate")
	}
	// /metrics: the not-after time of the certificate now serving.
	if _, fams := scrapeMetrics(t, e, true); metricValue(fams, "dataplane_ssl_certificate_not_after_timestamp_seconds",
		map[string]string{"file": path}) != float64(soon.Unix()) {
		t.Fatalf("the expiry metric of %s is %v, want %d", path,
			metricValue(fams, "dataplane_ssl_certificate_not_after_timestamp_seconds", map[string]string{"file": path}), soon.Unix())
	}

	// Broken replacements: refused, the old one serves, the file stays.
	mismatched := append(append([]byte{}, one.pem...), two.keyPEM...)
	for what, b := range map[string][]byte{
		"a key that does not match": mismatched,
		"not PEM":                   []byte("hello\n"),
		"a truncated certificate":   two.bundle()[:200],
		"no certificate":            two.keyPEM,
		"a certificate without key": one.pem, // HAProxy serves it: it needs its key
	} {
		r = e.Do(apitest.Request{Method: "PUT", Path: storageCerts + "/site.pem", Body: b})
		mustStatus(t, r, 400, what)
		if got := servedSerial(t, addr); got != "2002" {
			t.Fatalf("after %s HAProxy serves serial %s, want 2002", what, got)
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, two.bundle()) {
			t.Fatalf("after %s the stored file changed", what)
		}
	}
	if tx := in.Stats("show ssl cert"); strings.Contains(tx, "*") {
		t.Fatalf("a socket transaction is left open:\n%s", tx)
	}

	// In use: not deleted, and the answer names the line.
	r = e.Do(apitest.Request{Method: "DELETE", Path: storageCerts + "/site.pem"})
	mustStatus(t, r, 409, "delete a certificate in use")
	if !strings.Contains(string(r.Body), "bind 127.0.0.1:") || !strings.Contains(string(r.Body), "crt") {
		t.Fatalf("the refusal does not name the line: %s", r.Body)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the file is gone: %v", err)
	}

	// The runtime view agrees.
	r = e.Get("/services/haproxy/runtime/ssl_certs/site.pem")
	mustStatus(t, r, 200, "the runtime certificate")
	r.JSON(t, &m)
	if m["serial"] != "07D2" || m["status"] != "Used" || m["storage_name"] != "site.pem" {
		t.Fatalf("runtime certificate: %v", m)
	}
	if after, _ := in.Reloads(); after != reloads {
		t.Fatalf("reloads %d -> %d", reloads, after)
	}
}

// TestRuntimeFailedCommitAborts: a certificate HAProxy takes in `set ssl
// cert` but refuses at commit (its key does not match) leaves no
// transaction open and the old certificate serving.
func TestRuntimeFailedCommitAborts(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	dir := in.Dir
	one := makeCert(t, "one.test", 11, nil, time.Now().Add(time.Hour))
	two := makeCert(t, "two.test", 22, nil, time.Now().Add(time.Hour))
	site := filepath.Join(dir, "site.pem")
	if err := os.WriteFile(site, one.bundle(), 0o600); err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d ssl crt %s
    http-request return status 200
`, port, site), apitest.Options{})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	bad := append(append([]byte{}, two.pem...), one.keyPEM...)
	err := e.App.Stats.ReplaceSSLCert(t.Context(), site, string(bad))
	if err == nil || !strings.Contains(err.Error(), "inconsistencies") {
		t.Fatalf("a mismatched key was committed: %v", err)
	}
	if tx := in.Stats("show ssl cert"); strings.Contains(tx, "*") {
		t.Fatalf("the failed commit left its transaction open:\n%s", tx)
	}
	if got := servedSerial(t, addr); got != "11" {
		t.Fatalf("HAProxy serves %s after a failed commit, want 11", got)
	}
	// The API's runtime PUT: a mismatched key is refused before the
	// socket (400), a good certificate swapped (200).
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/runtime/ssl_certs/site.pem", Body: bad}), 400, "a runtime swap with a mismatched key")
	r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/runtime/ssl_certs/site.pem", Body: two.bundle()})
	mustStatus(t, r, 200, "a runtime swap")
	if got := servedSerial(t, addr); got != "22" {
		t.Fatalf("HAProxy serves %s after the runtime swap, want 22", got)
	}
}

// TestStorageRefusesBadUploads: path traversal, hidden names, names with
// spaces or newlines, oversize uploads, bad PEMs, keys that do not match
// and chains out of order are 4xx, write nothing and send nothing to the
// socket.
func TestStorageRefusesBadUploads(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, in.Global()+`
frontend fe
    bind 127.0.0.1:`+fmt.Sprint(haproxytest.FreePort(t))+`
    http-request return status 200
`, apitest.Options{Settings: func(st *settings.Settings) {
		// The audit trail grows with every refusal: kept out of the
		// directory whose content must not change.
		st.API.Audit.File = filepath.Join(in.Dir, "audit.log")
	}})
	var sslCmds atomic.Int64
	e.App.Stats.SetObserver(func(cmd string, err error) {
		if strings.Contains(cmd, "ssl") {
			sslCmds.Add(1)
		}
	})
	dir := e.App.SSLStore.Dir()
	before := listDir(t, filepath.Dir(dir))
	root := makeCert(t, "root.test", 1, nil, time.Now().Add(time.Hour))
	leaf := makeCert(t, "leaf.test", 2, &root, time.Now().Add(time.Hour))
	other := makeCert(t, "other.test", 3, nil, time.Now().Add(time.Hour))
	good := leaf.bundle(root)
	// The good chain is accepted (then removed): the refusals below are
	// for what they say.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: storageCerts + "?name=chain.pem", Body: good}), 201, "a chain in order")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: storageCerts + "/chain.pem"}), 204, "delete an unused certificate")
	mustStatus(t, e.Get(storageCerts+"/chain.pem"), 404, "a deleted certificate")
	sslCmds.Store(0) // the delete looked for the certificate in HAProxy

	big := append(bytes.Repeat([]byte("# padding\n"), 110_000), good...)
	cases := []struct {
		what, name string
		body       []byte
		multipart  bool
		status     int
	}{
		{"traversal in a multipart file name", "../escape.pem", good, true, 400},
		{"an absolute multipart file name", "/tmp/escape.pem", good, true, 400},
		{"a hidden name", ".hidden.pem", good, true, 400},
		{"a name with a space", "a b.pem", good, true, 400},
		{"traversal in the name parameter", "..%2Fescape.pem", good, false, 400},
		{"a name with a newline", "a%0Ab.pem", good, false, 400},
		{"a name with a space (query)", "a%20b.pem", good, false, 400},
		{"a too long name", strings.Repeat("a", 300), good, false, 400},
		{"an oversize upload", "big.pem", big, true, 413},
		{"not PEM", "bad.pem", []byte("not a certificate\n"), true, 400},
		{"a key that does not match", "mismatch.pem", append(append([]byte{}, leaf.pem...), other.keyPEM...), true, 400},
		{"a chain out of order", "order.pem", append(append(append([]byte{}, root.pem...), leaf.pem...), leaf.keyPEM...), true, 400},
		{"an encrypted key block", "enc.pem", append(append([]byte{}, leaf.pem...), []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")...), true, 400},
	}
	for _, c := range cases {
		var r *apitest.Response
		if c.multipart {
			b, ct := multipartBody(t, c.name, c.body)
			r = e.Do(apitest.Request{Method: "POST", Path: storageCerts, Body: b, ContentType: ct})
		} else {
			r = e.Do(apitest.Request{Method: "POST", Path: storageCerts + "?name=" + c.name, Body: c.body})
		}
		mustStatus(t, r, c.status, c.what)
	}
	// The same through the path of a replace.
	for _, name := range []string{"..%2F..%2Fetc%2Fpasswd", "a%20b.pem", "a%0Ab.pem", ".hidden"} {
		r := e.Do(apitest.Request{Method: "PUT", Path: storageCerts + "/" + name, Body: good})
		if r.Status < 400 || r.Status >= 500 {
			t.Fatalf("PUT %s: %d, want a 4xx", name, r.Status)
		}
	}
	if after := listDir(t, filepath.Dir(dir)); after != before {
		t.Fatalf("the storage changed:\nbefore %s\nafter  %s", before, after)
	}
	if n := sslCmds.Load(); n != 0 {
		t.Fatalf("%d ssl commands were sent for refused uploads", n)
	}
	// Crt-lists and general files: the same name rules, and lines that
	// would break a crt-list are refused.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/storage/general?name=..%2Fx", Body: "x"}), 400, "general traversal")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/storage/ssl_crt_lists?name=l.txt", Body: "a.pem [ssl-min-ver TLSv1.2\n"}), 400, "a crt-list line with an open bracket")
	if after := listDir(t, filepath.Dir(dir)); after != before {
		t.Fatalf("the storage changed:\nbefore %s\nafter  %s", before, after)
	}
}

// listDir lists every file under dir with its size, to tell a change.
func listDir(t testing.TB, dir string) string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			out = append(out, fmt.Sprintf("%s:%d", strings.TrimPrefix(p, dir), info.Size()))
		}
		return nil
	})
	return strings.Join(out, " ")
}

// servedSerialSNI is servedSerial with a server name.
func servedSerialSNI(t testing.TB, addr, sni string) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: sni})
	if err != nil {
		t.Fatalf("tls dial %s (%s): %v", addr, sni, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// TestStorageCrtListsAndGeneralFiles: a stored crt-list, bound through the
// API, picks certificates by SNI; runtime crt-list entries add and remove
// a certificate added at runtime; stored entries are listed, added and
// deleted; files in use are not deleted; a general file the configuration
// serves is replaced and reloaded.
func TestStorageCrtListsAndGeneralFiles(t *testing.T) {
	in := haproxytest.New(t)
	port, httpPort := haproxytest.FreePort(t), haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+`
frontend fe
    bind 127.0.0.1:`+fmt.Sprint(httpPort)+`
    http-request return status 200 content-type text/plain string ok
`, apitest.Options{})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	exp := time.Now().Add(24 * time.Hour)
	a, b, c := makeCert(t, "a.test", 1, nil, exp), makeCert(t, "b.test", 2, nil, exp), makeCert(t, "c.test", 3, nil, exp)
	paths := map[string]string{}
	for name, cert := range map[string]testCert{"a.pem": a, "b.pem": b} {
		body, ct := multipartBody(t, name, cert.bundle())
		r := e.Do(apitest.Request{Method: "POST", Path: storageCerts, Body: body, ContentType: ct})
		mustStatus(t, r, 201, "upload "+name)
		var m map[string]any
		r.JSON(t, &m)
		paths[name] = m["file"].(string)
	}
	lists := "/services/haproxy/storage/ssl_crt_lists"
	list := paths["a.pem"] + "\n" + paths["b.pem"] + " [alpn h2,http/1.1] b.test\n"
	r := e.Do(apitest.Request{Method: "POST", Path: lists + "?name=sites.txt", Body: list})
	mustStatus(t, r, 201, "upload a crt-list")
	var lf map[string]any
	r.JSON(t, &lf)
	listPath := lf["file"].(string)
	var entries []map[string]any
	e.Get(lists+"/sites.txt/entries").JSON(t, &entries)
	if len(entries) != 2 || entries[1]["ssl_bind_config"] != "alpn h2,http/1.1" || fmt.Sprint(entries[1]["sni_filter"]) != "[b.test]" || entries[1]["line_number"] != float64(2) {
		t.Fatalf("stored entries: %v", entries)
	}
	r = e.Get(lists + "/sites.txt")
	if r.Status != 200 || string(r.Body) != list {
		t.Fatalf("the stored crt-list: %d %q", r.Status, r.Body)
	}

	r = e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/frontends/fe/binds?version=%d&force_reload=true", version(t, e)),
		Body: map[string]any{"name": "tls", "address": "127.0.0.1", "port": port, "ssl": true, "crt_list": listPath}})
	mustStatus(t, r, 201, "a bind with the crt-list")
	if got := servedSerialSNI(t, addr, "b.test"); got != "2" {
		t.Fatalf("SNI b.test: serial %s, want 2", got)
	}
	if got := servedSerialSNI(t, addr, "a.test"); got != "1" {
		t.Fatalf("SNI a.test: serial %s, want 1", got)
	}
	r = e.Do(apitest.Request{Method: "DELETE", Path: lists + "/sites.txt"})
	mustStatus(t, r, 409, "delete a crt-list in use")
	r = e.Do(apitest.Request{Method: "DELETE", Path: storageCerts + "/b.pem"})
	mustStatus(t, r, 409, "delete a certificate a crt-list in use names")

	// Runtime: a certificate added in memory, then listed in the crt-list.
	body, ct := multipartBody(t, "c.pem", c.bundle())
	r = e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/runtime/ssl_certs", Body: body, ContentType: ct})
	mustStatus(t, r, 201, "a runtime certificate")
	var rc map[string]any
	r.JSON(t, &rc)
	cPath, _ := rc["file"].(string)
	if rc["serial"] != "03" || cPath == "" {
		t.Fatalf("the runtime certificate: %v", rc)
	}
	rt := "/services/haproxy/runtime/ssl_crt_lists/entries?name=sites.txt"
	r = e.Do(apitest.Request{Method: "POST", Path: rt, Body: map[string]any{"file": cPath, "sni_filter": []string{"c.test"}}})
	mustStatus(t, r, 201, "a runtime crt-list entry")
	if got := servedSerialSNI(t, addr, "c.test"); got != "3" {
		t.Fatalf("SNI c.test after the runtime entry: serial %s, want 3", got)
	}
	e.Get(rt).JSON(t, &entries)
	if len(entries) != 3 || entries[2]["file"] != cPath || fmt.Sprint(entries[2]["sni_filter"]) != "[c.test]" {
		t.Fatalf("runtime entries: %v", entries)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: rt, Body: map[string]any{"file": cPath + " show info"}}), 422, "a file with a space")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: rt + "&cert_file=" + cPath}), 204, "delete the runtime entry")
	if got := servedSerialSNI(t, addr, "c.test"); got != "1" {
		t.Fatalf("SNI c.test after the delete: serial %s, want the default 1", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: "/services/haproxy/runtime/ssl_certs/c.pem"}), 204, "delete the unused runtime certificate")
	mustStatus(t, e.Get("/services/haproxy/runtime/ssl_certs/c.pem"), 404, "a deleted runtime certificate")

	// Stored entries: add, then delete by line.
	r = e.Do(apitest.Request{Method: "POST", Path: lists + "/sites.txt/entries?force_reload=true", Body: map[string]any{"file": paths["a.pem"], "sni_filter": []string{"x.test"}}})
	mustStatus(t, r, 201, "a stored entry (reloaded)")
	if got := servedSerialSNI(t, addr, "x.test"); got != "1" {
		t.Fatalf("SNI x.test: %s", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: lists + "/sites.txt/entries", Body: map[string]any{"file": "a.pem", "ssl_bind_config": "alpn h2] x"}}), 422, "a bracket in the options")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: lists + "/sites.txt/entries?certificate=" + paths["b.pem"] + "&line_number=1"}), 404, "the wrong line")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: lists + "/sites.txt/entries?certificate=" + paths["a.pem"] + "&line_number=3&force_reload=true"}), 204, "delete a stored entry")
	if r := e.Get(lists + "/sites.txt"); string(r.Body) != list {
		t.Fatalf("after add and delete the crt-list is %q", r.Body)
	}

	// General files: a file HAProxy serves, replaced with a reload.
	gen := "/services/haproxy/storage/general"
	body, ct = multipartBody(t, "hello.txt", []byte("hello"))
	r = e.Do(apitest.Request{Method: "POST", Path: gen, Body: body, ContentType: ct})
	mustStatus(t, r, 201, "a general file")
	var gf map[string]any
	r.JSON(t, &gf)
	gPath := gf["file"].(string)
	if gf["id"] != "hello.txt" || gf["size"] != float64(5) {
		t.Fatalf("general file: %v", gf)
	}
	cfg := strings.Replace(string(e.ReadConfig()), "string ok", "file "+gPath, 1)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?skip_version=true&force_reload=true", Body: cfg}), 201, "serve the general file")
	url := fmt.Sprintf("http://127.0.0.1:%d/", httpPort)
	if _, got, _ := haproxytest.HTTPGet(t.Context(), url); got != "hello" {
		t.Fatalf("served %q", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: gen + "/hello.txt?force_reload=true", Body: "bonjour"}), 204, "replace a general file in use")
	if _, got, _ := haproxytest.HTTPGet(t.Context(), url); got != "bonjour" {
		t.Fatalf("served %q after the replacement", got)
	}
	if r := e.Get(gen + "/hello.txt"); string(r.Body) != "bonjour" || r.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("the general file: %q %s", r.Body, r.Header.Get("Content-Type"))
	}
	r = e.Do(apitest.Request{Method: "DELETE", Path: gen + "/hello.txt"})
	mustStatus(t, r, 409, "delete a general file in use")
	if !strings.Contains(string(r.Body), "http-request return") {
		t.Fatalf("the refusal does not name the line: %s", r.Body)
	}
}
