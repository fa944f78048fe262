package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// Ring is a `ring` section, the Data Plane API v3 `ring` model: a buffer
// of log lines, forwarded to its `server` lines (syslog over TCP).
type Ring struct {
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	Format         string `json:"format,omitempty"`
	Maxlen         *int64 `json:"maxlen,omitempty"`
	Size           *int64 `json:"size,omitempty"`
	TimeoutConnect *int64 `json:"timeout_connect,omitempty"`
	TimeoutServer  *int64 `json:"timeout_server,omitempty"`
	Meta                  // metadata: the trailing comment of its header line (metadata.go)
}

var ringModel = registerSection(&sectionModel[Ring]{
	info: SectionInfo{Kind: KindRing, Path: "rings", OpName: "Ring", Tag: "Ring", Schema: "ring", Templated: true},
	fields: fieldSet[Ring]{
		textField("description", []string{"description"}, func(m *Ring) *string { return &m.Description }),
		wordField("format", []string{"format"}, logFormats, func(m *Ring) *string { return &m.Format }),
		intField("maxlen", []string{"maxlen"}, 1, 1<<31-1, func(m *Ring) **int64 { return &m.Maxlen }),
		intField("size", []string{"size"}, 0, 1<<62, func(m *Ring) **int64 { return &m.Size }),
		timeoutField("timeout_connect", "connect", func(m *Ring) **int64 { return &m.TimeoutConnect }),
		timeoutField("timeout_server", "server", func(m *Ring) **int64 { return &m.TimeoutServer }),
	},
	name:  func(m *Ring) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// LogForward is a `log-forward` section, the v3 `log_forward` model: a
// syslog relay from its binds and dgram-binds to its log targets.
type LogForward struct {
	Name             string `json:"name"`
	AssumeRFC6587NTF bool   `json:"assume-rfc6587-ntf,omitempty"`
	Backlog          *int64 `json:"backlog,omitempty"`
	DontParseLog     bool   `json:"dont-parse-log,omitempty"`
	Maxconn          *int64 `json:"maxconn,omitempty"`
	TimeoutClient    *int64 `json:"timeout_client,omitempty"`
	Meta                    // metadata: the trailing comment of its header line (metadata.go)
}

var logForwardModel = registerSection(&sectionModel[LogForward]{
	info: SectionInfo{Kind: KindLogForward, Path: "log_forwards", OpName: "LogForward", Tag: "LogForward", Schema: "log_forward", Templated: true},
	fields: fieldSet[LogForward]{
		flagField("assume-rfc6587-ntf", []string{"option", "assume-rfc6587-ntf"}, func(m *LogForward) *bool { return &m.AssumeRFC6587NTF }),
		intField("backlog", []string{"backlog"}, 0, 1<<31-1, func(m *LogForward) **int64 { return &m.Backlog }),
		flagField("dont-parse-log", []string{"option", "dont-parse-log"}, func(m *LogForward) *bool { return &m.DontParseLog }),
		intField("maxconn", []string{"maxconn"}, 0, 1<<31-1, func(m *LogForward) **int64 { return &m.Maxconn }),
		timeoutField("timeout_client", "client", func(m *LogForward) **int64 { return &m.TimeoutClient }),
	},
	name:  func(m *LogForward) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// PeerSection is a `peers` section, the v3 `peer_section` model. Its
// peers, binds, servers and tables are collections.
type PeerSection struct {
	Name          string        `json:"name"`
	DefaultBind   *DefaultBind  `json:"default_bind,omitempty"`
	DefaultServer *ServerParams `json:"default_server,omitempty"`
	Disabled      bool          `json:"disabled,omitempty"`
	Enabled       bool          `json:"enabled,omitempty"`
	Shards        *int64        `json:"shards,omitempty"`
	Meta                        // metadata: the trailing comment of its header line (metadata.go)
}

// DefaultBind is a `default-bind` line, the v3 `default_bind` model: the
// bind params every bind of the section starts from.
type DefaultBind struct {
	Name string `json:"name,omitempty"`
	BindParams
}

var peerSectionModel = registerSection(&sectionModel[PeerSection]{
	info: SectionInfo{Kind: KindPeers, Path: "peer_section", OpName: "PeerSection", Tag: "PeerSection", Schema: "peer_section",
		Templated: true, NoReplace: true,
		OpIDs: map[string]string{"create": "createPeer", "delete": "deletePeer"}},
	fields: fieldSet[PeerSection]{
		defaultBindFieldOf(func(m *PeerSection) **DefaultBind { return &m.DefaultBind }),
		defaultServerFieldOf(func(m *PeerSection) **ServerParams { return &m.DefaultServer }),
		flagField("disabled", []string{"disabled"}, func(m *PeerSection) *bool { return &m.Disabled }),
		flagField("enabled", []string{"enabled"}, func(m *PeerSection) *bool { return &m.Enabled }),
		intField("shards", []string{"shards"}, 1, 1<<31-1, func(m *PeerSection) **int64 { return &m.Shards }),
	},
	name:  func(m *PeerSection) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// PeerEntry is a `peer` line: `peer <name> <address>:<port> [shard <n>]`.
type PeerEntry struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    *int64 `json:"port"`
	Shard   *int64 `json:"shard,omitempty"`
	Meta           // metadata: the trailing comment of its line (metadata.go)
}

// PeerEntries are the `peer` lines of peers sections, addressed as the
// Data Plane API does: /peer_entries?peer_section=<name>.
var PeerEntries = Register(&Collection[PeerEntry]{
	Name: "peer entry", Path: "peer_entries", OpName: "PeerEntry", Tag: "PeerEntry", Schema: "peer_entry", Keyword: "peer",
	Parents: []string{KindPeers}, FullSection: "peer_entries",
	PluralListOps: true, OpPlural: "PeerEntries", QueryParent: "peer_section",
	Parse:  parsePeerEntry,
	Render: renderPeerEntry,
	Check: func(m *PeerEntry) error {
		if err := CheckName("name", m.Name); err != nil {
			return err
		}
		if err := checkWord("address", m.Address); err != nil {
			return err
		}
		if m.Port == nil {
			return invalid("port", "is required")
		}
		if err := checkRange("port", *m.Port, 1, 65535); err != nil {
			return err
		}
		if m.Shard != nil {
			if err := checkRange("shard", *m.Shard, 0, 1<<31-1); err != nil {
				return err
			}
		}
		// The written address must read back as sent: an IPv6 address
		// is bracketed, so "[::1]" itself would read back as "::1".
		words := renderPeerEntry(m, nil)
		if p, ok := parsePeerEntry(Line{Words: words}); !ok || p.Address != m.Address || !eqInt(p.Port, m.Port) {
			return invalid("address", "%q is written %q, which does not read back as that address", m.Address, words[2])
		}
		return nil
	},
	Key:    func(m *PeerEntry) string { return m.Name },
	SetKey: func(m *PeerEntry, n string) { m.Name = n },
})

// parsePeerEntry reads `peer <name> <address>:<port> [shard <n>]` itself:
// config-parser reads an IPv6 address with its brackets (`[::1]`), or
// splits `::1:10000` wrongly, so such lines did not read back. An
// address in brackets is read without them; one without brackets ends at
// the last ':', as HAProxy reads it.
func parsePeerEntry(l Line) (PeerEntry, bool) {
	if len(l.Words) != 3 && len(l.Words) != 5 {
		return PeerEntry{}, false
	}
	addr, port, _, ok := splitPeerAddress(l.Words[2])
	if !ok {
		return PeerEntry{}, false
	}
	m := PeerEntry{Name: l.Words[1], Address: addr, Port: &port}
	if len(l.Words) == 5 {
		if l.Words[3] != "shard" {
			return PeerEntry{}, false
		}
		n, err := strconv.ParseInt(l.Words[4], 10, 64)
		if err != nil {
			return PeerEntry{}, false
		}
		m.Shard = &n
	}
	return m, equalWords(renderPeerEntry(&m, &l), l.Words)
}

// splitPeerAddress splits `<address>:<port>` and says whether the address
// was in brackets.
func splitPeerAddress(tok string) (addr string, port int64, bracketed, ok bool) {
	var p string
	if strings.HasPrefix(tok, "[") {
		i := strings.Index(tok, "]:")
		if i < 0 {
			return "", 0, false, false
		}
		addr, p, bracketed = tok[1:i], tok[i+2:], true
	} else {
		i := strings.LastIndexByte(tok, ':')
		if i < 0 {
			return "", 0, false, false
		}
		addr, p = tok[:i], tok[i+1:]
	}
	n, err := strconv.ParseInt(p, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != p {
		return "", 0, false, false
	}
	return addr, n, bracketed, true
}

// renderPeerEntry writes an address holding ':' (IPv6) in brackets, unless
// the line it replaces (old) wrote it bare (`::1:10000`, which HAProxy
// also reads): a line keeps its form.
func renderPeerEntry(m *PeerEntry, old *Line) []string {
	port := int64(0)
	if m.Port != nil {
		port = *m.Port
	}
	p := strconv.FormatInt(port, 10)
	addr := m.Address + ":" + p
	if strings.Contains(m.Address, ":") && !strings.HasPrefix(m.Address, "[") && !strings.Contains(m.Address, "@") {
		bare := false
		if old != nil && len(old.Words) > 2 {
			_, _, bracketed, ok := splitPeerAddress(old.Words[2])
			bare = ok && !bracketed
		}
		if !bare {
			addr = "[" + m.Address + "]:" + p
		}
	}
	w := []string{"peer", m.Name, addr}
	if m.Shard != nil {
		w = append(w, "shard", strconv.FormatInt(*m.Shard, 10))
	}
	return w
}

// Table is a `table` line of a peers section: `table <name> type <type>
// [len <n>] size <size> [expire <time>] [nopurge] [store <data>]
// [write-to <table>]`.
type Table struct {
	Name    string `json:"name"`
	Type    string `json:"type,omitempty"`
	TypeLen *int64 `json:"type_len,omitempty"`
	Size    string `json:"size,omitempty"`
	Expire  string `json:"expire,omitempty"`
	NoPurge bool   `json:"no_purge,omitempty"`
	Store   string `json:"store,omitempty"`
	WriteTo string `json:"write_to,omitempty"`
	Meta           // metadata: the trailing comment of its line (metadata.go)
}

// Tables are the `table` lines of peers sections.
var Tables = Register(&Collection[Table]{
	Name: "table", Path: "tables", OpName: "Table", Tag: "Table", Schema: "table", Keyword: "table",
	Parents: []string{KindPeers}, FullSection: "tables", PluralListOps: true,
	Parse: func(l Line) (Table, bool) {
		t, ok := cpParse[types.Table](&parsers.Table{}, l)
		if !ok {
			return Table{}, false
		}
		m := Table{Name: t.Name, Type: t.Type, Size: t.Size, Expire: t.Expire, NoPurge: t.NoPurge, Store: t.Store, WriteTo: t.WriteTo}
		if t.TypeLen != 0 {
			n := t.TypeLen
			m.TypeLen = &n
		}
		return m, equalWords(renderTable(&m), l.Words)
	},
	Render: func(m *Table, _ *Line) []string { return renderTable(m) },
	Check: func(m *Table) error {
		if err := CheckName("name", m.Name); err != nil {
			return err
		}
		if err := checkEnum("type", m.Type, "ip", "ipv6", "integer", "string", "binary"); err != nil {
			return err
		}
		if m.Size == "" {
			return invalid("size", "is required")
		}
		for field, v := range map[string]string{"size": m.Size, "expire": m.Expire, "store": m.Store, "write_to": m.WriteTo} {
			if v != "" {
				if err := checkWord(field, v); err != nil {
					return err
				}
			}
		}
		if m.TypeLen != nil {
			return checkRange("type_len", *m.TypeLen, 1, 1<<16)
		}
		return nil
	},
	Key:    func(m *Table) string { return m.Name },
	SetKey: func(m *Table, n string) { m.Name = n },
})

func renderTable(m *Table) []string {
	w := []string{"table", m.Name, "type", m.Type}
	if m.TypeLen != nil {
		w = append(w, "len", strconv.FormatInt(*m.TypeLen, 10))
	}
	w = append(w, "size", m.Size)
	if m.Expire != "" {
		w = append(w, "expire", m.Expire)
	}
	if m.NoPurge {
		w = append(w, "nopurge")
	}
	if m.Store != "" {
		w = append(w, "store", m.Store)
	}
	if m.WriteTo != "" {
		w = append(w, "write-to", m.WriteTo)
	}
	return w
}

// DgramBind is a `dgram-bind` line of a log-forward section:
// `dgram-bind <address>:<port> [interface <if>] [namespace <ns>]
// [transparent]`, named after its address token.
type DgramBind struct {
	Name         string `json:"name"`
	Address      string `json:"address,omitempty"`
	Port         *int64 `json:"port,omitempty"`
	PortRangeEnd *int64 `json:"port-range-end,omitempty"`
	Interface    string `json:"interface,omitempty"`
	Namespace    string `json:"namespace,omitempty"`
	Transparent  bool   `json:"transparent,omitempty"`
	Meta                // metadata: the trailing comment of its line (metadata.go)
}

// DgramBinds are the `dgram-bind` lines of log-forward sections.
var DgramBinds = Register(&Collection[DgramBind]{
	Name: "dgram bind", Path: "dgram_binds", OpName: "DgramBind", Tag: "DgramBind", Schema: "dgram_bind", Keyword: "dgram-bind",
	Parents: []string{KindLogForward}, FullSection: "dgram_binds", PluralListOps: true,
	Parse: func(l Line) (DgramBind, bool) {
		if len(l.Words) < 2 {
			return DgramBind{}, false
		}
		m := DgramBind{Name: l.Words[1]}
		m.Address, m.Port, m.PortRangeEnd = splitAddress(l.Words[1])
		for i := 2; i < len(l.Words); i++ {
			switch w := l.Words[i]; {
			case w == "transparent":
				m.Transparent = true
			case (w == "interface" || w == "namespace") && i+1 < len(l.Words):
				i++
				if w == "interface" {
					m.Interface = l.Words[i]
				} else {
					m.Namespace = l.Words[i]
				}
			default:
				return DgramBind{}, false
			}
		}
		return m, equalWords(renderDgramBind(&m), l.Words)
	},
	Render: func(m *DgramBind, _ *Line) []string { return renderDgramBind(m) },
	Check: func(m *DgramBind) error {
		if m.Address == "" && m.Port == nil {
			return invalid("address", "an address or a port is required")
		}
		if err := checkWord("name", m.Name); err != nil {
			return err
		}
		// The address token must read back as the same address and
		// ports (an address holding ':' or '-' could shift the port).
		tok := joinAddress(m.Address, m.Port, m.PortRangeEnd)
		if a, p, e := splitAddress(tok); a != m.Address || !eqInt(p, m.Port) || !eqInt(e, m.PortRangeEnd) {
			return invalid("address", "%q with its ports is written %q, which reads back as another address", m.Address, tok)
		}
		if err := checkWord("address", tok); err != nil {
			return err
		}
		if m.Name != joinAddress(m.Address, m.Port, m.PortRangeEnd) {
			return invalid("name", "%q: a dgram-bind is named after its address (%s)", m.Name, joinAddress(m.Address, m.Port, m.PortRangeEnd))
		}
		for field, v := range map[string]string{"interface": m.Interface, "namespace": m.Namespace} {
			if v != "" {
				if err := checkWord(field, v); err != nil {
					return err
				}
			}
		}
		return nil
	},
	Normalize: func(m *DgramBind) {
		if m.Name == "" {
			m.Name = joinAddress(m.Address, m.Port, m.PortRangeEnd)
		}
	},
	Key:    func(m *DgramBind) string { return m.Name },
	SetKey: func(m *DgramBind, n string) { m.Name = n },
})

func renderDgramBind(m *DgramBind) []string {
	w := []string{"dgram-bind", joinAddress(m.Address, m.Port, m.PortRangeEnd)}
	if m.Interface != "" {
		w = append(w, "interface", m.Interface)
	}
	if m.Namespace != "" {
		w = append(w, "namespace", m.Namespace)
	}
	if m.Transparent {
		w = append(w, "transparent")
	}
	return w
}

// defaultBindFieldOf is the default_bind field of a section model: its one
// `default-bind` line, edited in place (params the model does not hold
// stay, as on a bind line). Several lines (each applying to the binds
// after it) read merged and refuse a change, as default-server does.
func defaultBindFieldOf[T any](get func(m *T) **DefaultBind) sectionField[T] {
	kw := []string{"default-bind"}
	read := func(s *Section, m *T) {
		lines := s.Find(kw...)
		if len(lines) == 0 {
			return
		}
		b := &DefaultBind{}
		for _, l := range lines {
			if n := readBindParams(splitParams(l.Words[1:], bindArity), &b.BindParams); n != "" {
				b.Name = n
			}
		}
		*get(m) = b
	}
	// render writes the line's params through the bind line's writer
	// (which leads with `bind <address>`: cut off), keeping those of old.
	render := func(b *DefaultBind, old []string) []string {
		tok := ""
		if b.Name != "" {
			tok = "\x00" // not the name: the writer then writes `name <name>`
		}
		var units []paramUnit
		if len(old) > 1 {
			for _, u := range splitParams(old[1:], bindArity) {
				if u.name != "name" || b.Name != "" {
					units = append(units, u)
				}
			}
		}
		w := bindWords(&Bind{Name: b.Name, BindParams: b.BindParams}, tok, units)
		return append(cloneWords(kw), w[2:]...)
	}
	words := func(m *T) [][]string {
		if *get(m) == nil {
			return nil
		}
		return [][]string{render(*get(m), nil)}
	}
	return sectionField[T]{
		name: "default_bind", matchers: [][]string{kw}, reads: [][]string{kw}, read: read, words: words,
		check: func(m *T) error {
			b := *get(m)
			if b == nil {
				return nil
			}
			if b.Name != "" {
				if err := checkBindName(b.Name); err != nil {
					return fmt.Errorf("default_bind: %w", err)
				}
			}
			if err := checkBindParams(&b.BindParams); err != nil {
				return fmt.Errorf("default_bind: %w", err)
			}
			return nil
		},
		same: func(s *Section, m *T) bool {
			var cur T
			read(s, &cur)
			return reflect.DeepEqual(*get(&cur), *get(m))
		},
		refuse: func(s *Section, m *T) error {
			if n := len(s.Find(kw...)); n > 1 {
				return invalid("default_bind", "%s has %d default-bind lines, each applying to the binds after it; "+
					"the API reads them merged and cannot change them without collapsing them into one: "+
					"edit them with the raw configuration endpoint", s, n)
			}
			return nil
		},
		write: func(e *lineEdit, m *T) {
			lines := e.s.Find(kw...)
			if len(lines) != 1 {
				setLines(e, [][]string{kw}, words(m))
				return
			}
			l := lines[0]
			if *get(m) == nil {
				e.delete(l.Index)
				return
			}
			if w := render(*get(m), l.Words); !equalWords(w, l.Words) {
				e.replaceWords(l.Index, w)
			}
		},
	}
}
