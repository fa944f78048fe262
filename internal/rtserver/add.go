package rtserver

import (
	"context"
	"fmt"
	"log/slog"

	"dataplane/internal/config"
	"dataplane/internal/fault"
	"dataplane/internal/runtime"
)

// AddParams checks a server for `add server` and returns its params: the
// server model and param table of configuration writes
// (config.RuntimeAddParams), plus what a server added at run time needs
// that a configured one may inherit from default-server (a port, and an
// agent-port for agent-check).
func AddParams(ns *config.Server) ([]string, error) {
	if ns.Name == "" || ns.Address == "" || ns.Port == nil {
		return nil, badRequest("runtime_add_server: name, address and port are required")
	}
	if ns.AgentCheck == "enabled" && ns.AgentPort == nil {
		return nil, badRequest("runtime_add_server: agent-check needs agent-port")
	}
	params, err := config.RuntimeAddParams(ns)
	if err == nil {
		// Words that are fine in the file may not be on the CLI: ';'
		// ends a command there, quotes and non-ASCII are not words.
		err = runtime.CheckParams(params)
	}
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, fmt.Errorf("runtime_add_server: %w", err))
	}
	return params, nil
}

// Add runs `add server` for ns, then what a new server needs to take
// traffic (it starts in maintenance with checks off): `enable health` when
// check is enabled, `enable agent` when agent-check is, and `set server ...
// state ready` unless maintenance is "enabled". When a follow-up command
// fails, the server is deleted again so that no half-configured server is
// left; the error says whether that worked. A duplicate name is
// runtime.ErrExists, an unknown backend runtime.ErrNotFound. The commands
// go over one connection reserved for them, so they reach one worker.
func Add(ctx context.Context, c *runtime.Client, be string, ns config.Server, log *slog.Logger) error {
	params, err := AddParams(&ns)
	if err != nil {
		return err
	}
	return c.Session(ctx, func(c *runtime.Client) error { return add(ctx, c, be, ns, params, log) })
}

func add(ctx context.Context, c *runtime.Client, be string, ns config.Server, params []string, log *slog.Logger) error {
	if err := c.AddServer(ctx, be, ns.Name, ns.Address, int(*ns.Port), params); err != nil {
		return classify(err)
	}
	var follow []step
	if ns.Check == "enabled" {
		follow = append(follow, step{"enable health", func() error { return c.EnableHealth(ctx, be, ns.Name) }})
	}
	if ns.AgentCheck == "enabled" {
		follow = append(follow, step{"enable agent", func() error { return c.EnableAgent(ctx, be, ns.Name) }})
	}
	if ns.Maintenance != "enabled" {
		follow = append(follow, step{"state ready", func() error { return c.SetServerState(ctx, be, ns.Name, "ready") }})
	}
	for _, st := range follow {
		if err := st.run(); err != nil {
			undo := "it was deleted again"
			if derr := c.DelServer(ctx, be, ns.Name); derr != nil {
				undo = fmt.Sprintf("deleting it again failed too (%v): it is left in maintenance", derr)
			}
			log.Warn("runtime add server: follow-up command failed", "server", be+"/"+ns.Name, "step", st.field, "error", err, "undo", undo)
			return classify(fmt.Errorf("add server %s/%s: the server was added but %q failed, so %s: %w", be, ns.Name, st.field, undo, err))
		}
	}
	return nil
}

// Delete puts be/srv in maintenance when it is not (HAProxy deletes only
// servers in maintenance), then deletes it. When the deletion is refused
// (e.g. another server tracks it), the previous admin state is put back.
// The commands go over one connection reserved for them.
func Delete(ctx context.Context, c *runtime.Client, be, srv string, log *slog.Logger) error {
	return c.Session(ctx, func(c *runtime.Client) error { return del(ctx, c, be, srv, log) })
}

func del(ctx context.Context, c *runtime.Client, be, srv string, log *slog.Logger) error {
	cur, err := Get(ctx, c, be, srv)
	if err != nil {
		return err
	}
	prev := cur.Admin()
	if prev != "maint" {
		if err := c.SetServerState(ctx, be, srv, "maint"); err != nil {
			return classify(err)
		}
	}
	if err := c.DelServer(ctx, be, srv); err != nil {
		restored := ""
		if prev != "maint" {
			restored = "; it was put back to " + prev
			if rerr := c.SetServerState(ctx, be, srv, prev); rerr != nil {
				restored = fmt.Sprintf("; putting it back to %s failed (%v): it is left in maintenance", prev, rerr)
			}
			log.Warn("runtime delete server refused", "server", be+"/"+srv, "error", err, "restored", restored)
		}
		return classify(fmt.Errorf("%w%s", err, restored))
	}
	return nil
}
