package runtime

import (
	"context"
	"fmt"
	"strings"
)

// Master talks to the master CLI of HAProxy started with -W -S <socket>. It
// half-closes each connection after sending (the master answers only then)
// and retries refused connections for up to 2 s, bounded by the context,
// because the master refuses connections for a moment around reloads. It is
// safe for concurrent use.
type Master struct {
	t transport
}

// NewMaster returns a client for the master CLI at socket ("/path",
// "unix@/path" as in HAPROXY_MASTER_CLI, or "unix:/path").
func NewMaster(socket string) *Master {
	m := &Master{t: transport{halfClose: true, retry: true}}
	m.t.setSocket(socket)
	return m
}

// Socket returns the socket address as last given to NewMaster or SetSocket.
func (m *Master) Socket() string { return m.t.getSocket() }

// SetSocket changes the socket used by commands started after it returns.
func (m *Master) SetSocket(socket string) { m.t.setSocket(socket) }

// Execute sends one raw command to the master and returns the reply
// unclassified, with the same validation and deadline rules as
// Client.Execute. "@<n> cmd" and "@!<pid> cmd" route to a process.
func (m *Master) Execute(ctx context.Context, cmd string) (string, error) {
	return m.t.roundTrip(ctx, cmd)
}

// Worker runs cmd on the current worker ("@1 <cmd>") and returns the raw reply.
func (m *Master) Worker(ctx context.Context, cmd string) (string, error) {
	if err := checkLine(cmd); err != nil {
		return "", err
	}
	return m.Execute(ctx, "@1 "+cmd)
}

// WorkerClient returns a Client whose commands reach the current worker
// through this master CLI ("@1" routing), with the master's half-close and
// retry behaviour. It uses the master socket as of this call.
func (m *Master) WorkerClient() *Client {
	c := &Client{t: transport{prefix: "@1 ", halfClose: true, retry: true}}
	c.t.setSocket(m.Socket())
	c.t.obs.copyFrom(&m.t.obs)
	return c
}

// Reload asks the master to reload. HAProxy 2.6 answers nothing, so a nil
// error only means the request was delivered: compare ShowProc before and
// after (master Reloads +1 with Failed 0, and a new worker PID) to learn the
// outcome. Newer versions answer "Success=1" or "Success=0"; the latter, or
// any other text, is a *CommandError.
func (m *Master) Reload(ctx context.Context) error {
	const cmd = "reload"
	reply, err := m.Execute(ctx, cmd)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if reply != "" && !strings.HasPrefix(reply, "Success=1") {
		return fmt.Errorf("reload: %w", newCommandError(cmd, reply))
	}
	return nil
}

// ShowProc runs `show proc` and parses it.
func (m *Master) ShowProc(ctx context.Context) (Proc, error) {
	const cmd = "show proc"
	reply, err := m.Execute(ctx, cmd)
	if err != nil {
		return Proc{}, err
	}
	if !strings.HasPrefix(reply, "#<PID>") {
		return Proc{}, newCommandError(cmd, reply)
	}
	p, err := parseProc(reply)
	if err != nil {
		return Proc{}, fmt.Errorf("%s: %w", cmd, err)
	}
	return p, nil
}
