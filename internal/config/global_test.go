package config

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func loadGlobalFixture(t *testing.T, name string) *Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "global", name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustGlobal(t *testing.T, d *Document) Global {
	t.Helper()
	g, err := d.Global()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// sameJSON compares two values by their JSON, key order aside.
func sameJSON(t *testing.T, got any, want string) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(g, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	if !reflect.DeepEqual(a, b) {
		na, _ := json.MarshalIndent(a, "", "  ")
		nb, _ := json.MarshalIndent(b, "", "  ")
		t.Fatalf("got:\n%s\nwant:\n%s", na, nb)
	}
}

// lineDiff returns the lines removed ("-line") and added ("+line") from a
// to b, in file order, from a longest-common-subsequence alignment.
func lineDiff(a, b string) []string {
	al := strings.Split(a, "\n")
	bl := strings.Split(b, "\n")
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "-"+al[i])
			i++
		default:
			out = append(out, "+"+bl[j])
			j++
		}
	}
	return out
}

func TestGlobalRead(t *testing.T) {
	d := loadGlobalFixture(t, "realistic.cfg")
	g := mustGlobal(t, d)
	sameJSON(t, g, `{
		"master-worker": true,
		"nbthread": 4,
		"user": "haproxy",
		"group": "haproxy",
		"chroot": "/var/lib/haproxy",
		"description": "Edge node \"eu-1\"",
		"stats_timeout": 30000,
		"hard_stop_after": 30000,
		"log_send_hostname": {"enabled": "enabled", "param": "edge1"},
		"default_path": {"type": "config"},
		"cpu_maps": [
			{"process": "1/all", "cpu_set": "0-3"},
			{"process": "1/1", "cpu_set": "0 1"}
		],
		"runtime_apis": [
			{"address": "/run/haproxy/admin.sock", "mode": "660", "level": "admin", "expose_fd_listeners": true, "severity_output": "number"},
			{"address": "ipv4@127.0.0.1:9999", "name": "api2", "level": "operator"}
		],
		"lua_options": {"loads": [{"file": "/etc/haproxy/hello.lua"}]},
		"performance_options": {"maxconn": 4096, "spread_checks": 4, "busy_polling": true},
		"set_var": [{"name": "proc.answer", "expr": "int(42)"}],
		"ssl_options": {
			"default_bind_ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
			"default_bind_ciphersuites": "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
			"default_bind_options": "ssl-min-ver TLSv1.2 no-tls-tickets",
			"server_verify": "required"
		},
		"tune_buffer_options": {"bufsize": 32768},
		"tune_options": {"maxrewrite": 1024}
	}`)

	// No global section: the zero model.
	empty, _ := Parse([]byte("defaults\n    mode http\n"))
	sameJSON(t, mustGlobal(t, empty), `{}`)
}

func TestGlobalCacheIsolation(t *testing.T) {
	d := loadGlobalFixture(t, "realistic.cfg")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, _ := d.Global()
			// Changing the copy must not reach the cached model.
			*g.Nbthread = 99
			g.PerformanceOptions.Maxconn = i64(1)
			g.RuntimeAPIs[0].Level = "user"
			g.CPUMaps[0].Process = "2"
		}()
	}
	wg.Wait()
	g := mustGlobal(t, d)
	if *g.Nbthread != 4 || *g.PerformanceOptions.Maxconn != 4096 || g.RuntimeAPIs[0].Level != "admin" || g.CPUMaps[0].Process != "1/all" {
		t.Fatalf("the cached model was changed through a returned copy: %+v", g)
	}
}

