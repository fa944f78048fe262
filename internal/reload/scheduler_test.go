package reload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// simple runs f for every request of a reload alike.
func simple(f func(ctx context.Context) (string, error)) RunFunc {
	return func(ctx context.Context, _ []string) Outcome {
		r, err := f(ctx)
		return Outcome{Response: r, Err: err}
	}
}

func TestSchedulerCoalesces(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	s, err := NewScheduler(simple(func(ctx context.Context) (string, error) {
		runs.Add(1)
		<-release
		return "ok", nil
	}), SchedulerOptions{Delay: 0})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)

	first := s.Request()
	// Wait until the first reload is running; changes arriving now share
	// the next one.
	deadline := time.Now().Add(30 * time.Second)
	for runs.Load() == 0 {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the first reload did not start within 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	// Each request has its own id and record, and shares the next
	// reload.
	var ids []string
	for i := 0; i < 10; i++ {
		ids = append(ids, s.Request())
	}
	seen := map[string]bool{first: true}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("requests during a running reload got ids %v (first %s), want distinct ones", ids, first)
		}
		seen[id] = true
	}
	close(release)
	for _, id := range ids {
		if rec, err := s.Wait(ctx, id); err != nil || rec.Status != StatusSucceeded {
			t.Fatalf("request %s: %+v %v", id, rec, err)
		}
	}
	second := ids[len(ids)-1]
	if n := runs.Load(); n != 2 {
		t.Fatalf("%d reloads for 11 requests, want 2", n)
	}
	if ok, _ := regexp.MatchString(`^\d{4}-\d{2}-\d{2}-\d+$`, second); !ok {
		t.Fatalf("id %q", second)
	}
}

func TestSchedulerDelayBoundsRate(t *testing.T) {
	const delay = 200 * time.Millisecond
	var mu sync.Mutex
	var starts []time.Time
	var s *Scheduler
	s, _ = NewScheduler(simple(func(ctx context.Context) (string, error) {
		// The start time the scheduler itself recorded for this reload,
		// not a later reading that a busy machine could delay.
		s.mu.Lock()
		start := s.lastStart
		s.mu.Unlock()
		mu.Lock()
		starts = append(starts, start)
		mu.Unlock()
		return "", nil
	}), SchedulerOptions{Delay: delay})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	began := time.Now()
	end := began.Add(time.Second)
	var last string
	for time.Now().Before(end) {
		last = s.Request()
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.Wait(ctx, last); err != nil {
		t.Fatal(err)
	}
	// Every reload started between began and now, at least delay apart:
	// at most one per delay, plus the first at once, however long the
	// loop above really took.
	elapsed := time.Since(began)
	limit := int(elapsed/delay) + 1
	mu.Lock()
	got := append([]time.Time(nil), starts...)
	mu.Unlock()
	if len(got) > limit {
		t.Fatalf("%d reloads for requests over %s with a %s delay, want at most %d", len(got), elapsed, delay, limit)
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].Sub(got[i-1]); gap < delay {
			t.Fatalf("two reloads %s apart, delay is %s", gap, delay)
		}
	}
}

