package etcdtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs are PEM files for an etcd with mutual TLS on loopback: a CA, a
// server certificate for 127.0.0.1 (IP SAN), and a client certificate,
// all signed by the CA. They live in a directory removed at the end of
// the test.
type Certs struct {
	Dir        string
	CA         string // the CA certificate (etcd's --trusted-ca-file, a client's tls_ca)
	ServerCert string
	ServerKey  string
	ClientCert string
	ClientKey  string
}

// MakeCerts makes a fresh CA and a server and a client certificate
// signed by it, valid for a day, into a new temporary directory.
func MakeCerts(t testing.TB) *Certs {
	t.Helper()
	dir := tempDir(t)
	c := &Certs{
		Dir:        dir,
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey:  filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey:  filepath.Join(dir, "client-key.pem"),
	}
	if err := c.make(); err != nil {
		t.Fatalf("make certificates in %s: %v", dir, err)
	}
	return c
}

func (c *Certs) make() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "etcdtest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("CA: %w", err)
	}
	if err := writePEM(c.CA, "CERTIFICATE", caDER); err != nil {
		return err
	}
	leaves := []struct {
		cn             string
		usage          x509.ExtKeyUsage
		cert, key      string
		serial         int64
		withLoopbackIP bool
	}{
		// etcd uses its server certificate as a client too (the gateway
		// and the health check dial the member itself), hence both usages.
		{"127.0.0.1", x509.ExtKeyUsageServerAuth, c.ServerCert, c.ServerKey, 2, true},
		{"etcdtest client", x509.ExtKeyUsageClientAuth, c.ClientCert, c.ClientKey, 3, false},
	}
	for _, l := range leaves {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(l.serial),
			Subject:      pkix.Name{CommonName: l.cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{l.usage},
		}
		if l.withLoopbackIP {
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return fmt.Errorf("certificate %s: %w", l.cn, err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return fmt.Errorf("key %s: %w", l.cn, err)
		}
		if err := writePEM(l.cert, "CERTIFICATE", der); err != nil {
			return err
		}
		if err := writePEM(l.key, "EC PRIVATE KEY", kder); err != nil {
			return err
		}
	}
	return nil
}

func writePEM(path, typ string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ClientTLS is the configuration a client of an etcd started with these
// certificates dials with: the server verified against the CA, and the
// client certificate presented.
func (c *Certs) ClientTLS() (*tls.Config, error) {
	b, err := os.ReadFile(c.CA)
	if err != nil {
		return nil, fmt.Errorf("read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA %s: no PEM certificate in it", c.CA)
	}
	pair, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
	if err != nil {
		return nil, fmt.Errorf("client certificate %s: %w", c.ClientCert, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{pair}}, nil
}
