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

// setServer runs "<verb> be/srv<args>" whose success reply is an empty
// line. op names the operation in errors; args must already be validated.
func (c *Client) setServer(ctx context.Context, op, verb, be, srv, args string) error {
	if err := checkNames("backend", be, "server", srv); err != nil {
		return fmt.Errorf("%s %s/%s: %w", op, be, srv, err)
	}
	if _, err := c.do(ctx, verb+" "+be+"/"+srv+args, emptyReply); err != nil {
		return fmt.Errorf("%s %s/%s: %w", op, be, srv, err)
	}
	return nil
}

// SetServerState sets the administrative state: "ready", "drain" or "maint".
func (c *Client) SetServerState(ctx context.Context, be, srv, state string) error {
	if err := checkOneOf("state", state, "ready", "drain", "maint"); err != nil {
		return fmt.Errorf("set state %s/%s: %w", be, srv, err)
	}
	return c.setServer(ctx, "set state", "set server", be, srv, " state "+state)
}

// SetServerHealth forces the operational state: "up", "down" or
// "stopping". Running health checks will override it at their next result.
func (c *Client) SetServerHealth(ctx context.Context, be, srv, state string) error {
	if err := checkOneOf("health", state, "up", "down", "stopping"); err != nil {
		return fmt.Errorf("set health %s/%s: %w", be, srv, err)
	}
	return c.setServer(ctx, "set health", "set server", be, srv, " health "+state)
}

// SetServerWeight sets the absolute weight, 0..256. A backend with a static
// algorithm (balance source, static-rr) answers ErrUnsupported.
func (c *Client) SetServerWeight(ctx context.Context, be, srv string, weight int) error {
	if err := checkRange("weight", weight, 0, 256); err != nil {
		return fmt.Errorf("set weight %s/%s: %w", be, srv, err)
	}
	return c.setServer(ctx, "set weight", "set server", be, srv, " weight "+strconv.Itoa(weight))
}

// SetServerCheckPort sets the health-check port, 1..65535. A server without
// "check" answers ErrUnsupported.
func (c *Client) SetServerCheckPort(ctx context.Context, be, srv string, port int) error {
	if err := checkRange("check port", port, 1, 65535); err != nil {
		return fmt.Errorf("set check-port %s/%s: %w", be, srv, err)
	}
	return c.setServer(ctx, "set check-port", "set server", be, srv, " check-port "+strconv.Itoa(port))
}

// EnableHealth starts health checks; ErrUnsupported if none are configured.
func (c *Client) EnableHealth(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "enable health", "enable health", be, srv, "")
}

// DisableHealth stops health checks.
func (c *Client) DisableHealth(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "disable health", "disable health", be, srv, "")
}

// EnableAgent starts agent checks; ErrUnsupported if no agent is configured.
func (c *Client) EnableAgent(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "enable agent", "enable agent", be, srv, "")
}

// DisableAgent stops agent checks.
func (c *Client) DisableAgent(ctx context.Context, be, srv string) error {
	return c.setServer(ctx, "disable agent", "disable agent", be, srv, "")
}

// SetServerAddr changes the server's IP address and, unless port is 0, its
// port. Setting the current address again is a success. The "port" clause
// is omitted for 0 because HAProxy would really set port 0.
func (c *Client) SetServerAddr(ctx context.Context, be, srv, addr string, port int) error {
	ip, err := checkIP(addr)
	if err == nil && port != 0 {
		err = checkRange("port", port, 1, 65535)
	}
	if err == nil {
		err = checkNames("backend", be, "server", srv)
	}
	if err != nil {
		return fmt.Errorf("set addr %s/%s: %w", be, srv, err)
	}
	cmd := "set server " + be + "/" + srv + " addr " + ip
	if port != 0 {
		cmd += " port " + strconv.Itoa(port)
	}
	if _, err := c.do(ctx, cmd, replyHasPrefix(replyAddrChanged, replyAddrUnchanged)); err != nil {
		return fmt.Errorf("set addr %s/%s: %w", be, srv, err)
	}
	return nil
}

// AddServer runs `add server be/srv addr:port params...`. The new server
// starts in maintenance; call SetServerState(..., "ready") to send traffic.
// A duplicate name is ErrExists; a backend with a static algorithm or a
// parameter not allowed for dynamic servers is ErrUnsupported.
func (c *Client) AddServer(ctx context.Context, be, srv, addr string, port int, params []string) error {
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
		return fmt.Errorf("add server %s/%s: %w", be, srv, err)
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
	if _, err := c.do(ctx, cmd, replyIs(replyServerAdded)); err != nil {
		return fmt.Errorf("add server %s/%s: %w", be, srv, err)
	}
	return nil
}

// DelServer removes a server, which must be in maintenance (ErrUnsupported
// otherwise, or when another server tracks it). HAProxy also deletes servers
// from the configuration file this way, until the next reload.
func (c *Client) DelServer(ctx context.Context, be, srv string) error {
	if err := checkNames("backend", be, "server", srv); err != nil {
		return fmt.Errorf("del server %s/%s: %w", be, srv, err)
	}
	if _, err := c.do(ctx, "del server "+be+"/"+srv, replyIs(replyServerDeleted)); err != nil {
		return fmt.Errorf("del server %s/%s: %w", be, srv, err)
	}
	return nil
}

// SetFrontendMaxconn sets a frontend's maxconn (the "slim" column of show
// stat). An unknown frontend is ErrNotFound.
func (c *Client) SetFrontendMaxconn(ctx context.Context, fe string, n int) error {
	err := checkNames("frontend", fe)
	if err == nil {
		err = checkRange("maxconn", n, 0, math.MaxInt32)
	}
	if err != nil {
		return fmt.Errorf("set maxconn frontend %s: %w", fe, err)
	}
	if _, err := c.do(ctx, "set maxconn frontend "+fe+" "+strconv.Itoa(n), emptyReply); err != nil {
		return fmt.Errorf("set maxconn frontend %s: %w", fe, err)
	}
	return nil
}