// TestSchedulerUrgentSkipsDelay: an urgent request (force_reload) does not
// wait for the delay. With a one-hour delay, the urgent reload finishing at
// all (within a generous 30 s) proves the delay was skipped.
func TestSchedulerUrgentSkipsDelay(t *testing.T) {
	var runs atomic.Int32
	s, _ := NewScheduler(simple(func(ctx context.Context) (string, error) {
		runs.Add(1)
		return "", nil
	}), SchedulerOptions{Delay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	wait := func(id string) Record {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		rec, err := s.Wait(wctx, id)
		if err != nil || rec.Status != StatusSucceeded {
			t.Fatalf("reload %s: %+v %v", id, rec, err)
		}
		return rec
	}
	// The first reload starts at once: nothing ran before it.
	wait(s.Request())
	// The next one must wait an hour...
	second := s.Request()
	if !s.Pending() {
		t.Fatal("a request right after a reload is not pending")
	}
	// ...unless a caller waits for it: it then joins the pending reload
	// and runs it at once.
	urgent := s.RequestNow()
	if urgent == second {
		t.Fatalf("urgent request got the pending request's id %s", urgent)
	}
	if rec := wait(urgent); rec.Status != StatusSucceeded {
		t.Fatalf("urgent reload %+v", rec)
	}
	if rec := wait(second); rec.Status != StatusSucceeded {
		t.Fatalf("the pending request it joined %+v", rec)
	}
	if n := runs.Load(); n != 2 {
		t.Fatalf("%d reloads, want 2", n)
	}
}

func TestSchedulerHistory(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "reloads.json")
	fail := true
	run := simple(func(ctx context.Context) (string, error) {
		if fail {
			return "[ALERT] boom", errors.New("reload failed")
		}
		return "fine", nil
	})
	s, _ := NewScheduler(run, SchedulerOptions{HistoryFile: hist})
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	id1 := s.RequestNow()
	r1, _ := s.Wait(ctx, id1)
	fail = false
	id2 := s.RequestNow()
	r2, _ := s.Wait(ctx, id2)
	cancel()
	if r1.Status != StatusFailed || r1.Response != "reload failed\n[ALERT] boom" || r2.Status != StatusSucceeded {
		t.Fatalf("records %+v %+v", r1, r2)
	}
	s2, err := NewScheduler(run, SchedulerOptions{HistoryFile: hist})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Get(id1); err != nil || got.Status != StatusFailed {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if id := s2.Request(); id == id1 || id == id2 {
		t.Fatalf("id %s reused after restart", id)
	}
	if _, err := s2.Get("2000-01-01-1"); !errors.Is(err, ErrUnknownReload) {
		t.Fatalf("unknown id: %v", err)
	}
	// A damaged history does not stop the start.
	os.WriteFile(hist, []byte("{"), 0o600)
	if _, err := NewScheduler(run, SchedulerOptions{HistoryFile: hist}); err != nil {
		t.Fatalf("damaged history: %v", err)
	}
}

func TestCheckerMessages(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.cfg")
	bad := filepath.Join(dir, "bad.cfg")
	os.WriteFile(good, []byte("defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:9\n"), 0o644)
	os.WriteFile(bad, []byte("global\n    frobnicate 1\n"), 0o644)
	c := &Checker{}
	if _, err := c.Check(context.Background(), good, good); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	_, err := c.Check(context.Background(), bad, "/etc/haproxy/haproxy.cfg")
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrValidation) {
		t.Fatalf("invalid file: %v", err)
	}
	if !regexp.MustCompile(`\[ALERT\] : config : parsing \[/etc/haproxy/haproxy.cfg:2\] : unknown keyword 'frobnicate'`).MatchString(ve.Messages) {
		t.Fatalf("messages do not name the file as the user knows it, or keep PIDs: %q", ve.Messages)
	}
}

// TestSchedulerOutcomeEach: a reload's run may give some requests an
// outcome of their own (a coalesced reload tried change by change).
func TestSchedulerOutcomeEach(t *testing.T) {
	var s *Scheduler
	release := make(chan struct{})
	var got []string
	s, _ = NewScheduler(func(ctx context.Context, ids []string) Outcome {
		<-release
		got = ids
		return Outcome{Response: "both fine", Each: map[string]Outcome{ids[1]: {Err: errors.New("this one broke it")}}}
	}, SchedulerOptions{Delay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b, c := s.Request(), s.Request(), s.Request()
	go s.Run(ctx)
	close(release)
	want := map[string]string{a: StatusSucceeded, b: StatusFailed, c: StatusSucceeded}
	for id, st := range want {
		rec, err := s.Wait(ctx, id)
		if err != nil || rec.Status != st {
			t.Fatalf("request %s: %+v %v, want %s", id, rec, err, st)
		}
	}
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Fatalf("run got ids %v, want %v", got, []string{a, b, c})
	}
	if rec, _ := s.Get(b); rec.Response != "this one broke it" {
		t.Fatalf("b's response %q", rec.Response)
	}
}

// TestSchedulerClaim: a request the running reload claims (its change is
// already in the file being reloaded) gets that reload's outcome; a
// waiter on it is not left behind, and the unclaimed request still runs.
func TestSchedulerClaim(t *testing.T) {
	var s *Scheduler
	started := make(chan []string, 4)
	release := make(chan struct{})
	var calls atomic.Int32
	s, _ = NewScheduler(func(ctx context.Context, ids []string) Outcome {
		n := calls.Add(1)
		started <- ids
		if n == 1 {
			<-release
			return Outcome{Err: errors.New("first reload failed")}
		}
		return Outcome{Response: "second fine"}
	}, SchedulerOptions{Delay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := s.RequestNow()
	go s.Run(ctx)
	<-started
	b, c := s.Request(), s.RequestNow()
	claimed := make(chan Record, 1)
	go func() { r, _ := s.Wait(ctx, b); claimed <- r }()
	s.Claim([]string{b})
	close(release)
	if r := <-claimed; r.ID != b || r.Status != StatusFailed || r.Response != "first reload failed" {
		t.Fatalf("claimed request %+v, want the first reload's failure", r)
	}
	if r, _ := s.Wait(ctx, a); r.Status != StatusFailed {
		t.Fatalf("a: %+v", r)
	}
	if r, _ := s.Wait(ctx, c); r.Status != StatusSucceeded {
		t.Fatalf("the unclaimed request %+v, want its own reload", r)
	}
	if ids := <-started; len(ids) != 1 || ids[0] != c {
		t.Fatalf("second reload ran for %v, want [%s]", ids, c)
	}
}
