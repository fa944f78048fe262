package runtime

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSLRefusesBeforeSending: names and payloads that would inject
// commands or end a payload early are refused with ErrInvalidArgument, on
// a socket that does not exist: a refusal that dialled would be
// ErrUnavailable.
func TestSSLRefusesBeforeSending(t *testing.T) {
	c := New(filepath.Join(t.TempDir(), "none.sock"))
	ctx := context.Background()
	good := "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	cases := []struct {
		what string
		run  func() error
	}{
		{"a name with a space", func() error { return c.SetSSLCert(ctx, "/a b.pem", good) }},
		{"a name with a newline", func() error { return c.CommitSSLCert(ctx, "/a\nshow info") }},
		{"a name with ;", func() error { return c.AbortSSLCert(ctx, "/a.pem;show info") }},
		{"a name asking for a payload", func() error { return c.NewSSLCert(ctx, "/a.pem<<") }},
		{"a name with ..", func() error { return c.DelSSLCert(ctx, "/ssl/../etc/x.pem") }},
		{"a payload with a blank line", func() error { return c.SetSSLCert(ctx, "/a.pem", "line\n\nshow info\n") }},
		{"a payload of blanks only", func() error { return c.SetSSLCert(ctx, "/a.pem", "\n\n") }},
		{"a payload with a CR", func() error { return c.SetSSLCert(ctx, "/a.pem", "line\r\nline\n") }},
		{"a payload with NUL", func() error { return c.SetSSLCert(ctx, "/a.pem", "li\x00ne\n") }},
		{"a payload line of spaces", func() error { return c.SetSSLCert(ctx, "/a.pem", "a\n   \nb\n") }},
		{"a crt-list line with a blank line", func() error { return c.AddCrtListEntry(ctx, "/l.txt", "a.pem\n\nb.pem") }},
		{"a crt-list cert with a space", func() error { return c.DelCrtListEntry(ctx, "/l.txt", "a b.pem", 0) }},
		{"a replacement with a blank line", func() error { return c.ReplaceSSLCert(ctx, "/a.pem", "a\n\nb") }},
		{"a CA file payload with a blank line", func() error { return c.ReplaceSSLFile(ctx, CAFile, "/ca.pem", "a\n\nb", false) }},
	}
	for _, tc := range cases {
		err := tc.run()
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", tc.what, err)
		}
		if err != nil && strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: the error quotes the payload: %v", tc.what, err)
		}
	}
	// A valid request does reach for the socket.
	if err := c.SetSSLCert(ctx, "/a.pem", good); !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "AAAA") {
		t.Fatalf("a valid set: %v, want ErrUnavailable without the payload", err)
	}
}

func TestParseCertInfo(t *testing.T) {
	in := parseCertInfo(`Filename: */ssl/site.pem
Status: Unused
Serial: 03E9
notBefore: Dec  1 23:21:08 2026 GMT
notAfter: Dec 31 23:21:08 2027 GMT
Subject Alternative Name: DNS:one.test, IP Address:127.0.0.1
Algorithm: EC256
SHA1 FingerPrint: 1587D37505E0BC780C6ADC5D85A63158830B6268
Subject: /CN=one.test
Issuer: /CN=one.test
Chain Subject: /CN=ca
`)
	if in.Filename != "/ssl/site.pem" || in.Status != "Unused" || in.Serial != "03E9" || in.Algorithm != "EC256" ||
		in.Subject != "/CN=one.test" || in.SANs != "DNS:one.test, IP Address:127.0.0.1" ||
		in.NotBefore == nil || in.NotBefore.Format("2006-01-02T15:04:05") != "2026-12-01T23:21:08" ||
		in.NotAfter == nil || in.NotAfter.Year() != 2027 || in.NotAfter.Day() != 31 {
		t.Fatalf("parsed: %+v", in)
	}
}

func TestDeletedReply(t *testing.T) {
	for reply, ok := range map[string]bool{
		"Certificate '/a.pem' deleted!\n":                                                true,
		"CA file '/ca.pem' deleted!\n":                                                   true,
		"Entry '/a.pem' deleted in crtlist '/l.txt'!\n":                                  true,
		"Can't remove the CA file: CA file '/ca.pem' in use, can't be deleted!\n":        false,
		"Can't remove the certificate: certificate '/a.pem' in use, can't be deleted!\n": false,
	} {
		if deletedReply(reply) != ok {
			t.Errorf("deletedReply(%q) = %v", reply, !ok)
		}
	}
}

func TestSSLReplyKinds(t *testing.T) {
	for reply, kind := range map[string]error{
		"Can't remove the certificate: certificate '/a.pem' in use, can't be deleted!\n":                 ErrInUse,
		"Can't replace a certificate which is not referenced by the configuration!\n":                    ErrNotFound,
		"inconsistencies between private key and certificate loaded '/a.pem'.\nCan't commit /a.pem!\n":   ErrUnsupported,
		"unable to load certificate from file '/a.pem'.\nCan't load the payload\nCan't update /a.pem!\n": ErrUnsupported,
	} {
		if err := sslCommandError("x", reply); !errors.Is(err, kind) {
			t.Errorf("%q: %v, want %v", reply, err, kind)
		}
	}
}
