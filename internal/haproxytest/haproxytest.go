// Package haproxytest starts a real HAProxy in a temporary directory on
// loopback for integration tests, and stops only the processes it started.
package haproxytest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the path of the haproxy binary. A missing binary fails the
// test: integration tests are never skipped silently (CI installs haproxy).
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy is not installed (apt-get install -y haproxy, or run `make test` which installs it): %v", err)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TempDir returns a short temporary directory, removed at the end of the test.
// Unix socket paths are limited to 108 bytes, and t.TempDir() paths built from
// long test names can exceed that.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hap")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Instance is one master-worker HAProxy started by a test.
type Instance struct {
	Dir          string // private temporary directory
	ConfigPath   string // <Dir>/haproxy.cfg
	StatsSocket  string // <Dir>/admin.sock, declared by Global()
	MasterSocket string // <Dir>/master.sock, the master CLI (-S)
	PIDFile      string // <Dir>/haproxy.pid
	// LogFile receives what the master prints (stderr), like a master
	// launched with `2>>haproxy.log`: dataplane's master_log.
	LogFile string

	// ExtraArgs are appended to the haproxy command line by Start.
	ExtraArgs []string
	// Env is added to the environment of the master process.
	Env []string
	// StartTimeout bounds the wait for a started HAProxy to answer
	// (default 15 s; a file of 10,000 backends takes a few seconds).
	StartTimeout time.Duration

	t    testing.TB
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *syncBuffer
	// masterCLI says whether the running HAProxy was given -S.
	masterCLI bool
}

// New prepares an instance (directory and socket paths) without starting it.
func New(t testing.TB) *Instance {
	t.Helper()
	Binary(t)
	dir := TempDir(t)
	return &Instance{
		Dir:          dir,
		ConfigPath:   filepath.Join(dir, "haproxy.cfg"),
		StatsSocket:  filepath.Join(dir, "admin.sock"),
		MasterSocket: filepath.Join(dir, "master.sock"),
		PIDFile:      filepath.Join(dir, "haproxy.pid"),
		LogFile:      filepath.Join(dir, "haproxy.log"),
		t:            t,
		log:          &syncBuffer{},
	}
}

// Global returns a global section with the admin stats socket (with
// expose-fd listeners) and a defaults section in http mode with timeouts.
func (in *Instance) Global() string {
	return fmt.Sprintf(`global
    stats socket %s mode 600 level admin expose-fd listeners
    stats timeout 10s

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`, in.StatsSocket)
}

// WriteConfig writes text to ConfigPath.
func (in *Instance) WriteConfig(text string) {
	in.t.Helper()
	if err := os.WriteFile(in.ConfigPath, []byte(text), 0o644); err != nil {
		in.t.Fatalf("write config: %v", err)
	}
}

// Start writes cfg (unless empty) and starts `haproxy -W -S <master> -f
// <config>` in the foreground, so the test owns the master process. It waits
// until the master CLI and, when declared, the stats socket answer. The
// instance is stopped at the end of the test.
func (in *Instance) Start(cfg string) {
	in.t.Helper()
	args := []string{"-W", "-S", in.MasterSocket, "-f", in.ConfigPath, "-p", in.PIDFile}
	in.StartArgs(cfg, append(args, in.ExtraArgs...)...)
}

