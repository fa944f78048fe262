package reload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckerOutputBounded: a file that draws a warning per line is
// judged as before, but only the first KiBs of the messages are kept, in
// whole lines, saying how much was left out.
func TestCheckerOutputBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n")
	b.WriteString("frontend f\n    bind 127.0.0.1:9\n    use_backend be\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "    http-request set-header X-H%d v\n", i)
	}
	b.WriteString("backend be\n")
	path := filepath.Join(t.TempDir(), "warn.cfg")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := (&Checker{}).Check(context.Background(), path, path)
	if err != nil {
		t.Fatalf("a file with warnings only: %v", err)
	}
	if len(res.Warnings) > maxCheckOutput+200 || !strings.HasSuffix(res.Warnings, "more bytes of HAProxy's messages left out)") {
		t.Fatalf("%d bytes of warnings, ending %q", len(res.Warnings), res.Warnings[max(len(res.Warnings)-200, 0):])
	}
	lines := strings.Split(res.Warnings, "\n")
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "[WARNING] : config : parsing [") || !strings.HasSuffix(l, "will still be processed before.") {
			t.Fatalf("a line kept is not whole: %q", l)
		}
	}
}

func TestHeadBuffer(t *testing.T) {
	for _, c := range []struct {
		name   string
		writes []string
		max    int
		want   string
		lost   int64
	}{
		{"fits", []string{"a\n", "b\n"}, 10, "a\nb\n", 0},
		{"exactly", []string{"a\nb\n"}, 4, "a\nb\n", 0},
		{"cut inside a line", []string{"a\nbc", "d\n"}, 4, "a\n", 4},
		{"cut between writes", []string{"a\n", "b\n", "c\n"}, 4, "a\nb\n", 2},
		{"no whole line", []string{"abcdef\n"}, 4, "abcd", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := headBuffer{max: c.max}
			for _, w := range c.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got, lost := b.text(); got != c.want || lost != c.lost {
				t.Fatalf("text() = %q, %d; want %q, %d", got, lost, c.want, c.lost)
			}
		})
	}
}

// TestCheckWaitsForTheFlags: a check whose Running is still waiting (for
// the first look for HAProxy, at start-up) when its context ends does not
// run haproxy -c without the flags; one whose Running answers in time
// runs with them, its wait not counted in its own time limit.
func TestCheckWaitsForTheFlags(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	bin := filepath.Join(dir, "haproxy")
	script := "#!/bin/sh\necho \"$@\" >> " + ran + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	found := make(chan struct{})
	c := &Checker{Bin: bin, Dir: dir, ConfigFile: cfg, Timeout: 50 * time.Millisecond,
		Running: func(ctx context.Context) (Invocation, bool) {
			select {
			case <-found:
				return Invocation{MasterWorker: true, LocalPeer: "p1", Files: []string{cfg}}, true
			case <-ctx.Done():
				return Invocation{}, false
			}
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Check(ctx, filepath.Join(dir, "next.cfg"), "haproxy.cfg"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("check cut short while waiting for the flags: %v, want the context's error", err)
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Fatalf("haproxy -c ran without the flags: %s", b)
	}
	go func() { time.Sleep(100 * time.Millisecond); close(found) }() // longer than Timeout
	if _, err := c.Check(context.Background(), filepath.Join(dir, "next.cfg"), "haproxy.cfg"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(ran)
	if err != nil {
		t.Fatal(err)
	}
	if want := "-c -W -L p1 -f " + filepath.Join(dir, "next.cfg") + "\n"; string(b) != want {
		t.Fatalf("haproxy %s, want haproxy %s", b, want)
	}
}
