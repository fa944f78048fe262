// Package apitest runs the whole dataplane program in-process against a
// real HAProxy for tests, and checks every response against
// api/openapi.yaml.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"dataplane/internal/app"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// User and Password are the credentials of the test user.
const (
	User     = "admin"
	Password = "adminpwd"
)

// Env is a running dataplane in front of a running HAProxy.
type Env struct {
	T        testing.TB
	HAProxy  *haproxytest.Instance
	Settings *settings.Settings
	App      *app.App
	Server   *httptest.Server

	spec   *openapi3.T
	router routers.Router
	cancel context.CancelFunc
}

// Options tunes Start.
type Options struct {
	// Settings, when set, edits the settings before the program is built.
	Settings func(st *settings.Settings)
	// LogLevel of the program's log, written to the test log; default Warn.
	LogLevel slog.Level
	// Log, when set, also receives the program's log (it must be safe for
	// concurrent writes).
	Log io.Writer
}

// Start starts HAProxy with cfg (use in.Global() for the usual global and
// defaults sections: New(t) returns the instance to build it from) and then
// dataplane against it, with the master CLI as reload path and no reload
// delay.
func Start(t testing.TB, in *haproxytest.Instance, cfg string, opts Options) *Env {
	t.Helper()
	if cfg != "" {
		in.Start(cfg)
	}
	st := settings.Defaults()
	st.HAProxy.ConfigFile = in.ConfigPath
	st.HAProxy.MasterRuntime = in.MasterSocket
	st.HAProxy.Reload.ReloadDelay = 0
	st.API.Transaction.TransactionDir = filepath.Join(in.Dir, "transactions")
	st.API.Users = []settings.User{{Name: User, Password: Password, Insecure: true}}
	if opts.Settings != nil {
		opts.Settings(st)
	}
	return startWith(t, in, st, opts)
}

func startWith(t testing.TB, in *haproxytest.Instance, st *settings.Settings, opts Options) *Env {
	t.Helper()
	level := opts.LogLevel
	if level == 0 {
		level = slog.LevelWarn
	}
	var out io.Writer = testWriter{t}
	if opts.Log != nil {
		out = io.MultiWriter(out, opts.Log)
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, st, log, app.Build{Version: "test", BuildDate: time.Now()})
	if err != nil {
		cancel()
		t.Fatalf("build dataplane: %v", err)
	}
	e := &Env{T: t, HAProxy: in, Settings: st, App: a, cancel: cancel}
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	e.Server = httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		e.Server.Close()
		cancel()
		<-done
	})
	// Tests start from a program done starting: the contract loaded and
	// the running HAProxy found, as before either happened in the
	// background.
	rctx, rcancel := context.WithTimeout(ctx, time.Minute)
	defer rcancel()
	if err := a.Ready(rctx); err != nil {
		t.Fatalf("dataplane not ready: %v", err)
	}
	spec, err := a.Spec(rctx)
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	e.spec, e.router = spec, router
	return e
}

// testWriter sends the program's log to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Response is a checked response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it does not decode.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Request describes one call.
type Request struct {
	Method      string
	Path        string // under /v3, with the query, e.g. "/services/haproxy/configuration/raw?version=1"
	Body        any    // []byte and string are sent as is; anything else as JSON
	ContentType string // default: application/json for JSON bodies, text/plain for []byte/string
	User, Pass  string // default: the test user; set NoAuth to send none
	NoAuth      bool
	Header      http.Header
}

// Do sends req and checks the response against the contract; a response
// that does not match fails the test.
func (e *Env) Do(req Request) *Response {
	e.T.Helper()
	var body io.Reader
	ct := req.ContentType
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "text/plain"
		}
	case string:
		body = strings.NewReader(b)
		if ct == "" {
			ct = "text/plain"
		}
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("encode request body: %v", err)
		}
		body = bytes.NewReader(j)
		if ct == "" {
			ct = "application/json"
		}
	}
	hr, err := http.NewRequest(req.Method, e.Server.URL+"/v3"+req.Path, body)
	if err != nil {
		e.T.Fatalf("request: %v", err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	if !req.NoAuth {
		u, p := req.User, req.Pass
		if u == "" && p == "" {
			u, p = User, Password
		}
		hr.SetBasicAuth(u, p)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		e.T.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatalf("%s %s: read body: %v", req.Method, req.Path, err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	e.checkContract(hr, out)
	return out
}

// Get is Do for a GET.
func (e *Env) Get(path string) *Response {
	e.T.Helper()
	return e.Do(Request{Method: http.MethodGet, Path: path})
}

// checkContract validates a response against the operation it answers, and
// checks the rules every response follows: a Configuration-Version header,
// and errors shaped {"code": <status>, "message": ...}.
func (e *Env) checkContract(req *http.Request, resp *Response) {
	e.T.Helper()
	if resp.Header.Get("Configuration-Version") == "" {
		e.T.Errorf("%s %s: %d response without Configuration-Version", req.Method, req.URL.Path, resp.Status)
	}
	if resp.Status >= 400 {
		var body struct {
			Code    *int    `json:"code"`
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil || body.Code == nil || body.Message == nil {
			e.T.Errorf("%s %s: error body is not {code,message}: %s", req.Method, req.URL.Path, resp.Body)
		} else if *body.Code != resp.Status {
			e.T.Errorf("%s %s: error code %d in a %d response", req.Method, req.URL.Path, *body.Code, resp.Status)
		}
	}
	probe := req.Clone(context.Background())
	probe.URL.Path = req.URL.Path
	route, params, err := e.router.FindRoute(probe)
	if err != nil {
		return // not an operation of the contract (404/405 cases)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 resp.Status,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(resp.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.T.Errorf("%s %s: %d response does not match api/openapi.yaml: %v\nbody: %.500s", req.Method, req.URL.Path, resp.Status, err, resp.Body)
	}
}

// Spec is the loaded contract.
func (e *Env) Spec() *openapi3.T { return e.spec }

// ReadConfig returns the bytes of the live haproxy.cfg.
func (e *Env) ReadConfig() []byte {
	e.T.Helper()
	b, err := os.ReadFile(e.Settings.HAProxy.ConfigFile)
	if err != nil {
		e.T.Fatal(err)
	}
	return b
}
