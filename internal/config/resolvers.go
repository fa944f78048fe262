package config

import (
	"sync/atomic"

	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// Resolver is a `resolvers` section, the Data Plane API v3 `resolver`
// model. Times are in milliseconds (`hold valid 10s` reads 10000). Its
// `nameserver` lines are the collection Nameservers.
type Resolver struct {
	Name                string `json:"name"`
	AcceptedPayloadSize *int64 `json:"accepted_payload_size,omitempty"`
	HoldNx              *int64 `json:"hold_nx,omitempty"`
	HoldObsolete        *int64 `json:"hold_obsolete,omitempty"`
	HoldOther           *int64 `json:"hold_other,omitempty"`
	HoldRefused         *int64 `json:"hold_refused,omitempty"`
	HoldTimeout         *int64 `json:"hold_timeout,omitempty"`
	HoldValid           *int64 `json:"hold_valid,omitempty"`
	ParseResolvConf     bool   `json:"parse-resolv-conf,omitempty"`
	ResolveRetries      *int64 `json:"resolve_retries,omitempty"`
	TimeoutResolve      *int64 `json:"timeout_resolve,omitempty"`
	TimeoutRetry        *int64 `json:"timeout_retry,omitempty"`
	Meta                       // metadata: the trailing comment of its header line (metadata.go)
}

var resolverFields = fieldSet[Resolver]{
	intField("accepted_payload_size", []string{"accepted_payload_size"}, 512, 8192, func(m *Resolver) **int64 { return &m.AcceptedPayloadSize }),
	durationField("hold_nx", []string{"hold", "nx"}, "ms", func(m *Resolver) **int64 { return &m.HoldNx }),
	durationField("hold_obsolete", []string{"hold", "obsolete"}, "ms", func(m *Resolver) **int64 { return &m.HoldObsolete }),
	durationField("hold_other", []string{"hold", "other"}, "ms", func(m *Resolver) **int64 { return &m.HoldOther }),
	durationField("hold_refused", []string{"hold", "refused"}, "ms", func(m *Resolver) **int64 { return &m.HoldRefused }),
	durationField("hold_timeout", []string{"hold", "timeout"}, "ms", func(m *Resolver) **int64 { return &m.HoldTimeout }),
	durationField("hold_valid", []string{"hold", "valid"}, "ms", func(m *Resolver) **int64 { return &m.HoldValid }),
	flagField("parse-resolv-conf", []string{"parse-resolv-conf"}, func(m *Resolver) *bool { return &m.ParseResolvConf }),
	intField("resolve_retries", []string{"resolve_retries"}, 1, 1<<31-1, func(m *Resolver) **int64 { return &m.ResolveRetries }),
	timeoutField("timeout_resolve", "resolve", func(m *Resolver) **int64 { return &m.TimeoutResolve }),
	timeoutField("timeout_retry", "retry", func(m *Resolver) **int64 { return &m.TimeoutRetry }),
}

var resolverModel = registerSection(&sectionModel[Resolver]{
	info: SectionInfo{Kind: KindResolvers, Path: "resolvers", OpName: "Resolver", Tag: "Resolver", Schema: "resolver",
		Templated: true},
	fields: resolverFields,
	name:   func(m *Resolver) *string { return &m.Name },
	cache:  func(s *Section) *atomic.Value { return &s.model },
})

// Nameserver is a `nameserver <name> <address>[:<port>]` line of a
// resolvers section.
type Nameserver struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    *int64 `json:"port,omitempty"`
	Meta           // metadata: the trailing comment of its line (metadata.go)
}

// Nameservers are the `nameserver` lines of resolvers sections, keyed by
// name, addressed as the Data Plane API does: /nameservers?resolver=<name>.
var Nameservers = Register(&Collection[Nameserver]{
	Name: "nameserver", Path: "nameservers", OpName: "Nameserver", Tag: "Nameserver", Schema: "nameserver", Keyword: "nameserver",
	Parents: []string{KindResolvers}, FullSection: "nameservers",
	PluralListOps: true, QueryParent: "resolver",
	Parse: func(l Line) (Nameserver, bool) {
		ns, ok := cpParse[types.Nameserver](&parsers.Nameserver{}, l)
		if !ok || len(l.Words) != 3 {
			return Nameserver{}, false
		}
		m := Nameserver{Name: ns.Name}
		var end *int64
		m.Address, m.Port, end = splitAddress(unquote(ns.Address))
		if end != nil {
			return Nameserver{}, false
		}
		return m, equalWords(renderNameserver(&m, &l), l.Words)
	},
	Render: renderNameserver,
	Check:  checkNameserver,
	// Nameservers open the section, as HAProxy's documentation writes it.
	FirstBefore: func(Line) bool { return true },
	Key:         func(m *Nameserver) string { return m.Name },
	SetKey:      func(m *Nameserver, n string) { m.Name = n },
})

// renderNameserver writes the line; an address the old line quoted
// (`nameserver dns "127.0.0.11:53"`) keeps its quotes while it is the same.
func renderNameserver(m *Nameserver, old *Line) []string {
	addr := joinAddress(m.Address, m.Port, nil)
	if old != nil && len(old.Words) == 3 && old.Words[2] != addr && unquote(old.Words[2]) == addr {
		addr = old.Words[2]
	}
	return []string{"nameserver", m.Name, addr}
}

func checkNameserver(m *Nameserver) error {
	if err := CheckName("name", m.Name); err != nil {
		return err
	}
	if m.Port != nil {
		if err := checkRange("port", *m.Port, 1, 65535); err != nil {
			return err
		}
	}
	return checkAddressPort("address", m.Address, m.Port)
}
