package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/runtime"
)

// TestRuntimePutsUnderLoad sends 100 runtime PUTs at once, each client
// changing its own server a few times in a row (issue 17: under 50
// concurrent clients, a third of them failed with 500 when the socket's
// accept backlog overflowed). With the default queue bound every PUT is
// answered 200; with a tiny one, those past it are answered 503 with
// Retry-After and change nothing. Never 500, and HAProxy ends with the
// last value each client was told was applied.
func TestRuntimePutsUnderLoad(t *testing.T) {
	const clients, rounds = 100, 3
	app := haproxytest.StartBackend(t, "app", nil)
	in := haproxytest.New(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "%s\nbackend many\n    balance roundrobin\n", in.Global())
	for i := range clients {
		fmt.Fprintf(&cfg, "    server s%d %s weight 1\n", i, app.Addr())
	}
	e := apitest.Start(t, in, cfg.String(), apitest.Options{})

	tests := []struct {
		name           string
		conns, waiters int
		all200         bool
	}{
		{"default bound", runtime.DefaultMaxConns, runtime.DefaultMaxWaiters, true},
		{"tiny bound", 1, 2, false},
	}
	for n, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.App.Stats.SetLimits(tt.conns, tt.waiters)
			defer e.App.Stats.SetLimits(runtime.DefaultMaxConns, runtime.DefaultMaxWaiters)
			type applied struct {
				weight int
				admin  string
				ok     bool
			}
			last := make([]applied, clients)
			statuses := make([]map[int]int, clients)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = map[int]int{}
					<-start
					for r := range rounds {
						w := 1 + (n*rounds+r)*40 + i%40 // 1..240, distinct per round and case
						admin := []string{"drain", "ready", "maint"}[(i+r)%3]
						status, retryAfter := putServer(t, e, "many", fmt.Sprintf("s%d", i), w, admin)
						statuses[i][status]++
						switch {
						case status == http.StatusOK:
							last[i] = applied{w, admin, true}
						case status == http.StatusServiceUnavailable && retryAfter == "":
							t.Errorf("s%d: 503 without Retry-After", i)
						}
					}
				}()
			}
			close(start)
			wg.Wait()

			counts := map[int]int{}
			for _, m := range statuses {
				for s, c := range m {
					counts[s] += c
				}
			}
			t.Logf("answers: %v", counts)
			for s, c := range counts {
				if s != http.StatusOK && (tt.all200 || s != http.StatusServiceUnavailable) {
					t.Errorf("%d answers %d", c, s)
				}
			}
			if counts[http.StatusOK] == 0 {
				t.Fatal("no PUT succeeded")
			}
			// What HAProxy runs, read over a connection of its own.
			state := serversState(t, in, "many")
			for i, a := range last {
				if !a.ok {
					continue
				}
				got := state[fmt.Sprintf("s%d", i)]
				if got.weight != a.weight || got.admin != a.admin {
					t.Errorf("s%d: HAProxy has weight %d, %s; the last PUT answered 200 set %d, %s", i, got.weight, got.admin, a.weight, a.admin)
				}
			}
		})
	}
}

