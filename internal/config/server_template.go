package config

import (
	"regexp"
	"strconv"
)

// ServerTemplate is a `server-template` line of a backend: `server-template
// <prefix> <num | range> <fqdn>[:<port>] [params]`, the Data Plane API v3
// `server_template` model (every server param, as on `server`).
type ServerTemplate struct {
	Prefix     string `json:"prefix"`
	NumOrRange string `json:"num_or_range"`
	FQDN       string `json:"fqdn"`
	Port       *int64 `json:"port,omitempty"`
	ID         *int64 `json:"id,omitempty"`
	ServerParams
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// numOrRange is a count (`3`) or a range of ids (`1-3`).
var numOrRange = regexp.MustCompile(`^[0-9]+(-[0-9]+)?$`)

// ServerTemplates are the `server-template` lines of backends, keyed by
// prefix.
var ServerTemplates = Register(&Collection[ServerTemplate]{
	Name: "server template", Path: "server_templates", OpName: "ServerTemplate", Tag: "ServerTemplate",
	Schema: "server_template", Keyword: "server-template",
	Parents: []string{KindBackend}, FullSection: "server_templates",
	PluralListOps: true, PathKey: "prefix",
	Parse: func(l Line) (ServerTemplate, bool) {
		if len(l.Words) < 4 {
			return ServerTemplate{}, false
		}
		m, _ := parseServerTemplateLine(l)
		return m, true
	},
	Render: func(m *ServerTemplate, old *Line) []string {
		var units []paramUnit
		if old != nil {
			_, units = parseServerTemplateLine(*old)
		}
		return serverTemplateWords(m, units)
	},
	Check: func(m *ServerTemplate) error {
		if err := checkWord("prefix", m.Prefix); err != nil {
			return err
		}
		if !numOrRange.MatchString(m.NumOrRange) {
			return invalid("num_or_range", "%q is neither a count (3) nor a range (1-3)", m.NumOrRange)
		}
		if err := checkAddressPort("fqdn", m.FQDN, m.Port); err != nil {
			return err
		}
		if m.Port != nil {
			if err := checkRange("port", *m.Port, 1, 65535); err != nil {
				return err
			}
		}
		if m.ID != nil {
			if err := checkRange("id", *m.ID, 1, 1<<31); err != nil {
				return err
			}
		}
		return checkServerParams("", &m.ServerParams)
	},
	Key:    func(m *ServerTemplate) string { return m.Prefix },
	SetKey: func(m *ServerTemplate, p string) { m.Prefix = p },
})

func parseServerTemplateLine(l Line) (ServerTemplate, []paramUnit) {
	m := ServerTemplate{Prefix: l.Arg(1), NumOrRange: l.Arg(2)}
	m.FQDN, m.Port, _ = splitAddress(unquote(l.Arg(3)))
	var units []paramUnit
	if len(l.Words) > 4 {
		units = splitParams(l.Words[4:], serverArity)
	}
	readServerParams(units, &m.ServerParams)
	for _, u := range units {
		if u.name == "id" && len(u.words) == 2 {
			if n, err := strconv.ParseInt(u.words[1], 10, 64); err == nil {
				m.ID = &n
			}
		}
	}
	return m, units
}

func serverTemplateWords(m *ServerTemplate, units []paramUnit) []string {
	params := editServerParams(units, &m.ServerParams, func(e *paramEdit) {
		if m.ID != nil {
			e.set("id", "id", strconv.FormatInt(*m.ID, 10))
		}
	})
	return append([]string{"server-template", m.Prefix, m.NumOrRange, joinAddress(m.FQDN, m.Port, nil)}, params...)
}
