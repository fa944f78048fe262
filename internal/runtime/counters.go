package runtime

import (
	"context"
	"fmt"
)

// ClearCounters runs `clear counters` (the max values of every proxy and
// server: smax, rate_max, ...) or, with all, `clear counters all` (every
// statistics counter). HAProxy 2.6 has no form for one proxy.
func (c *Client) ClearCounters(ctx context.Context, all bool) error {
	cmd := "clear counters"
	if all {
		cmd += " all"
	}
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if !emptyReply(reply) {
		return fmt.Errorf("%s: %w", cmd, newCommandError(cmd, reply))
	}
	return nil
}
