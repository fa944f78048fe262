package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Every value that becomes configuration text passes one of these checks
// here, whatever the HTTP layer already checked: config-parser escapes
// nothing, and a newline, a '#' or a stray quote in a value would write a
// line nobody asked for.

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// InvalidError says which field holds a value that cannot become
// configuration text. It wraps ErrInvalid.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}

func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// CheckName checks a section or object name: ^[A-Za-z0-9_.:-]+$.
func CheckName(field, v string) error {
	if !namePattern.MatchString(v) {
		return invalid(field, "%q must match ^[A-Za-z0-9_.:-]+$", v)
	}
	return nil
}

// checkWord checks a value written as one configuration word: no blanks, no
// quotes, no backslash, no '#', no control characters.
func checkWord(field, v string) error {
	if v == "" {
		return invalid(field, "must not be empty")
	}
	if !utf8.ValidString(v) {
		return invalid(field, "must be valid UTF-8")
	}
	for _, r := range v {
		switch {
		case r < 0x20 || r == 0x7f:
			return invalid(field, "control characters (newline, tab...) are not allowed")
		case r == ' ':
			return invalid(field, "%q must be one word, without spaces", v)
		case r == '"' || r == '\'' || r == '\\':
			return invalid(field, "%q must not contain quotes or backslashes", v)
		case r == '#':
			return invalid(field, "%q must not contain '#' (it starts a comment)", v)
		}
	}
	return nil
}

// checkText checks a value written verbatim as the rest of a line
// (description, log-format): no control characters, no comment, balanced
// quotes, and single spaces between words outside quotes, so that reading
// the line back gives exactly the value.
func checkText(field, v string) error {
	if v == "" {
		return invalid(field, "must not be empty")
	}
	if !utf8.ValidString(v) {
		return invalid(field, "must be valid UTF-8")
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return invalid(field, "control characters (newline, tab...) are not allowed")
		}
	}
	if err := checkQuotes(v); err != nil {
		return invalid(field, "%v", err)
	}
	words, comment := splitWords(v)
	if comment != "" || startsComment(v) {
		return invalid(field, "%q must not contain an unquoted '#' (it starts a comment)", v)
	}
	if strings.Join(words, " ") != v {
		return invalid(field, "%q must not have leading, trailing or repeated spaces outside quotes", v)
	}
	return nil
}

// startsComment reports whether v holds a '#' that HAProxy would read as
// the start of a comment: outside quotes and not escaped. HAProxy's rules,
// not config-parser's (which treats `\\#` as an escaped '#').
func startsComment(v string) bool {
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote != '\'' && c == '\\':
			i++ // escapes the next character
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && c == '#':
			return true
		}
	}
	return false
}

// checkQuotes reports unbalanced quotes the way HAProxy reads them: a
// backslash escapes the next character outside single quotes.
func checkQuotes(v string) error {
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote == 0 && c == '\\':
			i++
		case quote == '"' && c == '\\':
			i++
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		}
	}
	if quote != 0 {
		return fmt.Errorf("unbalanced %c quote", quote)
	}
	return nil
}

// checkEnum checks v against the allowed values.
func checkEnum(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// checkRange checks an integer against inclusive bounds.
func checkRange(field string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return invalid(field, "%d is out of range %d..%d", v, lo, hi)
	}
	return nil
}

// checkAddressPort checks a server or bind address with its optional port:
// the address is one word; a port goes in its own field (an address such
// as "10.0.0.1:80" would read back differently), except inside an IPv6
// literal; unix sockets take no port.
func checkAddressPort(field, addr string, port *int64) error {
	if err := checkWord(field, addr); err != nil {
		return err
	}
	if strings.HasPrefix(addr, "[") || strings.HasSuffix(addr, "]") {
		return invalid(field, "%q: give an IPv6 address without brackets", addr)
	}
	if isSocketPath(addr) {
		if port != nil {
			return invalid("port", "a unix socket address (%q) takes no port", addr)
		}
		return nil
	}
	host := addr
	if _, rest, ok := strings.Cut(addr, "@"); ok {
		host = rest
	}
	if strings.Contains(host, ":") && !strings.Contains(host, "$") {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return invalid(field, "%q: put the port in the port field", addr)
		}
	}
	return nil
}

func isSocketPath(addr string) bool {
	for _, p := range []string{"/", "unix@", "abns@", "fd@", "sockpair@"} {
		if strings.HasPrefix(addr, p) {
			return true
		}
	}
	return false
}
