package runtime

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeMode is how fakeSocket behaves on each connection.
type fakeMode int

const (
	// replyOnLine is the stats socket: read one line, reply, close; after
	// "prompt", reply to each command of each line with the reply and
	// the prompt, and keep the connection open.
	replyOnLine   fakeMode = iota
	replyOnEOF             // read to EOF, then reply and close (master CLI)
	neverAnswer            // read nothing, answer nothing, keep open
	replyInChunks          // read one line, reply in pieces with pauses
)

// fakeSocket is a unix-socket server standing in for HAProxy. It records
// every connection and the bytes received on it.
type fakeSocket struct {
	Path  string
	mode  fakeMode
	reply string

	accepted atomic.Int64
	mu       sync.Mutex
	received []string
	sawEOF   []bool
}

func newFakeSocket(t *testing.T, mode fakeMode, reply string) *fakeSocket {
	t.Helper()
	f := &fakeSocket{Path: filepath.Join(shortDir(t), "s.sock"), mode: mode, reply: reply}
	l, err := net.Listen("unix", f.Path)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		close(done)
		l.Close()
		// Connections the client keeps open end with the test.
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); f.serve(c, done) }()
		}
	}()
	return f
}

func (f *fakeSocket) serve(c net.Conn, done chan struct{}) {
	defer c.Close()
	// Bounded so a broken client cannot hang the test.
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var got string
	var eof bool
	switch f.mode {
	case neverAnswer:
		<-done
		return
	case replyOnEOF:
		b, err := io.ReadAll(c)
		got, eof = string(b), err == nil
	case replyOnLine:
		f.serveLines(c)
		return
	default:
		got, _ = bufio.NewReader(c).ReadString('\n')
	}
	f.mu.Lock()
	f.received = append(f.received, got)
	f.sawEOF = append(f.sawEOF, eof)
	f.mu.Unlock()
	if f.mode == replyInChunks {
		for i := 0; i < len(f.reply); i += 7 {
			_, _ = io.WriteString(c, f.reply[i:min(i+7, len(f.reply))])
			time.Sleep(5 * time.Millisecond)
		}
		return
	}
	_, _ = io.WriteString(c, f.reply)
}

// serveLines answers like the stats socket: one line then close, unless
// the first line is "prompt", which makes the connection interactive.
func (f *fakeSocket) serveLines(c net.Conn) {
	r := bufio.NewReader(c)
	interactive := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if !interactive && line == "prompt\n" {
			interactive = true
			_, _ = io.WriteString(c, "\n> ")
			continue
		}
		f.mu.Lock()
		f.received = append(f.received, line)
		f.sawEOF = append(f.sawEOF, false)
		f.mu.Unlock()
		if !interactive {
			_, _ = io.WriteString(c, f.reply)
			return
		}
		for range strings.Split(line, ";") {
			_, _ = io.WriteString(c, f.reply+"> ")
		}
	}
}

// lines returns what each connection sent, in order.
func (f *fakeSocket) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.received...)
}

// shortDir returns a temporary directory with a path short enough for a
// unix socket (108 bytes), unlike t.TempDir() for long test names.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
