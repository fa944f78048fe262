package api_test

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestPortClashRefusedBeforeReload: a bind on a port another process
// holds is refused with 400 naming the bind and the holder, before any
// reload (a reload that fails to bind pauses HAProxy's listeners for ~2 s:
// 210 of 793 requests failed that way). Traffic meanwhile: 0 failures.
func TestPortClashRefusedBeforeReload(t *testing.T) {
	e, port := start(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	clash := taken.Addr().(*net.TCPAddr).Port

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, _, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err != nil || code != 200 {
				failed.Add(1)
			} else {
				ok.Add(1)
			}
		}
	}()
	before := e.ReadConfig()
	reloads := len(reloadList(t, e))
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/frontends/fe/binds" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": "clash", "address": "127.0.0.1", "port": clash}})
	if r.Status != 400 || !strings.Contains(string(r.Body), `bind \"clash\"`) || !strings.Contains(string(r.Body), "already in use") ||
		!strings.Contains(string(r.Body), "pid") {
		t.Errorf("a bind on a port in use: %d %s, want 400 naming the bind and the holder", r.Status, r.Body)
	}
	// Some traffic went through while the change was refused.
	haproxytest.WaitFor(t, 10*time.Second, "requests are served", func() bool { return ok.Load() > 20 })
	close(stop)
	<-done
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed", failed.Load(), failed.Load()+ok.Load())
	}
	if !bytes.Equal(before, e.ReadConfig()) || len(reloadList(t, e)) != reloads {
		t.Error("the refused change wrote the file or reloaded")
	}
	// A free port is taken as usual.
	free := haproxytest.FreePort(t)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/frontends/fe/binds" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": "free", "address": "127.0.0.1", "port": free}}), 201, "a bind on a free port")
}

func reloadList(t *testing.T, e *apitest.Env) []map[string]any {
	t.Helper()
	var l []map[string]any
	e.Get("/services/haproxy/reloads").JSON(t, &l)
	return l
}
