// Package api is dataplane's HTTP layer: routes, handlers (one file per
// resource), request validation against api/openapi.yaml, authentication,
// and the one function that turns errors into {"code","message"} answers.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	contract "dataplane/api"
	"dataplane/internal/apierror"
	"dataplane/internal/audit"
	"dataplane/internal/certstore"
	"dataplane/internal/config"
	"dataplane/internal/fleet"
	"dataplane/internal/patfile"
	"dataplane/internal/reload"
	"dataplane/internal/role"
	"dataplane/internal/rtserver"
	"dataplane/internal/runtime"
	"dataplane/internal/storage"
	"dataplane/internal/transaction"
)

// Deps is what the handlers work with.
type Deps struct {
	// Spec is the contract, loaded in the background: requests that take
	// input wait for it (see Server.validate).
	Spec *contract.Contract
	// Pipeline is the live configuration and the one path changes take.
	Pipeline *transaction.Pipeline
	Runtime  *runtime.Client // stats socket (level admin); may be nil
	Master   *runtime.Master // master CLI; may be nil
	Reloads  *reload.Scheduler
	// Patterns changes runtime map and ACL files and their backing files;
	// nil disables those changes.
	Patterns *patfile.Files
	// Maps is the storage of map files; nil disables /storage/maps.
	Maps *storage.Store
	// Transactions serves explicit transactions; nil disables them.
	Transactions *transaction.Manager
	// Auth wraps every /v3 handler (and /metrics unless MetricsNoAuth).
	Auth func(http.Handler) http.Handler
	// RoleOf is the role of the user Auth authenticated (auth.RoleFrom),
	// checked against each operation's action (Server.authorize); nil
	// checks none (tests whose Auth lets every request through).
	RoleOf      func(context.Context) role.Role
	Logger      *slog.Logger
	MaxBodySize int64
	Build       BuildInfo
	Metrics     http.Handler // served at /metrics when not nil
	// HAProxyStatus, when set, says whether HAProxy was found gone and
	// started again (the keeper), for /health and /info.
	HAProxyStatus func() reload.KeeperStatus
	MetricsNoAuth bool
	// SSLStore, CrtListStore and GeneralStore are the storage
	// directories of certificates, crt-lists and general files; nil
	// answers 503.
	SSLStore, CrtListStore, GeneralStore *certstore.Store
	// Audit is the audit trail every change is recorded in; nil records
	// none and answers GET /audit with 404.
	Audit *audit.Log
	// Fleet, in fleet mode, is the fleet as this node sees it (GET
	// /cluster); nil in single-node mode.
	Fleet func(ctx context.Context) fleet.View
	// FleetRuntime, in fleet mode, stores a runtime record for every
	// node (fleet.Node.UpdateRuntime); see runtime_fleet.go.
	FleetRuntime func(ctx context.Context, kind, key string, merge func(old []byte) ([]byte, error)) error
	// Observe, when set, is called after every request (metrics).
	Observe func(route string, status int, took time.Duration)
}

// BuildInfo is what /v3/info says about this binary.
type BuildInfo struct {
	Version   string
	BuildDate time.Time
}

// Server is the HTTP handler of dataplane.
type Server struct {
	d   Deps
	log *slog.Logger
	// fleetPatterns serializes, in fleet mode, a map or ACL entry change
	// (stored, then applied here) with this node applying the fleet's
	// records: otherwise each could find the entry the other just changed
	// and fail on it (runtime_fleet.go).
	fleetPatterns sync.Mutex
	// specJSON is the contract as JSON, encoded on first use (it takes
	// ~20 ms that start-up need not wait for), once the contract is
	// loaded.
	specJSON func() ([]byte, error)
	// ready is closed once the request validator is built from the
	// contract (validator), or could not be (validatorErr).
	ready        chan struct{}
	validator    *validator
	validatorErr error
	mux          http.Handler
	v3           *chi.Mux // the /v3 routes, which /v2 requests are translated to
	// bodies bounds the bytes of request bodies read at once.
	bodies byteBudget
	// validating lets one only_validate upload at a time be checked and
	// read into a document; the others wait with their body on the disk.
	// The budget admits two bodies of max_body_size at once, but a
	// document costs up to 3.5 times its file (a file of many small
	// sections). Commits take turns under the commit lock.
	validating chan struct{}
	// sslMu serializes the changes of TLS files: HAProxy holds one
	// certificate transaction at a time, and a stored file is checked,
	// swapped and written as one step.
	sslMu sync.Mutex
	// journal keeps runtime changes a pending reload would undo.
	journal rtserver.Journal
	started time.Time
	// txVersion returns the version of an in-progress transaction.
	txVersion func(id string) (int64, bool)
	// txDoc returns the staged document of an in-progress transaction.
	txDoc func(id string) (*config.Document, error)
}

