package etcdtest

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// echoServer accepts on a loopback port and writes back what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("echo server: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// echo sends msg on c and reads it back, within 5 s.
func echo(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read echo of %q: %v", msg, err)
	}
	if string(buf) != msg {
		t.Fatalf("echo = %q, want %q", buf, msg)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestProxyCutAndRestore(t *testing.T) {
	t.Parallel()
	p := StartProxy(t, echoServer(t))
	addr := p.Addr()
	if p.URL() != "http://"+addr {
		t.Fatalf("URL() = %q, Addr() = %q", p.URL(), addr)
	}

	open := dial(t, addr)
	echo(t, open, "before the cut")

	p.Cut()
	p.Cut() // idempotent

	// The open connection breaks: its read ends with an error (reset or
	// EOF), not a timeout.
	_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := open.Read(make([]byte, 16))
	if err == nil {
		t.Fatalf("read on a cut connection returned %d bytes and no error", n)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a cut connection still blocked after 5 s")
	}
	t.Logf("read on the cut connection: %v", err)

	if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded while the proxy is cut", addr)
	}

	p.Restore()
	p.Restore() // idempotent
	if p.Addr() != addr {
		t.Fatalf("address changed over the cut: %s, then %s", addr, p.Addr())
	}
	echo(t, dial(t, addr), "after the restore")

	// A client that half-closes still reads the whole answer.
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "last words"); err != nil {
		t.Fatalf("write: %v", err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	if b, err := io.ReadAll(c); err != nil || string(b) != "last words" {
		t.Fatalf("read after half-close = %q, %v", b, err)
	}
}

// Cut and Restore from several goroutines at once leave the proxy in one
// of its two states, never wedged: after a final Restore it forwards.
func TestProxyConcurrentCutRestore(t *testing.T) {
	t.Parallel()
	p := StartProxy(t, echoServer(t))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				if (i+j)%2 == 0 {
					p.Cut()
				} else {
					p.Restore()
				}
			}
		}()
	}
	wg.Wait()
	p.Restore()
	echo(t, dial(t, p.Addr()), "still forwarding")
}
