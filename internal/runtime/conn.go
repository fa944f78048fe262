package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultTimeout bounds a command whose context has no deadline.
const DefaultTimeout = 10 * time.Second

// masterDialWindow is how long refused connections to the master CLI are
// retried: right after a reload the master refuses connections for a moment.
const masterDialWindow = 2 * time.Second

// transport sends one command per connection to a unix socket.
type transport struct {
	socket    atomic.Pointer[string]
	prefix    string // "@1 " routes the command through the master to the worker
	halfClose bool   // the master CLI answers only once our write side is closed
	retry     bool   // retry refused dials (master CLI)
	obs       observer
	// dialed, when set, is called with the outcome of each dial attempt
	// (tests count attempts and react to a refusal with it).
	dialed func(error)
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

// roundTrip validates cmd, sends it on a new connection and reads the reply
// to EOF. The context's deadline (DefaultTimeout if it has none) is applied
// to the connection, and cancelling the context aborts a blocked read.
func (t *transport) roundTrip(ctx context.Context, cmd string) (string, error) {
	if err := checkLine(cmd); err != nil {
		return "", err
	}
	path, err := socketPath(t.getSocket())
	if err != nil {
		return "", err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	conn, err := t.dial(ctx, path)
	if err != nil {
		return "", fmt.Errorf("runtime %q: dial %s: %w", cmd, path, err)
	}
	defer conn.Close()
	reply, err := exchange(ctx, conn, t.prefix+cmd+"\n", t.halfClose)
	if err != nil {
		// Conn deadlines come only from ctx, so a conn timeout is the
		// context expiring, even if ctx's own timer has not fired yet.
		if cause := ctx.Err(); cause != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			if cause == nil {
				cause = context.DeadlineExceeded
			}
			err = fmt.Errorf("%w (%v)", cause, err)
		}
		return "", fmt.Errorf("runtime %q on %s: %w", cmd, path, err)
	}
	return reply, nil
}

// exchange writes line and reads to EOF under ctx.
func exchange(ctx context.Context, conn net.Conn, line string, halfClose bool) (string, error) {
	dl, _ := ctx.Deadline()
	if err := conn.SetDeadline(dl); err != nil {
		return "", fmt.Errorf("set deadline: %w", err)
	}
	// A past deadline wakes up a blocked read or write when ctx is cancelled.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(conn, line); err != nil {
		return "", fmt.Errorf("send: %w", err)
	}
	if halfClose {
		uc, ok := conn.(*net.UnixConn)
		if !ok {
			return "", errors.New("half-close: not a unix connection")
		}
		if err := uc.CloseWrite(); err != nil {
			return "", fmt.Errorf("half-close: %w", err)
		}
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		return "", fmt.Errorf("read reply: %w", err)
	}
	return string(out), nil
}

// dial connects, retrying refused connections for up to masterDialWindow
// (bounded by ctx) when t.retry is set.
func (t *transport) dial(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	giveUp := time.Now().Add(masterDialWindow)
	delay := 20 * time.Millisecond
	for {
		conn, err := d.DialContext(ctx, "unix", path)
		if t.dialed != nil {
			t.dialed(err)
		}
		if err == nil || !t.retry || !refused(err) || time.Now().Add(delay).After(giveUp) {
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

// refused reports a transient dial failure: ECONNREFUSED, or EAGAIN, which
// Linux returns for a unix socket whose accept backlog is full.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EAGAIN)
}
