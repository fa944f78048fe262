package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
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
	plan, c := r.plan(running, next, false)
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if plan.Reload {
		log.Debug("change needs a reload", "reason", plan.Reason)
		return false, nil
	}
	for _, op := range plan.Ops {
		if err := r.run(ctx, c, op); err != nil {
			return false, fmt.Errorf("runtime %s: %w", op, err)
		}
		log.Info("applied at runtime", "op", op.String())
	}
	// A command HAProxy accepted may still leave a state other than the
	// one the file describes (a server loaded with `disabled` stays in
	// maintenance after `state ready`): read back what each command was
	// meant to change, so nothing is reported live that is not.
	if err := Verify(ctx, c, plan.Ops); err != nil {
		return false, err
	}
	return true, nil
}

// plan is the plan Apply follows, and the client it sends it with: a
// reload when the runtime socket is missing and the plan has operations.
// explain makes the plan name every reason and the deferred operations
// (Explain), for a dry run; the decision is the same.
func (r *Runtime) plan(running, next *config.Document, explain bool) (Plan, *runtime.Client) {
	plan := Compute(running, next)
	if explain {
		plan = Explain(running, next)
	}
	var c *runtime.Client
	if r.Client != nil {
		c = r.Client()
	}
	if !plan.Reload && c == nil && len(plan.Ops) > 0 {
		return Plan{Reload: true, Reason: "no runtime socket to send the changes through", Deferred: plan.Ops}, nil
	}
	return plan, c
}

// Preview says what Apply would do, without doing it: the command lines
// it would send, each checked as it would be, in order; or why it would
// reload (reload), with the command lines of the differences that could
// have gone live (deferred). It runs Apply's own plan and steps against a
// socket that only writes the commands down.
func (r *Runtime) Preview(ctx context.Context, running, next *config.Document) (commands []string, reload string, deferred []string, err error) {
	plan, _ := r.plan(running, next, true)
	ops := plan.Ops
	if plan.Reload {
		ops = plan.Deferred
	}
	rec := &recorder{}
	for _, op := range ops {
		if err := r.run(ctx, rec, op); err != nil {
			return nil, "", nil, fmt.Errorf("runtime %s: %w", op, err)
		}
	}
	if plan.Reload {
		return nil, plan.Reason, rec.commands, nil
	}
	return rec.commands, "", nil, nil
}

// socket is what run needs of the runtime client; a dry run gives it a
// recorder instead.
type socket interface {
	SetServerWeight(ctx context.Context, be, srv string, weight int) error
	SetServerAddr(ctx context.Context, be, srv, addr string, port int) error
	SetServerState(ctx context.Context, be, srv, state string) error
	SetFrontendMaxconn(ctx context.Context, fe string, n int) error
	AddServer(ctx context.Context, be, srv, addr string, port int, params []string) error
	EnableHealth(ctx context.Context, be, srv string) error
	EnableAgent(ctx context.Context, be, srv string) error
	ServerSessions(ctx context.Context, be, srv string) (cur, queued int64, err error)
	DelServer(ctx context.Context, be, srv string) error
}

// recorder is a socket that writes down the command lines it is given,
// built and checked by the runtime client's own functions, and answers
// each with success (a server to delete has no session left).
type recorder struct{ commands []string }

func (w *recorder) note(cmd string, err error) error {
	if err == nil {
		w.commands = append(w.commands, cmd)
	}
	return err
}

func (w *recorder) set(be, srv string, s runtime.ServerSetting) error {
	return w.note(s.Command(be, srv))
}

func (w *recorder) SetServerWeight(_ context.Context, be, srv string, weight int) error {
	return w.set(be, srv, runtime.ServerWeight(weight))
}

func (w *recorder) SetServerAddr(_ context.Context, be, srv, addr string, port int) error {
	return w.set(be, srv, runtime.ServerAddr(addr, port))
}

func (w *recorder) SetServerState(_ context.Context, be, srv, state string) error {
	return w.set(be, srv, runtime.ServerAdminState(state))
}

func (w *recorder) SetFrontendMaxconn(_ context.Context, fe string, n int) error {
	return w.note(runtime.FrontendMaxconnCommand(fe, n))
}

func (w *recorder) AddServer(_ context.Context, be, srv, addr string, port int, params []string) error {
	return w.note(runtime.AddServerCommand(be, srv, addr, port, params))
}

func (w *recorder) EnableHealth(_ context.Context, be, srv string) error {
	return w.note(runtime.ServerCommand("enable health", be, srv))
}

