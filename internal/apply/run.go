package apply

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/runtime"
)

// Runtime applies plans through HAProxy's stats socket.
type Runtime struct {
	// Client returns the runtime client, or nil when there is no socket
	// (every change then needs a reload).
	Client func() *runtime.Client
	Log    *slog.Logger
	// DrainWait bounds how long a deleted server may keep connections
	// before the change falls back to a reload; 0 means 1 s.
	DrainWait time.Duration
}

// Apply makes HAProxy run next instead of running through its runtime
// socket. It returns false when next needs a reload, and an error when a
// runtime command failed: the caller then reloads, which makes HAProxy
// match the file whatever was already applied.
func (r *Runtime) Apply(ctx context.Context, running, next *config.Document) (bool, error) {
	plan := Compute(running, next)
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if plan.Reload {
		log.Debug("change needs a reload", "reason", plan.Reason)
		return false, nil
	}
	c := (*runtime.Client)(nil)
	if r.Client != nil {
		c = r.Client()
	}
	if c == nil && len(plan.Ops) > 0 {
		return false, nil
	}
	for _, op := range plan.Ops {
		if err := r.run(ctx, c, op); err != nil {
			return false, fmt.Errorf("runtime %s: %w", op, err)
		}
		log.Info("applied at runtime", "op", op.String())
	}
	return true, nil
}

func (r *Runtime) run(ctx context.Context, c *runtime.Client, op Op) error {
	switch op.Kind {
	case OpSetWeight:
		return c.SetServerWeight(ctx, op.Backend, op.Server, op.Weight)
	case OpSetAddr:
		return c.SetServerAddr(ctx, op.Backend, op.Server, op.Addr, op.Port)
	case OpSetState:
		return c.SetServerState(ctx, op.Backend, op.Server, op.State)
	case OpSetFeMaxconn:
		return c.SetFrontendMaxconn(ctx, op.Backend, op.Maxconn)
	case OpAddServer:
		if err := c.AddServer(ctx, op.Backend, op.Server, op.Addr, op.Port, op.Params); err != nil {
			return err
		}
		// A server added at run time starts in maintenance with its
		// health and agent checks off; a reload starts them.
		if op.Check {
			if err := c.EnableHealth(ctx, op.Backend, op.Server); err != nil {
				return err
			}
		}
		if op.Agent {
			if err := c.EnableAgent(ctx, op.Backend, op.Server); err != nil {
				return err
			}
		}
		if !op.StartMnt {
			return c.SetServerState(ctx, op.Backend, op.Server, "ready")
		}
		return nil
	case OpDelServer:
		if err := c.SetServerState(ctx, op.Backend, op.Server, "maint"); err != nil {
			return err
		}
		wait := r.DrainWait
		if wait == 0 {
			wait = time.Second
		}
		deadline := time.Now().Add(wait)
		for {
			cur, queued, err := c.ServerSessions(ctx, op.Backend, op.Server)
			if err != nil {
				return err
			}
			if cur == 0 && queued == 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("server still has %d connections and %d queued requests; a reload drains it instead", cur, queued)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		return c.DelServer(ctx, op.Backend, op.Server)
	}
	return fmt.Errorf("unknown operation %s", op.Kind)
}
