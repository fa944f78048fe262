package tlsconfig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/settings"
)

// selfSigned makes a self-signed certificate for cn, in PEM, with its key.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
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

// write writes files (name -> contents) into dir.
func write(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServer: what each tls block gives, and the mistakes reported at
// start rather than at the first handshake.
func TestServer(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, "server")
	_, otherKey := selfSigned(t, "other")
	ca, _ := selfSigned(t, "ca")
	write(t, dir, map[string][]byte{"cert.pem": cert, "key.pem": key, "other.key": otherKey, "ca.pem": ca, "empty.pem": []byte("no PEM here\n")})
	p := func(name string) string { return filepath.Join(dir, name) }
	base := settings.TLS{Certificate: p("cert.pem"), Key: p("key.pem"), ClientAuth: settings.ClientAuthRequired}

	tests := []struct {
		name   string
		change func(*settings.TLS)
		auth   tls.ClientAuthType
		err    string // in the error; "" when it builds
	}{
		{"no CA: no client certificate asked", func(*settings.TLS) {}, tls.NoClientCert, ""},
		{"CA: required", func(s *settings.TLS) { s.CA = p("ca.pem") }, tls.RequireAndVerifyClientCert, ""},
		{"CA: optional", func(s *settings.TLS) { s.CA = p("ca.pem"); s.ClientAuth = settings.ClientAuthOptional }, tls.VerifyClientCertIfGiven, ""},
		{"missing certificate", func(s *settings.TLS) { s.Certificate = p("nope.pem") }, 0, "nope.pem"},
		{"key of another certificate", func(s *settings.TLS) { s.Key = p("other.key") }, 0, "tls_certificate " + p("cert.pem") + " and tls_key " + p("other.key")},
		{"missing CA", func(s *settings.TLS) { s.CA = p("nope-ca.pem") }, 0, "tls_ca"},
		{"CA without a certificate", func(s *settings.TLS) { s.CA = p("empty.pem") }, 0, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.change(&s)
			cfg, err := Server(s, slog.New(slog.DiscardHandler))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tt.auth || (s.CA != "") != (cfg.ClientCAs != nil) {
				t.Fatalf("min version %#x, client auth %v, CAs %v", cfg.MinVersion, cfg.ClientAuth, cfg.ClientCAs != nil)
			}
		})
	}
}

// TestCertificateReload: a renewed certificate is served without a
// restart; a change that does not load (a certificate written before its
// key) keeps the previous one until the pair loads.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certA, keyA := selfSigned(t, "a")
	write(t, dir, map[string][]byte{"cert.pem": certA, "key.pem": keyA})
	cfg, err := Server(settings.TLS{Certificate: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	served := func() string {
		c, err := cfg.GetCertificate(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.Subject.CommonName
	}
	if got := served(); got != "a" {
		t.Fatalf("serves %q, want a", got)
	}
	// Modification times are set apart: a rewrite within the file
	// system's time resolution would otherwise look unchanged.
	touch := func(name string, at time.Time) {
		if err := os.Chtimes(filepath.Join(dir, name), at, at); err != nil {
			t.Fatal(err)
		}
	}

	// The certificate first, its key not yet: still a.
	certB, keyB := selfSigned(t, "b")
	write(t, dir, map[string][]byte{"cert.pem": certB})
	touch("cert.pem", time.Now().Add(time.Minute))
	deadline := time.Now().Add(3 * recheck)
	for time.Now().Before(deadline) {
		if got := served(); got != "a" {
			t.Fatalf("serves %q with a mismatched key, want a", got)
		}
		time.Sleep(recheck / 10)
	}
	// Then the key: b, within a few looks.
	write(t, dir, map[string][]byte{"key.pem": keyB})
	touch("key.pem", time.Now().Add(2*time.Minute))
	deadline = time.Now().Add(10 * time.Second)
	for served() != "b" {
		if time.Now().After(deadline) {
			t.Fatal("the renewed certificate is not served")
		}
		time.Sleep(recheck / 10)
	}
}
