package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/runtime"
)

// tcp-request, tcp-response, quic-initial, http-check and tcp-check lists
// changed through the API on a real HAProxy, proven by what the traffic
// and the health checks do.

// sendRule sends body with method to the collection path (with the version
// and force_reload) and fails unless the answer is want.
func sendRule(t *testing.T, e *apitest.Env, method, path string, body any, want int) *apitest.Response {
	t.Helper()
	r := e.Do(apitest.Request{Method: method, Path: cfgBase + path + vq(t, e) + "&force_reload=true", Body: body})
	mustStatus(t, r, want, method+" "+path)
	return r
}

// refusedRule sends body and wants a 4xx that leaves the file as it was;
// with says, a 400 that carries it.
func refusedRule(t *testing.T, e *apitest.Env, what, method, path string, body any, says string) {
	t.Helper()
	before := string(e.ReadConfig())
	r := e.Do(apitest.Request{Method: method, Path: cfgBase + path + vq(t, e) + "&force_reload=true", Body: body})
	if says != "" && r.Status != 400 {
		t.Fatalf("%s: status %d, want 400: %s", what, r.Status, r.Body)
	}
	if r.Status < 400 || r.Status > 499 {
		t.Fatalf("%s: status %d, want a 4xx: %s", what, r.Status, r.Body)
	}
	if says != "" && !strings.Contains(string(r.Body), says) {
		t.Fatalf("%s: the answer does not say %q: %s", what, says, r.Body)
	}
	if string(e.ReadConfig()) != before {
		t.Fatalf("%s: a refused change changed the file", what)
	}
}

// waitCheckState waits until the server's operational state is want
// (`show servers state`).
func waitCheckState(t *testing.T, in *haproxytest.Instance, be, srv string, want int, why string) {
	t.Helper()
	name := map[int]string{runtime.OpStopped: "DOWN", runtime.OpRunning: "UP"}[want]
	haproxytest.WaitFor(t, 15*time.Second, fmt.Sprintf("%s/%s %s (%s)", be, srv, name, why), func() bool {
		s, ok := serverState(t, in, be, srv)
		return ok && s.OpState == want
	})
}

// TestTCPRequestRulesOnHAProxy: tcp-request content reject closes the
// connection, deleting it lets traffic through again; inspect-delay is
// written with its unit; bad rules and quic-initial (HAProxy 3.1+) are
// refused with nothing written.
func TestTCPRequestRulesOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", nil)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode tcp
    default_backend be

backend be
    mode tcp
    server app %s
