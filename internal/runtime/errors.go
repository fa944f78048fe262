package runtime

import (
	"fmt"
	"strings"
	"time"

	"dataplane/internal/fault"
)

// Sentinel kinds. A *CommandError unwraps to one of the first three (or to
// nil when the reply is not classified); validation failures wrap
// ErrInvalidArgument; failures to reach HAProxy wrap ErrBusy or
// ErrUnavailable. Test them with errors.Is.
var (
	// ErrNotFound: HAProxy does not know the backend, server, frontend or proxy.
	ErrNotFound = fault.Sentinel(fault.NotFound, "not found")
	// ErrExists: the object to create already exists.
	ErrExists = fault.Sentinel(fault.Conflict, "already exists")
	// ErrUnsupported: HAProxy refused because the object's configuration does
	// not allow the operation (static LB algorithm, option not accepted for a
	// dynamic server, server still referenced or not in maintenance, checks
	// not configured).
	ErrUnsupported = fault.Sentinel(fault.Invalid, "not supported for this object")
	// ErrInvalidArgument: our own validation rejected the input; nothing was
	// sent to HAProxy.
	ErrInvalidArgument = fault.Sentinel(fault.Invalid, "invalid argument")
	// ErrBusy: more commands were waiting for the stats socket than the
	// Client lets wait (SetLimits), or the context ended while this one
	// waited. Nothing was sent; try again shortly.
	ErrBusy error = &retryable{msg: "the runtime socket is busy", after: time.Second}
	// ErrUnavailable: HAProxy's socket could not be reached, or the
	// connection broke or timed out before the whole answer came. A
	// command that changes something may or may not have been run.
	ErrUnavailable error = &retryable{msg: "the runtime socket is unavailable", after: time.Second}
)

// retryable is a failure of kind fault.Unavailable that says when to try
// again.
type retryable struct {
	msg   string
	after time.Duration
}

func (e *retryable) Error() string { return e.msg }
func (e *retryable) Unwrap() error { return fault.Unavailable }

// RetryAfter is how long to wait before trying again.
func (e *retryable) RetryAfter() time.Duration { return e.after }

// CommandError is returned when HAProxy answered a command with anything
// other than the success reply expected for it. Reply is HAProxy's reply with
// surrounding whitespace trimmed; Kind is a sentinel or nil.
type CommandError struct {
	Command string
	Reply   string
	Kind    error
}

// maxErrorReply bounds the reply quoted by Error: "Unknown command" replies
// list the whole help text.
const maxErrorReply = 300

// Error quotes the command and HAProxy's reply on one line.
func (e *CommandError) Error() string {
	reply := strings.Join(strings.Fields(e.Reply), " ")
	if reply == "" {
		reply = "(empty reply)"
	}
	if len(reply) > maxErrorReply {
		reply = reply[:maxErrorReply] + "..."
	}
	return fmt.Sprintf("haproxy rejected %q: %s", e.Command, reply)
}

// Unwrap returns the sentinel kind (nil when unclassified).
func (e *CommandError) Unwrap() error { return e.Kind }

// replyKinds maps fragments of HAProxy 2.6 error replies to sentinels. Only
// the first line of a reply is matched, so help text listed after
// "Unknown command" can never be mistaken for a known error.
var replyKinds = []struct {
	text string
	kind error
}{
	{"No such server", ErrNotFound},
	{"No such backend", ErrNotFound},
	{"No such frontend", ErrNotFound},
	{"No such proxy", ErrNotFound},
	{"Can't find backend", ErrNotFound},
	{"Already exists a server", ErrExists},
	{"static LB algorithm", ErrUnsupported},
	{"must use a dynamic load balancing", ErrUnsupported},
	{"is not accepted for dynamic server", ErrUnsupported},
	{"cannot be removed at runtime", ErrUnsupported},
	{"Only servers in maintenance mode can be deleted", ErrUnsupported},
	{"checks are not enabled on this server", ErrUnsupported},
	{"was not configured on this server", ErrUnsupported},
}

// newCommandError classifies reply, the answer HAProxy gave to cmd.
func newCommandError(cmd, reply string) *CommandError {
	reply = strings.TrimSpace(reply)
	first, _, _ := strings.Cut(reply, "\n")
	var kind error
	for _, k := range replyKinds {
		if strings.Contains(first, k.text) {
			kind = k.kind
			break
		}
	}
	return &CommandError{Command: cmd, Reply: reply, Kind: kind}
}
