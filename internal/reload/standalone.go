package reload

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataplane/internal/command"
	"dataplane/internal/runtime"
)

// StandaloneStrategy reloads an HAProxy that runs without a master, the
// classic hitless way: a new process started with `-sf <old pids> -x
// <stats socket>` takes the listening sockets over from the old one (the
// socket needs `expose-fd listeners`) and tells it to finish its
// connections and exit. HAProxy's own messages come back on failure, and
// the old process keeps serving.
type StandaloneStrategy struct {
	Bin        string // haproxy binary
	ConfigFile string
	PIDFile    string // written by HAProxy (-p), read for the old PIDs
	Socket     string // stats socket with expose-fd listeners
	// SocketOf, when set, gives the stats socket of the configuration
	// being reloaded: a change may move it, and the new process must be
	// looked for where the new configuration puts it.
	SocketOf func() string
	Dir      string // working directory of HAProxy
	Timeout  time.Duration
}

// Name implements Strategy.
func (s *StandaloneStrategy) Name() string { return "standalone" }

// Reload implements Strategy.
func (s *StandaloneStrategy) Reload(ctx context.Context) (string, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	old, err := readPIDs(s.PIDFile)
	if err != nil {
		return "", fmt.Errorf("standalone reload: %w", err)
	}
	bin := s.Bin
	if bin == "" {
		bin = "haproxy"
	}
	oldSocket := s.Socket
	newSocket := s.Socket
	if s.SocketOf != nil {
		if p := s.SocketOf(); p != "" {
			newSocket = p
		}
	}
	// The sockets are taken over from the old process, through the socket
	// it listens on.
	args := []string{"-f", s.ConfigFile, "-p", s.PIDFile, "-D", "-x", oldSocket, "-sf"}
	for _, p := range old {
		args = append(args, strconv.Itoa(p))
	}
	// The same runner as a user's command: HAProxy is run in its own
	// process group, killed with what it started at the deadline, and its
	// output is bounded (a new process that runs in the foreground by
	// mistake could print its access log).
	res, err := command.Run(ctx, bin, args, command.Options{Timeout: timeout, Dir: s.Dir, Env: cleanEnv(os.Environ())})
	msgs := cleanMessages(res.Output, "", "")
	switch {
	case res.Killed:
		// The new process may have started before the starter hung.
		return msgs, fmt.Errorf("standalone reload: haproxy %v: %s: %w", err, msgs, ErrNotVerified)
	case err != nil:
		return msgs, fmt.Errorf("standalone reload: haproxy exited with %v; the previous process keeps serving: %s: %w", err, msgs, ErrReloadFailed)
	}
	// Success means: new PIDs, alive, and the stats socket answered by one
	// of them.
	client := runtime.New(newSocket)
	for {
		now, err := readPIDs(s.PIDFile)
		if err == nil && len(now) > 0 && !slices.Equal(now, old) && allAlive(now) {
			if info, err := client.ShowInfo(ctx); err == nil {
				if pid, ok := info.Int("Pid"); ok && slices.Contains(now, int(pid)) {
					s.Socket = newSocket // the next reload takes the sockets from here
					return strings.TrimSpace(msgs + fmt.Sprintf("\nnew process %v serving", now)), nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return msgs, fmt.Errorf("standalone reload: no new process serving after %s: %w", timeout, ErrNotVerified)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func readPIDs(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pid file: %w", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if p, err := strconv.Atoi(f); err == nil && p > 0 {
			pids = append(pids, p)
		}
	}
	return pids, nil
}

// allAlive reports whether every PID is a running (not zombie) process.
// kill -0 would accept zombies, which this sandbox reaps slowly.
func allAlive(pids []int) bool {
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			return false
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) || s[i+2] == 'Z' {
			return false
		}
	}
	return true
}
