package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"dataplane/internal/fault"
	"dataplane/internal/rtserver"
	"dataplane/internal/runtime"
	"dataplane/internal/transaction"
)

// TestEveryKindHasAStatus: the closed set of kinds of failure maps to
// statuses in one place, and none is left to the 500 default.
func TestEveryKindHasAStatus(t *testing.T) {
	for _, k := range fault.Kinds() {
		s, ok := kindStatus[k]
		if !ok || s < 400 || s >= 500 && k != fault.Unavailable {
			t.Errorf("kind %q: status %d (mapped: %v)", k, s, ok)
		}
	}
}

// TestAnswer is the one mapping of outcomes to statuses and headers.
func TestAnswer(t *testing.T) {
	for _, c := range []struct {
		o        transaction.Outcome
		applied  int
		status   int
		reloadID bool
	}{
		{transaction.Unchanged, http.StatusOK, http.StatusOK, false},
		{transaction.Staged, http.StatusCreated, http.StatusAccepted, false},
		{transaction.Written, http.StatusCreated, http.StatusCreated, false},
		{transaction.AppliedLive, http.StatusNoContent, http.StatusNoContent, false},
		{transaction.ReloadScheduled, http.StatusOK, http.StatusAccepted, true},
		{transaction.Reloaded, http.StatusCreated, http.StatusCreated, false},
		{transaction.RolledBack, http.StatusOK, http.StatusBadRequest, false},
	} {
		status, h := answer(transaction.Result{Outcome: c.o, Version: 7, ReloadID: "2026-12-01-1"}, c.applied)
		if status != c.status || (h.Get(headerReloadID) != "") != c.reloadID || h.Get(headerConfigVersion) != "7" {
			t.Errorf("%s (applied %d): %d %v", c.o, c.applied, status, h)
		}
	}
}

// TestRuntimeSocketErrors: the runtime socket busy or unreachable is 503
// with Retry-After, never 500, whatever wraps it.
func TestRuntimeSocketErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
	}{
		{"busy", fmt.Errorf("runtime %q: %w", "set server be/s1 weight 5", runtime.ErrBusy)},
		{"unavailable", fmt.Errorf("set weight be/s1: %w", fmt.Errorf("%w: %w", runtime.ErrUnavailable, io.ErrUnexpectedEOF))},
		{"in a partial update", &rtserver.PartialError{Server: "be/s1", Failed: "weight", Err: runtime.ErrBusy}},
	} {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest(http.MethodPut, "/", nil), slog.New(slog.DiscardHandler), c.err)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
			t.Errorf("%s: %d, Retry-After %q; want 503 with Retry-After 1", c.name, w.Code, w.Header().Get("Retry-After"))
		}
	}
	w := httptest.NewRecorder()
	writeError(w, httptest.NewRequest(http.MethodGet, "/", nil), slog.New(slog.DiscardHandler), errNoRuntime)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "" {
		t.Errorf("no runtime socket configured: %d, Retry-After %q; want 503 without it (trying again will not help)", w.Code, w.Header().Get("Retry-After"))
	}
}
