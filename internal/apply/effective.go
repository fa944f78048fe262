package apply

import (
	"fmt"
	"strings"

	"dataplane/internal/config"
)

// serverEntry is one server line of a backend with the params HAProxy
// gives the server: the default-server lines of the defaults section the
// backend inherits from, then the backend's default-server lines written
// above the server (a default-server line applies only to the servers that
// follow it), then the server's own params. For each param the last
// occurrence wins, as in HAProxy.
type serverEntry struct {
	srv   config.Server
	line  config.Line
	units [][]string // effective params, in the order HAProxy reads them
}

// backendServers returns the servers of backend section sec of doc, in file
// order, with their effective params.
func backendServers(doc *config.Document, sec *config.Section) ([]serverEntry, error) {
	servers, err := config.Servers.At(config.KindBackend, sec.Name).List(doc)
	if err != nil {
		return nil, err
	}
	var inherited [][]string
	if def, ok := doc.DefaultsOf(sec); ok {
		for _, l := range def.Find("default-server") {
			inherited = append(inherited, config.SplitServerParams(l.Words[1:])...)
		}
	}
	out := make([]serverEntry, 0, len(servers))
	for _, l := range sec.Lines() {
		switch {
		case l.Keyword("default-server"):
			// Copy: entries already built keep their own slice.
			inherited = append(inherited[:len(inherited):len(inherited)], config.SplitServerParams(l.Words[1:])...)
		case l.Keyword("server") && len(l.Words) >= 3:
			i := len(out)
			if i >= len(servers) || servers[i].Name != l.Words[1] {
				return nil, fmt.Errorf("server line %q does not match the parsed servers", strings.Join(l.Words, " "))
			}
			units := append(inherited[:len(inherited):len(inherited)], config.SplitServerParams(l.Words[3:])...)
			out = append(out, serverEntry{srv: servers[i], line: l, units: units})
		}
	}
	if len(out) != len(servers) {
		return nil, fmt.Errorf("%d server lines for %d parsed servers", len(out), len(servers))
	}
	return out, nil
}

// effective is what the planner compares between two versions of a server.
type effective struct {
	weight    string // the last weight value; "" with weightSet false: HAProxy's default 1
	weightSet bool
	maint     bool   // the last of `disabled` (true) and `enabled`
	rest      string // every other param, in order
}

func effectiveOf(units [][]string) effective {
	var e effective
	var rest []string
	for _, u := range units {
		switch u[0] {
		case "weight":
			e.weightSet = true
			e.weight = strings.Join(u[1:], " ")
		case "disabled":
			e.maint = true
		case "enabled":
			e.maint = false
		default:
			rest = append(rest, strings.Join(u, " "))
		}
	}
	// NUL cannot be in a configuration word: the join is unambiguous.
	e.rest = strings.Join(rest, "\x00")
	return e
}

// weightValue returns the weight HAProxy gives, and false when it is not a
// plain integer in 0..256 (a variable, a quoted or malformed value).
func (e effective) weightValue() (int, bool) {
	if !e.weightSet {
		return 1, true
	}
	n, err := atoi(e.weight)
	if err != nil || n < 0 || n > 256 {
		return 0, false
	}
	return n, true
}

// hasConditional reports whether a section holds conditional blocks
// (.if/.elif/.else/.endif) or other dot directives: which of its lines
// HAProxy reads then depends on the conditions.
func hasConditional(s *config.Section) bool {
	if s == nil {
		return false
	}
	for _, l := range s.Lines() {
		if strings.HasPrefix(l.Words[0], ".") {
			return true
		}
	}
	return false
}

// usedByUseServer reports whether a `use-server` rule of the section may
// name the server: HAProxy refuses to delete such a server at run time. A
// rule whose target is not a plain name counts as naming it.
func usedByUseServer(s *config.Section, name string) bool {
	for _, l := range s.Find("use-server") {
		t := unquote(l.Arg(1))
		if t == name || strings.ContainsAny(t, "%$\"'\\") {
			return true
		}
	}
	return false
}

func unquote(w string) string {
	if len(w) >= 2 && (w[0] == '"' && w[len(w)-1] == '"' || w[0] == '\'' && w[len(w)-1] == '\'') {
		return w[1 : len(w)-1]
	}
	return w
}
