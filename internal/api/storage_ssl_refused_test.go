// A 512-bit RSA key is what HAProxy's OpenSSL refuses at commit while Go
// reads it: Go refuses to make one unless told.
//go:debug rsa1024min=0

package api_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestStorageSwapRefusedByHAProxy: a certificate Go accepts but HAProxy
// refuses at commit (a 512-bit RSA key, under OpenSSL's security level)
// is a 400 with HAProxy's words; the socket transaction is not left open,
// the old certificate keeps serving, and the stored file is unchanged.
func TestStorageSwapRefusedByHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	good := makeCert(t, "good.test", 77, nil, time.Now().Add(24*time.Hour))
	storeDir := in.Dir + "/transactions/ssl"
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	site := storeDir + "/site.pem"
	if err := os.WriteFile(site, good.bundle(), 0o600); err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d ssl crt %s
    http-request return status 200
`, port, site), apitest.Options{})
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	key, err := rsa.GenerateKey(rand.Reader, 512)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(88), Subject: pkix.Name{CommonName: "weak.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	weak := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)

	r := e.Do(apitest.Request{Method: "PUT", Path: storageCerts + "/site.pem", Body: weak})
	mustStatus(t, r, 400, "a certificate HAProxy refuses")
	if !strings.Contains(string(r.Body), "HAProxy refused") || !strings.Contains(string(r.Body), "commit ssl cert") {
		t.Fatalf("the answer does not carry HAProxy's refusal: %s", r.Body)
	}
	if got := servedSerial(t, addr); got != "77" {
		t.Fatalf("after the refusal HAProxy serves %s, want 77", got)
	}
	if tx := in.Stats("show ssl cert"); strings.Contains(tx, "*") {
		t.Fatalf("a socket transaction is left open:\n%s", tx)
	}
	if b, _ := os.ReadFile(site); !bytes.Equal(b, good.bundle()) {
		t.Fatalf("the stored file changed")
	}
	entries, _ := os.ReadDir(storeDir)
	for _, de := range entries {
		if strings.HasPrefix(de.Name(), ".") {
			t.Fatalf("a staged file is left: %s", de.Name())
		}
	}
}
