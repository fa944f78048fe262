package auth

import (
	"bytes"
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
