package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/fault"
)

// cliFake is an interactive stats socket whose answers the test decides:
// answer is called for each command (it may block) and returns the reply,
// or hangUp to close the connection instead of answering.
type cliFake struct {
	Path     string
	accepted atomic.Int64
	answer   func(cmd string) (reply string, hangUp bool)

	mu   sync.Mutex
	cmds []string // every command received, "prompt" excluded
}

func newCLIFake(t *testing.T, answer func(cmd string) (string, bool)) *cliFake {
	t.Helper()
	f := &cliFake{Path: filepath.Join(shortDir(t), "s.sock"), answer: answer}
	l, err := net.Listen("unix", f.Path)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
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
			go func() { defer wg.Done(); f.serve(c) }()
		}
	}()
	return f
}

func (f *cliFake) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	interactive := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		if !interactive && line == "prompt" {
			interactive = true
			_, _ = io.WriteString(c, "\n> ")
			continue
		}
		for _, cmd := range strings.Split(line, "; ") {
			f.mu.Lock()
			f.cmds = append(f.cmds, cmd)
			f.mu.Unlock()
			reply, hangUp := f.answer(cmd)
			if hangUp {
				return
			}
			if interactive {
				reply += "> "
			}
			if _, err := io.WriteString(c, reply); err != nil || !interactive {
				return
			}
		}
	}
}

func (f *cliFake) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

// echo answers "get weight be/<name>" with "<name>\n" and anything else
// with an empty line, so that each reply says which command it answers.
func echo(cmd string) (string, bool) {
	if name, ok := strings.CutPrefix(cmd, "get weight be/"); ok {
		return name + "\n", false
	}
	return "\n", false
}

func TestPoolReusesConnections(t *testing.T) {
	f := newCLIFake(t, echo)
	c := New(f.Path)
	ctx := testCtx(t)
	for i := range 20 {
		want := fmt.Sprintf("s%d\n", i)
		if got, err := c.Execute(ctx, fmt.Sprintf("get weight be/s%d", i)); err != nil || got != want {
			t.Fatalf("command %d: %q, %v; want %q", i, got, err, want)
		}
	}
	// One command at a time needs one connection, whatever the speed of
	// the machine (a connection is reused for connLifetime, far longer
	// than these commands take... unless the machine stalls: then a
	// second one is dialed, and that is fine too).
	if n := f.accepted.Load(); n < 1 || n > 2 {
		t.Fatalf("%d connections for 20 commands in a row, want 1", n)
	}
	// Commands that are not pooled each get their own connection.
	before := f.accepted.Load()
	if _, err := c.Execute(ctx, "show info"); err != nil {
		t.Fatal(err)
	}
	if n := f.accepted.Load(); n != before+1 {
		t.Fatalf("show info: %d new connections, want 1", n-before)
	}
}

