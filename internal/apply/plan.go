// Package apply decides how a committed configuration reaches HAProxy: by
// runtime socket commands when every difference from what HAProxy runs can
// be applied live, else by a reload; and it runs those commands.
package apply

import (
	"fmt"
	"net/netip"
	"slices"
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
	Agent    bool // add server: enable agent checks (agent-check)
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
	// says which (every one found, "; " between them).
	Reload bool
	Reason string
	// Ops are the runtime operations that make HAProxy run the next
	// document; none when it needs a reload.
	Ops []Op
	// Deferred are the operations of the differences that could go live
	// but go with the reload another difference needs (a dry run says
	// so).
	Deferred []Op
}

func needsReload(format string, args ...any) Plan {
	return Plan{Reload: true, Reason: fmt.Sprintf(format, args...)}
}

// Compute compares what HAProxy runs with the next document. Sections that
// are the same object (copy-on-write documents share untouched sections)
// cost nothing; a 10,000-backend file with one changed server costs one
// section comparison.
func Compute(running, next *config.Document) Plan { return compute(running, next, false) }

// Explain is Compute, which stops at the first reason for a reload, made
// to go on: the plan names every reason, and the operations of the
// differences that could have gone live (Deferred). Same decision, same
// operations; a dry run shows it.
func Explain(running, next *config.Document) Plan { return compute(running, next, true) }

func compute(running, next *config.Document, all bool) Plan {
	if running == next {
		return Plan{}
	}
	type key struct{ kind, name string }
	old := map[key]*config.Section{}
	for _, s := range running.Sections() {
		old[key{s.Kind, running.APIName(s)}] = s
	}
	// Every difference is looked at, so that the plan names all the
	// reasons for a reload, and what could have gone live without them.
	var plan Plan
	var reasons []string
	reload := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }
	seen := map[key]bool{}
	for _, s := range next.Sections() {
		if len(reasons) > 0 && !all {
			break
		}
		k := key{s.Kind, next.APIName(s)}
		seen[k] = true
		o, ok := old[k]
		if !ok {
			reload("%s is new", s)
			continue
		}
		// The defaults section a proxy inherits from is part of it.
		if o.From != s.From {
			reload("%s now inherits from %q instead of %q", s, s.From, o.From)
			continue
		}
		// The same text (a file posted again) is the same section,
		// without splitting both into words, which both would keep.
		if o == s || o.Text() == s.Text() || sameWords(o, s) {
			continue
		}
		var p Plan
		switch s.Kind {
		case config.KindBackend:
			p = planBackend(running, next, o, s)
		case config.KindFrontend:
			p = planFrontend(o, s)
		default:
			p = needsReload("%s changed%s", s, keywordsChanged(o.Lines(), s.Lines(), nil))
		}
		if p.Reload {
			reasons = append(reasons, p.Reason)
			continue
		}
		plan.Ops = append(plan.Ops, p.Ops...)
	}
	var removed []string
	for k := range old {
		if (all || len(reasons) == 0) && !seen[k] {
			removed = append(removed, fmt.Sprintf("%s %s was removed", k.kind, k.name))
		}
	}
	sort.Strings(removed)
	reasons = append(reasons, removed...)
	// Section order matters to HAProxy (implicit defaults): a change in it
	// is not a runtime matter.
	if len(reasons) == 0 && !sameOrder(running, next) {
		reload("sections were reordered")
	}
	if len(reasons) > 0 {
		return Plan{Reload: true, Reason: strings.Join(reasons, "; "), Deferred: plan.Ops}
	}
	return plan
}

