package transaction

import (
	"errors"
	"sync/atomic"

	"dataplane/internal/reload"
)

// Outcomes of a commit, as passed to the commit observer.
const (
	CommitOK      = "ok"      // written, and handed to the runtime or reload path
	CommitInvalid = "invalid" // refused by `haproxy -c`
	CommitError   = "error"   // any other failure
)

// commitObserver holds the optional callback told about each commit.
type commitObserver struct {
	f atomic.Pointer[func(outcome string)]
}

// SetCommitObserver makes the store call f after each commit through the
// validated path (configuration writes, raw POSTs, transaction commits)
// with CommitOK, CommitInvalid or CommitError. No-op changes and version
// conflicts never reach that path and are not reported. f runs with the
// commit lock held, so it must be quick (a counter). A nil f removes it.
func (s *Store) SetCommitObserver(f func(outcome string)) {
	if f == nil {
		s.commitObs.f.Store(nil)
		return
	}
	s.commitObs.f.Store(&f)
}

// observeCommit reports the outcome of the commit that ends with *err.
func (s *Store) observeCommit(err *error) {
	p := s.commitObs.f.Load()
	if p == nil {
		return
	}
	outcome := CommitOK
	switch {
	case *err == nil:
	case errors.Is(*err, reload.ErrValidation):
		outcome = CommitInvalid
	default:
		outcome = CommitError
	}
	(*p)(outcome)
}
