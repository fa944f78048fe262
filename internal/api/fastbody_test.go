package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dataplane/api"
	"dataplane/internal/rtserver"
)

// fastBodyCases are bodies of a runtime server PUT: plain ones the scanner
// takes, and all kinds of others it must leave to kin-openapi and
// decodeStrict.
var fastBodyCases = []string{
	// Plain: taken by the scanner.
	`{"weight": 20}`, `{"weight":0}`, `{"weight":256}`, `{"weight":1}`, `{}`, ` { } `,
	"\t{\r\n\"weight\" :\n 7 }\n",
	`{"admin_state": "ready"}`, `{"admin_state": "maint"}`, `{"admin_state": "drain"}`,
	`{"operational_state": "up"}`, `{"operational_state": "down"}`, `{"operational_state": "stopping"}`,
	`{"port": 1}`, `{"port": 65535}`, `{"port": 8080, "address": "10.0.0.1"}`,
	`{"address": "::1"}`, `{"address": "fe80::1:2"}`, `{"address": "1.2.3"}`, `{"address": "abc"}`,
	`{"address": "::ffff:10.0.0.1", "port": 80, "weight": 10, "admin_state": "drain", "operational_state": "up"}`,
	// Numbers the scanner does not take.
	`{"weight": 257}`, `{"weight": -1}`, `{"weight": -0}`, `{"weight": 00}`, `{"weight": 01}`,
	`{"weight": 1.0}`, `{"weight": 1.5}`, `{"weight": 1e2}`, `{"weight": 1E2}`, `{"weight": 2e-1}`,
	`{"weight": 100000}`, `{"weight": 99999999999999999999}`, `{"weight": "20"}`, `{"weight": null}`,
	`{"weight": true}`, `{"weight": [1]}`, `{"weight": {}}`, `{"weight": }`, `{"weight": 1 2}`,
	`{"port": 0}`, `{"port": 65536}`, `{"port": 080}`, `{"port": 8080.0}`,
	// Strings.
	`{"admin_state": "READY"}`, `{"admin_state": "\u0072eady"}`, `{"admin_state": "ready "}`,
	`{"admin_state": ""}`, `{"admin_state": null}`, `{"admin_state": 1}`, `{"operational_state": "maint"}`,
	`{"address": ""}`, `{"address": " 10.0.0.1"}`, `{"address": "10.0.0.1;"}`, `{"address": "a b"}`,
	`{"address": "host.example"}`, `{"address": "10.0.0.1\n"}`, "{\"address\": \"10.0.0.1\t\"}",
	`{"address": "1\u002e2.3.4"}`, `{"address": "é"}`, "{\"address\": \"\xff\"}", `{"address": "#"}`,
	`{"address": "` + strings.Repeat("1", 65) + `"}`, `{"address": 10}`,
	// Keys.
	`{"weight": 1, "weight": 2}`, `{"weight": 1, "weight": 1}`, `{"admin_state": "ready", "admin_state": "maint"}`,
	`{"Weight": 1}`, `{"weight ": 1}`, `{"w\u0065ight": 1}`, `{"bogus": 1}`, `{"name": "s1"}`, `{"id": "1"}`,
	`{"uweight": 3}`, `{"use_ssl": false}`, `{"backend_name": "be"}`, `{"": 1}`, `{weight: 1}`, `{'weight': 1}`,
	// Shapes.
	``, ` `, `null`, `[]`, `[{"weight": 1}]`, `"weight"`, `1`, `{`, `}`, `{"weight": 1`, `{"weight": 1,}`,
	`{,"weight": 1}`, `{"weight" 1}`, `{"weight": 1}{"weight": 2}`, `{"weight": 1} x`, `{"weight": 1}}`,
	"\ufeff{\"weight\": 1}", "{\"weight\": 1}\x00", "\x00{\"weight\": 1}", `{"weight": 1} // comment`,
	strings.Repeat(" ", 600) + `{"weight": 1}`,
}

// fastBodyChain is the validator and limitBody in front of a handler that
// decodes the body as replaceRuntimeServer does and answers with it; fast
// says whether the scanners are in use.
func fastBodyChain(t testing.TB, fast bool) http.Handler {
	t.Helper()
	spec, err := api.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := newValidator(spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.fast) != len(fastBodies) {
		t.Fatalf("%d scanners in use, %d declared: an operationId of fastBodies is not in the spec", len(v.fast), len(fastBodies))
	}
	if !fast {
		v.fast = nil
	}
	s := &Server{log: slog.New(slog.DiscardHandler), d: Deps{MaxBodySize: 1 << 20}, bodies: byteBudget{limit: 2 << 20}}
	handler := s.wrap(func(r *http.Request) (*response, error) {
		body, ok := prevalidated[rtserver.Server](r)
		if !ok {
			if err := decodeBody(r, &body); err != nil {
				return nil, err
			}
		}
		resp := jsonResponse(http.StatusOK, body)
		if ok {
			resp.header.Set("X-Fast", "1") // taken out before answers are compared
		}
		return resp, nil
	})
	return s.limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { v.check(w, r, handler, s.log) }))
}

