// Package etcdtest starts real etcd clusters on loopback for integration
// tests (with mutual TLS on the client URLs, and authentication, when a
// test asks), lets a test damage and heal them (Kill, Restart), and puts
// cuttable TCP proxies in front of members so one client can be cut off
// from etcd. It stops only the processes it started.
package etcdtest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
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

// Timing of the members. Raft's defaults (100/1000 ms) make a test wait
// seconds for a new leader after a kill; loopback has no latency to absorb.
const (
	heartbeatMS = 50
	electionMS  = 500
)

// Binary returns the path of the etcd binary. A missing binary fails the
// test: integration tests are never skipped silently (`make deps` installs it).
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd is not installed (apt-get install -y etcd-server, or run `make deps`): %v", err)
	}
	return p
}

// tempDir returns a short temporary directory removed at the end of the
// test; t.TempDir() paths built from long test names are unwieldy in logs.
func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "etcd")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Cluster is a set of etcd members started by a test. Its methods that can
// fail the test (Kill, Restart) call t.Fatalf, so call them from the test's
// goroutine.
type Cluster struct {
	t       testing.TB
	bin     string
	dir     string
	token   string
	members []*member

	certs     *Certs      // nil: plain http client URLs
	clientTLS *tls.Config // the health check's and Client's, with certs
	user      string      // set by EnableAuth: who Client() is
	password  string
}

// Options are how StartClusterWith starts a cluster; the zero Options
// are StartCluster's.
type Options struct {
	// TLS, when not nil, makes the client URLs https with mutual TLS:
	// every member serves TLS.ServerCert and takes only clients whose
	// certificate TLS.CA signed (--client-cert-auth). Peers stay on
	// plain http: what a test checks is a client's way in.
	TLS *Certs
}

type member struct {
	name       string
	clientPort int
	peerPort   int
	dataDir    string
	logPath    string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartCluster starts n members named m0..m{n-1} on 127.0.0.1 and waits
// (30 s at most) until every one answers healthy. They are killed and their
// directories removed at the end of the test.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return StartClusterWith(t, n, Options{})
}

// StartClusterWith is StartCluster with options.
func StartClusterWith(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("etcd cluster of %d members", n)
	}
	c := &Cluster{t: t, bin: Binary(t), dir: tempDir(t), certs: opts.TLS}
	if opts.TLS != nil {
		cfg, err := opts.TLS.ClientTLS()
		if err != nil {
			t.Fatalf("etcd client TLS: %v", err)
		}
		c.clientTLS = cfg
	}
	// A token of its own keeps members of two clusters started by
	// parallel tests from ever accepting each other's peers.
	c.token = filepath.Base(c.dir)
	for i := range n {
		name := "m" + strconv.Itoa(i)
		c.members = append(c.members, &member{
			name:       name,
			clientPort: haproxytest.FreePort(t),
			peerPort:   haproxytest.FreePort(t),
			dataDir:    filepath.Join(c.dir, name),
			logPath:    filepath.Join(c.dir, name+".log"),
		})
	}
	// Registered before the members start: Cleanup runs last-in first-out,
	// so the processes die before tempDir's cleanup removes their files.
	t.Cleanup(c.stopAll)
	for i := range c.members {
		if err := c.start(i); err != nil {
			t.Fatalf("%v", err)
		}
	}
	c.WaitHealthy(t, 30*time.Second)
	return c
}

// Len returns the number of members.
func (c *Cluster) Len() int { return len(c.members) }

// Endpoints returns the client URLs of every member, m0 first.
func (c *Cluster) Endpoints() []string {
	urls := make([]string, len(c.members))
	for i := range c.members {
		urls[i] = c.ClientURL(i)
	}
	return urls
}

// ClientURL returns member i's client URL, "http://127.0.0.1:<port>"
// ("https://" with Options.TLS).
func (c *Cluster) ClientURL(i int) string {
	return c.scheme() + "://" + c.ClientAddr(i)
}

func (c *Cluster) scheme() string {
	if c.certs != nil {
		return "https"
	}
	return "http"
}

// Client is a JSON-gateway client of the whole cluster: with its client
// certificate under Options.TLS, and as the root user once EnableAuth
// has run.
func (c *Cluster) Client() *Client {
	return &Client{Endpoints: c.Endpoints(), TLS: c.clientTLS, User: c.user, Password: c.password}
}

// ClientAddr returns member i's client address, "127.0.0.1:<port>", the
// target of a Proxy.
func (c *Cluster) ClientAddr(i int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.m(i).clientPort))
}

func (c *Cluster) m(i int) *member {
	if i < 0 || i >= len(c.members) {
		c.t.Fatalf("etcd member %d of %d", i, len(c.members))
	}
	return c.members[i]
}

func (c *Cluster) initialCluster() string {
	parts := make([]string, len(c.members))
	for i, m := range c.members {
		parts[i] = fmt.Sprintf("%s=http://127.0.0.1:%d", m.name, m.peerPort)
	}
	return strings.Join(parts, ",")
}

