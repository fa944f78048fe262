package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// binary is dataplane built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dpbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dataplane")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build dataplane: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeHCL writes a dataplane.hcl for the tests: user admin/adminpwd, the
// given API port (0: default), haproxy.cfg and tx/ beside it, no reload
// delay; extra goes into the haproxy block, reload into its reload block.
func writeHCL(t testing.TB, dir string, port int, extra, reload string) string {
	t.Helper()
	portLine := ""
	if port != 0 {
		portLine = fmt.Sprintf("port = %d", port)
	}
	path := filepath.Join(dir, "dataplane.hcl")
	text := fmt.Sprintf(`
dataplaneapi {
  %s
  user "admin" {
    password = "adminpwd"
    insecure = true
  }
  transaction {
    transaction_dir = "tx"
  }
}
haproxy {
  config_file = "haproxy.cfg"
  %s
  reload {
    reload_delay = 0
    %s
  }
}
log {
  log_level = "info"
}
`, portLine, extra, reload)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// call sends an authenticated request and returns status and body.
func call(ctx context.Context, method, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth("admin", "adminpwd")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func get(ctx context.Context, url string) (int, string, error) { return call(ctx, http.MethodGet, url) }

func post(ctx context.Context, url string) (int, string, error) {
	return call(ctx, http.MethodPost, url)
}

func waitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	haproxytest.WaitFor(t, timeout, "dataplane answers at "+url, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		code, _, err := get(ctx, url)
		return err == nil && code == 200
	})
}

// programPID returns the PID of the program named api from `show proc`,
// current or old.
func programPID(t *testing.T, in *haproxytest.Instance) int {
	t.Helper()
	for _, line := range strings.Split(in.Master("show proc"), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == "api" {
			pid, _ := strconv.Atoi(f[0])
			return pid
		}
	}
	t.Fatalf("no program api in show proc:\n%s", in.Master("show proc"))
	return 0
}

// lockedBuffer collects a command's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func alive(pid int) bool { return haproxytest.ProcessAlive(pid) }

// TestProgramSection runs dataplane the way `make run` does: as a program of
// a master-worker HAProxy, finding the master CLI through
// HAPROXY_MASTER_CLI. It must survive the SIGUSR1 every reload sends it.
func TestProgramSection(t *testing.T) {
	in := haproxytest.New(t)
	apiPort, fePort := haproxytest.FreePort(t), haproxytest.FreePort(t)
	hcl := writeHCL(t, in.Dir, apiPort, "", "")
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"

program api
    command %s -f %s
    no option start-on-reload
`, fePort, binary, hcl))
	base := fmt.Sprintf("http://127.0.0.1:%d/v3", apiPort)
	waitHTTP(t, base+"/info", 15*time.Second)
	pid := programPID(t, in)

	for i := 1; i <= 5; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code, body, err := post(ctx, base+"/services/haproxy/reloads?force_reload=true")
		cancel()
		if err != nil || code != 200 || !strings.Contains(body, `"succeeded"`) {
			t.Fatalf("reload %d: %d %s %v\n%s", i, code, body, err, in.Logs())
		}
		if n, failed := in.Reloads(); n != i || failed != 0 {
			t.Fatalf("after reload %d HAProxy counts %d reloads, %d failed", i, n, failed)
		}
		waitHTTP(t, base+"/info", 5*time.Second)
		if got := programPID(t, in); got != pid || !alive(pid) {
			t.Fatalf("after reload %d dataplane is pid %d (alive=%v), was %d", i, got, alive(pid), pid)
		}
	}
	// SIGTERM from the stopping master ends dataplane cleanly.
	in.Stop()
	haproxytest.WaitFor(t, 10*time.Second, "dataplane exits with HAProxy", func() bool { return !alive(pid) })
	if !strings.Contains(in.Logs(), "shutting down") {
		t.Errorf("dataplane did not log a clean shutdown:\n%s", in.Logs())
	}
}

// TestQuickStart runs the README's first command, `make run`, on free ports
// and checks the curl line it prints.
func TestQuickStart(t *testing.T) {
	haproxytest.Binary(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	runDir := haproxytest.TempDir(t)
	apiPort, wwwPort, appPort := haproxytest.FreePort(t), haproxytest.FreePort(t), haproxytest.FreePort(t)
	cmd := exec.Command("make", "-C", root, "run")
	cmd.Env = append(os.Environ(),
		"RUN_DIR="+runDir,
		"DATAPLANE_PORT="+strconv.Itoa(apiPort),
		"WWW_PORT="+strconv.Itoa(wwwPort),
		"APP_PORT="+strconv.Itoa(appPort),
	)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// What Ctrl-C does: signal the whole process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d/v3", apiPort)
	haproxytest.WaitFor(t, 120*time.Second, "make run serves /v3/info", func() bool {
		select {
		case <-done:
			t.Fatalf("make run exited:\n%s", out)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		code, _, err := get(ctx, base+"/info")
		return err == nil && code == 200
	})
	if !strings.Contains(out.String(), fmt.Sprintf("curl -u admin:adminpwd http://127.0.0.1:%d/v3/info", apiPort)) {
		t.Errorf("make run did not print the curl line:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, body, err := haproxytest.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", wwwPort))
	if err != nil || code != 200 || !strings.Contains(body, "hello") {
		t.Errorf("HAProxy's example frontend: %d %q %v", code, body, err)
	}
	code, body, _ = get(ctx, base+"/health")
	if code != 200 || !strings.Contains(body, `"up"`) {
		t.Errorf("health: %d %s", code, body)
	}
}
