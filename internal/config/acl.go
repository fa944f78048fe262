package config

import (
	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// ACL is an `acl <name> <criterion> [flags] [operator] <value> ...` line,
// the Data Plane API v3 `acl` model. Value is the rest of the line as
// written (flags and patterns, quotes kept).
type ACL struct {
	ACLName   string `json:"acl_name"`
	Criterion string `json:"criterion"`
	Value     string `json:"value,omitempty"`
	Meta             // metadata: the trailing comment of its line (metadata.go)
}

// ACLs are the `acl` lines of frontends, backends, defaults and fcgi-apps:
// an ordered list (HAProxy reads a named ACL declared on several lines as
// the OR of them, so order and repetition are kept as written).
var ACLs = Register(&Collection[ACL]{
	Name: "acl", Path: "acls", OpName: "Acl", Tag: "ACL", Schema: "acl", Keyword: "acl",
	Parents:     []string{KindFrontend, KindBackend, KindDefaults, KindFCGIApp},
	Positional:  true,
	FullSection: "acl_list",
	Filters:     map[string]func(*ACL) string{"acl_name": func(a *ACL) string { return a.ACLName }},
	Parse:       parseACL,
	Complete:    func(l Line) bool { return len(l.Words) >= 3 },
	Render:      renderACL,
	Check:       checkACL,
	// A rule can only use an ACL declared above it.
	FirstBefore: usesCondition,
})

func parseACL(l Line) (ACL, bool) {
	a, ok := cpParse[types.ACL](&parsers.ACL{}, l)
	if !ok {
		return ACL{}, false
	}
	return ACL{ACLName: a.Name, Criterion: a.Criterion, Value: a.Value}, true
}

func renderACL(a *ACL, _ *Line) []string {
	return cpWords(&parsers.ACL{}, &types.ACL{Name: a.ACLName, Criterion: a.Criterion, Value: a.Value})
}

func checkACL(a *ACL) error {
	if err := CheckName("acl_name", a.ACLName); err != nil {
		return err
	}
	if err := checkWord("criterion", a.Criterion); err != nil {
		return err
	}
	if a.Value != "" {
		return checkText("value", a.Value)
	}
	return nil
}

// usesCondition reports whether a line holds a condition (`if`/`unless`),
// which may name ACLs.
func usesCondition(l Line) bool {
	for _, w := range l.Words[1:] {
		if w == "if" || w == "unless" {
			return true
		}
	}
	return false
}
