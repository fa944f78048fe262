package reload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The custom strategy runs the user's command once per reload, whatever
// HAProxy shows afterwards, and answers within its deadline. Here HAProxy
// is stood for by a file holding the "PID" of the serving process, which
// the command may change; the real thing is in custom_haproxy_test.go.
func TestCustomStrategyOutcomes(t *testing.T) {
	const timeout = 2 * time.Second
	// What may pass beyond the deadline: the kill grace and the output
	// grace of internal/command, with room for a slow machine.
	const margin = 5 * time.Second
	cases := []struct {
		name    string
		cmd     string // after `echo run >> $COUNT`; $ID is the serving "PID", $PIDS lists what it leaves running
		want    error  // nil, ErrReloadFailed or ErrNotVerified
		message string // in the error
	}{
		{"reloads", `echo new > $ID; echo reloaded`, nil, ""},
		{"exits 0 without reloading", `echo nothing done`, ErrNotVerified, "exited 0 but HAProxy shows no new process"},
		{"exits non-zero", `echo "[ALERT] something"; exit 4`, ErrReloadFailed, "exit status 4"},
		{"sleeps past the deadline", `echo waiting; sleep 30`, ErrNotVerified, "shows no new process"},
		{"reloads, then hangs", `echo new > $ID; sleep 30`, ErrNotVerified, "shows a new process"},
		{"leaves a child holding the output", `echo new > $ID; sleep 30 & echo $! > $PIDS`, nil, ""},
		{"prints 10 MB and fails", `yes "a line of output" | head -c 10000000; exit 1`, ErrReloadFailed, "lines left out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			count, id, pidsFile := filepath.Join(dir, "count"), filepath.Join(dir, "id"), filepath.Join(dir, "pids")
			if err := os.WriteFile(id, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := &CustomStrategy{
				Command: fmt.Sprintf("COUNT=%s; ID=%s; PIDS=%s; echo run >> $COUNT; %s", count, id, pidsFile, c.cmd),
				Timeout: timeout,
				Probe: func(context.Context) (string, error) {
					b, err := os.ReadFile(id)
					return strings.TrimSpace(string(b)), err
				},
			}
			begin := time.Now()
			out, err := s.Reload(context.Background())
			took := time.Since(begin)
			t.Cleanup(func() { killListed(pidsFile) })
			t.Logf("answered in %s; error %d bytes", took.Round(time.Millisecond), len(fmt.Sprint(err)))
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("error %v", err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("error %v, want %v", err, c.want)
			case c.want != nil && !strings.Contains(err.Error(), c.message):
				t.Fatalf("error %q does not say %q", err, c.message)
			}
			if errors.Is(err, ErrNotVerified) && errors.Is(err, ErrReloadFailed) {
				t.Fatalf("both kinds in %v", err)
			}
			if n := len(fmt.Sprint(err)) + len(out); n > 16<<10 {
				t.Fatalf("%d bytes of message and output", n)
			}
			if took > timeout+margin {
				t.Fatalf("answered after %s, deadline %s", took, timeout)
			}
			b, _ := os.ReadFile(count)
			if runs := strings.Count(string(b), "run\n"); runs != 1 {
				t.Fatalf("the command ran %d times", runs)
			}
		})
	}
}

// killListed ends the processes a command left running on purpose and
// listed in file.
func killListed(file string) {
	ps, _ := readPIDs(file)
	for _, p := range ps {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// Without anything to ask HAProxy, the exit status is all there is.
func TestCustomStrategyWithoutProbe(t *testing.T) {
	s := &CustomStrategy{Command: "echo done", Timeout: time.Second}
	if out, err := s.Reload(context.Background()); err != nil || out != "done" {
		t.Fatalf("%q, %v", out, err)
	}
	s.Command = "exit 2"
	if _, err := s.Reload(context.Background()); !errors.Is(err, ErrReloadFailed) {
		t.Fatalf("exit 2: %v", err)
	}
	s.Command = "sleep 30"
	if _, err := s.Reload(context.Background()); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("sleep past the deadline: %v", err)
	}
}

// The command waits for HAProxy to be ready for a reload, and runs anyway
// (once) when it never is.
func TestCustomStrategyWaitsReady(t *testing.T) {
	for _, readyAfter := range []int{3, 1 << 30} {
		count := filepath.Join(t.TempDir(), "count")
		asked := 0
		s := &CustomStrategy{
			Command:   "echo run >> " + count,
			Timeout:   5 * time.Second,
			ReadyWait: 300 * time.Millisecond,
			Ready: func(context.Context) bool {
				asked++
				return asked > readyAfter
			},
		}
		begin := time.Now()
		if _, err := s.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		took := time.Since(begin)
		b, _ := os.ReadFile(count)
		if runs := strings.Count(string(b), "run\n"); runs != 1 {
			t.Fatalf("ready after %d: the command ran %d times", readyAfter, runs)
		}
		if readyAfter == 3 && asked != 4 {
			t.Fatalf("Ready asked %d times, want 4", asked)
		}
		if readyAfter > 3 && took < s.ReadyWait {
			t.Fatalf("never ready: ran after %s, before the %s wait", took, s.ReadyWait)
		}
	}
}
