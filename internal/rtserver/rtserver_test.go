package rtserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/fault"
	"dataplane/internal/haproxytest"
	"dataplane/internal/runtime"
)

func p(n int64) *int64 { return &n }

func TestAddServerParams(t *testing.T) {
	ns := config.Server{
		Name: "n1", Address: "10.0.0.1", Port: p(80), ServerParams: config.ServerParams{Weight: p(20), Check: "enabled", Backup: "disabled",
			Maintenance: "enabled", Maxconn: p(100), Maxqueue: p(10), Minconn: p(5), ErrorLimit: p(3),
			SSL: "enabled", SNI: "req.hdr(host)", Verify: "none", SSLCafile: "/etc/ca.pem", SSLCertificate: "/etc/c.pem",
			Alpn: "h2,http/1.1", Proto: "h2", Inter: p(2000), Fastinter: p(500), Downinter: p(5000), Fall: p(3), Rise: p(2),
			Slowstart: p(10000), CheckSSL: "enabled", CheckSNI: "example.com", CheckAlpn: "h2", CheckProto: "h2",
			HealthCheckPort: p(8081), HealthCheckAddress: "10.0.0.2", Observe: "layer7", OnError: "mark-down",
			OnMarkedDown: "shutdown-sessions", OnMarkedUp: "shutdown-backup-sessions", SendProxy: "enabled",
			SendProxyV2: "disabled", AgentCheck: "enabled", AgentAddr: "10.0.0.3", AgentPort: p(5555), AgentInter: p(1000),
			AgentSend: "hello", Track: "be/s1"},
	}
	got, err := AddParams(&ns)
	if err != nil {
		t.Fatal(err)
	}
	// The order and spelling of configuration writes (the same param
	// table): durations in their largest exact unit.
	want := "check ssl check-ssl send-proxy agent-check weight 20 maxconn 100 minconn 5 maxqueue 10 fall 3 rise 2 " +
		"agent-port 5555 port 8081 error-limit 3 inter 2s fastinter 500ms downinter 5s slowstart 10s agent-inter 1s " +
		"verify none observe layer7 on-error mark-down on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions " +
		"sni req.hdr(host) crt /etc/c.pem ca-file /etc/ca.pem check-sni example.com check-alpn h2 check-proto h2 " +
		"agent-addr 10.0.0.3 agent-send hello track be/s1 addr 10.0.0.2 proto h2 alpn h2,http/1.1"
	if strings.Join(got, " ") != want {
		t.Fatalf("params\n got %s\nwant %s", strings.Join(got, " "), want)
	}

	for _, bad := range []config.ServerParams{
		{SNI: "a b"}, {SNI: "a;b"}, {SNI: "a#b"}, {SNI: `a"b`}, {SNI: "a'b"}, {SNI: `a\b`}, {SNI: "a\nb"}, {SNI: "é"},
		{AgentSend: "x;help"}, {Check: "yes"}, {Weight: p(257)}, {Weight: p(-1)}, {Verify: "optional"},
		{HealthCheckPort: p(0)}, {Track: "be/s1/x"}, {Track: "be s1"}, {AgentCheck: "enabled"}, {Maintenance: "on"},
		{Observe: "layer5"}, {Resolvers: "dns"}, {Cookie: "c1"}, {InitAddr: "none"},
	} {
		ns := config.Server{Name: "n1", Address: "10.0.0.1", Port: p(80), ServerParams: bad}
		if _, err := AddParams(&ns); fault.Of(err) != fault.Invalid {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
}

func TestChangeValidate(t *testing.T) {
	for _, ch := range []Change{
		{AdminState: "up"}, {OperationalState: "ready"}, {Weight: p(300)}, {Port: p(0)}, {Port: p(70000)},
		{Address: "example.com"}, {Address: "fe80::1%eth0"}, {Address: "1.2.3.4 ; help"},
	} {
		if err := ch.validate(); fault.Of(err) != fault.Invalid {
			t.Errorf("%+v accepted: %v", ch, err)
		}
	}
	if err := (Change{AdminState: "drain", Weight: p(0), Address: "::1", Port: p(1)}).validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPartialErrorMessage(t *testing.T) {
	e := &PartialError{Server: "be/s1", Applied: []string{"admin_state", "address"}, Failed: "weight",
		Skipped: []string{"operational_state", "admin_state"}, Err: runtime.ErrUnsupported}
	if !errors.Is(e, runtime.ErrUnsupported) || !strings.Contains(e.Error(), "applied before it (and still in effect): admin_state, address") {
		t.Fatal(e)
	}
}

// TestDrainClientGone: when the caller's context ends during the wait,
// Drain stops, leaves the server in drain, and says so at Warn with the
// server and how long it waited.
func TestDrainClientGone(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	slow := haproxytest.StartBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(time.Minute):
		}
	})
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
    server s1 %s
`, port, slow.Addr()))
	go func() { _, _, _ = haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", port)) }()
	c := runtime.New(in.StatsSocket)
	haproxytest.WaitFor(t, 5*time.Second, "one session", func() bool {
		cur, _, err := c.ServerSessions(context.Background(), "be", "s1")
		return err == nil && cur == 1
	})

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	// The client goes away once the wait has begun, whatever the
	// machine's speed: once `set server ... state drain` has been answered
	// (the client's observer runs before the command returns to Drain),
	// with the session still open.
	setDone := make(chan struct{}, 1)
	c.SetObserver(func(cmd string, err error) {
		if cmd == "set server" && err == nil {
			select {
			case setDone <- struct{}{}:
			default:
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drained := make(chan error, 1)
	go func() {
		_, err := Drain(ctx, c, "be", "s1", DrainOptions{Timeout: time.Minute, ThenMaint: true, Log: log})
		drained <- err
	}()
	select {
	case <-setDone:
	case err := <-drained:
		t.Fatalf("Drain ended before setting the server to drain: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Drain did not set the server to drain within 30 s")
	}
	cancel()
	var err error
	select {
	case err = <-drained:
	case <-time.After(30 * time.Second):
		t.Fatal("Drain still running 30 s after its context ended")
	}
	if !errors.Is(err, ErrClientGone) {
		t.Fatalf("Drain: %v, want ErrClientGone", err)
	}
	line := logs.String()
	if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "server=be/s1") ||
		!strings.Contains(line, "waited=") || !strings.Contains(line, "left in drain") {
		t.Fatalf("log: %q", line)
	}
	st, err := Get(context.Background(), c, "be", "s1")
	if err != nil || st.Admin() != "drain" {
		t.Fatalf("state after the client left: %+v %v", st, err)
	}

	// Timeout bounds.
	if _, err := Drain(context.Background(), c, "be", "s1", DrainOptions{Timeout: 2 * time.Hour}); fault.Of(err) != fault.Invalid {
		t.Fatalf("a two-hour drain: %v", err)
	}
}

// TestUpdateCommands: an update reads the state first only when it needs
// the current address (or has nothing to set), and reads it back with its
// last change (one command line: runtime.Client.SetServerAndShow).
func TestUpdateCommands(t *testing.T) {
	in := haproxytest.New(t)
	in.Start(in.Global() + `
backend be
    balance roundrobin
    server s1 127.0.0.1:9 weight 10
`)
	c := runtime.New(in.StatsSocket)
	var mu sync.Mutex
	var sent []string
	c.SetObserver(func(cmd string, err error) {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, cmd)
	})
	tests := []struct {
		name  string
		srv   string
		ch    Change
		sent  []string // command verbs, in order
		check func(runtime.ServerState) bool
		err   error
	}{
		{"weight", "s1", Change{Weight: p(5)}, []string{"set server", "show servers"},
			func(s runtime.ServerState) bool { return s.UWeight == 5 }, nil},
		{"drain and weight", "s1", Change{AdminState: "drain", Weight: p(6)}, []string{"set server", "set server", "show servers"},
			func(s runtime.ServerState) bool { return s.UWeight == 6 && s.Admin() == "drain" }, nil},
		{"port keeps the address", "s1", Change{Port: p(8080)}, []string{"show servers", "set server", "show servers"},
			func(s runtime.ServerState) bool { return s.Port == 8080 && s.Addr == "127.0.0.1" }, nil},
		{"nothing", "s1", Change{}, []string{"show servers"},
			func(s runtime.ServerState) bool { return s.Name == "s1" }, nil},
		{"unknown server", "nosuch", Change{Weight: p(1), AdminState: "ready"}, []string{"set server"}, nil, runtime.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			sent = nil
			mu.Unlock()
			st, err := Update(context.Background(), c, "be", tt.srv, tt.ch)
			switch {
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("err = %v, want %v", err, tt.err)
			case tt.err == nil && (err != nil || !tt.check(st)):
				t.Fatalf("state %+v, %v", st, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if strings.Join(sent, ",") != strings.Join(tt.sent, ",") {
				t.Fatalf("sent %q, want %q", sent, tt.sent)
			}
		})
	}
}

func TestChangeUnmet(t *testing.T) {
	w := func(n int64) *int64 { return &n }
	st := runtime.ServerState{Addr: "10.0.0.1", Port: 80, UWeight: 5, AdminState: 0}
	maint := st
	maint.AdminState = 0x01 // forced maintenance
	cases := []struct {
		name string
		ch   Change
		st   runtime.ServerState
		want string
	}{
		{"all shown", Change{AdminState: "ready", Weight: w(5), Address: "10.0.0.1", Port: w(80)}, st, ""},
		{"operational state is the checks'", Change{OperationalState: "down"}, st, ""},
		{"maint not shown", Change{AdminState: "maint"}, st, "admin_state maint (HAProxy: ready)"},
		{"maint shown", Change{AdminState: "maint"}, maint, ""},
		{"weight", Change{Weight: w(7)}, st, "weight 7 (HAProxy: 5)"},
		{"address", Change{Address: "10.0.0.2"}, st, "address 10.0.0.2 (HAProxy: 10.0.0.1)"},
		{"v4-mapped address is the same", Change{Address: "::ffff:10.0.0.1"}, st, ""},
		{"port and weight", Change{Weight: w(1), Port: w(81)}, st, "weight 1 (HAProxy: 5), port 81 (HAProxy: 80)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(c.ch.Unmet(c.st), ", "); got != c.want {
				t.Errorf("Unmet = %q, want %q", got, c.want)
			}
		})
	}
}
