package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestHTTPResponseRulesOnHAProxy: the http-response, http-after-response
// and http-error lists changed through the API on a real HAProxy, each
// proven by what a client receives. http-response acts on the server's
// answers only; http-after-response on every answer, HAProxy's own
// (return, deny, no server available) included; http-error replaces the
// page HAProxy serves for a status.
func TestHTTPResponseRulesOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Internal", "secret")
		fmt.Fprint(w, "from app")
	})
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode http
    http-request return status 200 content-type text/plain string pong if { path /ping }
    http-request deny deny_status 403 if { path /denied }
    use_backend be_down if { path_beg /down }
    default_backend be

backend be
    mode http
    server app %s

backend be_down
    mode http
`, port, app.Addr()), apitest.Options{})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(p string) (int, string, http.Header) {
		resp, err := client.Get(base + p)
		if err != nil {
			return 0, err.Error(), nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	// expect waits until p answers status, with body in its body and the
	// headers as want says ("" for a header that must be absent).
	expect := func(p string, status int, body string, want map[string]string) {
		t.Helper()
		haproxytest.WaitFor(t, 10*time.Second, fmt.Sprintf("%s answers %d %q with %v", p, status, body, want), func() bool {
			code, b, h := get(p)
			if code != status || !strings.Contains(b, body) {
				return false
			}
			for k, v := range want {
				if h.Get(k) != v {
					return false
				}
			}
			return true
		})
	}
	send := func(method, path string, body any, want int) {
		t.Helper()
		mustStatus(t, e.Do(apitest.Request{Method: method, Path: cfgBase + path + vq(t, e) + "&force_reload=true", Body: body}), want, method+" "+path)
	}
	expect("/", 200, "from app", map[string]string{"X-Internal": "secret"})
	expect("/down", 503, "No server is available", nil)

	// http-response: on the server's answer, not on HAProxy's own.
	send("POST", "/frontends/fe/http_response_rules/0", map[string]any{"type": "set-header", "hdr_name": "X-Resp", "hdr_format": `"seen by the client"`}, 201)
	send("POST", "/backends/be/http_response_rules/0", map[string]any{"type": "del-header", "hdr_name": "X-Internal"}, 201)
	expect("/", 200, "from app", map[string]string{"X-Resp": "seen by the client", "X-Internal": ""})
	expect("/ping", 200, "pong", map[string]string{"X-Resp": ""})

	// http-after-response: on every answer, HAProxy's own included.
	send("POST", "/frontends/fe/http_after_response_rules/0", map[string]any{"type": "set-header", "hdr_name": "X-After", "hdr_format": "%[status]"}, 201)
	expect("/", 200, "from app", map[string]string{"X-After": "200", "X-Resp": "seen by the client"})
	expect("/ping", 200, "pong", map[string]string{"X-After": "200", "X-Resp": ""})
	expect("/denied", 403, "", map[string]string{"X-After": "403", "X-Resp": ""})
	expect("/down", 503, "No server is available", map[string]string{"X-After": "503"})
	send("POST", "/frontends/fe/http_after_response_rules/1", map[string]any{"type": "set-status", "status": 429, "status_reason": `"Slow Down"`,
		"cond": "if", "cond_test": "{ status 403 }"}, 201)
	expect("/denied", 429, "", map[string]string{"X-After": "403"})

	// http-error: the page HAProxy serves when no server is available.
	send("POST", "/backends/be_down/http_error_rules/0", map[string]any{"type": "status", "status": 503, "return_content_type": "text/plain",
		"return_content_format": "string", "return_content": `"down for maintenance"`, "return_hdrs": []map[string]any{{"name": "Retry-After", "fmt": "30"}}}, 201)
	expect("/down", 503, "down for maintenance", map[string]string{"Retry-After": "30", "X-After": "503", "Content-Type": "text/plain"})
	expect("/", 200, "from app", nil)

	// Index semantics, read back: replace, delete, past the end.
	var list []map[string]any
	e.Get(cfgBase+"/frontends/fe/http_after_response_rules").JSON(t, &list)
	if len(list) != 2 || list[0]["type"] != "set-header" || list[1]["type"] != "set-status" {
		t.Fatalf("after-response rules in order: %v", list)
	}
	if !strings.Contains(string(e.ReadConfig()), "    http-after-response set-header X-After %[status]\n    http-after-response set-status 429 reason \"Slow Down\" if { status 403 }\n") {
		t.Fatalf("the file does not hold the rules in order:\n%s", e.ReadConfig())
	}
	send("PUT", "/frontends/fe/http_response_rules/0", map[string]any{"type": "set-header", "hdr_name": "X-Resp", "hdr_format": "replaced"}, 200)
	expect("/", 200, "from app", map[string]string{"X-Resp": "replaced"})
	send("DELETE", "/frontends/fe/http_after_response_rules/1", nil, 204)
	expect("/denied", 403, "", map[string]string{"X-After": "403"})
	send("PUT", "/backends/be_down/http_error_rules", []map[string]any{}, 200)
	expect("/down", 503, "No server is available", map[string]string{"Retry-After": ""})
	mustStatus(t, e.Get(cfgBase+"/frontends/fe/http_after_response_rules/1"), 404, "get past the end")

	// Bad input: 4xx, nothing written.
	before := e.ReadConfig()
	for _, c := range []struct {
		what, path string
		body       any
	}{
		{"an action http-response does not have", "/frontends/fe/http_response_rules/0", map[string]any{"type": "set-path"}},
		{"an action http-after-response does not have", "/frontends/fe/http_after_response_rules/0", map[string]any{"type": "deny"}},
		{"a bad condition", "/frontends/fe/http_response_rules/0", map[string]any{"type": "allow", "cond": "when", "cond_test": "TRUE"}},
		{"an ACL HAProxy does not know", "/frontends/fe/http_after_response_rules/0", map[string]any{"type": "allow", "cond": "if", "cond_test": "no_such_acl"}},
		{"a newline in a value", "/frontends/fe/http_response_rules/0", map[string]any{"type": "set-header", "hdr_name": "X", "hdr_format": "a\n    http-request deny"}},
		{"a value of several words", "/frontends/fe/http_after_response_rules/0", map[string]any{"type": "set-header", "hdr_name": "X", "hdr_format": "a b"}},
		{"a comment in a header", "/backends/be_down/http_error_rules/0", map[string]any{"type": "status", "status": 503, "return_content_format": "string",
			"return_content": "x", "return_hdrs": []map[string]any{{"name": "X", "fmt": "a#b"}}}},
		{"a status without an error page", "/backends/be_down/http_error_rules/0", map[string]any{"type": "status", "status": 418}},
		{"a condition on http-error", "/backends/be_down/http_error_rules/0", map[string]any{"type": "status", "status": 503, "cond": "if", "cond_test": "TRUE"}},
		{"a verbatim line of another keyword", "/frontends/fe/http_after_response_rules/0", map[string]any{"verbatim": "http-response deny"}},
	} {
		r := e.Do(apitest.Request{Method: "POST", Path: cfgBase + c.path + vq(t, e), Body: c.body})
		if r.Status < 400 || r.Status > 499 {
			t.Errorf("%s: status %d, want a 4xx: %s", c.what, r.Status, r.Body)
		}
		if string(e.ReadConfig()) != string(before) {
			t.Fatalf("%s: the file changed", c.what)
		}
	}
}
