package api_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// keeperStatus is the haproxy_status of /health and the haproxy object of
// /info.
type keeperStatus struct {
	Down           bool   `json:"down"`
	Reason         string `json:"reason"`
	Since          int64  `json:"since"`
	Starts         int    `json:"starts"`
	LastStartError string `json:"last_start_error"`
}

type healthWithStatus struct {
	HAProxy string        `json:"haproxy"`
	Status  *keeperStatus `json:"haproxy_status"`
}

// masterPID asks the master CLI for the master's PID (0 when it does not
// answer).
func masterPID(sock string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out, err := haproxytest.Command(ctx, sock, "show proc")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "master" {
			pid, _ := strconv.Atoi(f[0])
			return pid
		}
	}
	return 0
}

// stopStarted stops, at the end of the test, an HAProxy master that
// dataplane started in its own session (the test's Instance only knows the
// one it started).
func stopStarted(t *testing.T, sock string) {
	t.Cleanup(func() {
		pid := masterPID(sock)
		if pid <= 0 {
			return
		}
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		deadline := time.Now().Add(10 * time.Second)
		for haproxytest.ProcessAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if haproxytest.ProcessAlive(pid) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
}

// reloadOutcome waits until reload id has ended and returns its record.
func reloadOutcome(t *testing.T, e *apitest.Env, id string) (status, response string) {
	t.Helper()
	var rec struct{ Status, Response string }
	haproxytest.WaitFor(t, 90*time.Second, "reload "+id+" ends", func() bool {
		e.Get("/services/haproxy/reloads/"+id).JSON(t, &rec)
		return rec.Status != "in_progress"
	})
	return rec.Status, rec.Response
}

// postRaw replaces the whole file, based on the current version.
func postRaw(t *testing.T, e *apitest.Env, cfg string) *apitest.Response {
	t.Helper()
	var v int64
	e.Get("/services/haproxy/configuration/version").JSON(t, &v)
	return e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/raw?version=%d", v), Body: cfg})
}

func frontendSays(port int, want string) func() bool {
	return func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		code, body, err := haproxytest.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port))
		return err == nil && code == 200 && body == want
	}
}

// TestKeeperStartsHAProxyAgain: HAProxy's master is killed (and its
// workers exit with it). dataplane notices, starts HAProxy again with the
// command line, directory and environment the master had, says so in
// /health, /info and the reload history, and a repair write then works.
func TestKeeperStartsHAProxyAgain(t *testing.T) {
	e, port := start(t)
	in := e.HAProxy
	stopStarted(t, in.MasterSocket)
	old := in.MasterPID()
	if !frontendSays(port, "ok\n")() {
		t.Fatal("no traffic before the kill")
	}

	killed := time.Now()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	haproxytest.WaitFor(t, 30*time.Second, "a new master serves", func() bool {
		pid := masterPID(in.MasterSocket)
		return pid > 0 && pid != old && frontendSays(port, "ok\n")()
	})
	back := time.Since(killed)

	// The start is a reload of its own, and says what happened.
	var recs []struct{ ID, Status, Response string }
	e.Get("/services/haproxy/reloads").JSON(t, &recs)
	for i, r := range recs {
		if r.Status == "in_progress" {
			recs[i].Status, recs[i].Response = reloadOutcome(t, e, r.ID)
		}
	}
	var start string
	for _, r := range recs {
		if strings.Contains(r.Response, "HAProxy was not running") {
			if r.Status != "succeeded" || !strings.Contains(r.Response, fmt.Sprintf("process %d", old)) {
				t.Fatalf("the start's record: %+v", r)
			}
			start = r.ID
		}
	}
	if start == "" {
		t.Fatalf("no reload record tells of the start: %+v", recs)
	}
	var h healthWithStatus
	e.Get("/health").JSON(t, &h)
	if h.HAProxy != "up" || h.Status == nil || h.Status.Starts != 1 || h.Status.Down {
		t.Fatalf("health after the start: %+v %+v", h, h.Status)
	}
	var info struct{ HAProxy *keeperStatus }
	e.Get("/info").JSON(t, &info)
	if info.HAProxy == nil || info.HAProxy.Starts != 1 {
		t.Fatalf("info after the start: %+v", info.HAProxy)
	}
	t.Logf("HAProxy served again %s after its master was killed (reload %s)", back.Round(time.Millisecond), start)

	// A repair write goes through the normal path: validated, reloaded,
	// live.
	cfg := strings.Replace(string(e.ReadConfig()), `string "ok\n"`, `string "repaired\n"`, 1)
	r := postRaw(t, e, cfg)
	if r.Status != 202 {
		t.Fatalf("repair write: %d %s", r.Status, r.Body)
	}
	if st, resp := reloadOutcome(t, e, r.Header.Get("Reload-ID")); st != "succeeded" {
		t.Fatalf("repair reload: %s %s", st, resp)
	}
	if !frontendSays(port, "repaired\n")() {
		t.Fatal("the repaired file does not serve")
	}
}

