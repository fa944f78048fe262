package auth

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dataplane/internal/apierror"
	"dataplane/internal/role"
)

func TestMiddleware(t *testing.T) {
	v := vec(t, "sha512crypt")
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := mustNew(t, []User{
		{Name: "admin", Password: v.hash, Role: role.Admin},
		{Name: "ops", Password: "ops pw", Insecure: true, Role: role.Operator},
	}, Options{Logger: logger})
	wantRole := map[string]role.Role{"admin": role.Admin, "ops": role.Operator}

	basic := func(user, pw string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
	}
	tests := []struct {
		name     string
		header   string // Authorization; "" = none
		wantUser string // "" = expect 401
		wantMsg  string
		wantLog  string
	}{
		{"no header", "", "", "authentication required", "no credentials"},
		{"wrong scheme", "Bearer abc", "", "authentication required: send HTTP basic credentials", "malformed"},
		{"bad base64", "Basic !!!not-base64", "", "authentication required: send HTTP basic credentials", "malformed"},
		{"no colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin")), "", "authentication required: send HTTP basic credentials", "malformed"},
		{"wrong password", basic("admin", "nope"), "", "invalid credentials", `reason="wrong password" user=admin`},
		{"empty password", basic("admin", ""), "", "invalid credentials", "user=admin"},
		{"unknown user", basic("mallory", v.password), "", "invalid credentials", `reason="unknown user" user=mallory`},
		{"good hash", basic("admin", v.password), "admin", "", ""},
		{"good plain", basic("ops", "ops pw"), "ops", "", ""},
		{"scheme is case-insensitive", "basic " + base64.StdEncoding.EncodeToString([]byte("ops:ops pw")), "ops", "", ""},
		{"colon in password", basic("ops", "ops pw:"), "", "invalid credentials", "user=ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			var called bool
			var gotUser string
			var gotRole role.Role
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				gotUser = UserFrom(r.Context())
				gotRole = RoleFrom(r.Context())
				w.WriteHeader(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/v3/services/haproxy/configuration/backends", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			a.Middleware(next).ServeHTTP(rec, req)

			if tt.wantUser != "" {
				if !called || rec.Code != http.StatusNoContent {
					t.Fatalf("next called = %v, status %d; want next to run", called, rec.Code)
				}
				if gotUser != tt.wantUser {
					t.Fatalf("UserFrom = %q, want %q", gotUser, tt.wantUser)
				}
				if gotRole != wantRole[tt.wantUser] {
					t.Fatalf("RoleFrom = %v, want %v", gotRole, wantRole[tt.wantUser])
				}
				return
			}
			if called {
				t.Fatal("next was called without valid credentials")
			}
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", rec.Code)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="dataplane"` {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			var body apierror.Body
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if body != (apierror.Body{Code: http.StatusUnauthorized, Message: tt.wantMsg}) {
				t.Fatalf("body = %+v, want code 401 message %q", body, tt.wantMsg)
			}
			log := logs.String()
			if !strings.Contains(log, "level=DEBUG") || !strings.Contains(log, tt.wantLog) {
				t.Fatalf("debug log %q does not contain %q", log, tt.wantLog)
			}
			if strings.Contains(log, v.password) || strings.Contains(log, "nope") {
				t.Fatalf("log contains a password: %q", log)
			}
		})
	}
}

func TestUserFromWithoutMiddleware(t *testing.T) {
	ctx := httptest.NewRequest(http.MethodGet, "/", nil).Context()
	if got := UserFrom(ctx); got != "" {
		t.Fatalf("UserFrom = %q, want empty", got)
	}
	if got := RoleFrom(ctx); got != 0 || got.May(role.Read) {
		t.Fatalf("RoleFrom = %v, want no role, which may do nothing", got)
	}
}

func TestLogName(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes, 2 per rune
	got := logName(long)
	if len(got) > 128+len("…") || !strings.HasSuffix(got, "…") {
		t.Fatalf("logName not shortened: %d bytes", len(got))
	}
	if !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) || strings.ContainsRune(got, '\uFFFD') {
		t.Fatalf("logName split a character: %q", got)
	}
	if logName("admin") != "admin" {
		t.Fatal("short name changed")
	}
}

// TestCertUser: with Options.CertUser, a verified client certificate's
// common name is the user of a request without an Authorization header,
// with that user's role; basic credentials, when sent, are checked
// whatever the certificate; an unverified certificate names nobody.
func TestCertUser(t *testing.T) {
	a := mustNew(t, []User{
		{Name: "admin", Password: "admin pw", Insecure: true, Role: role.Admin},
		{Name: "viewer", Password: "viewer pw", Insecure: true, Role: role.ReadOnly},
	}, Options{CertUser: CertCommonName})
	verified := func(cn string) *tls.ConnectionState {
		return &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{Subject: pkix.Name{CommonName: cn}}}}}
	}
	tests := []struct {
		name     string
		state    *tls.ConnectionState
		user, pw string // basic auth when user is not ""
		wantUser string // "" = expect 401
		wantRole role.Role
	}{
		{"certificate names a user", verified("viewer"), "", "", "viewer", role.ReadOnly},
		{"basic auth wins", verified("viewer"), "admin", "admin pw", "admin", role.Admin},
		{"a wrong password is not saved by the certificate", verified("admin"), "admin", "nope", "", 0},
		{"certificate names no user", verified("mallory"), "", "", "", 0},
		{"unverified certificate", &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{Subject: pkix.Name{CommonName: "admin"}}}}, "", "", "", 0},
		{"plain http", nil, "", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotUser string
			var gotRole role.Role
			h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotUser, gotRole = UserFrom(r.Context()), RoleFrom(r.Context())
				w.WriteHeader(http.StatusNoContent)
			}))
			req := httptest.NewRequest(http.MethodGet, "/v3/info", nil)
			req.TLS = tt.state
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pw)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			want := http.StatusNoContent
			if tt.wantUser == "" {
				want = http.StatusUnauthorized
			}
			if rec.Code != want || gotUser != tt.wantUser || gotRole != tt.wantRole {
				t.Fatalf("%d user %q role %v, want %d user %q role %v (%s)", rec.Code, gotUser, gotRole, want, tt.wantUser, tt.wantRole, rec.Body)
			}
		})
	}
}
