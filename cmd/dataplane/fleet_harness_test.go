package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/haproxytest"
)

// fleetNode is one node of a test fleet: its own HAProxy (own directory,
// master CLI, stats socket) and its own dataplane process, joined to the
// fleet's etcd.
type fleetNode struct {
	name    string
	in      *haproxytest.Instance
	fePort  int // the port the shared frontend binds on this node (${FE_PORT})
	apiPort int
	env     []string
	hcl     string
	cmd     *exec.Cmd
	logs    *lockedBuffer
	t       testing.TB
}

// fleetConfig is the configuration every node starts with. What differs
// between nodes on one host (the frontend's port) comes from the
// environment, as HAProxy expands "${VAR}" in quoted words; the stats
// socket is relative, so each HAProxy makes it in its own directory.
func fleetConfig(backendAddr string, extra string) string {
	return fmt.Sprintf(`global
    stats socket unix@admin.sock mode 600 level admin expose-fd listeners
    stats timeout 10s

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind "127.0.0.1:${FE_PORT}"
    default_backend be_old

backend be_old
    server s1 %s
%s`, backendAddr, extra)
}

// startFleetNode starts HAProxy with cfg and a dataplane in fleet mode
// pointed at endpoints. env is given to both (HAProxy's "${VAR}"s, and
// dataplane's `haproxy -c`).
func startFleetNode(t testing.TB, name, cfg string, endpoints []string, env map[string]string) *fleetNode {
	t.Helper()
	return startFleetNodeWith(t, name, cfg, endpoints, env, "")
}

