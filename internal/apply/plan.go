// Package apply decides how a committed configuration reaches HAProxy: by
// runtime socket commands when every difference from what HAProxy runs can
// be applied live, else by a reload; and it runs those commands.
package apply

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"dataplane/internal/config"
)

// OpKind names a runtime operation.
type OpKind string

// Runtime operations the planner emits.
const (
	OpSetWeight     OpKind = "set-weight"
	OpSetAddr       OpKind = "set-addr"
	OpSetState      OpKind = "set-state"
	OpAddServer     OpKind = "add-server"
	OpDelServer     OpKind = "del-server"
	OpSetFeMaxconn  OpKind = "set-maxconn-frontend"
	OpEnableHealth  OpKind = "enable-health"
	OpDisableHealth OpKind = "disable-health"
)

// Op is one runtime operation.
type Op struct {
	Kind     OpKind
	Backend  string // or frontend, for OpSetFeMaxconn
	Server   string
	Weight   int
	Addr     string
	Port     int
	State    string   // ready, maint, drain
	Params   []string // add server params
	Maxconn  int
	Check    bool // add server: enable health after the server is up
	StartMnt bool // add server: keep it in maint (the `disabled` keyword)
}

func (o Op) String() string {
	switch o.Kind {
	case OpSetFeMaxconn:
		return fmt.Sprintf("%s %s %d", o.Kind, o.Backend, o.Maxconn)
	case OpAddServer:
		return fmt.Sprintf("%s %s/%s %s:%d %s", o.Kind, o.Backend, o.Server, o.Addr, o.Port, strings.Join(o.Params, " "))
	}
	return fmt.Sprintf("%s %s/%s", o.Kind, o.Backend, o.Server)
}

// Plan is how to go from the running document to the next one.
type Plan struct {
	// Reload is set when some difference cannot be applied live; Reason
	// says which.
	Reload bool
	Reason string
	Ops    []Op
}

func needsReload(format string, args ...any) Plan {
	return Plan{Reload: true, Reason: fmt.Sprintf(format, args...)}
}

// Compute compares what HAProxy runs with the next document. Sections that
// are the same object (copy-on-write documents share untouched sections)
// cost nothing; a 10,000-backend file with one changed server costs one
// section comparison.
func Compute(running, next *config.Document) Plan {
	if running == next {
		return Plan{}
	}
	type key struct{ kind, name string }
	old := map[key]*config.Section{}
	for _, s := range running.Sections() {
		old[key{s.Kind, running.APIName(s)}] = s
	}
	var plan Plan
	seen := map[key]bool{}
	for _, s := range next.Sections() {
		k := key{s.Kind, next.APIName(s)}
		seen[k] = true
		o, ok := old[k]
		if !ok {
			return needsReload("%s is new", s)
		}
		if o == s || sameWords(o, s) {
			continue
		}
		var p Plan
		switch s.Kind {
		case config.KindBackend:
			p = planBackend(running, next, o, s)
		case config.KindFrontend:
			p = planFrontend(o, s)
		default:
			p = needsReload("%s changed", s)
		}
		if p.Reload {
			return p
		}
		plan.Ops = append(plan.Ops, p.Ops...)
	}
	for k := range old {
		if !seen[k] {
			return needsReload("%s %s was removed", k.kind, k.name)
		}
	}
	// Section order matters to HAProxy (implicit defaults): a change in it
	// is not a runtime matter.
	if !sameOrder(running, next) {
		return needsReload("sections were reordered")
	}
	return plan
}

func sameOrder(a, b *config.Document) bool {
	as, bs := a.Sections(), b.Sections()
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i].Kind != bs[i].Kind || as[i].Name != bs[i].Name {
			return false
		}
	}
	return true
}

// sameWords reports whether two sections hold the same words in the same
// order: comments, blank lines and spacing do not matter to HAProxy.
func sameWords(a, b *config.Section) bool {
	return linesEqual(a.Lines(), b.Lines(), nil)
}

// linesEqual compares word lines, skipping those skip accepts.
func linesEqual(a, b []config.Line, skip func(config.Line) bool) bool {
	filter := func(ls []config.Line) []config.Line {
		if skip == nil {
			return ls
		}
		out := make([]config.Line, 0, len(ls))
		for _, l := range ls {
			if !skip(l) {
				out = append(out, l)
			}
		}
		return out
	}
	a, b = filter(a), filter(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i].Words, " ") != strings.Join(b[i].Words, " ") {
			return false
		}
	}
	return true
}

func isServerLine(l config.Line) bool { return l.Keyword("server") }

// planFrontend: only `maxconn` may change live.
func planFrontend(o, s *config.Section) Plan {
	isMaxconn := func(l config.Line) bool { return l.Keyword("maxconn") }
	if !linesEqual(o.Lines(), s.Lines(), isMaxconn) {
		return needsReload("frontend %s changed beyond maxconn", s.Name)
	}
	ol, ook := o.Last("maxconn")
	nl, nok := s.Last("maxconn")
	if !ook || !nok {
		return needsReload("frontend %s maxconn added or removed", s.Name)
	}
	n, err := atoi(nl.Arg(1))
	if err != nil || ol.Arg(1) == nl.Arg(1) {
		if err != nil {
			return needsReload("frontend %s maxconn %q is not a number", s.Name, nl.Arg(1))
		}
		return Plan{}
	}
	return Plan{Ops: []Op{{Kind: OpSetFeMaxconn, Backend: s.Name, Maxconn: n}}}
}

