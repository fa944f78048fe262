// Package command runs the commands dataplane does not control (the
// user's reload and restart commands, and HAProxy itself when it starts a
// new process) so that none of them can hang dataplane or flood it:
//
//   - the command runs in its own process group, and at its deadline the
//     whole group is killed (SIGTERM, then SIGKILL), not only the shell
//     (exec.CommandContext kills only the process it started, so `sh -c
//     'sleep 60; ...'` would leave the sleep running and holding the
//     output);
//   - once the command exits, a process it left behind that still holds
//     the output is not waited for beyond a short grace, and is not killed:
//     it may be the HAProxy the command started;
//   - the output kept is bounded: the first and the last lines, and how
//     many were left out between them.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"dataplane/internal/fault"
)

// Defaults of Options.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultKillGrace   = time.Second
	DefaultOutputGrace = time.Second
	DefaultHeadLines   = 20
	DefaultTailLines   = 20
	DefaultMaxOutput   = 8 << 10
)

// ErrTimedOut marks a command killed because its deadline passed.
var ErrTimedOut = fault.Sentinel(fault.Timeout, "deadline passed")

// Options says how a command runs. The zero value is usable.
type Options struct {
	Dir string   // working directory; "" = dataplane's
	Env []string // environment; nil = dataplane's
	// Timeout is the deadline of the command, counted from its start
	// (the context may end it sooner); 0 means DefaultTimeout.
	Timeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL to the process
	// group at the deadline; 0 means DefaultKillGrace.
	KillGrace time.Duration
	// OutputGrace is how long the output is still read after the command
	// exited, while a process it left behind holds it; 0 means
	// DefaultOutputGrace.
	OutputGrace time.Duration
	// HeadLines and TailLines are how many of the first and of the last
	// lines are kept; 0 means 20 each. MaxOutput bounds the bytes kept;
	// 0 means 8 KiB.
	HeadLines, TailLines, MaxOutput int
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Timeout, DefaultTimeout)
	def(&o.KillGrace, DefaultKillGrace)
	def(&o.OutputGrace, DefaultOutputGrace)
	if o.HeadLines <= 0 {
		o.HeadLines = DefaultHeadLines
	}
	if o.TailLines <= 0 {
		o.TailLines = DefaultTailLines
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = DefaultMaxOutput
	}
	return o
}

// Result is what happened to one command.
type Result struct {
	// ExitCode is the exit status; -1 when the command did not start or
	// was ended by a signal.
	ExitCode int
	// Signal names the signal that ended the command, if one did.
	Signal string
	// Killed: the deadline (or the end of the context) came before the
	// command exited, and its process group was killed.
	Killed bool
	// OutputHeld: the command exited, but a process it started still held
	// its output when OutputGrace passed. That process was left running.
	OutputHeld bool
	// Output is stdout and stderr interleaved, bounded: the first and the
	// last lines, with "... N lines left out ..." between them.
	Output string
	// LeftOut counts the lines Output leaves out.
	LeftOut int
	// Duration is from the start to the exit (or the kill), plus the
	// output grace when it was needed.
	Duration time.Duration
	// PID is the command's process ID, and the ID of its process group;
	// 0 when it did not start.
	PID int
}

// ExitError is a command that exited with a status other than 0, or was
// ended by a signal it was not sent by us.
type ExitError struct {
	Code   int
	Signal string
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return "ended by signal " + e.Signal
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Shell runs script through `/bin/sh -c`, as users write their commands.
func Shell(ctx context.Context, script string, o Options) (Result, error) {
	return Run(ctx, "/bin/sh", []string{"-c", script}, o)
}

// Run runs name with args. The error is nil when the command exited 0
// before its deadline; otherwise it is an *ExitError, or wraps
// ErrTimedOut (or the context's error when the context was canceled), or
// says why the command could not start. The Result is filled in every
// case.
func Run(ctx context.Context, name string, args []string, o Options) (Result, error) {
	o = o.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res := Result{ExitCode: -1}
	out := newCapture(o.HeadLines, o.TailLines, o.MaxOutput)

	// Our own pipe rather than exec's: exec.Cmd.WaitDelay would also end
	// the wait for a process that holds the output, but the deadline must
	// stop applying the moment the command exits (what holds the pipe
	// then is a process the command meant to leave running), and only
	// with the pipe in our hands do we see that moment apart from the end
	// of the output.
	pr, pw, err := os.Pipe()
	if err != nil {
		return res, fmt.Errorf("run %s: output pipe: %w", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = o.Dir
	cmd.Env = o.Env
	cmd.Stdout, cmd.Stderr = pw, pw // an *os.File: handed to the child as is
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	err = cmd.Start()
	pw.Close() // the children hold the write end now; EOF when they all close it
	if err != nil {
		pr.Close()
		return res, fmt.Errorf("run %s: %w", name, err)
	}
	res.PID = cmd.Process.Pid
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, pr) // ends at EOF, or when pr is closed below
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var werr error
	select {
	case werr = <-exited:
	case <-ctx.Done():
		select {
		case werr = <-exited: // it exited at the deadline: in time
		default:
			res.Killed = true
			killGroup(cmd.Process.Pid, o.KillGrace)
			werr = <-exited
		}
	}
	// The output: what the command wrote is in the pipe already; a process
	// it left behind may keep the pipe open for ever.
	grace := time.NewTimer(o.OutputGrace)
	select {
	case <-copied:
	case <-grace.C:
		res.OutputHeld = true
		pr.Close() // unblocks the copy; the holder gets EPIPE if it writes
		<-copied
	}
	grace.Stop()
	pr.Close()
	res.Duration = time.Since(start)
	res.Output, res.LeftOut = out.result()

	var exit *exec.ExitError
	switch {
	case werr == nil:
		res.ExitCode = 0
	case errors.As(werr, &exit):
		res.ExitCode = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = ws.Signal().String()
		}
	default:
		return res, fmt.Errorf("run %s: wait: %w", name, werr)
	}
	switch {
	case res.Killed && errors.Is(ctx.Err(), context.DeadlineExceeded):
		dl, _ := ctx.Deadline()
		return res, fmt.Errorf("%w: still running %s after its start, killed with the processes it started", ErrTimedOut, dl.Sub(start).Round(time.Millisecond))
	case res.Killed:
		return res, fmt.Errorf("%w: killed with the processes it started", ctx.Err())
	case res.ExitCode != 0:
		return res, &ExitError{Code: res.ExitCode, Signal: res.Signal}
	}
	return res, nil
}

// killGroup sends SIGTERM to the process group pgid, and SIGKILL when
// something in it is still there after grace. Members that put themselves
// in another group or session (a daemon) are not reached: they were meant
// to outlive the command.
func killGroup(pgid int, grace time.Duration) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		// ESRCH: no process left in the group. A member that exited but
		// was not reaped yet still counts, so this may wait the whole
		// grace and send a SIGKILL that changes nothing.
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}
