package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// The short rule lists (use_backend, use-server, stick, log, declare
// capture, filter) changed through the API on a real HAProxy, each proven
// by what the traffic does, not by the text of the file.

const cfgBase = "/services/haproxy/configuration"

// ruleEnv is a frontend fe routing to be_a by default, and be_b with two
// servers; each server answers with its name.
type ruleEnv struct {
	e   *apitest.Env
	url string
}

func startRuleEnv(t *testing.T, extraFrontend, extraBackendB, extraSections string) *ruleEnv {
	t.Helper()
	in := haproxytest.New(t)
	a := haproxytest.StartBackend(t, "a", nil)
	b1 := haproxytest.StartBackend(t, "b1", nil)
	b2 := haproxytest.StartBackend(t, "b2", nil)
	port := haproxytest.FreePort(t)
	cfg := in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode http
    acl is_api path_beg /api
%s
    default_backend be_a

backend be_a
    mode http
    server a %s

backend be_b
    mode http
    balance roundrobin
%s
    server b1 %s
    server b2 %s
%s`, port, extraFrontend, a.Addr(), extraBackendB, b1.Addr(), b2.Addr(), extraSections)
	e := apitest.Start(t, in, cfg, apitest.Options{})
	return &ruleEnv{e: e, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

// send posts body to path (an item path: create at its index) with
// force_reload, and fails unless the answer is want.
func (r *ruleEnv) send(t *testing.T, method, path string, body any, want int) *apitest.Response {
	t.Helper()
	resp := r.e.Do(apitest.Request{Method: method, Path: cfgBase + path + vq(t, r.e) + "&force_reload=true", Body: body})
	mustStatus(t, resp, want, method+" "+path)
	return resp
}

// servedBy sends n requests to path and returns the bodies (server names).
func (r *ruleEnv) servedBy(t *testing.T, path string, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		code, body, err := haproxytest.HTTPGet(t.Context(), r.url+path)
		if err != nil || code != 200 {
			t.Fatalf("GET %s: %d %v", path, code, err)
		}
		out = append(out, body)
	}
	return out
}

// waitServed waits until every one of n requests to path is served by
// one of want (after a reload, the old worker may answer for a moment).
func (r *ruleEnv) waitServed(t *testing.T, path string, n int, want ...string) {
	t.Helper()
	ok := map[string]bool{}
	for _, w := range want {
		ok[w] = true
	}
	haproxytest.WaitFor(t, 10*time.Second, fmt.Sprintf("%d requests to %s served by %v", n, path, want), func() bool {
		for i := 0; i < n; i++ {
			code, body, err := haproxytest.HTTPGet(t.Context(), r.url+path)
			if err != nil || code != 200 || !ok[body] {
				return false
			}
		}
		return true
	})
}

func TestSwitchingAndStickRulesOnHAProxy(t *testing.T) {
	r := startRuleEnv(t, "", "    stick-table type ip size 1k expire 1m", "")
	r.waitServed(t, "/api/x", 2, "a")

	// use_backend with an ACL: /api goes to be_b, the rest stays on be_a.
	r.send(t, "POST", "/frontends/fe/backend_switching_rules/0",
		map[string]any{"name": "be_b", "cond": "if", "cond_test": "is_api"}, 201)
	r.waitServed(t, "/api/x", 4, "b1", "b2")
	r.waitServed(t, "/", 2, "a")
	// Round robin: both servers of be_b serve /api.
	if got := strings.Join(r.servedBy(t, "/api/x", 4), ","); !strings.Contains(got, "b1") || !strings.Contains(got, "b2") {
		t.Fatalf("without a use-server or stick rule, be_b should balance: %s", got)
	}

	// use-server: /api/two always goes to b2, whatever the balancing.
	r.send(t, "POST", "/backends/be_b/server_switching_rules/0",
		map[string]any{"target_server": "b2", "cond": "if", "cond_test": "{ path_beg /api/two }"}, 201)
	r.waitServed(t, "/api/two", 6, "b2")
	var ssr []map[string]any
	r.e.Get(cfgBase+"/backends/be_b/server_switching_rules").JSON(t, &ssr)
	if len(ssr) != 1 || ssr[0]["target_server"] != "b2" || ssr[0]["cond_test"] != "{ path_beg /api/two }" {
		t.Fatalf("server switching rules: %v", ssr)
	}
	// Replace all with none: /api/two is balanced again.
	r.send(t, "PUT", "/backends/be_b/server_switching_rules", []any{}, 200)
	haproxytest.WaitFor(t, 10*time.Second, "/api/two balanced again", func() bool {
		got := strings.Join(r.servedBy(t, "/api/two", 4), ",")
		return strings.Contains(got, "b1") && strings.Contains(got, "b2")
	})

	// stick on src: every request of this client goes to one server.
	r.send(t, "POST", "/backends/be_b/stick_rules/0", map[string]any{"type": "on", "pattern": "src"}, 201)
	haproxytest.WaitFor(t, 10*time.Second, "a client sticks to one server", func() bool {
		got := r.servedBy(t, "/api/x", 6)
		for _, s := range got {
			if s != got[0] {
				return false
			}
		}
		return true
	})
	var sticks []map[string]any
	r.e.Get(cfgBase+"/backends/be_b/stick_rules").JSON(t, &sticks)
	if len(sticks) != 1 || sticks[0]["type"] != "on" || sticks[0]["pattern"] != "src" {
		t.Fatalf("stick rules: %v", sticks)
	}

	// Delete the use_backend rule: /api is back on be_a.
	r.send(t, "DELETE", "/frontends/fe/backend_switching_rules/0", nil, 204)
	r.waitServed(t, "/api/x", 2, "a")

	// full_section shows the lists under their v3 names.
	var be map[string]any
	r.e.Get(cfgBase+"/backends/be_b?full_section=true").JSON(t, &be)
	if l, ok := be["stick_rule_list"].([]any); !ok || len(l) != 1 {
		t.Fatalf("full_section backend: stick_rule_list = %v", be["stick_rule_list"])
	}
	if l, ok := be["server_switching_rule_list"].([]any); ok && len(l) != 0 {
		t.Fatalf("full_section backend: server_switching_rule_list = %v", l)
	}
}

// udpLines listens on a loopback UDP port and delivers what arrives.
func udpLines(t *testing.T) (addr string, lines <-chan string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	ch := make(chan string, 1024)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			select {
			case ch <- string(buf[:n]):
			default:
			}
		}
	}()
	return pc.LocalAddr().String(), ch
}

// waitLogLine sends requests (with header X-Trace: value) until a log line
// containing want arrives.
func (r *ruleEnv) waitLogLine(t *testing.T, lines <-chan string, value string, want ...string) string {
	t.Helper()
	var got string
	haproxytest.WaitFor(t, 15*time.Second, fmt.Sprintf("a log line with %q", want), func() bool {
		has := func(l string) bool {
			for _, w := range want {
				if !strings.Contains(l, w) {
					return false
				}
			}
			return true
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"/", nil)
		req.Header.Set("X-Trace", value)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		deadline := time.After(300 * time.Millisecond)
		for {
			select {
			case l := <-lines:
				if has(l) {
					got = l
					return true
				}
			case <-deadline:
				return false
			}
		}
	})
	return got
}

func TestLogTargetsAndCapturesOnHAProxy(t *testing.T) {
	addr, lines := udpLines(t)
	r := startRuleEnv(t, `    option httplog
    log global
    declare capture request len 32
    http-request capture req.hdr(X-Trace) id 0`, "", "")
	r.waitServed(t, "/", 1, "a")

	// A log target of the global section: fe logs there through its
	// `log global`, with the captured header.
	r.send(t, "POST", "/global/log_targets/0", map[string]any{"address": addr, "facility": "local0"}, 201)
	r.waitLogLine(t, lines, "abcdefgh", "{abcdefgh}", "<134>") // local0.info
	var global map[string]any
	r.e.Get(cfgBase+"/global?full_section=true").JSON(t, &global)
	if l, ok := global["log_target_list"].([]any); !ok || len(l) != 1 {
		t.Fatalf("full_section global: log_target_list = %v", global["log_target_list"])
	}

	// The frontend's own target instead of `log global`.
	r.send(t, "PUT", "/frontends/fe/log_targets", []map[string]any{{"address": addr, "facility": "local1"}}, 200)
	r.send(t, "DELETE", "/global/log_targets/0", nil, 204)
	// local1.info is priority 17*8+6 = 142 (the global target was local0).
	r.waitLogLine(t, lines, "ijklmnop", "{ijklmnop}", "<142>")

	// A shorter capture slot: the log shows what it keeps.
	r.send(t, "PUT", "/frontends/fe/captures/0", map[string]any{"type": "request", "length": 4}, 200)
	r.waitLogLine(t, lines, "wxyz1234", "{wxyz}")
	var caps []map[string]any
	r.e.Get(cfgBase+"/frontends/fe/captures").JSON(t, &caps)
	if len(caps) != 1 || caps[0]["length"] != float64(4) {
		t.Fatalf("captures: %v", caps)
	}

	// Replace all with `no log` (HAProxy accepts it: the reload succeeds).
	r.send(t, "PUT", "/frontends/fe/log_targets", []map[string]any{{"nolog": true}}, 200)
	var list []map[string]any
	r.e.Get(cfgBase+"/frontends/fe/log_targets").JSON(t, &list)
	if len(list) != 1 || list[0]["nolog"] != true {
		t.Fatalf("log targets: %v", list)
	}
	if !strings.Contains(string(r.e.ReadConfig()), "\n    no log\n") {
		t.Fatalf("no `no log` line:\n%s", r.e.ReadConfig())
	}
}

// TestFiltersOnHAProxy: a filter added through the API acts on traffic
// (a trace filter traces the requests in HAProxy's output), the
// compression filter that HAProxy needs beside another filter is kept and
// answers stay gzip, removing it is refused with haproxy -c's own message,
// and a filter HAProxy 2.6 does not know is refused the same way.
func TestFiltersOnHAProxy(t *testing.T) {
	in, e, encoding := startTextEnv(t, `    compression algo gzip
    compression type text/plain
    filter trace name quiet_one quiet
    filter compression`)
	haproxytest.WaitFor(t, 10*time.Second, "gzip answers", func() bool { return encoding() == "gzip" })

	// `quiet` is a trace option config-parser does not model: the line is
	// an item all the same, verbatim, at its index.
	path := "/services/haproxy/configuration/frontends/fe/filters"
	var list []map[string]any
	e.Get(path).JSON(t, &list)
	if len(list) != 2 || list[0]["verbatim"] != "filter trace name quiet_one quiet" || list[1]["type"] != "compression" {
		t.Fatalf("filters: %v", list)
	}

	// A trace filter added through the API traces the next requests.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: path + "/2" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"type": "trace", "trace_name": "api_probe"}}), 201, "add a trace filter")
	haproxytest.WaitFor(t, 10*time.Second, "the trace filter traces a request", func() bool {
		encoding()
		return strings.Contains(in.Logs(), "api_probe")
	})
	if enc := encoding(); enc != "gzip" {
		t.Fatalf("after adding the trace filter, Content-Encoding %q", enc)
	}

	// Without the compression filter HAProxy refuses the file: 400 with
	// its message, nothing written, answers still gzip.
	for _, c := range []struct {
		what string
		req  apitest.Request
		says string
	}{
		{"delete the compression filter", apitest.Request{Method: "DELETE", Path: path + "/1"}, "explicit filter declaration"},
		{"bwlim-in, HAProxy 2.7's", apitest.Request{Method: "POST", Path: path + "/0",
			Body: map[string]any{"type": "bwlim-in", "bandwidth_limit_name": "bw", "default_limit": 1000, "default_period": 1000}}, "bwlim-in"},
	} {
		before := e.ReadConfig()
		c.req.Path += vq(t, e)
		r := e.Do(c.req)
		mustStatus(t, r, 400, c.what)
		if !strings.Contains(string(r.Body), c.says) {
			t.Fatalf("%s: the answer does not carry haproxy -c's message (%q): %s", c.what, c.says, r.Body)
		}
		if string(e.ReadConfig()) != string(before) {
			t.Fatalf("%s: a refused change changed the file", c.what)
		}
	}
	if enc := encoding(); enc != "gzip" {
		t.Fatalf("after the refused changes, Content-Encoding %q", enc)
	}
}

// TestHTTPRequestRulesOnHAProxy: deny answers 403, set-header reaches the
// server, redirect answers 302 with its location, return answers with its
// status and content; index semantics through the API; bad input is a 4xx
// that changes nothing.
func TestHTTPRequestRulesOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "x-from-rule=%s", r.Header.Get("X-From-Rule"))
	})
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode http
    acl is_admin path_beg /admin
    default_backend be

backend be
    mode http
    server app %s
`, port, app.Addr()), apitest.Options{})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	path := "/services/haproxy/configuration/frontends/fe/http_request_rules"
	noRedirect := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(p string) (int, string, http.Header) {
		resp, err := noRedirect.Get(base + p)
		if err != nil {
			return 0, err.Error(), nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	expect := func(p string, status int, body string) {
		t.Helper()
		haproxytest.WaitFor(t, 10*time.Second, fmt.Sprintf("%s answers %d %q", p, status, body), func() bool {
			code, b, _ := get(p)
			return code == status && strings.Contains(b, body)
		})
	}
	expect("/admin", 200, "x-from-rule=")
	add := func(index int, rule map[string]any) {
		t.Helper()
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("%s/%d%s&force_reload=true", path, index, vq(t, e)), Body: rule}), 201, fmt.Sprintf("add %v", rule))
	}

	add(0, map[string]any{"type": "set-header", "hdr_name": "X-From-Rule", "hdr_format": `"set by dataplane"`})
	expect("/", 200, "x-from-rule=set by dataplane")
	add(0, map[string]any{"type": "deny", "deny_status": 403, "cond": "if", "cond_test": "is_admin"})
	expect("/admin/x", 403, "")
	expect("/", 200, "x-from-rule=set by dataplane")
	add(2, map[string]any{"type": "redirect", "redir_type": "location", "redir_value": "/new", "redir_code": 302, "cond": "if", "cond_test": "{ path /old }"})
	haproxytest.WaitFor(t, 10*time.Second, "/old redirects to /new", func() bool {
		code, _, h := get("/old")
		return code == 302 && h.Get("Location") == "/new"
	})
	add(3, map[string]any{"type": "return", "return_status_code": 200, "return_content_type": "text/plain",
		"return_content_format": "string", "return_content": `"pong"`, "cond": "if", "cond_test": "{ path /ping }"})
	expect("/ping", 200, "pong")

	var list []map[string]any
	e.Get(path).JSON(t, &list)
	var types []string
	for _, r := range list {
		types = append(types, fmt.Sprint(r["type"]))
	}
	if strings.Join(types, ",") != "deny,set-header,redirect,return" {
		t.Fatalf("rules in order: %v", list)
	}
	if !strings.Contains(string(e.ReadConfig()), "    http-request deny deny_status 403 if is_admin\n    http-request set-header X-From-Rule \"set by dataplane\"\n") {
		t.Fatalf("the file does not hold the rules in order:\n%s", e.ReadConfig())
	}

	// Replace the deny by an allow-list style unless; delete the set-header.
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: path + "/0" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"type": "deny", "deny_status": 403, "cond": "unless", "cond_test": "is_admin || { path_beg / }"}}), 200, "replace 0")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: path + "/1" + vq(t, e) + "&force_reload=true"}), 204, "delete 1")
	expect("/", 200, "x-from-rule=")
	if _, b, _ := get("/"); strings.Contains(b, "set by dataplane") {
		t.Fatalf("the deleted set-header still acts: %q", b)
	}
	mustStatus(t, e.Get(path+"/3"), 404, "get past the end")

	// Bad input: 4xx, nothing written.
	before := e.ReadConfig()
	for _, c := range []struct {
		what string
		body map[string]any
	}{
		{"unknown action", map[string]any{"type": "explode"}},
		{"newline in a value", map[string]any{"type": "set-header", "hdr_name": "X", "hdr_format": "a\n    http-request deny"}},
		{"a value of several words", map[string]any{"type": "set-header", "hdr_name": "X", "hdr_format": "a b"}},
		{"a field of another action", map[string]any{"type": "allow", "hdr_name": "X"}},
		{"# in a condition", map[string]any{"type": "allow", "cond": "if", "cond_test": "is_admin # x"}},
		{"an ACL HAProxy does not know", map[string]any{"type": "allow", "cond": "if", "cond_test": "no_such_acl"}},
		{"a verbatim line of another keyword", map[string]any{"verbatim": "tcp-request content reject"}},
		{"an action of HAProxy 2.7 (haproxy -c refuses it)", map[string]any{"type": "set-bandwidth-limit",
			"bandwidth_limit_name": "bw", "bandwidth_limit_limit": "1m", "bandwidth_limit_period": "1s"}},
	} {
		r := e.Do(apitest.Request{Method: "POST", Path: path + "/0" + vq(t, e), Body: c.body})
		if r.Status < 400 || r.Status > 499 {
			t.Errorf("%s: status %d, want a 4xx: %s", c.what, r.Status, r.Body)
		}
		if string(e.ReadConfig()) != string(before) {
			t.Fatalf("%s: the file changed", c.what)
		}
		if c.body["type"] == "set-bandwidth-limit" && (r.Status != 400 || !strings.Contains(string(r.Body), "set-bandwidth-limit")) {
			t.Errorf("%s: want 400 with haproxy -c's message: %d %s", c.what, r.Status, r.Body)
		}
	}
}
