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

func TestSchedulerCoalesces(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	s, err := NewScheduler(func(ctx context.Context) (string, error) {
		runs.Add(1)
		<-release
		return "ok", nil
	}, SchedulerOptions{Delay: 0})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)

	first := s.Request()
	// Wait until the first reload is running; changes arriving now share
	// the next one.
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	ids := map[string]bool{}
	for i := 0; i < 10; i++ {
		ids[s.Request()] = true
	}
	if len(ids) != 1 || ids[first] {
		t.Fatalf("requests during a running reload got ids %v (first %s), want one new shared id", ids, first)
	}
	close(release)
	var second string
	for id := range ids {
		second = id
	}
	rec, err := s.Wait(ctx, second)
	if err != nil || rec.Status != StatusSucceeded || rec.Changes != 10 {
		t.Fatalf("second reload %+v %v", rec, err)
	}
	if n := runs.Load(); n != 2 {
		t.Fatalf("%d reloads for 11 requests, want 2", n)
	}
	if ok, _ := regexp.MatchString(`^\d{4}-\d{2}-\d{2}-\d+$`, second); !ok {
		t.Fatalf("id %q", second)
	}
}

func TestSchedulerDelayBoundsRate(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	s, _ := NewScheduler(func(ctx context.Context) (string, error) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		return "", nil
	}, SchedulerOptions{Delay: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	end := time.Now().Add(time.Second)
	var last string
	for time.Now().Before(end) {
		last = s.Request()
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.Wait(ctx, last); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]time.Time(nil), starts...)
	mu.Unlock()
	if len(got) > 7 {
		t.Fatalf("%d reloads in ~1 s with a 200 ms delay", len(got))
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].Sub(got[i-1]); gap < 190*time.Millisecond {
			t.Fatalf("two reloads %s apart, delay is 200 ms", gap)
		}
	}
	// An urgent request (force_reload) does not wait for the delay.
	began := time.Now()
	id := s.RequestNow()
	if _, err := s.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 150*time.Millisecond {
		t.Fatalf("urgent reload waited %s", took)
	}
}

func TestSchedulerHistory(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "reloads.json")
	fail := true
	run := func(ctx context.Context) (string, error) {
		if fail {
			return "[ALERT] boom", errors.New("reload failed")
		}
		return "fine", nil
	}
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
