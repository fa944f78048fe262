package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// version returns the current configuration version.
func version(t *testing.T, e *apitest.Env) int64 {
	t.Helper()
	r := e.Get("/services/haproxy/configuration/version")
	v, err := strconv.ParseInt(strings.TrimSpace(string(r.Body)), 10, 64)
	if err != nil {
		t.Fatalf("version: %s", r.Body)
	}
	return v
}

func vq(t *testing.T, e *apitest.Env) string {
	return "?version=" + strconv.FormatInt(version(t, e), 10)
}

// mustStatus fails unless r has the status.
func mustStatus(t *testing.T, r *apitest.Response, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
}

// TestCreateTrafficDelete builds a site through the API on a running
// HAProxy, sends real traffic through it, then removes it.
func TestCreateTrafficDelete(t *testing.T) {
	e, _ := start(t)
	app1 := haproxytest.StartBackend(t, "app1", nil)
	app2 := haproxytest.StartBackend(t, "app2", nil)
	port := haproxytest.FreePort(t)
	base := "/services/haproxy/configuration"

	r := e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e) + "&force_reload=true", Body: map[string]any{
		"name": "be_site", "mode": "http", "balance": map[string]any{"algorithm": "roundrobin"},
	}})
	mustStatus(t, r, 201, "create backend")
	for _, app := range []*haproxytest.Backend{app1, app2} {
		r = e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_site/servers" + vq(t, e), Body: map[string]any{
			"name": app.Name, "address": "127.0.0.1", "port": app.Port, "weight": 10,
		}})
		if r.Status != 201 && r.Status != 202 {
			t.Fatalf("create server %s: %d %s", app.Name, r.Status, r.Body)
		}
	}
	r = e.Do(apitest.Request{Method: "POST", Path: base + "/frontends" + vq(t, e), Body: map[string]any{
		"name": "fe_site", "mode": "http", "default_backend": "be_site",
	}})
	mustStatus(t, r, 202, "create frontend")
	r = e.Do(apitest.Request{Method: "POST", Path: base + "/frontends/fe_site/binds" + vq(t, e) + "&force_reload=true", Body: map[string]any{
		"name": "site", "address": "127.0.0.1", "port": port,
	}})
	mustStatus(t, r, 201, "create bind")

	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	seen := map[string]int{}
	for i := 0; i < 20; i++ {
		code, body, err := haproxytest.HTTPGet(t.Context(), url)
		if err != nil || code != 200 {
			t.Fatalf("GET through the new bind: %d %v", code, err)
		}
		seen[body]++
	}
	if seen["app1"] == 0 || seen["app2"] == 0 {
		t.Fatalf("round robin did not reach both servers: %v", seen)
	}

	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/frontends/fe_site" + vq(t, e)}), 202, "delete frontend")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/backends/be_site" + vq(t, e) + "&force_reload=true"}), 204, "delete backend")
	haproxytest.WaitFor(t, 10*time.Second, "the port stops answering", func() bool {
		_, _, err := haproxytest.HTTPGet(t.Context(), url)
		return err != nil
	})
	if strings.Contains(string(e.ReadConfig()), "be_site") {
		t.Fatal("be_site still in the file")
	}
}

