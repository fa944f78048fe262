package api

import (
	"net/http"
	"testing"

	"dataplane/internal/fault"
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
