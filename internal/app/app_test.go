package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dataplane/internal/cfggen"
	"dataplane/internal/settings"
)

// TestStartupOrder: New neither loads the contract nor looks for the
// running HAProxy; until Run's
// first look is over, the check's flags wait for it (a commit then never
// runs haproxy -c without them); Ready says when the contract is loaded
// and the look is over.
func TestStartupOrder(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, cfggen.Generate(2, cfggen.Options{StatsSocket: filepath.Join(dir, "stats.sock")}), 0o644); err != nil {
		t.Fatal(err)
	}
	st := settings.Defaults()
	st.HAProxy.ConfigFile = cfg
	st.HAProxy.Reload.ReloadStrategy = settings.StrategyCustom
	st.HAProxy.Reload.ReloadCmd = "true"
	st.API.Transaction.TransactionDir = filepath.Join(dir, "tx")
	st.API.Users = []settings.User{{Name: "admin", Password: "adminpwd", Insecure: true}}
	a, err := New(context.Background(), st, slog.New(slog.DiscardHandler), Build{})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, ok := a.invocation(short); ok || !errors.Is(short.Err(), context.DeadlineExceeded) {
		t.Fatal("the check's flags did not wait for the first look for HAProxy")
	}
	if err := a.Ready(short); err == nil {
		t.Fatal("ready before Run")
	}
	select {
	case <-a.found:
		t.Fatal("New looked for HAProxy")
	case <-a.contract.Done():
		t.Fatal("the contract loaded before Run, competing with New")
	default:
	}

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	if err := a.Ready(rctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Spec(rctx); err != nil {
		t.Fatal(err)
	}
	// No HAProxy runs here: the look is over, and found nothing.
	if _, ok := a.invocation(rctx); ok || rctx.Err() != nil {
		t.Fatalf("running: found %v, context %v", ok, rctx.Err())
	}
}
