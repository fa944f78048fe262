package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// runtimeLab is HAProxy with the backends the runtime tests use, and
// dataplane in front of it.
type runtimeLab struct {
	e       *apitest.Env
	app     *haproxytest.Backend
	fePort  int // fe -> be_app
	dynPort int // fe_dyn -> be_dyn (no servers in the file)
}

func startRuntimeLab(t *testing.T, opts ...func(*settings.Settings)) *runtimeLab {
	t.Helper()
	l := &runtimeLab{app: haproxytest.StartBackend(t, "app", nil), fePort: haproxytest.FreePort(t), dynPort: haproxytest.FreePort(t)}
	in := haproxytest.New(t)
	cfg := in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%[1]d
    default_backend be_app

frontend fe_dyn
    bind 127.0.0.1:%[2]d
    default_backend be_dyn

backend be_app
    balance roundrobin
    server s1 %[3]s weight 50
    server s2 %[3]s check inter 1s

backend be_trk
    server t1 %[3]s track be_app/s2

backend be_dyn
    balance roundrobin

backend be_src
    balance source
    server a %[3]s
`, l.fePort, l.dynPort, l.app.Addr())
	l.e = apitest.Start(t, in, cfg, apitest.Options{Settings: func(st *settings.Settings) {
		for _, o := range opts {
			o(st)
		}
	}})
	return l
}

const rtPath = "/services/haproxy/runtime/backends/"

// state returns the `show servers state` columns of be/srv by name, read
// straight from HAProxy.
func (l *runtimeLab) state(t *testing.T, be, srv string) map[string]string {
	t.Helper()
	out := l.e.HAProxy.Stats("show servers state " + be)
	lines := strings.Split(out, "\n")
	if len(lines) < 2 {
		t.Fatalf("show servers state %s: %q", be, out)
	}
	cols := strings.Fields(strings.TrimPrefix(lines[1], "# "))
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) == len(cols) && f[3] == srv {
			m := map[string]string{}
			for i, c := range cols {
				m[c] = f[i]
			}
			return m
		}
	}
	return nil
}

func (l *runtimeLab) put(t *testing.T, be, srv string, body map[string]any) *apitest.Response {
	t.Helper()
	return l.e.Do(apitest.Request{Method: "PUT", Path: rtPath + be + "/servers/" + srv, Body: body})
}

func TestRuntimeServerPut(t *testing.T) {
	l := startRuntimeLab(t)
	before := l.e.ReadConfig()

	// Each field on its own, checked in `show servers state`.
	cases := []struct {
		body map[string]any
		col  string
		want string
	}{
		{map[string]any{"weight": 7}, "srv_uweight", "7"},
		{map[string]any{"address": "127.0.0.2"}, "srv_addr", "127.0.0.2"},
		{map[string]any{"port": 18999}, "srv_port", "18999"},
		{map[string]any{"admin_state": "maint"}, "srv_admin_state", "1"},
		{map[string]any{"admin_state": "drain"}, "srv_admin_state", "8"},
		{map[string]any{"admin_state": "ready"}, "srv_admin_state", "0"},
		{map[string]any{"operational_state": "down"}, "srv_op_state", "0"},
		{map[string]any{"operational_state": "stopping"}, "srv_op_state", "3"},
		{map[string]any{"operational_state": "up"}, "srv_op_state", "2"},
	}
	for _, c := range cases {
		r := l.put(t, "be_app", "s1", c.body)
		mustStatus(t, r, 200, fmt.Sprintf("PUT %v", c.body))
		if got := l.state(t, "be_app", "s1")[c.col]; got != c.want {
			t.Errorf("PUT %v: %s = %s, want %s", c.body, c.col, got, c.want)
		}
		var s map[string]any
		r.JSON(t, &s)
		for k, v := range c.body {
			if fmt.Sprint(s[k]) != fmt.Sprint(v) {
				t.Errorf("PUT %v: answer has %s=%v: %s", c.body, k, s[k], r.Body)
			}
		}
		if _, ok := s["id"].(string); !ok || s["backend_name"] != "be_app" || s["name"] != "s1" {
			t.Errorf("PUT %v: answer %s", c.body, r.Body)
		}
	}

	// Several fields at once, and back: the answer is the state read back.
	r := l.put(t, "be_app", "s1", map[string]any{"admin_state": "ready", "address": "127.0.0.1", "port": l.app.Port, "weight": 33})
	mustStatus(t, r, 200, "PUT several fields")
	var s struct {
		Weight     int    `json:"weight"`
		Address    string `json:"address"`
		Port       int    `json:"port"`
		AdminState string `json:"admin_state"`
	}
	r.JSON(t, &s)
	if s.Weight != 33 || s.Address != "127.0.0.1" || s.Port != l.app.Port || s.AdminState != "ready" {
		t.Fatalf("PUT several fields: %s", r.Body)
	}
	if st := l.state(t, "be_app", "s1"); st["srv_uweight"] != "33" || st["srv_port"] != strconv.Itoa(l.app.Port) {
		t.Fatalf("state after PUT: %v", st)
	}
	// Traffic still flows to the restored address.
	status, body, err := haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", l.fePort))
	if err != nil || status != 200 || body != "app" {
		t.Fatalf("traffic after PUT: %d %q %v", status, body, err)
	}

	// A step HAProxy refuses stops the update, and the answer says which
	// fields were applied before it.
	r = l.put(t, "be_src", "a", map[string]any{"admin_state": "drain", "weight": 3, "operational_state": "up"})
	mustStatus(t, r, 400, "PUT weight on a static algorithm")
	if msg := string(r.Body); !strings.Contains(msg, "setting weight failed") ||
		!strings.Contains(msg, "applied before it (and still in effect): admin_state") ||
		!strings.Contains(msg, "not attempted: operational_state") {
		t.Fatalf("partial failure message: %s", msg)
	}
	if st := l.state(t, "be_src", "a"); st["srv_admin_state"] != "8" {
		t.Fatalf("the applied drain is not in effect: %v", st)
	}

	for _, c := range []struct {
		be, srv string
		body    map[string]any
		status  int
	}{
		{"be_app", "nosuch", map[string]any{"weight": 1}, 404},
		{"nosuch", "s1", map[string]any{"weight": 1}, 404},
		{"be_app", "s1", map[string]any{"address": "not-an-ip"}, 400},
		{"be_app", "s1", map[string]any{"weight": 300}, 422},
		{"be_app", "s1", map[string]any{"admin_state": "broken"}, 422},
		{"be_app", "s1", map[string]any{"frobnicate": 5}, 422}, // not in the model
	} {
		if r := l.put(t, c.be, c.srv, c.body); r.Status != c.status {
			t.Errorf("PUT %s/%s %v: %d %s, want %d", c.be, c.srv, c.body, r.Status, r.Body, c.status)
		}
	}
	got := l.e.Get(rtPath + "be_app/servers/s1")
	if got.Status != 200 {
		t.Fatalf("GET one: %d %s", got.Status, got.Body)
	}
	// What a GET returns can be PUT back (generated clients send whole
	// models): read-only fields are accepted and ignored.
	if r := l.e.Do(apitest.Request{Method: "PUT", Path: rtPath + "be_app/servers/s1", Body: got.Body, ContentType: "application/json"}); r.Status != 200 {
		t.Fatalf("PUT of a GET body: %d %s", r.Status, r.Body)
	}
	if r := l.e.Get(rtPath + "be_app/servers/nosuch"); r.Status != 404 {
		t.Fatalf("GET unknown server: %d", r.Status)
	}
	if !bytes.Equal(before, l.e.ReadConfig()) {
		t.Fatal("runtime PUTs changed the configuration file")
	}
}

func TestRuntimeServerAddDelete(t *testing.T) {
	l := startRuntimeLab(t)
	before := l.e.ReadConfig()
	add := func(be string, body map[string]any) *apitest.Response {
		t.Helper()
		return l.e.Do(apitest.Request{Method: "POST", Path: rtPath + be + "/servers", Body: body})
	}
	d1 := map[string]any{"name": "d1", "address": "127.0.0.1", "port": l.app.Port, "weight": 20, "check": "enabled", "inter": 500}
	mustStatus(t, add("be_dyn", d1), 201, "add d1")
	st := l.state(t, "be_dyn", "d1")
	if st == nil || st["srv_admin_state"] != "0" || st["srv_uweight"] != "20" {
		t.Fatalf("d1 after add: %v", st)
	}
	// Ready, health checks on (they mark it up), and taking traffic.
	haproxytest.WaitFor(t, 10*time.Second, "d1 checked up", func() bool {
		return strings.Contains(l.e.HAProxy.Stats("show stat be_dyn 4 -1"), "L4OK")
	})
	status, body, err := haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", l.dynPort))
	if err != nil || status != 200 || body != "app" {
		t.Fatalf("traffic to the added server: %d %q %v", status, body, err)
	}

	mustStatus(t, add("be_dyn", d1), 409, "add d1 again")
	mustStatus(t, add("nosuch", d1), 404, "add to an unknown backend")
	mustStatus(t, add("be_src", d1), 400, "add to a static-algorithm backend")
	mustStatus(t, add("be_dyn", map[string]any{"name": "d2", "address": "127.0.0.1", "port": l.app.Port, "sni": "a b"}), 422, "space in a value")
	mustStatus(t, add("be_dyn", map[string]any{"name": "d2", "address": "127.0.0.1", "port": l.app.Port, "agent-send": "x;help"}), 422, "';' in a value")
	mustStatus(t, add("be_dyn", map[string]any{"name": "d2", "address": "127.0.0.1"}), 422, "no port")
	mustStatus(t, add("be_dyn", map[string]any{"name": "d2", "address": "127.0.0.1", "port": 1, "agent-check": "enabled"}), 400, "agent-check without agent-port")
	if l.state(t, "be_dyn", "d2") != nil {
		t.Fatal("a refused add left a server behind")
	}

	// maintenance: enabled keeps the new server out of the rotation.
	mustStatus(t, add("be_dyn", map[string]any{"name": "m1", "address": "127.0.0.1", "port": l.app.Port, "maintenance": "enabled"}), 201, "add m1")
	if st := l.state(t, "be_dyn", "m1"); st["srv_admin_state"] != "1" {
		t.Fatalf("m1 should stay in maintenance: %v", st)
	}

	var list []struct {
		Name       string `json:"name"`
		AdminState string `json:"admin_state"`
	}
	r := l.e.Get(rtPath + "be_dyn/servers")
	mustStatus(t, r, 200, "list be_dyn")
	r.JSON(t, &list)
	if len(list) != 2 || list[0].Name != "d1" || list[0].AdminState != "ready" || list[1].AdminState != "maint" {
		t.Fatalf("list: %s", r.Body)
	}
	mustStatus(t, l.e.Get(rtPath+"nosuch/servers"), 404, "list an unknown backend")
	mustStatus(t, l.e.Get(rtPath+"fe/servers"), 404, "list a frontend")

	del := func(be, srv string) *apitest.Response {
		return l.e.Do(apitest.Request{Method: "DELETE", Path: rtPath + be + "/servers/" + srv})
	}
	mustStatus(t, del("be_dyn", "d1"), 204, "delete d1 (ready: put in maint first)")
	mustStatus(t, del("be_dyn", "m1"), 204, "delete m1")
	mustStatus(t, del("be_dyn", "d1"), 404, "delete d1 again")
	mustStatus(t, del("nosuch", "d1"), 404, "delete in an unknown backend")
	if l.state(t, "be_dyn", "d1") != nil {
		t.Fatal("d1 still there")
	}
	// TLS params go on `add server` too.
	tls := map[string]any{"name": "t1", "address": "127.0.0.1", "port": l.app.Port, "id": 77, "maintenance": "enabled",
		"ssl": "enabled", "verify": "none", "ciphers": "ECDHE+AESGCM", "ciphersuites": "TLS_AES_128_GCM_SHA256",
		"ssl_min_ver": "TLSv1.2", "ssl_max_ver": "TLSv1.3", "no_tlsv10": "enabled", "tls_tickets": "disabled",
		"ssl_reuse": "disabled", "allow_0rtt": true, "verifyhost": "app.example.com", "pool_max_conn": 10,
		"pool_purge_delay": 1000, "proxy-v2-options": []any{"ssl"}, "ws": "h1"}
	mustStatus(t, add("be_dyn", tls), 201, "add t1 with TLS params")
	if st := l.state(t, "be_dyn", "t1"); st == nil || st["srv_id"] != "77" {
		t.Fatalf("t1 after add: %v", st)
	}
	mustStatus(t, del("be_dyn", "t1"), 204, "delete t1")
	// HAProxy 2.6 takes no ssl-reuse on add server: refused before asking it.
	tls["ssl_reuse"] = "enabled"
	if r := add("be_dyn", tls); r.Status != 400 || !strings.Contains(string(r.Body), "ssl_reuse") {
		t.Fatalf("ssl_reuse on add server: %d %s", r.Status, r.Body)
	}
	// A tracked server cannot go: HAProxy refuses, and it is put back.
	r = del("be_app", "s2")
	mustStatus(t, r, 400, "delete a tracked server")
	if !strings.Contains(string(r.Body), "put back to ready") {
		t.Fatalf("message: %s", r.Body)
	}
	if st := l.state(t, "be_app", "s2"); st["srv_admin_state"] != "0" {
		t.Fatalf("s2 not put back to ready: %v", st)
	}
	if !bytes.Equal(before, l.e.ReadConfig()) {
		t.Fatal("runtime add/delete changed the configuration file")
	}
}

// slowLab adds a backend whose server holds every request until released.
type slowLab struct {
	*runtimeLab
	slowPort int
	release  chan struct{}
	once     sync.Once
}

func startSlowLab(t *testing.T) *slowLab {
	t.Helper()
	s := &slowLab{release: make(chan struct{}), slowPort: haproxytest.FreePort(t)}
	slow := haproxytest.StartBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.release:
		case <-time.After(20 * time.Second):
		}
		fmt.Fprint(w, "slow")
	})
	t.Cleanup(s.free)
	in := haproxytest.New(t)
	cfg := in.Global() + fmt.Sprintf(`
frontend fe_slow
    bind 127.0.0.1:%d
    default_backend be_slow

backend be_slow
    server s1 %s
`, s.slowPort, slow.Addr())
	s.runtimeLab = &runtimeLab{e: apitest.Start(t, in, cfg, apitest.Options{})}
	return s
}

func (s *slowLab) free() { s.once.Do(func() { close(s.release) }) }

// hold starts n requests through HAProxy and waits until HAProxy counts
// them on the server; the returned channel gets each request's status.
func (s *slowLab) hold(t *testing.T, n int) chan int {
	t.Helper()
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			st, _, _ := haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", s.slowPort))
			done <- st
		}()
	}
	haproxytest.WaitFor(t, 10*time.Second, fmt.Sprintf("%d sessions on be_slow/s1", n), func() bool {
		return s.sessions(t) == n
	})
	return done
}

// sessions is scur of be_slow/s1.
func (s *slowLab) sessions(t *testing.T) int {
	out := s.e.HAProxy.Stats("show stat be_slow 4 -1")
	lines := strings.Split(out, "\n")
	if len(lines) < 2 {
		return -1
	}
	f := strings.Split(lines[1], ",")
	n, _ := strconv.Atoi(f[4]) // scur
	return n
}

type drainResult struct {
	AdminState       string `json:"admin_state"`
	OperationalState string `json:"operational_state"`
	CurrentSessions  int    `json:"current_sessions"`
	Queued           int    `json:"queued"`
	Drained          bool   `json:"drained"`
	TimedOut         bool   `json:"timed_out"`
	WaitedMS         int    `json:"waited_ms"`
}

// drainAsync POSTs the drain of be_slow/s1 with body from another
// goroutine, so the test can act while the drain waits. The channel gets
// the response (nil when the request itself failed, which failed the test)
// and when it arrived.
func (s *slowLab) drainAsync(body map[string]any) chan drainAnswer {
	ch := make(chan drainAnswer, 1)
	go func() {
		var r *apitest.Response
		// Sent even when Do fails the test and ends this goroutine.
		defer func() { ch <- drainAnswer{r, time.Now()} }()
		r = s.e.Do(apitest.Request{Method: "POST", Path: rtPath + "be_slow/servers/s1/drain", Body: body})
	}()
	return ch
}

type drainAnswer struct {
	r  *apitest.Response
	at time.Time
}

// waitAnswer waits for a drainAsync answer; limit is generous, it only
// catches a drain that never answers.
func waitAnswer(t *testing.T, ch chan drainAnswer, limit time.Duration) drainAnswer {
	t.Helper()
	select {
	case a := <-ch:
		if a.r == nil {
			t.Fatal("the drain request failed")
		}
		return a
	case <-time.After(limit):
		t.Fatalf("the drain did not answer within %s", limit)
		return drainAnswer{}
	}
}

// metricSum scrapes /metrics and adds up the series of name whose labels
// pass match.
func metricSum(t *testing.T, e *apitest.Env, name string, match func(labels map[string]string) bool) float64 {
	t.Helper()
	status, fams := scrapeMetrics(t, e, true)
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	sum := 0.0
	if f := fams[name]; f != nil {
		for _, m := range f.Metric {
			labels := map[string]string{}
			for _, lp := range m.Label {
				labels[lp.GetName()] = lp.GetValue()
			}
			if match(labels) && m.Counter != nil {
				sum += m.Counter.GetValue()
			}
		}
	}
	return sum
}

// setServerOK counts the `set server` commands dataplane got an answer to.
func setServerOK(t *testing.T, e *apitest.Env) float64 {
	return metricSum(t, e, "dataplane_runtime_commands_total", func(l map[string]string) bool {
		return l["command"] == "set server" && l["outcome"] == "ok"
	})
}

// drainsAnswered counts the drain requests whose handler has returned.
func drainsAnswered(t *testing.T, e *apitest.Env) float64 {
	return metricSum(t, e, "dataplane_http_requests_total", func(l map[string]string) bool {
		return strings.HasSuffix(l["route"], "/servers/{name}/drain")
	})
}

func TestDrainWaitsForSessions(t *testing.T) {
	s := startSlowLab(t)
	done := s.hold(t, 3)
	begin := time.Now()
	answer := s.drainAsync(map[string]any{"timeout": 60000, "then": "maint"})
	// The sessions end only once the server is in drain: the drain has
	// to wait for them, whatever the machine's speed.
	haproxytest.WaitFor(t, 30*time.Second, "be_slow/s1 in drain", func() bool {
		return s.state(t, "be_slow", "s1")["srv_admin_state"] == "8"
	})
	released := time.Since(begin)
	s.free()
	a := waitAnswer(t, answer, 60*time.Second)
	took := a.at.Sub(begin)
	mustStatus(t, a.r, 200, "drain")
	var res drainResult
	a.r.JSON(t, &res)
	if !res.Drained || res.TimedOut || res.CurrentSessions != 0 || res.Queued != 0 || res.AdminState != "maint" {
		t.Fatalf("drain result: %s", a.r.Body)
	}
	if took < released {
		t.Fatalf("drain answered after %s; the requests were released after %s", took, released)
	}
	if res.WaitedMS <= 0 || time.Duration(res.WaitedMS)*time.Millisecond > took {
		t.Fatalf("waited_ms %d, want more than 0 and at most the %s the drain took", res.WaitedMS, took)
	}
	for i := 0; i < 3; i++ {
		if st := <-done; st != 200 {
			t.Fatalf("a held request ended with %d: draining must not cut it", st)
		}
	}
	if st := s.state(t, "be_slow", "s1"); st["srv_admin_state"] != "1" {
		t.Fatalf("then=maint not applied: %v", st)
	}
	t.Logf("drain answered after %s (released at %s), waited_ms=%d", took, released, res.WaitedMS)
}

func TestDrainTimesOut(t *testing.T) {
	s := startSlowLab(t)
	done := s.hold(t, 2)
	begin := time.Now()
	r := s.e.Do(apitest.Request{Method: "POST", Path: rtPath + "be_slow/servers/s1/drain", Body: map[string]any{"timeout": 500}})
	took := time.Since(begin)
	mustStatus(t, r, 200, "drain with a short timeout")
	var res drainResult
	r.JSON(t, &res)
	if res.Drained || !res.TimedOut || res.CurrentSessions != 2 || res.AdminState != "drain" {
		t.Fatalf("drain result: %s", r.Body)
	}
	// At least the timeout; the upper bound only says it did not wait for
	// the held sessions (the backend holds them for 20 s).
	if took < 500*time.Millisecond || took > 10*time.Second {
		t.Fatalf("a 500 ms drain answered after %s", took)
	}
	s.free()
	<-done
	<-done

	// Defaults (empty body), unknown server, bad bodies.
	r = s.e.Do(apitest.Request{Method: "POST", Path: rtPath + "be_slow/servers/s1/drain"})
	mustStatus(t, r, 200, "drain with no body")
	r.JSON(t, &res)
	if !res.Drained || res.AdminState != "drain" {
		t.Fatalf("drain of an idle server: %s", r.Body)
	}
	mustStatus(t, s.e.Do(apitest.Request{Method: "POST", Path: rtPath + "be_slow/servers/nosuch/drain"}), 404, "drain an unknown server")
	mustStatus(t, s.e.Do(apitest.Request{Method: "POST", Path: rtPath + "be_slow/servers/s1/drain", Body: map[string]any{"timeout": 3600001}}), 422, "timeout over the maximum")
	mustStatus(t, s.e.Do(apitest.Request{Method: "POST", Path: rtPath + "be_slow/servers/s1/drain", Body: map[string]any{"then": "delete"}}), 422, "unknown then")
}

func TestDrainClientGoesAway(t *testing.T) {
	s := startSlowLab(t)
	done := s.hold(t, 1)
	sets0, drains0 := setServerOK(t, s.e), drainsAnswered(t, s.e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", s.e.Server.URL+"/v3"+rtPath+"be_slow/servers/s1/drain", strings.NewReader(`{"timeout": 60000, "then": "maint"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(apitest.User, apitest.Password)
	answered := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("the drain answered %d before the client gave up", resp.StatusCode)
		} else {
			err = nil
		}
		answered <- err
	}()
	// The client goes away once the drain waits: the server is in drain
	// and dataplane got the answer to its `set server` (so the drain is
	// past it).
	haproxytest.WaitFor(t, 30*time.Second, "the drain waiting", func() bool {
		return s.state(t, "be_slow", "s1")["srv_admin_state"] == "8" && setServerOK(t, s.e) > sets0
	})
	cancel()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the client's request did not end 30 s after it was cancelled")
	}
	// The wait stops (the handler returns); the server stays in drain and
	// never reaches maint.
	haproxytest.WaitFor(t, 30*time.Second, "the abandoned drain's handler to return", func() bool {
		return drainsAnswered(t, s.e) > drains0
	})
	if st := s.state(t, "be_slow", "s1"); st["srv_admin_state"] != "8" {
		t.Fatalf("after the client left: %v, want drain (8)", st)
	}
	s.free()
	<-done
	if st := s.state(t, "be_slow", "s1"); st["srv_admin_state"] != "8" {
		t.Fatalf("the abandoned drain went on: %v", st)
	}
}

