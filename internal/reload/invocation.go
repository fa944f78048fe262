package reload

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"dataplane/internal/runtime"
)

// Invocation is how the running HAProxy was started, as far as a check of
// its configuration must repeat it: a file that is valid for `haproxy -W
// -f a.cfg -f conf.d -L node1` may be refused by `haproxy -f a.cfg`
// (a `program` section needs -W, a backend may live in conf.d, a `peers`
// section names the local peer).
type Invocation struct {
	PID          int      // the process the command line was read from
	MasterWorker bool     // -W or -Ws
	Files        []string // -f arguments and the files after "--", in order; files or directories
	LocalPeer    string   // -L
	ChDir        string   // -C

	// How to start it again when it is gone (Keeper): the whole command
	// line, the working directory and the environment it was started
	// with, as far as /proc shows them (nil/"" when unreadable).
	Argv []string
	Cwd  string
	Env  []string
}

// ParseCmdline reads an HAProxy command line (argv, argv[0] included).
// Options that do not change what a check accepts (-D, -p, -S, -sf/-st and
// their PIDs, -x, a master's re-execution arguments, ...) are skipped.
func ParseCmdline(argv []string) Invocation {
	var inv Invocation
	withArg := map[string]bool{"-f": true, "-C": true, "-L": true, "-n": true, "-N": true, "-m": true, "-p": true, "-S": true, "-x": true, "-cc": true}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			inv.Files = append(inv.Files, argv[i+1:]...)
			return inv
		case a == "-W" || a == "-Ws":
			inv.MasterWorker = true
		case a == "-sf" || a == "-st":
			// Followed by the old PIDs, as many as there are.
			for i+1 < len(argv) && isNumber(argv[i+1]) {
				i++
			}
		case withArg[a] && i+1 < len(argv):
			i++
			switch a {
			case "-f":
				inv.Files = append(inv.Files, argv[i])
			case "-C":
				inv.ChDir = argv[i]
			case "-L":
				inv.LocalPeer = argv[i]
			}
		case !strings.HasPrefix(a, "-"):
			// HAProxy takes a stray word as a configuration file too.
			inv.Files = append(inv.Files, a)
		}
	}
	return inv
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// ReadInvocation reads the command line of process pid from /proc and
// makes its relative -f paths absolute when the process's working
// directory can be read. It fails when the process is not an HAProxy
// (its argv[0] is not named like bin, nor contains "haproxy").
func ReadInvocation(pid int, bin string) (Invocation, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return Invocation{}, fmt.Errorf("read the command line of process %d: %w", pid, err)
	}
	argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	name := filepath.Base(argv[0])
	if name != filepath.Base(bin) && !strings.Contains(name, "haproxy") {
		return Invocation{}, fmt.Errorf("process %d is %q, not haproxy", pid, argv[0])
	}
	inv := ParseCmdline(argv)
	inv.PID = pid
	inv.Argv = argv
	if env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); err == nil && len(env) > 0 {
		inv.Env = strings.Split(strings.TrimRight(string(env), "\x00"), "\x00")
	}
	// HAProxy reads relative -f paths after changing to -C, so its
	// current directory is where they resolve (the master stays there).
	// The check runs elsewhere: make them absolute, and -C with them.
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil {
		inv.Cwd = cwd
		for i, f := range inv.Files {
			if !filepath.IsAbs(f) {
				inv.Files[i] = filepath.Join(cwd, f)
			}
		}
		if inv.ChDir != "" {
			inv.ChDir = cwd
		}
	}
	return inv, nil
}

// Finder finds the running HAProxy and reads how it was started, for
// Checker.Running. It looks, in order, at the process it found last time
// (a master keeps its PID across reloads), the master named by the
// master CLI's `show proc`, the first PID of the pid file, dataplane's
// parent when HAProxy's master launched dataplane (a `program` section),
// and the process answering on the stats socket (its parent when that is
// a master: the common custom set-up has neither a master CLI nor a
// pidfile in the configuration).
type Finder struct {
	Master  *runtime.Master // nil when unknown
	PIDFile string          // "" when unknown
	// Parent: dataplane runs under HAProxy's master (HAPROXY_MWORKER or
	// HAPROXY_MASTER_CLI is set in its environment).
	Parent bool
	// Worker, when set, returns the PID answering on the stats socket
	// (`show info`).
	Worker func(ctx context.Context) (int, error)
	Bin    string // haproxy binary, to recognise it in /proc

	mu   sync.Mutex
	last int
	// seen is the last invocation found: how to start HAProxy again
	// once it is gone.
	seen    Invocation
	hasSeen bool
}

