package api

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"dataplane/internal/rtserver"
)

// Fast bodies. The body of a frequent, small request (a runtime server
// PUT: `{"weight": 20}`) costs kin-openapi more than the rest of the
// request on our side: it decodes the JSON into maps and walks the schema.
// For such an operation a short scanner accepts the plain bodies clients
// send, and only those it can prove valid: a JSON object of known keys,
// each once, with values the schema and the strict decoding both accept,
// and nothing else. It never refuses anything: a body it is not sure of
// (an escape, a number with a fraction, a key it does not know, a value
// out of range, a duplicate key, bytes past the object) goes through
// kin-openapi and decodeBody as before, so every refusal is the one it
// always was. A body it accepts is handed to the handler decoded, as
// decodeStrict would have decoded it (TestFastBodiesAgree holds both to
// that, body by body).

// fastBody parses a body of one operation; ok is false when the body must
// take the general path.
type fastBody func(b []byte) (v any, ok bool)

// maxFastBody bounds the bodies the scanners look at: the plain bodies
// they accept are far shorter.
const maxFastBody = 512

// fastBodies are the scanners, by operationId.
var fastBodies = map[string]fastBody{
	"replaceRuntimeServer": func(b []byte) (any, bool) { return scanRuntimeServer(b) },
}

type prevalidatedKey struct{}

// withPrevalidated passes the decoded body v on to the handler.
func withPrevalidated(r *http.Request, v any) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), prevalidatedKey{}, v))
}

// prevalidated returns the body a fast scanner decoded for r, if any.
func prevalidated[T any](r *http.Request) (T, bool) {
	v, ok := r.Context().Value(prevalidatedKey{}).(T)
	return v, ok
}

// readSmallBody reads r's body when it is JSON of a known length that a
// scanner may accept, and puts it back for whoever reads it next (the
// general path included): as read, followed by the error that stopped the
// read, if any. ok is false when the body was not read, or not whole.
func readSmallBody(r *http.Request) ([]byte, bool) {
	if r.ContentLength <= 0 || r.ContentLength > maxFastBody || r.Header.Get("Content-Type") != "application/json" {
		return nil, false
	}
	b := make([]byte, 0, r.ContentLength)
	for len(b) < cap(b) {
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF && len(b) == cap(b) {
			break
		}
		if err != nil {
			// Whoever reads next gets the same bytes and the same end.
			again := []io.Reader{bytes.NewReader(b)}
			if err != io.EOF {
				again = append(again, errReader{err})
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(again...), r.Body}
			return nil, false
		}
	}
	// The end of the body must be seen, as io.ReadAll would.
	var extra [1]byte
	if n, err := r.Body.Read(extra[:]); n > 0 || err != io.EOF {
		again := []io.Reader{bytes.NewReader(b), bytes.NewReader(extra[:n])}
		switch {
		case err == nil:
			again = append(again, r.Body)
		case err != io.EOF:
			again = append(again, errReader{err})
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(again...), r.Body}
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, true
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// scanRuntimeServer accepts `{"weight": 20}` and the like: an object whose
// keys are among the writable fields of runtime_server, each once, with
// admin_state and operational_state from their enums, weight 0..256, port
// 1..65535, and address a non-empty string of hex digits, dots and colons
// (an IP address or not: the handler says which), without escapes.
func scanRuntimeServer(b []byte) (rtserver.Server, bool) {
	var out rtserver.Server
	s := scanner{b: b}
	var seen uint8
	ok := s.object(func(key string) bool {
		var bit uint8
		switch key {
		case "admin_state":
			bit = 1
			out.AdminState, _ = s.oneOf("ready", "maint", "drain")
			if out.AdminState == "" {
				return false
			}
		case "operational_state":
			bit = 2
			out.OperationalState, _ = s.oneOf("up", "down", "stopping")
			if out.OperationalState == "" {
				return false
			}
		case "weight":
			bit = 4
			n, ok := s.uint(0, 256)
			if !ok {
				return false
			}
			out.Weight = &n
		case "port":
			bit = 8
			n, ok := s.uint(1, 65535)
			if !ok {
				return false
			}
			out.Port = &n
		case "address":
			bit = 16
			v, ok := s.str()
			if !ok || v == "" || len(v) > 64 || !isAddrChars(v) {
				return false
			}
			out.Address = v
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	return out, ok
}

func isAddrChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// scanner reads the plain JSON the fast scanners accept: objects, strings
// of printable ASCII without escapes, and unsigned integers without sign,
// fraction or exponent.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) next(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads a whole body: one object, member reads the value of each
// key, and nothing but white space may follow.
func (s *scanner) object(member func(key string) bool) bool {
	s.ws()
	if !s.next('{') {
		return false
	}
	s.ws()
	if !s.next('}') {
		for {
			key, ok := s.str()
			if !ok {
				return false
			}
			s.ws()
			if !s.next(':') {
				return false
			}
			s.ws()
			if !member(key) {
				return false
			}
			s.ws()
			if s.next(',') {
				s.ws()
				continue
			}
			if s.next('}') {
				break
			}
			return false
		}
	}
	s.ws()
	return s.i == len(s.b)
}

// str reads a string of printable ASCII without escapes.
func (s *scanner) str() (string, bool) {
	if !s.next('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := string(s.b[start:s.i])
			s.i++
			return v, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return "", false
		}
		s.i++
	}
	return "", false
}

// oneOf reads a string that is one of values.
func (s *scanner) oneOf(values ...string) (string, bool) {
	v, ok := s.str()
	if !ok {
		return "", false
	}
	for _, want := range values {
		if v == want {
			return want, true
		}
	}
	return "", false
}

// uint reads an integer between lo and hi (both at most 5 digits long),
// written as JSON does: no sign, no leading zero, no fraction or exponent.
func (s *scanner) uint(lo, hi int64) (int64, bool) {
	start := s.i
	var n int64
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' && s.i-start < 6 {
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 5 || digits > 1 && s.b[start] == '0' || n < lo || n > hi {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}
