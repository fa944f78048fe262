package config

import (
	"strings"
	"sync/atomic"

	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// MailersSection is a `mailers` section, the Data Plane API v3
// `mailers_section` model: `timeout mail` in milliseconds. Its `mailer`
// lines are the collection MailerEntries.
type MailersSection struct {
	Name    string `json:"name"`
	Timeout *int64 `json:"timeout,omitempty"`
	Meta           // metadata: the trailing comment of its header line (metadata.go)
}

var mailersModel = registerSection(&sectionModel[MailersSection]{
	info: SectionInfo{Kind: KindMailers, Path: "mailers_section", OpName: "MailersSection", Tag: "Mailers", Schema: "mailers_section",
		OpIDs: map[string]string{"replace": "editMailersSection"}, Templated: true},
	fields: fieldSet[MailersSection]{
		timeoutField("timeout", "mail", func(m *MailersSection) **int64 { return &m.Timeout }),
	},
	name:  func(m *MailersSection) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// MailerEntry is a `mailer <name> <ip>:<port>` line of a mailers section.
type MailerEntry struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    int64  `json:"port"`
	Meta           // metadata: the trailing comment of its line (metadata.go)
}

// MailerEntries are the `mailer` lines of mailers sections:
// /mailer_entries?mailers_section=<name>.
var MailerEntries = Register(&Collection[MailerEntry]{
	Name: "mailer", Path: "mailer_entries", OpName: "MailerEntry", OpPlural: "MailerEntries", Tag: "MailerEntry",
	Schema: "mailer_entry", Keyword: "mailer",
	Parents: []string{KindMailers}, FullSection: "mailer_entries",
	PluralListOps: true, QueryParent: "mailers_section",
	Parse: func(l Line) (MailerEntry, bool) {
		e, ok := cpParse[types.Mailer](&parsers.Mailer{}, l)
		if !ok || len(l.Words) != 3 {
			return MailerEntry{}, false
		}
		// config-parser keeps the brackets of an IPv6 address.
		addr := e.IP
		if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
			addr = addr[1 : len(addr)-1]
		}
		m := MailerEntry{Name: e.Name, Address: addr, Port: e.Port}
		return m, equalWords(renderMailer(&m), l.Words)
	},
	Render: func(m *MailerEntry, _ *Line) []string { return renderMailer(m) },
	Check: func(m *MailerEntry) error {
		if err := CheckName("name", m.Name); err != nil {
			return err
		}
		if err := checkRange("port", m.Port, 1, 65535); err != nil {
			return err
		}
		if isSocketPath(m.Address) {
			return invalid("address", "%q: a mailer is reached over TCP (an IPv4 or IPv6 address or a host name)", m.Address)
		}
		p := m.Port
		return checkAddressPort("address", m.Address, &p)
	},
	// Mailers open the section, before `timeout mail`.
	FirstBefore: func(Line) bool { return true },
	Key:         func(m *MailerEntry) string { return m.Name },
	SetKey:      func(m *MailerEntry, n string) { m.Name = n },
})

func renderMailer(m *MailerEntry) []string {
	p := m.Port
	return []string{"mailer", m.Name, joinAddress(m.Address, &p, nil)}
}