// TestRoundTrip PUTs every model and GETs back exactly what was PUT.
func TestRoundTrip(t *testing.T) {
	e, _ := start(t)
	base := "/services/haproxy/configuration"
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e), Body: map[string]any{"name": "be"}}), 202, "create backend")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/frontends" + vq(t, e), Body: map[string]any{"name": "fe2"}}), 202, "create frontend")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be/servers" + vq(t, e), Body: map[string]any{"name": "s1", "address": "127.0.0.1", "port": 9}}), 201, "create server (runtime)")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/frontends/fe2/binds" + vq(t, e), Body: map[string]any{"name": "b1", "address": "127.0.0.1", "port": haproxytest.FreePort(t)}}), 202, "create bind")

	cases := []struct {
		name, path string
		body       map[string]any
	}{
		{"backend", "/backends/be", map[string]any{
			"name": "be", "mode": "http", "balance": map[string]any{"algorithm": "leastconn"},
			"adv_check": "httpchk", "httpchk_params": map[string]any{"method": "GET", "uri": "/health"},
			"connect_timeout": 5000, "server_timeout": 30000, "check_timeout": 1500, "retries": 3,
			"redispatch":     map[string]any{"enabled": "enabled"},
			"cookie":         map[string]any{"name": "SRV", "type": "insert", "indirect": true, "nocache": true},
			"forwardfor":     map[string]any{"enabled": "enabled", "header": "X-Client"},
			"default_server": map[string]any{"inter": 3000, "fall": 3, "rise": 2, "check": "enabled"},
			"description":    "the app servers", "http_connection_mode": "http-server-close",
		}},
		{"frontend", "/frontends/fe2", map[string]any{
			"name": "fe2", "mode": "http", "maxconn": 1000, "client_timeout": 60000, "http_request_timeout": 10000,
			"httplog": true, "log_format": `"%ci:%cp [%tr] %ft %b/%s %ST"`, "dontlognull": "enabled",
			"forwardfor":  map[string]any{"enabled": "enabled", "except": "127.0.0.0/8", "ifnone": true},
			"description": "public entry",
		}},
		{"server", "/backends/be/servers/s1", map[string]any{
			"name": "s1", "address": "127.0.0.2", "port": 8080, "weight": 50, "check": "enabled", "inter": 2000,
			"backup": "enabled", "maxconn": 100, "slowstart": 10000, "send-proxy-v2": "enabled", "observe": "layer7",
			"health_check_port": 8081, "maintenance": "enabled",
		}},
		{"bind", "/frontends/fe2/binds/b1", map[string]any{
			"name": "b1", "address": "127.0.0.1", "port": haproxytest.FreePort(t), "maxconn": 500, "backlog": "1024",
			"defer_accept": true, "tfo": true,
		}},
		{"defaults", "/defaults/unnamed_defaults_1", map[string]any{
			"name": "unnamed_defaults_1", "mode": "http", "connect_timeout": 5000, "client_timeout": 30000,
			"server_timeout": 30000, "http_keep_alive_timeout": 2000, "idle_close_on_response": "enabled",
		}},
		{"global", "/global", map[string]any{
			"runtime_apis":  []any{map[string]any{"address": e.HAProxy.StatsSocket, "level": "admin", "mode": "600", "expose_fd_listeners": true}},
			"stats_timeout": 10000, "performance_options": map[string]any{"maxconn": 4000}, "hard_stop_after": 60000,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(apitest.Request{Method: "PUT", Path: base + c.path + vq(t, e) + "&force_reload=true", Body: c.body})
			mustStatus(t, r, 200, "PUT")
			got := e.Get(base + c.path)
			mustStatus(t, got, 200, "GET")
			want, _ := json.Marshal(c.body)
			if !jsonEqual(t, want, got.Body) {
				t.Fatalf("GET after PUT:\n got %s\nwant %s", got.Body, want)
			}
			if !jsonEqual(t, want, r.Body) {
				t.Fatalf("PUT answered:\n got %s\nwant %s", r.Body, want)
			}
			// The same PUT again changes nothing: 200 and no reload.
			reloads, _ := e.HAProxy.Reloads()
			ids := reloadIDs(t, e)
			v := version(t, e)
			again := e.Do(apitest.Request{Method: "PUT", Path: base + c.path + vq(t, e), Body: c.body})
			mustStatus(t, again, 200, "unchanged PUT")
			if again.Header.Get("Reload-ID") != "" || version(t, e) != v {
				t.Fatalf("unchanged PUT moved the version or scheduled a reload")
			}
			checkNoReload(t, e, "unchanged PUT", ids, reloads)
		})
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// TestConfigurationErrors checks the 4xx answers of every endpoint, each of
// which must leave the file byte-identical.
func TestConfigurationErrors(t *testing.T) {
	e, _ := start(t)
	base := "/services/haproxy/configuration"
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e), Body: map[string]any{"name": "be"}}), 202, "setup backend")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be/servers" + vq(t, e), Body: map[string]any{"name": "s1", "address": "127.0.0.1", "port": 9}}), 201, "setup server (runtime)")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/frontends/fe/binds" + vq(t, e), Body: map[string]any{"name": "b2", "address": "127.0.0.1", "port": haproxytest.FreePort(t)}}), 202, "setup bind")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/defaults" + vq(t, e), Body: map[string]any{"name": "named", "mode": "http"}}), 202, "setup defaults")
	v := strconv.FormatInt(version(t, e), 10)
	good := "?version=" + v
	stale := "?version=" + strconv.FormatInt(version(t, e)-1, 10)

	type C struct {
		name   string
		method string
		path   string
		body   any
		status int
		msg    string
	}
	var cases []C
	resources := []struct {
		coll, one string
		valid     map[string]any
	}{
		{base + "/frontends", base + "/frontends/fe", map[string]any{"name": "fe"}},
		{base + "/backends", base + "/backends/be", map[string]any{"name": "be"}},
		{base + "/defaults", base + "/defaults/named", map[string]any{"name": "named"}},
		{base + "/backends/be/servers", base + "/backends/be/servers/s1", map[string]any{"name": "s1", "address": "127.0.0.1", "port": 9}},
		{base + "/frontends/fe/binds", base + "/frontends/fe/binds/b2", map[string]any{"name": "b2", "address": "127.0.0.1", "port": 1}},
	}
	for _, res := range resources {
		n := res.one
		cases = append(cases,
			C{"GET missing", "GET", n + "x", nil, 404, "not found"},
			C{"PUT missing", "PUT", n + "x" + good, withName(res.valid, lastSeg(n)+"x"), 404, "not found"},
			C{"DELETE missing", "DELETE", n + "x" + good, nil, 404, "not found"},
			C{"POST existing", "POST", res.coll + good, res.valid, 409, "exists"},
			C{"POST stale version", "POST", res.coll + stale, withName(res.valid, "other"), 409, "version"},
			C{"PUT stale version", "PUT", n + stale, res.valid, 409, "version"},
			C{"DELETE stale version", "DELETE", n + stale, nil, 409, "version"},
			C{"POST without version", "POST", res.coll, withName(res.valid, "other"), 400, "version or transaction not specified"},
			C{"PUT with version and transaction", "PUT", n + good + "&transaction_id=abc", res.valid, 400, "both version and transaction"},
			C{"POST newline in name", "POST", res.coll + good, withName(res.valid, "evil\n    bogus"), 422, ""},
			C{"POST unknown field", "POST", res.coll + good, with(res.valid, "frobnicate", 1), 422, ""},
			C{"POST not JSON", "POST", res.coll + good, []byte("{"), 400, ""},
			C{"PUT renaming", "PUT", n + good, withName(res.valid, "renamed"), 400, "renaming"},
			C{"bad version parameter", "PUT", n + "?version=x", res.valid, 400, "version"},
		)
	}
	cases = append(cases,
		C{"server parent missing", "POST", base + "/backends/nope/servers" + good, map[string]any{"name": "s9", "address": "127.0.0.1"}, 404, "not found"},
		C{"bind parent missing", "POST", base + "/frontends/nope/binds" + good, map[string]any{"name": "x", "address": "127.0.0.1", "port": 1}, 404, "not found"},
		C{"weight out of range", "PUT", base + "/backends/be/servers/s1" + good, map[string]any{"name": "s1", "address": "127.0.0.1", "weight": 1000}, 422, ""},
		C{"space in server address", "PUT", base + "/backends/be/servers/s1" + good, map[string]any{"name": "s1", "address": "127.0.0.1 backup"}, 422, ""},
		C{"hash in sni", "PUT", base + "/backends/be/servers/s1" + good, map[string]any{"name": "s1", "address": "127.0.0.1", "sni": "a#b"}, 422, ""},
		C{"quote in log_format", "PUT", base + "/frontends/fe" + good, map[string]any{"name": "fe", "log_format": `"%ci`}, 400, "quote"},
		C{"mode log on a frontend", "PUT", base + "/frontends/fe" + good, map[string]any{"name": "fe", "mode": "log"}, 422, ""},
		C{"haproxy -c rejects", "PUT", base + "/frontends/fe" + good, map[string]any{"name": "fe", "default_backend": "nosuch"}, 400, "unable to find required default_backend"},
		C{"unnamed defaults name reserved", "POST", base + "/defaults" + good, map[string]any{"name": "unnamed_defaults_1"}, 400, "reserved"},
		C{"defaults in use", "DELETE", base + "/defaults/unnamed_defaults_1" + good, nil, 409, "used by"},
		C{"force_reload in transaction", "PUT", base + "/frontends/fe?transaction_id=abc&force_reload=true", map[string]any{"name": "fe"}, 400, "force_reload"},
		C{"unknown transaction", "PUT", base + "/frontends/fe?transaction_id=abc", map[string]any{"name": "fe"}, 404, "abc"},
		C{"removing the admin socket", "PUT", base + "/global" + good, map[string]any{}, 409, "stats socket"},
	)
	before := e.ReadConfig()
	for _, c := range cases {
		t.Run(c.method+" "+c.name+" "+c.path, func(t *testing.T) {
			r := e.Do(apitest.Request{Method: c.method, Path: c.path, Body: c.body, ContentType: ctFor(c.body)})
			if r.Status != c.status || !strings.Contains(strings.ToLower(string(r.Body)), strings.ToLower(c.msg)) {
				t.Fatalf("status %d %s; want %d with %q", r.Status, r.Body, c.status, c.msg)
			}
			if !bytes.Equal(before, e.ReadConfig()) {
				t.Fatalf("the file changed")
			}
		})
	}
}

