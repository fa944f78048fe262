package certstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/fault"
)

type pair struct {
	cert    *x509.Certificate
	key     any
	certPEM []byte
	keyPEM  []byte
}

// issue makes a certificate for cn signed by parent (self-signed when nil);
// rsaKey picks an RSA key written as PKCS#1, else an EC key as SEC 1.
func issue(t *testing.T, cn string, parent *pair, rsaKey bool) pair {
	t.Helper()
	var key any
	var keyBlock *pem.Block
	if rsaKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key, keyBlock = k, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := x509.MarshalECPrivateKey(k)
		key, keyBlock = k, &pem.Block{Type: "EC PRIVATE KEY", Bytes: b}
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0xABCDEF), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1900000000, 0), DNSNames: []string{cn},
		IsCA: parent == nil, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	var pk any
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pk = &k.PublicKey
	case *ecdsa.PrivateKey:
		pk = &k.PublicKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, pk, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return pair{cert: c, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM: pem.EncodeToMemory(keyBlock)}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParse(t *testing.T) {
	root := issue(t, "root.test", nil, false)
	leaf := issue(t, "leaf.test", &root, true)
	other := issue(t, "other.test", nil, false)
	cases := []struct {
		name  string
		data  []byte
		want  string // a part of the error; "" accepts
		certs int
	}{
		{"leaf, chain, key", cat(leaf.certPEM, root.certPEM, leaf.keyPEM), "", 2},
		{"key first", cat(leaf.keyPEM, leaf.certPEM), "", 1},
		{"certificates only (a CA file)", cat(root.certPEM, other.certPEM), "", 2},
		{"EC parameters before the key", cat(other.certPEM, []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"), other.keyPEM), "", 1},
		{"CRLF line ends", bytes.ReplaceAll(cat(leaf.certPEM, leaf.keyPEM), []byte("\n"), []byte("\r\n")), "", 1},
		{"a key that does not match", cat(leaf.certPEM, other.keyPEM), "does not match", 0},
		{"chain out of order", cat(root.certPEM, leaf.certPEM, leaf.keyPEM), "does not match", 0},
		{"chain not issuing the leaf", cat(leaf.certPEM, other.certPEM, leaf.keyPEM), "not issued by", 0},
		{"two keys", cat(leaf.certPEM, leaf.keyPEM, other.keyPEM), "more than one private key", 0},
		{"no certificate", leaf.keyPEM, "no certificate", 0},
		{"empty", nil, "no certificate", 0},
		{"text before a block", cat([]byte("subject=CN=x\n"), leaf.certPEM, leaf.keyPEM), "text before", 0},
		{"text after the blocks", cat(leaf.certPEM, leaf.keyPEM, []byte("junk\n")), "not a PEM block", 0},
		{"an encrypted key", cat(leaf.certPEM, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")), "encrypted", 0},
		{"a block with headers", cat(leaf.certPEM, []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n")), "headers", 0},
		{"an unknown block", cat(leaf.certPEM, []byte("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n")), "unexpected", 0},
		{"a damaged certificate", cat(bytes.Replace(leaf.certPEM, []byte("MII"), []byte("AAA"), 1), leaf.keyPEM), "certificate 1", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Parse(c.data)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(b.Certs) != c.certs {
					t.Fatalf("%d certificates, want %d", len(b.Certs), c.certs)
				}
				if bytes.Contains(b.Clean, []byte("\n\n")) || bytes.Contains(b.Clean, []byte("\r")) {
					t.Fatalf("the clean payload has a blank line or CR:\n%s", b.Clean)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || fault.Of(err) != fault.Invalid {
				t.Fatalf("error %v, want one saying %q of kind invalid", err, c.want)
			}
		})
	}
}

func TestInfo(t *testing.T) {
	root := issue(t, "root.test", nil, false)
	leaf := issue(t, "leaf.test", &root, true)
	b, err := Parse(cat(leaf.certPEM, root.certPEM, leaf.keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	in := b.Info()
	if in.Serial != "ABCDEF" || in.Subject != "CN=leaf.test" || in.Issuers != "CN=root.test" || in.Domains != "leaf.test" ||
		in.SANs != "DNS:leaf.test" || in.Algorithm != "RSA2048" || len(in.SHA1FingerPrint) != 40 || len(in.SHA256FingerPrint) != 64 ||
		in.NotAfter.Unix() != 1900000000 || in.ChainSubject != "CN=root.test" {
		t.Fatalf("info: %+v", in)
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"site.pem": true, "a_b-c+d.crt": true, "x": true,
		"": false, ".hidden": false, "../x": false, "a/b": false, "a..b": false, "..": false,
		"a b": false, "a\nb": false, "a\x00b": false, "a;b": false, "a#b": false, `a"b`: false, "é.pem": false,
		strings.Repeat("a", MaxNameLen): true, strings.Repeat("a", MaxNameLen+1): false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ssl")
	s, err := Open(dir, 16)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("the directory: %v %v", info, err)
	}
	if _, err := s.Write("a.pem", []byte("one"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write("a.pem", []byte("two"), true); !errors.Is(err, ErrExists) {
		t.Fatalf("a second create: %v", err)
	}
	if _, err := s.Write("b.pem", bytes.Repeat([]byte("x"), 17), false); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("an oversize write: %v", err)
	}
	if _, err := s.ReadBody(bytes.NewReader(bytes.Repeat([]byte("x"), 17))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("an oversize body: %v", err)
	}
	// A staged file is not in place until committed, and a discarded one
	// leaves nothing.
	st, err := s.Stage("a.pem", []byte("new"), false)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Read("a.pem"); string(b) != "one" {
		t.Fatalf("staged content visible: %q", b)
	}
	st.Discard()
	st, _ = s.Stage("a.pem", []byte("new"), false)
	if err := st.Commit(false); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Read("a.pem"); string(b) != "new" {
		t.Fatalf("after commit: %q", b)
	}
	if err := os.WriteFile(filepath.Join(dir, ".leftover"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].Name != "a.pem" || list[0].Size != 3 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := s.Read("../ssl/a.pem"); !errors.Is(err, ErrBadName) {
		t.Fatalf("a traversal read: %v", err)
	}
	if err := s.Remove("a.pem"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("a.pem"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 2 { // .leftover and sub: no temporary file remains
		t.Fatalf("left in the directory: %v", des)
	}
}

// TestOpenRemovesStaleTemporaryFiles: a write a crash cut short leaves a
// hidden temporary file; the next Open removes it once it is old, and
// leaves everything else.
func TestOpenRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{".a.pem.tmp123", ".b.pem.tmp456", ".keep", "c.pem"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != ".b.pem.tmp456" {
			_ = os.Chtimes(p, old, old)
		}
	}
	if _, err := Open(dir, 0); err != nil {
		t.Fatal(err)
	}
	var left []string
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		left = append(left, de.Name())
	}
	if strings.Join(left, ",") != ".b.pem.tmp456,.keep,c.pem" {
		t.Fatalf("left: %v", left)
	}
}

func TestCrtList(t *testing.T) {
	data := []byte("# certificates\n/ssl/a.pem [alpn h2 ssl-min-ver TLSv1.2] a.test !b.a.test\n\n/ssl/b.pem\n/ssl/c.pem *.c.test\n")
	entries, err := ParseCrtList(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || entries[0].LineNumber != 2 || entries[0].SSLBindConfig != "alpn h2 ssl-min-ver TLSv1.2" ||
		strings.Join(entries[0].SNIFilter, ",") != "a.test,!b.a.test" || entries[1].LineNumber != 4 || entries[2].SNIFilter[0] != "*.c.test" {
		t.Fatalf("entries: %+v", entries)
	}
	if l, err := entries[0].Line(); err != nil || l != "/ssl/a.pem [alpn h2 ssl-min-ver TLSv1.2] a.test !b.a.test" {
		t.Fatalf("line: %q %v", l, err)
	}
	for _, bad := range []CrtListEntry{
		{File: ""}, {File: "a b.pem"}, {File: "a.pem#x"}, {File: "a.pem", SSLBindConfig: "alpn h2]"},
		{File: "a.pem", SNIFilter: []string{"a b"}}, {File: "a.pem", SSLBindConfig: "x\ny"}, {File: "a.pem", SNIFilter: []string{""}},
	} {
		if _, err := bad.Line(); err == nil {
			t.Errorf("%+v was rendered", bad)
		}
	}
	for _, bad := range []string{"a.pem [x\n", "a.pem\x00\n", "a.pem [x] b c#d\n"} {
		if err := CheckCrtList([]byte(bad)); err == nil {
			t.Errorf("CheckCrtList(%q) accepted", bad)
		}
	}
}
