package config

import (
	"fmt"
	"os"
	"strings"
)

// HAProxy reads each word of a line through its own decoder: quotes are
// removed, backslash escapes are decoded, and environment variables are
// expanded inside double quotes ("${NAME}", "$NAME", "${NAME-default}",
// "${NAME[*]}", not inside single quotes). The words the config package
// keeps are the raw ones, quotes included, so that the file is rewritten
// byte for byte. What dataplane itself opens (the stats socket, the pid
// file, the chroot, the certificate bases) must go through the same decoder,
// or a path written "${NODE_DIR}/admin.sock" is looked for as a directory
// literally named "${NODE_DIR}" while HAProxy listens elsewhere.
//
// The rules, as HAProxy 2.6 applies them (checked with `haproxy -c` and
// `.notice` lines):
//   - outside single quotes a backslash escapes a space, a backslash, '#',
//     a quote of either kind; \t, \n, \r and \xHH stand for their byte; \$
//     is a '$' inside double quotes only; any other backslash stays;
//   - inside double quotes '$' starts a variable: its name starts with a
//     letter or '_' and goes on with letters, digits and '_'; braces are
//     optional; inside braces "[*]" after the name splits the value into
//     several words on spaces, and "-text" gives the value to use when the
//     variable is not set (an empty variable stays empty); the default is
//     taken as it is written, without escapes or variables;
//   - a variable that is not set expands to nothing, without a warning;
//   - '$' followed by anything else, an unclosed brace, a bad \x or an
//     unclosed quote are errors (`haproxy -c` refuses the file).
//
// HAProxy's pseudo-variables ${.FILE}, ${.LINE} and ${.SECTION} are refused:
// dataplane does not know where a line was read from.

// EnvLookup finds the value of an environment variable, the way HAProxy
// would: dataplane is given the same environment as HAProxy (README, fleet
// mode, per-node values). A variable for a test is set with t.Setenv.
var EnvLookup = lookupEnv

func lookupEnv(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	if !ok && name == "HAPROXY_LOCALPEER" {
		// HAProxy sets it at start-up to the host name unless -L names
		// another local peer; a dataplane HAProxy did not start does not
		// inherit it.
		if h, err := os.Hostname(); err == nil {
			return h, true
		}
	}
	return v, ok
}

// ExpandWord returns the words HAProxy reads from one raw word of a line:
// one, or several when a "${NAME[*]}" splits a value. lookup finds the
// variables (nil: EnvLookup).
func ExpandWord(raw string, lookup func(string) (string, bool)) ([]string, error) {
	if lookup == nil {
		lookup = EnvLookup
	}
	if !strings.ContainsAny(raw, `"'\`) {
		// Nothing to decode: variables expand only inside double quotes.
		return []string{raw}, nil
	}
	var words []string
	var cur []byte
	squote, dquote := false, false
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"' && !squote:
			dquote = !dquote
			i++
		case c == '\'' && !dquote:
			squote = !squote
			i++
		case c == '\\' && !squote:
			b, n, err := unescape(raw[i:], dquote)
			if err != nil {
				return nil, err
			}
			cur = append(cur, b)
			i += n
		case c == '$' && dquote:
			value, split, n, err := variable(raw[i:], lookup)
			if err != nil {
				return nil, err
			}
			i += n
			if !split {
				cur = append(cur, value...)
				continue
			}
			for j := 0; j < len(value); {
				if !isSpace(value[j]) {
					cur = append(cur, value[j])
					j++
					continue
				}
				words = append(words, string(cur))
				cur = nil
				for j < len(value) && isSpace(value[j]) {
					j++
				}
			}
		default:
			cur = append(cur, c)
			i++
		}
	}
	if squote || dquote {
		return nil, fmt.Errorf("unmatched quote in %s", raw)
	}
	return append(words, string(cur)), nil
}

// unescape decodes the backslash sequence s starts with: the byte it
// stands for and how many bytes of s it takes.
func unescape(s string, dquote bool) (byte, int, error) {
	if len(s) < 2 {
		return '\\', 1, nil
	}
	switch s[1] {
	case ' ', '\\', '#', '\'', '"':
		return s[1], 2, nil
	case 't':
		return '\t', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case '$':
		if dquote {
			return '$', 2, nil
		}
	case 'x':
		if len(s) < 4 || !isHex(s[2]) || !isHex(s[3]) {
			return 0, 0, fmt.Errorf("invalid hex escape in %s", s)
		}
		return hexVal(s[2])<<4 | hexVal(s[3]), 4, nil
	}
	return '\\', 1, nil // not an escape: the backslash stays
}

// variable reads the variable reference s starts with ('$' included): its
// value, whether "[*]" splits it into words, and how many bytes of s it
// takes.
func variable(s string, lookup func(string) (string, bool)) (value string, split bool, n int, err error) {
	i := 1
	brace := i < len(s) && s[i] == '{'
	if brace {
		i++
	}
	if i >= len(s) || !(isAlpha(s[i]) || s[i] == '_' || s[i] == '.') {
		return "", false, 0, fmt.Errorf("forbidden first character of an environment variable name in %s", s)
	}
	start := i
	if s[i] == '.' {
		i++
	}
	for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '_') {
		i++
	}
	name := s[start:i]
	if name[0] == '.' {
		return "", false, 0, fmt.Errorf("HAProxy's pseudo-variable ${%s} is not known to dataplane", name)
	}
	value, set := lookup(name)
	if !brace {
		return value, false, i, nil
	}
	if strings.HasPrefix(s[i:], "[") {
		if !strings.HasPrefix(s[i:], "[*]") {
			return "", false, 0, fmt.Errorf("only [*] may follow a variable name, in %s", s)
		}
		split = true
		i += 3
	}
	if i < len(s) && s[i] == '-' {
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", false, 0, fmt.Errorf("unmatched brace in %s", s)
		}
		if !set {
			value = s[i+1 : i+end]
		}
		return value, split, i + end + 1, nil
	}
	if i >= len(s) || s[i] != '}' {
		return "", false, 0, fmt.Errorf("unmatched brace in %s", s)
	}
	return value, split, i + 1, nil
}

// Expanded returns the words of the line as HAProxy reads them (see
// ExpandWord), with the variables of EnvLookup. A word HAProxy would refuse
// (an unclosed quote, a bad variable reference) is kept with only its outer
// quotes removed: `haproxy -c` reports it when the file is checked.
func (l Line) Expanded() []string {
	out := make([]string, 0, len(l.Words))
	for _, w := range l.Words {
		ws, err := ExpandWord(w, nil)
		if err != nil {
			out = append(out, unquote(w))
			continue
		}
		out = append(out, ws...)
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
