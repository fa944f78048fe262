package runtime

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
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
			start := time.Now()
			err := tt.exec(ctx)
			if el := time.Since(start); el > time.Second {
				t.Fatalf("returned after %s, deadline was 200ms", el)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want DeadlineExceeded", err)
			}
		})
	}
}

func TestExecuteHonorsCancel(t *testing.T) {
	f := newFakeSocket(t, neverAnswer, "")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := New(f.Path).Execute(ctx, "show info")
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %s, want Canceled soon after 100ms", err, time.Since(start))
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
	time.AfterFunc(300*time.Millisecond, func() {
		l := listen()
		if l == nil {
			close(served)
			return
		}
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			close(served)
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		b := make([]byte, 64)
		n, _ := c.Read(b)
		_, _ = c.Write([]byte("ok\n"))
		served <- string(b[:n])
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	got, err := NewMaster(path).Execute(ctx, "show proc")
	if err != nil || got != "ok\n" {
		t.Fatalf("got %q, %v; want retry until the master listens", got, err)
	}
	if line := <-served; line != "show proc\n" {
		t.Fatalf("server read %q", line)
	}
}

func TestRefusedDialBounds(t *testing.T) {
	path, _ := boundNotListening(t)
	tests := []struct {
		name     string
		timeout  time.Duration
		exec     func(ctx context.Context) error
		min, max time.Duration
	}{
		// The stats client does not retry: a refused socket is reported at once.
		{"client no retry", 5 * time.Second, func(ctx context.Context) error { _, err := New(path).Execute(ctx, "x"); return err }, 0, 500 * time.Millisecond},
		// The master retries within the context...
		{"master ctx bound", 300 * time.Millisecond, func(ctx context.Context) error { _, err := NewMaster(path).Execute(ctx, "x"); return err }, 250 * time.Millisecond, time.Second},
		// ...and for at most masterDialWindow.
		{"master window", 10 * time.Second, func(ctx context.Context) error { _, err := NewMaster(path).Execute(ctx, "x"); return err }, masterDialWindow - 300*time.Millisecond, masterDialWindow + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			err := tt.exec(ctx)
			el := time.Since(start)
			if err == nil || !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want a refused or deadline error", err)
			}
			if el < tt.min || el > tt.max {
				t.Fatalf("gave up after %s, want %s..%s", el, tt.min, tt.max)
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
