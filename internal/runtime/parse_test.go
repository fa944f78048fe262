package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fixture reads a reply captured from HAProxy 2.6.12 with socat.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseInfo(t *testing.T) {
	info, ok := parseInfo(fixture(t, "show_info.txt"))
	if !ok {
		t.Fatal("parseInfo rejected a real show info")
	}
	if len(info.Fields) != 69 || info.Fields[0] != (InfoField{"Name", "HAProxy"}) {
		t.Fatalf("got %d fields, first %+v", len(info.Fields), info.Fields[0])
	}
	tests := []struct {
		key     string
		str     string
		n       int64
		isInt   bool
		present bool
	}{
		{"Version", "2.6.12-1+deb12u3", 0, false, true},
		{"Nbthread", "2", 2, true, true},
		{"Pid", "9604", 9604, true, true},
		{"Uptime", "0d 0h00m01s", 0, false, true},
		{"Build info", "2.6.12-1+deb12u3", 0, false, true},
		{"Unstoppable Jobs", "1", 1, true, true},
		{"Nope", "", 0, false, false},
	}
	for _, tt := range tests {
		s, ok := info.String(tt.key)
		if ok != tt.present || s != tt.str {
			t.Errorf("String(%q) = %q, %v; want %q, %v", tt.key, s, ok, tt.str, tt.present)
		}
		n, ok := info.Int(tt.key)
		if ok != tt.isInt || n != tt.n {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tt.key, n, ok, tt.n, tt.isInt)
		}
	}
	for _, bad := range []string{"", "Permission denied\n\n", "Unknown command, but maybe: x\n  add acl : y\n\n"} {
		if _, ok := parseInfo(bad); ok {
			t.Errorf("parseInfo(%q) accepted", bad)
		}
	}
}

