package api_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/runtime"
	"dataplane/internal/settings"
)

func serverState(t *testing.T, in *haproxytest.Instance, be, name string) (runtime.ServerState, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	states, err := runtime.New(in.StatsSocket).ShowServersState(ctx, be)
	if err != nil {
		t.Fatalf("show servers state %s: %v", be, err)
	}
	for _, s := range states {
		if s.Name == name {
			return s, true
		}
	}
	return runtime.ServerState{}, false
}

// TestRuntimeFirst: each change HAProxy can take live is applied through
// its socket, without a reload, and persisted in the file.
func TestRuntimeFirst(t *testing.T) {
	in := haproxytest.New(t)
	app1 := haproxytest.StartBackend(t, "app1", nil)
	app2 := haproxytest.StartBackend(t, "app2", nil)
	fePort := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    maxconn 100
    default_backend be_rt

backend be_rt
    balance roundrobin
    server s1 %s weight 10

backend be_ds
    balance leastconn
    default-server inter 1s weight 20 maxconn 30
    server d1 %s
`, fePort, app1.Addr(), app1.Addr()), apitest.Options{})
	base := "/services/haproxy/configuration"
	reloads0, _ := in.Reloads()
	ids0 := reloadIDs(t, e)
	noReload := func(step string) {
		t.Helper()
		checkNoReload(t, e, step, ids0, reloads0)
	}

	// weight
	r := e.Do(apitest.Request{Method: "PUT", Path: base + "/backends/be_rt/servers/s1" + vq(t, e), Body: map[string]any{
		"name": "s1", "address": "127.0.0.1", "port": app1.Port, "weight": 42}})
	mustStatus(t, r, 200, "weight")
	if r.Header.Get("Reload-ID") != "" {
		t.Fatal("a runtime change answered with a Reload-ID")
	}
	if st, _ := serverState(t, in, "be_rt", "s1"); st.UWeight != 42 {
		t.Fatalf("weight in HAProxy %d, want 42", st.UWeight)
	}
	noReload("weight")

	// maintenance on and off
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/backends/be_rt/servers/s1" + vq(t, e), Body: map[string]any{
		"name": "s1", "address": "127.0.0.1", "port": app1.Port, "weight": 42, "maintenance": "enabled"}}), 200, "maint")
	if st, _ := serverState(t, in, "be_rt", "s1"); st.Admin() != "maint" {
		t.Fatalf("admin state %q after maintenance enabled", st.Admin())
	}
	if !strings.Contains(string(e.ReadConfig()), "server s1 "+app1.Addr()+" weight 42 disabled") {
		t.Fatalf("maintenance not in the file:\n%s", e.ReadConfig())
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/backends/be_rt/servers/s1" + vq(t, e), Body: map[string]any{
		"name": "s1", "address": "127.0.0.1", "port": app1.Port, "weight": 42}}), 200, "ready")
	if st, _ := serverState(t, in, "be_rt", "s1"); st.Admin() != "ready" {
		t.Fatalf("admin state %q after maintenance removed", st.Admin())
	}
	noReload("maintenance")

	// address change: traffic moves to app2
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/backends/be_rt/servers/s1" + vq(t, e), Body: map[string]any{
		"name": "s1", "address": "127.0.0.1", "port": app2.Port, "weight": 42}}), 200, "address")
	code, body, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", fePort))
	if err != nil || code != 200 || body != "app2" {
		t.Fatalf("after the address change: %d %q %v", code, body, err)
	}
	noReload("address")

	// add a server, without and with default-server
	r = e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_rt/servers" + vq(t, e), Body: map[string]any{
		"name": "s2", "address": "127.0.0.1", "port": app1.Port, "weight": 5, "check": "enabled"}})
	mustStatus(t, r, 201, "add server")
	st, ok := serverState(t, in, "be_rt", "s2")
	if !ok || st.Admin() != "ready" || st.UWeight != 5 {
		t.Fatalf("added server: %+v (found %v)", st, ok)
	}
	r = e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_ds/servers" + vq(t, e), Body: map[string]any{
		"name": "d2", "address": "127.0.0.1", "port": app2.Port}})
	mustStatus(t, r, 201, "add server with default-server")
	if st, ok := serverState(t, in, "be_ds", "d2"); !ok || st.UWeight != 20 || st.Admin() != "ready" {
		t.Fatalf("default-server weight not inherited: %+v", st)
	}
	stat := in.Stats("show stat be_ds 4 -1")
	if !strings.Contains(stat, "be_ds,d2,") || !strings.Contains(strings.Split(stat[strings.Index(stat, "be_ds,d2,"):], "\n")[0], ",30,") {
		t.Fatalf("default-server maxconn not inherited:\n%s", stat)
	}
	noReload("add server")

	// delete a server
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/backends/be_rt/servers/s2" + vq(t, e)}), 204, "delete server")
	if _, ok := serverState(t, in, "be_rt", "s2"); ok {
		t.Fatal("s2 still in HAProxy after delete")
	}
	noReload("delete server")

	// frontend maxconn
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/frontends/fe" + vq(t, e), Body: map[string]any{
		"name": "fe", "maxconn": 250, "default_backend": "be_rt"}}), 200, "frontend maxconn")
	if line := statLine(in.Stats("show stat fe 1 -1"), "fe,FRONTEND,"); fieldOf(line, 6) != "250" {
		t.Fatalf("frontend slim after maxconn 250: %s", line)
	}
	noReload("frontend maxconn")

	cfg := string(e.ReadConfig())
	for _, want := range []string{"server s1 127.0.0.1:" + fmt.Sprint(app2.Port) + " weight 42", "server d2 127.0.0.1:" + fmt.Sprint(app2.Port), "maxconn 250"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("file lacks %q", want)
		}
	}
	if strings.Contains(cfg, "server s2 ") {
		t.Error("deleted server still in the file")
	}

	// A change HAProxy cannot take live reloads.
	r = e.Do(apitest.Request{Method: "PUT", Path: base + "/backends/be_rt/servers/s1" + vq(t, e), Body: map[string]any{
		"name": "s1", "address": "127.0.0.1", "port": app2.Port, "weight": 42, "cookie": "c1"}})
	mustStatus(t, r, 202, "cookie change")
	if r.Header.Get("Reload-ID") == "" {
		t.Fatal("a reload-only change came without Reload-ID")
	}
}

// reloadIDs lists the ids of the reloads dataplane knows: finished, running
// and pending (GET /reloads lists the last two as in_progress).
func reloadIDs(t *testing.T, e *apitest.Env) []string {
	t.Helper()
	r := e.Get("/services/haproxy/reloads")
	mustStatus(t, r, 200, "list reloads")
	var recs []struct{ ID string }
	r.JSON(t, &recs)
	ids := make([]string, 0, len(recs))
	for _, rec := range recs {
		ids = append(ids, rec.ID)
	}
	return ids
}

// checkNoReload fails when HAProxy reloaded, or dataplane ran or scheduled
// a reload, since ids0 (reloadIDs) and reloads0 (HAProxy's count) were read.
// Every reload goes through the scheduler, and a change that needs one asks
// for it before it answers, so once the answer is in, the list of reloads
// shows it, pending or not: there is nothing to wait for.
func checkNoReload(t *testing.T, e *apitest.Env, step string, ids0 []string, reloads0 int) {
	t.Helper()
	if ids := reloadIDs(t, e); strings.Join(ids, " ") != strings.Join(ids0, " ") {
		t.Fatalf("%s ran or scheduled a reload: reloads %v, before %v", step, ids, ids0)
	}
	if n, _ := e.HAProxy.Reloads(); n != reloads0 {
		t.Fatalf("%s reloaded HAProxy (%d -> %d)", step, reloads0, n)
	}
}

func statLine(stat, prefix string) string {
	for _, l := range strings.Split(stat, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// fieldOf returns CSV field i (0-based) of a show stat line.
func fieldOf(line string, i int) string {
	f := strings.Split(line, ",")
	if i < len(f) {
		return f[i]
	}
	return ""
}

// TestRuntimeRefusalsReload: backends HAProxy 2.6 refuses dynamic servers
// in, and params `add server` refuses, go through a reload instead.
func TestRuntimeRefusalsReload(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, in.Global()+`
backend be_src
    balance source
    server s1 127.0.0.1:9

backend be_rr
    server s1 127.0.0.1:9
`, apitest.Options{})
	base := "/services/haproxy/configuration"
	for _, c := range []struct {
		name, path string
		body       map[string]any
	}{
		{"balance source", "/backends/be_src/servers", map[string]any{"name": "s2", "address": "127.0.0.1", "port": 10}},
		{"cookie param", "/backends/be_rr/servers", map[string]any{"name": "s3", "address": "127.0.0.1", "port": 10, "cookie": "x"}},
		{"hostname address", "/backends/be_rr/servers", map[string]any{"name": "s4", "address": "localhost", "port": 10}},
	} {
		r := e.Do(apitest.Request{Method: "POST", Path: base + c.path + vq(t, e) + "&force_reload=true", Body: c.body})
		mustStatus(t, r, 201, c.name)
		if _, ok := serverState(t, in, strings.Split(c.path, "/")[2], c.body["name"].(string)); !ok {
			t.Fatalf("%s: server not in HAProxy after the reload", c.name)
		}
	}
	if n, _ := in.Reloads(); n != 3 {
		t.Fatalf("%d reloads, want 3", n)
	}
}

// TestFailedReloadRollsBack: a change that passes `haproxy -c` and the
// checks before it but cannot start (a bind on a port another process
// takes between the commit and the reload, which reload_delay holds back)
// is rolled back: the file,
// the document and the version are the last good ones, HAProxy still
// serves, and the reload record has HAProxy's message.
func TestFailedReloadRollsBack(t *testing.T) {
	for _, strategy := range []string{"master", "standalone"} {
		t.Run(strategy, func(t *testing.T) {
			in := haproxytest.New(t)
			port := haproxytest.FreePort(t)
			cfg := in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, port)
			var e *apitest.Env
			if strategy == "standalone" {
				in.StartStandalone(cfg)
				e = apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
					st.HAProxy.MasterRuntime = ""
					st.HAProxy.Reload.ReloadStrategy = "standalone"
					st.HAProxy.Reload.PIDFile = in.PIDFile
					st.HAProxy.Reload.ReloadDelay = 10
				}})
			} else {
				e = apitest.Start(t, in, cfg, apitest.Options{Settings: func(st *settings.Settings) {
					st.HAProxy.Reload.MasterLog = in.LogFile
					st.HAProxy.Reload.ReloadDelay = 10
				}})
			}
			// A reload now, so the next one waits reload_delay.
			mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"}), 200, "first reload")
			before := e.ReadConfig()
			v := version(t, e)

			clash := haproxytest.FreePort(t)
			r := e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/frontends/fe/binds?version=%d", v),
				Body: map[string]any{"name": "clash", "address": "127.0.0.1", "port": clash}})
			mustStatus(t, r, 202, "a bind on a free port, reload delayed")
			id := r.Header.Get("Reload-ID")
			// Another process takes the port before the reload runs.
			taken, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", clash))
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			var rec struct{ Status, Response string }
			haproxytest.WaitFor(t, 60*time.Second, "the delayed reload ends", func() bool {
				e.Get("/services/haproxy/reloads/"+id).JSON(t, &rec)
				return rec.Status != "in_progress"
			})
			if rec.Status != "failed" || !strings.Contains(rec.Response, "cannot bind socket") {
				t.Fatalf("reload %s: %+v", id, rec)
			}
			if string(e.ReadConfig()) != string(before) {
				t.Fatalf("the file was not rolled back:\n%s", e.ReadConfig())
			}
			if got := version(t, e); got != v {
				t.Fatalf("version %d after rollback, want %d", got, v)
			}
			if r := e.Get("/services/haproxy/configuration/frontends/fe/binds/clash"); r.Status != 404 {
				t.Fatalf("the document still has the rolled back bind: %d", r.Status)
			}
			code, body, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err != nil || code != 200 || body != "ok\n" {
				t.Fatalf("HAProxy stopped serving after the failed reload: %d %q %v", code, body, err)
			}
			// The next good change works, and gets a version never issued
			// before: the rolled back one (v+1) is not reused.
			r = e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/backends?version=%d&force_reload=true", v),
				Body: map[string]any{"name": "be_after"}})
			mustStatus(t, r, 201, "next change")
			if got := r.Header.Get("Configuration-Version"); got != fmt.Sprint(v+2) {
				t.Fatalf("version after a rollback and a new change %s, want %d (never reuse %d)", got, v+2, v+1)
			}
		})
	}
}

// TestCoalescedReloadFailsPerChange: three changes share one delayed
// reload, and the second one breaks it (its bind's port is taken by
// another process after it was committed). The changes are then tried one
// by one: only the bad one is rolled back, the others go live, and each
// client's reload record tells its own outcome.
func TestCoalescedReloadFailsPerChange(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	cfg := in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, port)
	e := apitest.Start(t, in, cfg, apitest.Options{Settings: func(st *settings.Settings) {
		st.HAProxy.Reload.MasterLog = in.LogFile
		st.HAProxy.Reload.ReloadDelay = 10
	}})
	// A reload now, so the next one waits reload_delay and the changes
	// below share it.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"}), 200, "first reload")

	post := func(path string, body map[string]any) string {
		t.Helper()
		r := e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("%s?version=%d", path, version(t, e)), Body: body})
		mustStatus(t, r, 202, "POST "+path)
		return r.Header.Get("Reload-ID")
	}
	good := post("/services/haproxy/configuration/backends", map[string]any{"name": "be_first"})
	clash := haproxytest.FreePort(t)
	bad := post("/services/haproxy/configuration/frontends/fe/binds", map[string]any{"name": "clash", "address": "127.0.0.1", "port": clash})
	after := post("/services/haproxy/configuration/backends", map[string]any{"name": "be_after"})
	if good == bad || bad == after || good == after {
		t.Fatalf("reload ids %s %s %s: each change has its own", good, bad, after)
	}
	// Another process takes the port before the shared reload runs.
	taken, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", clash))
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	outcome := func(id string) (string, string) {
		var rec struct{ Status, Response string }
		haproxytest.WaitFor(t, 120*time.Second, "reload "+id+" ends", func() bool {
			e.Get("/services/haproxy/reloads/"+id).JSON(t, &rec)
			return rec.Status != "in_progress"
		})
		return rec.Status, rec.Response
	}
	for _, c := range []struct{ id, want, says string }{
		{good, "succeeded", "tried alone"},
		{bad, "failed", "cannot bind socket"},
		{after, "succeeded", "tried alone"},
	} {
		st, resp := outcome(c.id)
		if st != c.want || !strings.Contains(resp, c.says) {
			t.Errorf("reload %s: %s %q, want %s saying %q", c.id, st, resp, c.want, c.says)
		}
		t.Logf("reload %s: %s: %s", c.id, st, resp)
	}
	live := string(e.ReadConfig())
	if !strings.Contains(live, "backend be_first") || !strings.Contains(live, "backend be_after") || strings.Contains(live, "clash") {
		t.Fatalf("live file after the one-by-one reloads:\n%s", live)
	}
	stat := in.Stats("show stat")
	if !strings.Contains(stat, "be_first,BACKEND") || !strings.Contains(stat, "be_after,BACKEND") {
		t.Fatalf("HAProxy does not run the good changes:\n%s", stat)
	}
	code, body, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil || code != 200 || body != "ok\n" {
		t.Fatalf("HAProxy stopped serving: %d %q %v", code, body, err)
	}
}

// TestStateSurvivesReload: a server put in maintenance through the API is
// still in maintenance after an unrelated change forces a reload.
func TestStateSurvivesReload(t *testing.T) {
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", nil)
	e := apitest.Start(t, in, fmt.Sprintf(`global
    stats socket %s mode 600 level admin expose-fd listeners
    server-state-file %s/state

defaults
    mode http
    load-server-state-from-file global
    timeout connect 5s
    timeout client 30s
    timeout server 30s

backend be
    server s1 %s weight 10
    server s2 %s weight 10
`, in.StatsSocket, in.Dir, app.Addr(), app.Addr()), apitest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Runtime-only changes, as an operator makes them during an incident.
	rt := runtime.New(in.StatsSocket)
	if err := rt.SetServerState(ctx, "be", "s1", "maint"); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetServerWeight(ctx, "be", "s2", 3); err != nil {
		t.Fatal(err)
	}
	r0, _ := in.Reloads()
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": "be_unrelated"}}), 201, "unrelated change")
	if n, _ := in.Reloads(); n != r0+1 {
		t.Fatalf("the unrelated change did not reload (%d -> %d)", r0, n)
	}
	if st, _ := serverState(t, in, "be", "s1"); st.Admin() != "maint" {
		t.Fatalf("s1 is %q after the reload, want maint", st.Admin())
	}
	if st, _ := serverState(t, in, "be", "s2"); st.UWeight != 3 {
		t.Fatalf("s2 weight %d after the reload, want 3", st.UWeight)
	}
	// An address changed in the configuration (through a reload) wins
	// over the old address kept in the state file.
	app2 := haproxytest.StartBackend(t, "app2", nil)
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/configuration/backends/be" + vq(t, e) + "&force_reload=true&full_section=true",
		Body: map[string]any{"name": "be", "retries": 2, "servers": map[string]any{
			"s1": map[string]any{"name": "s1", "address": "127.0.0.1", "port": app.Port, "weight": 10},
			"s2": map[string]any{"name": "s2", "address": "127.0.0.1", "port": app2.Port, "weight": 10},
		}}}), 200, "address change with a reload")
	if st, _ := serverState(t, in, "be", "s2"); st.Port != app2.Port {
		t.Fatalf("s2 port %d after the reload, want %d (the state file must carry the new address)", st.Port, app2.Port)
	}
}