func TestNativeStats(t *testing.T) {
	l := startRuntimeLab(t, stayDown)
	for i := 0; i < 3; i++ {
		if _, _, err := haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", l.fePort)); err != nil {
			t.Fatal(err)
		}
	}
	type stat struct {
		Type        string         `json:"type"`
		Name        string         `json:"name"`
		BackendName string         `json:"backend_name"`
		Stats       map[string]any `json:"stats"`
	}
	var body struct {
		RuntimeAPI string `json:"runtimeAPI"`
		Error      string `json:"error"`
		Stats      []stat `json:"stats"`
	}
	get := func(q string, status int) {
		t.Helper()
		body.Stats = nil
		r := l.e.Get("/services/haproxy/stats/native" + q)
		mustStatus(t, r, status, "stats"+q)
		if status == 200 || status == 500 {
			r.JSON(t, &body)
		}
	}
	get("", 200)
	kinds := map[string]int{}
	for _, s := range body.Stats {
		kinds[s.Type]++
	}
	// fe, fe_dyn; be_app, be_trk, be_dyn, be_src; s1, s2, t1, a.
	if kinds["frontend"] != 2 || kinds["backend"] != 4 || kinds["server"] != 4 || body.RuntimeAPI == "" {
		t.Fatalf("kinds %v runtimeAPI %q", kinds, body.RuntimeAPI)
	}

	get("?type=frontend&name=fe", 200)
	if len(body.Stats) != 1 || body.Stats[0].Name != "fe" {
		t.Fatalf("frontend fe: %+v", body.Stats)
	}
	fe := body.Stats[0].Stats
	if n, ok := fe["req_tot"].(float64); !ok || n < 3 {
		t.Fatalf("fe req_tot %#v", fe["req_tot"])
	}
	if fe["status"] != "OPEN" || fe["mode"] != "http" {
		t.Fatalf("fe status/mode: %v %v", fe["status"], fe["mode"])
	}
	if _, ok := fe["qcur"]; ok {
		t.Fatal("a column HAProxy leaves empty for frontends is present")
	}

	get("?type=server&parent=be_app&name=s1", 200)
	if len(body.Stats) != 1 || body.Stats[0].Name != "s1" || body.Stats[0].BackendName != "be_app" {
		t.Fatalf("server s1: %+v", body.Stats)
	}
	if w, ok := body.Stats[0].Stats["weight"].(float64); !ok || w != 50 {
		t.Fatalf("s1 weight %#v", body.Stats[0].Stats["weight"])
	}
	if body.Stats[0].Stats["status"] != "no check" {
		t.Fatalf("s1 status %#v", body.Stats[0].Stats["status"])
	}
	get("?type=server&parent=be_app", 200)
	if len(body.Stats) != 2 {
		t.Fatalf("servers of be_app: %+v", body.Stats)
	}
	get("?type=backend", 200)
	if len(body.Stats) != 4 {
		t.Fatalf("backends: %d", len(body.Stats))
	}
	get("?type=backend&name=be_app", 200)
	if len(body.Stats) != 1 || body.Stats[0].Stats["algo"] != "roundrobin" {
		t.Fatalf("backend be_app: %+v", body.Stats)
	}

	get("?name=fe", 400)
	get("?type=server&name=s1", 400)
	get("?type=backend&parent=be_app", 400)
	get("?type=frontend&name=nosuch", 404)
	get("?type=backend&name=fe", 404) // a frontend has no backend row
	get("?type=server&parent=be_app&name=nosuch", 404)
	get("?type=bogus", 400)

	// Discovery lists the stats endpoint.
	var eps []struct{ URL string }
	l.e.Get("/services/haproxy/stats").JSON(t, &eps)
	if len(eps) != 1 || eps[0].URL != "/v3/services/haproxy/stats/native" {
		t.Fatalf("stats discovery: %+v", eps)
	}

	// A dead socket answers 500 with the same shape.
	l.e.HAProxy.Stop()
	get("", 500)
	if body.Error == "" || body.Stats == nil || len(body.Stats) != 0 {
		t.Fatalf("500 body: %+v", body)
	}
}

