package config

import (
	"fmt"
	"reflect"
	"strings"
)

// The typed view of the `global` section. Like the proxy sections it is a
// table of fields; the nested objects of the Data Plane API
// (performance_options, ssl_options, ...) are lifted through pointers, and
// the `stats socket` lines (runtime_apis) have their own writer, which keeps
// the params the model does not know on the line they were on.

const maxInt31 = 1 << 31

var globalTopFields = fieldSet[Global]{
	flagField("daemon", []string{"daemon"}, func(m *Global) *bool { return &m.Daemon }),
	flagField("master-worker", []string{"master-worker"}, func(m *Global) *bool { return &m.MasterWorker }),
	intField("mworker_max_reloads", []string{"mworker-max-reloads"}, 0, maxInt31, func(m *Global) **int64 { return &m.MworkerMaxReloads }),
	intField("nbthread", []string{"nbthread"}, 1, 4096, func(m *Global) **int64 { return &m.Nbthread }),
	intField("thread_groups", []string{"thread-groups"}, 1, 64, func(m *Global) **int64 { return &m.ThreadGroups }),
	wordField("pidfile", []string{"pidfile"}, nil, func(m *Global) *string { return &m.Pidfile }),
	wordField("user", []string{"user"}, nil, func(m *Global) *string { return &m.User }),
	wordField("group", []string{"group"}, nil, func(m *Global) *string { return &m.Group }),
	intField("uid", []string{"uid"}, 0, 1<<32-1, func(m *Global) **int64 { return &m.UID }),
	intField("gid", []string{"gid"}, 0, 1<<32-1, func(m *Global) **int64 { return &m.GID }),
	wordField("chroot", []string{"chroot"}, nil, func(m *Global) *string { return &m.Chroot }),
	textField("description", []string{"description"}, func(m *Global) *string { return &m.Description }),
	wordField("node", []string{"node"}, nil, func(m *Global) *string { return &m.Node }),
	wordField("localpeer", []string{"localpeer"}, nil, func(m *Global) *string { return &m.Localpeer }),
	durationField("stats_timeout", []string{"stats", "timeout"}, "ms", func(m *Global) **int64 { return &m.StatsTimeout }),
	intField("stats_maxconn", []string{"stats", "maxconn"}, 0, maxInt31, func(m *Global) **int64 { return &m.StatsMaxconn }),
	durationField("hard_stop_after", []string{"hard-stop-after"}, "ms", func(m *Global) **int64 { return &m.HardStopAfter }),
	durationField("grace", []string{"grace"}, "ms", func(m *Global) **int64 { return &m.Grace }),
	durationField("close_spread_time", []string{"close-spread-time"}, "ms", func(m *Global) **int64 { return &m.CloseSpreadTime }),
	intField("ulimit_n", []string{"ulimit-n"}, 0, maxInt31, func(m *Global) **int64 { return &m.UlimitN }),
	flagField("external_check", []string{"external-check"}, func(m *Global) *bool { return &m.ExternalCheck }),
	logSendHostnameField(),
	defaultPathField(),
	cpuMapsField(),
}

