package audit

import (
	"regexp"
	"strings"
)

// The secrets a record must never hold, wherever they appear in it (a
// diff, a command, a path).
var (
	// A userlist user's password or its hash: `user x password <hash>`,
	// `user x insecure-password <pw>` (in a diff, behind its +/-).
	userPassword = regexp.MustCompile(`(\buser\s+\S+\s+(?:password|insecure-password)\s+)\S+`)
	// A PEM private key block, or what is left of one cut short.
	privateKey = regexp.MustCompile(`(?s)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`)
	// Basic credentials, as an HTTP header or in a URL.
	basicAuth = regexp.MustCompile(`(?i)(authorization:\s*basic\s+)\S+`)
	urlCreds  = regexp.MustCompile(`(://[^/\s:@]+:)[^/\s@]+@`)
)

// Redacted is the placeholder of a removed secret.
const Redacted = "<redacted>"

// Redact returns s with every password, private key and basic credential
// replaced by Redacted.
//
// Each pattern runs only on a text holding what any match of it must hold
// (the case-sensitive "password" and "PRIVATE KEY-----", the ':' after
// "authorization" and "basic" in any case, both "://" and "@"): most texts hold none, and the four
// regular expressions would cost every audited request microseconds for
// nothing.
func Redact(s string) string {
	if strings.Contains(s, "password") {
		s = userPassword.ReplaceAllString(s, "${1}"+Redacted)
	}
	if strings.Contains(s, "PRIVATE KEY-----") {
		s = privateKey.ReplaceAllString(s, "-----BEGIN ${1}PRIVATE KEY----- "+Redacted)
	}
	if strings.Contains(s, ":") {
		if containsFold(s, "basic") {
			s = basicAuth.ReplaceAllString(s, "${1}"+Redacted)
		}
		if strings.Contains(s, "://") && strings.Contains(s, "@") {
			s = urlCreds.ReplaceAllString(s, "${1}"+Redacted+"@")
		}
	}
	return s
}

// containsFold reports whether s holds the lower-case ASCII word sub in
// any case, without copying s.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// redact redacts every text of rec.
func redact(rec *Record) {
	rec.Diff = Redact(rec.Diff)
	rec.Path = Redact(rec.Path)
	for i, c := range rec.Commands {
		rec.Commands[i] = Redact(c)
	}
}
