package certstore

import (
	"dataplane/internal/fault"
	"fmt"
	"strings"
)

// CrtListEntry is one line of a crt-list file (the v3
// `ssl_crt_list_entry`): `<file> [<ssl_bind_config>] [<sni_filter>...]`.
type CrtListEntry struct {
	File          string   `json:"file"`
	LineNumber    int      `json:"line_number"`
	SSLBindConfig string   `json:"ssl_bind_config,omitempty"`
	SNIFilter     []string `json:"sni_filter,omitempty"`
}

// ParseCrtList reads the entries of a crt-list file; comment and blank
// lines are skipped, line numbers count every line from 1.
func ParseCrtList(data []byte) ([]CrtListEntry, error) {
	var out []CrtListEntry
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		e := CrtListEntry{LineNumber: i + 1}
		file, rest, _ := strings.Cut(t, " ")
		e.File = file
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]")
			if end < 0 {
				return nil, fmt.Errorf("%w: crt-list line %d: '[' without ']'", ErrBadCrtList, i+1)
			}
			e.SSLBindConfig = strings.TrimSpace(rest[1:end])
			rest = rest[end+1:]
		}
		e.SNIFilter = strings.Fields(rest)
		out = append(out, e)
	}
	return out, nil
}

// Line renders an entry as its crt-list line, after checking every part
// is plain text on one line: a value that would end the line, open a
// comment or a bracket of its own is refused.
func (e CrtListEntry) Line() (string, error) {
	if e.File == "" || strings.ContainsAny(e.File, " \t#[]") || !printable(e.File) {
		return "", fmt.Errorf("%w: file %q must be one word without '#', '[' or ']'", ErrBadCrtList, e.File)
	}
	parts := []string{e.File}
	if e.SSLBindConfig != "" {
		if strings.ContainsAny(e.SSLBindConfig, "#[]") || !printable(e.SSLBindConfig) {
			return "", fmt.Errorf("%w: ssl_bind_config %q must be printable, without '#', '[' or ']'", ErrBadCrtList, e.SSLBindConfig)
		}
		parts = append(parts, "["+e.SSLBindConfig+"]")
	}
	for _, f := range e.SNIFilter {
		if f == "" || strings.ContainsAny(f, " \t#[]") || !printable(f) {
			return "", fmt.Errorf("%w: sni_filter %q must be one word without '#', '[' or ']'", ErrBadCrtList, f)
		}
		parts = append(parts, f)
	}
	return strings.Join(parts, " "), nil
}

// CheckCrtList checks a whole crt-list file: one entry per line, each
// rendering back to itself.
func CheckCrtList(data []byte) error {
	if !printableText(string(data)) {
		return fmt.Errorf("%w: control characters other than newlines", ErrBadCrtList)
	}
	entries, err := ParseCrtList(data)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := e.Line(); err != nil {
			return fmt.Errorf("line %d: %w", e.LineNumber, err)
		}
	}
	return nil
}

// ErrBadCrtList is the kind of every refusal of a crt-list.
var ErrBadCrtList = fault.Sentinel(fault.Invalid, "invalid crt-list")

func printable(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

func printableText(s string) bool {
	for _, r := range s {
		if (r < ' ' && r != '\n' && r != '\r' && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}
