package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// lab is a running HAProxy with the backends the integration tests use.
type lab struct {
	in      *haproxytest.Instance
	c       *Client
	fePort  int // fe -> be_app
	dynPort int // fe_dyn -> be_dyn (no servers in the config)
}

func startLab(t *testing.T) *lab {
	t.Helper()
	app := haproxytest.StartBackend(t, "app", nil)
	l := &lab{in: haproxytest.New(t), fePort: haproxytest.FreePort(t), dynPort: haproxytest.FreePort(t)}
	l.in.Start(l.in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be_app

frontend fe_dyn
    bind 127.0.0.1:%d
    default_backend be_dyn

backend be_app
    server s1 %s weight 50
    server s2 %s check inter 1s
    server s3 %s agent-check agent-port %d agent-inter 10s

backend be_dyn
    balance roundrobin

backend be_src
    balance source
    server a %s
`, l.fePort, l.dynPort, app.Addr(), app.Addr(), app.Addr(), haproxytest.FreePort(t), app.Addr()))
	l.c = New(l.in.StatsSocket)
	return l
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// server returns the `show servers state` row of be/srv.
func (l *lab) server(t *testing.T, be, srv string) ServerState {
	t.Helper()
	states, err := l.c.ShowServersState(testCtx(t), be)
	if err != nil {
		t.Fatalf("show servers state %s: %v", be, err)
	}
	for _, s := range states {
		if s.Name == srv {
			return s
		}
	}
	t.Fatalf("%s/%s not in show servers state", be, srv)
	return ServerState{}
}

// stat returns the `show stat` row of proxy/svname.
func (l *lab) stat(t *testing.T, proxy, sv string) Stat {
	t.Helper()
	stats, err := l.c.ShowStat(testCtx(t), StatFilter{Proxy: proxy})
	if err != nil {
		t.Fatalf("show stat %s: %v", proxy, err)
	}
	for _, s := range stats {
		if s.Server == sv {
			return s
		}
	}
	t.Fatalf("%s/%s not in show stat", proxy, sv)
	return Stat{}
}

func TestIntegrationShow(t *testing.T) {
	t.Parallel()
	l := startLab(t)
	ctx := testCtx(t)

	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := New("unix@" + l.in.StatsSocket).Probe(pctx); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	info, err := l.c.ShowInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := info.String("Name"); name != "HAProxy" {
		t.Errorf("Name = %q", name)
	}
	if pid, ok := info.Int("Pid"); !ok || pid <= 0 {
		t.Errorf("Pid = %d, %v", pid, ok)
	}

	all, err := l.c.ShowStat(ctx, StatFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, s := range all {
		types = append(types, s.Proxy+"/"+s.Server+"="+s.Type)
	}
	for _, want := range []string{"fe/FRONTEND=frontend", "be_app/BACKEND=backend", "be_app/s2=server", "be_dyn/BACKEND=backend"} {
		if !slices.Contains(types, want) {
			t.Errorf("show stat rows %v lack %s", types, want)
		}
	}
	servers, err := l.c.ShowStat(ctx, StatFilter{Proxy: "be_app", Type: StatServers})
	if err != nil || len(servers) != 3 || servers[0].Get("addr") == "" {
		t.Errorf("show stat be_app servers = %+v, %v", servers, err)
	}

	states, err := l.c.ShowServersState(ctx, "")
	if err != nil || len(states) != 4 {
		t.Fatalf("show servers state = %+v, %v", states, err)
	}
	s1 := l.server(t, "be_app", "s1")
	if s1.UWeight != 50 || s1.Addr != "127.0.0.1" || s1.Admin() != "ready" || s1.Operational() != "up" {
		t.Errorf("s1 = %+v", s1)
	}
	raw, err := l.c.ServersStateRaw(ctx)
	if err != nil || !strings.HasPrefix(raw, "1\n# be_id be_name") || !strings.Contains(raw, " be_src 1 a ") {
		t.Errorf("ServersStateRaw = %q, %v", raw, err)
	}
	backends, err := l.c.ShowBackends(ctx)
	if err != nil || !slices.Equal(backends, []string{"be_app", "be_dyn", "be_src"}) {
		t.Errorf("ShowBackends = %v, %v", backends, err)
	}

	if _, err := l.c.ShowServersState(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("servers state of unknown backend: %v, want ErrNotFound", err)
	}
	if _, err := l.c.ShowStat(ctx, StatFilter{Proxy: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("stat of unknown proxy: %v, want ErrNotFound", err)
	}
}

func TestIntegrationSetters(t *testing.T) {
	t.Parallel()
	l := startLab(t)
	checkEnabled := func(state int) bool { return state&0x04 != 0 } // CHK_ST_ENABLED
	tests := []struct {
		name  string
		set   func(ctx context.Context) error
		check func(t *testing.T) bool
	}{
		{"weight", func(ctx context.Context) error { return l.c.SetServerWeight(ctx, "be_app", "s1", 20) },
			func(t *testing.T) bool {
				return l.server(t, "be_app", "s1").UWeight == 20 && l.stat(t, "be_app", "s1").Get("weight") == "20"
			}},
		{"drain", func(ctx context.Context) error { return l.c.SetServerState(ctx, "be_app", "s1", "drain") },
			func(t *testing.T) bool {
				return l.server(t, "be_app", "s1").Admin() == "drain" && l.stat(t, "be_app", "s1").Get("status") == "DRAIN"
			}},
		{"maint", func(ctx context.Context) error { return l.c.SetServerState(ctx, "be_app", "s1", "maint") },
			func(t *testing.T) bool {
				return l.server(t, "be_app", "s1").Admin() == "maint" && l.stat(t, "be_app", "s1").Get("status") == "MAINT"
			}},
		{"ready", func(ctx context.Context) error { return l.c.SetServerState(ctx, "be_app", "s1", "ready") },
			func(t *testing.T) bool { return l.server(t, "be_app", "s1").Admin() == "ready" }},
		{"health down", func(ctx context.Context) error { return l.c.SetServerHealth(ctx, "be_app", "s1", "down") },
			func(t *testing.T) bool {
				return l.server(t, "be_app", "s1").Operational() == "down" && l.stat(t, "be_app", "s1").Get("status") == "DOWN"
			}},
		{"health up", func(ctx context.Context) error { return l.c.SetServerHealth(ctx, "be_app", "s1", "up") },
			func(t *testing.T) bool { return l.server(t, "be_app", "s1").Operational() == "up" }},
		{"addr and port", func(ctx context.Context) error { return l.c.SetServerAddr(ctx, "be_app", "s1", "127.0.0.2", 9999) },
			func(t *testing.T) bool {
				s := l.server(t, "be_app", "s1")
				return s.Addr == "127.0.0.2" && s.Port == 9999 && l.stat(t, "be_app", "s1").Get("addr") == "127.0.0.2:9999"
			}},
		{"addr keeps port", func(ctx context.Context) error { return l.c.SetServerAddr(ctx, "be_app", "s1", "127.0.0.3", 0) },
			func(t *testing.T) bool {
				s := l.server(t, "be_app", "s1")
				return s.Addr == "127.0.0.3" && s.Port == 9999
			}},
		{"addr unchanged", func(ctx context.Context) error { return l.c.SetServerAddr(ctx, "be_app", "s1", "127.0.0.3", 9999) },
			func(t *testing.T) bool { return l.server(t, "be_app", "s1").Addr == "127.0.0.3" }},
		{"check port", func(ctx context.Context) error { return l.c.SetServerCheckPort(ctx, "be_app", "s2", 8081) },
			func(t *testing.T) bool { return l.server(t, "be_app", "s2").CheckPort == 8081 }},
		{"disable health", func(ctx context.Context) error { return l.c.DisableHealth(ctx, "be_app", "s2") },
			func(t *testing.T) bool { return !checkEnabled(l.server(t, "be_app", "s2").CheckState) }},
		{"enable health", func(ctx context.Context) error { return l.c.EnableHealth(ctx, "be_app", "s2") },
			func(t *testing.T) bool { return checkEnabled(l.server(t, "be_app", "s2").CheckState) }},
		{"disable agent", func(ctx context.Context) error { return l.c.DisableAgent(ctx, "be_app", "s3") },
			func(t *testing.T) bool { return !checkEnabled(l.server(t, "be_app", "s3").AgentState) }},
		{"enable agent", func(ctx context.Context) error { return l.c.EnableAgent(ctx, "be_app", "s3") },
			func(t *testing.T) bool { return checkEnabled(l.server(t, "be_app", "s3").AgentState) }},
		{"frontend maxconn", func(ctx context.Context) error { return l.c.SetFrontendMaxconn(ctx, "fe", 321) },
			func(t *testing.T) bool { return l.stat(t, "fe", "FRONTEND").Get("slim") == "321" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.set(testCtx(t)); err != nil {
				t.Fatalf("set: %v", err)
			}
			if !tt.check(t) {
				t.Fatalf("not visible: %+v", l.server(t, "be_app", "s1"))
			}
		})
	}

	failures := []struct {
		name string
		run  func(ctx context.Context) error
		kind error
	}{
		{"static algorithm weight", func(ctx context.Context) error { return l.c.SetServerWeight(ctx, "be_src", "a", 20) }, ErrUnsupported},
		{"unknown server", func(ctx context.Context) error { return l.c.SetServerState(ctx, "be_app", "nope", "drain") }, ErrNotFound},
		{"unknown backend", func(ctx context.Context) error { return l.c.SetServerWeight(ctx, "nope", "s1", 1) }, ErrNotFound},
		{"unknown frontend", func(ctx context.Context) error { return l.c.SetFrontendMaxconn(ctx, "be_app", 1) }, ErrNotFound},
		{"check port without check", func(ctx context.Context) error { return l.c.SetServerCheckPort(ctx, "be_app", "s1", 81) }, ErrUnsupported},
		{"enable health without check", func(ctx context.Context) error { return l.c.EnableHealth(ctx, "be_app", "s1") }, ErrUnsupported},
		{"enable agent without agent", func(ctx context.Context) error { return l.c.EnableAgent(ctx, "be_app", "s1") }, ErrUnsupported},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(testCtx(t))
			var ce *CommandError
			if !errors.Is(err, tt.kind) || !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CommandError of kind %v", err, tt.kind)
			}
		})
	}
}

func TestIntegrationDynamicServers(t *testing.T) {
	t.Parallel()
	l := startLab(t)
	release := make(chan struct{})
	slow := haproxytest.StartBackend(t, "dyn", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select { // bounded: the test releases it, or it gives up
			case <-release:
			case <-time.After(5 * time.Second):
			}
		}
		fmt.Fprint(w, "dyn")
	})
	ctx := testCtx(t)
	url := "http://127.0.0.1:" + strconv.Itoa(l.dynPort)

	if err := l.c.AddServer(ctx, "be_dyn", "d1", "127.0.0.1", slow.Port, []string{"weight", "20", "maxconn", "50"}); err != nil {
		t.Fatalf("add server: %v", err)
	}
	if s := l.server(t, "be_dyn", "d1"); s.Admin() != "maint" || s.UWeight != 20 || s.Port != slow.Port {
		t.Fatalf("new server = %+v, want maint with weight 20", s)
	}
	if err := l.c.SetServerState(ctx, "be_dyn", "d1", "ready"); err != nil {
		t.Fatal(err)
	}
	code, body, err := haproxytest.HTTPGet(ctx, url+"/")
	if err != nil || code != 200 || body != "dyn" || slow.Hits() != 1 {
		t.Fatalf("GET via dynamic server: %d %q %v (hits %d)", code, body, err, slow.Hits())
	}

	// A request held by the backend shows up in scur: drain-and-wait input.
	done := make(chan error, 1)
	go func() { _, _, err := haproxytest.HTTPGet(ctx, url+"/slow"); done <- err }()
	haproxytest.WaitFor(t, 5*time.Second, "scur = 1", func() bool {
		cur, _, err := l.c.ServerSessions(ctx, "be_dyn", "d1")
		return err == nil && cur == 1
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("slow GET: %v", err)
	}
	haproxytest.WaitFor(t, 5*time.Second, "scur = 0", func() bool {
		cur, q, err := l.c.ServerSessions(ctx, "be_dyn", "d1")
		return err == nil && cur == 0 && q == 0
	})
	if _, _, err := l.c.ServerSessions(ctx, "be_dyn", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("sessions of unknown server: %v", err)
	}

	failures := []struct {
		name string
		run  func(ctx context.Context) error
		kind error
	}{
		{"duplicate", func(ctx context.Context) error {
			return l.c.AddServer(ctx, "be_dyn", "d1", "127.0.0.1", slow.Port, nil)
		}, ErrExists},
		{"unknown backend", func(ctx context.Context) error { return l.c.AddServer(ctx, "nope", "d2", "127.0.0.1", 80, nil) }, ErrNotFound},
		{"frontend is no backend", func(ctx context.Context) error { return l.c.AddServer(ctx, "fe", "d2", "127.0.0.1", 80, nil) }, ErrNotFound},
		{"balance source", func(ctx context.Context) error { return l.c.AddServer(ctx, "be_src", "d2", "127.0.0.1", 80, nil) }, ErrUnsupported},
		{"cookie param", func(ctx context.Context) error {
			return l.c.AddServer(ctx, "be_dyn", "d2", "127.0.0.1", 80, []string{"cookie", "abc"})
		}, ErrUnsupported},
		{"unknown param", func(ctx context.Context) error {
			return l.c.AddServer(ctx, "be_dyn", "d2", "127.0.0.1", 80, []string{"bogusparam"})
		}, nil},
		{"del not in maint", func(ctx context.Context) error { return l.c.DelServer(ctx, "be_dyn", "d1") }, ErrUnsupported},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(testCtx(t))
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Kind != tt.kind {
				t.Fatalf("err = %v, want a *CommandError of kind %v", err, tt.kind)
			}
		})
	}

	if err := l.c.SetServerState(ctx, "be_dyn", "d1", "maint"); err != nil {
		t.Fatal(err)
	}
	if err := l.c.DelServer(ctx, "be_dyn", "d1"); err != nil {
		t.Fatalf("del server: %v", err)
	}
	if err := l.c.DelServer(ctx, "be_dyn", "d1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second del: %v, want ErrNotFound", err)
	}
	if states, err := l.c.ShowServersState(ctx, "be_dyn"); err != nil || len(states) != 0 {
		t.Fatalf("be_dyn after delete: %+v, %v", states, err)
	}
}

func TestIntegrationMaster(t *testing.T) {
	t.Parallel()
	l := startLab(t)
	ctx := testCtx(t)
	m := NewMaster("unix@" + l.in.MasterSocket)

	before, err := m.ShowProc(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Master.PID != l.in.MasterPID() || len(before.Workers) != 1 || before.Master.Failed != 0 {
		t.Fatalf("show proc = %+v (master pid %d)", before, l.in.MasterPID())
	}
	info, err := m.WorkerClient().ShowInfo(ctx)
	if pid, _ := info.Int("Pid"); err != nil || int(pid) != before.Workers[0].PID {
		t.Fatalf("worker via master: pid %d, %v; want %d", pid, err, before.Workers[0].PID)
	}
	if err := m.WorkerClient().SetServerWeight(ctx, "be_app", "s1", 7); err != nil || l.server(t, "be_app", "s1").UWeight != 7 {
		t.Fatalf("set weight via master: %v", err)
	}
	if err := m.WorkerClient().SetServerWeight(ctx, "be_app", "nope", 7); !errors.Is(err, ErrNotFound) {
		t.Fatalf("set weight of unknown server via master: %v", err)
	}

	if err := m.Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	var after Proc
	haproxytest.WaitFor(t, 10*time.Second, "reload counted with a new worker", func() bool {
		after, err = m.ShowProc(ctx)
		return err == nil && after.Master.Reloads == before.Master.Reloads+1 &&
			len(after.Workers) == 1 && after.Workers[0].PID != before.Workers[0].PID
	})
	if after.Master.Failed != 0 || after.Master.PID != before.Master.PID || after.Workers[0].Reloads != 0 {
		t.Fatalf("after reload: %+v", after)
	}
	out, err := m.Worker(ctx, "show info")
	if err != nil || !strings.Contains(out, fmt.Sprintf("Pid: %d\n", after.Workers[0].PID)) {
		t.Fatalf("@1 show info after reload: %q, %v", out, err)
	}
	// The stats socket is served by the new worker too.
	haproxytest.WaitFor(t, 5*time.Second, "stats socket answers the new worker", func() bool {
		info, err := l.c.ShowInfo(ctx)
		pid, _ := info.Int("Pid")
		return err == nil && int(pid) == after.Workers[0].PID
	})
}

func TestIntegrationSetServerAndShow(t *testing.T) {
	t.Parallel()
	l := startLab(t)
	tests := []struct {
		name    string
		be, srv string
		set     ServerSetting
		want    func(ServerState) bool
		kind    error // of the *CommandError, when the change is refused
	}{
		{"weight", "be_app", "s1", ServerWeight(42), func(st ServerState) bool {
			return st.Name == "s1" && st.BackendName == "be_app" && st.UWeight == 42
		}, nil},
		{"address", "be_app", "s2", ServerAddr("127.0.0.9", 0), func(st ServerState) bool {
			return st.Name == "s2" && st.Addr == "127.0.0.9"
		}, nil},
		{"static algorithm", "be_src", "a", ServerWeight(3), nil, ErrUnsupported},
		{"unknown server", "be_app", "nope", ServerAdminState("drain"), nil, ErrNotFound},
		{"unknown backend", "nope", "s1", ServerWeight(3), nil, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, found, err := l.c.SetServerAndShow(testCtx(t), tt.be, tt.srv, tt.set)
			if tt.kind != nil {
				var ce *CommandError
				if !errors.As(err, &ce) || !errors.Is(err, tt.kind) || found || st != (ServerState{}) {
					t.Fatalf("%+v, %v, %v; want a *CommandError of kind %v and no state", st, found, err, tt.kind)
				}
				return
			}
			if err != nil || !found || !tt.want(st) {
				t.Fatalf("%+v, %v, %v", st, found, err)
			}
		})
	}
	if _, _, err := l.c.SetServerAndShow(testCtx(t), "be_app", "s1", ServerWeight(999)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("weight 999: %v, want ErrInvalidArgument", err)
	}
	if _, _, err := l.c.SetServerAndShow(testCtx(t), "be_app", "s1", ServerSetting{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty setting: %v, want ErrInvalidArgument", err)
	}
}
