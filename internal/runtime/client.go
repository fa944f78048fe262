package runtime

import (
	"context"
	"fmt"
	"strings"
)

// Client talks to a worker's stats socket (level admin), or to the worker
// through the master CLI when made by Master.WorkerClient. It is safe for
// concurrent use.
//
// On the stats socket it keeps up to DefaultMaxConns connections open in
// interactive mode and sends the commands of server changes and reads over
// them, one command line per connection at a time. Commands wait for a
// connection in arrival order; past DefaultMaxWaiters waiting they fail at
// once with ErrBusy. Other commands (show stat, show info, raw commands)
// get a connection of their own, which counts against the same bound.
// Through the master CLI, every command has a connection of its own.
type Client struct {
	t transport
}

// New returns a client for the stats socket at socket, given as "/path",
// "unix@/path" (HAProxy's HAPROXY_CLI form) or "unix:/path". Nothing is
// dialed until the first command.
func New(socket string) *Client {
	c := &Client{t: transport{pool: newPool()}}
	c.t.setSocket(socket)
	return c
}

// Socket returns the socket address as last given to New or SetSocket.
func (c *Client) Socket() string { return c.t.getSocket() }

// SetSocket changes the socket used by commands started after it returns.
// It is safe to call concurrently with commands. Kept connections to the
// previous socket are not reused.
func (c *Client) SetSocket(socket string) {
	c.t.setSocket(socket)
	c.CloseIdleConnections()
}

// SetLimits changes the bound on connections to the stats socket (at least
// 1) and on commands waiting for one (0: none wait, all fail with ErrBusy
// when every connection is in use). Commands already waiting keep
// waiting. It does nothing on a Client of the master CLI.
func (c *Client) SetLimits(conns, waiters int) {
	if c.t.pool != nil {
		c.t.pool.setLimits(conns, waiters)
	}
}

// CloseIdleConnections closes the kept connections to the stats socket,
// and makes those in use close when their command ends: the next commands
// dial anew. Call it when HAProxy may have reloaded (the old worker goes
// on answering on the connections it accepted until they close), and when
// the Client is no longer needed; it stays usable.
func (c *Client) CloseIdleConnections() {
	if c.t.pool != nil {
		c.t.pool.closeIdle()
	}
}

// Session runs fn with a Client whose commands all go over one connection
// reserved for fn: they wait for a connection once, run one after the
// other, and no other caller's command comes between them. fn must not
// use the session Client after it returns, nor start another Session from
// it. The session's commands are bounded by their own contexts; ctx only
// bounds the wait for the connection (ErrBusy when it ends first). On a
// Client of the master CLI, fn gets c itself.
func (c *Client) Session(ctx context.Context, fn func(*Client) error) error {
	if c.t.pool == nil || c.t.held != nil {
		return fn(c)
	}
	ctx, cancel := withDeadline(ctx)
	cc, err := c.t.pool.take(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("runtime session on %s: %w", c.Socket(), err)
	}
	h := &held{cc: cc}
	s := &Client{t: transport{pool: c.t.pool, held: h, dialed: c.t.dialed}}
	s.t.setSocket(c.Socket())
	s.t.obs.copyFrom(&c.t.obs)
	defer func() {
		h.mu.Lock()
		h.done = true
		cc := h.cc
		h.cc = nil
		h.mu.Unlock()
		c.t.pool.put(cc)
	}()
	return fn(s)
}

// Execute sends one raw command and returns HAProxy's reply unparsed and
// unclassified. It refuses (ErrInvalidArgument, nothing sent) a command
// containing '\n', '\r', ';' or NUL. The context's deadline, or
// DefaultTimeout if it has none, bounds the whole exchange, the wait for a
// connection included.
func (c *Client) Execute(ctx context.Context, cmd string) (string, error) {
	reply, err := c.t.roundTrip(ctx, cmd)
	c.t.obs.observe(cmd, reply, err)
	return reply, err
}

// do sends cmd and returns a *CommandError unless ok accepts the reply.
func (c *Client) do(ctx context.Context, cmd string, ok func(string) bool) (string, error) {
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return "", err
	}
	if !ok(reply) {
		return "", newCommandError(cmd, reply)
	}
	return reply, nil
}

// emptyReply accepts the bare newline that set/enable/disable commands
// print on success. Zero bytes is not success: it means HAProxy closed the
// connection without answering.
func emptyReply(reply string) bool {
	return reply != "" && strings.TrimSpace(reply) == ""
}

// replyIs accepts exactly text (trailing newlines vary between commands).
func replyIs(text string) func(string) bool {
	return func(reply string) bool { return strings.TrimSpace(reply) == text }
}

// replyEndsWith accepts a reply whose last line is text: HAProxy prints
// its warnings before the success line (`add server` with no-tlsv10 and
// ssl-min-ver: "no-sslv3/no-tlsv1x are ignored ...", then "New server
// registered.").
func replyEndsWith(text string) func(string) bool {
	return func(reply string) bool {
		lines := strings.Split(strings.TrimSpace(reply), "\n")
		return strings.TrimSpace(lines[len(lines)-1]) == text
	}
}

// replyHasPrefix accepts a reply starting with any of prefixes.
func replyHasPrefix(prefixes ...string) func(string) bool {
	return func(reply string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(reply, p) {
				return true
			}
		}
		return false
	}
}

// Probe checks that the worker answers "show info" with its Pid within the
// context's deadline. It is meant for health endpoints.
func (c *Client) Probe(ctx context.Context) error {
	info, err := c.ShowInfo(ctx)
	if err != nil {
		return fmt.Errorf("probe %s: %w", c.Socket(), err)
	}
	if _, ok := info.Int("Pid"); !ok {
		return fmt.Errorf("probe %s: show info has no Pid line", c.Socket())
	}
	return nil
}