// TestDrainOutlivesWriteTimeout: a drain longer than the server's
// write_timeout still gets its answer.
func TestDrainOutlivesWriteTimeout(t *testing.T) {
	s := startSlowLab(t)
	const writeTimeout = 300 * time.Millisecond
	srv := httptest.NewUnstartedServer(s.e.App.Handler)
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	defer srv.Close()
	done := s.hold(t, 1)
	req, err := http.NewRequest("POST", srv.URL+"/v3"+rtPath+"be_slow/servers/s1/drain", strings.NewReader(`{"timeout": 60000}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(apitest.User, apitest.Password)
	type answer struct {
		res    drainResult
		status int
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		var a answer
		defer func() { answered <- a }()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			a.err = err
			return
		}
		defer resp.Body.Close()
		a.status = resp.StatusCode
		a.err = json.NewDecoder(resp.Body).Decode(&a.res)
	}()
	// The request has been read (its write deadline is running) once the
	// server is in drain; the sessions end only after a whole write
	// timeout more, so the answer comes after the server's write_timeout.
	haproxytest.WaitFor(t, 30*time.Second, "be_slow/s1 in drain", func() bool {
		return s.state(t, "be_slow", "s1")["srv_admin_state"] == "8"
	})
	time.Sleep(writeTimeout) // a lower bound on the drain's length, not a wait for something to happen
	s.free()
	var a answer
	select {
	case a = <-answered:
	case <-time.After(60 * time.Second):
		t.Fatal("the drain did not answer within 60 s of the release")
	}
	if a.err != nil {
		t.Fatalf("a drain longer than write_timeout lost its answer: %v", a.err)
	}
	if a.status != 200 || !a.res.Drained {
		t.Fatalf("drain: %d %+v", a.status, a.res)
	}
	<-done
}

// TestRuntimeServerPutReadBack shows that a runtime PUT answers with the
// state HAProxy has after the change, read back on the same line as the
// change, and never with what was asked: a value HAProxy refuses is an
// error that changes nothing, and a change HAProxy takes but that does not
// give the server the asked state (its tracked server holds it in
// maintenance) is answered with the state as it is.
func TestRuntimeServerPutReadBack(t *testing.T) {
	l := startRuntimeLab(t)

	// One field, refused: the one-line change and read back fails as a
	// whole, and the weight is still the configured one.
	before := l.state(t, "be_src", "a")
	r := l.put(t, "be_src", "a", map[string]any{"weight": 3})
	mustStatus(t, r, 400, "PUT weight on a static algorithm")
	if !strings.Contains(string(r.Body), "weight") {
		t.Errorf("refused weight: the message does not name it: %s", r.Body)
	}
	if after := l.state(t, "be_src", "a"); after["srv_uweight"] != before["srv_uweight"] {
		t.Fatalf("a refused weight changed the server: %v -> %v", before["srv_uweight"], after["srv_uweight"])
	}

	// Taken but not in effect: t1 tracks be_app/s2, so while s2 is in
	// maintenance t1 stays in maintenance whatever it is told.
	mustStatus(t, l.put(t, "be_app", "s2", map[string]any{"admin_state": "maint"}), 200, "PUT s2 maint")
	for _, c := range []struct {
		asked, want string
	}{{"ready", "maint"}, {"drain", "maint"}} {
		r := l.put(t, "be_trk", "t1", map[string]any{"admin_state": c.asked})
		mustStatus(t, r, 200, "PUT t1 "+c.asked)
		var s struct {
			AdminState string `json:"admin_state"`
		}
		r.JSON(t, &s)
		if s.AdminState != c.want {
			t.Errorf("PUT t1 %s while its tracked server is in maintenance: answered admin_state %q, want %q: %s", c.asked, s.AdminState, c.want, r.Body)
		}
		if bits, _ := strconv.Atoi(l.state(t, "be_trk", "t1")["srv_admin_state"]); bits&0x02 == 0 {
			t.Errorf("PUT t1 %s: HAProxy no longer has it in inherited maintenance (%#x): the test proves nothing", c.asked, bits)
		}
	}

	// Once s2 is back, the same request is answered with what it asked.
	mustStatus(t, l.put(t, "be_app", "s2", map[string]any{"admin_state": "ready"}), 200, "PUT s2 ready")
	r = l.put(t, "be_trk", "t1", map[string]any{"admin_state": "ready"})
	mustStatus(t, r, 200, "PUT t1 ready")
	var s struct {
		AdminState string `json:"admin_state"`
	}
	r.JSON(t, &s)
	if s.AdminState != "ready" {
		t.Errorf("PUT t1 ready with s2 ready: answered %q: %s", s.AdminState, r.Body)
	}
}
