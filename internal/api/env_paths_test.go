package api_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// TestStatsSocketPathFromEnvironment: the README tells fleet users to put
// per-node values in environment variables, which HAProxy expands inside
// double quotes. A stats socket written "${VAR}/admin.sock" is where
// HAProxy listens, so dataplane (given the same environment) must use the
// same path: runtime changes reach HAProxy, and configuration writes are
// not refused for a socket directory named "${VAR}".
func TestStatsSocketPathFromEnvironment(t *testing.T) {
	in := haproxytest.New(t)
	nodeDir := filepath.Join(in.Dir, "node1")
	if err := os.Mkdir(nodeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The same variable for HAProxy (its process environment) and for the
	// in-process dataplane (its own environment).
	const name = "DP_TEST_NODE_DIR"
	t.Setenv(name, nodeDir)
	in.Env = append(in.Env, name+"="+nodeDir)
	in.StatsSocket = filepath.Join(nodeDir, "admin.sock") // for in.Stats
	app := haproxytest.StartBackend(t, "app", nil)
	port := haproxytest.FreePort(t)
	cfg := fmt.Sprintf(`global
    stats socket "${%s}/admin.sock" mode 600 level admin expose-fd listeners
    stats timeout 10s

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:%d
    default_backend be_app

backend be_app
    balance roundrobin
    server s1 %s weight 50
`, name, port, app.Addr())
	in.Start(cfg)
	// HAProxy listens where the variable points.
	haproxytest.WaitFor(t, 15*time.Second, "HAProxy's stats socket in "+nodeDir, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		out, err := haproxytest.Command(ctx, in.StatsSocket, "show info")
		return err == nil && strings.Contains(out, "Pid:")
	})
	e := apitest.Start(t, in, "", apitest.Options{})

	// A runtime change goes through the stats socket.
	r := e.Do(apitest.Request{Method: "PUT", Path: rtPath + "be_app/servers/s1", Body: map[string]any{"weight": 7}})
	mustStatus(t, r, 200, "PUT runtime weight")
	if st := weightOf(t, in, "be_app", "s1"); st != "7" {
		t.Fatalf("weight in HAProxy after the runtime PUT = %s, want 7", st)
	}

	// A configuration write is checked against the socket's directory,
	// then reloads HAProxy, which listens again at the same path.
	r = e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": "be_new"}})
	mustStatus(t, r, 201, "POST backend")
	haproxytest.WaitFor(t, 30*time.Second, "be_new in the reloaded HAProxy", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		out, err := haproxytest.Command(ctx, in.StatsSocket, "show backend")
		return err == nil && strings.Contains(out, "be_new")
	})

	// The runtime view still reads from the socket after the reload.
	r = e.Do(apitest.Request{Method: "PUT", Path: rtPath + "be_app/servers/s1", Body: map[string]any{"weight": 9}})
	mustStatus(t, r, 200, "PUT runtime weight after the reload")
	r = e.Get(rtPath + "be_app/servers/s1")
	mustStatus(t, r, 200, "GET runtime server")
	var s map[string]any
	r.JSON(t, &s)
	if fmt.Sprint(s["weight"]) != "9" {
		t.Errorf("GET runtime server: weight %v, want 9: %s", s["weight"], r.Body)
	}
}

// weightOf returns a server's user weight as HAProxy reports it.
func weightOf(t *testing.T, in *haproxytest.Instance, be, srv string) string {
	t.Helper()
	lines := strings.Split(in.Stats("show servers state "+be), "\n")
	if len(lines) < 2 {
		t.Fatalf("show servers state %s: %q", be, lines)
	}
	cols := strings.Fields(strings.TrimPrefix(lines[1], "# "))
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) != len(cols) || f[3] != srv {
			continue
		}
		for i, c := range cols {
			if c == "srv_uweight" {
				return f[i]
			}
		}
	}
	t.Fatalf("show servers state %s: no %s", be, srv)
	return ""
}

// TestCertificateReferenceFromEnvironment: a bind's `crt
// "${VAR}/site.pem"` names the stored certificate the variable points to:
// deleting it is refused (HAProxy could not reload without it), with the
// line named, as for a certificate written by its path, before anything
// is asked of HAProxy.
func TestCertificateReferenceFromEnvironment(t *testing.T) {
	in := haproxytest.New(t)
	certs := filepath.Join(in.Dir, "certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	const name = "DP_TEST_CERTS"
	t.Setenv(name, certs)
	in.Env = append(in.Env, name+"="+certs)
	site := makeCert(t, "site.test", 31, nil, time.Now().Add(time.Hour))
	if err := os.WriteFile(filepath.Join(certs, "site.pem"), site.bundle(), 0o600); err != nil {
		t.Fatal(err)
	}
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d ssl crt "${%s}/site.pem"
    http-request return status 200
`, port, name), apitest.Options{Settings: func(st *settings.Settings) {
		st.API.Resources.SSLCertsDir = certs
	}})
	if got := servedSerial(t, fmt.Sprintf("127.0.0.1:%d", port)); got != "31" {
		t.Fatalf("HAProxy serves serial %s, want 31", got)
	}
	r := e.Do(apitest.Request{Method: "DELETE", Path: storageCerts + "/site.pem"})
	mustStatus(t, r, 409, "delete a certificate a bind names through a variable")
	// dataplane's own refusal names the line; HAProxy's (a `del ssl cert`
	// dataplane would have tried) does not.
	if !strings.Contains(string(r.Body), fmt.Sprintf("bind 127.0.0.1:%d", port)) {
		t.Errorf("the refusal does not name the line: %s", r.Body)
	}
	if _, err := os.Stat(filepath.Join(certs, "site.pem")); err != nil {
		t.Fatalf("the file is gone: %v", err)
	}
}
