// Package role decides who may call what: the API roles, the action each
// operation of the contract performs, and which roles may perform it.
package role

import (
	"fmt"
	"net/http"
	"strings"
)

// Role is what a user may do. The zero value is no role: it may do nothing.
type Role int

// The roles, each allowed everything the one before it is.
const (
	// ReadOnly may call every GET.
	ReadOnly Role = iota + 1
	// Operator may also run runtime operations: server state, weight and
	// drain, map, ACL and stick table entries, certificate swaps.
	Operator
	// Admin may call every operation.
	Admin
)

// names are the roles as written in the settings and as userlist groups.
var names = map[Role]string{ReadOnly: "read-only", Operator: "operator", Admin: "admin"}

// Names lists the roles, lowest first, for messages.
func Names() []string { return []string{names[ReadOnly], names[Operator], names[Admin]} }

func (r Role) String() string {
	if n, ok := names[r]; ok {
		return n
	}
	return "none"
}

// Parse reads a role by its name.
func Parse(s string) (Role, error) {
	for r, n := range names {
		if n == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q: one of %s", s, strings.Join(Names(), ", "))
}

// FromGroups is the highest role named by one of groups (a user of an
// HAProxy userlist in groups `read-only` and `operator` is an operator),
// and false when none names a role.
func FromGroups(groups []string) (Role, bool) {
	var best Role
	for _, g := range groups {
		if r, err := Parse(g); err == nil && r > best {
			best = r
		}
	}
	return best, best != 0
}

// Action is what an operation does, which sets the role it needs.
type Action int

// The actions.
const (
	// Read changes nothing (every GET).
	Read Action = iota + 1
	// Operate changes the running HAProxy's state, not its configuration.
	Operate
	// Configure changes the configuration, files, transactions or reloads.
	Configure
	// Audit reads the audit trail: who changed what is an admin's to read.
	Audit
)

func (a Action) String() string {
	switch a {
	case Read:
		return "read"
	case Operate:
		return "operate"
	case Configure:
		return "configure"
	case Audit:
		return "audit"
	}
	return "unknown"
}

// Needs is the lowest role that may perform a.
func (a Action) Needs() Role {
	switch a {
	case Read:
		return ReadOnly
	case Operate:
		return Operator
	}
	return Admin
}

// May reports whether r may perform a.
func (r Role) May(a Action) bool { return r != 0 && r >= a.Needs() }

// areas give the action of the writes (every method but GET) under a path
// prefix. An operation whose path is in no area has no action: Of says
// so, only an admin may call it, and TestRoleMatrix fails until it is
// declared here or in overrides.
var areas = []struct {
	prefix string
	action Action
}{
	{"/services/haproxy/runtime/", Operate},
	{"/services/haproxy/configuration/", Configure},
	{"/services/haproxy/transactions", Configure},
	{"/services/haproxy/reloads", Configure},
	{"/services/haproxy/storage/", Configure},
	{"/services/haproxy/spoe/", Configure},
	{"/services/haproxy/sites", Configure},
	{"/service_discovery/", Configure},
	{"/cluster", Configure},
}

// overrides are the operations whose area gives the wrong action, by
// method and path with every parameter written `{}`.
var overrides = map[string]Action{
	// Adding or deleting a server changes what HAProxy runs, not the state
	// of what it runs: the operator changes state, weight and drain.
	"POST /services/haproxy/runtime/backends/{}/servers":      Configure,
	"DELETE /services/haproxy/runtime/backends/{}/servers/{}": Configure,
	// Replacing a certificate's file is the certificate swap an operator
	// makes (a new one, or deleting one, is configuration).
	"PUT /services/haproxy/storage/ssl_certificates/{}": Operate,
	// The audit trail names users and holds what they changed.
	"GET /audit": Audit,
}

// GuardedRead reports whether a GET of urlPath (as requested, any prefix)
// may need more than the read-only role: reads are allowed without a
// route lookup unless it says so. It knows the GET overrides, which have
// no parameters.
func GuardedRead(urlPath string) bool {
	for k := range overrides {
		if p, ok := strings.CutPrefix(k, "GET "); ok && strings.HasSuffix(urlPath, p) {
			return true
		}
	}
	return false
}

// Of is the action of the operation at method and path, a path of the
// contract (`/services/haproxy/runtime/backends/{parent_name}/servers`,
// under /v3) or a route pattern of the router: parameter names do not
// matter. ok is false when the operation has no declared action.
func Of(method, path string) (a Action, ok bool) {
	m := method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	if a, ok := overrides[m+" "+anyParams(path)]; ok {
		return a, true
	}
	if m == http.MethodGet {
		return Read, true
	}
	for _, area := range areas {
		if strings.HasPrefix(path, area.prefix) || path == strings.TrimSuffix(area.prefix, "/") {
			return area.action, true
		}
	}
	return 0, false
}

// anyParams writes every `{name}` segment of path as `{}`.
func anyParams(path string) string {
	if !strings.Contains(path, "{") {
		return path
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}
