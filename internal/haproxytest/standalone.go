package haproxytest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// StartStandalone starts HAProxy without a master, daemonized, the way a
// classic `-sf/-x` set-up runs it: `haproxy -D -f <config> -p <pidfile>`.
// Later reloads (by dataplane) replace the process and rewrite the pid
// file; at the end of the test every process listed in the pid file, and
// the first one, are stopped.
func (in *Instance) StartStandalone(cfg string) {
	in.t.Helper()
	if cfg != "" {
		in.WriteConfig(cfg)
	}
	cmd := exec.Command(Binary(in.t), "-D", "-f", in.ConfigPath, "-p", in.PIDFile)
	cmd.Dir = in.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		in.t.Fatalf("start haproxy -D: %v\n%s", err, out.String())
	}
	first := in.pids()
	in.t.Cleanup(func() { in.stopPIDs(first) })
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		reply, err := Command(ctx, in.StatsSocket, "show info")
		cancel()
		if err == nil && strings.Contains(reply, "Pid:") {
			return
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("standalone haproxy not ready after 15s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PIDs returns the processes listed in the pid file.
func (in *Instance) PIDs() []int { return in.pids() }

func (in *Instance) pids() []int {
	b, err := os.ReadFile(in.PIDFile)
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if p, err := strconv.Atoi(f); err == nil && p > 0 {
			out = append(out, p)
		}
	}
	return out
}

// stopPIDs terminates the standalone processes the test started (those in
// first and those now in the pid file) and waits up to 10 s for them.
func (in *Instance) stopPIDs(first []int) {
	all := append(append([]int(nil), first...), in.pids()...)
	for _, p := range all {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range all {
		for ProcessAlive(p) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if ProcessAlive(p) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
}

// ProcessAlive reports whether pid runs and is not a zombie (kill -0 would
// accept zombies, which this sandbox reaps slowly).
func ProcessAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}
