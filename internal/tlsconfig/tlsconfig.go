// Package tlsconfig builds the TLS configuration of dataplane's https
// listener from its settings: the server certificate (read again when its
// files change, so that a renewed certificate needs no restart), TLS 1.2
// at least, and the verification of client certificates against a CA
// (mTLS).
package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"dataplane/internal/settings"
)

// recheck is how often a handshake may look at the certificate files: a
// stat of two files per second at most, however many handshakes.
const recheck = time.Second

// Server returns the https listener's configuration. It fails when the
// certificate and key do not load or match, or when tls_ca holds no
// certificate: a listener that would refuse every client is a mistake to
// report at start, not at the first handshake.
func Server(t settings.TLS, log *slog.Logger) (*tls.Config, error) {
	kp := &keyPair{certFile: t.Certificate, keyFile: t.Key, log: log}
	if err := kp.load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: kp.get,
	}
	if t.CA == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(t.CA)
	if err != nil {
		return nil, fmt.Errorf("tls_ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls_ca %s: no PEM certificate in it", t.CA)
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	if t.ClientAuth == settings.ClientAuthOptional {
		// A certificate given must still verify: only its absence is
		// allowed (the request then needs basic auth).
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// keyPair is the server certificate, loaded again when its files change.
type keyPair struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string    // the files' sizes and modification times when cert was loaded
	failed  string    // the stamp that last failed to load, warned about once
	checked time.Time // when the files were last looked at
}

// fileStamp identifies the current contents of the certificate and key files
// cheaply: their sizes and modification times.
func (k *keyPair) fileStamp() (string, error) {
	var b []byte
	for _, f := range []string{k.certFile, k.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		b = fmt.Appendf(b, "%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return string(b), nil
}

// load reads the certificate and the key.
func (k *keyPair) load() error {
	stamp, err := k.fileStamp()
	if err != nil {
		return fmt.Errorf("tls_certificate and tls_key: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		// LoadX509KeyPair's messages name neither file.
		return fmt.Errorf("tls_certificate %s and tls_key %s: %w", k.certFile, k.keyFile, err)
	}
	k.cert, k.stamp, k.checked = &cert, stamp, time.Now()
	return nil
}

// get is tls.Config.GetCertificate: the loaded certificate, loaded again
// first when its files changed. A change that does not load (a
// certificate written before its key, a half-copied file) keeps the
// previous certificate, with a warning, and is tried again at the next
// look.
func (k *keyPair) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.checked) < recheck {
		return k.cert, nil
	}
	k.checked = time.Now()
	stamp, err := k.fileStamp()
	if err != nil || stamp == k.stamp || stamp == k.failed {
		return k.cert, nil
	}
	prev := k.cert
	if err := k.load(); err != nil {
		k.cert, k.failed = prev, stamp
		if k.log != nil {
			k.log.Warn("the TLS certificate files changed and do not load: serving the previous certificate", "error", err)
		}
		return prev, nil
	}
	if k.log != nil {
		k.log.Info("TLS certificate loaded again", "file", k.certFile)
	}
	return k.cert, nil
}

// Client is the tls.Config dataplane dials a TLS service with (etcd in
// fleet mode): TLS 1.2+, the server verified against the PEM CAs in ca
// (the system's when ""), and the client certificate certFile/keyFile
// when given.
func Client(ca, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("read CA %s: %w", ca, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("CA %s: no PEM certificate in it", ca)
		}
		cfg.RootCAs = pool
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s: %w", certFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