// start launches member i's process in its own process group. A member
// restarted over existing data ignores the --initial-* flags; they are
// given anyway so every start has the same command line.
func (c *Cluster) start(i int) error {
	m := c.members[i]
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return fmt.Errorf("start member %s: already running", m.name)
	}
	client := fmt.Sprintf("%s://127.0.0.1:%d", c.scheme(), m.clientPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", m.peerPort)
	args := []string{
		"--name", m.name,
		"--data-dir", m.dataDir,
		"--listen-client-urls", client,
		"--advertise-client-urls", client,
		"--listen-peer-urls", peer,
		"--initial-advertise-peer-urls", peer,
		"--initial-cluster", c.initialCluster(),
		"--initial-cluster-state", "new",
		"--initial-cluster-token", c.token,
		"--heartbeat-interval", strconv.Itoa(heartbeatMS),
		"--election-timeout", strconv.Itoa(electionMS),
		// capnslog, 3.4's default, prints a deprecation warning.
		"--logger", "zap",
		"--log-outputs", "stderr",
	}
	if c.certs != nil {
		args = append(args,
			"--cert-file", c.certs.ServerCert,
			"--key-file", c.certs.ServerKey,
			"--trusted-ca-file", c.certs.CA,
			"--client-cert-auth",
		)
	}
	cmd := exec.Command(c.bin, args...)
	logf, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("start member %s: open log: %w", m.name, err)
	}
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Its own process group, so Kill and cleanup reach everything it
	// started, and a Ctrl-C on `go test` does not race them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start member %s: %w", m.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	m.cmd, m.done = cmd, done
	return nil
}

// Kill sends SIGKILL to member i's process group and waits for the member
// to exit. Killing a member that is not running does nothing.
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	if err := c.m(i).kill(10 * time.Second); err != nil {
		c.t.Fatalf("%v", err)
	}
}

func (m *member) kill(timeout time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return nil
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-m.done:
	case <-time.After(timeout):
		return fmt.Errorf("kill member %s: still running after %s", m.name, timeout)
	}
	m.cmd, m.done = nil, nil
	return nil
}

// stopAll kills every member at the end of the test and, when the test
// failed, prints what each printed: the first thing to read when a fleet
// test fails is usually what etcd thought of it.
func (c *Cluster) stopAll() {
	for _, m := range c.members {
		if err := m.kill(10 * time.Second); err != nil {
			c.t.Errorf("%v", err)
		}
	}
	if c.t.Failed() {
		for i, m := range c.members {
			c.t.Logf("etcd member %s (%s) log:\n%s", m.name, c.ClientURL(i), c.Logs(i))
		}
	}
}

// Restart starts member i again on its ports and data directory, and
// returns once the process is up and its client port accepts connections.
// It may not be healthy yet (a member alone cannot elect a leader): use
// WaitHealthy for that.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	m := c.m(i)
	if err := c.start(i); err != nil {
		c.t.Fatalf("%v\n%s", err, c.Logs(i))
	}
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	addr := c.ClientAddr(i)
	const timeout = 15 * time.Second
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-done:
			c.t.Fatalf("etcd member %s exited at restart:\n%s", m.name, c.Logs(i))
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("etcd member %s: client port %s closed %s after restart: %v\n%s", m.name, addr, timeout, err, c.Logs(i))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Running reports whether member i's process is alive.
func (c *Cluster) Running(i int) bool {
	m := c.m(i)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// Healthy reports whether member i answers {"health":"true"} on /health:
// it is running and sees a leader with a quorum behind it.
func (c *Cluster) Healthy(i int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return healthy(ctx, httpClient(c.clientTLS), c.ClientURL(i))
}

// healthy asks url's /health. Authentication does not matter: etcd 3.4
// answers /health without a token when auth is enabled.
func healthy(ctx context.Context, hc *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return false
	}
	var h struct {
		Health string `json:"health"`
	}
	return doJSON(hc, req, &h) == nil && h.Health == "true"
}

// WaitHealthy waits until every member answers healthy, and fails t after
// timeout with the logs of the members that do not. A member that exited
// fails it at once.
func (c *Cluster) WaitHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var sick []int
		for i, m := range c.members {
			m.mu.Lock()
			done := m.done
			m.mu.Unlock()
			if done == nil {
				t.Fatalf("etcd member %s is not running (killed and not restarted)", m.name)
			}
			select {
			case <-done:
				t.Fatalf("etcd member %s exited:\n%s", m.name, c.Logs(i))
			default:
			}
			if !c.Healthy(i) {
				sick = append(sick, i)
			}
		}
		if len(sick) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, i := range sick {
				fmt.Fprintf(&b, "--- %s (%s):\n%s\n", c.members[i].name, c.ClientURL(i), c.Logs(i))
			}
			t.Fatalf("etcd members not healthy after %s:\n%s", timeout, b.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs returns what member i printed, over all its starts, for failure
// messages. Long logs are cut to their last 16 KiB.
func (c *Cluster) Logs(i int) string {
	const max = 16 << 10
	b, err := os.ReadFile(c.m(i).logPath)
	if err != nil {
		return fmt.Sprintf("(log of %s: %v)", c.m(i).name, err)
	}
	if len(b) > max {
		return "...\n" + string(b[len(b)-max:])
	}
	return string(b)
}
