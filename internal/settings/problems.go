package settings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// origin records where a setting's value came from, so that a problem found
// after merging can point at the attribute or flag that set it.
type origin struct {
	flag string    // flag name as registered ("port", "d"); "" when not set by a flag
	env  string    // environment variable; "" when not set by one
	rng  hcl.Range // value range in the file; zero when not set by the file
}

// String says where a value came from, for the start-up log: "flag
// --port", "env DATAPLANEAPI_PORT", "file /etc/dataplane.hcl:3" or
// "default".
func (o origin) String() string {
	switch {
	case o.flag != "":
		return "flag " + dashed(o.flag)
	case o.env != "":
		return "env " + o.env
	case o.rng.Filename != "":
		return fmt.Sprintf("file %s:%d", o.rng.Filename, o.rng.Start.Line)
	}
	return "default"
}

// rank orders problems by source: flags, then the environment, then the
// file.
func (o origin) rank() int {
	switch {
	case o.flag != "":
		return 0
	case o.env != "":
		return 1
	}
	return 2
}

// flagOrigin is the origin of a value given by the named flag.
func flagOrigin(name string) origin { return origin{flag: name} }

// dashed spells a flag name the way usage shows it: "-d" or "--reload-delay".
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// problem is one line of a LoadError.
type problem struct {
	at  origin
	msg string
}

// String formats p as "flag --name: msg", "file:line:col: msg", "file: msg"
// or plain "msg".
func (p problem) String() string {
	switch {
	case p.at.flag != "":
		return fmt.Sprintf("flag %s: %s", dashed(p.at.flag), p.msg)
	case p.at.env != "":
		return fmt.Sprintf("environment %s: %s", p.at.env, p.msg)
	case p.at.rng.Filename != "" && p.at.rng.Start.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.at.rng.Filename, p.at.rng.Start.Line, p.at.rng.Start.Column, p.msg)
	case p.at.rng.Filename != "":
		return fmt.Sprintf("%s: %s", p.at.rng.Filename, p.msg)
	default:
		return p.msg
	}
}

// problems accumulates every problem Load finds.
type problems []problem

// add appends ps.
func (ps *problems) add(p ...problem) { *ps = append(*ps, p...) }

// addf appends a problem at o.
func (ps *problems) addf(o origin, format string, args ...any) {
	*ps = append(*ps, problem{at: o, msg: fmt.Sprintf(format, args...)})
}

// addDiags appends the error diagnostics of diags, each as
// "summary: detail" at its subject.
func (ps *problems) addDiags(filename string, diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		at := origin{rng: hcl.Range{Filename: filename}}
		if d.Subject != nil {
			at.rng = *d.Subject
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Summary == "Unknown variable" {
			msg += ` Environment variables are read as env.NAME; write "$${NAME}" for the literal text "${NAME}".`
		}
		ps.addf(at, "%s", strings.Join(strings.Fields(msg), " "))
	}
}

// lines returns the formatted problems: flag problems first, in the order
// found, then the file's problems by position. Duplicates are dropped.
func (ps problems) lines() []string {
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b problem) int {
		if c := cmp.Compare(a.at.rank(), b.at.rank()); c != 0 {
			return c
		}
		if a.at.rank() < 2 {
			return 0
		}
		return cmp.Or(
			cmp.Compare(a.at.rng.Filename, b.at.rng.Filename),
			cmp.Compare(a.at.rng.Start.Line, b.at.rng.Start.Line),
			cmp.Compare(a.at.rng.Start.Column, b.at.rng.Start.Column),
		)
	})
	out := make([]string, 0, len(sorted))
	seen := map[string]bool{}
	for _, p := range sorted {
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
