package reload

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"dataplane/internal/command"
)

// Keeper knows whether HAProxy runs and starts it again when it is gone:
// its master was killed, or exited on a configuration the host could not
// run (a chroot that vanished), and every worker went with it. Nothing
// else would bring the data plane back, and until something does, every
// reload fails and every rollback would claim an HAProxy that is not
// there.
//
// It starts HAProxy with restart_cmd when one is set (a service
// manager's command keeps HAProxy in its care), else with the command
// line, working directory and environment the master had, as last seen in
// /proc while it ran.
type Keeper struct {
	Finder *Finder
	// Command is restart_cmd ("" = start the recorded command line).
	Command string
	// Ready reports whether a started HAProxy serves (its master CLI
	// shows a worker, or its stats socket answers): nil when it does.
	Ready func(ctx context.Context) error
	// Timeout bounds one start, command and wait included; 0 means 60 s.
	Timeout time.Duration
	// Log is the file a started master's output is appended to; HAProxy
	// says there why it could not start.
	Log string
	// NoStart, when set, says why dataplane must not start HAProxy
	// itself: restart_when_down is off, or dataplane runs under HAProxy's
	// master (a `program` section), where a master it started would start
	// another dataplane beside this one. It then only reports.
	NoStart string

	mu sync.Mutex
	st KeeperStatus
	// misses counts consecutive looks that found no HAProxy.
	misses int
	// nextStart is when the watch may start HAProxy again after a
	// failed start (doubling waits, so a file HAProxy cannot run does
	// not make it crash-loop).
	nextStart time.Time
	failures  int
}

// KeeperStatus is what the Keeper knows, for /health and /info.
type KeeperStatus struct {
	// Down: HAProxy was seen running and is gone now.
	Down bool `json:"down"`
	// Reason says what is gone, while down.
	Reason string `json:"reason,omitempty"`
	// Since is when it was found gone (unix seconds), while down.
	Since int64 `json:"since,omitempty"`
	// Starts counts the times dataplane started HAProxy again.
	Starts int `json:"starts,omitempty"`
	// LastStartError is why the last start failed, "" when it worked.
	LastStartError string `json:"last_start_error,omitempty"`
}

// Status returns what the Keeper knows.
func (k *Keeper) Status() KeeperStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.st
}

// Gone looks for HAProxy now and returns why it is not running, "" when it
// runs or was never seen (an HAProxy dataplane never found may be one it
// cannot see: it is not declared gone).
func (k *Keeper) Gone(ctx context.Context) string {
	if _, ok := k.Finder.Find(ctx); ok {
		return ""
	}
	last, seen := k.Finder.Last()
	if !seen {
		return ""
	}
	return fmt.Sprintf("HAProxy's process %d (%s) is gone", last.PID, strings.Join(last.Argv, " "))
}

