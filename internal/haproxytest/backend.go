package haproxytest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

var noKeepAlive = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true},
	Timeout:   10 * time.Second,
}

func newRequest(ctx context.Context, url string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
}

// Backend is a local HTTP server that HAProxy can forward to. It answers
// every request with its name, and counts the requests it served.
type Backend struct {
	Name string
	Port int
	hits atomic.Int64
	srv  *http.Server
}

// Hits returns how many requests the backend served.
func (b *Backend) Hits() int64 { return b.hits.Load() }

// Addr returns "127.0.0.1:<port>".
func (b *Backend) Addr() string { return fmt.Sprintf("127.0.0.1:%d", b.Port) }

// StartBackend starts a backend on a free loopback port; handler may be nil
// for the default "answer with the name" behaviour. It is closed at the end
// of the test.
func StartBackend(t testing.TB, name string, handler http.HandlerFunc) *Backend {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("backend listen: %v", err)
	}
	b := &Backend{Name: name, Port: l.Addr().(*net.TCPAddr).Port}
	b.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.hits.Add(1)
			if handler != nil {
				handler(w, r)
				return
			}
			fmt.Fprint(w, name)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = b.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.srv.Shutdown(ctx)
	})
	return b
}
