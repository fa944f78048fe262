package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"dataplane/internal/apierror"
	"dataplane/internal/fault"
)

// response is what a handler returns; wrap writes it.
type response struct {
	status int
	body   any    // JSON-encoded unless text or stream is set
	text   []byte // sent as text/plain when not nil
	// stream, when set, writes a text/plain body piece by piece: a
	// configuration of tens of MB is sent from the document that holds
	// it, or from the disk, without a copy made for the answer.
	stream io.WriterTo
	// done, when set, runs once the response is written.
	done   func()
	header http.Header
}

func jsonResponse(status int, body any) *response {
	return &response{status: status, body: body, header: http.Header{}}
}

func textResponse(status int, text []byte) *response {
	if text == nil {
		text = []byte{}
	}
	return &response{status: status, text: text, header: http.Header{}}
}

func streamResponse(status int, body io.WriterTo) *response {
	return &response{status: status, stream: body, header: http.Header{}}
}

func emptyResponse(status int) *response {
	return &response{status: status, header: http.Header{}}
}

// handlerFunc decodes an already validated request, calls one method of the
// layer below, and returns a value or an error.
type handlerFunc func(r *http.Request) (*response, error)

// wrap turns a handlerFunc into an http.HandlerFunc: errors go through the
// one error funnel, values are encoded.
func (s *Server) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		resp, err := h(r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if resp.done != nil {
			defer resp.done()
		}
		for k, vs := range resp.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		switch {
		case resp.stream != nil:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(resp.status)
			if _, err := resp.stream.WriteTo(w); err != nil {
				// The status is out: all that is left is to say why the
				// body stops short.
				s.log.Debug("response cut short", "method", r.Method, "path", r.URL.Path, "error", err)
			}
		case resp.text != nil:
			if resp.header.Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			}
			w.WriteHeader(resp.status)
			_, _ = w.Write(resp.text)
		case resp.body != nil:
			b, err := json.Marshal(resp.body)
			if err != nil {
				writeError(w, r, s.log, fmt.Errorf("encode response: %w", err))
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(resp.status)
			_, _ = w.Write(b)
			_, _ = w.Write([]byte("\n"))
		default:
			w.WriteHeader(resp.status)
		}
	}
}

// statusOf maps an error chain to an HTTP status: an explicit status the
// HTTP layer gave it, else the kind of failure the layers below wrapped
// (one status per kind), else 500.
func statusOf(err error) int {
	var ae *apierror.Error
	if errors.As(err, &ae) && ae.Status != 0 {
		return ae.Status
	}
	if s, ok := kindStatus[fault.Of(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// kindStatus is the one mapping of kinds of failure to HTTP statuses.
var kindStatus = map[*fault.Kind]int{
	fault.NotFound:    http.StatusNotFound,
	fault.Conflict:    http.StatusConflict,
	fault.Invalid:     http.StatusBadRequest,
	fault.Outdated:    http.StatusNotAcceptable,
	fault.TooMany:     http.StatusTooManyRequests,
	fault.Unavailable: http.StatusServiceUnavailable,
	fault.Timeout:     http.StatusRequestTimeout,
}

// writeError is the one error funnel. Client errors are logged at Debug so
// a noisy client cannot flood the log; server errors at Error. An error
// that knows when to try again (the runtime socket busy or unreachable)
// says it in Retry-After, and is logged at Warn.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := statusOf(err)
	var ra interface{ RetryAfter() time.Duration }
	retry := errors.As(err, &ra)
	if retry {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(ra.RetryAfter().Seconds())))))
	}
	switch {
	case retry:
		// A refusal under load: one line per request at Error would
		// add to the load it reports.
		log.Warn("request refused for now", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	case status >= 500:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	default:
		log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
	apierror.Write(w, status, err.Error())
}

func badRequest(format string, args ...any) error {
	return apierror.New(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) error {
	return apierror.New(http.StatusNotFound, format, args...)
}

func methodNotAllowed(method, path string) error {
	return apierror.New(http.StatusMethodNotAllowed, "method %s is not allowed on %s", method, path)
}

// queryBool reads a boolean query parameter (already validated).
func queryBool(r *http.Request, name string) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return v
}

// queryInt reads an integer query parameter (already validated); ok is
// false when it is absent.
func queryInt(r *http.Request, name string) (int64, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func setVersion(h http.Header, v int64) {
	h.Set(headerConfigVersion, strconv.FormatInt(v, 10))
}

const (
	headerConfigVersion = "Configuration-Version"
	headerReloadID      = "Reload-ID"
	headerWarning       = "Configuration-Warning"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// oneLine makes a multi-line message fit a header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
