package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// v2Do sends a request to a /v2 path as the tutorials' curl lines do.
func v2Do(t *testing.T, e *apitest.Env, method, path string, body any) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(apitest.User, apitest.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestV2TutorialSequences runs the Data Plane API v2 curl lines of the
// most-read tutorials against a live server: list backends, add a server
// with ?backend=, read native stats, put a runtime server in maintenance.
func TestV2TutorialSequences(t *testing.T) {
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", nil)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode http
    default_backend http_back

backend http_back
    mode http
    server s1 %s
`, port, app.Addr()), apitest.Options{})

	// GET /v2/services/haproxy/configuration/backends: the v2 envelope.
	code, h, b := v2Do(t, e, "GET", "/v2/services/haproxy/configuration/backends", nil)
	var list struct {
		Version int64            `json:"_version"`
		Data    []map[string]any `json:"data"`
	}
	if code != 200 || json.Unmarshal(b, &list) != nil || len(list.Data) != 1 || list.Data[0]["name"] != "http_back" || list.Version < 1 {
		t.Fatalf("v2 list backends: %d %s", code, b)
	}
	if h.Get("Deprecation") != "true" || !strings.Contains(h.Get("Link"), "</v3/services/haproxy/configuration/backends>") {
		t.Fatalf("v2 answer headers: Deprecation %q, Link %q", h.Get("Deprecation"), h.Get("Link"))
	}

	// Add a server with ?backend= and the version: written to the file,
	// served by HAProxy.
	code, h, b = v2Do(t, e, "POST", fmt.Sprintf("/v2/services/haproxy/configuration/servers?backend=http_back&version=%d", list.Version),
		map[string]any{"name": "s2", "address": "127.0.0.1", "port": app.Port})
	if code != 201 && code != 202 {
		t.Fatalf("v2 add server: %d %s", code, b)
	}
	if !strings.Contains(h.Get("Link"), "/v3/services/haproxy/configuration/backends/http_back/servers") {
		t.Fatalf("Link of the add: %q", h.Get("Link"))
	}
	if !strings.Contains(string(e.ReadConfig()), "\n    server s2 127.0.0.1:") {
		t.Fatalf("the server is not in the file:\n%s", e.ReadConfig())
	}
	code, _, b = v2Do(t, e, "GET", "/v2/services/haproxy/configuration/servers/s2?backend=http_back", nil)
	var one struct {
		Data map[string]any `json:"data"`
	}
	if code != 200 || json.Unmarshal(b, &one) != nil || one.Data["name"] != "s2" {
		t.Fatalf("v2 get server: %d %s", code, b)
	}
	// parent_type/parent_name is the other v2 form.
	code, _, b = v2Do(t, e, "GET", "/v2/services/haproxy/configuration/servers?parent_type=backend&parent_name=http_back", nil)
	if code != 200 || !strings.Contains(string(b), `"s2"`) {
		t.Fatalf("v2 servers by parent_type: %d %s", code, b)
	}

	// Native stats.
	haproxytest.WaitFor(t, 10*time.Second, "s2 in the native stats", func() bool {
		code, _, b = v2Do(t, e, "GET", "/v2/services/haproxy/stats/native", nil)
		return code == 200 && strings.Contains(string(b), `"s2"`)
	})

	// A runtime server in maintenance through the v2 path, read back from
	// HAProxy.
	code, _, b = v2Do(t, e, "PUT", "/v2/services/haproxy/runtime/servers/s1?backend=http_back", map[string]any{"admin_state": "maint"})
	if code != 200 {
		t.Fatalf("v2 runtime maint: %d %s", code, b)
	}
	if !strings.Contains(in.Stats("show servers state http_back"), " s1 ") {
		t.Fatal("no s1 in show servers state")
	}
	haproxytest.WaitFor(t, 5*time.Second, "s1 in maintenance in HAProxy", func() bool {
		code, _, b = v2Do(t, e, "GET", "/v2/services/haproxy/runtime/servers/s1?backend=http_back", nil)
		return code == 200 && strings.Contains(string(b), `"admin_state":"maint"`)
	})

	// A child without its parent, and a path v2 never had: 404 naming what is missing.
	if code, _, b = v2Do(t, e, "GET", "/v2/services/haproxy/configuration/servers", nil); code != 404 || !strings.Contains(string(b), "backend=") {
		t.Fatalf("v2 servers without backend: %d %s", code, b)
	}
	if code, _, b = v2Do(t, e, "GET", "/v2/services/haproxy/nothing", nil); code != 404 || !strings.Contains(string(b), `"code":404`) {
		t.Fatalf("unknown v2 path: %d %s", code, b)
	}
	// Authentication is the v3 one.
	req, _ := http.NewRequest("GET", e.Server.URL+"/v2/services/haproxy/configuration/backends", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("v2 without credentials: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// The raw configuration in the envelope, as a string.
	code, _, b = v2Do(t, e, "GET", "/v2/services/haproxy/configuration/raw", nil)
	var raw struct {
		Data string `json:"data"`
	}
	if code != 200 || json.Unmarshal(b, &raw) != nil || !strings.Contains(raw.Data, "backend http_back") {
		t.Fatalf("v2 raw: %d %.200s", code, b)
	}
}

// lockedBuffer is a bytes.Buffer safe for the log's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAccessLogNamesTheUser: each request log line carries the user the
// request was authenticated as (none for a refused one).
func TestAccessLogNamesTheUser(t *testing.T) {
	in := haproxytest.New(t)
	var logs lockedBuffer
	e := apitest.Start(t, in, in.Global(), apitest.Options{LogLevel: slog.LevelDebug, Log: &logs})
	e.Get("/services/haproxy/configuration/version")
	mustStatus(t, e.Do(apitest.Request{Method: "GET", Path: "/services/haproxy/configuration/version", NoAuth: true}), 401, "no credentials")
	var ok, refused bool
	for _, l := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(l, "msg=http") || !strings.Contains(l, "path=/v3/services/haproxy/configuration/version") {
			continue
		}
		switch {
		case strings.Contains(l, "status=200") && strings.Contains(l, "user="+apitest.User):
			ok = true
		case strings.Contains(l, "status=401") && strings.Contains(l, `user=""`):
			refused = true
		}
	}
	if !ok || !refused {
		t.Fatalf("access log lines with the user (200) and without (401) not found:\n%s", logs.String())
	}
}
