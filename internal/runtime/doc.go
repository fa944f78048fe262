// Package runtime is a small, strict client for the HAProxy runtime API: the
// stats socket and the master CLI.
//
// HAProxy's replies carry no status code, so every typed method matches the
// reply against the exact success text HAProxy 2.6 prints for that command
// and turns anything else into a *CommandError. Caller input is validated
// before any command is built, because a ';' or a newline inside a name would
// make HAProxy run a second command.
package runtime
