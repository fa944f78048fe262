package runtime

import (
	"context"
	"errors"
	"testing"
	"time"
)

// badNames would each smuggle a second command, a comment, a master route
// or an ambiguous token into the line if sent.
var badNames = []string{"be;x", "a\nb", "a\rb", "#", "a b", "", "@1", "be/x", "x\x00", `a"b`, "a'b", "a\\b", "a\tb", "é"}

func TestRejectedInputNeverReachesSocket(t *testing.T) {
	f := newFakeSocket(t, replyOnLine, "\n")
	c := New(f.Path)
	m := NewMaster(f.Path)
	type call struct {
		name string
		run  func(ctx context.Context) error
	}
	var calls []call
	add := func(name string, run func(ctx context.Context) error) { calls = append(calls, call{name, run}) }
	for _, bad := range badNames {
		add("state be "+bad, func(ctx context.Context) error { return c.SetServerState(ctx, bad, "s", "ready") })
		add("state srv "+bad, func(ctx context.Context) error { return c.SetServerState(ctx, "be", bad, "ready") })
		add("health "+bad, func(ctx context.Context) error { return c.SetServerHealth(ctx, "be", bad, "up") })
		add("weight "+bad, func(ctx context.Context) error { return c.SetServerWeight(ctx, bad, "s", 1) })
		add("addr "+bad, func(ctx context.Context) error { return c.SetServerAddr(ctx, "be", bad, "127.0.0.1", 0) })
		add("checkport "+bad, func(ctx context.Context) error { return c.SetServerCheckPort(ctx, bad, "s", 80) })
		add("enable health "+bad, func(ctx context.Context) error { return c.EnableHealth(ctx, bad, "s") })
		add("disable health "+bad, func(ctx context.Context) error { return c.DisableHealth(ctx, "be", bad) })
		add("enable agent "+bad, func(ctx context.Context) error { return c.EnableAgent(ctx, bad, "s") })
		add("disable agent "+bad, func(ctx context.Context) error { return c.DisableAgent(ctx, "be", bad) })
		add("add be "+bad, func(ctx context.Context) error { return c.AddServer(ctx, bad, "s", "127.0.0.1", 80, nil) })
		add("add srv "+bad, func(ctx context.Context) error { return c.AddServer(ctx, "be", bad, "127.0.0.1", 80, nil) })
		add("del "+bad, func(ctx context.Context) error { return c.DelServer(ctx, "be", bad) })
		add("maxconn "+bad, func(ctx context.Context) error { return c.SetFrontendMaxconn(ctx, bad, 10) })
		add("sessions "+bad, func(ctx context.Context) error { _, _, err := c.ServerSessions(ctx, bad, "s"); return err })
		if bad != "" { // "" means "all" for these two
			add("stat "+bad, func(ctx context.Context) error { _, err := c.ShowStat(ctx, StatFilter{Proxy: bad}); return err })
			add("servers state "+bad, func(ctx context.Context) error { _, err := c.ShowServersState(ctx, bad); return err })
		}
	}
	// "<<" ending the line (2.6) or opening it (newer versions' custom
	// pattern) switches the CLI to payload mode: the command would stall.
	for _, p := range []string{"weight 10", "a;b", "#c", "'q'", `"q"`, "", `a\`, "a\nb", "a\x00", "tab\t", "<<", "x<<", "<<EOF", "a<<b"} {
		add("param "+p, func(ctx context.Context) error {
			return c.AddServer(ctx, "be", "s", "127.0.0.1", 80, []string{"check", p})
		})
	}
	for _, addr := range []string{"not-an-ip", "127.0.0.1;x", "fe80::1%eth0", "localhost", "127.0.0.1:80", ""} {
		add("set addr "+addr, func(ctx context.Context) error { return c.SetServerAddr(ctx, "be", "s", addr, 0) })
		add("add addr "+addr, func(ctx context.Context) error { return c.AddServer(ctx, "be", "s", addr, 80, nil) })
	}
	for _, cmd := range []string{"show info;show stat", "a\nb", "a\rb", "a\x00b", "", "  ", "set ssl cert /x.pem <<", "show info x<<", "set ssl cert /x.pem <<EOF"} {
		add("execute "+cmd, func(ctx context.Context) error { _, err := c.Execute(ctx, cmd); return err })
		add("master "+cmd, func(ctx context.Context) error { _, err := m.Execute(ctx, cmd); return err })
		add("worker "+cmd, func(ctx context.Context) error { _, err := m.Worker(ctx, cmd); return err })
	}
	add("state", func(ctx context.Context) error { return c.SetServerState(ctx, "be", "s", "up") })
	add("state inject", func(ctx context.Context) error { return c.SetServerState(ctx, "be", "s", "ready;x") })
	add("health", func(ctx context.Context) error { return c.SetServerHealth(ctx, "be", "s", "maint") })
	add("weight 257", func(ctx context.Context) error { return c.SetServerWeight(ctx, "be", "s", 257) })
	add("weight -1", func(ctx context.Context) error { return c.SetServerWeight(ctx, "be", "s", -1) })
	add("addr port", func(ctx context.Context) error { return c.SetServerAddr(ctx, "be", "s", "127.0.0.1", 65536) })
	add("addr port neg", func(ctx context.Context) error { return c.SetServerAddr(ctx, "be", "s", "127.0.0.1", -1) })
	add("check port 0", func(ctx context.Context) error { return c.SetServerCheckPort(ctx, "be", "s", 0) })
	add("add port 0", func(ctx context.Context) error { return c.AddServer(ctx, "be", "s", "127.0.0.1", 0, nil) })
	add("maxconn -1", func(ctx context.Context) error { return c.SetFrontendMaxconn(ctx, "fe", -1) })
	add("stat mask", func(ctx context.Context) error { _, err := c.ShowStat(ctx, StatFilter{Type: 16}); return err })

	for _, tt := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := tt.run(ctx)
		cancel()
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q: err = %v, want ErrInvalidArgument", tt.name, err)
		}
	}
	if n := f.accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the socket; sent: %q", n, f.lines())
	}
}

func TestValidInputAccepted(t *testing.T) {
	for _, name := range []string{"be_app", "a.b-c:d", "0", "S1"} {
		if err := checkNames("backend", name); err != nil {
			t.Errorf("checkNames(%q) = %v", name, err)
		}
	}
	for _, p := range []string{"check", "sni", "str(test.local)", "inter", "1s", "track", "be_app/s1", "verify", "none"} {
		if err := checkParam(p); err != nil {
			t.Errorf("checkParam(%q) = %v", p, err)
		}
	}
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1", "::1": "::1", "2001:DB8::0:1": "2001:db8::1"} {
		if got, err := checkIP(in); err != nil || got != want {
			t.Errorf("checkIP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