var performanceFields = fieldSet[PerformanceOptions]{
	intField("performance_options.maxconn", []string{"maxconn"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxconn }),
	intField("performance_options.maxconnrate", []string{"maxconnrate"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxconnrate }),
	intField("performance_options.maxsessrate", []string{"maxsessrate"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxsessrate }),
	intField("performance_options.maxcomprate", []string{"maxcomprate"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxcomprate }),
	intField("performance_options.maxcompcpuusage", []string{"maxcompcpuusage"}, 0, 100, func(m *PerformanceOptions) **int64 { return &m.Maxcompcpuusage }),
	intField("performance_options.maxpipes", []string{"maxpipes"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxpipes }),
	intField("performance_options.maxzlibmem", []string{"maxzlibmem"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxzlibmem }),
	intField("performance_options.spread_checks", []string{"spread-checks"}, 0, 50, func(m *PerformanceOptions) **int64 { return &m.SpreadChecks }),
	durationField("performance_options.max_spread_checks", []string{"max-spread-checks"}, "ms", func(m *PerformanceOptions) **int64 { return &m.MaxSpreadChecks }),
	flagField("performance_options.busy_polling", []string{"busy-polling"}, func(m *PerformanceOptions) *bool { return &m.BusyPolling }),
	flagField("performance_options.noepoll", []string{"noepoll"}, func(m *PerformanceOptions) *bool { return &m.Noepoll }),
	flagField("performance_options.nopoll", []string{"nopoll"}, func(m *PerformanceOptions) *bool { return &m.Nopoll }),
	flagField("performance_options.nosplice", []string{"nosplice"}, func(m *PerformanceOptions) *bool { return &m.Nosplice }),
	flagField("performance_options.nogetaddrinfo", []string{"nogetaddrinfo"}, func(m *PerformanceOptions) *bool { return &m.Nogetaddrinfo }),
	flagField("performance_options.noreuseport", []string{"noreuseport"}, func(m *PerformanceOptions) *bool { return &m.Noreuseport }),
	wordField("performance_options.server_state_file", []string{"server-state-file"}, nil, func(m *PerformanceOptions) *string { return &m.ServerStateFile }),
	wordField("performance_options.server_state_base", []string{"server-state-base"}, nil, func(m *PerformanceOptions) *string { return &m.ServerStateBase }),
}

var sslFields = fieldSet[SSLOptions]{
	wordField("ssl_options.default_bind_ciphers", []string{"ssl-default-bind-ciphers"}, nil, func(m *SSLOptions) *string { return &m.DefaultBindCiphers }),
	wordField("ssl_options.default_bind_ciphersuites", []string{"ssl-default-bind-ciphersuites"}, nil, func(m *SSLOptions) *string { return &m.DefaultBindCiphersuites }),
	textField("ssl_options.default_bind_options", []string{"ssl-default-bind-options"}, func(m *SSLOptions) *string { return &m.DefaultBindOptions }),
	wordField("ssl_options.default_server_ciphers", []string{"ssl-default-server-ciphers"}, nil, func(m *SSLOptions) *string { return &m.DefaultServerCiphers }),
	wordField("ssl_options.default_server_ciphersuites", []string{"ssl-default-server-ciphersuites"}, nil, func(m *SSLOptions) *string { return &m.DefaultServerCiphersuites }),
	textField("ssl_options.default_server_options", []string{"ssl-default-server-options"}, func(m *SSLOptions) *string { return &m.DefaultServerOptions }),
	wordField("ssl_options.ca_base", []string{"ca-base"}, nil, func(m *SSLOptions) *string { return &m.CaBase }),
	wordField("ssl_options.crt_base", []string{"crt-base"}, nil, func(m *SSLOptions) *string { return &m.CrtBase }),
	wordField("ssl_options.dh_param_file", []string{"ssl-dh-param-file"}, nil, func(m *SSLOptions) *string { return &m.DhParamFile }),
	wordField("ssl_options.server_verify", []string{"ssl-server-verify"}, []string{"none", "required"}, func(m *SSLOptions) *string { return &m.ServerVerify }),
	intField("ssl_options.maxsslconn", []string{"maxsslconn"}, 0, maxInt31, func(m *SSLOptions) **int64 { return &m.Maxsslconn }),
	intField("ssl_options.maxsslrate", []string{"maxsslrate"}, 0, maxInt31, func(m *SSLOptions) **int64 { return &m.Maxsslrate }),
}

var tuneBufferFields = fieldSet[TuneBufferOptions]{
	sizeField("tune_buffer_options.bufsize", []string{"tune.bufsize"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.Bufsize }),
	intField("tune_buffer_options.buffers_limit", []string{"tune.buffers.limit"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.BuffersLimit }),
	intField("tune_buffer_options.buffers_reserve", []string{"tune.buffers.reserve"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.BuffersReserve }),
	sizeField("tune_buffer_options.pipesize", []string{"tune.pipesize"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.Pipesize }),
}

var tuneFields = fieldSet[TuneOptions]{
	intField("tune_options.maxrewrite", []string{"tune.maxrewrite"}, 0, maxInt31, func(m *TuneOptions) **int64 { return &m.Maxrewrite }),
	intField("tune_options.http_maxhdr", []string{"tune.http.maxhdr"}, 1, 32767, func(m *TuneOptions) **int64 { return &m.HTTPMaxhdr }),
	intField("tune_options.maxaccept", []string{"tune.maxaccept"}, -1, maxInt31, func(m *TuneOptions) **int64 { return &m.Maxaccept }),
	intField("tune_options.maxpollevents", []string{"tune.maxpollevents"}, 0, maxInt31, func(m *TuneOptions) **int64 { return &m.Maxpollevents }),
}