// StartArgs is Start with HAProxy's whole command line given: the forms
// people launch it with (`-W -f cfg` without a master CLI, as containers
// do; `-Ws` under systemd). It runs in the instance's directory, in the
// foreground and in its own process group; it is ready when the master
// CLI (if -S is given) and the stats socket (if the file declares it)
// answer.
func (in *Instance) StartArgs(cfg string, args ...string) {
	in.t.Helper()
	if cfg != "" {
		in.WriteConfig(cfg)
	}
	cmd := exec.Command(Binary(in.t), args...)
	cmd.Dir = in.Dir
	logf, err := os.OpenFile(in.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		in.t.Fatalf("open log: %v", err)
	}
	in.t.Cleanup(func() { logf.Close() })
	out := io.MultiWriter(in.log, logf)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = append(os.Environ(), in.Env...)
	// Its own process group, so a Ctrl-C on `go test` does not race our
	// Stop, and Stop can reach everything HAProxy started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		in.t.Fatalf("start haproxy: %v", err)
	}
	in.mu.Lock()
	in.cmd = cmd
	in.done = make(chan struct{})
	in.masterCLI = slices.Contains(args, "-S")
	in.mu.Unlock()
	done := in.done
	go func() { _ = cmd.Wait(); close(done) }()
	in.t.Cleanup(in.Stop)

	timeout := in.StartTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-done:
			in.t.Fatalf("haproxy exited at start:\n%s", in.Logs())
		default:
		}
		if in.ready() {
			return
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("haproxy not ready after %s:\n%s", timeout, in.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (in *Instance) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	in.mu.Lock()
	masterCLI := in.masterCLI
	in.mu.Unlock()
	if masterCLI {
		if _, err := Command(ctx, in.MasterSocket, "show proc"); err != nil {
			return false
		}
	}
	cfg, _ := os.ReadFile(in.ConfigPath)
	if bytes.Contains(cfg, []byte(in.StatsSocket)) {
		out, err := Command(ctx, in.StatsSocket, "show info")
		return err == nil && strings.Contains(out, "Pid:")
	}
	return true
}

// Stop terminates the master (and so its workers) and waits for it, killing
// it after 10 s. The signals go to the process group Start created: a
// master still re-executing itself after a reload dies of a SIGTERM
// without stopping its worker and programs (the signal is not handled yet),
// and they must not outlive the test.
func (in *Instance) Stop() {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.cmd = nil
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}

// Running reports whether the master process started by Start is alive.
func (in *Instance) Running() bool {
	in.mu.Lock()
	done := in.done
	cmd := in.cmd
	in.mu.Unlock()
	if cmd == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// MasterPID returns the PID of the master process.
func (in *Instance) MasterPID() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return 0
	}
	return in.cmd.Process.Pid
}

// Logs returns what HAProxy printed so far.
func (in *Instance) Logs() string { return in.log.String() }

// Stats sends cmd to the stats socket and returns the reply.
func (in *Instance) Stats(cmd string) string {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := Command(ctx, in.StatsSocket, cmd)
	if err != nil {
		in.t.Fatalf("stats socket %q: %v", cmd, err)
	}
	return out
}

// Master sends cmd to the master CLI and returns the reply.
func (in *Instance) Master(cmd string) string {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out string
	var err error
	// The master CLI refuses connections for a moment around reloads.
	for i := 0; i < 50; i++ {
		if out, err = Command(ctx, in.MasterSocket, cmd); err == nil {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.t.Fatalf("master socket %q: %v", cmd, err)
	return ""
}

// Reloads returns the master's reload counter and failed-reload counter from
// `show proc`.
func (in *Instance) Reloads() (reloads, failed int) {
	in.t.Helper()
	out := in.Master("show proc")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[1] == "master" {
			reloads, _ = strconv.Atoi(f[2])
			failed, _ = strconv.Atoi(strings.TrimSuffix(f[4], "]"))
			return reloads, failed
		}
	}
	in.t.Fatalf("no master line in show proc:\n%s", out)
	return 0, 0
}

// Command sends one command line to a unix socket (stats socket or master
// CLI), half-closes the connection so the master CLI answers too, and reads
// the reply to EOF.
func Command(ctx context.Context, socket, cmd string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", err
	}
	_ = conn.(*net.UnixConn).CloseWrite()
	b, err := io.ReadAll(conn)
	return string(b), err
}

// WaitFor polls cond every 20 ms until it is true or timeout passes, and
// fails the test with msg in the latter case.
func WaitFor(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// HTTPGet sends one GET on a new connection and returns status and body.
func HTTPGet(ctx context.Context, url string) (int, string, error) {
	req, err := newRequest(ctx, url)
	if err != nil {
		return 0, "", err
	}
	resp, err := noKeepAlive.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
