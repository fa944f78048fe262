package runtime

import (
	"context"
	"fmt"
	"strings"
)

// Client talks to a worker's stats socket (level admin), or to the worker
// through the master CLI when made by Master.WorkerClient. It dials a new
// connection per command and is safe for concurrent use.
type Client struct {
	t transport
}

// New returns a client for the stats socket at socket, given as "/path",
// "unix@/path" (HAProxy's HAPROXY_CLI form) or "unix:/path". Nothing is
// dialed until the first command.
func New(socket string) *Client {
	c := &Client{}
	c.t.setSocket(socket)
	return c
}

// Socket returns the socket address as last given to New or SetSocket.
func (c *Client) Socket() string { return c.t.getSocket() }

// SetSocket changes the socket used by commands started after it returns.
// It is safe to call concurrently with commands.
func (c *Client) SetSocket(socket string) { c.t.setSocket(socket) }

// Execute sends one raw command and returns HAProxy's reply unparsed and
// unclassified. It refuses (ErrInvalidArgument, nothing sent) a command
// containing '\n', '\r', ';' or NUL. The context's deadline, or
// DefaultTimeout if it has none, bounds the whole exchange.
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
