package api_test

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// clientStatus GETs https://addr/ with a client certificate: the status,
// or 0 when the handshake or the request failed (a refused certificate).
func clientStatus(t testing.TB, addr string, client testCert) int {
	t.Helper()
	pair, err := tls.X509KeyPair(client.pem, client.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		// Always send the certificate: HAProxy's list of acceptable CA
		// names is the one it started with, and Go's client would
		// otherwise send none for a CA not on it.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }},
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	resp, err := c.Get("https://" + addr + "/")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestCAFilesLive: a stored CA file a bind verifies client certificates
// with is swapped live when the storage replaces it (clients of the old CA
// refused, of the new one accepted, no reload); runtime CA files are
// created, read, extended (HAProxy 2.6 has no `add ssl ca-file`: the
// stored file is set whole), and deleted; a runtime CRL file shows its
// revoked serials.
func TestCAFilesLive(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+`
frontend fe
    bind 127.0.0.1:`+fmt.Sprint(haproxytest.FreePort(t))+`
    http-request return status 200
`, apitest.Options{})
	exp := time.Now().Add(24 * time.Hour)
	ca1, ca2 := makeCert(t, "ca1.test", 1, nil, exp), makeCert(t, "ca2.test", 2, nil, exp)
	client1, client2 := makeCert(t, "client1", 11, &ca1, exp), makeCert(t, "client2", 22, &ca2, exp)
	server := makeCert(t, "server.test", 3, nil, exp)
	files := map[string]string{}
	for name, body := range map[string][]byte{"server.pem": server.bundle(), "clients-ca.pem": ca1.pem} {
		r := e.Do(apitest.Request{Method: "POST", Path: storageCerts + "?name=" + name, Body: body})
		mustStatus(t, r, 201, "store "+name)
		var m map[string]any
		r.JSON(t, &m)
		files[name] = m["file"].(string)
	}
	r := e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/frontends/fe/binds?version=%d&force_reload=true", version(t, e)),
		Body: map[string]any{"name": "mtls", "address": "127.0.0.1", "port": port, "ssl": true,
			"ssl_certificate": files["server.pem"], "ssl_cafile": files["clients-ca.pem"], "verify": "required"}})
	mustStatus(t, r, 201, "a bind verifying client certificates")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if s1, s2 := clientStatus(t, addr, client1), clientStatus(t, addr, client2); s1 != 200 || s2 != 0 {
		t.Fatalf("before the swap: client1 %d, client2 %d; want 200 and refused", s1, s2)
	}
	reloads, _ := in.Reloads()
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: storageCerts + "/clients-ca.pem", Body: ca2.pem}), 200, "replace the CA file in use")
	if s1, s2 := clientStatus(t, addr, client1), clientStatus(t, addr, client2); s1 != 0 || s2 != 200 {
		t.Fatalf("after the swap: client1 %d, client2 %d; want refused and 200", s1, s2)
	}
	if after, _ := in.Reloads(); after != reloads {
		t.Fatalf("the CA swap reloaded: %d -> %d", reloads, after)
	}

	// Runtime CA files.
	ca := "/services/haproxy/runtime/ssl_ca_files"
	var list []map[string]any
	e.Get(ca).JSON(t, &list)
	if !strings.Contains(fmt.Sprint(list), files["clients-ca.pem"]) {
		t.Fatalf("CA files: %v", list)
	}
	body, ct := multipartBody(t, "extra-ca.pem", ca1.pem)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: ca, Body: body, ContentType: ct}), 201, "a runtime CA file")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: ca, Body: body, ContentType: ct}), 409, "the same CA file again")
	var one map[string]any
	e.Get(ca+"/extra-ca.pem").JSON(t, &one)
	if one["count"] != "1" || one["storage_name"] != "extra-ca.pem" {
		t.Fatalf("the runtime CA file: %v", one)
	}
	body, ct = multipartBody(t, "key.pem", server.bundle())
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: ca + "/extra-ca.pem", Body: body, ContentType: ct}), 400, "a CA file with a private key")
	// Add a certificate to the stored CA file in use: HAProxy 2.6 takes
	// it whole.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: ca + "/clients-ca.pem/entries", Body: ca1.pem}), 201, "add a CA certificate")
	e.Get(ca+"/clients-ca.pem").JSON(t, &one)
	if one["count"] != "2" {
		t.Fatalf("after the add: %v", one)
	}
	if s1, s2 := clientStatus(t, addr, client1), clientStatus(t, addr, client2); s1 != 200 || s2 != 200 {
		t.Fatalf("after the add: client1 %d, client2 %d; want both 200", s1, s2)
	}
	var entry map[string]any
	e.Get(ca+"/clients-ca.pem/entries/1").JSON(t, &entry)
	if !strings.Contains(fmt.Sprint(entry["subject"]), "ca1.test") {
		t.Fatalf("entry 1: %v", entry)
	}
	mustStatus(t, e.Get(ca+"/clients-ca.pem/entries/5"), 404, "no such entry")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: ca + "/clients-ca.pem"}), 409, "delete a CA file in use")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: ca + "/extra-ca.pem"}), 204, "delete an unused CA file")
	mustStatus(t, e.Get(ca+"/extra-ca.pem"), 404, "a deleted CA file")

	// A runtime CRL file.
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: exp,
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(0x1234), RevocationTime: time.Now().Add(-time.Minute)}},
	}, ca1.cert, ca1.key)
	if err != nil {
		t.Fatal(err)
	}
	crl := "/services/haproxy/runtime/ssl_crl_files"
	body, ct = multipartBody(t, "ca1.crl", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: crl, Body: body, ContentType: ct}), 201, "a runtime CRL file")
	body, ct = multipartBody(t, "bad.crl", ca1.pem)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: crl, Body: body, ContentType: ct}), 400, "a certificate as a CRL")
	var entries []map[string]any
	e.Get(crl+"/ca1.crl").JSON(t, &entries)
	if len(entries) != 1 || !strings.Contains(fmt.Sprint(entries[0]["issuer"]), "ca1.test") ||
		!strings.Contains(fmt.Sprint(entries[0]["revoked_certificates"]), "1234") {
		t.Fatalf("CRL entries: %v", entries)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: crl + "/ca1.crl"}), 204, "delete the CRL file")
}
