package runtime

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// manyServers is a backend of n servers, s<i> with weight i+1, so that
// every server answers `get weight` with its own number.
func manyServers(t *testing.T, n int) *haproxytest.Instance {
	t.Helper()
	app := haproxytest.StartBackend(t, "app", nil)
	in := haproxytest.New(t)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nbackend many\n    balance roundrobin\n", in.Global())
	for i := range n {
		fmt.Fprintf(&b, "    server s%d %s weight %d\n", i, app.Addr(), i+1)
	}
	in.Start(b.String())
	return in
}

// weightReply is HAProxy's answer to `get weight many/s<i>` when the
// current weight is w.
func weightReply(i, w int) string { return fmt.Sprintf("%d (initial %d)\n\n", w, i+1) }

func TestIntegrationConcurrentCalls(t *testing.T) {
	t.Parallel()
	const calls = 50
	in := manyServers(t, calls)
	c := New(in.StatsSocket)
	ctx := testCtx(t)
	errs := make(chan error, calls)
	for i := range calls {
		go func() {
			w := 100 + i
			if err := c.SetServerWeight(ctx, "many", fmt.Sprintf("s%d", i), w); err != nil {
				errs <- err
				return
			}
			got, err := c.Execute(ctx, fmt.Sprintf("get weight many/s%d", i))
			if err == nil && got != weightReply(i, w) {
				err = fmt.Errorf("call %d got %q, want %q", i, got, weightReply(i, w))
			}
			errs <- err
		}()
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestIntegrationReloadDuringCalls(t *testing.T) {
	t.Parallel()
	const servers, reloads = 16, 5
	in := manyServers(t, servers)
	c := New(in.StatsSocket)
	m := NewMaster(in.MasterSocket)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The master reloads HAProxy again and again while the calls run.
	stop := make(chan struct{})
	workersDone := make(chan struct{})
	reloadErr := make(chan error, 1)
	var total, during atomic.Int64 // calls done, and done while a reload was under way
	var reloading atomic.Bool
	go func() {
		defer close(stop)
		before, err := m.ShowProc(ctx)
		if err != nil {
			reloadErr <- err
			return
		}
		for r := 1; r <= reloads; r++ {
			reloading.Store(true)
			if err := m.Reload(ctx); err != nil {
				reloadErr <- err
				return
			}
			for {
				p, err := m.ShowProc(ctx)
				if err == nil && p.Master.Reloads == before.Master.Reloads+r && len(p.Workers) == 1 {
					break
				}
				if ctx.Err() != nil {
					reloadErr <- fmt.Errorf("reload %d not seen: %v", r, ctx.Err())
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			reloading.Store(false)
			// Let some calls run before the next one (unless the
			// calls have stopped: they failed).
			for n := total.Load(); total.Load() < n+servers; {
				select {
				case <-workersDone:
					reloadErr <- nil
					return
				case <-time.After(time.Millisecond):
				}
			}
		}
		reloadErr <- nil
	}()

	// Each worker owns some servers and checks every answer it gets: the
	// weight set is the configured one, so it holds on any worker, old
	// or new, and a reply meant for another call would show another
	// server's number.
	var wg sync.WaitGroup
	failures := make(chan error, servers)
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv := fmt.Sprintf("s%d", i)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := c.SetServerWeight(ctx, "many", srv, i+1); err != nil {
					failures <- fmt.Errorf("set weight %s: %w", srv, err)
					return
				}
				got, err := c.Execute(ctx, "get weight many/"+srv)
				if err == nil && got != weightReply(i, i+1) {
					err = fmt.Errorf("got %q, want %q", got, weightReply(i, i+1))
				}
				if err != nil {
					failures <- fmt.Errorf("get weight %s: %w", srv, err)
					return
				}
				total.Add(1)
				if reloading.Load() {
					during.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(workersDone)
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if err := <-reloadErr; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls, %d of them while one of the %d reloads was under way", total.Load(), during.Load(), reloads)
	// Kept connections do not keep the old workers alive.
	c.CloseIdleConnections()
	haproxytest.WaitFor(t, 30*time.Second, "old workers gone", func() bool {
		p, err := m.ShowProc(ctx)
		return err == nil && len(p.OldWorkers) == 0
	})
	// And the client goes on with the current worker.
	for i := range servers {
		if err := c.SetServerWeight(ctx, "many", fmt.Sprintf("s%d", i), 200+i); err != nil {
			t.Fatal(err)
		}
		if got := in.Stats(fmt.Sprintf("get weight many/s%d", i)); got != weightReply(i, 200+i) {
			t.Fatalf("the current worker has s%d at %q, want %q", i, got, weightReply(i, 200+i))
		}
	}
}

func TestIntegrationPoolFollowsReload(t *testing.T) {
	t.Parallel()
	in := manyServers(t, 1)
	c := New(in.StatsSocket)
	m := NewMaster(in.MasterSocket)
	ctx := testCtx(t)
	before, err := m.ShowProc(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := before.Workers[0].PID
	// A session keeps its connection from being swept meanwhile (the old
	// worker would exit as soon as it closes).
	err = c.Session(ctx, func(s *Client) error {
		if err := s.SetServerWeight(ctx, "many", "s0", 77); err != nil {
			return err
		}
		if err := m.Reload(ctx); err != nil {
			return err
		}
		// The old worker stops its proxies once the new one is ready.
		haproxytest.WaitFor(t, 10*time.Second, "the old worker stopping", func() bool {
			out, err := m.Execute(ctx, fmt.Sprintf("@!%d show info", old))
			return err == nil && strings.Contains(out, "\nStopping: 1\n")
		})
		// The connection kept from before the reload still reaches the
		// old worker (kept young here, so that it is reused whatever the
		// machine's speed). The old worker refuses the change, and it
		// is sent again over a new connection, to the new worker.
		s.t.held.cc.dialed = time.Now()
		if got, err := s.Execute(ctx, "get weight many/s0"); err != nil || got != weightReply(0, 77) {
			return fmt.Errorf("the old worker answers %q, %v; want %q", got, err, weightReply(0, 77))
		}
		return s.SetServerWeight(ctx, "many", "s0", 55)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Stats("get weight many/s0"); got != weightReply(0, 55) {
		t.Fatalf("the new worker has %q, want %q", got, weightReply(0, 55))
	}
	// Told of the reload, the client reads from the new worker too.
	c.CloseIdleConnections()
	if got, err := c.Execute(ctx, "get weight many/s0"); err != nil || got != weightReply(0, 55) {
		t.Fatalf("after the reload: %q, %v; want the new worker's answer", got, err)
	}
}