var globalNestedFields = concat(
	liftPtr(performanceFields, func(m *Global) **PerformanceOptions { return &m.PerformanceOptions }),
	liftPtr(sslFields, func(m *Global) **SSLOptions { return &m.SSLOptions }),
	liftPtr(tuneBufferFields, func(m *Global) **TuneBufferOptions { return &m.TuneBufferOptions }),
	liftPtr(tuneFields, func(m *Global) **TuneOptions { return &m.TuneOptions }),
)

var globalFields = withMasks(concat(globalTopFields, globalNestedFields,
	liftMore(globalMoreFields, func(m *Global) **GlobalMore { return &m.GlobalMore })))

// liftPtr turns the fields of a nested object held through a pointer into
// fields of the outer model. On read the object is allocated as soon as one
// of its lines is in the section (so it stays nil when none is); on write
// and check a nil object means every one of its fields is absent.
func liftPtr[Outer, Inner any](fs fieldSet[Inner], get func(*Outer) **Inner) fieldSet[Outer] {
	inner := func(m *Outer) *Inner {
		if p := *get(m); p != nil {
			return p
		}
		return new(Inner)
	}
	out := make(fieldSet[Outer], len(fs))
	for i, f := range fs {
		out[i] = sectionField[Outer]{
			name:     f.name,
			matchers: f.matchers,
			read: func(s *Section, m *Outer) {
				if _, ok := lastMatch(s, f.matchers...); !ok {
					return
				}
				p := get(m)
				if *p == nil {
					*p = new(Inner)
				}
				f.read(s, *p)
			},
			check: func(m *Outer) error {
				if f.check == nil || *get(m) == nil {
					return nil
				}
				return f.check(*get(m))
			},
			words: func(m *Outer) [][]string { return f.words(inner(m)) },
			same:  func(s *Section, m *Outer) bool { return f.same(s, inner(m)) },
		}
		if f.refuse != nil {
			out[i].refuse = func(s *Section, m *Outer) error { return f.refuse(s, inner(m)) }
		}
		if f.write != nil {
			out[i].write = func(e *lineEdit, m *Outer) { f.write(e, inner(m)) }
		}
	}
	return out
}

// sizeField: `<keyword...> <size>`, in bytes; k/m/g suffixes are read,
// plain numbers written.
func sizeField[T any](json string, kw []string, lo, hi int64, get func(*T) **int64) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok {
			if n, ok := parseSize(l.Arg(len(kw))); ok {
				*get(m) = &n
			}
		}
	}
	f := intField(json, kw, lo, hi, get)
	f.read = read
	f.same = samePtr(read, get)
	return f
}

// sameRendered builds a `same` function for fields whose lines are written
// canonically from what is read: the section holds m's value when the
// lines read from it render as m's lines do.
func sameRendered[T any](read func(s *Section, m *T), words func(m *T) [][]string) func(s *Section, m *T) bool {
	return func(s *Section, m *T) bool {
		var cur T
		read(s, &cur)
		return reflect.DeepEqual(words(&cur), words(m))
	}
}

// logSendHostnameField: `log-send-hostname [<name>]`. A line reads as
// enabled; "disabled" is written as no line.
func logSendHostnameField() sectionField[Global] {
	kw := []string{"log-send-hostname"}
	read := func(s *Section, m *Global) {
		if l, ok := lastMatch(s, kw); ok {
			m.LogSendHostname = &LogSendHostname{Enabled: "enabled", Param: l.Arg(1)}
		}
	}
	words := func(m *Global) [][]string {
		h := m.LogSendHostname
		if h == nil || h.Enabled != "enabled" {
			return nil
		}
		w := cloneWords(kw)
		if h.Param != "" {
			w = append(w, h.Param)
		}
		return [][]string{w}
	}
	return sectionField[Global]{
		name: "log_send_hostname", matchers: [][]string{kw}, read: read, words: words,
		check: func(m *Global) error {
			h := m.LogSendHostname
			if h == nil {
				return nil
			}
			if err := checkEnum("log_send_hostname.enabled", h.Enabled, "enabled", "disabled"); err != nil {
				return err
			}
			if h.Param != "" {
				return checkWord("log_send_hostname.param", h.Param)
			}
			return nil
		},
		same: sameRendered(read, words),
	}
}

