package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// TestRuntimeAddRefusedWhileReloadPending: a server added at run time
// while a reload is due would be gone when it runs: 409, nothing added.
func TestRuntimeAddRefusedWhileReloadPending(t *testing.T) {
	e, _ := start(t, func(st *settings.Settings) { st.HAProxy.Reload.ReloadDelay = 3600 })
	base := "/services/haproxy/configuration/backends"
	// The first change reloads at once; the second waits an hour behind it.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + vq(t, e) + "&force_reload=true", Body: map[string]any{"name": "be_rt"}}), 201, "first change")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + vq(t, e), Body: map[string]any{"name": "be_other"}}), 202, "second change, reload pending")
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/runtime/backends/be_rt/servers",
		Body: map[string]any{"name": "n1", "address": "127.0.0.1", "port": 9}})
	mustStatus(t, r, 409, "runtime add while a reload is pending")
	mustStatus(t, e.Get("/services/haproxy/runtime/backends/be_rt/servers/n1"), 404, "the server was not added")
}

// TestRuntimeChangeSurvivesPendingReload: a weight set through the runtime
// API while a reload is in progress (its command waits at a gate) is not
// undone by that reload: it is applied again once the reload is done.
func TestRuntimeChangeSurvivesPendingReload(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	gate := filepath.Join(in.Dir, "gate")
	in.Start(hitlessConfig(in, port) + "\nbackend be_app\n    server s1 127.0.0.1:9 weight 10\n")
	e := apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
		st.HAProxy.MasterRuntime = ""
		st.HAProxy.Reload.ReloadStrategy = "custom"
		st.HAProxy.Reload.ReloadCmd = fmt.Sprintf("while [ ! -e %s ]; do sleep 0.02; done; kill -USR2 $(cat %s)", gate, in.PIDFile)
	}})
	rt := "/services/haproxy/runtime/backends/be_app/servers"
	srv := "s1"

	reloaded := make(chan int, 1)
	go func() {
		reloaded <- rawStatus(e, http.MethodPost, "/services/haproxy/reloads?force_reload=true", "", nil)
	}()
	haproxytest.WaitFor(t, 10*time.Second, "the reload is in progress", func() bool {
		var recs []struct{ Status string }
		e.Get("/services/haproxy/reloads").JSON(t, &recs)
		return len(recs) > 0 && recs[len(recs)-1].Status == "in_progress"
	})
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: rt + "/" + srv, Body: map[string]any{"weight": 77}}), 200, "weight during the reload")
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-reloaded:
		if s != 200 {
			t.Fatalf("reload answered %d", s)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the reload did not end")
	}
	var got struct{ Weight int }
	e.Get(rt+"/"+srv).JSON(t, &got)
	if got.Weight != 77 {
		t.Fatalf("weight after the reload = %d, want 77 (the change made during it)", got.Weight)
	}
}

// TestRuntimeReadsFollowReload: after a reload, runtime reads come from the
// new worker at once, not over a connection kept to the old one (which
// goes on answering, with the state it had).
func TestRuntimeReadsFollowReload(t *testing.T) {
	l := startRuntimeLab(t)
	srv := rtPath + "be_app/servers/s1"
	mustStatus(t, l.e.Do(apitest.Request{Method: "PUT", Path: srv, Body: map[string]any{"weight": 77}}), 200, "weight before the reload")
	if s := rawStatus(l.e, http.MethodPost, "/services/haproxy/reloads?force_reload=true", "", nil); s != 200 {
		t.Fatalf("reload answered %d", s)
	}
	var got struct{ Weight int }
	l.e.Get(srv).JSON(t, &got)
	if got.Weight != 50 {
		t.Fatalf("weight read after the reload = %d, want 50 (the new worker runs the file)", got.Weight)
	}
}
