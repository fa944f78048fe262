package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"dataplane/internal/audit"
)

// DefaultTimeout bounds a command whose context has no deadline.
const DefaultTimeout = 10 * time.Second

// dialRetryWindow is how long a dial that may succeed in a moment is
// retried, within the context's deadline: EAGAIN (the stats socket's
// accept backlog is full) always, ECONNREFUSED on the master CLI, which
// refuses connections for a moment around reloads.
const dialRetryWindow = 2 * time.Second

// transport sends commands to a unix socket. On the stats socket (pool
// set) most commands go over kept interactive connections and every
// connection counts against the pool's bound; the master CLI gets one
// connection per command.
type transport struct {
	socket    atomic.Pointer[string]
	prefix    string // "@1 " routes the command through the master to the worker
	halfClose bool   // the master CLI answers only once our write side is closed
	retry     bool   // retry refused dials (master CLI)
	obs       observer
	pool      *pool // stats socket only
	held      *held // in a Session: the connection reserved for it
	// dialed, when set, is called with the outcome of each dial attempt
	// (tests count attempts and react to a refusal with it).
	dialed func(error)
}

// held is the slot a Session reserved, and the connection in it.
type held struct {
	mu   sync.Mutex // one exchange at a time, even if fn shares its Client
	cc   *cliConn   // nil until dialed, and after it broke
	done bool       // the Session ended: the slot is given back
}

func (t *transport) setSocket(s string) { t.socket.Store(&s) }

func (t *transport) getSocket() string {
	if p := t.socket.Load(); p != nil {
		return *p
	}
	return ""
}

// socketPath turns "/path", "unix@/path", "unix:/path" or "abns@name" into
// what net.Dial("unix") expects.
func socketPath(addr string) (string, error) {
	switch {
	case strings.HasPrefix(addr, "unix@"):
		addr = strings.TrimPrefix(addr, "unix@")
	case strings.HasPrefix(addr, "unix:"):
		addr = strings.TrimPrefix(addr, "unix:")
	case strings.HasPrefix(addr, "abns@"):
		// Linux abstract namespace; Go spells it with a leading '@'.
		addr = "@" + strings.TrimPrefix(addr, "abns@")
	case strings.Contains(addr, "@"):
		return "", fmt.Errorf("%w: socket %q: only unix sockets are supported", ErrInvalidArgument, addr)
	}
	if addr == "" || addr == "@" {
		return "", fmt.Errorf("%w: empty socket path", ErrInvalidArgument)
	}
	return addr, nil
}

// pooled reports whether cmd may go over an interactive connection: its
// output, success or error, never has a line starting with "> ", which
// would be taken for the prompt that ends a reply. These are the commands
// of runtime server changes and reads; the others (show stat, whose
// quoted fields may hold any text, show info, anything raw) get a
// connection of their own, read to EOF.
func pooled(cmd string) bool {
	switch commandVerb(cmd) {
	case "set server", "set weight", "set maxconn", "get weight", "add server", "del server",
		"enable health", "disable health", "enable agent", "disable agent",
		"show servers", "show backend",
		// Pattern files: an entry is one line that starts with its
		// address, a key or value holds no newline (CheckPatternKey).
		"show map", "show acl", "get map", "get acl", "add map", "add acl",
		"set map", "del map", "del acl", "clear map", "clear acl":
		return true
	}
	return false
}

// readOnly reports whether running cmd twice changes nothing: only those
// are sent again after a kept connection broke once they were written.
func readOnly(cmd string) bool {
	return strings.HasPrefix(cmd, "show ") || strings.HasPrefix(cmd, "get ")
}

// needsFresh reports whether cmd must go over a new connection. A worker
// replaced by a reload goes on answering on the connections it accepted:
// it refuses changes of servers ("Proxy is disabled.", see stopped) but
// runs these, which would be lost with it. A new connection reaches the
// worker that accepts connections now.
func needsFresh(cmd string) bool {
	switch commandVerb(cmd) {
	case "add server", "del server", "set maxconn":
		return true
	}
	return false
}

// replyStopping is what a stopping worker answers to a change of a server
// of its (stopped) proxies; a proxy disabled in the configuration answers
// it too.
const replyStopping = "Proxy is disabled."

// stopped reports whether the replies to cmds say that their worker may be
// stopping, and that sending them again elsewhere runs nothing twice:
// every change among them was refused as a stopping worker does, and the
// rest only read.
func stopped(cmds, replies []string) bool {
	refused := false
	for i, cmd := range cmds {
		switch {
		case strings.HasPrefix(replies[i], replyStopping):
			refused = true
		case !readOnly(cmd):
			return false
		}
	}
	return refused
}

