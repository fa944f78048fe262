package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"dataplane/api"
	dpapi "dataplane/internal/api"
	"dataplane/internal/cfggen"
	"dataplane/internal/reload"
	"dataplane/internal/transaction"
)

// startupServer is a handler whose contract loads when release is
// closed (or fails with failWith).
func startupServer(t *testing.T, release <-chan struct{}, failWith error) *dpapi.Server {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, cfggen.Generate(3, cfggen.Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	pipeline, err := transaction.Open(transaction.Options{ConfigFile: cfg, Checker: &reload.Checker{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	spec := api.Background(func(ctx context.Context) (*openapi3.T, error) {
		<-release
		if failWith != nil {
			return nil, failWith
		}
		return api.Load(ctx)
	})
	srv, err := dpapi.New(dpapi.Deps{Spec: spec, Pipeline: pipeline, Auth: func(h http.Handler) http.Handler { return h }})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func startupDo(ctx context.Context, srv http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequestWithContext(ctx, method, target, nil))
	return w
}

// TestStartupBeforeTheContract: before the contract is loaded, a request
// that takes no input is answered; one that takes input waits for the
// contract, and is then validated; one whose client leaves while it waits
// is not served.
func TestStartupBeforeTheContract(t *testing.T) {
	release := make(chan struct{})
	srv := startupServer(t, release, nil)
	bg := context.Background()

	if w := startupDo(bg, srv, "GET", "/v3/info"); w.Code != 200 {
		t.Fatalf("GET /v3/info before the contract: %d %s", w.Code, w.Body)
	}
	select {
	case <-readyChan(srv):
		t.Fatal("ready before the contract was loaded")
	default:
	}

	// The client leaves while the contract loads: 503, handler not run.
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	w := startupDo(ctx, srv, "GET", "/v3/services/haproxy/configuration/backends/be_0?version=x")
	cancel()
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("a request that left while the contract loaded: %d %s, want 503", w.Code, w.Body)
	}

	// Requests that take input wait, and are validated once it is there.
	type answer struct {
		code int
		body string
	}
	bad, good := make(chan answer, 1), make(chan answer, 1)
	go func() {
		w := startupDo(bg, srv, "GET", "/v3/services/haproxy/configuration/backends/be_0?transaction_id=%00")
		bad <- answer{w.Code, w.Body.String()}
	}()
	go func() {
		w := startupDo(bg, srv, "GET", "/v3/services/haproxy/configuration/backends/be_0")
		good <- answer{w.Code, w.Body.String()}
	}()
	select {
	case a := <-bad:
		t.Fatalf("answered before the contract was loaded: %d %s", a.code, a.body)
	case a := <-good:
		t.Fatalf("answered before the contract was loaded: %d %s", a.code, a.body)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if a := <-bad; a.code != http.StatusBadRequest || !strings.Contains(a.body, `parameter \"transaction_id\" in query`) {
		t.Errorf("invalid transaction_id once the contract is loaded: %d %s, want the validator's 400", a.code, a.body)
	}
	if a := <-good; a.code != 200 {
		t.Errorf("GET be_0 once the contract is loaded: %d %s", a.code, a.body)
	}
	if err := srv.Ready(bg); err != nil {
		t.Fatal(err)
	}
	// The discovery and the specification needed it too.
	for _, p := range []string{"/v3/services", "/v3/specification"} {
		if w := startupDo(bg, srv, "GET", p); w.Code != 200 {
			t.Errorf("GET %s: %d %s", p, w.Code, w.Body)
		}
	}
}

// TestStartupContractFails: when the contract cannot be loaded, requests
// that need it fail with 500, and Ready says why.
func TestStartupContractFails(t *testing.T) {
	release := make(chan struct{})
	close(release)
	srv := startupServer(t, release, errors.New("broken build"))
	bg := context.Background()
	if err := srv.Ready(bg); err == nil || err.Error() != "broken build" {
		t.Fatalf("Ready: %v, want broken build", err)
	}
	if w := startupDo(bg, srv, "GET", "/v3/services/haproxy/configuration/backends/be_0"); w.Code != 500 {
		t.Fatalf("GET be_0 without a contract: %d %s, want 500", w.Code, w.Body)
	}
	if w := startupDo(bg, srv, "GET", "/v3/health"); w.Code != 200 {
		t.Fatalf("GET /v3/health without a contract: %d %s", w.Code, w.Body)
	}
}

// readyChan is closed when srv is ready.
func readyChan(srv *dpapi.Server) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		if srv.Ready(context.Background()) == nil {
			close(ch)
		}
	}()
	return ch
}
