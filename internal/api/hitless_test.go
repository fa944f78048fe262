package api_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// loadResult counts what a load loop saw.
type loadResult struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errors     []string
}

func (r *loadResult) fail(err error) {
	r.failed.Add(1)
	r.mu.Lock()
	if len(r.errors) < 10 {
		r.errors = append(r.errors, err.Error())
	}
	r.mu.Unlock()
}

// runLoad sends requests to addr until ctx ends, from workers clients,
// counting them in res, which the caller may read while the load runs.
// With keepAlive each client reuses one connection (reconnecting only
// when the server says Connection: close, as a well-behaved client does);
// without, every request opens a new connection. Any error on a request
// counts as a failure: nothing is retried behind the test's back (Go's own
// client would silently retry on a closed idle connection).
func runLoad(ctx context.Context, res *loadResult, addr string, workers int, keepAlive bool) {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conn net.Conn
			var br *bufio.Reader
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for ctx.Err() == nil {
				if conn == nil {
					c, err := net.DialTimeout("tcp", addr, 2*time.Second)
					if err != nil {
						res.fail(err)
						continue
					}
					conn, br = c, bufio.NewReader(c)
				}
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				hdr := "Connection: keep-alive"
				if !keepAlive {
					hdr = "Connection: close"
				}
				if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: test\r\n%s\r\n\r\n", hdr); err != nil {
					res.fail(err)
					conn.Close()
					conn = nil
					continue
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					res.fail(err)
					conn.Close()
					conn = nil
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					res.fail(fmt.Errorf("status %d, body error %v", resp.StatusCode, err))
				} else {
					res.ok.Add(1)
				}
				if !keepAlive || resp.Close {
					conn.Close()
					conn = nil
				}
			}
		}()
	}
	wg.Wait()
}