// withDeadline gives ctx DefaultTimeout when it has no deadline.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// roundTrip validates cmd, sends it and returns the reply. The context's
// deadline (DefaultTimeout if it has none) bounds the whole exchange,
// waiting for a connection included, and cancelling it aborts a blocked
// read.
func (t *transport) roundTrip(ctx context.Context, cmd string) (string, error) {
	replies, err := t.batch(ctx, []string{cmd})
	if err != nil {
		return "", err
	}
	return replies[0], nil
}

// batch validates cmds and returns one reply each. When the transport keeps
// connections and every command may go over one, they are sent on one line
// (one round trip; HAProxy runs them in order, each whatever the outcome
// of the others); otherwise each goes over a connection of its own, in
// order, and the first failure stops them.
func (t *transport) batch(ctx context.Context, cmds []string) ([]string, error) {
	for _, cmd := range cmds {
		if err := checkLine(cmd); err != nil {
			return nil, err
		}
	}
	path, err := socketPath(t.getSocket())
	if err != nil {
		return nil, err
	}
	// Every change sent for an audited request is in its record.
	if rec := audit.From(ctx); rec != nil {
		for _, cmd := range cmds {
			if !readOnly(cmd) {
				rec.Command(cmd)
			}
		}
	}
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	if t.pool != nil && allPooled(cmds) {
		replies, err := t.pooledExchange(ctx, path, cmds)
		if err != nil {
			return nil, fmt.Errorf("runtime %q on %s: %w", strings.Join(cmds, "; "), path, err)
		}
		return replies, nil
	}
	replies := make([]string, 0, len(cmds))
	for _, cmd := range cmds {
		var reply string
		err := t.oneShot(ctx, cmd, path, func(r *bufio.Reader) error {
			b, err := io.ReadAll(r)
			reply = string(b)
			if err != nil {
				return fmt.Errorf("read reply: %w", err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		replies = append(replies, reply)
	}
	return replies, nil
}

func allPooled(cmds []string) bool {
	for _, cmd := range cmds {
		if !pooled(cmd) {
			return false
		}
	}
	return true
}

// pooledExchange sends cmds over the Session's connection, else over a
// connection from the pool, and reads their replies.
func (t *transport) pooledExchange(ctx context.Context, path string, cmds []string) ([]string, error) {
	if h := t.held; h != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.done {
			return nil, errors.New("the session has ended")
		}
		replies, cc, err := t.exchangeOn(ctx, h.cc, path, cmds)
		h.cc = cc
		return replies, err
	}
	cc, err := t.pool.take(ctx)
	if err != nil {
		return nil, err
	}
	replies, cc, err := t.exchangeOn(ctx, cc, path, cmds)
	t.pool.put(cc)
	return replies, err
}

// exchangeOn sends cmds on one line over cc when it may be reused, else
// over a new connection, and returns the connection to keep (nil: none).
func (t *transport) exchangeOn(ctx context.Context, cc *cliConn, path string, cmds []string) ([]string, *cliConn, error) {
	fresh, reads := false, true
	for _, cmd := range cmds {
		fresh = fresh || needsFresh(cmd)
		reads = reads && readOnly(cmd)
	}
	if cc != nil && (fresh || cc.path != path || !t.pool.fresh(cc) || !cc.quiet()) {
		cc.close()
		cc = nil
	}
	line := strings.Join(cmds, "; ")
	resent := false // after a kept connection broke
	giveUp := time.Now().Add(dialRetryWindow)
	delay := 5 * time.Millisecond
	for {
		reused := cc != nil
		if cc == nil {
			var err error
			if cc, err = t.dialCLI(ctx, path); err != nil {
				return nil, nil, err
			}
		}
		replies, reusable, err := cc.exchange(ctx, line, len(cmds))
		if err != nil {
			cc.close()
			cc = nil
			// HAProxy may close a kept connection just as it is reused
			// (its `stats timeout`, a worker stopping after a reload).
			// Sent again on a new connection, once, only when that
			// cannot run a change twice: nothing of the line was
			// written, or it only reads.
			var xe *exchangeError
			if !resent && reused && ctx.Err() == nil && errors.As(err, &xe) && !xe.replied && (!xe.written || reads) {
				resent = true
				continue
			}
			return nil, nil, unavailable(ctx, err)
		}
		if stopped(cmds, replies) && time.Now().Before(giveUp) && cc.stopping(ctx) {
			// The worker behind this connection was replaced by a
			// reload, and refused the changes: the new one, behind a new
			// connection, runs them. Right after a reload a new
			// connection may still reach the old worker for a moment.
			cc.close()
			cc = nil
			if !reused {
				if err := sleep(ctx, delay); err != nil {
					return nil, nil, unavailable(ctx, err)
				}
				delay = min(2*delay, 200*time.Millisecond)
			}
			continue
		}
		if !reusable {
			cc.close()
			cc = nil
		}
		return replies, cc, nil
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// dialCLI dials path and turns the connection interactive.
func (t *transport) dialCLI(ctx context.Context, path string) (*cliConn, error) {
	gen := t.pool.gen.Load()
	conn, err := t.dial(ctx, path)
	if err != nil {
		return nil, unavailable(ctx, fmt.Errorf("dial: %w", err))
	}
	cc, err := openCLI(ctx, conn, path, gen)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	return cc, nil
}

// oneShot sends cmd on a connection of its own and hands the reply,
// buffered, to read, which reads it to EOF (the master CLI answers only
// once our side is half-closed). On the stats socket the connection holds
// one of the pool's slots meanwhile (a Session's own, inside one), so
// these count against the bound on connections too.
func (t *transport) oneShot(ctx context.Context, cmd, path string, read func(*bufio.Reader) error) error {
	return t.oneShotText(ctx, cmd, cmd, path, read)
}

// oneShotText is oneShot sending text, which may hold a payload after the
// command line; label names it in errors (a payload, such as a private
// key, is never quoted).
func (t *transport) oneShotText(ctx context.Context, cmd, text, path string, read func(*bufio.Reader) error) error {
	if t.pool != nil && t.held == nil {
		idle, err := t.pool.take(ctx)
		if err != nil {
			return fmt.Errorf("runtime %q on %s: %w", cmd, path, err)
		}
		// An idle connection that came with the slot waits meanwhile.
		defer t.pool.put(idle)
	}
	conn, err := t.dial(ctx, path)
	if err != nil {
		return fmt.Errorf("runtime %q: %w", cmd, unavailable(ctx, fmt.Errorf("dial %s: %w", path, err)))
	}
	defer conn.Close()
	err = func() error {
		dl, _ := ctx.Deadline()
		if err := conn.SetDeadline(dl); err != nil {
			return fmt.Errorf("set deadline: %w", err)
		}
		// A past deadline wakes up a blocked read or write when ctx is
		// cancelled.
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		if _, err := io.WriteString(conn, t.prefix+text+"\n"); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		if t.halfClose {
			if err := closeWrite(conn); err != nil {
				return err
			}
		}
		return read(bufio.NewReaderSize(conn, 64<<10))
	}()
	if err == nil {
		return nil
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("runtime %q on %s: %w", cmd, path, unavailable(ctx, err))
}

// unavailable marks a failure to reach HAProxy or to read its whole
// answer: ErrUnavailable, and the context's error when it is what ended
// the exchange. Conn deadlines come only from ctx, so a conn timeout is
// the context expiring, even if ctx's own timer has not fired yet.
func unavailable(ctx context.Context, err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	if cause := ctx.Err(); (cause != nil || errors.Is(err, os.ErrDeadlineExceeded)) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		err = fmt.Errorf("%w (%v)", cause, err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// closeWrite half-closes a unix connection.
func closeWrite(conn io.Writer) error {
	cw, ok := conn.(interface{ CloseWrite() error })
	if !ok {
		return errors.New("half-close: not a unix connection")
	}
	if err := cw.CloseWrite(); err != nil {
		return fmt.Errorf("half-close: %w", err)
	}
	return nil
}

// dial connects, retrying for up to dialRetryWindow (bounded by ctx) a
// dial that may succeed in a moment: EAGAIN, and ECONNREFUSED when
// t.retry is set.
func (t *transport) dial(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	giveUp := time.Now().Add(dialRetryWindow)
	delay := 5 * time.Millisecond
	for {
		conn, err := d.DialContext(ctx, "unix", path)
		if t.dialed != nil {
			t.dialed(err)
		}
		if err == nil || !t.transient(err) || time.Now().Add(delay).After(giveUp) {
			return conn, err
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-timer.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// transient reports a dial failure worth retrying: EAGAIN, which Linux
// returns for a unix socket whose accept backlog is full, and on the
// master CLI ECONNREFUSED too.
func (t *transport) transient(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || t.retry && errors.Is(err, syscall.ECONNREFUSED)
}
