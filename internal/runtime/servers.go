package runtime

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Success replies of the commands below, as printed by HAProxy 2.6.
const (
	replyAddrChanged   = "IP changed from"
	replyAddrUnchanged = "no need to change the addr"
	replyServerAdded   = "New server registered."
	replyServerDeleted = "Server deleted."
)

// ServerSetting is one change made with `set server <be>/<srv> ...`:
// built by ServerAdminState, ServerHealth, ServerWeight, ServerAddr or
// ServerCheckPort, applied by SetServer or SetServerAndShow. Its value is
// checked when it is built; an invalid one is refused (ErrInvalidArgument)
// by the method it is given to, before anything is sent.
type ServerSetting struct {
	op   string            // names the change in errors: "set weight"
	args string            // what follows "set server be/srv"
	ok   func(string) bool // accepts HAProxy's success reply
	err  error
}

// ServerAdminState sets the administrative state: "ready", "drain" or
// "maint".
func ServerAdminState(state string) ServerSetting {
	return ServerSetting{op: "set state", args: " state " + state, ok: emptyReply,
		err: checkOneOf("state", state, "ready", "drain", "maint")}
}

// ServerHealth forces the operational state: "up", "down" or "stopping".
// Running health checks will override it at their next result.
func ServerHealth(state string) ServerSetting {
	return ServerSetting{op: "set health", args: " health " + state, ok: emptyReply,
		err: checkOneOf("health", state, "up", "down", "stopping")}
}

// ServerWeight sets the absolute weight, 0..256. A backend with a static
// algorithm (balance source, static-rr) answers ErrUnsupported.
func ServerWeight(weight int) ServerSetting {
	return ServerSetting{op: "set weight", args: " weight " + strconv.Itoa(weight), ok: emptyReply,
		err: checkRange("weight", weight, 0, 256)}
}

// ServerCheckPort sets the health-check port, 1..65535. A server without
// "check" answers ErrUnsupported.
func ServerCheckPort(port int) ServerSetting {
	return ServerSetting{op: "set check-port", args: " check-port " + strconv.Itoa(port), ok: emptyReply,
		err: checkRange("check port", port, 1, 65535)}
}

// ServerAddr changes the IP address and, unless port is 0, the port.
// Setting the current address again is a success. The "port" clause is
// left out for 0 because HAProxy would really set port 0. What is sent is
// the canonical form of the address, never the caller's string.
func ServerAddr(addr string, port int) ServerSetting {
	ip, err := checkIP(addr)
	if err == nil && port != 0 {
		err = checkRange("port", port, 1, 65535)
	}
	args := " addr " + ip
	if port != 0 {
		args += " port " + strconv.Itoa(port)
	}
	return ServerSetting{op: "set addr", args: args, ok: replyHasPrefix(replyAddrChanged, replyAddrUnchanged), err: err}
}

// command checks s and the names, and returns the command line.
func (s ServerSetting) command(be, srv string) (string, error) {
	err := s.err
	if s.op == "" {
		err = fmt.Errorf("%w: empty server setting", ErrInvalidArgument)
	}
	if err == nil {
		err = checkNames("backend", be, "server", srv)
	}
	if err != nil {
		return "", fmt.Errorf("%s %s/%s: %w", s.op, be, srv, err)
	}
	return "set server " + be + "/" + srv + s.args, nil
}

// Command is the command line that applies s to be/srv, checked as
// SetServer checks it (a dry run shows it).
func (s ServerSetting) Command(be, srv string) (string, error) { return s.command(be, srv) }

// SetServer applies s to be/srv.
func (c *Client) SetServer(ctx context.Context, be, srv string, s ServerSetting) error {
	cmd, err := s.command(be, srv)
	if err != nil {
		return err
	}
	if _, err := c.do(ctx, cmd, s.ok); err != nil {
		return fmt.Errorf("%s %s/%s: %w", s.op, be, srv, err)
	}
	return nil
}

// SetServerAndShow applies s to be/srv and reads `show servers state be`
// on the same command line: one round trip, and the state read is the one
// the change left on the same worker. It returns the row of srv (found is
// false when the reply has none); only that row is parsed. A refused change
// is the error, and then no state is returned.
func (c *Client) SetServerAndShow(ctx context.Context, be, srv string, s ServerSetting) (st ServerState, found bool, err error) {
	cmd, err := s.command(be, srv)
	if err != nil {
		return ServerState{}, false, err
	}
	show := "show servers state " + be
	replies, err := c.t.batch(ctx, []string{cmd, show})
	if err != nil {
		c.t.obs.observe(cmd, "", err)
		return ServerState{}, false, fmt.Errorf("%s %s/%s: %w", s.op, be, srv, err)
	}
	c.t.obs.observe(cmd, replies[0], nil)
	c.t.obs.observe(show, replies[1], nil)
	if !s.ok(replies[0]) {
		return ServerState{}, false, fmt.Errorf("%s %s/%s: %w", s.op, be, srv, newCommandError(cmd, replies[0]))
	}
	if !isServersState(replies[1]) {
		return ServerState{}, false, fmt.Errorf("%s %s/%s, then %s: %w", s.op, be, srv, show, newCommandError(show, replies[1]))
	}
	st, found, err = parseServerState(replies[1], srv)
	if err != nil {
		return ServerState{}, false, fmt.Errorf("%s: %w", show, err)
	}
	return st, found, nil
}

// SetServerState sets the administrative state: "ready", "drain" or "maint".
func (c *Client) SetServerState(ctx context.Context, be, srv, state string) error {
	return c.SetServer(ctx, be, srv, ServerAdminState(state))
}