func (w *recorder) EnableAgent(_ context.Context, be, srv string) error {
	return w.note(runtime.ServerCommand("enable agent", be, srv))
}

func (w *recorder) ServerSessions(context.Context, string, string) (int64, int64, error) {
	return 0, 0, nil
}

func (w *recorder) DelServer(_ context.Context, be, srv string) error {
	return w.note(runtime.ServerCommand("del server", be, srv))
}

// ErrNotApplied marks runtime commands HAProxy accepted whose effect is
// not the state the configuration describes.
var ErrNotApplied = errors.New("the runtime change did not take effect")

// Verify reads back, with one `show servers state` per backend and one
// `show stat` per frontend, what the operations were meant to change, and
// returns the first difference as an ErrNotApplied.
func Verify(ctx context.Context, c *runtime.Client, ops []Op) error {
	states := map[string]map[string]runtime.ServerState{}
	server := func(be, srv string) (runtime.ServerState, bool, error) {
		byName, ok := states[be]
		if !ok {
			list, err := c.ShowServersState(ctx, be)
			if err != nil {
				return runtime.ServerState{}, false, fmt.Errorf("verify: show servers state %s: %w", be, err)
			}
			byName = make(map[string]runtime.ServerState, len(list))
			for _, st := range list {
				byName[st.Name] = st
			}
			states[be] = byName
		}
		st, ok := byName[srv]
		return st, ok, nil
	}
	for _, op := range ops {
		if op.Kind == OpSetFeMaxconn {
			if err := verifyFrontendMaxconn(ctx, c, op); err != nil {
				return err
			}
			continue
		}
		st, present, err := server(op.Backend, op.Server)
		if err != nil {
			return err
		}
		if why := mismatch(op, st, present); why != "" {
			return fmt.Errorf("server %s/%s %s after %s: %w", op.Backend, op.Server, why, op, ErrNotApplied)
		}
	}
	return nil
}

// mismatch says how a server's state differs from what op was meant to
// leave, or "".
func mismatch(op Op, st runtime.ServerState, present bool) string {
	const forcedOrConfigMaint = runtime.AdminForcedMaint | runtime.AdminConfigMaint
	switch op.Kind {
	case OpDelServer:
		if present {
			return "is still there"
		}
		return ""
	}
	if !present {
		return "is not there"
	}
	maint := st.AdminState&forcedOrConfigMaint != 0
	switch op.Kind {
	case OpSetWeight:
		if st.UWeight != op.Weight {
			return fmt.Sprintf("has weight %d, not %d", st.UWeight, op.Weight)
		}
	case OpSetAddr:
		if st.Addr != op.Addr || st.Port != op.Port {
			return fmt.Sprintf("has address %s:%d, not %s:%d", st.Addr, st.Port, op.Addr, op.Port)
		}
	case OpSetState:
		switch {
		case op.State == "maint" && !maint:
			return fmt.Sprintf("is not in maintenance (admin state %d)", st.AdminState)
		case op.State == "ready" && st.AdminState&runtime.AdminConfigMaint != 0:
			return "is still in maintenance: it was loaded with `disabled`, which only a reload lifts"
		case op.State == "ready" && (maint || st.AdminState&runtime.AdminForcedDrain != 0):
			return fmt.Sprintf("is not ready (admin state %d)", st.AdminState)
		}
	case OpAddServer:
		if maint != op.StartMnt {
			return fmt.Sprintf("has admin state %d, maintenance should be %v", st.AdminState, op.StartMnt)
		}
	}
	return ""
}

func verifyFrontendMaxconn(ctx context.Context, c *runtime.Client, op Op) error {
	rows, err := c.ShowStat(ctx, runtime.StatFilter{Proxy: op.Backend, Type: runtime.StatFrontends})
	if err != nil {
		return fmt.Errorf("verify: show stat %s: %w", op.Backend, err)
	}
	for _, r := range rows {
		if r.Type != runtime.TypeFrontend {
			continue
		}
		if got := r.Get("slim"); got != strconv.Itoa(op.Maxconn) {
			return fmt.Errorf("frontend %s has maxconn %s after %s: %w", op.Backend, got, op, ErrNotApplied)
		}
		return nil
	}
	return fmt.Errorf("frontend %s is not in show stat after %s: %w", op.Backend, op, ErrNotApplied)
}

func (r *Runtime) run(ctx context.Context, c socket, op Op) error {
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
