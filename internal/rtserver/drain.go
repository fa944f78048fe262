package rtserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"dataplane/internal/fault"
	"dataplane/internal/runtime"
)

// Limits of a drain wait.
const (
	DefaultDrainTimeout = 30 * time.Second
	MaxDrainTimeout     = time.Hour
	drainPoll           = 100 * time.Millisecond
	// commandTimeout bounds each runtime command of a drain, so one stuck
	// command cannot eat the whole wait.
	commandTimeout = 5 * time.Second
)

// DrainOptions tunes Drain.
type DrainOptions struct {
	Timeout   time.Duration // how long to wait for the sessions to end; default DefaultDrainTimeout
	ThenMaint bool          // put the server in maintenance when the wait ends
	Poll      time.Duration // default 100 ms
	Log       *slog.Logger
}

// DrainResult is the outcome of Drain.
type DrainResult struct {
	State    runtime.ServerState // read back at the end
	Current  int64               // current sessions at the end (scur)
	Queued   int64               // queued requests at the end (qcur)
	Drained  bool                // no session and no queued request was left
	TimedOut bool                // the timeout passed first
	Waited   time.Duration
}

// Drain sets be/srv to drain (no new sessions, except persistent ones),
// then polls its current sessions and queued requests until both are 0 or
// the timeout passes. With ThenMaint the server then goes to maintenance,
// drained or not. When ctx ends first (the HTTP client went away), the wait
// stops, the server stays in drain, and a warning says so: a drain is never
// left half-way without a trace.
func Drain(ctx context.Context, c *runtime.Client, be, srv string, opts DrainOptions) (DrainResult, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultDrainTimeout
	}
	if opts.Timeout > MaxDrainTimeout {
		return DrainResult{}, badRequest("timeout %s is over the maximum of %s", opts.Timeout, MaxDrainTimeout)
	}
	if opts.Poll <= 0 {
		opts.Poll = drainPoll
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	cmd := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, commandTimeout) }

	// Unknown servers are refused before anything changes.
	cctx, cancel := cmd()
	_, _, err := c.ServerSessions(cctx, be, srv)
	cancel()
	if err != nil {
		return DrainResult{}, classify(err)
	}
	cctx, cancel = cmd()
	err = c.SetServerState(cctx, be, srv, "drain")
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// The client left while the command was in flight: HAProxy
			// may well have applied it, so that is said (and logged).
			opts.Log.Warn("drain: the client disconnected while the drain was being set; the server may be in drain",
				"server", be+"/"+srv)
			return DrainResult{}, fault.Wrap(fault.Timeout,
				fmt.Errorf("drain %s/%s: the client went away while `state drain` was being sent; the server may be in drain: %w", be, srv, ErrClientGone))
		}
		return DrainResult{}, classify(err)
	}

	start := time.Now()
	deadline := start.Add(opts.Timeout)
	res := DrainResult{}
	for {
		cctx, cancel = cmd()
		cur, queued, err := c.ServerSessions(cctx, be, srv)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return res, gone(opts.Log, be, srv, start)
			}
			opts.Log.Warn("drain: reading the server's sessions failed; the server is left in drain",
				"server", be+"/"+srv, "waited", time.Since(start).Round(time.Millisecond), "error", err)
			return res, fmt.Errorf("drain %s/%s: the server is in drain, but waiting for its sessions failed: %w", be, srv, err)
		}
		res.Current, res.Queued = cur, queued
		if cur == 0 && queued == 0 {
			res.Drained = true
			break
		}
		if !time.Now().Before(deadline) {
			res.TimedOut = true
			break
		}
		wait := time.NewTimer(min(opts.Poll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			wait.Stop()
			return res, gone(opts.Log, be, srv, start)
		case <-wait.C:
		}
	}
	res.Waited = time.Since(start)
	if opts.ThenMaint {
		cctx, cancel = cmd()
		err := c.SetServerState(cctx, be, srv, "maint")
		cancel()
		if err != nil {
			return res, classify(fmt.Errorf("drain %s/%s: the wait ended (drained=%t) but setting maint failed; the server is in drain: %w", be, srv, res.Drained, err))
		}
	}
	cctx, cancel = cmd()
	res.State, err = Get(cctx, c, be, srv)
	cancel()
	if err != nil {
		return res, err
	}
	return res, nil
}

// ErrClientGone is returned when the wait stopped because the request's
// context ended.
var ErrClientGone = errors.New("the client went away")

// gone logs and returns the end of a drain whose client disconnected.
func gone(log *slog.Logger, be, srv string, start time.Time) error {
	waited := time.Since(start).Round(time.Millisecond)
	log.Warn("drain: the client disconnected, so the wait stopped; the server is left in drain (not in maint)",
		"server", be+"/"+srv, "waited", waited)
	return fault.Wrap(fault.Timeout,
		fmt.Errorf("drain %s/%s: stopped after %s, the server is left in drain: %w", be, srv, waited, ErrClientGone))
}