func TestGlobalRoundTrip(t *testing.T) {
	docs := map[string]*Document{
		"realistic": loadGlobalFixture(t, "realistic.cfg"),
		"valid":     loadGlobalFixture(t, "valid.cfg"),
		"no global": func() *Document {
			d, _ := Parse([]byte("# _version=3\n# header comment\n\ndefaults\n    mode http\n\nbackend be\n    server s1 127.0.0.1:80\n"))
			return d
		}(),
		"empty file": func() *Document { d, _ := Parse(nil); return d }(),
	}
	values := map[string]Global{
		"empty": {},
		"flags": {Daemon: true, MasterWorker: true, ExternalCheck: true},
		"scalars": {
			MworkerMaxReloads: i64(3), Nbthread: i64(8), ThreadGroups: i64(2), Pidfile: "/run/haproxy.pid",
			User: "haproxy", Group: "haproxy", UID: i64(104), GID: i64(107), Chroot: "/var/empty",
			Description: `quoted "two words" here`, Node: "lb-1", Localpeer: "peer1",
			StatsTimeout: i64(1500), StatsMaxconn: i64(10), HardStopAfter: i64(90000), Grace: i64(0),
			CloseSpreadTime: i64(2000), UlimitN: i64(65536),
		},
		"objects": {
			LogSendHostname: &LogSendHostname{Enabled: "enabled"},
			DefaultPath:     &DefaultPath{Type: "origin", Path: "/etc/haproxy"},
			CPUMaps:         []CPUMap{{Process: "1/all", CPUSet: "0-3"}, {Process: "1/2", CPUSet: "1 3"}},
			RuntimeAPIs: []RuntimeAPI{
				{Address: "/run/haproxy/admin.sock", BindParams: BindParams{Level: "admin", Mode: "600", ExposeFdListeners: true, User: "haproxy", Group: "haproxy"}},
				{Address: "ipv4@127.0.0.1:9999", Name: "tcp-api", BindParams: BindParams{Level: "operator", Maxconn: i64(5)}},
			},
		},
		"nested": {
			PerformanceOptions: &PerformanceOptions{
				Maxconn: i64(100000), Maxconnrate: i64(1), Maxsessrate: i64(2), Maxcomprate: i64(3),
				Maxcompcpuusage: i64(50), Maxpipes: i64(4), Maxzlibmem: i64(5), SpreadChecks: i64(5),
				MaxSpreadChecks: i64(1000), BusyPolling: true, Noepoll: true, Nopoll: true, Nosplice: true,
				Nogetaddrinfo: true, Noreuseport: true, ServerStateFile: "/var/lib/haproxy/state", ServerStateBase: "/var/lib/haproxy",
			},
			SSLOptions: &SSLOptions{
				DefaultBindCiphers: "ECDHE+AESGCM", DefaultBindCiphersuites: "TLS_AES_128_GCM_SHA256",
				DefaultBindOptions: "ssl-min-ver TLSv1.2 no-tls-tickets", DefaultServerCiphers: "HIGH:!aNULL",
				DefaultServerCiphersuites: "TLS_AES_256_GCM_SHA384", DefaultServerOptions: "no-sslv3",
				CaBase: "/etc/ssl/certs", CrtBase: "/etc/ssl/private", DhParamFile: "/etc/haproxy/dh.pem",
				ServerVerify: "none", Maxsslconn: i64(1000), Maxsslrate: i64(100),
			},
			TuneBufferOptions: &TuneBufferOptions{Bufsize: i64(16384), BuffersLimit: i64(10), BuffersReserve: i64(2), Pipesize: i64(65536)},
			TuneOptions:       &TuneOptions{Maxrewrite: i64(1024), HTTPMaxhdr: i64(128), Maxaccept: i64(-1), Maxpollevents: i64(200)},
		},
	}
	for dn, d := range docs {
		for vn, v := range values {
			t.Run(dn+"/"+vn, func(t *testing.T) {
				before := string(d.Render())
				nd, err := d.ReplaceGlobal(v)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := json.Marshal(v)
				sameJSON(t, mustGlobal(t, nd), string(want))
				// A second identical PUT changes nothing.
				again, err := nd.ReplaceGlobal(v)
				if err != nil {
					t.Fatal(err)
				}
				if again != nd {
					t.Fatalf("an identical PUT edited the document:\n%s", lineDiff(string(nd.Render()), string(again.Render())))
				}
				// The reparsed file reads the same.
				rd, err := Parse(nd.Render())
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, mustGlobal(t, rd), string(want))
				if string(d.Render()) != before {
					t.Fatal("the original document changed")
				}
				// Lines no field owns survive.
				for _, keep := range []string{"some-unknown-keyword foo bar", "# performance", "log /dev/log local1 notice   # second target"} {
					if strings.Contains(before, keep) && !strings.Contains(string(nd.Render()), keep) {
						t.Fatalf("line %q was lost", keep)
					}
				}
			})
		}
	}
}