// New builds the handler tree.
func New(d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.MaxBodySize <= 0 {
		d.MaxBodySize = 64 << 20
	}
	s := &Server{d: d, log: d.Logger, started: time.Now(), bodies: byteBudget{limit: 2 * d.MaxBodySize}, validating: make(chan struct{}, 1)}
	if d.Spec == nil {
		return nil, errors.New("no contract")
	}
	s.specJSON = sync.OnceValues(func() ([]byte, error) {
		spec, err := d.Spec.Wait(context.Background())
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(spec)
		if err != nil {
			return nil, fmt.Errorf("marshal specification: %w", err)
		}
		return b, nil
	})
	if d.Transactions != nil {
		s.txVersion = d.Transactions.VersionOf
		s.txDoc = d.Transactions.Doc
	}
	// The validator is built once the contract is loaded, in the
	// background: requests that take no input are served meanwhile.
	s.ready = make(chan struct{})
	go func() {
		defer close(s.ready)
		spec, err := d.Spec.Wait(context.Background())
		if err == nil {
			s.validator, err = newValidator(spec)
		}
		s.validatorErr = err
	}()

	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, notFound("path %s was not found", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, methodNotAllowed(r.Method, r.URL.Path))
	})
	// Every answer carries Configuration-Version, 404s outside /v3
	// included.
	r.Use(s.recoverer, s.accessLog, s.configVersionHeader, trimTrailingSlash)
	if d.Metrics != nil {
		if d.MetricsNoAuth {
			r.Handle("/metrics", d.Metrics)
		} else {
			r.With(d.Auth).Handle("/metrics", d.Metrics)
		}
	}
	v3 := chi.NewRouter()
	v3.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, notFound("path %s was not found", r.URL.Path))
	})
	v3.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, methodNotAllowed(r.Method, r.URL.Path))
	})
	v3.Use(d.Auth, noteUser, s.auditTrail, s.authorize, s.limitBody, s.validate)
	s.routes(v3)
	s.v3 = v3
	r.Mount("/v3", v3)
	r.Handle(v2Prefix+"/*", http.HandlerFunc(s.serveV2))
	s.mux = r
	return s, nil
}

// Ready waits until requests are validated against the contract (it is
// loaded and the validator built), or ctx ends. It returns why the
// contract could not be loaded, if so.
func (s *Server) Ready(ctx context.Context) error {
	select {
	case <-s.ready:
		return s.validatorErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// validate checks every request against the contract before its handler
// runs. A request to an operation that takes no input has nothing to
// check, and is served at once, even before the contract is loaded
// (start-up); every other one waits for the validator, as long as the
// client does.
func (s *Server) validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contract.TakesNoInput(r.Method, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.Ready(r.Context()); err != nil {
			writeError(w, r, s.log, contractError(err))
			return
		}
		s.validator.check(w, r, next, s.log)
	})
}

// spec waits for the contract, as long as ctx lasts.
func (s *Server) spec(ctx context.Context) (*openapi3.T, error) {
	spec, err := s.d.Spec.Wait(ctx)
	if err != nil {
		return nil, contractError(err)
	}
	return spec, nil
}

// contractError is the answer to a request that needed the contract and
// could not have it: the client left while it was loading, or it could
// not be loaded (a broken build).
func contractError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apierror.New(http.StatusServiceUnavailable, "the API contract is still loading: %v", err)
	}
	return apierror.New(http.StatusInternalServerError, "the API contract could not be loaded: %v", err)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// routes registers every operation of api/openapi.yaml.
func (s *Server) routes(r chi.Router) {
	r.Get("/", s.wrap(s.discovery("/")))
	r.Get("/services", s.wrap(s.discovery("/services")))
	r.Get("/services/haproxy", s.wrap(s.discovery("/services/haproxy")))
	r.Get("/services/haproxy/configuration", s.wrap(s.discovery("/services/haproxy/configuration")))
	r.Get("/services/haproxy/runtime", s.wrap(s.discovery("/services/haproxy/runtime")))
	r.Get("/info", s.wrap(s.getInfo))
	r.Get("/health", s.wrap(s.getHealth))
	r.Get("/specification", s.getSpecification)
	r.Get("/specification_openapiv3", s.getSpecification)
	r.Get("/docs", s.getDocs)
	r.Get("/docs/redoc.standalone.js", s.getDocsBundle)
	r.Get("/services/haproxy/runtime/info", s.wrap(s.getRuntimeInfo))
	s.routeRuntimeServers(r)
	s.routeRuntimeSSL(r)
	s.routeRuntimeSSLFiles(r)
	s.routeStorage(r)

	r.Get("/services/haproxy/configuration/version", s.wrap(s.getVersion))
	r.Get("/services/haproxy/configuration/raw", s.wrap(s.getRaw))
	s.routeBackups(r)
	r.Post("/services/haproxy/configuration/raw", s.wrap(s.postRaw))

	r.Get("/services/haproxy/configuration/global", s.wrap(s.getGlobal))
	r.Put("/services/haproxy/configuration/global", s.wrap(s.replaceGlobal))
	s.routeResources(r)
	s.routeSites(r)
	s.routeTraces(r)

	r.Get("/services/haproxy/transactions", s.wrap(s.listTransactions))
	r.Post("/services/haproxy/transactions", s.wrap(s.startTransaction))
	r.Get("/services/haproxy/transactions/{id}", s.wrap(s.getTransaction))
	r.Put("/services/haproxy/transactions/{id}", s.wrap(s.commitTransaction))
	r.Delete("/services/haproxy/transactions/{id}", s.wrap(s.deleteTransaction))
	r.Get("/services/haproxy/transactions/{id}/diff", s.wrap(s.diffTransaction))

	r.Get("/services/haproxy/reloads", s.wrap(s.listReloads))
	r.Post("/services/haproxy/reloads", s.wrap(s.triggerReload))
	r.Get("/services/haproxy/reloads/{id}", s.wrap(s.getReload))
}

// configDir is the directory of haproxy.cfg: relative paths in it resolve
// against it.
func (s *Server) configDir() string { return filepath.Dir(s.d.Pipeline.ConfigFile()) }

// runtimeClient returns the client for worker commands: the stats socket,
// else the current worker through the master CLI, else nil.
func (s *Server) runtimeClient() *runtime.Client {
	switch {
	case s.d.Runtime != nil:
		return s.d.Runtime
	case s.d.Master != nil:
		return s.d.Master.WorkerClient()
	}
	return nil
}

var errNoRuntime = apierror.New(http.StatusServiceUnavailable,
	"no runtime socket: declare `stats socket <path> level admin` in global, or run HAProxy in master-worker mode with master_runtime set")
