package api_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestChangesThatWouldStopHAProxy: `haproxy -c` accepts a chroot that does
// not exist (and a pid file or stats socket in a missing directory), but
// the reload then makes the new worker fail and the master stop HAProxy
// for good. Such changes are refused before any reload: 400 naming the
// field, the file unchanged, HAProxy serving.
func TestChangesThatWouldStopHAProxy(t *testing.T) {
	e, port := start(t)
	var g map[string]any
	e.Get("/services/haproxy/configuration/global").JSON(t, &g)
	before := e.ReadConfig()
	for _, c := range []struct {
		field string
		value any
		want  string
	}{
		{"chroot", "/nonexistent-dir", "chroot"},
		{"chroot", "$HOME", "chroot"},
		{"chroot", "/tmp\u0085x", "chroot"},
		{"chroot", "/etc/hostname", "chroot"}, // a file, not a directory
		{"pidfile", "/nonexistent-dir/haproxy.pid", "pidfile"},
	} {
		body := map[string]any{}
		for k, v := range g {
			body[k] = v
		}
		body[c.field] = c.value
		r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/configuration/global" + vq(t, e) + "&force_reload=true", Body: body})
		if r.Status != 400 || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s %q: %d %s, want 400 naming %s", c.field, c.value, r.Status, r.Body, c.want)
		}
		if !bytes.Equal(before, e.ReadConfig()) {
			t.Fatalf("%s %q changed the file", c.field, c.value)
		}
	}
	if code, _, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil || code != 200 {
		t.Fatalf("HAProxy stopped serving: %d %v", code, err)
	}
}

// TestSpinningCheckFreesTheLock: with `ssl-dh-param-file` naming a
// directory, `haproxy -c` spins instead of failing. The check's deadline
// ends it: the change is refused with a message saying so, the file is
// unchanged, and a writer that queued behind it gets its turn.
func TestSpinningCheckFreesTheLock(t *testing.T) {
	e, _ := start(t)
	var g map[string]any
	e.Get("/services/haproxy/configuration/global").JSON(t, &g)
	g["ssl_options"] = map[string]any{"dh_param_file": t.TempDir()}
	spinning := make(chan *apitest.Response, 1)
	go func() {
		spinning <- e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/configuration/global" + vq(t, e), Body: g})
	}()
	// Another writer, once the check runs (a haproxy -c whose argv names
	// the staged file).
	haproxytest.WaitFor(t, 30*time.Second, "the spinning check runs", func() bool {
		out, _ := exec.Command("pgrep", "-f", "haproxy.*-c.*"+filepath.Dir(e.Settings.HAProxy.ConfigFile)).Output()
		return len(out) > 0
	})
	other := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e),
		Body: map[string]any{"name": "be_waiting"}})
	var r *apitest.Response
	select {
	case r = <-spinning:
	case <-time.After(90 * time.Second):
		t.Fatal("the change whose check spins was not answered")
	}
	if r.Status != 400 || !strings.Contains(string(r.Body), "did not finish within") {
		t.Fatalf("the spinning check's answer: %d %s", r.Status, r.Body)
	}
	if bytes.Contains(e.ReadConfig(), []byte("ssl-dh-param-file")) {
		t.Fatal("the refused change reached the file")
	}
	if other.Status != 202 || !bytes.Contains(e.ReadConfig(), []byte("backend be_waiting")) {
		t.Fatalf("the writer behind it: %d %s", other.Status, other.Body)
	}
}
