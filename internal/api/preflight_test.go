package api_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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
