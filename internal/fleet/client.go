package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// redialPause is how long a failed connection attempt is the answer before
// the next use tries again: a wrong password is not asked of etcd at every
// request of every caller.
const redialPause = 500 * time.Millisecond

var errClosed = errors.New("the fleet node is closed")

// conn is the node's etcd client, made at first need. clientv3.New dials
// lazily, except with a username: then it authenticates before it returns,
// and fails when etcd does not answer or refuses the password. A node must
// start anyway (it serves its last configuration, answers reads and
// refuses writes with 503 naming etcd until etcd lets it in), so with a
// username the client is made in the background, and made again at a
// later use until it is.
type conn struct {
	cfg clientv3.Config

	mu       sync.Mutex
	cli      *clientv3.Client
	dialing  chan struct{} // closed when the attempt under way ends
	err      error         // why the last attempt failed
	failedAt time.Time
	closed   bool
}

// newConn makes the client at once when that cannot block or fail on
// etcd (no username), and else starts making it.
func newConn(cfg clientv3.Config) (*conn, error) {
	c := &conn{cfg: cfg}
	if cfg.Username == "" || cfg.Password == "" {
		cli, err := clientv3.New(cfg)
		if err != nil {
			return nil, err
		}
		c.cli = cli
		return c, nil
	}
	c.mu.Lock()
	c.startDial()
	c.mu.Unlock()
	return c, nil
}

// get returns the client, waiting (ctx allowing) for an attempt under way
// or starting one. Its error is the attempt's: "authentication failed" for
// a wrong password, a deadline when etcd did not answer.
func (c *conn) get(ctx context.Context) (*clientv3.Client, error) {
	c.mu.Lock()
	switch {
	case c.cli != nil:
		cli := c.cli
		c.mu.Unlock()
		return cli, nil
	case c.closed:
		c.mu.Unlock()
		return nil, errClosed
	case c.dialing == nil && c.err != nil && time.Since(c.failedAt) < redialPause:
		err := c.err
		c.mu.Unlock()
		return nil, err
	case c.dialing == nil:
		c.startDial()
	}
	ch := c.dialing
	c.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("connect to etcd: %w", ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cli != nil {
		return c.cli, nil
	}
	if c.closed {
		return nil, errClosed
	}
	return nil, c.err
}

// startDial starts an attempt; c.mu is held.
func (c *conn) startDial() {
	ch := make(chan struct{})
	c.dialing = ch
	go func() {
		// Bounded by cfg.DialTimeout (the request timeout).
		cli, err := clientv3.New(c.cfg)
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case c.closed && err == nil:
			cli.Close()
		case err == nil:
			c.cli, c.err = cli, nil
		default:
			c.err, c.failedAt = err, time.Now()
		}
		c.dialing = nil
		close(ch)
	}()
}

// close closes the client, and one an attempt under way makes.
func (c *conn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.cli == nil {
		return nil
	}
	cli := c.cli
	c.cli = nil
	return cli.Close()
}
