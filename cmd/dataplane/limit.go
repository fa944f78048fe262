package main

import (
	"net"
	"sync"
)

// limitListener accepts at most n connections open at once (listen_limit):
// Accept waits until one of them is closed. Connections beyond it wait in
// the kernel's backlog instead of costing a goroutine and memory each.
type limitListener struct {
	net.Listener
	sem chan struct{}
}

// limitListen wraps ln when n > 0.
func limitListen(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, sem: make(chan struct{}, n)}
}

// Accept implements net.Listener.
func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

// limitConn gives its slot back once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// Close implements net.Conn.
func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
