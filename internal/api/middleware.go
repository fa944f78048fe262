package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/auth"
)

// statusWriter remembers the status written, and runs a hook just before
// the header goes out.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	beforeWrite func(h http.Header)
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = code
	if w.beforeWrite != nil {
		w.beforeWrite(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// WriteString lets a body written as strings (a document's sections)
// reach the connection's buffer without a copy of each.
func (w *statusWriter) WriteString(s string) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return io.WriteString(w.ResponseWriter, s)
}

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				apierror.Write(w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// accessLog logs every request at Info (Debug for health probes) and feeds
// the request metrics with the route pattern, not the raw path, so metric
// labels stay bounded.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &requestInfo{}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		took := time.Since(start)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		level := s.log.Info
		if route == "/v3/health" || route == "/metrics" {
			level = s.log.Debug
		}
		level("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "took", took, "remote", r.RemoteAddr, "user", info.user)
		if s.d.Observe != nil {
			s.d.Observe(route, sw.status, took)
		}
	})
}

// requestInfo is what the handlers inside learn about a request that the
// access log and the audit trail, outside them, write: the authenticated
// user, and the contract's operationId once the validator found it (so
// that the audit record does not look the route up again).
type requestInfo struct {
	user      string
	operation string
}

// infoOf returns r's requestInfo, nil outside the access log.
func infoOf(r *http.Request) *requestInfo {
	info, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return info
}

type requestInfoKey struct{}

// noteUser, placed after authentication, gives the access log the user
// the request was authenticated as.
func noteUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoOf(r); info != nil {
			info.user = auth.UserFrom(r.Context())
		}
		next.ServeHTTP(w, r)
	})
}

// trimTrailingSlash serves /v3/x/ as /v3/x (the root /v3/ stays).
func trimTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) > 1 && strings.HasSuffix(p, "/") && p != "/v3/" {
			r.URL.Path = strings.TrimRight(p, "/")
			if r.URL.Path == "/v3" {
				r.URL.Path = "/v3/"
			}
			if r.URL.RawPath != "" {
				r.URL.RawPath = strings.TrimRight(r.URL.RawPath, "/")
			}
		} else if p == "/v3" {
			r.URL.Path = "/v3/"
		}
		next.ServeHTTP(w, r)
	})
}

// configVersionHeader sets Configuration-Version on every response, errors
// and 401s included, unless the handler set it already (after a commit it
// knows the new version).
func (s *Server) configVersionHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		sw.beforeWrite = func(h http.Header) {
			if h.Get(headerConfigVersion) != "" {
				return
			}
			if v, ok := s.versionFor(r); ok {
				h.Set(headerConfigVersion, strconv.FormatInt(v, 10))
			}
		}
		next.ServeHTTP(sw, r)
	})
}

// versionFor is the version a response reports: the transaction's when the
// request names one in progress, else the live file's.
func (s *Server) versionFor(r *http.Request) (int64, bool) {
	if id := r.URL.Query().Get("transaction_id"); id != "" && s.txVersion != nil {
		if v, ok := s.txVersion(id); ok {
			return v, true
		}
	}
	v, err := s.d.Pipeline.Live().Version()
	return v, err == nil
}

// limitBody caps request bodies (validation turns an overflow into 413)
// and the bytes of bodies being read at once: a request whose body does
// not fit in what is left of the budget (twice max_body_size) is answered
// 503 with Retry-After at once, so that hostile clients sending large
// bodies together cannot make memory follow them.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > s.d.MaxBodySize {
			apierror.Write(w, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("request body of %d bytes is over the limit of %d bytes (max_body_size)", r.ContentLength, s.d.MaxBodySize))
			return
		}
		size := r.ContentLength
		if size < 0 {
			size = s.d.MaxBodySize // chunked: as much as it may be
		}
		if !s.bodies.acquire(size) {
			w.Header().Set("Retry-After", "1")
			apierror.Write(w, http.StatusServiceUnavailable,
				fmt.Sprintf("too many request bodies are being read at once (over %d bytes): try again", s.bodies.limit))
			return
		}
		defer s.bodies.release(size)
		r.Body = http.MaxBytesReader(w, r.Body, s.d.MaxBodySize)
		next.ServeHTTP(w, r)
	})
}

// byteBudget counts bytes in use against a limit, without waiting.
type byteBudget struct {
	mu    sync.Mutex
	used  int64
	limit int64
}

func (b *byteBudget) acquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	// One body alone always fits (max_body_size is below the limit).
	if b.used > 0 && b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}
