package reload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"dataplane/internal/command"
	"dataplane/internal/fault"
	"dataplane/internal/runtime"
)

// ErrReloadFailed marks a reload after which HAProxy did not run the new
// configuration.
var ErrReloadFailed = fault.Sentinel(fault.Invalid, "reload failed")

// Strategy reloads HAProxy and checks that the new configuration runs.
type Strategy interface {
	// Name is "master", "standalone" or "custom".
	Name() string
	// Reload returns what HAProxy said, and an error wrapping
	// ErrReloadFailed when the new configuration is not running.
	Reload(ctx context.Context) (string, error)
}

// MasterStrategy reloads a master-worker HAProxy through its master CLI.
// HAProxy 2.6 answers nothing to `reload`, so the outcome is read from
// `show proc`: the master's reload counter goes up, its failed counter is 0
// and the current worker has a new PID.
type MasterStrategy struct {
	Master *runtime.Master
	// Timeout bounds the wait for the new worker; 0 means 60 s (a
	// 10,000-backend configuration takes about half a second).
	Timeout time.Duration
	// Poll is the interval between two `show proc`; 0 means 25 ms.
	Poll time.Duration
	// Log, when set, is the file the master's stderr goes to. HAProxy 2.6
	// reports why a reload failed only there (the master CLI says nothing),
	// so its new lines are read back into the failure message.
	Log string
}

// Name implements Strategy.
func (s *MasterStrategy) Name() string { return "master" }