// Look is one step of the watch: it looks for HAProxy and updates the
// status. Two looks in a row must miss it before it is declared down (a
// standalone reload replaces the process). It reports whether a start is
// due: HAProxy is down and the wait after the last failed start is over.
func (k *Keeper) Look(ctx context.Context, now time.Time) (startDue bool) {
	why := k.Gone(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	if why == "" {
		k.misses = 0
		k.st.Down, k.st.Reason, k.st.Since = false, "", 0
		return false
	}
	k.misses++
	if k.misses < 2 {
		return false
	}
	if !k.st.Down {
		k.st.Down, k.st.Reason, k.st.Since = true, why, now.Unix()
	}
	return !now.Before(k.nextStart)
}

// startWaits are the waits between failed starts.
const (
	firstStartWait = 2 * time.Second
	maxStartWait   = time.Minute
)

// Start starts HAProxy with the live configuration file and waits until
// it serves. It returns what the start printed, and an error wrapping
// ErrReloadFailed when HAProxy does not serve within Timeout.
func (k *Keeper) Start(ctx context.Context) (string, error) {
	out, err := k.start(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.failures++
		wait := maxStartWait
		if k.failures < 10 && firstStartWait<<(k.failures-1) < maxStartWait {
			wait = firstStartWait << (k.failures - 1)
		}
		k.nextStart = time.Now().Add(wait)
		k.st.LastStartError = err.Error()
		return out, err
	}
	k.failures, k.misses = 0, 0
	k.nextStart = time.Time{}
	k.st.Starts++
	k.st.Down, k.st.Reason, k.st.Since, k.st.LastStartError = false, "", 0, ""
	return out, nil
}

func (k *Keeper) start(ctx context.Context) (string, error) {
	timeout := k.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if k.NoStart != "" {
		return "", fmt.Errorf("%s: start HAProxy again yourself: %w", k.NoStart, ErrReloadFailed)
	}
	logStart := fileSize(k.Log)
	var exited <-chan error
	how := ""
	if k.Command != "" {
		how = fmt.Sprintf("restart command %q", k.Command)
		res, err := command.Shell(ctx, k.Command, command.Options{Timeout: timeout, Env: cleanEnv(os.Environ())})
		if err != nil {
			return res.Output, fmt.Errorf("%s: %v: %w%s", how, err, ErrReloadFailed, outputSuffix(res.Output))
		}
	} else {
		inv, ok := k.Finder.Last()
		if !ok || len(inv.Argv) == 0 {
			return "", fmt.Errorf("no restart_cmd, and HAProxy's command line was never seen: cannot start it: %w", ErrReloadFailed)
		}
		argv := restartArgv(inv.Argv)
		how = fmt.Sprintf("%q", strings.Join(argv, " "))
		ch, err := startDetached(argv, inv, k.Log)
		if err != nil {
			return "", fmt.Errorf("start HAProxy with %s: %v: %w", how, err, ErrReloadFailed)
		}
		exited = ch
	}
	for {
		if err := k.Ready(ctx); err == nil {
			pid := ""
			if inv, ok := k.Finder.Find(ctx); ok {
				pid = fmt.Sprintf(" (pid %d)", inv.PID)
			}
			return "started HAProxy" + pid + " with " + how, nil
		}
		select {
		case err := <-exited:
			// A daemonizing master's parent exits 0 at once; anything
			// else that exits before serving failed.
			if err == nil {
				exited = nil
				continue
			}
			msgs := newLogLines(k.Log, logStart)
			return msgs, fmt.Errorf("HAProxy started with %s exited: %v: %w%s", how, err, ErrReloadFailed, outputSuffix(msgs))
		case <-ctx.Done():
			msgs := newLogLines(k.Log, logStart)
			return msgs, fmt.Errorf("HAProxy started with %s does not serve after %s: %w%s", how, timeout, ErrReloadFailed, outputSuffix(msgs))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func outputSuffix(out string) string {
	if out = strings.TrimSpace(out); out == "" {
		return ""
	}
	return "; its output:\n" + out
}

// restartArgv is a recorded HAProxy command line without what belonged to
// the moment it was run: the PIDs to replace (-sf/-st) and the socket to
// take listeners from (-x), which are gone with the old process.
func restartArgv(argv []string) []string {
	out := []string{argv[0]}
	for i := 1; i < len(argv); i++ {
		switch a := argv[i]; {
		case a == "--":
			return append(out, argv[i:]...)
		case a == "-sf" || a == "-st":
			for i+1 < len(argv) && isNumber(argv[i+1]) {
				i++
			}
		case a == "-x" && i+1 < len(argv):
			i++
		default:
			out = append(out, a)
		}
	}
	return out
}

// startDetached starts argv where and as the recorded process ran, in its
// own session (it must outlive dataplane and not get its signals), its
// output appended to logPath. The channel gets the process's exit.
func startDetached(argv []string, inv Invocation, logPath string) (<-chan error, error) {
	bin := argv[0]
	if !strings.Contains(bin, "/") {
		p, err := exec.LookPath(bin)
		if err != nil {
			return nil, err
		}
		bin = p
	} else if !filepath.IsAbs(bin) && inv.Cwd != "" {
		bin = filepath.Join(inv.Cwd, bin)
	}
	cmd := &exec.Cmd{Path: bin, Args: argv, Dir: inv.Cwd}
	if inv.Env != nil {
		cmd.Env = cleanEnv(inv.Env)
	} else {
		cmd.Env = cleanEnv(os.Environ())
	}
	var logf *os.File
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open %s for HAProxy's output: %w", logPath, err)
		}
		logf = f
		cmd.Stdout, cmd.Stderr = f, f
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		if logf != nil {
			logf.Close()
		}
		return nil, err
	}
	if logf != nil {
		// The child has its own copy of the descriptor.
		logf.Close()
	}
	ch := make(chan error, 1)
	// Waiting reaps the process when it exits, so a dead master is not
	// mistaken for a live one (a zombie keeps its PID).
	go func() { ch <- cmd.Wait() }()
	return ch, nil
}

// Watch looks for HAProxy every interval until ctx ends, and calls start
// (which should schedule a start through the reload path, so it is
// serialized with reloads) when HAProxy is down and a start is due. busy
// tells whether a reload is running or pending: its own checks then
// decide, and the watch waits.
func (k *Keeper) Watch(ctx context.Context, interval time.Duration, busy func() bool, start func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if busy() {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, interval)
		due := k.Look(lctx, time.Now())
		cancel()
		if due && start != nil && !busy() {
			start()
		}
	}
}
