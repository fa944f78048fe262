// Package fault is the closed set of kinds of failure that domain packages
// report: not found, conflict, invalid, outdated, too many, unavailable,
// timed out. Packages declare their sentinels on these kinds (their own
// words, one kind each) and wrap them with context; the HTTP layer maps
// each kind to one status in one place. Nothing here knows HTTP.
package fault

import (
	"errors"
	"fmt"
)

// Kind is one kind of failure.
type Kind struct{ name string }

func (k *Kind) Error() string { return k.name }

// The kinds. A new kind is a change of the contract: every layer that maps
// kinds must learn it.
var (
	// NotFound: the object addressed does not exist.
	NotFound = &Kind{"not found"}
	// Conflict: the object exists, is in use, or the change is based on a
	// version that is no longer current.
	Conflict = &Kind{"conflict"}
	// Invalid: the input cannot be applied (bad value, configuration
	// HAProxy refuses).
	Invalid = &Kind{"invalid"}
	// Outdated: the transaction can no longer be committed.
	Outdated = &Kind{"outdated"}
	// TooMany: a limit on open objects or requests is reached.
	TooMany = &Kind{"too many"}
	// Unavailable: what the operation needs (HAProxy's socket, a reload
	// strategy) is not there now.
	Unavailable = &Kind{"unavailable"}
	// Timeout: the operation's own deadline passed.
	Timeout = &Kind{"timed out"}
)

// Kinds lists every kind.
func Kinds() []*Kind {
	return []*Kind{NotFound, Conflict, Invalid, Outdated, TooMany, Unavailable, Timeout}
}

// Of returns the kind of err: the outermost one when kinds are wrapped in
// kinds (a refusal HAProxy classified as a conflict, that the caller
// calls invalid, is invalid), nil when it has none.
func Of(err error) *Kind {
	for err != nil {
		switch e := err.(type) {
		case *Kind:
			return e
		case *sentinel:
			return e.kind
		case *wrapped:
			return e.kind
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				if k := Of(inner); k != nil {
					return k
				}
			}
			return nil
		}
		err = errors.Unwrap(err)
	}
	return nil
}

// sentinel is a package's own named failure: its own message, one kind.
type sentinel struct {
	msg  string
	kind *Kind
}

func (s *sentinel) Error() string { return s.msg }
func (s *sentinel) Unwrap() error { return s.kind }

// Sentinel declares a named failure of a kind, with its own message:
// `var ErrExists = fault.Sentinel(fault.Conflict, "already exists")`.
func Sentinel(kind *Kind, msg string) error { return &sentinel{msg: msg, kind: kind} }

// Errorf formats a message and makes the error of kind k (the message is
// what the client reads; the kind is not repeated in it).
func Errorf(k *Kind, format string, args ...any) error {
	return &sentinel{msg: fmt.Sprintf(format, args...), kind: k}
}

// Wrap gives err a kind, keeping its message and chain.
func Wrap(k *Kind, err error) error { return &wrapped{err: err, kind: k} }

type wrapped struct {
	err  error
	kind *Kind
}

func (w *wrapped) Error() string   { return w.err.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.err, w.kind} }
