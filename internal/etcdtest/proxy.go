package etcdtest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections from 127.0.0.1:<port> to a target, and can
// be cut (the client side sees its connections reset and new dials refused)
// and restored on the same address.
type Proxy struct {
	t      testing.TB
	addr   string
	target string

	mu     sync.Mutex
	ln     net.Listener // nil while cut
	conns  map[net.Conn]struct{}
	closed bool // set by cleanup: Restore no longer listens
	wg     sync.WaitGroup
}

// StartProxy starts a proxy on a free loopback port forwarding to target
// ("127.0.0.1:port"). It is closed at the end of the test.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy to %s: listen: %v", target, err)
	}
	p := &Proxy{t: t, addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.close)
	return p
}

// ProxyAll starts one proxy in front of each member's client port, in
// member order. A client given their URLs can be isolated from the whole
// cluster by cutting all of them, while other clients keep talking to it.
func ProxyAll(t testing.TB, c *Cluster) []*Proxy {
	t.Helper()
	ps := make([]*Proxy, c.Len())
	for i := range ps {
		ps[i] = StartProxy(t, c.ClientAddr(i))
	}
	return ps
}

// URLs returns the URLs of proxies, to give a client as its etcd endpoints.
func URLs(ps []*Proxy) []string {
	urls := make([]string, len(ps))
	for i, p := range ps {
		urls[i] = p.URL()
	}
	return urls
}

// Addr returns the proxy's address, "127.0.0.1:<port>"; it stays the same
// across Cut and Restore.
func (p *Proxy) Addr() string { return p.addr }

// URL returns "http://" + Addr().
func (p *Proxy) URL() string { return "http://" + p.addr }

// Cut closes the listener, so new dials are refused, and resets every open
// connection on both sides. Cutting a cut proxy does nothing.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutLocked()
}

func (p *Proxy) cutLocked() {
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		reset(c)
		delete(p.conns, c)
	}
}

// reset closes c with an RST rather than a FIN: the peer sees the
// connection broken, not ended, and no TIME_WAIT is left on the proxy's
// port to trouble Restore.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// Restore listens again on the same address and forwards new connections.
// Restoring a proxy that is not cut does nothing. The port is normally free
// at once (Go listeners set SO_REUSEADDR); a bind that fails is retried for
// 5 s before the test fails, so call it from the test's goroutine.
func (p *Proxy) Restore() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil || p.closed {
		return
	}
	const timeout = 5 * time.Second
	deadline := time.Now().Add(timeout)
	for {
		ln, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("restore proxy %s -> %s: listen for %s: %v", p.addr, p.target, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serve makes ln the current listener and accepts on it until it is
// closed. Called with p.mu held, or before p is shared.
func (p *Proxy) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				// Temporary trouble (out of descriptors): do not spin.
				time.Sleep(10 * time.Millisecond)
				continue
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.forward(ln, c)
			}()
		}
	}()
}

// forward connects client to the target and copies both ways until both
// directions end or the proxy is cut.
func (p *Proxy) forward(ln net.Listener, client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		// The target is down: the client sees what it would see
		// dialing the target directly, a broken connection.
		reset(client)
		return
	}
	// Cut may have run between Accept and here; the connection belongs
	// to the listener that accepted it, and dies with it.
	if !p.track(ln, client, server) {
		reset(client)
		reset(server)
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pipe(server, client) }()
	go func() { defer wg.Done(); pipe(client, server) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
	client.Close()
	server.Close()
}

func (p *Proxy) track(ln net.Listener, conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != ln {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// pipe copies src to dst and passes the end of src on as a half-close, so
// a client that shuts its writing side still reads the whole answer.
func pipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err != nil {
		// Broken (or cut): break the other side too.
		reset(dst)
		return
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.cutLocked()
	p.mu.Unlock()
	p.wg.Wait()
}

// String names the proxy in failure messages.
func (p *Proxy) String() string { return fmt.Sprintf("proxy %s -> %s", p.addr, p.target) }
