package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"dataplane/internal/audit"
	"dataplane/internal/auth"
	"dataplane/internal/certstore"
)

// auditTrail records every /v3 request that may change something (any
// method but GET and HEAD; dry runs and only_validate change nothing) in
// the audit log: one record per request, written before its answer goes
// out (so a client that got its answer finds the record), with what the
// code paths it ran noted in the request's audit.Recorder: the commit
// path its diff, the runtime client its commands, the storage handlers
// their files. It is the one place requests are audited: a new route is
// audited without a line of its own. It runs after authentication (the
// user) and before the role check and validation, so refused attempts
// are recorded too, as errors.
func (s *Server) auditTrail(next http.Handler) http.Handler {
	if s.d.Audit == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions ||
			queryBool(r, "dry_run") || queryBool(r, "only_validate") {
			next.ServeHTTP(w, r)
			return
		}
		id := requestID(r)
		w.Header().Set(headerRequestID, id)
		rec := &audit.Recorder{}
		start := time.Now().UTC()
		var once sync.Once
		write := func(status int) {
			once.Do(func() {
				out := audit.Record{
					Time: start, User: auth.UserFrom(r.Context()), Remote: r.RemoteAddr, RequestID: id,
					Method: r.Method, Path: r.URL.Path, Status: status, Outcome: audit.OK,
				}
				if status >= 400 {
					out.Outcome = audit.Error
				}
				rec.Fill(&out)
				if out.Operation == "" {
					out.Operation = s.operationID(r)
				}
				if err := s.d.Audit.Append(out); err != nil {
					s.log.Error("audit record not written", "method", r.Method, "path", r.URL.Path, "request_id", id, "error", err)
				}
			})
		}
		sw := &statusWriter{ResponseWriter: w, beforeWrite: func(http.Header) {}}
		sw.beforeWrite = func(http.Header) { write(sw.status) }
		defer func() {
			if v := recover(); v != nil {
				write(http.StatusInternalServerError)
				panic(v)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(audit.NewContext(r.Context(), rec)))
		write(http.StatusOK) // the handler wrote nothing: net/http answers 200
	})
}

// headerRequestID carries the request's id, the client's when it gave a
// plain one, so that a client can find its record in the audit trail.
const headerRequestID = "X-Request-Id"

var plainRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func requestID(r *http.Request) string {
	if id := r.Header.Get(headerRequestID); plainRequestID.MatchString(id) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// operationID is the contract's operationId of r, "" when the contract
// is not loaded yet or has no such operation.
func (s *Server) operationID(r *http.Request) string {
	select {
	case <-s.ready:
	default:
		return ""
	}
	if s.validator == nil {
		return ""
	}
	if info := infoOf(r); info != nil && info.operation != "" {
		return info.operation
	}
	route, _, err := s.validator.router.FindRoute(r)
	if err != nil || route.Operation == nil {
		return ""
	}
	return route.Operation.OperationID
}

// getAudit is GET /v3/audit: the records the filters select, oldest
// first, the newest `limit` of them.
func (s *Server) getAudit(r *http.Request) (*response, error) {
	if s.d.Audit == nil {
		return nil, notFound("the audit trail is off")
	}
	q := r.URL.Query()
	f := audit.Filter{User: q.Get("user"), PathPrefix: q.Get("path"), Outcome: q.Get("outcome"), Limit: 100}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, badRequest("%s: want an RFC 3339 time such as 2026-12-02T13:00:00Z: %v", t.name, err)
			}
			*t.to = tm
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest("limit must be a positive integer")
		}
		f.Limit = n
	}
	recs, err := s.d.Audit.Query(f)
	if err != nil {
		return nil, err
	}
	if recs == nil {
		recs = []audit.Record{}
	}
	return jsonResponse(http.StatusOK, recs), nil
}

// hashingReader hashes what a stored file is written from, for the
// audit record of the upload.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func newHashingReader(r io.Reader) *hashingReader { return &hashingReader{r: r, h: sha256.New()} }

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// note records the file written as name.
func (h *hashingReader) note(r *http.Request, name string) {
	audit.From(r.Context()).FileSum(name, h.n, hex.EncodeToString(h.h.Sum(nil)))
}

// writeStored writes a stored file (certificate, crt-list, general file)
// and notes it in the request's audit record.
func (s *Server) writeStored(r *http.Request, st *certstore.Store, name string, data []byte, create bool) (string, error) {
	path, err := st.Write(name, data, create)
	if err == nil {
		audit.From(r.Context()).File(name, data)
	}
	return path, err
}
