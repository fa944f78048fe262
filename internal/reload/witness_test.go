package reload

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"dataplane/internal/runtime"
)

// TestWitnessNoticesMasterGone: while waiting for a reload's new worker, a
// master that stopped answering is waited for (it re-executes itself)
// unless its process is gone: then the reload fails at once instead of at
// its deadline (60 s by default), which held every write back.
func TestWitnessNoticesMasterGone(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	w := procWitness{
		master: runtime.NewMaster(filepath.Join(t.TempDir(), "no-master.sock")),
		before: runtime.Proc{Master: runtime.Process{PID: dead.Process.Pid}},
	}
	done, _, err := w.look(context.Background())
	if !done || !errors.Is(err, ErrReloadFailed) {
		t.Fatalf("master gone: done=%v err=%v; want done with ErrReloadFailed", done, err)
	}
	// A master that does not answer but still exists is waited for.
	alive := exec.Command("sleep", "30")
	if err := alive.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = alive.Process.Kill(); _ = alive.Wait() }()
	w.before.Master.PID = alive.Process.Pid
	if done, _, err := w.look(context.Background()); done || err != nil {
		t.Fatalf("master re-executing: done=%v err=%v; want not done yet", done, err)
	}
}

// TestCheckTimeoutFollowsTheFile: the bound of one haproxy -c grows with
// the file, from 10 s.
func TestCheckTimeoutFollowsTheFile(t *testing.T) {
	if d := checkTimeout(filepath.Join(t.TempDir(), "missing")); d.Seconds() != 10 {
		t.Errorf("no file: %s", d)
	}
}
