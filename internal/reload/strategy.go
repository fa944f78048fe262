package reload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

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
	logStart := fileSize(s.Log)
	if err := s.Master.Reload(ctx); err != nil {
		return "", fmt.Errorf("master reload: %w", err)
	}
	oldPIDs := pids(before.Workers)
	for {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("master reload: no new worker after %s: %w", timeout, ErrNotVerified)
		case <-time.After(poll):
		}
		// The master re-executes itself on reload and refuses connections
		// for a moment: errors here are retried until the deadline.
		now, err := s.Master.ShowProc(ctx)
		if err != nil || now.Master.Reloads <= before.Master.Reloads {
			continue
		}
		if now.Master.Failed > 0 {
			msgs := s.newLogLines(logStart)
			why := ""
			if msgs != "" {
				why = ": " + msgs
			}
			return strings.TrimSpace(msgs + "\n" + procSummary(now)), fmt.Errorf("master reload: HAProxy could not start the new configuration (show proc: %d reloads, %d failed since the last success); the previous worker keeps serving%s: %w",
				now.Master.Reloads, now.Master.Failed, why, ErrReloadFailed)
		}
		for _, w := range now.Workers {
			if !slices.Contains(oldPIDs, w.PID) {
				return procSummary(now), nil
			}
		}
	}
}

// newLogLines returns HAProxy's [ALERT] and [WARNING] lines written to the
// master's log since offset.
func (s *MasterStrategy) newLogLines(offset int64) string {
	if s.Log == "" {
		return ""
	}
	f, err := os.Open(s.Log)
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

// CustomStrategy runs the user's reload command through /bin/sh -c and
// checks its exit status. When Probe is set it also checks that HAProxy
// answers afterwards with a process that was not there before.
type CustomStrategy struct {
	Command string
	Timeout time.Duration // 0 means 60 s
	// Probe, when not nil, returns an identity of the serving process
	// (e.g. its PID from `show info`); the reload succeeded only if it
	// changes within Timeout.
	Probe func(ctx context.Context) (string, error)
}

// Name implements Strategy.
func (s *CustomStrategy) Name() string { return "custom" }

// Reload implements Strategy. A command that exits 0 without a new
// process showing up (a signal-based command can be merged by HAProxy with
// the previous reload, which it may still be finishing) is run again, up
// to three times.
func (s *CustomStrategy) Reload(ctx context.Context) (string, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var before string
	if s.Probe != nil {
		before, _ = s.Probe(ctx)
	}
	var outputs []string
	for attempt := 1; attempt <= 3; attempt++ {
		text, err := s.run(ctx)
		if text != "" {
			outputs = append(outputs, text)
		}
		out := strings.Join(outputs, "\n")
		if err != nil {
			return out, fmt.Errorf("reload command %q: %v: %w", s.Command, err, ErrReloadFailed)
		}
		if s.Probe == nil {
			return out, nil
		}
		// Wait for a new process; a signal HAProxy merged with the
		// previous reload is found out within a few seconds.
		wait, stop := context.WithTimeout(ctx, min(timeout/3, 3*time.Second))
		for {
			now, err := s.Probe(wait)
			if err == nil && now != before {
				stop()
				return out, nil
			}
			select {
			case <-wait.Done():
			case <-time.After(25 * time.Millisecond):
				continue
			}
			break
		}
		stop()
		if ctx.Err() != nil {
			break
		}
	}
	return strings.Join(outputs, "\n"), fmt.Errorf("reload command %q exited 0 but HAProxy shows no new process: %w", s.Command, ErrNotVerified)
}

func (s *CustomStrategy) run(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", s.Command)
	cmd.Env = cleanEnv(cmd.Environ())
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// ErrNotVerified marks a reload whose outcome could not be established: the
// reload command ran, but no check could confirm or deny that HAProxy runs
// the new configuration. Unlike ErrReloadFailed it does not mean HAProxy
// refused it, so the caller must not put the old file back.
var ErrNotVerified = errors.New("reload not verified")
