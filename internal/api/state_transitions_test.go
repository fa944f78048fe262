package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/runtime"
)

// TestServerStateTransitions changes servers through the configuration API
// on a running HAProxy (live through the runtime socket when HAProxy can
// take it, else by a reload), and compares each server's state with a
// fresh HAProxy started on the resulting file: maintenance, weight and
// address must be what the file says, whatever the running process went
// through (loaded with `disabled`, forced into maintenance or drain at run
// time). Runtime state the file does not speak of (a drain) stays.
func TestServerStateTransitions(t *testing.T) {
	for _, c := range []struct {
		name    string
		servers string // the server lines HAProxy starts with
		runtime map[string]string
		change  map[string]any // the new server s1 (name, address and port added)
		// kept is the runtime admin state of s1 ("maint", "drain") that a
		// change of the file not about maintenance leaves as it is.
		kept string
		// moved: s1 moves to the second application server.
		moved bool
	}{
		{name: "config maintenance lifted", servers: "server s1 %s weight 10 disabled",
			change: map[string]any{"weight": 10}},
		{name: "config maintenance set", servers: "server s1 %s weight 10",
			change: map[string]any{"weight": 10, "maintenance": "enabled"}},
		{name: "weight", servers: "server s1 %s weight 10",
			change: map[string]any{"weight": 30}},
		{name: "weight of a server loaded in maintenance", servers: "server s1 %s weight 10 disabled",
			change: map[string]any{"weight": 30, "maintenance": "enabled"}},
		{name: "forced maintenance kept across a weight change", servers: "server s1 %s weight 10",
			runtime: map[string]string{"admin_state": "maint"}, change: map[string]any{"weight": 20}, kept: "maint"},
		{name: "forced maintenance, then set by the file", servers: "server s1 %s weight 10",
			runtime: map[string]string{"admin_state": "maint"}, change: map[string]any{"weight": 10, "maintenance": "enabled"}},
		{name: "drain kept across a weight change", servers: "server s1 %s weight 10",
			runtime: map[string]string{"admin_state": "drain"}, change: map[string]any{"weight": 40}, kept: "drain"},
		{name: "agent check added (a reload)", servers: "server s1 %s weight 10",
			change: map[string]any{"weight": 10, "agent-check": "enabled", "agent-port": 9, "agent-inter": 3600000}},
		{name: "config maintenance lifted with a port change", servers: "server s1 %s weight 10 disabled",
			change: map[string]any{"weight": 10}, moved: true},
		{name: "port change", servers: "server s1 %s weight 10",
			change: map[string]any{"weight": 10}, moved: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := haproxytest.StartBackend(t, "app", nil)
			app2 := haproxytest.StartBackend(t, "app2", nil)
			in := haproxytest.New(t)
			port := haproxytest.FreePort(t)
			addr := fmt.Sprintf("127.0.0.1:%d", app.Port)
			cfg := in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
    balance roundrobin
    %s
    server s2 127.0.0.1:9 weight 5 disabled
`, port, fmt.Sprintf(c.servers, addr))
			e := apitest.Start(t, in, cfg, apitest.Options{})
			if c.runtime != nil {
				mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/runtime/backends/be/servers/s1", Body: c.runtime}), 200, "runtime change")
			}
			target := app
			if c.moved {
				target = app2
			}
			body := map[string]any{"name": "s1", "address": "127.0.0.1", "port": target.Port}
			for k, v := range c.change {
				body[k] = v
			}
			r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/configuration/backends/be/servers/s1" + vq(t, e) + "&force_reload=true", Body: body})
			mustStatus(t, r, 200, "configuration change")

			// The running HAProxy against a fresh one on the same file.
			live := serverStates(t, runtime.New(in.StatsSocket))
			fresh := haproxytest.New(t)
			fresh.Start(fresh.Global() + "\n" + sectionOf(t, string(e.ReadConfig()), "backend be"))
			want := serverStates(t, runtime.New(fresh.StatsSocket))
			if c.kept == "maint" {
				s1 := want["s1"]
				s1.maint = true
				want["s1"] = s1
			}
			for _, name := range []string{"s1", "s2"} {
				got, exp := live[name], want[name]
				if got.maint != exp.maint || got.weight != exp.weight || got.addr != exp.addr {
					t.Errorf("%s: running HAProxy has %+v, a fresh one on the same file %+v (change answered %d, warning %q)",
						name, got, exp, r.Status, r.Header.Get("Configuration-Warning"))
				}
			}
			if live["s1"].drain != (c.kept == "drain") {
				t.Errorf("s1 drain = %v, want %v", live["s1"].drain, c.kept == "drain")
			}
			// A server the file puts in rotation takes traffic.
			if !want["s1"].maint && c.kept == "" {
				haproxytest.WaitFor(t, 10*time.Second, "traffic reaches s1 at "+target.Name, func() bool {
					code, body, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", port))
					return err == nil && code == 200 && body == target.Name
				})
			}
		})
	}
}

type serverSummary struct {
	maint, drain bool
	weight       int
	addr         string
}

func serverStates(t *testing.T, c *runtime.Client) map[string]serverSummary {
	t.Helper()
	states, err := c.ShowServersState(t.Context(), "be")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]serverSummary{}
	for _, s := range states {
		out[s.Name] = serverSummary{
			maint:  s.AdminState&(runtime.AdminForcedMaint|runtime.AdminConfigMaint) != 0,
			drain:  s.AdminState&runtime.AdminForcedDrain != 0,
			weight: s.UWeight,
			addr:   fmt.Sprintf("%s:%d", s.Addr, s.Port),
		}
	}
	return out
}

// sectionOf returns the section of cfg whose header is header, up to the
// next section.
func sectionOf(t *testing.T, cfg, header string) string {
	t.Helper()
	i := strings.Index(cfg, "\n"+header+"\n")
	if i < 0 {
		t.Fatalf("no %q in\n%s", header, cfg)
	}
	rest := cfg[i+1:]
	lines := strings.SplitAfter(rest, "\n")
	out := lines[0]
	for _, l := range lines[1:] {
		if l != "" && l[0] != ' ' && l[0] != '\t' && strings.TrimSpace(l) != "" {
			break
		}
		out += l
	}
	return out
}