// Reload implements Strategy.
func (s *MasterStrategy) Reload(ctx context.Context) (string, error) {
	timeout, poll := s.Timeout, s.Poll
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if poll == 0 {
		poll = 25 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	before, err := s.Master.ShowProc(ctx)
	if err != nil {
		return "", fmt.Errorf("master reload: read show proc before: %w", err)
	}
	w := procWitness{master: s.Master, log: s.Log, before: before, logStart: fileSize(s.Log)}
	if err := s.Master.Reload(ctx); err != nil {
		return "", fmt.Errorf("master reload: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("master reload: no new worker after %s: %w", timeout, ErrNotVerified)
		case <-time.After(poll):
		}
		done, summary, err := w.look(ctx)
		if err != nil {
			return summary, fmt.Errorf("master reload: %w", err)
		}
		if done {
			return summary, nil
		}
	}
}

// procWitness reads the outcome of a reload from the master's `show proc`:
// the reload counter goes up, the failed counter is 0 and the current
// worker has a new PID.
type procWitness struct {
	master   *runtime.Master
	log      string // the master's stderr, for the reasons of a failure
	before   runtime.Proc
	logStart int64
}

// look reports whether the reload is over: done with HAProxy's summary,
// or an error wrapping ErrReloadFailed when the master counted a failed
// reload. Not done (and no error) means: look again later.
func (w *procWitness) look(ctx context.Context) (done bool, summary string, err error) {
	// The master re-executes itself on reload and refuses connections
	// for a moment: an error here means "not yet", unless the master
	// process is gone (it keeps its PID across re-executions): then no
	// new worker will come, and waiting out the deadline would only hold
	// every write back.
	now, err := w.master.ShowProc(ctx)
	if err != nil {
		if pid := w.before.Master.PID; pid > 0 && !processAlive(pid) {
			return true, "", fmt.Errorf("HAProxy's master (pid %d) is gone: nothing runs HAProxy now: %w", pid, ErrReloadFailed)
		}
		return false, "", nil
	}
	if now.Master.Reloads <= w.before.Master.Reloads {
		return false, "", nil
	}
	if now.Master.Failed > 0 {
		msgs := newLogLines(w.log, w.logStart)
		why := ""
		if msgs != "" {
			why = ": " + msgs
		}
		return true, strings.TrimSpace(msgs + "\n" + procSummary(now)), fmt.Errorf("HAProxy could not start the new configuration (show proc: %d reloads, %d failed since the last success); the previous worker keeps serving%s: %w",
			now.Master.Reloads, now.Master.Failed, why, ErrReloadFailed)
	}
	old := pids(w.before.Workers)
	for _, p := range now.Workers {
		if !slices.Contains(old, p.PID) {
			return true, procSummary(now), nil
		}
	}
	return false, "", nil
}

// newLogLines returns HAProxy's [ALERT] and [WARNING] lines written to the
// master's log (path) since offset.
func newLogLines(path string, offset int64) string {
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	var out []string
	for _, l := range strings.Split(cleanMessages(string(b), "", ""), "\n") {
		if strings.HasPrefix(l, "[ALERT]") || strings.HasPrefix(l, "[WARNING]") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func pids(ps []runtime.Process) []int {
	out := make([]int, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.PID)
	}
	return out
}

func procSummary(p runtime.Proc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "master %d: %d reloads, %d failed", p.Master.PID, p.Master.Reloads, p.Master.Failed)
	for _, w := range p.Workers {
		fmt.Fprintf(&b, "; worker %d", w.PID)
	}
	for _, w := range p.OldWorkers {
		fmt.Fprintf(&b, "; old worker %d", w.PID)
	}
	return b.String()
}

// CustomStrategy runs the user's reload command, once per reload, and
// judges the outcome by what HAProxy shows afterwards. The command is not
// run again when no new process shows up: a user's command is not
// idempotent (an init script run twice starts a second HAProxy).
type CustomStrategy struct {
	Command string
	// Timeout bounds the whole reload: the command (killed with what it
	// started when it runs past it) and the wait for HAProxy's new
	// process. 0 means 60 s.
	Timeout time.Duration
	Dir     string // working directory of the command
	// Master, when set, is asked `show proc` before and after, as the
	// master strategy does: a new worker, or a failed reload.
	Master *runtime.Master
	// Log is the master's stderr, as MasterStrategy.Log; used with Master.
	Log string
	// Probe, when Master is nil, returns an identity of the serving
	// process (e.g. its PID from `show info`); the reload succeeded when
	// it changes.
	Probe func(ctx context.Context) (string, error)
	// Poll is the interval between two looks at HAProxy; 0 means 25 ms.
	Poll time.Duration
	// Ready, when set, tells whether HAProxy can take a reload now (see
	// SignalReady: a master re-executing itself loses a SIGUSR2). The
	// command waits for it, at most ReadyWait, and then runs anyway.
	Ready func(ctx context.Context) bool
	// ReadyWait bounds the wait for Ready; 0 means 5 s.
	ReadyWait time.Duration
}

// Name implements Strategy.
func (s *CustomStrategy) Name() string { return "custom" }

// waitReady waits until Ready says yes, ReadyWait has passed, or ctx ends.
func (s *CustomStrategy) waitReady(ctx context.Context) {
	if s.Ready == nil {
		return
	}
	wait := s.ReadyWait
	if wait == 0 {
		wait = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for !s.Ready(ctx) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Reload implements Strategy. The outcomes:
//   - the command exits 0 and a new process shows up: success;
//   - the command exits 0 and HAProxy shows no new process within Timeout
//     (a signal HAProxy merged with a reload it was finishing, a command
//     that does nothing): ErrNotVerified, the file is kept and the next
//     change reloads again;
//   - the master counted a failed reload: ErrReloadFailed;
//   - the command exits non-zero: ErrReloadFailed;
//   - the command runs past Timeout: it is killed with what it started,
//     and ErrNotVerified (it may have reloaded HAProxy before hanging).
//
// Every message carries the command's output, bounded.
func (s *CustomStrategy) Reload(ctx context.Context) (string, error) {
	timeout, poll := s.Timeout, s.Poll
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if poll == 0 {
		poll = 25 * time.Millisecond
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Run once, so run when HAProxy can take it: a reload signalled while
	// HAProxy is still finishing the previous one would be lost.
	s.waitReady(ctx)
	look := s.witness(ctx)
	res, err := command.Shell(ctx, s.Command, command.Options{Timeout: timeout, Dir: s.Dir, Env: cleanEnv(os.Environ())})
	out := res.Output
	// The output comes last in every message: it may be long (bounded,
	// but up to a few KiB), and the reason must be read first.
	withOut := "; the command printed nothing"
	if out != "" {
		withOut = "; its output:\n" + out
	}
	switch {
	case res.Killed:
		// One look, on the caller's time: the deadline has passed.
		seen := ""
		if look != nil {
			seen = "; HAProxy shows no new process"
			lctx, lcancel := context.WithTimeout(parent, time.Second)
			if done, _, lerr := look(lctx); done && lerr == nil {
				seen = "; HAProxy shows a new process"
			}
			lcancel()
		}
		return out, fmt.Errorf("reload command %q: %v%s: %w%s", s.Command, err, seen, ErrNotVerified, withOut)
	case err != nil:
		return out, fmt.Errorf("reload command %q failed: %v: %w%s", s.Command, err, ErrReloadFailed, withOut)
	case look == nil:
		return out, nil // nothing to ask: the exit status is all there is
	}
	for {
		done, summary, err := look(ctx)
		if err != nil {
			return strings.TrimSpace(out + "\n" + summary), fmt.Errorf("reload command %q exited 0, but %w%s", s.Command, err, withOut)
		}
		if done {
			return strings.TrimSpace(out + "\n" + summary), nil
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("reload command %q exited 0 but HAProxy shows no new process after %s: %w%s", s.Command, timeout, ErrNotVerified, withOut)
		case <-time.After(poll):
		}
	}
}

// witness records what HAProxy runs before the command and returns the
// function that tells whether a new process runs since; nil when there is
// nothing to ask.
func (s *CustomStrategy) witness(ctx context.Context) func(context.Context) (bool, string, error) {
	switch {
	case s.Master != nil:
		// A master that does not answer now (down, or not started yet)
		// counts as zero reloads and no worker: any worker it shows
		// later is new.
		before, err := s.Master.ShowProc(ctx)
		if err != nil {
			before = runtime.Proc{Master: runtime.Process{Reloads: -1}}
		}
		w := &procWitness{master: s.Master, log: s.Log, before: before, logStart: fileSize(s.Log)}
		return w.look
	case s.Probe != nil:
		// Not answering before counts as "" : any answer later is new.
		before, _ := s.Probe(ctx)
		return func(ctx context.Context) (bool, string, error) {
			now, err := s.Probe(ctx)
			if err != nil || now == before {
				return false, "", nil
			}
			return true, "new process " + now + " serving", nil
		}
	}
	return nil
}

// ErrNotVerified marks a reload whose outcome could not be established: the
// reload command ran, but no check could confirm or deny that HAProxy runs
// the new configuration. Unlike ErrReloadFailed it does not mean HAProxy
// refused it, so the caller must not put the old file back.
var ErrNotVerified = errors.New("reload not verified")

// processAlive reports whether a process exists (EPERM: it does, owned by
// another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