func TestParseStat(t *testing.T) {
	stats, err := parseStat(fixture(t, "show_stat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ proxy, server, typ, status, weight, addr, slim string }
	var got []row
	for _, s := range stats {
		if len(s.Fields) != 128 {
			t.Errorf("%s/%s: %d columns, want 128", s.Proxy, s.Server, len(s.Fields))
		}
		got = append(got, row{s.Proxy, s.Server, s.Type, s.Get("status"), s.Get("weight"), s.Get("addr"), s.Get("slim")})
	}
	want := []row{
		{"fe", "FRONTEND", TypeFrontend, "OPEN", "", "", "9979"},
		{"fe", "l_main", TypeListener, "OPEN", "", "127.0.0.1:18391", "0"},
		{"be_app", "s1", TypeServer, "no check", "50", "127.0.0.1:18201", ""},
		{"be_app", "s2", TypeServer, "DOWN", "1", "127.0.0.1:18202", ""},
		{"be_app", "BACKEND", TypeBackend, "UP", "50", "", "998"},
		{"be_src", "a", TypeServer, "no check", "1", "127.0.0.1:18203", ""},
		{"be_src", "BACKEND", TypeBackend, "UP", "1", "", "1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%v\nwant\n%v", got, want)
	}
}

func TestParseStatQuotedAndBroken(t *testing.T) {
	// Synthetic: HAProxy quotes string fields containing ',' or '"'.
	stats, err := parseStat("# pxname,svname,type,check_desc,\nbe,s1,2,\"Layer7 wrong status, \"\"503\"\"\",\n\n")
	if err != nil || len(stats) != 1 || stats[0].Get("check_desc") != `Layer7 wrong status, "503"` {
		t.Fatalf("got %+v, %v", stats, err)
	}
	for _, bad := range []string{
		"# pxname,svname,type,\n,s1,2,\n",   // no proxy
		"# pxname,svname,type,\nbe,s1,9,\n", // unknown type
	} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestParseServersState(t *testing.T) {
	states, err := parseServersState(fixture(t, "show_servers_state.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []ServerState{
		{BackendID: 3, BackendName: "be_app", ID: 1, Name: "s1", Addr: "10.0.0.7", OpState: 0, AdminState: 1, UWeight: 50, IWeight: 50,
			TimeSinceLastChange: 0, CheckStatus: 1, CheckResult: 0, CheckHealth: 0, CheckState: 0, AgentState: 0, Port: 8080},
		{BackendID: 3, BackendName: "be_app", ID: 2, Name: "s2", Addr: "127.0.0.1", OpState: 0, AdminState: 0, UWeight: 1, IWeight: 1,
			TimeSinceLastChange: 1, CheckStatus: 8, CheckResult: 2, CheckHealth: 0, CheckState: 6, Port: 18202},
		{BackendID: 4, BackendName: "be_src", ID: 1, Name: "a", Addr: "127.0.0.1", OpState: 2, UWeight: 1, IWeight: 1,
			TimeSinceLastChange: 1, CheckStatus: 1, CheckHealth: 2, Port: 18203},
	}
	if !reflect.DeepEqual(states, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", states, want)
	}
	adm := []struct{ admin, op, wantAdmin, wantOp string }{
		{states[0].Admin(), states[0].Operational(), "maint", "down"},
		{states[2].Admin(), states[2].Operational(), "ready", "up"},
		{ServerState{AdminState: AdminForcedDrain, OpState: OpStopping}.Admin(), ServerState{OpState: OpStopping}.Operational(), "drain", "stopping"},
		{ServerState{AdminState: AdminForcedDrain | AdminInheritedMaint}.Admin(), ServerState{OpState: OpStarting}.Operational(), "maint", "up"},
		{ServerState{AdminState: AdminFQDNSet}.Admin(), "down", "ready", "down"},
	}
	for i, a := range adm {
		if a.admin != a.wantAdmin || a.op != a.wantOp {
			t.Errorf("%d: Admin/Operational = %s/%s, want %s/%s", i, a.admin, a.op, a.wantAdmin, a.wantOp)
		}
	}
	hdr := "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"
	for _, bad := range []string{"2\n# be_id\n", hdr + "3 be 1 s1 127.0.0.1 2\n", hdr + "x be 1 s1 127.0.0.1 2 0 1 1 1 1 0 2 0 0 0 0 - 80 - 0 0 - - 0\n"} {
		if _, err := parseServersState(bad); err == nil {
			t.Errorf("parseServersState(%q) accepted", bad)
		}
	}
	if s, err := parseServersState(hdr + "\n"); err != nil || len(s) != 0 {
		t.Errorf("empty backend: %v, %v", s, err)
	}
}

// TestParseServerState: the row of one server, parsed alone, is the row
// the whole parse gives; a server without a row is not found, and only
// its own row must be well formed.
func TestParseServerState(t *testing.T) {
	reply := fixture(t, "show_servers_state.txt")
	all, err := parseServersState(reply)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range all {
		if want.BackendName != "be_app" {
			continue // the fixture holds two backends; a reply, one
		}
		got, found, err := parseServerState(reply, want.Name)
		if err != nil || !found || got != want {
			t.Errorf("%s: %+v, %v, %v; want %+v", want.Name, got, found, err, want)
		}
	}
	for _, name := range []string{"nope", "s", "s10", "be_app", "10.0.0.7", ""} {
		if got, found, err := parseServerState(reply, name); err != nil || found {
			t.Errorf("%q: %+v, %v, %v; want not found", name, got, found, err)
		}
	}
	hdr := "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"
	row := "3 be 2 s2 127.0.0.1 2 0 1 1 1 1 0 2 0 0 0 0 - 80 - 0 0 - - 0\n"
	if s, found, err := parseServerState(hdr+"3 be 1 s1 127.0.0.1 2\n"+row, "s2"); err != nil || !found || s.ID != 2 || s.Port != 80 {
		t.Errorf("s2 after a short row: %+v, %v, %v", s, found, err)
	}
	for _, bad := range []string{"2\n# be_id\n", "1\n", hdr + "3 be 1 s2 127.0.0.1 2\n", hdr + "x be 1 s2 127.0.0.1 2 0 1 1 1 1 0 2 0 0 0 0 - 80 - 0 0 - - 0\n"} {
		if _, _, err := parseServerState(bad, "s2"); err == nil {
			t.Errorf("parseServerState(%q) accepted", bad)
		}
	}
}

func TestParseProc(t *testing.T) {
	tests := []struct {
		file string
		want Proc
	}{
		{"show_proc.txt", Proc{
			Master:  Process{PID: 8902, Type: "master", Uptime: "0d00h00m01s", Version: "2.6.12-1+deb12u3"},
			Workers: []Process{{PID: 8905, Type: "worker", Uptime: "0d00h00m01s", Version: "2.6.12-1+deb12u3"}},
		}},
		{"show_proc_failed.txt", Proc{
			Master:  Process{PID: 9601, Type: "master", Reloads: 1, Failed: 1, Uptime: "0d00h00m02s", Version: "2.6.12-1+deb12u3"},
			Workers: []Process{{PID: 9604, Type: "worker", Reloads: 1, Uptime: "0d00h00m02s", Version: "2.6.12-1+deb12u3"}},
		}},
		{"show_proc_old.txt", Proc{
			Master:      Process{PID: 9447, Type: "master", Reloads: 1, Uptime: "0d00h00m03s", Version: "2.6.12-1+deb12u3"},
			Workers:     []Process{{PID: 9498, Type: "worker", Uptime: "0d00h00m01s", Version: "2.6.12-1+deb12u3"}},
			OldWorkers:  []Process{{PID: 9452, Type: "worker", Reloads: 1, Uptime: "0d00h00m03s", Version: "2.6.12-1+deb12u3"}},
			OldPrograms: []Process{{PID: 9451, Type: "side", Reloads: 1, Uptime: "0d00h00m03s"}},
		}},
	}
	for _, tt := range tests {
		got, err := parseProc(fixture(t, tt.file))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v\nwant %+v", tt.file, got, err, tt.want)
		}
	}
	for _, bad := range []string{"#<PID> <type>\n", "#<PID>\n8902 master x [failed: 0] 0d 2.6\n", "#<PID>\n# workers\n# zombies\n"} {
		if _, err := parseProc(bad); err == nil {
			t.Errorf("parseProc(%q) accepted", bad)
		}
	}
}

// TestTypedMethodsOnFixtures runs the public methods against a fake socket
// replaying the captured replies.
func TestTypedMethodsOnFixtures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	backends, err := New(newFakeSocket(t, replyOnLine, fixture(t, "show_backend.txt")).Path).ShowBackends(ctx)
	if err != nil || strings.Join(backends, ",") != "be_app,be_src" {
		t.Errorf("ShowBackends = %v, %v", backends, err)
	}

	f := newFakeSocket(t, replyOnLine, fixture(t, "show_stat.txt"))
	stats, err := New(f.Path).ShowStat(ctx, StatFilter{Proxy: "be_app", Type: StatServers | StatBackends})
	if err != nil || len(stats) != 3 { // the fake ignores the filter; rows of other proxies are dropped
		t.Errorf("ShowStat = %d rows, %v", len(stats), err)
	}
	cur, q, err := New(f.Path).ServerSessions(ctx, "be_app", "s2")
	if err != nil || cur != 0 || q != 0 {
		t.Errorf("ServerSessions = %d, %d, %v", cur, q, err)
	}
	if _, _, err := New(f.Path).ServerSessions(ctx, "be_app", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ServerSessions(unknown) = %v, want ErrNotFound", err)
	}
	want := []string{"show stat be_app 6 -1\n", "show stat be_app 4 -1\n", "show stat be_app 4 -1\n"}
	if got := f.lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}

	raw := fixture(t, "show_servers_state.txt")
	if got, err := New(newFakeSocket(t, replyOnLine, raw).Path).ServersStateRaw(ctx); err != nil || got != raw {
		t.Errorf("ServersStateRaw = %q, %v", got, err)
	}

	m := NewMaster(newFakeSocket(t, replyOnEOF, fixture(t, "show_proc_old.txt")).Path)
	if p, err := m.ShowProc(ctx); err != nil || len(p.OldWorkers) != 1 {
		t.Errorf("ShowProc = %+v, %v", p, err)
	}
	for reply, ok := range map[string]bool{"": true, "Success=1\n--\n": true, "Success=0\n--\n[ALERT] x\n": false, "Permission denied\n": false} {
		err := NewMaster(newFakeSocket(t, replyOnEOF, reply).Path).Reload(ctx)
		if (err == nil) != ok {
			t.Errorf("Reload with reply %q = %v, want ok=%v", reply, err, ok)
		}
	}
}