// planBackend: servers may be added, removed and change weight, address,
// port and maintenance live; anything else in the backend needs a reload.
func planBackend(running, next *config.Document, o, s *config.Section) Plan {
	if !linesEqual(o.Lines(), s.Lines(), isServerLine) {
		return needsReload("backend %s changed beyond its servers", s.Name)
	}
	oldSrv, err := running.Servers(s.Name)
	if err != nil {
		return needsReload("backend %s: %v", s.Name, err)
	}
	newSrv, err := next.Servers(s.Name)
	if err != nil {
		return needsReload("backend %s: %v", s.Name, err)
	}
	oldBy := map[string]config.Server{}
	for _, sv := range oldSrv {
		oldBy[sv.Name] = sv
	}
	newBy := map[string]config.Server{}
	for _, sv := range newSrv {
		newBy[sv.Name] = sv
	}
	if len(newBy) != len(newSrv) || len(oldBy) != len(oldSrv) {
		return needsReload("backend %s has duplicate server names", s.Name)
	}
	oldLines, newLines := serverLines(o), serverLines(s)
	var plan Plan
	// Deletions first (a name may be freed and reused).
	var names []string
	for name := range oldBy {
		if _, ok := newBy[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if tracked(next, s.Name, name) || tracked(running, s.Name, name) {
			return needsReload("server %s/%s is tracked by another server", s.Name, name)
		}
		plan.Ops = append(plan.Ops, Op{Kind: OpDelServer, Backend: s.Name, Server: name})
	}
	for _, sv := range newSrv {
		old, existed := oldBy[sv.Name]
		if !existed {
			op, p := planAdd(next, s, sv, newLines[sv.Name])
			if p.Reload {
				return p
			}
			plan.Ops = append(plan.Ops, op...)
			continue
		}
		p := planChange(s.Name, old, sv, oldLines[sv.Name], newLines[sv.Name])
		if p.Reload {
			return p
		}
		plan.Ops = append(plan.Ops, p.Ops...)
	}
	// Order of servers matters for some algorithms and for server ids: a
	// reordering of existing servers is not a runtime matter.
	if !sameServerOrder(oldSrv, newSrv, oldBy, newBy) {
		return needsReload("servers of backend %s were reordered", s.Name)
	}
	return plan
}

func sameServerOrder(oldSrv, newSrv []config.Server, oldBy, newBy map[string]config.Server) bool {
	var a, b []string
	for _, sv := range oldSrv {
		if _, ok := newBy[sv.Name]; ok {
			a = append(a, sv.Name)
		}
	}
	for _, sv := range newSrv {
		if _, ok := oldBy[sv.Name]; ok {
			b = append(b, sv.Name)
		}
	}
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// serverLines returns the words after `server <name> <addr>` by name.
func serverLines(s *config.Section) map[string][]string {
	out := map[string][]string{}
	for _, l := range s.Find("server") {
		if len(l.Words) >= 3 {
			out[l.Words[1]] = l.Words[3:]
		}
	}
	return out
}

// planChange: weight, address/port and maintenance change live; any other
// param change needs a reload.
func planChange(be string, old, cur config.Server, oldParams, newParams []string) Plan {
	strip := func(words []string) string {
		var out []string
		for i := 0; i < len(words); i++ {
			switch words[i] {
			case "weight":
				i++ // and its value
				continue
			case "disabled", "enabled":
				continue
			}
			out = append(out, words[i])
		}
		return strings.Join(out, " ")
	}
	if strip(oldParams) != strip(newParams) {
		return needsReload("server %s/%s changed beyond weight, address and maintenance", be, cur.Name)
	}
	var plan Plan
	if !eqInt(old.Weight, cur.Weight) {
		w := int64(1) // HAProxy's default weight
		if cur.Weight != nil {
			w = *cur.Weight
		}
		plan.Ops = append(plan.Ops, Op{Kind: OpSetWeight, Backend: be, Server: cur.Name, Weight: int(w)})
	}
	if old.Address != cur.Address || !eqInt(old.Port, cur.Port) {
		if _, err := netip.ParseAddr(cur.Address); err != nil {
			return needsReload("server %s/%s address %q is not an IP address", be, cur.Name, cur.Address)
		}
		port := 0
		if cur.Port != nil {
			port = int(*cur.Port)
		} else if old.Port != nil {
			return needsReload("server %s/%s port removed", be, cur.Name)
		}
		plan.Ops = append(plan.Ops, Op{Kind: OpSetAddr, Backend: be, Server: cur.Name, Addr: cur.Address, Port: port})
	}
	if (old.Maintenance == "enabled") != (cur.Maintenance == "enabled") {
		state := "ready"
		if cur.Maintenance == "enabled" {
			state = "maint"
		}
		plan.Ops = append(plan.Ops, Op{Kind: OpSetState, Backend: be, Server: cur.Name, State: state})
	}
	return plan
}

func eqInt(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func atoi(s string) (int, error) {
	var n int
	_, err := fmt.Sscanf(s, "%d", &n)
	if err != nil || fmt.Sprint(n) != s {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return n, nil
}

// tracked reports whether any server of doc tracks be/name.
func tracked(doc *config.Document, be, name string) bool {
	for _, s := range doc.Sections() {
		if s.Kind != config.KindBackend && s.Kind != config.KindListen {
			continue
		}
		for _, l := range s.Find("server") {
			for i := 3; i+1 < len(l.Words); i++ {
				if l.Words[i] != "track" {
					continue
				}
				t := l.Words[i+1]
				if t == be+"/"+name || (s.Name == be && t == name) {
					return true
				}
			}
		}
	}
	return false
}