func TestPoolReusesAfterShortDeadline(t *testing.T) {
	f := newCLIFake(t, echo)
	c := New(f.Path)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Execute(short, "get weight be/a"); err != nil {
		t.Fatal(err)
	}
	<-short.Done()
	// The connection is still young (kept so here whatever the machine's
	// speed): the first command's deadline, past now, must not spoil it.
	c.t.pool.mu.Lock()
	for _, cc := range c.t.pool.idle {
		cc.dialed = time.Now()
	}
	c.t.pool.mu.Unlock()
	if got, err := c.Execute(testCtx(t), "get weight be/b"); err != nil || got != "b\n" {
		t.Fatalf("%q, %v", got, err)
	}
	if n := f.accepted.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

func TestPoolEachCallGetsItsOwnAnswer(t *testing.T) {
	f := newCLIFake(t, echo)
	c := New(f.Path)
	ctx := testCtx(t)
	const calls = 200
	errs := make(chan error, calls)
	for i := range calls {
		go func() {
			want := fmt.Sprintf("s%d\n", i)
			got, err := c.Execute(ctx, fmt.Sprintf("get weight be/s%d", i))
			if err == nil && got != want {
				err = fmt.Errorf("call %d got %q, want %q", i, got, want)
			}
			errs <- err
		}()
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := f.accepted.Load(); n > DefaultMaxConns {
		t.Fatalf("%d connections, want at most %d", n, DefaultMaxConns)
	}
}

// gate holds every answer until it is opened, and counts the commands
// being held.
type gate struct {
	open    chan struct{}
	waiting atomic.Int64
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) answer(cmd string) (string, bool) {
	g.waiting.Add(1)
	<-g.open
	return echo(cmd)
}

// waitFor polls cond until it holds, failing the test after a generous
// bound that only catches a condition that never comes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (p *pool) waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}

func TestPoolBoundsAndQueue(t *testing.T) {
	g := newGate()
	f := newCLIFake(t, g.answer)
	c := New(f.Path)
	// One connection, so that the fake receives commands in the order
	// they were sent.
	c.SetLimits(1, 3)
	ctx := testCtx(t)

	type result struct {
		i     int
		reply string
		err   error
	}
	results := make(chan result, 10)
	run := func(i int) {
		reply, err := c.Execute(ctx, fmt.Sprintf("get weight be/s%d", i))
		results <- result{i, reply, err}
	}
	// One command takes the connection and is held by the gate.
	go run(0)
	waitFor(t, "one command held", func() bool { return g.waiting.Load() == 1 })
	// Three more wait, queued one after the other.
	for i := 1; i < 4; i++ {
		go run(i)
		waitFor(t, fmt.Sprintf("%d waiters", i), func() bool { return c.t.pool.waiting() == i })
	}
	// The queue is full: the next one is refused at once, nothing sent.
	_, err := c.Execute(ctx, "get weight be/s4")
	var ra interface{ RetryAfter() time.Duration }
	if !errors.Is(err, ErrBusy) || fault.Of(err) != fault.Unavailable || !errors.As(err, &ra) || ra.RetryAfter() <= 0 {
		t.Fatalf("past the queue bound: %v, want ErrBusy (unavailable, with a retry delay)", err)
	}
	close(g.open)
	for range 4 {
		r := <-results
		if want := fmt.Sprintf("s%d\n", r.i); r.err != nil || r.reply != want {
			t.Fatalf("call %d: %q, %v; want %q", r.i, r.reply, r.err, want)
		}
	}
	if n := f.accepted.Load(); n != 1 {
		t.Fatalf("%d connections, want 1 (the bound)", n)
	}
	// Waiters were served in arrival order; the refused one sent nothing.
	want := []string{"get weight be/s0", "get weight be/s1", "get weight be/s2", "get weight be/s3"}
	if got := f.commands(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("served %q, want %q", got, want)
	}
}

func TestPoolWaiterLeaves(t *testing.T) {
	g := newGate()
	f := newCLIFake(t, g.answer)
	c := New(f.Path)
	c.SetLimits(1, 5)
	ctx := testCtx(t)
	held := make(chan error, 1)
	go func() { _, err := c.Execute(ctx, "get weight be/a"); held <- err }()
	waitFor(t, "one command held", func() bool { return g.waiting.Load() == 1 })

	wctx, cancel := context.WithCancel(ctx)
	left := make(chan error, 1)
	go func() { _, err := c.Execute(wctx, "get weight be/b"); left <- err }()
	waitFor(t, "one waiter", func() bool { return c.t.pool.waiting() == 1 })
	cancel()
	if err := <-left; !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter whose context ended: %v, want ErrBusy and Canceled", err)
	}
	if n := c.t.pool.waiting(); n != 0 {
		t.Fatalf("%d waiters left in the queue", n)
	}
	close(g.open)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	// The slot is not lost: the next command gets the connection.
	if got, err := c.Execute(ctx, "get weight be/c"); err != nil || got != "c\n" {
		t.Fatalf("after a waiter left: %q, %v", got, err)
	}
	if got := f.commands(); strings.Join(got, ",") != "get weight be/a,get weight be/c" {
		t.Fatalf("sent %q: the waiter that left sent nothing", got)
	}
}

func TestPoolBrokenConnection(t *testing.T) {
	// The fake hangs up instead of answering the second command of each
	// connection, as HAProxy does when `stats timeout` passes just as a
	// kept connection is reused (or a worker stops).
	var perConn sync.Map
	f := newCLIFake(t, nil)
	f.answer = func(cmd string) (string, bool) {
		n := f.accepted.Load()
		v, _ := perConn.LoadOrStore(n, new(atomic.Int64))
		if v.(*atomic.Int64).Add(1) == 2 {
			return "", true
		}
		return echo(cmd)
	}
	tests := []struct {
		name  string
		cmd   string
		want  string // the reply, "" when the command must fail
		sends int    // times the fake receives it
	}{
		// A read is sent again on a new connection.
		{"read retried", "get weight be/r", "r\n", 2},
		// A change that may have run is not: the caller hears that the
		// socket broke, and HAProxy received it once.
		{"write not retried", "set server be/w weight 5", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(f.Path)
			c.SetLimits(1, 1)
			ctx := testCtx(t)
			if _, err := c.Execute(ctx, "get weight be/first"); err != nil {
				t.Fatal(err)
			}
			got, err := c.Execute(ctx, tt.cmd)
			switch {
			case tt.want != "" && (err != nil || got != tt.want):
				t.Fatalf("%q: %q, %v; want %q", tt.cmd, got, err, tt.want)
			case tt.want == "" && !errors.Is(err, ErrUnavailable):
				t.Fatalf("%q: %q, %v; want ErrUnavailable", tt.cmd, got, err)
			}
			n := 0
			for _, cmd := range f.commands() {
				if cmd == tt.cmd {
					n++
				}
			}
			if n != tt.sends {
				t.Fatalf("%q received %d times, want %d", tt.cmd, n, tt.sends)
			}
		})
	}
}

