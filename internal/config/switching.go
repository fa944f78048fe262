package config

import (
	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// The short rule lists: backend and server switching, stickiness and
// captures, each the Data Plane API v3 model of one keyword, read and
// written by config-parser's parser of that keyword.

// BackendSwitchingRule is a `use_backend <name> [if|unless <test>]` line
// of a frontend.
type BackendSwitchingRule struct {
	Name string `json:"name,omitempty"`
	Condition
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var BackendSwitchingRules = ruleList(&Collection[BackendSwitchingRule]{
	Name: "backend switching rule", Path: "backend_switching_rules", OpName: "BackendSwitchingRule",
	Tag: "BackendSwitchingRule", Schema: "backend_switching_rule", Keyword: "use_backend",
	Parents:       []string{KindFrontend},
	PluralListOps: true,
	FullSection:   "backend_switching_rule_list",
	Parse: func(l Line) (BackendSwitchingRule, bool) {
		u, ok := cpParse[types.UseBackend](&parsers.UseBackend{}, l)
		return BackendSwitchingRule{Name: u.Name, Condition: Condition{u.Cond, u.CondTest}}, ok
	},
	Render: func(m *BackendSwitchingRule, _ *Line) []string {
		return append([]string{"use_backend", m.Name}, m.words()...)
	},
	Check: func(m *BackendSwitchingRule) error {
		// A name may be a log-format expression (%[req.hdr(host),lower]):
		// one word, checked as such.
		if err := checkOneWord("name", m.Name); err != nil {
			return err
		}
		return m.Condition.check()
	},
}, func(m *BackendSwitchingRule) *Unmodelled { return &m.Unmodelled })

// ServerSwitchingRule is a `use-server <server> [if|unless <test>]` line
// of a backend.
type ServerSwitchingRule struct {
	TargetServer string `json:"target_server,omitempty"`
	Condition
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var ServerSwitchingRules = ruleList(&Collection[ServerSwitchingRule]{
	Name: "server switching rule", Path: "server_switching_rules", OpName: "ServerSwitchingRule",
	Tag: "ServerSwitchingRule", Schema: "server_switching_rule", Keyword: "use-server",
	Parents:       []string{KindBackend},
	PluralListOps: true,
	FullSection:   "server_switching_rule_list",
	Parse: func(l Line) (ServerSwitchingRule, bool) {
		u, ok := cpParse[types.UseServer](&parsers.UseServer{}, l)
		return ServerSwitchingRule{TargetServer: u.Name, Condition: Condition{u.Cond, u.CondTest}}, ok
	},
	Render: func(m *ServerSwitchingRule, _ *Line) []string {
		return append([]string{"use-server", m.TargetServer}, m.words()...)
	},
	Check: func(m *ServerSwitchingRule) error {
		if err := checkOneWord("target_server", m.TargetServer); err != nil {
			return err
		}
		return m.Condition.check()
	},
}, func(m *ServerSwitchingRule) *Unmodelled { return &m.Unmodelled })

// StickRule is a `stick match|on|store-request|store-response <pattern>
// [table <table>] [if|unless <test>]` line of a backend.
type StickRule struct {
	Type    string `json:"type,omitempty"`
	Pattern string `json:"pattern,omitempty"`
	Table   string `json:"table,omitempty"`
	Condition
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var StickRules = ruleList(&Collection[StickRule]{
	Name: "stick rule", Path: "stick_rules", OpName: "StickRule",
	Tag: "StickRule", Schema: "stick_rule", Keyword: "stick",
	Parents:       []string{KindBackend},
	PluralListOps: true,
	FullSection:   "stick_rule_list",
	Parse: func(l Line) (StickRule, bool) {
		s, ok := cpParse[types.Stick](&parsers.Stick{}, l)
		return StickRule{Type: s.Type, Pattern: s.Pattern, Table: s.Table, Condition: Condition{s.Cond, s.CondTest}}, ok
	},
	Render: func(m *StickRule, _ *Line) []string {
		w := []string{"stick", m.Type, m.Pattern}
		if m.Table != "" {
			w = append(w, "table", m.Table)
		}
		return append(w, m.words()...)
	},
	Check: func(m *StickRule) error {
		if err := checkEnum("type", m.Type, "match", "on", "store-request", "store-response"); err != nil {
			return err
		}
		if err := checkOneWord("pattern", m.Pattern); err != nil {
			return err
		}
		if m.Table != "" {
			if err := checkOneWord("table", m.Table); err != nil {
				return err
			}
		}
		return m.Condition.check()
	},
}, func(m *StickRule) *Unmodelled { return &m.Unmodelled })

// Capture is a `declare capture request|response len <length>` line of a
// frontend: a slot that `http-request capture ... id <n>` fills, numbered
// by its position among the slots of its direction.
type Capture struct {
	Type   string `json:"type,omitempty"`
	Length int64  `json:"length,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var Captures = ruleList(&Collection[Capture]{
	Name: "capture", Path: "captures", OpName: "DeclareCapture",
	Tag: "DeclareCapture", Schema: "capture", Keyword: "declare",
	Prefixes:      [][]string{{"declare", "capture"}},
	Parents:       []string{KindFrontend},
	PluralListOps: true,
	FullSection:   "capture_list",
	Parse: func(l Line) (Capture, bool) {
		c, ok := cpParse[types.DeclareCapture](&parsers.DeclareCapture{}, l)
		return Capture{Type: c.Type, Length: c.Length}, ok
	},
	Render: func(m *Capture, _ *Line) []string {
		return []string{"declare", "capture", m.Type, "len", formatInt(m.Length)}
	},
	Check: func(m *Capture) error {
		if err := checkEnum("type", m.Type, "request", "response"); err != nil {
			return err
		}
		return checkRange("length", m.Length, 1, 1<<31-1)
	},
}, func(m *Capture) *Unmodelled { return &m.Unmodelled })
