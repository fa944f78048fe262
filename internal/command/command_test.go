package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// margin is the generous bound on the time a command may take beyond its
// deadline and graces: the tests check that nothing waits for the
// misbehaving process, not how fast this machine is.
const margin = 5 * time.Second

// alive reports whether pid runs and is not a zombie (the processes a
// killed command leaves are reparented and may be reaped late).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// pidAfter returns the number printed after word in out ("child 1234").
func pidAfter(t *testing.T, out, word string) int {
	t.Helper()
	m := regexp.MustCompile(word + ` (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q PID in the output:\n%s", word, out)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// waitGone waits until pid is no longer running.
func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs %s after the command was killed", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopGroup kills, at the end of the test, what a command left running:
// its process group, which this test created.
func stopGroup(t *testing.T, res Result) {
	t.Cleanup(func() {
		if res.PID > 0 {
			_ = syscall.Kill(-res.PID, syscall.SIGKILL)
		}
	})
}

func TestExitStatusAndOutput(t *testing.T) {
	res, err := Shell(context.Background(), "echo to stdout; echo to stderr >&2; exit 3", Options{})
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 3 {
		t.Fatalf("error %v, want exit status 3", err)
	}
	if res.ExitCode != 3 || res.Killed || res.OutputHeld {
		t.Fatalf("result %+v", res)
	}
	if res.Output != "to stdout\nto stderr" {
		t.Fatalf("output %q", res.Output)
	}
	if res, err := Shell(context.Background(), "true", Options{}); err != nil || res.ExitCode != 0 || res.Output != "" {
		t.Fatalf("true: %+v, %v", res, err)
	}
}

func TestNotStarted(t *testing.T) {
	res, err := Run(context.Background(), "/no/such/binary", nil, Options{})
	if err == nil || res.ExitCode != -1 || res.PID != 0 {
		t.Fatalf("result %+v, error %v", res, err)
	}
}

// A command that leaves a child holding its output returns after the
// output grace, with its exit status, and the child is left running: it
// may be the HAProxy the command started.
func TestChildHoldingOutput(t *testing.T) {
	script := filepath.Join(t.TempDir(), "fg.sh")
	// A script that runs a long child in the foreground, itself started in
	// the background: the pipe is held two levels down.
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"script $$\"\nsleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, cmd := range map[string]string{
		"background sleep":             `echo start; sleep 30 & echo "child $!"; exit 0`,
		"background foreground script": `echo start; ` + script + ` & echo "child $!"`,
	} {
		t.Run(name, func(t *testing.T) {
			o := Options{Timeout: 10 * time.Second, OutputGrace: 500 * time.Millisecond}
			res, err := Shell(context.Background(), cmd, o)
			stopGroup(t, res)
			t.Logf("returned after %s", res.Duration)
			if err != nil || res.ExitCode != 0 || res.Killed || !res.OutputHeld {
				t.Fatalf("result %+v, error %v; want exit 0, output held, not killed", res, err)
			}
			if res.Duration > o.OutputGrace+margin {
				t.Fatalf("returned after %s, want about the %s output grace", res.Duration, o.OutputGrace)
			}
			child := pidAfter(t, res.Output, "child")
			if !alive(child) {
				t.Fatalf("the child %d the command left running was killed", child)
			}
			if !strings.HasPrefix(res.Output, "start\n") {
				t.Fatalf("output %q", res.Output)
			}
		})
	}
}

// At the deadline the whole process group goes, not only the shell: with
// SIGTERM, or SIGKILL when SIGTERM is ignored.
func TestDeadlineKillsGroup(t *testing.T) {
	for name, cmd := range map[string]string{
		"sleeps":         `sleep 30 & echo "child $!"; sleep 30`,
		"ignores TERM":   `trap "" TERM; sleep 30 & echo "child $!"; sleep 30; echo never`,
		"busy and quiet": `sh -c 'while :; do :; done' & echo "child $!"; wait`,
	} {
		t.Run(name, func(t *testing.T) {
			o := Options{Timeout: time.Second, KillGrace: 500 * time.Millisecond, OutputGrace: 500 * time.Millisecond}
			res, err := Shell(context.Background(), cmd, o)
			stopGroup(t, res)
			t.Logf("returned after %s", res.Duration)
			if !errors.Is(err, ErrTimedOut) || !res.Killed || res.ExitCode != -1 || res.Signal == "" {
				t.Fatalf("result %+v, error %v; want killed at the deadline", res, err)
			}
			if res.Duration > o.Timeout+o.KillGrace+o.OutputGrace+margin {
				t.Fatalf("returned after %s for a %s deadline", res.Duration, o.Timeout)
			}
			waitGone(t, pidAfter(t, res.Output, "child"), 5*time.Second)
			if alive(res.PID) {
				t.Fatalf("the shell %d still runs", res.PID)
			}
			if strings.Contains(res.Output, "never") {
				t.Fatalf("the command went on after SIGTERM: %q", res.Output)
			}
		})
	}
}

// A context canceled (dataplane stopping) ends the command the same way.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err := Shell(ctx, `sleep 30 & echo "child $!"; sleep 30`, Options{KillGrace: 200 * time.Millisecond})
	stopGroup(t, res)
	if !errors.Is(err, context.Canceled) || !res.Killed {
		t.Fatalf("result %+v, error %v", res, err)
	}
	waitGone(t, pidAfter(t, res.Output, "child"), 5*time.Second)
}

// 10 MB of output cost a bounded message and bounded memory.
func TestLargeOutputBounded(t *testing.T) {
	cases := []struct {
		name, cmd string
		lines     int // non-blank lines printed
	}{
		// 909,090 lines of 11 bytes, and a last one of 10 without a newline.
		{"lines", "yes 0123456789 | head -c 10000000", 909091},
		{"one line", "head -c 10000000 /dev/zero | tr '\\0' x", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := Shell(context.Background(), c.cmd, Options{Timeout: 30 * time.Second})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("%v (%+v)", err, res)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes of output kept, %d lines left out, %d bytes allocated, %s", len(res.Output), res.LeftOut, alloc, res.Duration)
			if len(res.Output) > DefaultMaxOutput {
				t.Fatalf("output of %d bytes, want at most %d", len(res.Output), DefaultMaxOutput)
			}
			if alloc > 2<<20 {
				t.Fatalf("%d bytes allocated to read 10 MB: the output is not bounded", alloc)
			}
			kept := strings.Count(res.Output, "\n") + 1
			if res.LeftOut > 0 {
				kept-- // the "left out" line
			}
			if kept+res.LeftOut != c.lines {
				t.Fatalf("%d lines kept + %d left out, want %d printed", kept, res.LeftOut, c.lines)
			}
			if c.lines > 1 {
				want := fmt.Sprintf("... %d lines left out ...", res.LeftOut)
				if !strings.Contains(res.Output, want) || !strings.HasPrefix(res.Output, "0123456789\n") {
					t.Fatalf("output does not start with the first lines and say %q:\n%s", want, res.Output)
				}
			} else if !strings.HasSuffix(res.Output, fmt.Sprintf("[... %d bytes cut]", 10000000-1024)) {
				t.Fatalf("a 10 MB line not cut at 1 KiB: %.100q...", res.Output)
			}
		})
	}
}

func TestCapture(t *testing.T) {
	lines := func(from, to int) string {
		var b strings.Builder
		for i := from; i <= to; i++ {
			fmt.Fprintf(&b, "line %d\n", i)
		}
		return b.String()
	}
	cases := []struct {
		name   string
		writes []string
		head   int
		tail   int
		want   string
		left   int
	}{
		{"all kept", []string{"a\n", "b\r\n", "c"}, 2, 2, "a\nb\nc", 0},
		{"split writes", []string{"li", "ne 1\nline", " 2\n"}, 1, 1, "line 1\nline 2", 0},
		{"blank lines skipped", []string{"a\n\n  \nb\n"}, 2, 2, "a\nb", 0},
		{"head and tail", []string{lines(1, 10)}, 2, 3, "line 1\nline 2\n... 5 lines left out ...\nline 8\nline 9\nline 10", 5},
		{"tail wraps", []string{lines(1, 4), lines(5, 100)}, 1, 2, "line 1\n... 97 lines left out ...\nline 99\nline 100", 97},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := newCapture(c.head, c.tail, DefaultMaxOutput)
			for _, w := range c.writes {
				if n, err := cp.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("write %d, %v", n, err)
				}
			}
			got, left := cp.result()
			if got != c.want || left != c.left {
				t.Fatalf("got %q (%d left out), want %q (%d)", got, left, c.want, c.left)
			}
		})
	}
	// The byte budget holds with long lines: 20 lines of 1 KiB do not fit
	// in 4 KiB, so fewer are kept and the rest counted.
	cp := newCapture(20, 20, 8<<10)
	long := strings.Repeat("x", 1000)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(cp, "%03d %s\n", i, long)
	}
	got, left := cp.result()
	if len(got) > 8<<10 || left == 0 || !strings.HasPrefix(got, "000 ") || !strings.HasSuffix(got, "099 "+long) {
		t.Fatalf("%d bytes, %d left out: %.80q ... %.80q", len(got), left, got, got[max(0, len(got)-80):])
	}
}