func TestPoolStoppingWorker(t *testing.T) {
	info := func(stopping int) string {
		return fmt.Sprintf(`[{"field":{"pos":0,"name":"Name"},"value":{"type":"str","value":"HAProxy"}},`+
			`{"field":{"pos":52,"name":"Stopping"},"value":{"type":"u32","value":%d}}]`+"\n", stopping)
	}
	tests := []struct {
		name string
		// stopping: the first connection's worker stops after the first
		// command (a reload replaced it); else its proxy is disabled in
		// the configuration from the first command on.
		stopping bool
		want     string // the reply to the change; "" for a refusal
		conns    int64
	}{
		{"old worker", true, "\n", 2},
		{"disabled proxy", false, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *cliFake
			var n atomic.Int64
			f = newCLIFake(t, func(cmd string) (string, bool) {
				first := f.accepted.Load() == 1
				switch {
				case cmd == "show info json" && first && tt.stopping:
					return info(1), false
				case cmd == "show info json":
					return info(0), false
				case n.Add(1) == 1:
					return "\n", false
				case first || !tt.stopping:
					return replyStopping + "\n\n", false
				}
				return "\n", false
			})
			c := New(f.Path)
			ctx := testCtx(t)
			if err := c.SetServerWeight(ctx, "be", "s1", 1); err != nil {
				t.Fatal(err)
			}
			err := c.SetServerWeight(ctx, "be", "s1", 2)
			switch {
			case tt.want != "" && err != nil:
				t.Fatalf("change after the worker stopped: %v, want it sent to the new worker", err)
			case tt.want == "" && !strings.Contains(fmt.Sprint(err), replyStopping):
				t.Fatalf("change on a disabled proxy: %v, want HAProxy's refusal", err)
			}
			if got := f.accepted.Load(); got != tt.conns {
				t.Fatalf("%d connections, want %d", got, tt.conns)
			}
		})
	}
}

