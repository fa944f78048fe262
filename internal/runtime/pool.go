package runtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of a Client's access to the stats socket (SetLimits changes them).
const (
	// DefaultMaxConns bounds the connections a Client has open to the
	// stats socket at once. HAProxy runs CLI commands one at a time per
	// thread, so more would mostly queue inside HAProxy; fewer keeps a
	// burst from overflowing the socket's accept backlog, which makes
	// connect fail with EAGAIN.
	DefaultMaxConns = 4
	// DefaultMaxWaiters bounds the commands (or sessions) waiting for one
	// of those connections. Past it a command fails at once with ErrBusy
	// rather than waiting behind hundreds of others.
	DefaultMaxWaiters = 256
)

// connLifetime bounds how long a connection is reused after it was dialed.
// A worker replaced by a reload keeps answering on the connections it
// accepted (and lives on until they close), so a connection that outlives
// a reload sends commands to a process about to exit. A reload dataplane
// makes or is signalled about drops the pool at once
// (CloseIdleConnections); this bounds the rest. It is also far below the
// default `stats timeout` (10 s) after which HAProxy closes an idle CLI
// connection.
const connLifetime = 500 * time.Millisecond

// pool hands out slots: the right to have one connection to the stats
// socket. A slot may come with an idle connection to reuse. Waiters are
// served in arrival order, and each slot taken is given back exactly once
// with put.
type pool struct {
	mu         sync.Mutex
	idle       []*cliConn // most recently returned last
	open       int        // slots taken or holding an idle connection
	waiters    []chan *cliConn
	maxConns   int
	maxWaiters int
	sweeping   bool // a sweep of idle connections is scheduled

	// gen changes with CloseIdleConnections: connections dialed before
	// are closed instead of being reused.
	gen atomic.Uint64
}

func newPool() *pool {
	return &pool{maxConns: DefaultMaxConns, maxWaiters: DefaultMaxWaiters}
}

func (p *pool) setLimits(conns, waiters int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maxConns, p.maxWaiters = max(1, conns), max(0, waiters)
}

// take waits for a slot, in arrival order, until ctx ends. It returns the
// idle connection that comes with the slot, or nil when the caller must
// dial. Past maxWaiters it fails at once with ErrBusy; a wait cut short by
// ctx is ErrBusy too, wrapping ctx's error.
func (p *pool) take(ctx context.Context) (*cliConn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		cc := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return cc, nil
	}
	if p.open < p.maxConns {
		p.open++
		p.mu.Unlock()
		return nil, nil
	}
	if len(p.waiters) >= p.maxWaiters {
		n := len(p.waiters)
		p.mu.Unlock()
		return nil, fmt.Errorf("%w: %d commands are already waiting for the stats socket", ErrBusy, n)
	}
	ch := make(chan *cliConn, 1)
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()

	select {
	case cc := <-ch:
		return cc, nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	i := slices.Index(p.waiters, ch)
	if i >= 0 {
		p.waiters = slices.Delete(p.waiters, i, i+1)
	}
	p.mu.Unlock()
	if i < 0 {
		// The slot was handed over as ctx ended: pass it on.
		p.put(<-ch)
	}
	return nil, fmt.Errorf("%w: waited for the stats socket: %w", ErrBusy, ctx.Err())
}

// put gives back a slot taken with take, with the connection to keep for
// reuse (nil when the slot holds none). A connection that must not be
// reused is closed.
func (p *pool) put(cc *cliConn) {
	if cc != nil && !p.fresh(cc) {
		cc.close()
		cc = nil
	}
	p.mu.Lock()
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		ch <- cc // buffered: never blocks
		return
	}
	if cc == nil {
		p.open--
		p.mu.Unlock()
		return
	}
	p.idle = append(p.idle, cc)
	if !p.sweeping {
		p.sweeping = true
		time.AfterFunc(connLifetime, p.sweep)
	}
	p.mu.Unlock()
}

// fresh reports whether cc may still be reused: dialed after the last
// CloseIdleConnections and within connLifetime.
func (p *pool) fresh(cc *cliConn) bool {
	return cc.gen == p.gen.Load() && time.Since(cc.dialed) < connLifetime
}

// closeIdle closes the idle connections and makes those in use close when
// they are given back.
func (p *pool) closeIdle() {
	p.gen.Add(1)
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.open -= len(idle)
	p.mu.Unlock()
	for _, cc := range idle {
		cc.close()
	}
}

// sweep closes idle connections that may no longer be reused, so that a
// quiet Client holds no connection (nor an old worker alive) for long.
func (p *pool) sweep() {
	p.mu.Lock()
	var stale []*cliConn
	kept := p.idle[:0]
	for _, cc := range p.idle {
		if p.fresh(cc) {
			kept = append(kept, cc)
		} else {
			stale = append(stale, cc)
		}
	}
	clear(p.idle[len(kept):])
	p.idle = kept
	p.open -= len(stale)
	p.sweeping = len(p.idle) > 0
	if p.sweeping {
		time.AfterFunc(connLifetime, p.sweep)
	}
	p.mu.Unlock()
	for _, cc := range stale {
		cc.close()
	}
}