// startFleetNodeWith is startFleetNode with fleetExtra, HCL lines added to
// the node's fleet block (its etcd TLS files, user and password).
func startFleetNodeWith(t testing.TB, name, cfg string, endpoints []string, env map[string]string, fleetExtra string) *fleetNode {
	t.Helper()
	n := &fleetNode{name: name, in: haproxytest.New(t), fePort: haproxytest.FreePort(t), apiPort: haproxytest.FreePort(t), t: t}
	n.env = []string{"FE_PORT=" + strconv.Itoa(n.fePort)}
	for k, v := range env {
		n.env = append(n.env, k+"="+v)
	}
	n.in.Env = n.env
	n.in.Start(cfg)
	quoted := make([]string, len(endpoints))
	for i, e := range endpoints {
		quoted[i] = strconv.Quote(e)
	}
	n.hcl = filepath.Join(n.in.Dir, "dataplane.hcl")
	text := fmt.Sprintf(`
dataplaneapi {
  port = %d
  user "admin" {
    password = "adminpwd"
    insecure = true
  }
  transaction {
    transaction_dir = "tx"
  }
}
haproxy {
  config_file    = "haproxy.cfg"
  master_runtime = %q
  reload {
    # Fleet mode does not wait for it: a node applies each version at
    # once, the one that wrote it too (with the delay, its reloads
    # would come after the waits below give up).
    reload_delay = 600
    master_log   = %q
  }
}
fleet {
  endpoints       = [%s]
  prefix          = "/fleet-test"
  node            = %q
  resync          = "500ms"
  retry_failed    = "1s"
  request_timeout = "5s"
%s
}
`, n.apiPort, n.in.MasterSocket, n.in.LogFile, strings.Join(quoted, ", "), name, fleetExtra)
	if err := os.WriteFile(n.hcl, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	n.start()
	return n
}

// start runs the node's dataplane and waits until it answers.
func (n *fleetNode) start() {
	t := n.t
	t.Helper()
	n.logs = &lockedBuffer{}
	cmd := exec.Command(binary, "-f", n.hcl)
	cmd.Dir = n.in.Dir
	cmd.Env = append(os.Environ(), n.env...)
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.cmd = cmd
	logs := n.logs
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() || os.Getenv("FLEET_LOGS") != "" {
			t.Logf("dataplane %s:\n%s", n.name, tail(logs.String(), 6000))
		}
	})
	haproxytest.WaitFor(t, 20*time.Second, "dataplane "+n.name+" answers", func() bool {
		code, _, _ := n.api("GET", "/info", "")
		return code == 200
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

// api sends one request to the node's API as admin; body is JSON unless
// it starts with "#" or "global" (a raw configuration).
func (n *fleetNode) api(method, path, body string) (int, string, http.Header) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, fmt.Sprintf("http://127.0.0.1:%d/v3%s", n.apiPort, path), rd)
	if err != nil {
		n.t.Fatal(err)
	}
	req.SetBasicAuth("admin", "adminpwd")
	if body != "" {
		ct := "application/json"
		if strings.HasPrefix(body, "#") || strings.HasPrefix(body, "global") {
			ct = "text/plain"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// metrics is the node's /metrics text.
func (n *fleetNode) metrics(t testing.TB) string {
	t.Helper()
	req, err := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/metrics", n.apiPort), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", "adminpwd")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: /metrics: %d %s", n.name, resp.StatusCode, b)
	}
	return string(b)
}

// version is the node's configuration version.
func (n *fleetNode) version() int64 {
	n.t.Helper()
	code, body, _ := n.api("GET", "/services/haproxy/configuration/version", "")
	if code != 200 {
		n.t.Fatalf("%s: version: %d %s", n.name, code, body)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(body), 10, 64)
	if err != nil {
		n.t.Fatalf("%s: version %q: %v", n.name, body, err)
	}
	return v
}

// serve is what the node's HAProxy answers through the shared frontend.
func (n *fleetNode) serve() (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return haproxytest.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", n.fePort))
}

// clusterView is GET /v3/cluster, decoded.
type clusterView struct {
	Mode    string `json:"mode"`
	Node    string `json:"node"`
	Desired *struct {
		Version int64 `json:"version"`
	} `json:"desired"`
	Store struct {
		Reachable bool   `json:"reachable"`
		Error     string `json:"error"`
	} `json:"store"`
	Refused string        `json:"refused"`
	Nodes   []clusterNode `json:"nodes"`
}

type clusterNode struct {
	Node           string  `json:"node"`
	Instance       string  `json:"instance"`
	DesiredVersion int64   `json:"desired_version"`
	AppliedVersion int64   `json:"applied_version"`
	FileVersion    int64   `json:"file_version"`
	State          string  `json:"state"`
	FailedVersion  int64   `json:"failed_version"`
	Message        string  `json:"message"`
	RuntimeError   string  `json:"runtime_error"`
	Lag            int64   `json:"lag"`
	BehindSeconds  float64 `json:"behind_seconds"`
	Stale          bool    `json:"stale"`
}

func (n *fleetNode) cluster() (clusterView, error) {
	code, body, _ := n.api("GET", "/cluster", "")
	var v clusterView
	if code != 200 {
		return v, fmt.Errorf("GET /cluster: %d %s", code, body)
	}
	return v, json.Unmarshal([]byte(body), &v)
}

// allApplied says whether view shows every node in names in sync at
// version.
func allApplied(v clusterView, version int64, names ...string) bool {
	if v.Desired == nil || v.Desired.Version != version {
		return false
	}
	for _, name := range names {
		ok := false
		for _, s := range v.Nodes {
			if s.Node == name && s.State == "in_sync" && s.AppliedVersion == version && !s.Stale {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// testFleet is an etcd cluster and the nodes that use it.
type testFleet struct {
	etcd    *etcdtest.Cluster
	nodes   []*fleetNode
	proxies []*etcdtest.Proxy // the last node's way to etcd, which a test can cut
}

// names lists the nodes' names.
func (f *testFleet) names() []string {
	var out []string
	for _, n := range f.nodes {
		out = append(out, n.name)
	}
	return out
}

// waitSeeded waits until every node runs the version the store was
// seeded with (the first node's file), as from's view says, and returns
// that version.
func (f *testFleet) waitSeeded(t testing.TB, from *fleetNode) int64 {
	t.Helper()
	var seed int64
	haproxytest.WaitFor(t, 60*time.Second, "every node in sync on the seeded version", func() bool {
		v, err := from.cluster()
		if err != nil || v.Desired == nil {
			return false
		}
		seed = v.Desired.Version
		return allApplied(v, seed, f.names()...)
	})
	return seed
}

// waitApplied waits until every node's HAProxy runs version, as the
// first node's view says, and returns how long that took.
func (f *testFleet) waitApplied(t testing.TB, from *fleetNode, version int64, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last clusterView
	deadline := start.Add(timeout)
	for {
		v, err := from.cluster()
		if err == nil && allApplied(v, version, f.names()...) {
			return time.Since(start)
		}
		last = v
		if time.Now().After(deadline) {
			t.Fatalf("not every node applied version %d within %s: %+v", version, timeout, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