func TestPoolDropsClosedAndOldConnections(t *testing.T) {
	f := newCLIFake(t, echo)
	c := New(f.Path)
	ctx := testCtx(t)
	get := func() {
		t.Helper()
		if got, err := c.Execute(ctx, "get weight be/x"); err != nil || got != "x\n" {
			t.Fatalf("%q, %v", got, err)
		}
	}
	idle := func() *cliConn {
		c.t.pool.mu.Lock()
		defer c.t.pool.mu.Unlock()
		if len(c.t.pool.idle) != 1 {
			t.Fatalf("%d idle connections, want 1", len(c.t.pool.idle))
		}
		return c.t.pool.idle[0]
	}
	get()
	steps := []struct {
		name  string
		spoil func()
	}{
		{"closed by HAProxy while idle", func() {
			cc := idle()
			_ = cc.conn.CloseWrite() // the fake sees EOF and closes its end
			waitFor(t, "the fake to close", func() bool { return !cc.quiet() })
		}},
		{"older than its lifetime", func() { idle().dialed = time.Now().Add(-connLifetime) }},
		{"dropped by CloseIdleConnections", func() { c.CloseIdleConnections() }},
		{"socket changed", func() { c.SetSocket("unix@" + f.Path) }},
	}
	for _, s := range steps {
		before := f.accepted.Load()
		s.spoil()
		get()
		if n := f.accepted.Load() - before; n != 1 {
			t.Fatalf("%s: %d new connections, want 1", s.name, n)
		}
	}
}

func TestSessionKeepsOneConnection(t *testing.T) {
	f := newCLIFake(t, echo)
	c := New(f.Path)
	c.SetLimits(1, 0)
	ctx := testCtx(t)
	err := c.Session(ctx, func(s *Client) error {
		for _, name := range []string{"a", "b", "c"} {
			if got, err := s.Execute(ctx, "get weight be/"+name); err != nil || got != name+"\n" {
				return fmt.Errorf("%s: %q, %v", name, got, err)
			}
		}
		// The session holds the only connection and nobody may wait:
		// another caller is refused meanwhile.
		if _, err := c.Execute(ctx, "get weight be/other"); !errors.Is(err, ErrBusy) {
			return fmt.Errorf("outside the session: %v, want ErrBusy", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.accepted.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	if got, err := c.Execute(ctx, "get weight be/after"); err != nil || got != "after\n" {
		t.Fatalf("after the session: %q, %v", got, err)
	}
}

func TestBatchOneLine(t *testing.T) {
	f := newCLIFake(t, echo)
	c := New(f.Path)
	ctx := testCtx(t)
	replies, err := c.t.batch(ctx, []string{"set server be/a weight 1", "get weight be/a", "get weight be/b"})
	if err != nil || strings.Join(replies, "|") != "\n|a\n|b\n" {
		t.Fatalf("batch: %q, %v", replies, err)
	}
	if n := f.accepted.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	if _, err := c.t.batch(ctx, []string{"get weight be/a", "x; y"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("batch with a ';' inside a command: %v", err)
	}
}

func TestDialRetriesFullBacklog(t *testing.T) {
	// A socket whose accept backlog is full: connect fails with EAGAIN
	// until the server accepts what is queued.
	path, listen := boundNotListening(t)
	l := listen() // backlog 8, nothing accepted yet
	if l == nil {
		t.FailNow()
	}
	defer l.Close()
	var fillers []net.Conn
	defer func() {
		for _, c := range fillers {
			c.Close()
		}
	}()
	for len(fillers) < 100 {
		c, err := net.Dial("unix", path)
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fillers = append(fillers, c)
	}
	var dials, eagain atomic.Int32
	c := New(path)
	c.t.dialed = func(err error) {
		dials.Add(1)
		if !errors.Is(err, syscall.EAGAIN) || eagain.Add(1) != 1 {
			return
		}
		// Serve from now on: the queued fillers are accepted (and hung
		// up on), which makes room, and the client's retry gets in.
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer conn.Close()
					_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
					if line, _ := bufio.NewReader(conn).ReadString('\n'); line == "show info\n" {
						_, _ = io.WriteString(conn, "Name: HAProxy\nPid: 1\n")
					}
				}()
			}
		}()
	}
	ctx := testCtx(t)
	got, err := c.Execute(ctx, "show info")
	if err != nil || got != "Name: HAProxy\nPid: 1\n" {
		t.Fatalf("got %q, %v; want the dial retried past EAGAIN", got, err)
	}
	if eagain.Load() < 1 || dials.Load() < 2 {
		t.Fatalf("%d dials, %d EAGAIN; want a refused dial, then a retry", dials.Load(), eagain.Load())
	}
}