// SetServerHealth forces the operational state: "up", "down" or
// "stopping". Running health checks will override it at their next result.
func (c *Client) SetServerHealth(ctx context.Context, be, srv, state string) error {
	return c.SetServer(ctx, be, srv, ServerHealth(state))
}

// SetServerWeight sets the absolute weight, 0..256. A backend with a static
// algorithm (balance source, static-rr) answers ErrUnsupported.
func (c *Client) SetServerWeight(ctx context.Context, be, srv string, weight int) error {
	return c.SetServer(ctx, be, srv, ServerWeight(weight))
}

// SetServerCheckPort sets the health-check port, 1..65535. A server without
// "check" answers ErrUnsupported.
func (c *Client) SetServerCheckPort(ctx context.Context, be, srv string, port int) error {
	return c.SetServer(ctx, be, srv, ServerCheckPort(port))
}

// setServer runs "<verb> be/srv" whose success reply is an empty line. op
// names the operation in errors.
func (c *Client) setServer(ctx context.Context, op, verb, be, srv string) error {
	cmd, err := ServerCommand(verb, be, srv)
	if err != nil {
		return fmt.Errorf("%s %s/%s: %w", op, be, srv, err)
	}
	if _, err := c.do(ctx, cmd, emptyReply); err != nil {
		return fmt.Errorf("%s %s/%s: %w", op, be, srv, err)
	}
	return nil
}

// ServerCommand is the command line "<verb> be/srv" (enable health,
// disable agent, ...), with the names checked.
func ServerCommand(verb, be, srv string) (string, error) {
	if err := checkNames("backend", be, "server", srv); err != nil {
		return "", err
	}
	return verb + " " + be + "/" + srv, nil
}

// EnableHealth starts health checks; ErrUnsupported if none are configured.
func (c *Client) EnableHealth(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "enable health", "enable health", be, srv)
}

// DisableHealth stops health checks.
func (c *Client) DisableHealth(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "disable health", "disable health", be, srv)
}

// EnableAgent starts agent checks; ErrUnsupported if no agent is configured.
func (c *Client) EnableAgent(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "enable agent", "enable agent", be, srv)
}

// DisableAgent stops agent checks.
func (c *Client) DisableAgent(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "disable agent", "disable agent", be, srv)
}

// SetServerAddr changes the server's IP address and, unless port is 0, its
// port (see ServerAddr).
func (c *Client) SetServerAddr(ctx context.Context, be, srv, addr string, port int) error {
	return c.SetServer(ctx, be, srv, ServerAddr(addr, port))
}

// AddServer runs `add server be/srv addr:port params...`. The new server
// starts in maintenance; call SetServerState(..., "ready") to send traffic.
// A duplicate name is ErrExists; a backend with a static algorithm or a
// parameter not allowed for dynamic servers is ErrUnsupported.
func (c *Client) AddServer(ctx context.Context, be, srv, addr string, port int, params []string) error {
	cmd, err := AddServerCommand(be, srv, addr, port, params)
	if err != nil {
		return err
	}
	if _, err := c.do(ctx, cmd, replyEndsWith(replyServerAdded)); err != nil {
		return fmt.Errorf("add server %s/%s: %w", be, srv, err)
	}
	return nil
}

// AddServerCommand is the command line of AddServer, checked.
func AddServerCommand(be, srv, addr string, port int, params []string) (string, error) {
	ip, err := checkIP(addr)
	if err == nil {
		err = checkRange("port", port, 1, 65535)
	}
	if err == nil {
		err = checkNames("backend", be, "server", srv)
	}
	for _, p := range params {
		if err == nil {
			err = checkParam(p)
		}
	}
	if err != nil {
		return "", fmt.Errorf("add server %s/%s: %w", be, srv, err)
	}
	if strings.Contains(ip, ":") {
		// HAProxy splits host and port at the last ':'; brackets make an
		// IPv6 address unambiguous.
		ip = "[" + ip + "]"
	}
	cmd := fmt.Sprintf("add server %s/%s %s:%d", be, srv, ip, port)
	if len(params) > 0 {
		cmd += " " + strings.Join(params, " ")
	}
	return cmd, nil
}

// DelServer removes a server, which must be in maintenance (ErrUnsupported
// otherwise, or when another server tracks it). HAProxy also deletes servers
// from the configuration file this way, until the next reload.
func (c *Client) DelServer(ctx context.Context, be, srv string) error {
	cmd, err := ServerCommand("del server", be, srv)
	if err != nil {
		return fmt.Errorf("del server %s/%s: %w", be, srv, err)
	}
	if _, err := c.do(ctx, cmd, replyIs(replyServerDeleted)); err != nil {
		return fmt.Errorf("del server %s/%s: %w", be, srv, err)
	}
	return nil
}

// SetFrontendMaxconn sets a frontend's maxconn (the "slim" column of show
// stat). An unknown frontend is ErrNotFound.
func (c *Client) SetFrontendMaxconn(ctx context.Context, fe string, n int) error {
	cmd, err := FrontendMaxconnCommand(fe, n)
	if err != nil {
		return err
	}
	if _, err := c.do(ctx, cmd, emptyReply); err != nil {
		return fmt.Errorf("set maxconn frontend %s: %w", fe, err)
	}
	return nil
}

// FrontendMaxconnCommand is the command line of SetFrontendMaxconn, checked.
func FrontendMaxconnCommand(fe string, n int) (string, error) {
	err := checkNames("frontend", fe)
	if err == nil {
		err = checkRange("maxconn", n, 0, math.MaxInt32)
	}
	if err != nil {
		return "", fmt.Errorf("set maxconn frontend %s: %w", fe, err)
	}
	return "set maxconn frontend " + fe + " " + strconv.Itoa(n), nil
}
