package certstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"dataplane/internal/fault"
)

// ErrBadPEM is the kind of every refusal of a PEM file.
var ErrBadPEM = fault.Sentinel(fault.Invalid, "invalid PEM")

// Bundle is a parsed PEM file: its certificates in file order (the leaf
// first), its private key if any, and the blocks re-encoded without
// anything around them.
type Bundle struct {
	Certs []*x509.Certificate
	Key   crypto.PrivateKey // nil for a file of certificates only (a CA file)
	// Clean is the blocks of the file re-encoded: no text between them,
	// no blank line, so it is a valid CLI payload (a blank line ends one).
	Clean []byte
}

// Parse reads a PEM file of certificates and at most one private key.
// With a key it checks the key matches the first certificate, and that
// each certificate is issued by the one after it (HAProxy sends the chain
// as it is in the file). It refuses anything it cannot be sure HAProxy
// reads the same way: text outside the blocks, encrypted keys, blocks
// with headers, unknown block types.
func Parse(data []byte) (*Bundle, error) {
	b := &Bundle{}
	var clean bytes.Buffer
	rest := data
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			if strings.TrimSpace(string(rest)) != "" {
				return nil, fmt.Errorf("%w: text that is not a PEM block at byte %d", ErrBadPEM, len(data)-len(rest))
			}
			break
		}
		if i := bytes.Index(rest, []byte("-----BEGIN")); len(bytes.TrimSpace(rest[:i])) > 0 {
			return nil, fmt.Errorf("%w: text before the %s block at byte %d", ErrBadPEM, block.Type, len(data)-len(rest))
		}
		rest = r
		if len(block.Headers) > 0 {
			return nil, fmt.Errorf("%w: the %s block has headers (an encrypted key?): HAProxy cannot read it without a passphrase", ErrBadPEM, block.Type)
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: certificate %d: %v", ErrBadPEM, len(b.Certs)+1, err)
			}
			b.Certs = append(b.Certs, c)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if b.Key != nil {
				return nil, fmt.Errorf("%w: more than one private key", ErrBadPEM)
			}
			k, err := parseKey(block)
			if err != nil {
				return nil, fmt.Errorf("%w: private key: %v", ErrBadPEM, err)
			}
			b.Key = k
		case "EC PARAMETERS", "DH PARAMETERS":
			// OpenSSL writes EC PARAMETERS before an EC key; DH
			// parameters may ride with a certificate. HAProxy reads both.
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("%w: the private key is encrypted: HAProxy cannot read it without a passphrase", ErrBadPEM)
		default:
			return nil, fmt.Errorf("%w: unexpected %q block", ErrBadPEM, block.Type)
		}
		if err := pem.Encode(&clean, &pem.Block{Type: block.Type, Bytes: block.Bytes}); err != nil {
			return nil, fmt.Errorf("encode %s: %w", block.Type, err)
		}
	}
	if len(b.Certs) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrBadPEM)
	}
	if b.Key != nil {
		if err := keyMatches(b.Certs[0], b.Key); err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(b.Certs); i++ {
			if err := b.Certs[i].CheckSignatureFrom(b.Certs[i+1]); err != nil {
				return nil, fmt.Errorf("%w: certificate %d (%s) is not issued by certificate %d (%s): put the chain in order, leaf first",
					ErrBadPEM, i+1, b.Certs[i].Subject, i+2, b.Certs[i+1].Subject)
			}
		}
	}
	b.Clean = clean.Bytes()
	return b, nil
}

func parseKey(block *pem.Block) (crypto.PrivateKey, error) {
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	}
	return x509.ParsePKCS8PrivateKey(block.Bytes)
}

// keyMatches checks that key is the private half of cert's public key.
func keyMatches(cert *x509.Certificate, key crypto.PrivateKey) error {
	pub, ok := key.(interface{ Public() crypto.PublicKey })
	if !ok {
		return fmt.Errorf("%w: unsupported private key type %T", ErrBadPEM, key)
	}
	eq, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(pub.Public()) {
		return fmt.Errorf("%w: the private key does not match the certificate %s", ErrBadPEM, cert.Subject)
	}
	return nil
}

