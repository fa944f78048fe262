package haproxytest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestStartServeReloadStop(t *testing.T) {
	be := StartBackend(t, "app1", nil)
	in := New(t)
	port := FreePort(t)
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    server s1 %s
`, port, be.Addr()))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, body, err := HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil || code != 200 || body != "app1" {
		t.Fatalf("GET through haproxy: %d %q %v", code, body, err)
	}
	if be.Hits() != 1 {
		t.Fatalf("backend hits = %d, want 1", be.Hits())
	}
	if !strings.Contains(in.Stats("show info"), "Name: HAProxy") {
		t.Fatal("show info did not answer")
	}
	r0, _ := in.Reloads()
	in.Master("reload")
	WaitFor(t, 10*time.Second, "reload counted", func() bool { r, _ := in.Reloads(); return r == r0+1 })
	in.Stop()
	if in.Running() {
		t.Fatal("still running after Stop")
	}
}
