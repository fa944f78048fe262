package apply

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/runtime"
)

const effHead = `global
    stats socket /run/admin.sock level admin

defaults
    mode http
`

func mustParse(t *testing.T, text string) *config.Document {
	t.Helper()
	d, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// planOf computes the plan between two configuration texts.
func planOf(t *testing.T, running, next string) Plan {
	t.Helper()
	return Compute(mustParse(t, running), mustParse(t, next))
}

func wantOps(t *testing.T, p Plan, want ...Op) {
	t.Helper()
	if p.Reload {
		t.Fatalf("plan reloads (%s), want ops %+v", p.Reason, want)
	}
	if len(p.Ops) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(p.Ops, want) {
		t.Fatalf("ops\n %+v\nwant\n %+v", p.Ops, want)
	}
}

func wantReload(t *testing.T, p Plan, reason string) {
	t.Helper()
	if !p.Reload || !strings.Contains(p.Reason, reason) {
		t.Fatalf("plan %+v, want a reload because of %q", p, reason)
	}
}

// A server's weight and maintenance are what the default-server lines that
// apply to it give, once its own params no longer set them.
func TestChangeUsesEffectiveParams(t *testing.T) {
	inDefaults := effHead + "    default-server weight 50 disabled\n\nbackend be\n    balance roundrobin\n    server s1 10.0.0.1:80 %s\n    server s2 10.0.0.2:80\n"
	above := effHead + "\nbackend be\n    balance roundrobin\n    default-server weight 50 disabled\n    server s1 10.0.0.1:80 %s\n    server s2 10.0.0.2:80\n"
	below := effHead + "\nbackend be\n    balance roundrobin\n    server s1 10.0.0.1:80 %s\n    default-server weight 50 disabled\n    server s2 10.0.0.2:80\n"
	with := func(tmpl, params string) string { return strings.Replace(tmpl, "%s", params, 1) }
	inherit := []Op{
		{Kind: OpSetWeight, Backend: "be", Server: "s1", Weight: 50},
		{Kind: OpSetState, Backend: "be", Server: "s1", State: "maint"},
	}
	t.Run("default-server in defaults", func(t *testing.T) {
		wantOps(t, planOf(t, with(inDefaults, "weight 10 enabled"), with(inDefaults, "")), inherit...)
	})
	t.Run("default-server above the server", func(t *testing.T) {
		wantOps(t, planOf(t, with(above, "weight 10 enabled"), with(above, "")), inherit...)
	})
	t.Run("default-server below the server", func(t *testing.T) {
		// It does not apply to s1: HAProxy's own default weight, no
		// maintenance.
		wantOps(t, planOf(t, with(below, "weight 10 enabled"), with(below, "")),
			Op{Kind: OpSetWeight, Backend: "be", Server: "s1", Weight: 1})
	})
	t.Run("own params back", func(t *testing.T) {
		wantOps(t, planOf(t, with(above, ""), with(above, "weight 10 enabled")),
			Op{Kind: OpSetWeight, Backend: "be", Server: "s1", Weight: 10},
			Op{Kind: OpSetState, Backend: "be", Server: "s1", State: "ready"})
	})
	t.Run("same effective weight", func(t *testing.T) {
		wantOps(t, planOf(t, with(above, "weight 10 enabled"), with(above, "weight 50 enabled")),
			Op{Kind: OpSetWeight, Backend: "be", Server: "s1", Weight: 50})
		wantOps(t, planOf(t, with(above, "weight 50"), with(above, "")))
	})
	t.Run("variable weight", func(t *testing.T) {
		wantReload(t, planOf(t, with(above, "weight ${A}"), with(above, "weight ${B}")), "weight")
		wantReload(t, planOf(t, with(above, "weight 10"), with(above, "weight ${B}")), "weight")
	})
	t.Run("weight out of range", func(t *testing.T) {
		wantReload(t, planOf(t, with(above, "weight 10"), with(above, "weight 300")), "weight")
		wantReload(t, planOf(t, with(above, "weight 10"), with(above, "weight 010")), "weight")
	})
	t.Run("other param", func(t *testing.T) {
		wantReload(t, planOf(t, with(above, "weight 10"), with(above, "weight 10 maxconn 5")), "beyond weight")
	})
}

// Moving a server across a default-server line changes what it inherits.
func TestChangeServerMovedAcrossDefaultServer(t *testing.T) {
	running := effHead + "\nbackend be\n    server s1 10.0.0.1:80\n    default-server inter 3s\n    server s2 10.0.0.2:80\n"
	next := effHead + "\nbackend be\n    default-server inter 3s\n    server s1 10.0.0.1:80\n    server s2 10.0.0.2:80\n"
	wantReload(t, planOf(t, running, next), "beyond weight")
}

func TestChangeWeightStaticAlgorithm(t *testing.T) {
	cfg := effHead + "\nbackend be\n    balance static-rr\n    server s1 10.0.0.1:80 weight %s\n"
	wantReload(t, planOf(t, strings.Replace(cfg, "%s", "10", 1), strings.Replace(cfg, "%s", "20", 1)), "static-rr")
}

func TestChangeDefaultsInheritance(t *testing.T) {
	cfg := effHead + "\ndefaults d1\n    mode http\n\ndefaults d2\n    mode tcp\n\nbackend be from %s\n    server s1 10.0.0.1:80\n"
	wantReload(t, planOf(t, strings.Replace(cfg, "%s", "d1", 1), strings.Replace(cfg, "%s", "d2", 1)), "from")
}

func TestAddUsesDefaultServerAboveIt(t *testing.T) {
	d := mustParse(t, effHead+`    default-server inter 2s

backend be
    balance roundrobin
    default-server weight 20 enabled
    server s1 10.0.0.1:80
    default-server weight 7 disabled check
`)
	port := int64(80)
	next := edited(t, d, func(d *config.Document) (*config.Document, error) {
		return config.Servers.At(config.KindBackend, "be").Create(d, config.Server{Name: "s2", Address: "10.0.0.2", Port: &port})
	})
	if !strings.Contains(string(next.Render()), "server s2 10.0.0.2:80\n    default-server weight 7") {
		t.Fatalf("the new server is not above the last default-server line:\n%s", next.Render())
	}
	wantOps(t, Compute(d, next), Op{Kind: OpAddServer, Backend: "be", Server: "s2", Addr: "10.0.0.2", Port: 80,
		Params: []string{"inter", "2s", "weight", "20"}})

	// A server placed after the last default-server line gets it.
	running := effHead + "\nbackend be\n    server s1 10.0.0.1:80\n    default-server weight 7 disabled check\n"
	wantOps(t, planOf(t, running, running+"    server s2 10.0.0.2:80\n"), Op{Kind: OpAddServer, Backend: "be", Server: "s2",
		Addr: "10.0.0.2", Port: 80, Params: []string{"weight", "7", "check"}, Check: true, StartMnt: true})
}

func TestAddBeforeExistingServersReloads(t *testing.T) {
	running := effHead + "\nbackend be\n    balance first\n    server s1 10.0.0.1:80\n"
	next := effHead + "\nbackend be\n    balance first\n    server s0 10.0.0.9:80\n    server s1 10.0.0.1:80\n"
	wantReload(t, planOf(t, running, next), "before")
}

func TestAddPayloadMarkerReloads(t *testing.T) {
	running := effHead + "\nbackend be\n    server s1 10.0.0.1:80\n"
	wantReload(t, planOf(t, running, running+"    server s2 10.0.0.2:80 agent-check agent-port 9 agent-send <<\n"), "<<")
}

func TestDeleteUseServerTargetReloads(t *testing.T) {
	running := effHead + "\nbackend be\n    use-server s2 if { path /x }\n    server s1 10.0.0.1:80\n    server s2 10.0.0.2:80\n"
	next := effHead + "\nbackend be\n    use-server s2 if { path /x }\n    server s1 10.0.0.1:80\n"
	wantReload(t, planOf(t, running, next), "use-server")
	quoted := strings.ReplaceAll(running, "use-server s2", `use-server "s2"`)
	wantReload(t, planOf(t, quoted, strings.ReplaceAll(next, "use-server s2", `use-server "s2"`)), "use-server")
	// Other servers are not concerned.
	wantOps(t, planOf(t, running, strings.Replace(running, "    server s1 10.0.0.1:80\n", "", 1)),
		Op{Kind: OpDelServer, Backend: "be", Server: "s1"})
}

// fakeSocket is a stats socket that records the commands it gets and
// answers them as HAProxy 2.6 does when they succeed.
type fakeSocket struct {
	path string
	mu   sync.Mutex
	cmds []string
}

func newFakeSocket(t *testing.T) *fakeSocket {
	t.Helper()
	dir, err := os.MkdirTemp("", "apply")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	f := &fakeSocket{path: filepath.Join(dir, "s.sock")}
	ln, err := net.Listen("unix", f.path)
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
			go f.serve(c)
		}
	}()
	return f
}