// TestKeeperWhileHAProxyCannotStart: while HAProxy cannot be started (the
// restart command fails until a file exists), /health says down with the
// reason, a write is answered with a warning saying HAProxy is not
// running and its reload tells that starting failed (never that HAProxy
// "still runs" anything); once HAProxy can start, a write brings it back.
func TestKeeperWhileHAProxyCannotStart(t *testing.T) {
	var gate string
	e, port := start(t, func(st *settings.Settings) {
		dir := filepath.Dir(st.HAProxy.ConfigFile)
		gate = filepath.Join(dir, "may-start")
		st.HAProxy.Reload.RestartCmd = fmt.Sprintf("test -e %s && exec %s -W -D -S %s -f %s -p %s",
			gate, haproxytest.Binary(t), filepath.Join(dir, "master.sock"), st.HAProxy.ConfigFile, filepath.Join(dir, "haproxy.pid"))
	})
	in := e.HAProxy
	stopStarted(t, in.MasterSocket)
	old := in.MasterPID()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var h healthWithStatus
	haproxytest.WaitFor(t, 30*time.Second, "health says down, and why the start failed", func() bool {
		e.Get("/health").JSON(t, &h)
		return h.HAProxy == "down" && h.Status != nil && h.Status.Down && h.Status.LastStartError != ""
	})
	if !strings.Contains(h.Status.Reason, fmt.Sprintf("process %d", old)) || !strings.Contains(h.Status.LastStartError, "restart command") {
		t.Fatalf("down status: %+v", h.Status)
	}

	// A write while down: accepted (202) with a warning, and its reload
	// says that HAProxy could not be started.
	cfg := strings.Replace(string(e.ReadConfig()), `string "ok\n"`, `string "while-down\n"`, 1)
	r := postRaw(t, e, cfg)
	if r.Status != 202 {
		t.Fatalf("write while down: %d %s", r.Status, r.Body)
	}
	if w := strings.Join(r.Header.Values("Configuration-Warning"), " | "); !strings.Contains(w, "HAProxy is not running") {
		t.Fatalf("no warning that HAProxy is down: %q", w)
	}
	st, resp := reloadOutcome(t, e, r.Header.Get("Reload-ID"))
	if st != "failed" || !strings.Contains(resp, "starting it with version") || strings.Contains(resp, "still runs") {
		t.Fatalf("reload of the write while down: %s %q", st, resp)
	}

	// HAProxy can start again: the next write brings it back with that
	// write's file.
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = strings.Replace(string(e.ReadConfig()), `string "ok\n"`, `string "back\n"`, 1)
	r = postRaw(t, e, cfg)
	if r.Status != 202 {
		t.Fatalf("repair write: %d %s", r.Status, r.Body)
	}
	if st, resp := reloadOutcome(t, e, r.Header.Get("Reload-ID")); st != "succeeded" {
		t.Fatalf("repair reload: %s %s", st, resp)
	}
	if !frontendSays(port, "back\n")() {
		t.Fatal("HAProxy does not serve the repaired file")
	}
	haproxytest.WaitFor(t, 10*time.Second, "health says up", func() bool {
		e.Get("/health").JSON(t, &h)
		return h.HAProxy == "up"
	})
}
