package fleet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// A client certificate etcd refuses (none, or one its CA did not sign)
// does not show in clientv3's errors: gRPC makes the handshake again and
// again in the background and the request ends at its deadline, "context
// deadline exceeded", which reads as etcd being down. So when the store
// stops answering a node that speaks TLS, the node makes one handshake
// of its own and, when etcd refuses it, says so in the store's errors.

const (
	probeTimeout = time.Second
	// probeEvery paces the probes while the store stays unreachable.
	probeEvery = 5 * time.Second
)

// tlsRefusedError is a request that ended at its deadline (Unwrap) while
// etcd refuses this node's TLS handshake (cause).
type tlsRefusedError struct {
	endpoint string
	cause    error
	err      error
}

func (e *tlsRefusedError) Error() string {
	return fmt.Sprintf("etcd %s refuses this node's TLS connection (check tls_certificate, tls_key and tls_ca): %v", e.endpoint, e.cause)
}

func (e *tlsRefusedError) Unwrap() error { return e.err }

// maybeProbeTLS starts a probe when err may hide a TLS refusal; n.mu is
// held.
func (n *Node) maybeProbeTLS(err error) {
	if n.opts.TLS == nil || !errors.Is(err, context.DeadlineExceeded) || n.tlsProbing ||
		time.Since(n.tlsProbedAt) < probeEvery {
		return
	}
	n.tlsProbing, n.tlsProbedAt = true, time.Now()
	go func() {
		ep, cause := probeTLS(n.opts.Endpoints, n.opts.TLS)
		n.mu.Lock()
		defer n.mu.Unlock()
		n.tlsProbing = false
		n.tlsRefused = nil
		if cause != nil {
			n.tlsRefused = &tlsRefusedError{endpoint: ep, cause: cause}
			n.log.Warn("etcd refuses this node's TLS connection", "endpoint", ep, "error", cause)
		}
	}()
}

// explain is err, or the TLS refusal a probe found when err is a deadline.
func (n *Node) explain(err error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.explainLocked(err)
}

func (n *Node) explainLocked(err error) error {
	if n.tlsRefused == nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := *n.tlsRefused
	e.err = err
	return &e
}

// probeTLS makes a TLS handshake with each https endpoint and returns the
// first refusal: an error of the handshake or etcd's alert right after
// it. An endpoint that does not accept the TCP connection, or answers
// nothing, is not a refusal.
func probeTLS(endpoints []string, cfg *tls.Config) (endpoint string, err error) {
	for _, ep := range endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Scheme != "https" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		d := tls.Dialer{Config: cfg.Clone()}
		c, err := d.DialContext(ctx, "tcp", u.Host)
		cancel()
		if err != nil {
			var op *net.OpError
			if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &op) && op.Op == "dial") {
				continue // unreachable: what the deadline said already
			}
			return ep, err
		}
		// In TLS 1.3 the server judges the client's certificate after
		// the client's side of the handshake is done: its verdict comes
		// as an alert at the first read.
		_ = c.SetReadDeadline(time.Now().Add(probeTimeout / 2))
		_, err = c.Read(make([]byte, 1))
		c.Close()
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "remote error" {
			return ep, err
		}
	}
	return "", nil
}