// defaultPathField: `default-path <type> [<path>]`, the path only (and
// always) with type origin.
func defaultPathField() sectionField[Global] {
	kw := []string{"default-path"}
	read := func(s *Section, m *Global) {
		if l, ok := lastMatch(s, kw); ok && len(l.Words) >= 2 {
			m.DefaultPath = &DefaultPath{Type: l.Words[1], Path: l.Arg(2)}
		}
	}
	words := func(m *Global) [][]string {
		p := m.DefaultPath
		if p == nil {
			return nil
		}
		w := []string{"default-path", p.Type}
		if p.Path != "" {
			w = append(w, p.Path)
		}
		return [][]string{w}
	}
	return sectionField[Global]{
		name: "default_path", matchers: [][]string{kw}, read: read, words: words,
		check: func(m *Global) error {
			p := m.DefaultPath
			if p == nil {
				return nil
			}
			if err := checkEnum("default_path.type", p.Type, "current", "config", "parent", "origin"); err != nil {
				return err
			}
			switch {
			case p.Type == "origin" && p.Path == "":
				return invalid("default_path.path", "is required with type origin")
			case p.Type != "origin" && p.Path != "":
				return invalid("default_path.path", "is only allowed with type origin")
			case p.Path != "":
				return checkWord("default_path.path", p.Path)
			}
			return nil
		},
		same: sameRendered(read, words),
	}
}

// cpuMapsField: one `cpu-map <process> <cpu_set>` line per entry, in
// order. HAProxy takes several CPU sets on one line; cpu_set holds them
// separated by single spaces.
func cpuMapsField() sectionField[Global] {
	kw := []string{"cpu-map"}
	read := func(s *Section, m *Global) {
		for _, l := range s.Find(kw...) {
			if len(l.Words) >= 3 {
				m.CPUMaps = append(m.CPUMaps, CPUMap{Process: l.Words[1], CPUSet: strings.Join(l.Words[2:], " ")})
			}
		}
	}
	words := func(m *Global) [][]string {
		var out [][]string
		for _, c := range m.CPUMaps {
			out = append(out, append([]string{"cpu-map", c.Process}, strings.Split(c.CPUSet, " ")...))
		}
		return out
	}
	return sectionField[Global]{
		name: "cpu_maps", matchers: [][]string{kw}, read: read, words: words,
		check: func(m *Global) error {
			for i, c := range m.CPUMaps {
				field := fmt.Sprintf("cpu_maps[%d]", i)
				if err := checkWord(field+".process", c.Process); err != nil {
					return err
				}
				if c.CPUSet == "" {
					return invalid(field+".cpu_set", "must not be empty")
				}
				for _, w := range strings.Split(c.CPUSet, " ") {
					if err := checkWord(field+".cpu_set", w); err != nil {
						return err
					}
				}
			}
			return nil
		},
		same: sameRendered(read, words),
	}
}

// --- runtime_apis: `stats socket <address> <bind params...>` -----------------

var statsSocketKeyword = []string{"stats", "socket"}

// statsSocketLine is one `stats socket` line as found in the section.
type statsSocketLine struct {
	line  Line
	addr  string // address token, unquoted
	units []paramUnit
}

func statsSocketLines(s *Section) []statsSocketLine {
	var out []statsSocketLine
	for _, l := range s.Find(statsSocketKeyword...) {
		if len(l.Words) < 3 {
			continue // no address: not something the model can hold
		}
		var units []paramUnit
		if len(l.Words) > 3 {
			units = splitParams(l.Words[3:], bindArity)
		}
		out = append(out, statsSocketLine{line: l, addr: unquote(l.Words[2]), units: units})
	}
	return out
}

