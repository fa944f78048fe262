package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// start runs HAProxy with one frontend and dataplane in front of it.
func start(t *testing.T, opts ...func(*settings.Settings)) (*apitest.Env, int) {
	t.Helper()
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	cfg := in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, port)
	return apitest.Start(t, in, cfg, apitest.Options{Settings: func(st *settings.Settings) {
		for _, o := range opts {
			o(st)
		}
	}}), port
}

// pathParams fills path parameters with plausible values.
var pathParams = regexp.MustCompile(`\{[^}]+\}`)

func TestEveryOperationRequiresCredentials(t *testing.T) {
	e, _ := start(t)
	ops := 0
	for path, item := range e.Spec().Paths.Map() {
		for method := range item.Operations() {
			concrete := pathParams.ReplaceAllStringFunc(path, func(p string) string {
				if p == "{id}" && strings.Contains(path, "reloads") {
					return "2026-01-01-1"
				}
				return "x1"
			})
			for _, c := range []struct {
				name string
				req  apitest.Request
			}{
				{"no credentials", apitest.Request{Method: method, Path: concrete, NoAuth: true}},
				{"wrong password", apitest.Request{Method: method, Path: concrete, User: apitest.User, Pass: "wrong"}},
				// A new unknown name each time: the good login below
				// resets only the real user's failures.
				{"unknown user", apitest.Request{Method: method, Path: concrete, User: fmt.Sprintf("mallory%d", ops), Pass: apitest.Password}},
			} {
				resp := e.Do(c.req)
				if resp.Status != http.StatusUnauthorized {
					t.Errorf("%s %s with %s: status %d, want 401", method, concrete, c.name, resp.Status)
				}
				if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="dataplane"` {
					t.Errorf("%s %s with %s: WWW-Authenticate %q", method, concrete, c.name, got)
				}
			}
			// A correct login forgets the failures, so that backoff (429
			// after a few failures, see TestFailedLoginsBackOff) does not
			// answer for the next operation.
			if r := e.Do(apitest.Request{Method: "GET", Path: "/info"}); r.Status != http.StatusOK {
				t.Fatalf("GET /info with good credentials: %d", r.Status)
			}
			ops++
		}
	}
	if ops < 10 {
		t.Fatalf("walked only %d operations", ops)
	}
	// Paths outside the contract are not revealed to strangers either.
	if r := e.Do(apitest.Request{Method: "GET", Path: "/no/such/path", NoAuth: true}); r.Status != 401 {
		t.Errorf("unknown path without credentials: %d, want 401", r.Status)
	}
	if r := e.Get("/no/such/path"); r.Status != 404 {
		t.Errorf("unknown path with credentials: %d, want 404", r.Status)
	}
}

// stayDown keeps dataplane from starting HAProxy again, for tests of the
// answers while it is down (TestKeeperStartsHAProxyAgain shows the start).
func stayDown(st *settings.Settings) { st.HAProxy.Reload.RestartWhenDown = false }

func TestHealthFollowsHAProxy(t *testing.T) {
	e, _ := start(t, stayDown)
	health := func() string {
		var h struct{ HAProxy string }
		e.Get("/health").JSON(t, &h)
		return h.HAProxy
	}
	if got := health(); got != "up" {
		t.Fatalf("health = %q with HAProxy running, want up", got)
	}
	e.HAProxy.Stop()
	// The deadline of the wait is the bound: health follows HAProxy.
	haproxytest.WaitFor(t, 10*time.Second, "health says down", func() bool { return health() == "down" })

	// One probe ends at its own one-second deadline even when the runtime
	// socket accepts the connection and then never answers: health says
	// down instead of hanging. The 10 s client timeout only bounds a probe
	// that never ends.
	var accepted atomic.Int32
	closeSilent := silentSockets(t, &accepted, e.HAProxy.StatsSocket, e.HAProxy.MasterSocket)
	req, err := http.NewRequest("GET", e.Server.URL+"/v3/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(apitest.User, apitest.Password)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("a health probe against a socket that never answers did not end: %v", err)
	}
	var h struct{ HAProxy string }
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || h.HAProxy != "down" {
		t.Fatalf("health against a socket that never answers: %d %+v %v, want 200 down", resp.StatusCode, h, err)
	}
	if accepted.Load() == 0 {
		t.Fatal("the probe never reached the silent socket")
	}
	closeSilent()
	e.HAProxy.Start("")
	haproxytest.WaitFor(t, 10*time.Second, "health says up again", func() bool { return health() == "up" })
}

func TestConfigurationVersion(t *testing.T) {
	e, _ := start(t)
	r := e.Get("/services/haproxy/configuration/version")
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != "1" {
		t.Fatalf("version of a file without # _version: %d %s, want 200 1", r.Status, r.Body)
	}
	if bytes.HasPrefix(e.ReadConfig(), []byte("# _version")) {
		t.Fatal("the file got a version line without any write")
	}
	raw := e.Get("/services/haproxy/configuration/raw")
	if raw.Status != 200 || !bytes.Equal(raw.Body, e.ReadConfig()) {
		t.Fatalf("raw GET %d differs from the file", raw.Status)
	}
	if ct := raw.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("raw Content-Type %q", ct)
	}
	w := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?version=1&skip_reload=true", Body: raw.Body})
	if w.Status != 201 {
		t.Fatalf("raw POST skip_reload: %d %s", w.Status, w.Body)
	}
	if !bytes.HasPrefix(e.ReadConfig(), []byte("# _version=2\n")) {
		t.Fatalf("first write did not add the version line:\n%s", e.ReadConfig())
	}
	if got := e.Get("/services/haproxy/configuration/version"); strings.TrimSpace(string(got.Body)) != "2" || got.Header.Get("Configuration-Version") != "2" {
		t.Fatalf("version after a write: %s (header %s), want 2", got.Body, got.Header.Get("Configuration-Version"))
	}
}

func TestRawPost(t *testing.T) {
	e, port := start(t)
	be := haproxytest.StartBackend(t, "newapp", nil)
	original := e.ReadConfig()
	reloads0, _ := e.HAProxy.Reloads()

	post := func(query string, body string) *apitest.Response {
		return e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw" + query, Body: body})
	}
	// Clients post what they read, version line included, so HAProxy's
	// line numbers are those of their body.
	bad := "# _version=1\n" + string(original) + "\nbackend broken\n    bogus_keyword here\n"
	cases := []struct {
		name, query, body string
		status            int
		message           string
	}{
		{"rejected by haproxy -c", "?version=1", bad, 400, "unknown keyword 'bogus_keyword'"},
		{"line number in the message", "?version=1", bad, 400, fmt.Sprintf("haproxy.cfg:%d]", bytes.Count(original, []byte("\n"))+4)},
		{"no newline", "?version=1", "global", 400, "invalid configuration: no newline character found"},
		{"stale version", "?version=7", string(original), 409, "version in configuration file is 1, given version is 7"},
		{"no version", "", string(original), 400, "version"},
		{"bad version type", "?version=abc", string(original), 400, "version"},
		{"force and skip reload", "?version=1&force_reload=true&skip_reload=true", string(original), 400, "exclude"},
		{"only_validate rejects", "?only_validate=true", bad, 400, "unknown keyword 'bogus_keyword'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(c.query, c.body)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.message) {
				t.Fatalf("status %d body %s; want %d containing %q", r.Status, r.Body, c.status, c.message)
			}
			if !bytes.Equal(e.ReadConfig(), original) {
				t.Fatal("the live file changed")
			}
		})
	}
	if r, _ := e.HAProxy.Reloads(); r != reloads0 {
		t.Fatalf("rejected requests reloaded HAProxy (%d -> %d)", reloads0, r)
	}

	// only_validate of a valid file: 202, the body echoed, nothing written.
	valid := string(original) + fmt.Sprintf("\nbackend be_new\n    server s1 %s\n", be.Addr())
	r := post("?only_validate=true", valid)
	if r.Status != 202 || string(r.Body) != valid {
		t.Fatalf("only_validate valid: %d %s", r.Status, r.Body)
	}
	if !bytes.Equal(e.ReadConfig(), original) {
		t.Fatal("only_validate wrote the file")
	}

	// A valid file: written, reloaded, and HAProxy serves the new backend.
	withRoute := strings.Replace(valid, `http-request return status 200 content-type text/plain string "ok\n"`,
		"default_backend be_new", 1)
	r = post("?version=1", withRoute)
	if r.Status != 202 {
		t.Fatalf("raw POST: %d %s", r.Status, r.Body)
	}
	id := r.Header.Get("Reload-ID")
	if ok, _ := regexp.MatchString(`^\d{4}-\d{2}-\d{2}-\d+$`, id); !ok {
		t.Fatalf("Reload-ID %q", id)
	}
	if r.Header.Get("Configuration-Version") != "2" {
		t.Fatalf("Configuration-Version %q, want 2", r.Header.Get("Configuration-Version"))
	}
	haproxytest.WaitFor(t, 10*time.Second, "reload "+id+" succeeded", func() bool {
		var rec struct{ Status string }
		e.Get("/services/haproxy/reloads/"+id).JSON(t, &rec)
		return rec.Status == "succeeded"
	})
	if !strings.Contains(e.HAProxy.Stats("show stat"), "be_new,s1,") {
		t.Fatal("be_new/s1 not in show stat after the reload")
	}
	code, body, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil || code != 200 || body != "newapp" {
		t.Fatalf("traffic through the new backend: %d %q %v", code, body, err)
	}

	// The same file again is no change: 201, no reload, same version.
	r0, _ := e.HAProxy.Reloads()
	r = post("?version=2", string(e.ReadConfig()))
	if r.Status != 201 || r.Header.Get("Reload-ID") != "" || r.Header.Get("Configuration-Version") != "2" {
		t.Fatalf("identical body: %d Reload-ID=%q version %s", r.Status, r.Header.Get("Reload-ID"), r.Header.Get("Configuration-Version"))
	}
	if n, _ := e.HAProxy.Reloads(); n != r0 {
		t.Fatal("an identical body reloaded HAProxy")
	}
	// force_reload answers after the reload, 201, without Reload-ID.
	r = post("?version=2&force_reload=true", string(e.ReadConfig())+"# one more comment\n")
	if r.Status != 201 || r.Header.Get("Reload-ID") != "" {
		t.Fatalf("force_reload: %d Reload-ID=%q %s", r.Status, r.Header.Get("Reload-ID"), r.Body)
	}
	if got := r.Header.Get("Configuration-Version"); got != "3" {
		t.Fatalf("force_reload version %s, want 3", got)
	}
	// skip_version keeps the body's own version line.
	r = post("?skip_version=true&skip_reload=true", "# _version=40\n"+strings.SplitN(string(e.ReadConfig()), "\n", 2)[1])
	if r.Status != 201 || !bytes.HasPrefix(e.ReadConfig(), []byte("# _version=40\n")) {
		t.Fatalf("skip_version: %d, file starts %q", r.Status, e.ReadConfig()[:20])
	}
}

func TestReloadEndpoints(t *testing.T) {
	e, _ := start(t)
	r0, _ := e.HAProxy.Reloads()
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads"})
	if r.Status != 202 || r.Header.Get("Reload-ID") == "" {
		t.Fatalf("POST /reloads: %d %s", r.Status, r.Body)
	}
	id := r.Header.Get("Reload-ID")
	haproxytest.WaitFor(t, 10*time.Second, "reload done", func() bool {
		var rec struct{ Status string }
		e.Get("/services/haproxy/reloads/"+id).JSON(t, &rec)
		return rec.Status == "succeeded"
	})
	r = e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
	var rec struct {
		ID, Status string
		Timestamp  int64 `json:"reload_timestamp"`
	}
	r.JSON(t, &rec)
	if r.Status != 200 || rec.Status != "succeeded" || rec.ID == id || rec.Timestamp == 0 {
		t.Fatalf("forced reload: %d %+v", r.Status, rec)
	}
	if n, failed := e.HAProxy.Reloads(); n != r0+2 || failed != 0 {
		t.Fatalf("HAProxy reloads %d (failed %d), want %d", n, failed, r0+2)
	}
	var list []struct{ ID, Status string }
	e.Get("/services/haproxy/reloads").JSON(t, &list)
	if len(list) != 2 || list[0].ID != id || list[1].ID != rec.ID {
		t.Fatalf("reload list %+v", list)
	}
	if r := e.Get("/services/haproxy/reloads/2020-01-01-9"); r.Status != 404 {
		t.Fatalf("unknown reload: %d", r.Status)
	}
	if r := e.Get("/services/haproxy/reloads/not-an-id"); r.Status != 400 {
		t.Fatalf("malformed reload id: %d", r.Status)
	}
}

func TestInfoDiscoveryAndSpecification(t *testing.T) {
	e, _ := start(t)
	var info struct {
		API struct {
			Version   string `json:"version"`
			BuildDate string `json:"build_date"`
		} `json:"api"`
		System struct {
			Hostname string `json:"hostname"`
			CPU      struct {
				N int `json:"num_cpus"`
			} `json:"cpu_info"`
		} `json:"system"`
	}
	e.Get("/info").JSON(t, &info)
	if info.API.Version != "test" || info.API.BuildDate == "" || info.System.CPU.N < 1 {
		t.Fatalf("info %+v", info)
	}

	var eps []struct{ URL, Title string }
	e.Get("/").JSON(t, &eps)
	urls := map[string]bool{}
	for _, ep := range eps {
		urls[ep.URL] = true
	}
	for _, want := range []string{"/v3/info", "/v3/health", "/v3/services", "/v3/specification"} {
		if !urls[want] {
			t.Errorf("discovery of / lacks %s: %+v", want, eps)
		}
	}
	e.Get("/services/haproxy").JSON(t, &eps)
	if len(eps) < 3 {
		t.Errorf("discovery of /services/haproxy: %+v", eps)
	}

	for _, p := range []string{"/specification", "/specification_openapiv3"} {
		var spec struct {
			OpenAPI string `json:"openapi"`
			Servers []struct{ URL string }
			Paths   map[string]any
		}
		e.Get(p).JSON(t, &spec)
		if !strings.HasPrefix(spec.OpenAPI, "3.0") || len(spec.Servers) != 1 || spec.Servers[0].URL != "/v3" || len(spec.Paths) != len(e.Spec().Paths.Map()) {
			t.Errorf("%s: openapi %q servers %+v paths %d", p, spec.OpenAPI, spec.Servers, len(spec.Paths))
		}
	}

	var pi struct {
		RuntimeAPI string         `json:"runtimeAPI"`
		Info       map[string]any `json:"info"`
	}
	e.Get("/services/haproxy/runtime/info").JSON(t, &pi)
	pid, _ := pi.Info["pid"].(float64)
	if pi.RuntimeAPI == "" || pid <= 0 || pi.Info["version"] == nil {
		t.Fatalf("runtime info %+v", pi)
	}
	if _, ok := pi.Info["uptime"].(float64); !ok {
		t.Errorf("uptime is not a number: %#v", pi.Info["uptime"])
	}
}

func TestRequestValidation(t *testing.T) {
	e, _ := start(t)
	big := strings.Repeat("# padding line\n", 1+int(e.Settings.API.MaxBodySize)/15)
	cases := []struct {
		name   string
		req    apitest.Request
		status int
	}{
		{"integer parameter", apitest.Request{Method: "GET", Path: "/services/haproxy/configuration/raw?version=x"}, 400},
		{"boolean parameter", apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?version=1&force_reload=maybe", Body: "global\n"}, 400},
		{"content type", apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?version=1", Body: []byte("global\n"), ContentType: "application/xml"}, 415},
		{"body over the limit", apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?version=1", Body: big}, 413},
		{"missing body", apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?version=1", ContentType: "text/plain"}, 422},
		{"method", apitest.Request{Method: "DELETE", Path: "/info"}, 405},
	}
	before := e.ReadConfig()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.req)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if !bytes.Equal(before, e.ReadConfig()) {
				t.Fatal("the live file changed")
			}
		})
	}
	if r := e.Do(apitest.Request{Method: "DELETE", Path: "/info"}); r.Header.Get("Allow") != "GET" {
		t.Errorf("405 Allow = %q", r.Header.Get("Allow"))
	}
	_ = strconv.Itoa
}

// TestRuntimeInfoDown: with HAProxy stopped, runtime info answers 500 with
// the error in both the process_info shape and the error shape.
func TestRuntimeInfoDown(t *testing.T) {
	e, _ := start(t, stayDown)
	e.HAProxy.Stop()
	r := e.Get("/services/haproxy/runtime/info")
	var body struct {
		Error   string `json:"error"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	r.JSON(t, &body)
	if r.Status != 500 || body.Error == "" || body.Code != 500 || body.Message == "" {
		t.Fatalf("runtime info with HAProxy down: %d %s", r.Status, r.Body)
	}
}

// TestUserlistFollowsConfig: API users from an HAProxy userlist follow it;
// a user removed from the userlist loses access at once.
func TestUserlistFollowsConfig(t *testing.T) {
	in := haproxytest.New(t)
	cfg := in.Global() + fmt.Sprintf(`
userlist controller
    user admin insecure-password adminpwd
    user bob insecure-password bobpwd

frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, haproxytest.FreePort(t))
	e := apitest.Start(t, in, cfg, apitest.Options{Settings: func(st *settings.Settings) { st.API.Users = nil }})
	if r := e.Do(apitest.Request{Method: "GET", Path: "/info", User: "bob", Pass: "bobpwd"}); r.Status != 200 {
		t.Fatalf("bob from the userlist: %d", r.Status)
	}
	without := strings.Replace(string(e.ReadConfig()), "    user bob insecure-password bobpwd\n", "", 1)
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?version=1&skip_reload=true", Body: without})
	if r.Status != 201 {
		t.Fatalf("removing bob: %d %s", r.Status, r.Body)
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/info", User: "bob", Pass: "bobpwd"}); r.Status != 401 {
		t.Fatalf("bob after his removal: %d, want 401", r.Status)
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/info"}); r.Status != 200 {
		t.Fatalf("admin after bob's removal: %d", r.Status)
	}
}

// silentSockets listens on each path (in place of HAProxy's sockets, which
// must be stopped) and accepts connections that it never answers, counting
// them in accepted. The returned function closes everything and removes the
// socket files; it also runs at cleanup.
func silentSockets(t *testing.T, accepted *atomic.Int32, paths ...string) func() {
	t.Helper()
	var mu sync.Mutex
	var closers []io.Closer
	var wg sync.WaitGroup
	for _, path := range paths {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		closers = append(closers, l)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				mu.Lock()
				closers = append(closers, c)
				mu.Unlock()
			}
		}()
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			mu.Lock()
			for _, c := range closers {
				c.Close()
			}
			mu.Unlock()
			wg.Wait()
			for _, path := range paths {
				os.Remove(path)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestFailedLoginsBackOff: through the real server, a client that keeps
// failing for one name gets 429 with Retry-After, even with the right
// password, while another name from the same address is served.
func TestFailedLoginsBackOff(t *testing.T) {
	e, _ := start(t, func(st *settings.Settings) {
		st.API.Users = append(st.API.Users, settings.User{Name: "ops", Password: "opspwd", Insecure: true})
	})
	var last *apitest.Response
	for i := 0; i < 20; i++ {
		last = e.Do(apitest.Request{Method: "GET", Path: "/info", User: apitest.User, Pass: "guess"})
		if last.Status != http.StatusUnauthorized {
			break
		}
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("20 wrong passwords never got 429: last %d %s", last.Status, last.Body)
	}
	if last.Header.Get("Retry-After") == "" || !strings.Contains(string(last.Body), "too many failed logins") {
		t.Fatalf("429 without Retry-After or message: %v %s", last.Header, last.Body)
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/info"}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("right password while blocked: %d, want 429", r.Status)
	}
	if r := e.Do(apitest.Request{Method: "GET", Path: "/info", User: "ops", Pass: "opspwd"}); r.Status != http.StatusOK {
		t.Fatalf("another user from the same address: %d, want 200", r.Status)
	}
}
