package transaction

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"

	"dataplane/internal/reload"
)

// appliedState is what the store remembers across restarts in
// transaction_dir: the highest version it ever published (versions are
// never reused, even after a rollback puts an older one back, so a client
// holding a version that was rolled back cannot match a later, different
// configuration) and the hash of the configuration HAProxy was last seen
// to run (so a restart after a crash between writing the file and applying
// it knows HAProxy may run something else).
type appliedState struct {
	MaxIssued int64  `json:"max_issued_version"`
	Applied   string `json:"applied_sha256,omitempty"`
}

func (s *Store) loadApplied() appliedState {
	var st appliedState
	if s.opts.StateFile == "" {
		return st
	}
	b, err := os.ReadFile(s.opts.StateFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("cannot read the applied-state file", "file", s.opts.StateFile, "error", err)
		}
		return st
	}
	if err := json.Unmarshal(b, &st); err != nil {
		s.log.Warn("applied-state file unreadable; starting a new one", "file", s.opts.StateFile, "error", err)
		return appliedState{}
	}
	return st
}

// saveApplied records the state; it is a small file written atomically
// without fsync (losing it costs one extra reload, never a wrong answer).
func (s *Store) saveApplied() {
	if s.opts.StateFile == "" {
		return
	}
	st := appliedState{MaxIssued: s.maxIssued.Load()}
	if s.appliedSum != nil {
		st.Applied = hex.EncodeToString(s.appliedSum[:])
	}
	b, _ := json.Marshal(st)
	if err := writeFileNoSync(s.opts.StateFile, b); err != nil {
		s.log.Warn("cannot save the applied-state file", "file", s.opts.StateFile, "error", err)
	}
}

// markApplied notes that HAProxy runs the live document (s.mu held).
func (s *Store) markApplied() {
	sum := s.live.Load().stamp.sum
	s.appliedSum = &sum
	s.dirty = false
	s.saveApplied()
}

// sumHex is for messages.
func sumHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

var _ = reload.WriteFileAtomic