`, port, app.Addr()), apitest.Options{})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	served := func() bool {
		code, body, err := haproxytest.HTTPGet(t.Context(), url)
		return err == nil && code == 200 && body == "app"
	}
	haproxytest.WaitFor(t, 10*time.Second, "served before any rule", served)
	rules := "/frontends/fe/tcp_request_rules"

	// reject: HAProxy closes the connection without an answer.
	sendRule(t, e, "POST", rules+"/0", map[string]any{"type": "content", "action": "reject"}, 201)
	haproxytest.WaitFor(t, 10*time.Second, "the connection closed by tcp-request content reject", func() bool {
		_, _, err := haproxytest.HTTPGet(t.Context(), url)
		return err != nil
	})
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.0\r\n\r\n")
	if n, err := bufio.NewReader(c).Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("after reject the connection answered (%d bytes, %v)", n, err)
	}
	c.Close()

	// An accept for this client above it: served again, by index order.
	sendRule(t, e, "POST", rules+"/0", map[string]any{"type": "content", "action": "accept", "cond": "if", "cond_test": "{ src 127.0.0.1 }"}, 201)
	haproxytest.WaitFor(t, 10*time.Second, "served once accept comes first", served)
	var list []map[string]any
	e.Get(cfgBase+rules).JSON(t, &list)
	if len(list) != 2 || list[0]["action"] != "accept" || list[1]["action"] != "reject" || list[1]["type"] != "content" {
		t.Fatalf("rules in order: %v", list)
	}
	// Replace the accept by one for another client: rejected again.
	sendRule(t, e, "PUT", rules+"/0", map[string]any{"type": "content", "action": "accept", "cond": "if", "cond_test": "{ src 192.0.2.1 }"}, 200)
	haproxytest.WaitFor(t, 10*time.Second, "rejected once the accept is for another client", func() bool {
		_, _, err := haproxytest.HTTPGet(t.Context(), url)
		return err != nil
	})
	// Delete the reject: served.
	sendRule(t, e, "DELETE", rules+"/1", nil, 204)
	haproxytest.WaitFor(t, 10*time.Second, "served once the reject is deleted", served)
	mustStatus(t, e.Get(cfgBase+rules+"/1"), 404, "get past the end")

	// inspect-delay: milliseconds in the API, the largest unit in the file.
	sendRule(t, e, "PUT", rules, []any{
		map[string]any{"type": "inspect-delay", "timeout": 2000},
		map[string]any{"type": "content", "action": "accept", "cond": "if", "cond_test": "{ req.len gt 0 }"},
	}, 200)
	if !strings.Contains(string(e.ReadConfig()), "    tcp-request inspect-delay 2s\n    tcp-request content accept if { req.len gt 0 }\n") {
		t.Fatalf("the file does not hold the rules:\n%s", e.ReadConfig())
	}
	haproxytest.WaitFor(t, 10*time.Second, "served with inspect-delay", served)

	// Bad input: 4xx, nothing written.
	for _, c := range []struct {
		what string
		body map[string]any
	}{
		{"an action of another type", map[string]any{"type": "content", "action": "expect-proxy"}},
		{"an unknown action", map[string]any{"type": "content", "action": "explode"}},
		{"a bad cond", map[string]any{"type": "content", "action": "reject", "cond": "when", "cond_test": "{ src 1.2.3.4 }"}},
		{"a field of another action", map[string]any{"type": "content", "action": "reject", "service_name": "x"}},
		{"a newline in an expression", map[string]any{"type": "content", "action": "set-dst", "expr": "src\n    tcp-request content accept"}},
		{"a scope with a dot", map[string]any{"type": "content", "action": "set-var", "var_scope": "txn.a", "var_name": "b", "expr": "src"}},
		{"an ACL HAProxy does not know", map[string]any{"type": "content", "action": "reject", "cond": "if", "cond_test": "no_such_acl"}},
		{"a verbatim line of another keyword", map[string]any{"verbatim": "http-request deny"}},
	} {
		refusedRule(t, e, c.what, "POST", rules+"/0", c.body, "")
	}

	// quic-initial: HAProxy 2.6 does not know the keyword; haproxy -c's
	// words come back in the 400.
	refusedRule(t, e, "quic-initial on HAProxy 2.6", "POST", "/frontends/fe/quic_initial_rules/0",
		map[string]any{"type": "reject"}, "unknown keyword 'quic-initial'")
	haproxytest.WaitFor(t, 10*time.Second, "still served after the refused changes", served)
}

// TestTCPResponseRulesOnHAProxy: tcp-response content reject on a backend
// cuts the answer; replacing the rules with none lets it through.
func TestTCPResponseRulesOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", nil)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode tcp
    default_backend be

backend be
    mode tcp
    server app %s
`, port, app.Addr()), apitest.Options{})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	served := func() bool {
		code, body, err := haproxytest.HTTPGet(t.Context(), url)
		return err == nil && code == 200 && body == "app"
	}
	haproxytest.WaitFor(t, 10*time.Second, "served", served)
	rules := "/backends/be/tcp_response_rules"
	sendRule(t, e, "POST", rules+"/0", map[string]any{"type": "content", "action": "reject"}, 201)
	haproxytest.WaitFor(t, 10*time.Second, "the answer cut by tcp-response content reject", func() bool {
		_, _, err := haproxytest.HTTPGet(t.Context(), url)
		return err != nil
	})
	sendRule(t, e, "PUT", rules, []any{}, 200)
	haproxytest.WaitFor(t, 10*time.Second, "served once the rules are gone", served)
	refusedRule(t, e, "a connection rule in tcp-response", "POST", rules+"/0", map[string]any{"type": "connection", "action": "accept"}, "")
}

// TestHTTPChecksOnHAProxy: http-check send and expect decide whether the
// server is UP or DOWN (show servers state).
func TestHTTPChecksOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	var code atomic.Int64
	code.Store(200)
	app := haproxytest.StartBackend(t, "app", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(int(code.Load()))
	})
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
    option httpchk
    server app %s check inter 100ms fall 1 rise 1
