package reload_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/reload"
	"dataplane/internal/settings"
)

// programConfig is the container form: a `program` section (valid only
// in master-worker mode), a pidfile, a stats socket, and a frontend whose
// backend lives in a file of a -f directory.
func programConfig(dir string, port int) string {
	return fmt.Sprintf(`global
    stats socket %s/admin.sock mode 600 level admin expose-fd listeners
    pidfile %s/haproxy.pid

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

program idle
    command sleep 1000

frontend fe
    bind 127.0.0.1:%d
    default_backend be_static
`, dir, dir, port)
}

const staticBackend = `backend be_static
    http-request return status 200 content-type text/plain string "ok\n"
`

// TestCheckRunsHAProxyAsItRuns: HAProxy runs as `haproxy -W -f
// haproxy.cfg -f conf.d` with no master CLI. A valid change to haproxy.cfg
// passes the check that repeats those flags (found through the pid file),
// where `haproxy -c -f <file>` refuses it: the program section needs -W,
// and the backend lives in conf.d.
func TestCheckRunsHAProxyAsItRuns(t *testing.T) {
	in := haproxytest.New(t)
	dir := in.Dir
	cfg := filepath.Join(dir, "haproxy.cfg")
	confd := filepath.Join(dir, "conf.d")
	if err := os.MkdirAll(confd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(confd, "10-backend.cfg"), []byte(staticBackend), 0o644); err != nil {
		t.Fatal(err)
	}
	live := programConfig(dir, haproxytest.FreePort(t))
	if err := os.WriteFile(cfg, []byte(live), 0o644); err != nil {
		t.Fatal(err)
	}
	// Relative paths, as people type them: read back through /proc.
	in.StartArgs("", "-W", "-f", "haproxy.cfg", "-f", "conf.d")
	masterPID := in.MasterPID()

	finder := &reload.Finder{PIDFile: filepath.Join(dir, "haproxy.pid"), Bin: "haproxy"}
	// The master writes its pid file on its own time: the stats socket
	// may answer first.
	var inv reload.Invocation
	var ok bool
	haproxytest.WaitFor(t, 10*time.Second, "the pid file names the master", func() bool {
		inv, ok = finder.Find(context.Background())
		return ok
	})
	want := []string{cfg, confd}
	if !ok || inv.PID != masterPID || !inv.MasterWorker || strings.Join(inv.Files, " ") != strings.Join(want, " ") {
		t.Fatalf("found %+v (%v), want the master %d, -W, files %v", inv, ok, masterPID, want)
	}

	next := live + "\nbackend be_new\n    server s1 127.0.0.1:9\n"
	tmp, err := reload.StageFile(cfg, []byte(next))
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(tmp)

	// Today's check: only the file, no -W.
	plain := &reload.Checker{Dir: dir, ConfigFile: cfg}
	_, err = plain.Check(context.Background(), tmp, cfg)
	var verr *reload.ValidationError
	if !errors.As(err, &verr) || !strings.Contains(verr.Messages, "program' section without master worker mode") {
		t.Fatalf("the check without the running flags: %v; want the program-section alert", err)
	}
	t.Logf("without the running flags: %v", err)

	asRunning := &reload.Checker{Dir: dir, ConfigFile: cfg, Running: finder.Find}
	if _, err := asRunning.Check(context.Background(), tmp, cfg); err != nil {
		t.Fatalf("the check with the running flags refused a valid change: %v", err)
	}
	// And it still refuses what HAProxy would refuse, naming the live file.
	bad, err := reload.StageFile(cfg, []byte(live+"\nbackend broken\n    bogus_keyword here\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(bad)
	_, err = asRunning.Check(context.Background(), bad, cfg)
	if !errors.As(err, &verr) || !strings.Contains(verr.Messages, "unknown keyword 'bogus_keyword'") || !strings.Contains(verr.Messages, cfg) {
		t.Fatalf("a bad change: %v", err)
	}
}

// TestProgramSectionWrite: the container set-up of the issue through the
// API (`haproxy -W -f cfg`, a program section, no master CLI, a custom
// reload command signalling the master): a change is checked, written and
// reloaded, and HAProxy serves it.
func TestProgramSectionWrite(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	// haproxytest's paths (admin.sock, haproxy.pid) and programConfig's
	// agree: both are in in.Dir.
	in.WriteConfig(programConfig(in.Dir, port) + "\n" + staticBackend)
	in.StartArgs("", "-W", "-f", in.ConfigPath)
	e := apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
		st.HAProxy.MasterRuntime = ""
		st.HAProxy.Reload.ReloadStrategy = settings.StrategyCustom
		st.HAProxy.Reload.ReloadCmd = fmt.Sprintf("kill -USR2 $(cat %s)", in.PIDFile)
		st.HAProxy.Reload.ReloadTimeout = 10 * time.Second
	}})
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends?version=1&force_reload=true", Body: map[string]any{"name": "be_new"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create a backend: %d %s", r.Status, r.Body)
	}
	if stat := in.Stats("show stat -1 2 -1"); !strings.Contains(stat, "be_new,BACKEND") {
		t.Fatalf("be_new is not live:\n%s", stat)
	}
	if status, _, err := haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil || status != 200 {
		t.Fatalf("GET through HAProxy: %d, %v", status, err)
	}
}