// putServer PUTs weight and admin_state and returns the status and the
// Retry-After header. An answer that is not 200 must be an error body.
func putServer(t *testing.T, e *apitest.Env, be, srv string, weight int, admin string) (int, string) {
	body := fmt.Appendf(nil, `{"weight": %d, "admin_state": %q}`, weight, admin)
	req, err := http.NewRequest(http.MethodPut, e.Server.URL+"/v3"+rtPath+be+"/servers/"+srv, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(apitest.User, apitest.Password)
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var eb struct {
			Code int `json:"code"`
		}
		if json.Unmarshal(b, &eb) != nil || eb.Code != resp.StatusCode {
			t.Errorf("PUT %s/%s: %d with body %s", be, srv, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

type putState struct {
	weight int
	admin  string
}

// serversState reads `show servers state be` from HAProxy: weight and
// admin state by server name.
func serversState(t *testing.T, in *haproxytest.Instance, be string) map[string]putState {
	t.Helper()
	out := in.Stats("show servers state " + be)
	lines := strings.Split(out, "\n")
	if len(lines) < 2 {
		t.Fatalf("show servers state %s: %q", be, out)
	}
	cols := map[string]int{}
	for i, c := range strings.Fields(strings.TrimPrefix(lines[1], "# ")) {
		cols[c] = i
	}
	states := map[string]putState{}
	for _, line := range lines[2:] {
		f := strings.Fields(line)
		if len(f) < len(cols) {
			continue
		}
		var s putState
		fmt.Sscan(f[cols["srv_uweight"]], &s.weight)
		var bits int
		fmt.Sscan(f[cols["srv_admin_state"]], &bits)
		switch {
		case bits&0x01 != 0:
			s.admin = "maint"
		case bits&0x08 != 0:
			s.admin = "drain"
		default:
			s.admin = "ready"
		}
		states[f[cols["srv_name"]]] = s
	}
	return states
}

// TestRuntimePutsDuringReloads: HAProxy's master reloads again and again
// (not through dataplane: it is not told) while clients PUT weights to
// their own servers. Every PUT is answered 200 with its own server and
// the weight it set, read back; once the reloads are over, the changes
// reach the worker that runs now.
func TestRuntimePutsDuringReloads(t *testing.T) {
	const clients, reloads = 16, 5
	app := haproxytest.StartBackend(t, "app", nil)
	in := haproxytest.New(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "%s\nbackend many\n    balance roundrobin\n", in.Global())
	for i := range clients {
		fmt.Fprintf(&cfg, "    server s%d %s weight 1\n", i, app.Addr())
	}
	e := apitest.Start(t, in, cfg.String(), apitest.Options{})
	m := runtime.NewMaster(in.MasterSocket)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	put := func(i, w int) error {
		srv := fmt.Sprintf("s%d", i)
		body := fmt.Appendf(nil, `{"weight": %d}`, w)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, e.Server.URL+"/v3"+rtPath+"many/servers/"+srv, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(apitest.User, apitest.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var got struct {
			Name   string `json:"name"`
			Weight int    `json:"weight"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &got) != nil || got.Name != srv || got.Weight != w {
			return fmt.Errorf("PUT %s weight %d: %d %s", srv, w, resp.StatusCode, b)
		}
		return nil
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var puts atomic.Int64
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := put(i, 1+(n*clients+i)%256); err != nil {
					errs <- err
					return
				}
				puts.Add(1)
			}
		}()
	}
	before, err := m.ShowProc(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for r := 1; r <= reloads; r++ {
		if err := m.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		haproxytest.WaitFor(t, 30*time.Second, fmt.Sprintf("reload %d", r), func() bool {
			p, err := m.ShowProc(ctx)
			return err == nil && p.Master.Reloads == before.Master.Reloads+r
		})
		// Some PUTs on the new worker before the next reload.
		n := puts.Load()
		haproxytest.WaitFor(t, 30*time.Second, "PUTs after the reload", func() bool { return puts.Load() >= n+clients || len(errs) > 0 })
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d PUTs across %d reloads", puts.Load(), reloads)

	// Connections kept to old workers expire; the old workers exit.
	haproxytest.WaitFor(t, 30*time.Second, "old workers gone", func() bool {
		p, err := m.ShowProc(ctx)
		return err == nil && len(p.OldWorkers) == 0
	})
	for i := range clients {
		if err := put(i, 200+i); err != nil {
			t.Fatal(err)
		}
	}
	state := serversState(t, in, "many")
	for i := range clients {
		if got := state[fmt.Sprintf("s%d", i)].weight; got != 200+i {
			t.Errorf("s%d: the current worker has weight %d, want %d", i, got, 200+i)
		}
	}
}
