package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCommandLines checks the exact line each method sends, and that the
// success reply HAProxy 2.6 prints for it is accepted.
func TestCommandLines(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  string
		run   func(ctx context.Context, c *Client) error
	}{
		{"state", "\n", "set server be/s1 state drain", func(ctx context.Context, c *Client) error { return c.SetServerState(ctx, "be", "s1", "drain") }},
		{"health", "\n", "set server be/s1 health stopping", func(ctx context.Context, c *Client) error { return c.SetServerHealth(ctx, "be", "s1", "stopping") }},
		{"weight", "\n", "set server be/s1 weight 0", func(ctx context.Context, c *Client) error { return c.SetServerWeight(ctx, "be", "s1", 0) }},
		{"weight max", "\n", "set server be/s1 weight 256", func(ctx context.Context, c *Client) error { return c.SetServerWeight(ctx, "be", "s1", 256) }},
		{"check port", "\n", "set server be/s1 check-port 8081", func(ctx context.Context, c *Client) error { return c.SetServerCheckPort(ctx, "be", "s1", 8081) }},
		{"enable health", "\n", "enable health be/s1", func(ctx context.Context, c *Client) error { return c.EnableHealth(ctx, "be", "s1") }},
		{"disable health", "\n", "disable health be/s1", func(ctx context.Context, c *Client) error { return c.DisableHealth(ctx, "be", "s1") }},
		{"enable agent", "\n", "enable agent be/s1", func(ctx context.Context, c *Client) error { return c.EnableAgent(ctx, "be", "s1") }},
		{"disable agent", "\n", "disable agent be/s1", func(ctx context.Context, c *Client) error { return c.DisableAgent(ctx, "be", "s1") }},
		{"addr keep port", "IP changed from '127.0.0.1' to '127.0.0.2' by 'stats socket command'\n\n", "set server be/s1 addr 127.0.0.2",
			func(ctx context.Context, c *Client) error { return c.SetServerAddr(ctx, "be", "s1", "127.0.0.2", 0) }},
		{"addr port", "IP changed from '127.0.0.1' to '127.0.0.3', port changed from '18201' to '18299' by 'stats socket command'\n\n", "set server be/s1 addr 127.0.0.3 port 18299",
			func(ctx context.Context, c *Client) error {
				return c.SetServerAddr(ctx, "be", "s1", "127.0.0.3", 18299)
			}},
		{"addr same", "no need to change the addr, no need to change the port by 'stats socket command'\n\n", "set server be/s1 addr 2001:db8::1 port 80",
			func(ctx context.Context, c *Client) error { return c.SetServerAddr(ctx, "be", "s1", "2001:DB8::1", 80) }},
		{"add", "New server registered.\n\n", "add server be/d1 127.0.0.1:18201 weight 20 check inter 1s",
			func(ctx context.Context, c *Client) error {
				return c.AddServer(ctx, "be", "d1", "127.0.0.1", 18201, []string{"weight", "20", "check", "inter", "1s"})
			}},
		{"add v6", "New server registered.\n\n", "add server be/d1 [::1]:18201",
			func(ctx context.Context, c *Client) error { return c.AddServer(ctx, "be", "d1", "::1", 18201, nil) }},
		{"del", "Server deleted.\n", "del server be/d1", func(ctx context.Context, c *Client) error { return c.DelServer(ctx, "be", "d1") }},
		{"maxconn", "\n", "set maxconn frontend fe 123", func(ctx context.Context, c *Client) error { return c.SetFrontendMaxconn(ctx, "fe", 123) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSocket(t, replyOnLine, tt.reply)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tt.run(ctx, New(f.Path)); err != nil {
				t.Fatalf("err = %v", err)
			}
			if got := f.lines(); len(got) != 1 || got[0] != tt.want+"\n" {
				t.Fatalf("sent %q, want %q", got, tt.want+"\n")
			}
		})
	}
}

