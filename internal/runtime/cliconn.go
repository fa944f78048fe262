package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// cliConn is one connection to the stats socket in interactive mode: after
// `prompt`, HAProxy answers each command with its output, a newline and
// the prompt "> ", and keeps the connection open for the next one.
// Commands joined by ';' on one line get one such reply each.
//
// The prompt is recognized at the start of a line, so only commands whose
// output never has a line starting with "> " are sent this way (see
// pooled); the others go over a connection of their own, read to EOF.
type cliConn struct {
	conn   *net.UnixConn
	raw    syscall.RawConn
	r      *bufio.Reader
	path   string    // the socket it is connected to
	gen    uint64    // pool generation it was dialed in
	dialed time.Time // connLifetime counts from here
}

// openCLI turns a new connection into an interactive one.
func openCLI(ctx context.Context, conn net.Conn, path string, gen uint64) (*cliConn, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		conn.Close()
		return nil, errors.New("not a unix connection")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("raw connection: %w", err)
	}
	cc := &cliConn{conn: uc, raw: raw, r: bufio.NewReaderSize(uc, 16<<10), path: path, gen: gen, dialed: time.Now()}
	replies, _, err := cc.exchange(ctx, "prompt", 1)
	if err == nil && replies[0] != "\n" {
		err = fmt.Errorf("unexpected answer to prompt: %q", replies[0])
	}
	if err != nil {
		cc.close()
		return nil, fmt.Errorf("interactive mode: %w", err)
	}
	return cc, nil
}

func (cc *cliConn) close() { _ = cc.conn.Close() }

// quiet reports whether nothing arrived since the last reply, not even the
// end of the connection. HAProxy sends nothing unasked, but closes a
// connection idle past `stats timeout`, and a stopping worker may close it
// too: a connection that is not quiet is not reused.
func (cc *cliConn) quiet() bool {
	if cc.r.Buffered() > 0 {
		return false
	}
	var b [1]byte
	quiet := false
	err := cc.raw.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		quiet = errors.Is(err, syscall.EAGAIN)
		return true // a peek, never a wait
	})
	return err == nil && quiet
}

// stopping asks the worker behind the connection whether it is stopping
// (a reload replaced it). `show info json` escapes every value, so no line
// of it can be taken for the prompt. A connection that fails to answer is
// as good as stopped; an answer without the field is not.
func (cc *cliConn) stopping(ctx context.Context) bool {
	replies, _, err := cc.exchange(ctx, "show info json", 1)
	if err != nil {
		return true
	}
	stopping, _ := infoStopping(replies[0])
	return stopping
}

// infoStopping reads the Stopping field of `show info json`; ok is false
// when the reply has none.
func infoStopping(reply string) (stopping, ok bool) {
	var fields []struct {
		Field struct {
			Name string `json:"name"`
		} `json:"field"`
		Value struct {
			Value json.RawMessage `json:"value"`
		} `json:"value"`
	}
	if err := json.Unmarshal([]byte(reply), &fields); err != nil {
		return false, false
	}
	for _, f := range fields {
		if f.Field.Name == "Stopping" {
			return string(f.Value.Value) != "0", true
		}
	}
	return false, false
}

// exchangeError is a failed exchange. written says whether any byte of the
// line may have reached HAProxy: when none did, nothing was run.
type exchangeError struct {
	err     error
	written bool
	replied bool // some bytes of a reply were read
}

func (e *exchangeError) Error() string { return e.err.Error() }
func (e *exchangeError) Unwrap() error { return e.err }

// exchange sends line and reads n replies, under ctx. reusable is false
// when the connection must be closed even though the exchange succeeded
// (ctx ended as it finished, and may have set a past deadline). A failed
// exchange leaves the connection in an unknown state: close it.
func (cc *cliConn) exchange(ctx context.Context, line string, n int) (replies []string, reusable bool, err error) {
	dl, _ := ctx.Deadline()
	if err := cc.conn.SetDeadline(dl); err != nil {
		return nil, false, &exchangeError{err: fmt.Errorf("set deadline: %w", err)}
	}
	// A past deadline wakes up a blocked read or write when ctx is cancelled.
	stop := context.AfterFunc(ctx, func() { _ = cc.conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		switch {
		case err != nil:
		case !stop():
			reusable = false
		default:
			// No deadline while idle: quiet cannot peek past an expired one.
			reusable = cc.conn.SetDeadline(time.Time{}) == nil
		}
	}()
	w, err := io.WriteString(cc.conn, line+"\n")
	if err != nil {
		return nil, false, &exchangeError{err: fmt.Errorf("send: %w", err), written: w > 0}
	}
	replies = make([]string, 0, n)
	var b strings.Builder
	for range n {
		b.Reset()
		if err := cc.readReply(&b); err != nil {
			return nil, false, &exchangeError{err: fmt.Errorf("read reply: %w", err), written: true, replied: len(replies) > 0 || b.Len() > 0}
		}
		replies = append(replies, b.String())
	}
	return replies, true, nil
}

// readReply appends one reply to b, up to the prompt that ends it (which
// is left out: the reply is what a non-interactive connection would have
// read, ending with a newline).
func (cc *cliConn) readReply(b *strings.Builder) error {
	lineStart := true
	for {
		if lineStart {
			p, err := cc.r.Peek(2)
			if err != nil {
				return eofIsUnexpected(err)
			}
			if p[0] == '>' && p[1] == ' ' {
				_, _ = cc.r.Discard(2)
				return nil
			}
		}
		chunk, err := cc.r.ReadSlice('\n')
		b.Write(chunk)
		switch {
		case err == nil:
			lineStart = true
		case errors.Is(err, bufio.ErrBufferFull):
			lineStart = false
		default:
			return eofIsUnexpected(err)
		}
	}
}

// eofIsUnexpected: a reply always ends with a prompt, so the end of the
// connection before it cuts the reply short.
func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
