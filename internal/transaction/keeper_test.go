package transaction_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
	"dataplane/internal/reload"
	"dataplane/internal/transaction"
)

// fakeKeeper plays an HAProxy whose master may be gone.
type fakeKeeper struct {
	mu      sync.Mutex
	gone    string
	live    string   // the live file, read at each start
	started []string // the live file's version line at each start
	startOK bool
}

func (k *fakeKeeper) Gone(context.Context) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.gone
}

func (k *fakeKeeper) Start(context.Context) (string, error) {
	b, _ := os.ReadFile(k.live)
	first, _, _ := strings.Cut(string(b), "\n")
	k.mu.Lock()
	defer k.mu.Unlock()
	k.started = append(k.started, first)
	if !k.startOK {
		return "", fmt.Errorf("cannot start: %w", reload.ErrReloadFailed)
	}
	k.gone = ""
	return "started", nil
}

func (k *fakeKeeper) Status() reload.KeeperStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	return reload.KeeperStatus{Down: k.gone != "", Reason: k.gone}
}

func (k *fakeKeeper) starts() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.started...)
}

// killingStrategy is a reload that takes HAProxy down (a master that
// exits on the new file).
type killingStrategy struct{ k *fakeKeeper }

func (s killingStrategy) Name() string { return "master" }

func (s killingStrategy) Reload(context.Context) (string, error) {
	s.k.mu.Lock()
	s.k.gone = "HAProxy's process 4242 is gone"
	s.k.mu.Unlock()
	return "", fmt.Errorf("the master exited: %w", reload.ErrReloadFailed)
}

// TestRollbackWhenNothingRuns: a reload that kills HAProxy is rolled back
// without claiming that HAProxy "still runs" the old file; the restored
// file is then started by a reload of its own. A write made while HAProxy
// is down says so, and its reload is a start with the new file.
func TestRollbackWhenNothingRuns(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "haproxy.cfg")
	cfg := "# _version=1\nglobal\n    log stdout format raw local0\ndefaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n"
	if err := os.WriteFile(live, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := transaction.Open(transaction.Options{ConfigFile: live, Checker: &reload.Checker{Bin: haproxytest.Binary(t), Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	k := &fakeKeeper{live: live}
	sched, err := reload.NewScheduler(p.PerformReload, reload.SchedulerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.SetReloader(sched, killingStrategy{k})
	p.SetKeeper(k)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sched.Run(ctx)

	addBackend := func(name string, version int64) (transaction.Result, error) {
		return p.Edit(ctx, transaction.Base{Version: version}, func(d *config.Document) (*config.Document, error) {
			return d.CreateBackend(config.Backend{Name: name})
		}, transaction.CommitOptions{ForceReload: true})
	}
	_, err = addBackend("be_kills", 1)
	if err == nil {
		t.Fatal("a reload that took HAProxy down succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "still runs") || !strings.Contains(msg, "nothing runs HAProxy now") || !strings.Contains(msg, "starts HAProxy with version 1") {
		t.Fatalf("rollback message: %s", msg)
	}
	if b, _ := os.ReadFile(live); strings.Contains(string(b), "be_kills") {
		t.Fatal("the file that took HAProxy down is still live")
	}
	// The start the rollback asked for fails (the fake cannot start), with
	// the restored file.
	waitFor(t, func() bool { return len(k.starts()) == 1 })
	if got := k.starts(); got[0] != "# _version=1" {
		t.Fatalf("started with %q, want the restored version 1", got)
	}
	// A write while down: a note says so, and its reload starts HAProxy
	// with it.
	k.mu.Lock()
	k.startOK = true
	k.mu.Unlock()
	waitFor(t, func() bool { _, busy := sched.Busy(); return !busy })
	res, err := addBackend("be_repair", 1)
	if err != nil {
		t.Fatalf("repair write: %v", err)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "HAProxy is not running (HAProxy's process 4242 is gone)") {
		t.Fatalf("notes of the write while down: %q", res.Notes)
	}
	if got := k.starts(); len(got) != 2 || got[1] != fmt.Sprintf("# _version=%d", res.Version) {
		t.Fatalf("starts %q, want the second with version %d", got, res.Version)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