// TestReplyClassification feeds the error texts HAProxy 2.6.12 printed for
// real (see HAPROXY-FACTS §4) to the method that gets them.
func TestReplyClassification(t *testing.T) {
	weight := func(ctx context.Context, c *Client) error { return c.SetServerWeight(ctx, "be", "s", 10) }
	add := func(ctx context.Context, c *Client) error { return c.AddServer(ctx, "be", "s", "127.0.0.1", 80, nil) }
	del := func(ctx context.Context, c *Client) error { return c.DelServer(ctx, "be", "s") }
	addr := func(ctx context.Context, c *Client) error { return c.SetServerAddr(ctx, "be", "s", "127.0.0.1", 0) }
	tests := []struct {
		reply string
		run   func(ctx context.Context, c *Client) error
		kind  error
	}{
		{"No such server.\n\n", weight, ErrNotFound},
		{"No such backend.\n\n", weight, ErrNotFound},
		{"No such backend.\n", add, ErrNotFound},
		{"No such server.\n", del, ErrNotFound},
		{"No such frontend.\n\n", func(ctx context.Context, c *Client) error { return c.SetFrontendMaxconn(ctx, "fe", 1) }, ErrNotFound},
		{"Can't find backend.\n\n", func(ctx context.Context, c *Client) error { _, err := c.ShowServersState(ctx, "x"); return err }, ErrNotFound},
		{"No such proxy.\n\n", func(ctx context.Context, c *Client) error {
			_, err := c.ShowStat(ctx, StatFilter{Proxy: "x"})
			return err
		}, ErrNotFound},
		{"Already exists a server with the same name in backend.\n\n", add, ErrExists},
		{"Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n", weight, ErrUnsupported},
		{"Backend must use a dynamic load balancing to support dynamic servers.\n", add, ErrUnsupported},
		{"'cookie' option is not accepted for dynamic server\n\n", add, ErrUnsupported},
		{"Only servers in maintenance mode can be deleted.\n", del, ErrUnsupported},
		{"This server cannot be removed at runtime due to other configuration elements pointing to it.\n", del, ErrUnsupported},
		{"health checks are not enabled on this server\n", func(ctx context.Context, c *Client) error { return c.SetServerCheckPort(ctx, "be", "s", 1) }, ErrUnsupported},
		{"Health check was not configured on this server, cannot enable.\n\n", func(ctx context.Context, c *Client) error { return c.EnableHealth(ctx, "be", "s") }, ErrUnsupported},
		{"Agent was not configured on this server, cannot enable.\n\n", func(ctx context.Context, c *Client) error { return c.EnableAgent(ctx, "be", "s") }, ErrUnsupported},
		// Unclassified failures.
		{"unknown keyword 'bogusparam'.\n\n", add, nil},
		{"Invalid addr 'x' by 'stats socket command'\n\n", addr, nil},
		{"Unknown command, but maybe one of the following ones is a better match:\n  No such server\n\n", weight, nil},
		{"Permission denied\n\n", weight, nil},
		{"", weight, nil},                           // closed without a reply
		{"New server registered.\n\n", weight, nil}, // someone else's success text
		{"\n", add, nil},
		{"\n", del, nil},
		{"\n", addr, nil},
	}
	for _, tt := range tests {
		f := newFakeSocket(t, replyOnLine, tt.reply)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := tt.run(ctx, New(f.Path))
		cancel()
		var ce *CommandError
		if !errors.As(err, &ce) {
			t.Errorf("reply %q: err = %v, want *CommandError", tt.reply, err)
			continue
		}
		if ce.Kind != tt.kind || (tt.kind != nil && !errors.Is(err, tt.kind)) {
			t.Errorf("reply %q: kind = %v, want %v", tt.reply, ce.Kind, tt.kind)
		}
		if ce.Reply != strings.TrimSpace(tt.reply) {
			t.Errorf("reply %q: CommandError.Reply = %q", tt.reply, ce.Reply)
		}
		for _, other := range []error{ErrNotFound, ErrExists, ErrUnsupported, ErrInvalidArgument} {
			if other != tt.kind && errors.Is(err, other) {
				t.Errorf("reply %q: also matches %v", tt.reply, other)
			}
		}
	}
}

func TestCommandErrorMessage(t *testing.T) {
	err := error(newCommandError("set server be/s weight 300", "Absolute weight can only be between 0 and 256 inclusive.\n\n"))
	err = errors.Join(err) // any wrapping keeps the text
	want := `haproxy rejected "set server be/s weight 300": Absolute weight can only be between 0 and 256 inclusive.`
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}

// TestAddServerWarnings: HAProxy prints its warnings before the success
// line of `add server`; the server is added.
func TestAddServerWarnings(t *testing.T) {
	for reply, ok := range map[string]bool{
		"New server registered.\n\n": true,
		"no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.\nNew server registered.\n\n": true,
		"New server registered.\nbut then something else\n\n":                                                                          false,
	} {
		f := newFakeSocket(t, replyOnLine, reply)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := New(f.Path).AddServer(ctx, "be", "s", "127.0.0.1", 80, []string{"no-tlsv10", "ssl-min-ver", "TLSv1.2"})
		cancel()
		if (err == nil) != ok {
			t.Errorf("reply %q: err = %v", reply, err)
		}
	}
}
