package runtime

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestSocketPath(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/run/h.sock", "/run/h.sock", true},
		{"unix@/run/h.sock", "/run/h.sock", true},
		{"unix:/run/h.sock", "/run/h.sock", true},
		{"rel.sock", "rel.sock", true},
		{"abns@hap", "@hap", true},
		{"", "", false},
		{"unix@", "", false},
		{"ipv4@127.0.0.1:9999", "", false},
		{"sockpair@4", "", false},
	}
	for _, tt := range tests {
		got, err := socketPath(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("socketPath(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("socketPath(%q) error %v is not ErrInvalidArgument", tt.in, err)
		}
	}
}

func TestExecuteReadsToEOF(t *testing.T) {
	reply := "Name: HAProxy\n\n# several\n\nparagraphs\n\n"
	for _, mode := range []fakeMode{replyOnLine, replyInChunks} {
		f := newFakeSocket(t, mode, reply)
		for _, addr := range []string{f.Path, "unix@" + f.Path, "unix:" + f.Path} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			got, err := New(addr).Execute(ctx, "show info")
			cancel()
			if err != nil || got != reply {
				t.Fatalf("mode %d addr %s: got %q, %v; want %q", mode, addr, got, err, reply)
			}
		}
		if l := f.lines(); l[0] != "show info\n" {
			t.Fatalf("sent %q, want one line", l[0])
		}
	}
}

func TestExecuteWithoutDeadlineUsesDefault(t *testing.T) {
	f := newFakeSocket(t, replyOnLine, "\n")
	if got, err := New(f.Path).Execute(context.Background(), "x"); err != nil || got != "\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestExecuteHonorsDeadline(t *testing.T) {
	f := newFakeSocket(t, neverAnswer, "")
	tests := []struct {
		name string
		exec func(ctx context.Context) error
	}{
		{"client", func(ctx context.Context) error { _, err := New(f.Path).Execute(ctx, "show info"); return err }},
		{"probe", func(ctx context.Context) error { return New(f.Path).Probe(ctx) }},
		{"master", func(ctx context.Context) error { _, err := NewMaster(f.Path).Execute(ctx, "show proc"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			// The socket never answers, so only the 200 ms deadline can end
			// the call: the error says so. The 30 s bound only catches a
			// call that never returns.
			err := returnsWithin(t, 30*time.Second, func() error { return tt.exec(ctx) })
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want DeadlineExceeded", err)
			}
		})
	}
}