// keywordsChanged names the keywords whose lines differ between a and b
// (": bind changed"), or "" when only their order does.
func keywordsChanged(a, b []config.Line, skip func(config.Line) bool) string {
	group := func(ls []config.Line) map[string][]string {
		m := map[string][]string{}
		for _, l := range ls {
			if len(l.Words) == 0 || (skip != nil && skip(l)) {
				continue
			}
			m[l.Words[0]] = append(m[l.Words[0]], strings.Join(l.Words, " "))
		}
		return m
	}
	ga, gb := group(a), group(b)
	var kws []string
	for k, la := range ga {
		if !slices.Equal(la, gb[k]) {
			kws = append(kws, k)
		}
	}
	for k := range gb {
		if _, ok := ga[k]; !ok {
			kws = append(kws, k)
		}
	}
	if len(kws) == 0 {
		return ""
	}
	sort.Strings(kws)
	return ": " + strings.Join(kws, ", ") + " changed"
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
		return needsReload("frontend %s changed beyond maxconn%s", s.Name, keywordsChanged(o.Lines(), s.Lines(), isMaxconn))
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
// Servers are compared by the params HAProxy gives them (see
// serverEntry), default-server lines included.
func planBackend(running, next *config.Document, o, s *config.Section) Plan {
	if !linesEqual(o.Lines(), s.Lines(), isServerLine) {
		return needsReload("backend %s changed beyond its servers%s", s.Name, keywordsChanged(o.Lines(), s.Lines(), isServerLine))
	}
	oldDef, _ := running.DefaultsOf(o)
	newDef, _ := next.DefaultsOf(s)
	for _, sec := range []*config.Section{o, s, oldDef, newDef} {
		if hasConditional(sec) {
			return needsReload("backend %s: %s has conditional blocks", s.Name, sec)
		}
	}
	oldSrv, err := backendServers(running, o)
	if err != nil {
		return needsReload("backend %s: %v", s.Name, err)
	}
	newSrv, err := backendServers(next, s)
	if err != nil {
		return needsReload("backend %s: %v", s.Name, err)
	}
	oldBy := map[string]serverEntry{}
	for _, e := range oldSrv {
		oldBy[e.srv.Name] = e
	}
	newBy := map[string]serverEntry{}
	for _, e := range newSrv {
		newBy[e.srv.Name] = e
	}
	if len(newBy) != len(newSrv) || len(oldBy) != len(oldSrv) {
		return needsReload("backend %s has duplicate server names", s.Name)
	}
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
		// HAProxy refuses `del server` for a server other configuration
		// elements point to; find out before the server is put in
		// maintenance for nothing.
		if tracked(next, s.Name, name) || tracked(running, s.Name, name) {
			return needsReload("server %s/%s is tracked by another server", s.Name, name)
		}
		if usedByUseServer(o, name) || usedByUseServer(s, name) {
			return needsReload("server %s/%s is the target of a use-server rule", s.Name, name)
		}
		plan.Ops = append(plan.Ops, Op{Kind: OpDelServer, Backend: s.Name, Server: name})
	}
	algo, dynamic := dynamicAlgorithm(s, newDef)
	added := ""
	for _, e := range newSrv {
		old, existed := oldBy[e.srv.Name]
		if !existed {
			op, p := planAdd(s, newDef, e)
			if p.Reload {
				return p
			}
			plan.Ops = append(plan.Ops, op...)
			if added == "" {
				added = e.srv.Name
			}
			continue
		}
		// HAProxy appends a server added at run time after the others
		// (and gives it the next id); a reload would put it in file order.
		if added != "" {
			return needsReload("new server %s/%s comes before existing server %s", s.Name, added, e.srv.Name)
		}
		p := planChange(s.Name, old, e, algo, dynamic)
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

func sameServerOrder(oldSrv, newSrv []serverEntry, oldBy, newBy map[string]serverEntry) bool {
	var a, b []string
	for _, e := range oldSrv {
		if _, ok := newBy[e.srv.Name]; ok {
			a = append(a, e.srv.Name)
		}
	}
	for _, e := range newSrv {
		if _, ok := oldBy[e.srv.Name]; ok {
			b = append(b, e.srv.Name)
		}
	}
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// planChange compares the effective params of a server in both documents:
// weight (a plain integer 0..256), address/port (IP addresses) and
// maintenance change live; any other difference needs a reload. A backend
// with a static algorithm (dynamic false) refuses weight changes.
func planChange(be string, oldE, curE serverEntry, algo string, dynamic bool) Plan {
	old, cur := oldE.srv, curE.srv
	oe, ne := effectiveOf(oldE.units), effectiveOf(curE.units)
	if oe.rest != ne.rest {
		return needsReload("server %s/%s changed beyond weight, address and maintenance", be, cur.Name)
	}
	var plan Plan
	if oe.weightSet != ne.weightSet || oe.weight != ne.weight {
		w, ok := ne.weightValue()
		if !ok {
			return needsReload("server %s/%s weight %q is not a plain integer 0..256", be, cur.Name, ne.weight)
		}
		if ow, ok := oe.weightValue(); !ok || ow != w {
			if !dynamic {
				return needsReload("backend %s balances with %s, which refuses weight changes at run time", be, algo)
			}
			plan.Ops = append(plan.Ops, Op{Kind: OpSetWeight, Backend: be, Server: cur.Name, Weight: w})
		}
	}
	if old.Address != cur.Address || !eqInt(old.Port, cur.Port) {
		addr, err := netip.ParseAddr(cur.Address)
		if err != nil || addr.Zone() != "" {
			return needsReload("server %s/%s address %q is not an IP address", be, cur.Name, cur.Address)
		}
		// Without a port HAProxy maps the client's port; runtime cannot
		// switch between the two modes.
		if (old.Port == nil) != (cur.Port == nil) {
			return needsReload("server %s/%s port added or removed", be, cur.Name)
		}
		port := 0
		if cur.Port != nil {
			if *cur.Port < 1 || *cur.Port > 65535 {
				return needsReload("server %s/%s port %d cannot be set at run time", be, cur.Name, *cur.Port)
			}
			port = int(*cur.Port)
		}
		plan.Ops = append(plan.Ops, Op{Kind: OpSetAddr, Backend: be, Server: cur.Name, Addr: addr.String(), Port: port})
	}
	if oe.maint != ne.maint {
		state := "ready"
		if ne.maint {
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