type recorded struct {
	status int
	header http.Header
	body   string
}

func serve(h http.Handler, r *http.Request) recorded {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return recorded{w.Code, w.Header(), w.Body.String()}
}

// TestFastBodiesAgree: with the fast scanner or without it, every body of
// a runtime server PUT gets the same answer (status, headers, message or
// decoded body), and the scanner takes the plain bodies.
func TestFastBodiesAgree(t *testing.T) {
	fast, slow := fastBodyChain(t, true), fastBodyChain(t, false)
	const path = "/v3/services/haproxy/runtime/backends/be_1/servers/s1"
	taken := 0
	compare := func(name string, mk func() *http.Request) {
		t.Helper()
		a, b := serve(fast, mk()), serve(slow, mk())
		if a.header.Get("X-Fast") != "" {
			taken++
			a.header.Del("X-Fast")
			if a.status != http.StatusOK {
				t.Errorf("%s: taken by the scanner, answered %d", name, a.status)
			}
		}
		if a.status != b.status || a.body != b.body || !equalHeaders(a.header, b.header) {
			t.Errorf("%s:\nfast: %d %v %s\nslow: %d %v %s", name, a.status, a.header, a.body, b.status, b.header, b.body)
		}
	}
	contentTypes := []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain", "", "application/x-www-form-urlencoded"}
	for _, body := range fastBodyCases {
		for _, ct := range contentTypes {
			compare(body+" as "+ct, func() *http.Request {
				r := httptest.NewRequest(http.MethodPut, path, strings.NewReader(body))
				if ct != "" {
					r.Header.Set("Content-Type", ct)
				}
				return r
			})
		}
	}
	plain := 0
	for _, body := range fastBodyCases {
		if _, ok := scanRuntimeServer([]byte(body)); ok && len(body) <= maxFastBody {
			plain++
		}
	}
	if taken != plain || plain < 20 {
		t.Errorf("the scanner took %d requests, want %d (its plain bodies as application/json)", taken, plain)
	}

	// Bad path parameters and a query: the general path says so.
	for _, p := range []string{
		"/v3/services/haproxy/runtime/backends/be%20x/servers/s1",
		"/v3/services/haproxy/runtime/backends/be_1/servers/s%241",
		"/v3/services/haproxy/runtime/backends/be_1/servers/s%3A1",
		path + "?version=1", path + "?force_reload=maybe",
	} {
		compare(p, func() *http.Request {
			r := httptest.NewRequest(http.MethodPut, p, strings.NewReader(`{"weight": 1}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		})
	}

	// Bodies cut short, a length that lies, a body of unknown length.
	cut := func(body string, length int64, err error) func() *http.Request {
		return func() *http.Request {
			var rd io.Reader = strings.NewReader(body)
			if err != nil {
				rd = io.MultiReader(rd, errReader{err})
			}
			r := httptest.NewRequest(http.MethodPut, path, rd)
			r.ContentLength = length
			r.Header.Set("Content-Type", "application/json")
			return r
		}
	}
	compare("cut short", cut(`{"weight"`, 14, io.ErrUnexpectedEOF))
	compare("broken", cut(`{"weight": 1}`, 13, errors.New("connection reset")))
	compare("shorter than said", cut(`{"weight": 1}`, 20, nil))
	compare("longer than said", cut(`{"weight": 1}   `, 13, nil))
	compare("length unknown", cut(`{"weight": 1}`, -1, nil))
	compare("over the limit", func() *http.Request {
		r := httptest.NewRequest(http.MethodPut, path, bytes.NewReader(make([]byte, 2<<20)))
		r.Header.Set("Content-Type", "application/json")
		return r
	})
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb := b[k]
		if strings.Join(va, "\n") != strings.Join(vb, "\n") {
			return false
		}
	}
	return true
}

// FuzzFastBodies: any body the scanner takes is one the general path
// accepts and decodes to the same value.
func FuzzFastBodies(f *testing.F) {
	for _, b := range fastBodyCases {
		f.Add([]byte(b))
	}
	fast, slow := fastBodyChain(f, true), fastBodyChain(f, false)
	const path = "/v3/services/haproxy/runtime/backends/be_1/servers/s1"
	f.Fuzz(func(t *testing.T, body []byte) {
		mk := func() *http.Request {
			r := httptest.NewRequest(http.MethodPut, path, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}
		a, b := serve(fast, mk()), serve(slow, mk())
		a.header.Del("X-Fast")
		if a.status != b.status || a.body != b.body || !equalHeaders(a.header, b.header) {
			t.Errorf("%q:\nfast: %d %s\nslow: %d %s", body, a.status, a.body, b.status, b.body)
		}
	})
}