`, port, app.Addr()), apitest.Options{})
	checks := "/backends/be/http_checks"
	// option httpchk alone asks for /, which answers 500.
	waitCheckState(t, in, "be", "app", runtime.OpStopped, "GET / answers 500")

	sendRule(t, e, "POST", checks+"/0", map[string]any{"type": "send", "method": "GET", "uri": "/health",
		"headers": []any{map[string]any{"name": "Host", "fmt": "app.example.com"}}}, 201)
	sendRule(t, e, "POST", checks+"/1", map[string]any{"type": "expect", "match": "status", "pattern": "200"}, 201)
	waitCheckState(t, in, "be", "app", runtime.OpRunning, "GET /health answers 200")

	code.Store(500)
	waitCheckState(t, in, "be", "app", runtime.OpStopped, "GET /health answers 500")
	code.Store(200)
	waitCheckState(t, in, "be", "app", runtime.OpRunning, "GET /health answers 200 again")

	// Expect another status: DOWN although the server answers 200.
	sendRule(t, e, "PUT", checks+"/1", map[string]any{"type": "expect", "match": "status", "pattern": "204"}, 200)
	waitCheckState(t, in, "be", "app", runtime.OpStopped, "expect status 204, answer 200")

	var list []map[string]any
	e.Get(cfgBase+checks).JSON(t, &list)
	if len(list) != 2 || list[0]["type"] != "send" || list[0]["uri"] != "/health" || list[1]["pattern"] != "204" {
		t.Fatalf("http checks: %v", list)
	}
	var be map[string]any
	e.Get(cfgBase+"/backends/be").JSON(t, &be)
	if be["adv_check"] != "httpchk" {
		t.Fatalf("option httpchk is no longer the backend's adv_check: %v", be)
	}
	refusedRule(t, e, "a newline in a header", "POST", checks+"/0",
		map[string]any{"type": "send", "uri": "/", "headers": []any{map[string]any{"name": "X", "fmt": "a\n    server evil 127.0.0.1:1"}}}, "")
	refusedRule(t, e, "an unknown type", "POST", checks+"/0", map[string]any{"type": "explode"}, "")
	sendRule(t, e, "DELETE", checks+"/1", nil, 204)
	waitCheckState(t, in, "be", "app", runtime.OpRunning, "the send alone: any 2xx/3xx")
}

// TestTCPChecksOnHAProxy: tcp-check send and expect string against a local
// TCP server that answers PING.
func TestTCPChecksOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	var reply atomic.Value
	reply.Store("+PONG")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil && strings.TrimSpace(line) == "PING" {
					fmt.Fprintf(c, "%s\r\n", reply.Load())
				}
			}()
		}
	}()
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
backend be
    mode tcp
    option tcp-check
    server pinger %s check inter 100ms fall 1 rise 1
`, ln.Addr()), apitest.Options{})
	checks := "/backends/be/tcp_checks"
	waitCheckState(t, in, "be", "pinger", runtime.OpRunning, "a connect is enough without rules")

	sendRule(t, e, "PUT", checks, []any{
		map[string]any{"action": "send", "data": `PING\r\n`},
		map[string]any{"action": "expect", "match": "string", "pattern": "+PONG"},
	}, 200)
	if !strings.Contains(string(e.ReadConfig()), "    tcp-check send PING\\r\\n\n    tcp-check expect string +PONG\n") {
		t.Fatalf("the file does not hold the checks:\n%s", e.ReadConfig())
	}
	reply.Store("-ERR")
	waitCheckState(t, in, "be", "pinger", runtime.OpStopped, "answers -ERR")
	reply.Store("+PONG")
	waitCheckState(t, in, "be", "pinger", runtime.OpRunning, "answers +PONG")

	// Expect something else: DOWN.
	sendRule(t, e, "PUT", checks+"/1", map[string]any{"action": "expect", "match": "string", "pattern": "+PANG"}, 200)
	waitCheckState(t, in, "be", "pinger", runtime.OpStopped, "expect +PANG, answer +PONG")
	sendRule(t, e, "DELETE", checks+"/1", nil, 204)
	waitCheckState(t, in, "be", "pinger", runtime.OpRunning, "no expect")
	refusedRule(t, e, "a newline in data", "POST", checks+"/0", map[string]any{"action": "send", "data": "PING\n    server evil 127.0.0.1:1"}, "")
	refusedRule(t, e, "an http-check action", "POST", checks+"/0", map[string]any{"action": "send-state"}, "")
}