func readRuntimeAPIs(s *Section) []RuntimeAPI {
	var out []RuntimeAPI
	for _, sl := range statsSocketLines(s) {
		r := RuntimeAPI{Address: sl.addr}
		r.Name = readBindParams(sl.units, &r.BindParams)
		out = append(out, r)
	}
	return out
}

func checkRuntimeAPIs(apis []RuntimeAPI) error {
	for i := range apis {
		r := &apis[i]
		prefix := fmt.Sprintf("runtime_apis[%d].", i)
		if err := checkWord(prefix+"address", r.Address); err != nil {
			return err
		}
		if r.Name != "" {
			if err := checkWord(prefix+"name", r.Name); err != nil {
				return err
			}
		}
		if err := checkBindParams(&r.BindParams); err != nil {
			if ie, ok := err.(*InvalidError); ok {
				ie.Field = prefix + ie.Field
			}
			return err
		}
	}
	return nil
}

// runtimeAPIWords renders the stats socket line for r. units are the params
// of the line it replaces (nil for a new line): the ones the model does not
// own stay where they were, and a modelled param whose value does not change
// keeps its spelling.
func runtimeAPIWords(r *RuntimeAPI, addrTok string, units []paramUnit) []string {
	old := &BindParams{}
	readBindParams(units, old)
	e := newParamEdit(units, nil)
	for i := range bindParams {
		bp := &bindParams[i]
		words := bindParamWords(bp, &r.BindParams)
		if words == nil {
			continue
		}
		if equalWords(bindParamWords(bp, old), words) {
			for _, u := range units {
				if u.name == bp.keyword {
					words = u.words
				}
			}
		}
		e.set(bp.json, words...)
	}
	if r.Name != "" {
		e.set("name", "name", r.Name)
	}
	params := e.render(func(name string) string {
		if name == "name" {
			return "name"
		}
		if bp, ok := bindSlots[name]; ok {
			return bp.json
		}
		return ""
	})
	return append(append(cloneWords(statsSocketKeyword), addrTok), params...)
}

// writeRuntimeAPIs makes the stats socket lines hold want. Entries are
// matched to existing lines by address, then by position, so a line keeps
// its unknown params. When the matched lines are in list order each entry
// is written on its own line (unchanged ones untouched, new ones inserted
// next to their neighbours); otherwise the list is written over the
// existing lines in file order.
func writeRuntimeAPIs(e *lineEdit, want []RuntimeAPI) {
	have := statsSocketLines(e.s)
	match := make([]int, len(want))
	used := make([]bool, len(have))
	for i := range want {
		match[i] = -1
		for j := range have {
			if !used[j] && have[j].addr == want[i].Address {
				match[i], used[j] = j, true
				break
			}
		}
	}
	next := 0
	for i := range want {
		if match[i] >= 0 {
			continue
		}
		for next < len(have) && used[next] {
			next++
		}
		if next < len(have) {
			match[i], used[next] = next, true
		}
	}
	render := func(i int) []string {
		r := &want[i]
		if j := match[i]; j >= 0 {
			tok := have[j].line.Words[2]
			if have[j].addr != r.Address {
				tok = r.Address
			}
			return runtimeAPIWords(r, tok, have[j].units)
		}
		return runtimeAPIWords(r, r.Address, nil)
	}
	replace := func(l Line, words []string) {
		if !equalWords(l.Words, words) {
			e.replaceWords(l.Index, words)
		}
	}

	inOrder := true
	last := -1
	for _, j := range match {
		if j >= 0 {
			if j < last {
				inOrder = false
				break
			}
			last = j
		}
	}

	if len(have) == 0 {
		for i := range want {
			e.add(statsSocketKeyword, render(i))
		}
		return
	}
	if inOrder {
		anchor := have[0].line.Index - 1
		for i := range want {
			if j := match[i]; j >= 0 {
				replace(have[j].line, render(i))
				anchor = have[j].line.Index
				continue
			}
			e.insertAfter(anchor, render(i))
		}
		for j := range have {
			if !used[j] {
				e.delete(have[j].line.Index)
			}
		}
		return
	}
	for i := range want {
		if i < len(have) {
			replace(have[i].line, render(i))
			continue
		}
		e.insertAfter(have[len(have)-1].line.Index, render(i))
	}
	for j := len(want); j < len(have); j++ {
		e.delete(have[j].line.Index)
	}
}