func ctFor(body any) string {
	if _, ok := body.([]byte); ok {
		return "application/json"
	}
	return ""
}

func withName(m map[string]any, name string) map[string]any { return with(m, "name", name) }

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

func lastSeg(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// TestFullSection reads and replaces children with full_section=true.
func TestFullSection(t *testing.T) {
	e, _ := start(t)
	base := "/services/haproxy/configuration"
	body := map[string]any{
		"name": "be_full", "balance": map[string]any{"algorithm": "roundrobin"},
		"servers": map[string]any{
			"a": map[string]any{"name": "a", "address": "127.0.0.1", "port": 8001},
			"b": map[string]any{"name": "b", "address": "127.0.0.1", "port": 8002, "weight": 5},
		},
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e) + "&full_section=true", Body: body}), 202, "create with servers")
	got := e.Get(base + "/backends/be_full?full_section=true")
	want, _ := json.Marshal(body)
	if !jsonEqual(t, want, got.Body) {
		t.Fatalf("full_section GET:\n got %s\nwant %s", got.Body, want)
	}
	body["servers"] = map[string]any{
		"b": map[string]any{"name": "b", "address": "127.0.0.1", "port": 8002, "weight": 7},
		"c": map[string]any{"name": "c", "address": "127.0.0.1", "port": 8003},
	}
	// Only servers changed: HAProxy takes it live (200, no reload).
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/backends/be_full" + vq(t, e) + "&full_section=true", Body: body}), 200, "replace servers")
	var servers []struct{ Name string }
	e.Get(base+"/backends/be_full/servers").JSON(t, &servers)
	if len(servers) != 2 || servers[0].Name != "b" || servers[1].Name != "c" {
		t.Fatalf("servers after full_section PUT: %+v", servers)
	}
	var fes []map[string]any
	e.Get(base+"/frontends?full_section=true").JSON(t, &fes)
	if len(fes) != 1 || fes[0]["binds"] == nil {
		t.Fatalf("frontends full_section: %v", fes)
	}
	if r := e.Get(base + "/frontends"); strings.Contains(string(r.Body), "binds") {
		t.Fatalf("binds without full_section: %s", r.Body)
	}
	_ = http.StatusOK
}