// TestCustomReloadCommandMisbehaves: for each misbehaving reload command,
// a forced reload answers within the reload deadline and a margin, with a
// bounded message; the command ran once; HAProxy still serves. Both ways
// of reading the outcome are tried: the PID on the stats socket, and the
// master's `show proc`.
func TestCustomReloadCommandMisbehaves(t *testing.T) {
	const deadline = 3 * time.Second
	// The kill grace and the output grace of internal/command are 1 s
	// each; the rest is room for a slow machine.
	const margin = 5 * time.Second
	cases := []struct {
		name string
		// The command, after `echo run >> $COUNT`. $MASTER is the master's
		// PID; $PIDS lists what the command leaves running, to stop it at
		// the end of the test.
		cmd string
		ok  bool // the reload succeeds
		// For the master witness, when it differs from ok.
		okMaster *bool
	}{
		{"backgrounds a child holding stdout", `kill -USR2 $MASTER; sleep 30 & echo $! > $PIDS`, true, nil},
		{"sleeps past the deadline", `sleep 30`, false, nil},
		{"prints 10 MB", `yes "127.0.0.1:40000 [01/Jan/2026:00:00:00.000] fe be/s1 0/0/0/0/0 200 2 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"" | head -c 10000000; exit 1`, false, nil},
		{"exits 0 without reloading", `true`, false, nil},
		// A second HAProxy on the same file: it takes the stats socket
		// over, so the stats socket shows a new PID; the master counts no
		// reload.
		{"starts a second process", `haproxy -db -f $CFG & echo $! > $PIDS`, true, ptr(false)},
	}
	for _, witness := range []string{"stats socket", "show proc"} {
		for _, c := range cases {
			t.Run(witness+"/"+c.name, func(t *testing.T) {
				in := haproxytest.New(t)
				port := haproxytest.FreePort(t)
				in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, port))
				count, pidsFile := filepath.Join(in.Dir, "count"), filepath.Join(in.Dir, "pids")
				t.Cleanup(func() { stopListed(pidsFile) })
				e := apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
					if witness == "stats socket" {
						st.HAProxy.MasterRuntime = ""
					}
					st.HAProxy.Reload.ReloadStrategy = settings.StrategyCustom
					st.HAProxy.Reload.ReloadCmd = fmt.Sprintf("COUNT=%s PIDS=%s MASTER=%d CFG=%s; echo run >> $COUNT; %s",
						count, pidsFile, in.MasterPID(), in.ConfigPath, c.cmd)
					st.HAProxy.Reload.ReloadTimeout = deadline
				}})
				begin := time.Now()
				r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
				took := time.Since(begin)
				t.Logf("answered %d in %s, %d bytes: %.300s", r.Status, took.Round(time.Millisecond), len(r.Body), r.Body)
				want := c.ok
				if witness == "show proc" && c.okMaster != nil {
					want = *c.okMaster
				}
				if (r.Status == http.StatusOK) != want {
					t.Errorf("status %d, want success %v: %s", r.Status, want, r.Body)
				}
				if took > deadline+margin {
					t.Errorf("answered after %s; the reload deadline is %s", took, deadline)
				}
				if len(r.Body) >= 16<<10 {
					t.Errorf("a %d-byte answer", len(r.Body))
				}
				b, _ := os.ReadFile(count)
				if runs := strings.Count(string(b), "run\n"); runs != 1 {
					t.Errorf("the reload command ran %d times", runs)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if status, body, err := haproxytest.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil || status != 200 || body != "ok\n" {
					t.Errorf("GET through HAProxy after the reload: %d %q, %v", status, body, err)
				}
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }

// stopListed stops the processes a command left running on purpose and
// listed in file (one PID per line).
func stopListed(file string) {
	b, _ := os.ReadFile(file)
	for _, f := range strings.Fields(string(b)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			for i := 0; i < 250 && haproxytest.ProcessAlive(pid); i++ {
				time.Sleep(20 * time.Millisecond)
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestCustomSignalReloadsBackToBack: `kill -USR2` reloads, one right after
// the other. HAProxy 2.6's master loses a SIGUSR2 received while it
// re-executes itself; the command, run once per reload, must wait for the
// master to handle signals again, so that every reload happens.
func TestCustomSignalReloadsBackToBack(t *testing.T) {
	const reloads = 20
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, port))
	count := filepath.Join(in.Dir, "count")
	e := apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
		st.HAProxy.MasterRuntime = "" // found through the pid file
		st.HAProxy.Reload.ReloadStrategy = settings.StrategyCustom
		st.HAProxy.Reload.ReloadCmd = fmt.Sprintf("echo run >> %s; kill -USR2 %d", count, in.MasterPID())
		st.HAProxy.Reload.ReloadTimeout = 10 * time.Second
	}})
	r0, _ := in.Reloads()
	begin := time.Now()
	for i := 0; i < reloads; i++ {
		r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
		if r.Status != http.StatusOK {
			t.Fatalf("reload %d: %d %s", i, r.Status, r.Body)
		}
	}
	t.Logf("%d reloads in %s", reloads, time.Since(begin).Round(time.Millisecond))
	b, _ := os.ReadFile(count)
	if runs := strings.Count(string(b), "run\n"); runs != reloads {
		t.Fatalf("the command ran %d times for %d reloads", runs, reloads)
	}
	if n, failed := in.Reloads(); n-r0 != reloads || failed != 0 {
		t.Fatalf("the master counts %d reloads (%d failed), want %d", n-r0, failed, reloads)
	}
}