// Last returns the last invocation Find found, even when that process is
// gone now.
func (f *Finder) Last() (Invocation, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen, f.hasSeen
}

// Find returns how the running HAProxy was started; false when no
// HAProxy process was found. It reads a few small files and asks the
// master CLI at most once, briefly: it runs before every check.
func (f *Finder) Find(ctx context.Context) (Invocation, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	try := func(pid int) (Invocation, bool) {
		if pid <= 0 {
			return Invocation{}, false
		}
		inv, err := ReadInvocation(pid, f.Bin)
		if err != nil {
			return Invocation{}, false
		}
		f.last = pid
		f.seen, f.hasSeen = inv, true
		return inv, true
	}
	if inv, ok := try(f.last); ok {
		return inv, true
	}
	if f.Master != nil {
		// The master refuses connections for a moment around a reload;
		// the pid file and the parent are the next best.
		mctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		proc, err := f.Master.ShowProc(mctx)
		cancel()
		if err == nil {
			if inv, ok := try(proc.Master.PID); ok {
				return inv, true
			}
		}
	}
	if f.PIDFile != "" {
		if ps, err := readPIDs(f.PIDFile); err == nil && len(ps) > 0 {
			if inv, ok := try(ps[0]); ok {
				return inv, true
			}
		}
	}
	if f.Parent {
		if inv, ok := try(os.Getppid()); ok {
			return inv, true
		}
	}
	if f.Worker != nil {
		wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		pid, err := f.Worker(wctx)
		cancel()
		if err == nil {
			// A worker's parent is its master; a standalone process's
			// parent is not HAProxy (init, after it daemonized).
			if inv, err := ReadInvocation(parentOf(pid), f.Bin); err == nil && inv.MasterWorker {
				f.last = inv.PID
				f.seen, f.hasSeen = inv, true
				return inv, true
			}
			if inv, ok := try(pid); ok {
				return inv, true
			}
		}
	}
	return Invocation{}, false
}

// parentOf returns the parent PID of pid, 0 when it cannot be read.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// MasterReady reports whether the running HAProxy can take a signalled
// reload now: true unless a master-worker master was found and does not
// handle SIGUSR2 at this moment (see SignalReady). Not knowing counts as
// ready: the wait it causes must never block a reload.
func (f *Finder) MasterReady(ctx context.Context) bool {
	inv, ok := f.Find(ctx)
	if !ok || !inv.MasterWorker {
		return true
	}
	ready, err := SignalReady(inv.PID)
	return err != nil || ready
}

// sigUSR2 is SIGUSR2's bit in the masks of /proc/<pid>/status.
const sigUSR2 = 1 << (12 - 1)

// SignalReady reports whether process pid handles SIGUSR2 now: a handler
// is installed and the signal is not blocked. HAProxy 2.6's master, while
// it re-executes itself for a reload, first blocks the signals and then
// ignores SIGUSR2 for a moment, which discards a SIGUSR2 received then: a
// `kill -USR2` sent in the moments after a reload (a reload command run
// right after the previous one) is lost, and HAProxy never reloads.
func SignalReady(pid int) (bool, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false, fmt.Errorf("read the signal state of process %d: %w", pid, err)
	}
	masks := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "SigBlk" && name != "SigIgn" && name != "SigCgt") {
			continue
		}
		m, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64)
		if err != nil {
			return false, fmt.Errorf("process %d: %s: %w", pid, name, err)
		}
		masks[name] = m
	}
	if len(masks) != 3 {
		return false, fmt.Errorf("process %d: no signal masks in its status", pid)
	}
	return masks["SigCgt"]&sigUSR2 != 0 && masks["SigBlk"]&sigUSR2 == 0 && masks["SigIgn"]&sigUSR2 == 0, nil
}