// hitlessConfig serves directly from the frontend, so what is measured is
// HAProxy handing its listeners over, with the keep-alive fix in defaults.
func hitlessConfig(in *haproxytest.Instance, port int) string {
	return fmt.Sprintf(`global
    stats socket %s mode 600 level admin expose-fd listeners
    pidfile %s

defaults
    mode http
    option idle-close-on-response
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, in.StatsSocket, in.PIDFile, port)
}

// startStrategy runs HAProxy and dataplane with one reload strategy.
func startStrategy(t testing.TB, strategy string) (*apitest.Env, int) {
	t.Helper()
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	cfg := hitlessConfig(in, port)
	switch strategy {
	case "master":
		return apitest.Start(t, in, cfg, apitest.Options{}), port
	case "standalone":
		in.StartStandalone(cfg)
		return apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
			st.HAProxy.MasterRuntime = ""
			st.HAProxy.Reload.ReloadStrategy = "standalone"
		}}), port
	case "custom":
		// The classic custom command: signal the master-worker HAProxy.
		in.Start(cfg)
		return apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
			st.HAProxy.MasterRuntime = ""
			st.HAProxy.Reload.ReloadStrategy = "custom"
			st.HAProxy.Reload.ReloadCmd = fmt.Sprintf("kill -USR2 $(cat %s)", in.PIDFile)
		}}), port
	}
	t.Fatalf("unknown strategy %s", strategy)
	return nil, 0
}

// TestHitlessReloads: for each strategy, 20 reloads under load lose no
// request, for clients opening a connection per request and for keep-alive
// clients (the configuration has option idle-close-on-response).
func TestHitlessReloads(t *testing.T) {
	const reloads = 20
	for _, strategy := range []string{"master", "standalone", "custom"} {
		for _, keepAlive := range []bool{false, true} {
			name := strategy + "/new-connections"
			if keepAlive {
				name = strategy + "/keep-alive"
			}
			t.Run(name, func(t *testing.T) {
				e, port := startStrategy(t, strategy)
				ctx, cancel := context.WithCancel(context.Background())
				res := &loadResult{}
				done := make(chan struct{})
				go func() { runLoad(ctx, res, fmt.Sprintf("127.0.0.1:%d", port), 4, keepAlive); close(done) }()
				stop := func() { cancel(); <-done }
				t.Cleanup(stop) // also when a wait below fails the test
				// Before each reload and before stopping, the load must
				// have made progress: the count of answered requests grows
				// by perStep, however fast the machine is. A failed request
				// is reported as soon as it happens.
				const perStep = 10
				progress := func(step string) {
					t.Helper()
					want := res.ok.Load() + perStep
					haproxytest.WaitFor(t, 30*time.Second, fmt.Sprintf("%d more requests answered %s", perStep, step), func() bool {
						return res.ok.Load() >= want || res.failed.Load() != 0
					})
				}
				for i := 0; i < reloads; i++ {
					progress(fmt.Sprintf("before reload %d", i))
					r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
					if r.Status != 200 {
						t.Fatalf("reload %d: %d %s", i, r.Status, r.Body)
					}
				}
				progress("after the last reload")
				stop()
				t.Logf("%s: %d requests, %d failed", name, res.ok.Load(), res.failed.Load())
				res.mu.Lock()
				errs := res.errors
				res.mu.Unlock()
				if res.failed.Load() != 0 {
					t.Fatalf("%d of %d requests failed during %d reloads: %v", res.failed.Load(), res.ok.Load()+res.failed.Load(), reloads, errs)
				}
				if want := int64(perStep * (reloads + 1)); res.ok.Load() < want {
					t.Fatalf("only %d requests, want at least %d: the load did not run", res.ok.Load(), want)
				}
			})
		}
	}
}

// TestReloadBurst: 200 changes in about 10 s with reload_delay = 1 s cost
// about 10 reloads, and every change is live at the end.
func TestReloadBurst(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, hitlessConfig(in, haproxytest.FreePort(t)), apitest.Options{Settings: func(st *settings.Settings) {
		st.HAProxy.Reload.ReloadDelay = 1
	}})
	r0, _ := in.Reloads()
	start := time.Now()
	var last string
	for i := 0; i < 200; i++ {
		r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e), Body: map[string]any{"name": fmt.Sprintf("burst_%d", i)}})
		mustStatus(t, r, 202, "burst change")
		last = r.Header.Get("Reload-ID")
	}
	took := time.Since(start)
	haproxytest.WaitFor(t, 30*time.Second, "last reload done", func() bool {
		var rec struct{ Status string }
		e.Get("/services/haproxy/reloads/"+last).JSON(t, &rec)
		return rec.Status == "succeeded"
	})
	n, failed := in.Reloads()
	reloads := n - r0
	limit := int(took.Seconds()) + 2 // one per reload_delay, and the first at once
	t.Logf("200 changes in %s: %d reloads", took.Round(time.Millisecond), reloads)
	if reloads > limit || failed != 0 {
		t.Fatalf("%d reloads (%d failed) for 200 changes in %s, want at most %d", reloads, failed, took, limit)
	}
	stat := in.Stats("show stat -1 2 -1")
	for i := 0; i < 200; i++ {
		if !strings.Contains(stat, fmt.Sprintf("burst_%d,BACKEND", i)) {
			t.Fatalf("burst_%d is not live", i)
		}
	}
}

// TestReloadHistoryPersists: the reload history survives a restart.
func TestReloadHistoryPersists(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, hitlessConfig(in, haproxytest.FreePort(t)), apitest.Options{})
	var ids []string
	for i := 0; i < 3; i++ {
		r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
		mustStatus(t, r, 200, "reload")
		var rec struct{ ID string }
		r.JSON(t, &rec)
		ids = append(ids, rec.ID)
	}
	e.Server.Close()
	e2 := apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
		st.API.Transaction.TransactionDir = e.Settings.API.Transaction.TransactionDir
	}})
	for _, id := range ids {
		var rec struct{ Status string }
		r := e2.Get("/services/haproxy/reloads/" + id)
		mustStatus(t, r, 200, "reload after restart")
		r.JSON(t, &rec)
		if rec.Status != "succeeded" {
			t.Fatalf("reload %s is %q after restart", id, rec.Status)
		}
	}
	// New ids continue the day's sequence instead of reusing one.
	r := e2.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
	var rec struct{ ID string }
	r.JSON(t, &rec)
	for _, id := range ids {
		if rec.ID == id {
			t.Fatalf("reload id %s reused after restart", id)
		}
	}
	_ = os.Getpid
}

// TestIdleCloseWarning: raw and global writes of a configuration without
// option idle-close-on-response answer with a Configuration-Warning.
func TestIdleCloseWarning(t *testing.T) {
	e, _ := start(t) // start() has no idle-close-on-response
	raw := e.Get("/services/haproxy/configuration/raw").Body
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?only_validate=true", Body: raw})
	if !strings.Contains(r.Header.Get("Configuration-Warning"), "idle-close-on-response") {
		t.Fatalf("raw validation without the option: no warning (%v)", r.Header)
	}
	var g map[string]any
	e.Get("/services/haproxy/configuration/global").JSON(t, &g)
	r = e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/configuration/global" + vq(t, e), Body: g})
	if !strings.Contains(r.Header.Get("Configuration-Warning"), "idle-close-on-response") {
		t.Fatalf("global PUT without the option: no warning (%d %v)", r.Status, r.Header)
	}
	fixed := strings.Replace(string(raw), "defaults\n", "defaults\n    option idle-close-on-response\n", 1)
	r = e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?only_validate=true", Body: fixed})
	if w := r.Header.Get("Configuration-Warning"); w != "" {
		t.Fatalf("raw validation with the option still warns: %q", w)
	}
}