// Info is what the API says about a certificate file: the v3
// `ssl_certificate` fields that come from its content.
type Info struct {
	Serial            string     `json:"serial,omitempty"`
	Subject           string     `json:"subject,omitempty"`
	Issuers           string     `json:"issuers,omitempty"`
	NotBefore         *time.Time `json:"not_before,omitempty"`
	NotAfter          *time.Time `json:"not_after,omitempty"`
	Domains           string     `json:"domains,omitempty"`
	IPAddresses       string     `json:"ip_addresses,omitempty"`
	SANs              string     `json:"subject_alternative_names,omitempty"`
	SHA1FingerPrint   string     `json:"sha1_finger_print,omitempty"`
	SHA256FingerPrint string     `json:"sha256_finger_print,omitempty"`
	Algorithm         string     `json:"algorithm,omitempty"`
	AuthorityKeyID    string     `json:"authority_key_id,omitempty"`
	SubjectKeyID      string     `json:"subject_key_id,omitempty"`
	ChainIssuer       string     `json:"chain_issuer,omitempty"`
	ChainSubject      string     `json:"chain_subject,omitempty"`
}

// Info describes the bundle's first certificate, the way HAProxy's `show
// ssl cert` does where they overlap (serial and fingerprints in upper case
// hex, the algorithm as RSA2048 or EC256).
func (b *Bundle) Info() Info {
	c := b.Certs[0]
	nb, na := c.NotBefore.UTC(), c.NotAfter.UTC()
	in := Info{
		Serial:            strings.ToUpper(hex.EncodeToString(c.SerialNumber.Bytes())),
		Subject:           c.Subject.String(),
		Issuers:           c.Issuer.String(),
		NotBefore:         &nb,
		NotAfter:          &na,
		Domains:           strings.Join(c.DNSNames, ", "),
		SHA1FingerPrint:   fingerprint(sha1.Sum(c.Raw)),
		SHA256FingerPrint: fingerprint(sha256.Sum256(c.Raw)),
		Algorithm:         algorithm(c),
		AuthorityKeyID:    strings.ToUpper(hex.EncodeToString(c.AuthorityKeyId)),
		SubjectKeyID:      strings.ToUpper(hex.EncodeToString(c.SubjectKeyId)),
	}
	var ips, sans []string
	for _, d := range c.DNSNames {
		sans = append(sans, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
		sans = append(sans, "IP:"+ip.String())
	}
	for _, e := range c.EmailAddresses {
		sans = append(sans, "email:"+e)
	}
	for _, u := range c.URIs {
		sans = append(sans, "URI:"+u.String())
	}
	in.IPAddresses = strings.Join(ips, ", ")
	in.SANs = strings.Join(sans, ", ")
	if len(b.Certs) > 1 {
		var iss, sub []string
		for _, ch := range b.Certs[1:] {
			iss = append(iss, ch.Issuer.String())
			sub = append(sub, ch.Subject.String())
		}
		in.ChainIssuer = strings.Join(iss, "; ")
		in.ChainSubject = strings.Join(sub, "; ")
	}
	return in
}

func fingerprint[T [20]byte | [32]byte](sum T) string {
	var b []byte
	switch s := any(sum).(type) {
	case [20]byte:
		b = s[:]
	case [32]byte:
		b = s[:]
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

func algorithm(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return fmt.Sprintf("EC%d", k.Curve.Params().BitSize)
	case ed25519.PublicKey:
		return "ED25519"
	}
	return c.PublicKeyAlgorithm.String()
}

// ParseCRL reads a PEM file of certificate revocation lists ("X509 CRL"
// blocks only) and returns them re-encoded, as a CLI payload.
func ParseCRL(data []byte) ([]byte, error) {
	var clean bytes.Buffer
	rest, n := data, 0
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			if strings.TrimSpace(string(rest)) != "" {
				return nil, fmt.Errorf("%w: text that is not a PEM block at byte %d", ErrBadPEM, len(data)-len(rest))
			}
			break
		}
		if i := bytes.Index(rest, []byte("-----BEGIN")); len(bytes.TrimSpace(rest[:i])) > 0 {
			return nil, fmt.Errorf("%w: text before the %s block", ErrBadPEM, block.Type)
		}
		rest = r
		if block.Type != "X509 CRL" || len(block.Headers) > 0 {
			return nil, fmt.Errorf("%w: unexpected %q block in a CRL file", ErrBadPEM, block.Type)
		}
		if _, err := x509.ParseRevocationList(block.Bytes); err != nil {
			return nil, fmt.Errorf("%w: CRL %d: %v", ErrBadPEM, n+1, err)
		}
		n++
		_ = pem.Encode(&clean, &pem.Block{Type: block.Type, Bytes: block.Bytes})
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no CRL", ErrBadPEM)
	}
	return clean.Bytes(), nil
}
