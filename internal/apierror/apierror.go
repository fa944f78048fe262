// Package apierror is the one error type that carries an HTTP status, and the
// writer of the {"code","message"} body every error response uses.
package apierror

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// Error is an error that knows which HTTP status it deserves. Layers below the
// HTTP handlers return it (or wrap it) where the meaning of a failure is known:
// a missing object is 404, a stale version 409, and so on.
type Error struct {
	Status  int
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Err != nil:
		return e.Message + ": " + e.Err.Error()
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	default:
		return http.StatusText(e.Status)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with a formatted message.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Wrap gives err an HTTP status while keeping it inspectable with errors.Is/As.
func Wrap(status int, err error) *Error {
	return &Error{Status: status, Err: err}
}

// StatusOf returns the HTTP status carried by err or anything it wraps, and
// 500 when nothing in the chain carries one.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) && e.Status != 0 {
		return e.Status
	}
	return http.StatusInternalServerError
}

// Body is the JSON shape of every error response.
type Body struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// MaxMessage bounds the message of an error body: a message may quote what
// the client sent (a rejected configuration, a decode error), and an
// answer must not echo a body of megabytes back.
const MaxMessage = 4 << 10

// Write sends {"code": status, "message": msg} with the given status; a
// message over MaxMessage bytes is cut, and says so.
func Write(w http.ResponseWriter, status int, msg string) {
	if len(msg) > MaxMessage {
		cut := MaxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = fmt.Sprintf("%s... (%d more bytes left out)", msg[:cut], len(msg)-cut)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Body{Code: status, Message: msg})
}

// WriteErr sends err with the status it carries (500 when none). The message
// is the whole wrapped chain, so every hop's context reaches the client.
func WriteErr(w http.ResponseWriter, err error) {
	Write(w, StatusOf(err), err.Error())
}