// serve answers one command and closes, or, after "prompt", every command
// of every line followed by the prompt, as HAProxy's interactive mode does.
func (f *fakeSocket) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	interactive := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSpace(line)
		if !interactive && line == "prompt" {
			interactive = true
			c.Write([]byte("\n> "))
			continue
		}
		for _, cmd := range strings.Split(line, ";") {
			reply := f.answer(strings.TrimSpace(cmd))
			if !interactive {
				c.Write([]byte(reply))
				return
			}
			c.Write([]byte(reply + "> "))
		}
	}
}

// answer records cmd and returns HAProxy's reply to it.
func (f *fakeSocket) answer(cmd string) string {
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	switch {
	case strings.HasPrefix(cmd, "add server "):
		return "New server registered.\n\n"
	case cmd == "show servers state be":
		// What HAProxy 2.6 answers once s2 is up and ready.
		return "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight " +
			"srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state " +
			"bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr " +
			"srv_agent_addr srv_agent_port\n" +
			"3 be 1 s1 10.0.0.1 2 0 1 1 5 6 3 4 6 0 0 0 - 80 - 0 0 - - 0\n" +
			"3 be 2 s2 10.0.0.2 2 0 1 1 0 1 0 3 7 0 0 0 - 80 - 0 0 - - 0\n\n"
	}
	return "\n"
}

func (f *fakeSocket) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

// A server added with agent-check gets its agent enabled, as a reload
// would start it.
func TestApplyAddEnablesAgent(t *testing.T) {
	f := newFakeSocket(t)
	running := effHead + "\nbackend be\n    default-server agent-check agent-port 9 agent-inter 1h\n    server s1 10.0.0.1:80 check\n"
	r := &Runtime{Client: func() *runtime.Client { return runtime.New(f.path) }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ok, err := r.Apply(ctx, mustParse(t, running), mustParse(t, running+"    server s2 10.0.0.2:80 check\n"))
	if err != nil || !ok {
		t.Fatalf("apply: %v, %v", ok, err)
	}
	want := []string{
		"add server be/s2 10.0.0.2:80 agent-check agent-port 9 agent-inter 1h check",
		"enable health be/s2",
		"enable agent be/s2",
		"set server be/s2 state ready",
		"show servers state be", // the read back
	}
	if got := f.commands(); !reflect.DeepEqual(got, want) {
		t.Fatalf("commands\n %q\nwant\n %q", got, want)
	}
}