func TestGlobalCreateSection(t *testing.T) {
	d, _ := Parse([]byte("# _version=3\n# header comment\n\ndefaults\n\tmode http\n"))
	nd, err := d.ReplaceGlobal(Global{Daemon: true, PerformanceOptions: &PerformanceOptions{Maxconn: i64(10)}})
	if err != nil {
		t.Fatal(err)
	}
	want := "# _version=3\n# header comment\n\nglobal\n\tdaemon\n\tmaxconn 10\n\ndefaults\n\tmode http\n"
	if got := string(nd.Render()); got != want {
		t.Fatalf("got:\n%q\nwant:\n%q", got, want)
	}
	if nd.Version() != 3 {
		t.Fatalf("version = %d", nd.Version())
	}
	// An empty model on a file without global adds nothing.
	if same, _ := d.ReplaceGlobal(Global{}); same != d {
		t.Fatal("an empty global was added")
	}
	// CRLF files get CRLF lines.
	crlf, _ := Parse([]byte("defaults\r\n    mode http\r\n"))
	nc, err := crlf.ReplaceGlobal(Global{Daemon: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(nc.Render()); got != "global\r\n    daemon\r\n\r\ndefaults\r\n    mode http\r\n" {
		t.Fatalf("crlf: %q", got)
	}
}

func TestGlobalLosslessEdits(t *testing.T) {
	d := loadGlobalFixture(t, "realistic.cfg")
	base := mustGlobal(t, d)
	orig := string(d.Render())

	if nd, err := d.ReplaceGlobal(base); err != nil || nd != d {
		t.Fatalf("unchanged PUT: doc changed=%v err=%v", nd != d, err)
	}

	cases := []struct {
		name string
		edit func(g *Global)
		diff []string
	}{
		{"change maxconn", func(g *Global) { g.PerformanceOptions.Maxconn = i64(8192) },
			[]string{"-    maxconn 4096   # per process", "+    maxconn 8192 # per process"}},
		{"remove nbthread", func(g *Global) { g.Nbthread = nil },
			[]string{"-\tnbthread 4"}},
		{"add daemon", func(g *Global) { g.Daemon = true },
			[]string{"+    daemon"}},
		{"change one runtime api's level", func(g *Global) { g.RuntimeAPIs[1].Level = "admin" },
			[]string{"-    stats socket ipv4@127.0.0.1:9999 level operator name api2 foo-unknown", "+    stats socket ipv4@127.0.0.1:9999 level admin name api2 foo-unknown"}},
		{"runtime api params keep unknown ones", func(g *Global) { g.RuntimeAPIs[0].Mode = "600"; g.RuntimeAPIs[0].Maxconn = i64(10) },
			[]string{"-\tstats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners severity-output number",
				"+\tstats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners severity-output number maxconn 10"}},
		{"remove first runtime api", func(g *Global) { g.RuntimeAPIs = g.RuntimeAPIs[1:] },
			[]string{"-\tstats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners severity-output number"}},
		{"add runtime api", func(g *Global) {
			g.RuntimeAPIs = append(g.RuntimeAPIs, RuntimeAPI{Address: "/run/haproxy/user.sock", BindParams: BindParams{Level: "user"}})
		}, []string{"+    stats socket /run/haproxy/user.sock level user"}},
		{"insert runtime api first", func(g *Global) {
			g.RuntimeAPIs = append([]RuntimeAPI{{Address: "/run/haproxy/first.sock"}}, g.RuntimeAPIs...)
		}, []string{"+    stats socket /run/haproxy/first.sock"}},
		{"add a cpu map", func(g *Global) { g.CPUMaps = append(g.CPUMaps, CPUMap{Process: "1/2", CPUSet: "2"}) },
			[]string{"+    cpu-map 1/2 2"}},
		{"clear performance_options", func(g *Global) { g.PerformanceOptions = nil },
			[]string{"-    maxconn 4096   # per process", "-    spread-checks 4", "-    busy-polling"}},
		{"stats timeout", func(g *Global) { g.StatsTimeout = i64(60000) },
			[]string{"-\tstats timeout 30000", "+\tstats timeout 1m"}},
		{"bufsize", func(g *Global) { g.TuneBufferOptions.Bufsize = i64(16384) },
			[]string{"-    tune.bufsize 32k", "+    tune.bufsize 16384"}},
		{"bind options text", func(g *Global) { g.SSLOptions.DefaultBindOptions = "ssl-min-ver TLSv1.3" },
			[]string{"-\tssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets", "+\tssl-default-bind-options ssl-min-ver TLSv1.3"}},
		{"log-send-hostname disabled", func(g *Global) { g.LogSendHostname = &LogSendHostname{Enabled: "disabled"} },
			[]string{"-    log-send-hostname edge1"}},
		{"default-path origin", func(g *Global) { g.DefaultPath = &DefaultPath{Type: "origin", Path: "/etc/haproxy"} },
			[]string{"-    default-path config", "+    default-path origin /etc/haproxy"}},
		{"description", func(g *Global) { g.Description = "" },
			[]string{`-    description Edge node "eu-1"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := mustGlobal(t, d)
			c.edit(&g)
			nd, err := d.ReplaceGlobal(g)
			if err != nil {
				t.Fatal(err)
			}
			got := lineDiff(orig, string(nd.Render()))
			if !reflect.DeepEqual(got, c.diff) {
				t.Fatalf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.diff, "\n"))
			}
			if string(d.Render()) != orig {
				t.Fatal("the original document changed")
			}
			want, _ := json.Marshal(g)
			if c.name == "log-send-hostname disabled" {
				g.LogSendHostname = nil
				want, _ = json.Marshal(g)
			}
			sameJSON(t, mustGlobal(t, nd), string(want))
		})
	}
}

func TestGlobalRuntimeAPIReorder(t *testing.T) {
	d := loadGlobalFixture(t, "realistic.cfg")
	g := mustGlobal(t, d)
	g.RuntimeAPIs[0], g.RuntimeAPIs[1] = g.RuntimeAPIs[1], g.RuntimeAPIs[0]
	nd, err := d.ReplaceGlobal(g)
	if err != nil {
		t.Fatal(err)
	}
	got := lineDiff(string(d.Render()), string(nd.Render()))
	want := []string{
		"-\tstats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners severity-output number",
		"-    stats socket ipv4@127.0.0.1:9999 level operator name api2 foo-unknown",
		"+\tstats socket ipv4@127.0.0.1:9999 level operator name api2 foo-unknown",
		"+    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners severity-output number",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("diff:\n%s", strings.Join(got, "\n"))
	}
	want2, _ := json.Marshal(g)
	sameJSON(t, mustGlobal(t, nd), string(want2))
}

func TestGlobalRejectsInjection(t *testing.T) {
	d := loadGlobalFixture(t, "realistic.cfg")
	orig := string(d.Render())
	cases := []struct {
		field string
		edit  func(g *Global)
	}{
		{"pidfile", func(g *Global) { g.Pidfile = "/run/x.pid\n    lua-load /tmp/evil.lua" }},
		{"chroot", func(g *Global) { g.Chroot = "/var lib" }},
		{"user", func(g *Global) { g.User = `hap"roxy` }},
		{"node", func(g *Global) { g.Node = "a#b" }},
		{"localpeer", func(g *Global) { g.Localpeer = "p\r" }},
		{"description", func(g *Global) { g.Description = "hello\nstats socket /tmp/evil level admin" }},
		{"description", func(g *Global) { g.Description = "hello # not a comment" }},
		{"description", func(g *Global) { g.Description = `unbalanced "quote` }},
		{"nbthread", func(g *Global) { g.Nbthread = i64(0) }},
		{"stats_timeout", func(g *Global) { g.StatsTimeout = i64(-1) }},
		{"log_send_hostname.param", func(g *Global) { g.LogSendHostname.Param = "a b" }},
		{"log_send_hostname.enabled", func(g *Global) { g.LogSendHostname.Enabled = "yes" }},
		{"default_path.type", func(g *Global) { g.DefaultPath = &DefaultPath{Type: "home"} }},
		{"default_path.path", func(g *Global) { g.DefaultPath = &DefaultPath{Type: "origin"} }},
		{"default_path.path", func(g *Global) { g.DefaultPath = &DefaultPath{Type: "config", Path: "/x"} }},
		{"default_path.path", func(g *Global) { g.DefaultPath = &DefaultPath{Type: "origin", Path: "/x\n"} }},
		{"cpu_maps[0].process", func(g *Global) { g.CPUMaps[0].Process = "1\ndaemon" }},
		{"cpu_maps[1].process", func(g *Global) { g.CPUMaps[1].Process = "" }},
		{"cpu_maps[0].cpu_set", func(g *Global) { g.CPUMaps[0].CPUSet = "0 #1" }},
		{"cpu_maps[0].cpu_set", func(g *Global) { g.CPUMaps[0].CPUSet = "0  1" }},
		{"cpu_maps[0].cpu_set", func(g *Global) { g.CPUMaps[0].CPUSet = "" }},
		{"runtime_apis[1].address", func(g *Global) { g.RuntimeAPIs[1].Address = "" }},
		{"runtime_apis[0].address", func(g *Global) { g.RuntimeAPIs[0].Address = "/tmp/a.sock level admin" }},
		{"runtime_apis[0].address", func(g *Global) { g.RuntimeAPIs[0].Address = "/tmp/a.sock\n    lua-load /x" }},
		{"runtime_apis[1].name", func(g *Global) { g.RuntimeAPIs[1].Name = "a b" }},
		{"runtime_apis[0].level", func(g *Global) { g.RuntimeAPIs[0].Level = "root" }},
		{"runtime_apis[0].mode", func(g *Global) { g.RuntimeAPIs[0].Mode = "600 level admin" }},
		{"runtime_apis[0].user", func(g *Global) { g.RuntimeAPIs[0].User = "a'b" }},
		{"performance_options.maxconn", func(g *Global) { g.PerformanceOptions.Maxconn = i64(-1) }},
		{"performance_options.server_state_file", func(g *Global) { g.PerformanceOptions.ServerStateFile = "a\nb" }},
		{"ssl_options.default_bind_ciphers", func(g *Global) { g.SSLOptions.DefaultBindCiphers = "HIGH LOW" }},
		{"ssl_options.default_bind_options", func(g *Global) { g.SSLOptions.DefaultBindOptions = "ssl-min-ver TLSv1.2\nlua-load /evil.lua" }},
		{"ssl_options.default_bind_options", func(g *Global) { g.SSLOptions.DefaultBindOptions = "no-sslv3 #" }},
		{"ssl_options.server_verify", func(g *Global) { g.SSLOptions.ServerVerify = "maybe" }},
		{"ssl_options.crt_base", func(g *Global) { g.SSLOptions.CrtBase = `/etc/"ssl` }},
		{"tune_buffer_options.bufsize", func(g *Global) { g.TuneBufferOptions.Bufsize = i64(-5) }},
		{"tune_options.http_maxhdr", func(g *Global) { g.TuneOptions = &TuneOptions{HTTPMaxhdr: i64(0)} }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			g := mustGlobal(t, d)
			c.edit(&g)
			nd, err := d.ReplaceGlobal(g)
			if err == nil {
				t.Fatalf("accepted; rendered:\n%s", nd.Render())
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			var ie *InvalidError
			if !errors.As(err, &ie) || ie.Field != c.field {
				t.Fatalf("error %v: field %q, want %q", err, ie.Field, c.field)
			}
			if nd != nil {
				t.Fatal("a document came back with the error")
			}
			if string(d.Render()) != orig {
				t.Fatal("the document changed")
			}
		})
	}
	// A file without global is not changed either.
	empty, _ := Parse([]byte("defaults\n    mode http\n"))
	if _, err := empty.ReplaceGlobal(Global{Pidfile: "a\nb"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no global: %v", err)
	}
}

func TestAdminSocketRemoved(t *testing.T) {
	parse := func(body string) *Document {
		d, err := Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const admin = "global\n    stats socket /run/haproxy/admin.sock mode 600 level admin\n"
	cases := []struct {
		name     string
		old, new string
		want     bool
	}{
		{"kept", admin, "global\n    stats socket /run/haproxy/admin.sock level admin expose-fd listeners\n", false},
		{"removed", admin, "global\n    daemon\n", true},
		{"no global any more", admin, "defaults\n    mode http\n", true},
		{"downgraded to user", admin, "global\n    stats socket /run/haproxy/admin.sock level user\n", true},
		{"moved", admin, "global\n    stats socket /run/haproxy/other.sock level admin\n", true},
		{"another socket removed", admin + "    stats socket /run/haproxy/user.sock level user\n", admin, false},
		{"old had no admin socket", "global\n    stats socket /run/haproxy/user.sock level user\n", "global\n    daemon\n", false},
		{"old had no global", "defaults\n    mode http\n", "global\n    daemon\n", false},
		{"tcp admin socket is not ours", "global\n    stats socket ipv4@127.0.0.1:9999 level admin\n", "global\n    daemon\n", false},
		{"relative path resolves against dir", "global\n    stats socket admin.sock level admin\n", "global\n    stats socket /etc/haproxy/admin.sock level admin\n", false},
		{"unix@ prefix", "global\n    stats socket unix@/run/a.sock level admin\n", "global\n    stats socket /run/a.sock level admin\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := AdminSocketRemoved(parse(c.old), parse(c.new), "/etc/haproxy"); got != c.want {
				t.Fatalf("AdminSocketRemoved = %v, want %v", got, c.want)
			}
		})
	}
	// Through ReplaceGlobal: dropping runtime_apis loses the socket.
	d := loadGlobalFixture(t, "realistic.cfg")
	g := mustGlobal(t, d)
	g.RuntimeAPIs = g.RuntimeAPIs[1:]
	nd, err := d.ReplaceGlobal(g)
	if err != nil {
		t.Fatal(err)
	}
	if !AdminSocketRemoved(d, nd, "/etc/haproxy") {
		t.Fatal("removing the admin socket through ReplaceGlobal was not seen")
	}
}

func TestGlobalHAProxyAccepts(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy is needed for this test: %v", err)
	}
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "global", "valid.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.ReplaceAll(string(data), "ADMINSOCK", filepath.Join(dir, "admin.sock")))
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	noGlobal, _ := Parse([]byte("# _version=1\ndefaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n\nbackend be\n    server s1 127.0.0.1:9000\n"))

	edits := []struct {
		name string
		doc  *Document
		edit func(g *Global)
	}{
		{"unchanged", d, func(g *Global) {}},
		{"limits and threads", d, func(g *Global) {
			g.Daemon = true
			g.Nbthread = i64(4)
			g.PerformanceOptions.Maxconn = i64(5000)
			g.PerformanceOptions.SpreadChecks = i64(5)
			g.PerformanceOptions.MaxSpreadChecks = i64(2000)
			g.CPUMaps = append(g.CPUMaps, CPUMap{Process: "1/1", CPUSet: "0 1"})
			g.StatsTimeout = i64(60000)
			g.HardStopAfter = i64(30000)
		}},
		{"sockets", d, func(g *Global) {
			g.RuntimeAPIs[0].Mode = "660"
			g.RuntimeAPIs[0].Name = "admin"
			g.RuntimeAPIs = append(g.RuntimeAPIs, RuntimeAPI{Address: "ipv4@127.0.0.1:19999", BindParams: BindParams{Level: "operator", Maxconn: i64(5)}})
		}},
		{"ssl and tune", d, func(g *Global) {
			g.PerformanceOptions = nil
			g.SSLOptions = &SSLOptions{
				DefaultBindCiphers: "ECDHE+AESGCM", DefaultBindOptions: "ssl-min-ver TLSv1.2 no-tls-tickets",
				DefaultServerOptions: "no-sslv3", ServerVerify: "required", Maxsslconn: i64(100),
			}
			g.TuneBufferOptions = &TuneBufferOptions{Bufsize: i64(32768), Pipesize: i64(65536)}
			g.TuneOptions = &TuneOptions{Maxrewrite: i64(1024), HTTPMaxhdr: i64(128), Maxaccept: i64(64)}
			g.Description = `edge "node" 1`
			g.LogSendHostname = &LogSendHostname{Enabled: "enabled", Param: "lb1"}
			g.DefaultPath = &DefaultPath{Type: "config"}
			g.UlimitN = i64(10000)
		}},
		{"new global section", noGlobal, func(g *Global) {
			g.MasterWorker = true
			g.RuntimeAPIs = []RuntimeAPI{{Address: filepath.Join(dir, "new.sock"), BindParams: BindParams{Level: "admin", ExposeFdListeners: true}}}
			g.PerformanceOptions = &PerformanceOptions{Maxconn: i64(100)}
		}},
	}
	for i, c := range edits {
		t.Run(c.name, func(t *testing.T) {
			g := mustGlobal(t, c.doc)
			c.edit(&g)
			nd, err := c.doc.ReplaceGlobal(g)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "haproxy"+string(rune('a'+i))+".cfg")
			if err := os.WriteFile(path, nd.Render(), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput()
			if err != nil {
				t.Fatalf("haproxy -c refused the result: %v\n%s\n--- config ---\n%s", err, out, nd.Render())
			}
		})
	}
}