func TestExecuteHonorsCancel(t *testing.T) {
	f := newFakeSocket(t, neverAnswer, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the command is on its way (the fake accepted the
	// connection), so what is cancelled is the wait for the reply.
	go func() {
		for f.accepted.Load() == 0 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := returnsWithin(t, 30*time.Second, func() error { _, err := New(f.Path).Execute(ctx, "show info"); return err })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if n := f.accepted.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

// returnsWithin runs f and returns its error, failing the test if f has not
// returned after limit. limit is generous: it only catches a call that
// never returns; why the call returned is for the caller to check on the
// error.
func returnsWithin(t *testing.T, limit time.Duration, f func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	select {
	case err := <-ch:
		return err
	case <-time.After(limit):
		t.Fatalf("still running after %s", limit)
		return nil
	}
}

func TestMasterHalfCloses(t *testing.T) {
	// The fake replies only once it has read EOF, like the master CLI.
	f := newFakeSocket(t, replyOnEOF, "#<PID> ...\n")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	m := NewMaster("unix@" + f.Path)
	if got, err := m.Execute(ctx, "show proc"); err != nil || got != "#<PID> ...\n" {
		t.Fatalf("master: got %q, %v", got, err)
	}
	if got, err := m.Worker(ctx, "show info"); err != nil || got != "#<PID> ...\n" {
		t.Fatalf("worker: got %q, %v", got, err)
	}
	if got, want := f.lines(), []string{"show proc\n", "@1 show info\n"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if !f.sawEOF[0] || !f.sawEOF[1] {
		t.Fatal("master connection was not half-closed")
	}
}

// boundNotListening returns a unix socket path that refuses connections
// (bound but not listening) and a function that starts listening on it, so
// the switch from refused to accepted has no window where the path is absent.
func boundNotListening(t *testing.T) (string, func() net.Listener) {
	t.Helper()
	path := filepath.Join(shortDir(t), "m.sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	file := os.NewFile(uintptr(fd), path)
	t.Cleanup(func() { file.Close() })
	return path, func() net.Listener {
		if err := syscall.Listen(fd, 8); err != nil {
			t.Errorf("listen: %v", err)
			return nil
		}
		l, err := net.FileListener(file)
		if err != nil {
			t.Errorf("file listener: %v", err)
			return nil
		}
		return l
	}
}

func TestMasterRetriesRefusedDial(t *testing.T) {
	path, listen := boundNotListening(t)
	served := make(chan string, 1)
	m := NewMaster(path)
	var dials, refusals atomic.Int32
	// The socket starts listening right after the first refused dial, from
	// the dialing goroutine itself: the master client must retry to get in,
	// whatever the machine's speed.
	m.t.dialed = func(err error) {
		dials.Add(1)
		if err == nil || refusals.Add(1) != 1 {
			return
		}
		l := listen()
		if l == nil {
			close(served)
			return
		}
		go func() {
			defer l.Close()
			c, err := l.Accept()
			if err != nil {
				close(served)
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			b := make([]byte, 64)
			n, _ := c.Read(b)
			_, _ = c.Write([]byte("ok\n"))
			served <- string(b[:n])
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := m.Execute(ctx, "show proc")
	if err != nil || got != "ok\n" {
		t.Fatalf("got %q, %v; want retry until the master listens", got, err)
	}
	if r, d := refusals.Load(), dials.Load(); r != 1 || d != 2 {
		t.Fatalf("%d dials, %d refused; want 2 dials, the first refused", d, r)
	}
	if line := <-served; line != "show proc\n" {
		t.Fatalf("server read %q", line)
	}
}

func TestRefusedDialBounds(t *testing.T) {
	path, _ := boundNotListening(t)
	tests := []struct {
		name    string
		timeout time.Duration
		master  bool
		// want is the error that says why the call stopped: refused (no
		// retry, or the retry window is over) or the context's deadline.
		want     error
		min      time.Duration
		minDials int32
		maxDials int32 // 0: no upper bound
	}{
		// The stats client does not retry: a refused socket is reported at
		// once (one dial, and the refusal, not the 30 s deadline, ends it).
		{"client no retry", 30 * time.Second, false, syscall.ECONNREFUSED, 0, 1, 1},
		// The master retries within the context...
		{"master ctx bound", 300 * time.Millisecond, true, context.DeadlineExceeded, 250 * time.Millisecond, 2, 0},
		// ...and for at most dialRetryWindow, well before a 60 s deadline.
		{"master window", 60 * time.Second, true, syscall.ECONNREFUSED, dialRetryWindow - 300*time.Millisecond, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dials atomic.Int32
			count := func(error) { dials.Add(1) }
			exec := func(ctx context.Context) error {
				if tt.master {
					m := NewMaster(path)
					m.t.dialed = count
					_, err := m.Execute(ctx, "x")
					return err
				}
				c := New(path)
				c.t.dialed = count
				_, err := c.Execute(ctx, "x")
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			err := returnsWithin(t, tt.timeout+30*time.Second, func() error { return exec(ctx) })
			el := time.Since(start)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// A refusal says nothing of the deadline, and the other way round.
			other := error(context.DeadlineExceeded)
			if tt.want == other {
				other = syscall.ECONNREFUSED
			}
			if errors.Is(err, other) {
				t.Fatalf("err = %v is also %v", err, other)
			}
			if el < tt.min {
				t.Fatalf("gave up after %s, want at least %s", el, tt.min)
			}
			if n := dials.Load(); n < tt.minDials || tt.maxDials > 0 && n > tt.maxDials {
				t.Fatalf("%d dial attempts, want %d..%d (0: any)", n, tt.minDials, tt.maxDials)
			}
		})
	}
}

func TestSetSocketConcurrent(t *testing.T) {
	a := newFakeSocket(t, replyOnLine, "a\n")
	b := newFakeSocket(t, replyOnLine, "b\n")
	c := New(a.Path)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			if i%2 == 0 {
				c.SetSocket(b.Path)
			}
			got, err := c.Execute(ctx, "x")
			if err == nil && got != "a\n" && got != "b\n" {
				err = errors.New("unexpected reply " + got)
			}
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if c.Socket() != b.Path {
		t.Fatalf("Socket() = %q, want %q", c.Socket(), b.Path)
	}
}
