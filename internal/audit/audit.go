// Package audit keeps the audit trail of changes: one JSON line per
// request that changes something (who, when, from where, the operation,
// its outcome and what it changed), in a size-bounded file rotated into
// one older file, with the secrets of what changed redacted first.
//
// A request carries a Recorder in its context (NewContext, put there by
// the HTTP layer's one middleware); the code paths that change things
// fill it wherever they run (the commit path notes its diff, the runtime
// client the commands it sends, the storage handlers the files they
// write), and the middleware writes the record once the request is
// answered. Code without a Recorder in its context (the reload
// scheduler, start-up) records nothing.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// Record is one audited request.
type Record struct {
	Time      time.Time `json:"time"`
	User      string    `json:"user"`
	Remote    string    `json:"remote"`
	RequestID string    `json:"request_id"`
	Operation string    `json:"operation,omitempty"` // the contract's operationId
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	Outcome   string    `json:"outcome"` // OK or Error
	// Version is the configuration version the request committed (0:
	// none); Transaction the transaction it staged into.
	Version     int64  `json:"version,omitempty"`
	Transaction string `json:"transaction_id,omitempty"`
	// Diff is the unified diff of the configuration the request changed
	// (committed, or staged in a transaction), redacted.
	Diff string `json:"diff,omitempty"`
	// Commands are the runtime socket commands sent (payloads never).
	Commands []string `json:"commands,omitempty"`
	// Files are the stored files written (name, size, SHA-256).
	Files []File `json:"files,omitempty"`
}

// The outcomes.
const (
	OK    = "ok"
	Error = "error"
)

// File is a stored file a request wrote.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Recorder gathers what one request changed. Its methods are safe for
// concurrent use and do nothing on a nil Recorder, so code can note
// changes without knowing whether the request is audited.
type Recorder struct {
	mu        sync.Mutex
	operation string
	diffs     []func() string
	version   int64
	tx        string
	commands  []string
	files     []File
}

type recorderKey struct{}

// NewContext returns ctx carrying rec.
func NewContext(ctx context.Context, rec *Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, rec)
}

// From returns the Recorder of ctx, nil when there is none.
func From(ctx context.Context) *Recorder {
	rec, _ := ctx.Value(recorderKey{}).(*Recorder)
	return rec
}

// Operation names the operation (the contract's operationId).
func (r *Recorder) Operation(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.operation = id
	r.mu.Unlock()
}

// Config notes a configuration change: the version it made (0 when
// staged) and its diff, computed only when the record is written (after
// the request, outside any lock the caller holds: diff must only read
// immutable data).
func (r *Recorder) Config(version int64, diff func() string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if version != 0 {
		r.version = version
	}
	r.diffs = append(r.diffs, diff)
	r.mu.Unlock()
}

// Transaction notes the transaction a request staged into.
func (r *Recorder) Transaction(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.tx = id
	r.mu.Unlock()
}

// Command notes a runtime command sent.
func (r *Recorder) Command(cmd string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if len(r.commands) < maxCommands {
		r.commands = append(r.commands, cmd)
	} else if len(r.commands) == maxCommands {
		r.commands = append(r.commands, "(more commands not recorded)")
	}
	r.mu.Unlock()
}

// maxCommands bounds the commands of one record (a map file of 100,000
// entries is sent in batches).
const maxCommands = 200

// File notes a stored file written with data.
func (r *Recorder) File(name string, data []byte) {
	if r == nil {
		return
	}
	sum := sha256.Sum256(data)
	r.FileSum(name, int64(len(data)), hex.EncodeToString(sum[:]))
}

// FileSum notes a stored file written, by its size and hex SHA-256.
func (r *Recorder) FileSum(name string, size int64, sha string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.files = append(r.files, File{Name: name, Size: size, SHA256: sha})
	r.mu.Unlock()
}

// Fill completes rec with what was noted: the diffs (computed now,
// joined) and the rest.
func (r *Recorder) Fill(rec *Record) {
	r.mu.Lock()
	diffs := r.diffs
	rec.Operation, rec.Version, rec.Transaction = r.operation, r.version, r.tx
	rec.Commands = append([]string(nil), r.commands...)
	rec.Files = append([]File(nil), r.files...)
	r.mu.Unlock()
	for _, d := range diffs {
		rec.Diff += d()
	}
}