// --- the Document API -------------------------------------------------------

// Global returns the typed view of the global section (the zero Global when
// the file has none). The model is read once per section and cached; the
// caller gets its own deep copy.
func (d *Document) Global() (Global, error) {
	s, ok := d.GlobalSection()
	if !ok {
		return Global{}, nil
	}
	return deepCopy(*globalOf(s)), nil
}

func globalOf(s *Section) *Global {
	if g, ok := s.model.Load().(*Global); ok {
		return g
	}
	g := &Global{}
	globalFields.read(s, g)
	g.RuntimeAPIs = readRuntimeAPIs(s)
	s.model.Store(g)
	return g
}

// checkGlobal validates every value of g that becomes configuration text.
func checkGlobal(g *Global) error {
	if err := globalFields.check(g); err != nil {
		return err
	}
	return checkRuntimeAPIs(g.RuntimeAPIs)
}

// ReplaceGlobal makes the global section hold g (PUT semantics): modelled
// lines change in place, absent fields lose their lines, every other line
// stays byte for byte. A file without a global section gets one at the top,
// after the head comments. It returns d itself when nothing changes.
func (d *Document) ReplaceGlobal(g Global) (*Document, error) {
	if err := checkGlobal(&g); err != nil {
		return nil, err
	}
	pos, ok := d.sectionPos(KindGlobal, "")
	if !ok {
		return d.addGlobalSection(&g)
	}
	s := d.sections[pos]
	e := newLineEdit(s, d.nl)
	globalFields.write(e, &g)
	if !reflect.DeepEqual(nilIfEmpty(readRuntimeAPIs(s)), nilIfEmpty(g.RuntimeAPIs)) {
		// Entries are matched to lines across the whole section: lines
		// in different .if/.else branches would be mixed up.
		if err := refuseConditional(s, "runtime_apis", [][]string{statsSocketKeyword}); err != nil {
			e.fail(err)
		} else {
			writeRuntimeAPIs(e, g.RuntimeAPIs)
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	if !e.changed() {
		return d, nil
	}
	return d.withSection(pos, e.build()), nil
}

func nilIfEmpty(r []RuntimeAPI) []RuntimeAPI {
	if len(r) == 0 {
		return nil
	}
	return r
}

// addGlobalSection puts a new global section holding g before the first
// section, below the lines that start the file (`# _version=N`, comments).
func (d *Document) addGlobalSection(g *Global) (*Document, error) {
	body := globalTopFields.sectionWords(g)
	for i := range g.RuntimeAPIs {
		body = append(body, runtimeAPIWords(&g.RuntimeAPIs[i], g.RuntimeAPIs[i].Address, nil))
	}
	body = append(body, globalNestedFields.sectionWords(g)...)
	if len(body) == 0 {
		return d, nil
	}
	indent := "    "
	if len(d.sections) > 0 {
		indent = d.sections[0].indent()
	} else if d.usesTabs() {
		indent = "\t"
	}
	ns := &Section{Kind: KindGlobal, header: KindGlobal + d.nl}
	for _, w := range body {
		ns.lines = append(ns.lines, indent+renderWords(w, "")+d.nl)
	}
	if len(d.sections) > 0 {
		ns.lines = append(ns.lines, d.nl)
	}
	h := &Section{lines: append([]string(nil), d.head.lines...)}
	if k := len(h.lines); k > 0 && !strings.HasSuffix(h.lines[k-1], "\n") {
		h.lines[k-1] += d.nl
	}
	n := d.shallowCopy()
	n.head = h
	n.sections = append([]*Section{ns}, d.sections...)
	var err error
	n.index, err = buildIndex(n.sections)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// AdminSocketRemoved reports whether going from old to next loses the
// stats socket dataplane talks to HAProxy through: old has an admin-level
// unix stats socket (the one AdminSocket picks) and next has no admin-level
// stats socket with the same path. Relative paths resolve against dir.
func AdminSocketRemoved(old, next *Document, dir string) bool {
	sock, ok := old.AdminSocket(dir)
	if !ok || sock.Level != "admin" {
		return false
	}
	for _, s := range next.StatsSockets(dir) {
		if s.Path == sock.Path && s.Level == "admin" {
			return false
		}
	}
	return true
}
