package config

import (
	"regexp"
	"strconv"
)

// ServerParams are the server params the API models, named as the Data
// Plane API names them. They appear on `server` lines and, without name and
// address, on `default-server` lines. A nil pointer or an empty string
// means the param is not on the line.
type ServerParams struct {
	AgentCheck         string `json:"agent-check,omitempty"`
	AgentAddr          string `json:"agent-addr,omitempty"`
	AgentInter         *int64 `json:"agent-inter,omitempty"`
	AgentPort          *int64 `json:"agent-port,omitempty"`
	AgentSend          string `json:"agent-send,omitempty"`
	Alpn               string `json:"alpn,omitempty"`
	Backup             string `json:"backup,omitempty"`
	Check              string `json:"check,omitempty"`
	CheckSSL           string `json:"check-ssl,omitempty"`
	CheckAlpn          string `json:"check_alpn,omitempty"`
	CheckProto         string `json:"check_proto,omitempty"`
	CheckSNI           string `json:"check-sni,omitempty"`
	Cookie             string `json:"cookie,omitempty"`
	Downinter          *int64 `json:"downinter,omitempty"`
	ErrorLimit         *int64 `json:"error_limit,omitempty"`
	Fall               *int64 `json:"fall,omitempty"`
	Fastinter          *int64 `json:"fastinter,omitempty"`
	HealthCheckAddress string `json:"health_check_address,omitempty"`
	HealthCheckPort    *int64 `json:"health_check_port,omitempty"`
	InitAddr           string `json:"init-addr,omitempty"`
	Inter              *int64 `json:"inter,omitempty"`
	Maintenance        string `json:"maintenance,omitempty"`
	Maxconn            *int64 `json:"maxconn,omitempty"`
	Maxqueue           *int64 `json:"maxqueue,omitempty"`
	Minconn            *int64 `json:"minconn,omitempty"`
	Observe            string `json:"observe,omitempty"`
	OnError            string `json:"on-error,omitempty"`
	OnMarkedDown       string `json:"on-marked-down,omitempty"`
	OnMarkedUp         string `json:"on-marked-up,omitempty"`
	Proto              string `json:"proto,omitempty"`
	ResolveNet         string `json:"resolve-net,omitempty"`
	ResolveOpts        string `json:"resolve_opts,omitempty"`
	ResolvePrefer      string `json:"resolve-prefer,omitempty"`
	Resolvers          string `json:"resolvers,omitempty"`
	Rise               *int64 `json:"rise,omitempty"`
	SendProxy          string `json:"send-proxy,omitempty"`
	SendProxyV2        string `json:"send-proxy-v2,omitempty"`
	Slowstart          *int64 `json:"slowstart,omitempty"`
	SNI                string `json:"sni,omitempty"`
	SSL                string `json:"ssl,omitempty"`
	SSLCafile          string `json:"ssl_cafile,omitempty"`
	SSLCertificate     string `json:"ssl_certificate,omitempty"`
	Track              string `json:"track,omitempty"`
	Verify             string `json:"verify,omitempty"`
	Weight             *int64 `json:"weight,omitempty"`
	Ws                 string `json:"ws,omitempty"`
}

// Server is a `server` line of a backend.
type Server struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    *int64 `json:"port,omitempty"`
	ID      *int64 `json:"id,omitempty"`
	ServerParams
}

// paramKind says how a modelled param is written.
type paramKind int

const (
	kindToggle   paramKind = iota // "enabled" -> on word, "disabled" -> off word
	kindInt                       // keyword N
	kindDuration                  // keyword <time>, JSON in ms
	kindWord                      // keyword <one word>
	kindEnum                      // keyword <one of values>
)

// serverParam maps one JSON field to its param keyword(s).
type serverParam struct {
	json    string
	kind    paramKind
	on, off string   // toggles: the two keywords
	keyword string   // other kinds
	values  []string // enums
	min     int64
	max     int64
	str     func(p *ServerParams) *string
	num     func(p *ServerParams) **int64
}

var serverParams = []serverParam{
	{json: "check", kind: kindToggle, on: "check", off: "no-check", str: func(p *ServerParams) *string { return &p.Check }},
	{json: "backup", kind: kindToggle, on: "backup", off: "no-backup", str: func(p *ServerParams) *string { return &p.Backup }},
	// The API's maintenance is inverted: "enabled" means the `disabled` word.
	{json: "maintenance", kind: kindToggle, on: "disabled", off: "enabled", str: func(p *ServerParams) *string { return &p.Maintenance }},
	{json: "ssl", kind: kindToggle, on: "ssl", off: "no-ssl", str: func(p *ServerParams) *string { return &p.SSL }},
	{json: "check-ssl", kind: kindToggle, on: "check-ssl", off: "no-check-ssl", str: func(p *ServerParams) *string { return &p.CheckSSL }},
	{json: "send-proxy", kind: kindToggle, on: "send-proxy", off: "no-send-proxy", str: func(p *ServerParams) *string { return &p.SendProxy }},
	{json: "send-proxy-v2", kind: kindToggle, on: "send-proxy-v2", off: "no-send-proxy-v2", str: func(p *ServerParams) *string { return &p.SendProxyV2 }},
	{json: "agent-check", kind: kindToggle, on: "agent-check", off: "no-agent-check", str: func(p *ServerParams) *string { return &p.AgentCheck }},
	{json: "weight", kind: kindInt, keyword: "weight", min: 0, max: 256, num: func(p *ServerParams) **int64 { return &p.Weight }},
	{json: "maxconn", kind: kindInt, keyword: "maxconn", min: 0, max: 1 << 31, num: func(p *ServerParams) **int64 { return &p.Maxconn }},
	{json: "minconn", kind: kindInt, keyword: "minconn", min: 0, max: 1 << 31, num: func(p *ServerParams) **int64 { return &p.Minconn }},
	{json: "maxqueue", kind: kindInt, keyword: "maxqueue", min: 0, max: 1 << 31, num: func(p *ServerParams) **int64 { return &p.Maxqueue }},
	{json: "fall", kind: kindInt, keyword: "fall", min: 1, max: 1 << 31, num: func(p *ServerParams) **int64 { return &p.Fall }},
	{json: "rise", kind: kindInt, keyword: "rise", min: 1, max: 1 << 31, num: func(p *ServerParams) **int64 { return &p.Rise }},
	{json: "agent-port", kind: kindInt, keyword: "agent-port", min: 1, max: 65535, num: func(p *ServerParams) **int64 { return &p.AgentPort }},
	{json: "health_check_port", kind: kindInt, keyword: "port", min: 1, max: 65535, num: func(p *ServerParams) **int64 { return &p.HealthCheckPort }},
	{json: "error_limit", kind: kindInt, keyword: "error-limit", min: 0, max: 1 << 31, num: func(p *ServerParams) **int64 { return &p.ErrorLimit }},
	{json: "inter", kind: kindDuration, keyword: "inter", max: 1 << 40, num: func(p *ServerParams) **int64 { return &p.Inter }},
	{json: "fastinter", kind: kindDuration, keyword: "fastinter", max: 1 << 40, num: func(p *ServerParams) **int64 { return &p.Fastinter }},
	{json: "downinter", kind: kindDuration, keyword: "downinter", max: 1 << 40, num: func(p *ServerParams) **int64 { return &p.Downinter }},
	{json: "slowstart", kind: kindDuration, keyword: "slowstart", max: 1 << 40, num: func(p *ServerParams) **int64 { return &p.Slowstart }},
	{json: "agent-inter", kind: kindDuration, keyword: "agent-inter", max: 1 << 40, num: func(p *ServerParams) **int64 { return &p.AgentInter }},
	{json: "verify", kind: kindEnum, keyword: "verify", values: []string{"none", "required"}, str: func(p *ServerParams) *string { return &p.Verify }},
	{json: "observe", kind: kindEnum, keyword: "observe", values: []string{"layer4", "layer7"}, str: func(p *ServerParams) *string { return &p.Observe }},
	{json: "on-error", kind: kindEnum, keyword: "on-error", values: []string{"fastinter", "fail-check", "sudden-death", "mark-down"}, str: func(p *ServerParams) *string { return &p.OnError }},
	{json: "on-marked-down", kind: kindEnum, keyword: "on-marked-down", values: []string{"shutdown-sessions"}, str: func(p *ServerParams) *string { return &p.OnMarkedDown }},
	{json: "on-marked-up", kind: kindEnum, keyword: "on-marked-up", values: []string{"shutdown-backup-sessions"}, str: func(p *ServerParams) *string { return &p.OnMarkedUp }},
	{json: "resolve-prefer", kind: kindEnum, keyword: "resolve-prefer", values: []string{"ipv4", "ipv6"}, str: func(p *ServerParams) *string { return &p.ResolvePrefer }},
	{json: "ws", kind: kindEnum, keyword: "ws", values: []string{"auto", "h1", "h2"}, str: func(p *ServerParams) *string { return &p.Ws }},
	{json: "sni", kind: kindWord, keyword: "sni", str: func(p *ServerParams) *string { return &p.SNI }},
	{json: "ssl_certificate", kind: kindWord, keyword: "crt", str: func(p *ServerParams) *string { return &p.SSLCertificate }},
	{json: "ssl_cafile", kind: kindWord, keyword: "ca-file", str: func(p *ServerParams) *string { return &p.SSLCafile }},
	{json: "check-sni", kind: kindWord, keyword: "check-sni", str: func(p *ServerParams) *string { return &p.CheckSNI }},
	{json: "check_alpn", kind: kindWord, keyword: "check-alpn", str: func(p *ServerParams) *string { return &p.CheckAlpn }},
	{json: "check_proto", kind: kindWord, keyword: "check-proto", str: func(p *ServerParams) *string { return &p.CheckProto }},
	{json: "agent-addr", kind: kindWord, keyword: "agent-addr", str: func(p *ServerParams) *string { return &p.AgentAddr }},
	{json: "agent-send", kind: kindWord, keyword: "agent-send", str: func(p *ServerParams) *string { return &p.AgentSend }},
	{json: "init-addr", kind: kindWord, keyword: "init-addr", str: func(p *ServerParams) *string { return &p.InitAddr }},
	{json: "resolvers", kind: kindWord, keyword: "resolvers", str: func(p *ServerParams) *string { return &p.Resolvers }},
	{json: "resolve-net", kind: kindWord, keyword: "resolve-net", str: func(p *ServerParams) *string { return &p.ResolveNet }},
	{json: "resolve_opts", kind: kindWord, keyword: "resolve-opts", str: func(p *ServerParams) *string { return &p.ResolveOpts }},
	{json: "cookie", kind: kindWord, keyword: "cookie", str: func(p *ServerParams) *string { return &p.Cookie }},
	{json: "track", kind: kindWord, keyword: "track", str: func(p *ServerParams) *string { return &p.Track }},
	{json: "health_check_address", kind: kindWord, keyword: "addr", str: func(p *ServerParams) *string { return &p.HealthCheckAddress }},
	{json: "proto", kind: kindWord, keyword: "proto", str: func(p *ServerParams) *string { return &p.Proto }},
	{json: "alpn", kind: kindWord, keyword: "alpn", str: func(p *ServerParams) *string { return &p.Alpn }},
}

// serverSlots maps every keyword the model owns to its param slot.
var serverSlots = func() map[string]*serverParam {
	m := map[string]*serverParam{}
	for i := range serverParams {
		p := &serverParams[i]
		if p.kind == kindToggle {
			m[p.on], m[p.off] = p, p
		} else {
			m[p.keyword] = p
		}
	}
	return m
}()

// readServerParams fills p from param units; the last occurrence of a
// param wins, as in HAProxy. Values the model cannot hold (a malformed
// number) leave the field empty and the words in place.
func readServerParams(units []paramUnit, p *ServerParams) {
	for _, u := range units {
		sp, ok := serverSlots[u.name]
		if !ok {
			continue
		}
		val := ""
		if len(u.words) > 1 {
			val = u.words[1]
		}
		switch sp.kind {
		case kindToggle:
			if u.name == sp.on {
				*sp.str(p) = "enabled"
			} else {
				*sp.str(p) = "disabled"
			}
		case kindInt:
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				*sp.num(p) = &n
			}
		case kindDuration:
			if n, ok := parseDuration(val, "ms"); ok {
				*sp.num(p) = &n
			}
		case kindWord, kindEnum:
			if val != "" {
				*sp.str(p) = unquote(val)
			}
		}
	}
}

// serverParamWords returns the words one param is written as, or nil when
// the model leaves it out.
func serverParamWords(sp *serverParam, p *ServerParams) []string {
	switch sp.kind {
	case kindToggle:
		switch *sp.str(p) {
		case "enabled":
			return []string{sp.on}
		case "disabled":
			return []string{sp.off}
		}
	case kindInt:
		if n := *sp.num(p); n != nil {
			return []string{sp.keyword, strconv.FormatInt(*n, 10)}
		}
	case kindDuration:
		if n := *sp.num(p); n != nil {
			return []string{sp.keyword, formatDuration(*n)}
		}
	case kindWord, kindEnum:
		if v := *sp.str(p); v != "" {
			return []string{sp.keyword, v}
		}
	}
	return nil
}

// sameParam reports whether a param already written as words has the
// value the model asks for, so equal values keep their original spelling
// (`inter 2000` stays as written when the model says 2000 ms).
func sameParam(sp *serverParam, words []string, p *ServerParams) bool {
	var cur ServerParams
	readServerParams([]paramUnit{{name: words[0], words: words}}, &cur)
	switch sp.kind {
	case kindInt, kindDuration:
		a, b := *sp.num(&cur), *sp.num(p)
		return a != nil && b != nil && *a == *b
	default:
		return *sp.str(&cur) == *sp.str(p) && *sp.str(p) != ""
	}
}

// trackPattern is `track`'s [<backend>/]<server>.
var trackPattern = regexp.MustCompile(`^([A-Za-z0-9_.:-]+/)?[A-Za-z0-9_.:-]+$`)

// checkServerParams validates every modelled param value.
func checkServerParams(prefix string, p *ServerParams) error {
	if p.Track != "" && !trackPattern.MatchString(p.Track) {
		return invalid(prefix+"track", "%q must be [<backend>/]<server>", p.Track)
	}
	for i := range serverParams {
		sp := &serverParams[i]
		field := prefix + sp.json
		switch sp.kind {
		case kindToggle:
			if v := *sp.str(p); v != "" {
				if err := checkEnum(field, v, "enabled", "disabled"); err != nil {
					return err
				}
			}
		case kindEnum:
			if v := *sp.str(p); v != "" {
				if err := checkEnum(field, v, sp.values...); err != nil {
					return err
				}
			}
		case kindWord:
			if v := *sp.str(p); v != "" {
				if err := checkWord(field, v); err != nil {
					return err
				}
			}
		case kindInt, kindDuration:
			if n := *sp.num(p); n != nil {
				if err := checkRange(field, *n, sp.min, sp.max); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// editServerParams rewrites the params of a server or default-server line
// to hold p: modelled params change in place, the others stay untouched.
func editServerParams(units []paramUnit, p *ServerParams, extra func(e *paramEdit)) []string {
	// Params holding values the model cannot represent are left alone.
	var modelled []paramUnit
	opaque := map[int]bool{}
	for i, u := range units {
		if opaqueServerParam(u) {
			opaque[i] = true
			continue
		}
		modelled = append(modelled, u)
	}
	e := newParamEdit(units, nil)
	e.opaque = opaque
	byName := map[string]paramUnit{}
	for _, u := range modelled {
		byName[serverSlotKey(u.name)] = u
	}
	for i := range serverParams {
		sp := &serverParams[i]
		slot := sp.json
		words := serverParamWords(sp, p)
		if words == nil {
			continue
		}
		if old, ok := byName[slot]; ok && sameParam(sp, old.words, p) {
			e.keepAll(slot)
			continue
		}
		e.set(slot, words...)
	}
	if extra != nil {
		extra(e)
	}
	return e.render(func(name string) string {
		if name == "id" {
			return "id"
		}
		return serverSlotKey(name)
	})
}

func serverSlotKey(name string) string {
	if sp, ok := serverSlots[name]; ok {
		return sp.json
	}
	return ""
}

// opaqueServerParam reports whether a modelled param holds a value the
// model cannot represent (`weight ${W}`, `inter 1x`): such a param is kept
// as written, like an unknown one, instead of being dropped.
func opaqueServerParam(u paramUnit) bool {
	sp, ok := serverSlots[u.name]
	if !ok || sp.kind == kindToggle {
		return false
	}
	if len(u.words) < 2 {
		return true
	}
	v := u.words[1]
	if unquote(v) == "" {
		return true // `sni ""`: the model has no empty value
	}
	switch sp.kind {
	case kindInt:
		_, err := strconv.ParseInt(v, 10, 64)
		return err != nil
	case kindDuration:
		_, ok := parseDuration(v, "ms")
		return !ok
	case kindEnum:
		return checkEnum(sp.json, v, sp.values...) != nil
	}
	return false
}

// parseServerLine reads a `server <name> <address> <params...>` line.
func parseServerLine(l Line) (Server, []paramUnit) {
	s := Server{Name: l.Arg(1)}
	s.Address, s.Port, _ = splitAddress(unquote(l.Arg(2)))
	var units []paramUnit
	if len(l.Words) > 3 {
		units = splitParams(l.Words[3:], serverArity)
	}
	readServerParams(units, &s.ServerParams)
	for _, u := range units {
		if u.name == "id" && len(u.words) == 2 {
			if n, err := strconv.ParseInt(u.words[1], 10, 64); err == nil {
				s.ID = &n
			}
		}
	}
	return s, units
}

// serverWords renders a whole server line for s, keeping the params of the
// existing line (units) that the model does not own.
func serverWords(s *Server, units []paramUnit) []string {
	params := editServerParams(units, &s.ServerParams, func(e *paramEdit) {
		if s.ID != nil {
			e.set("id", "id", strconv.FormatInt(*s.ID, 10))
		}
	})
	return append([]string{"server", s.Name, joinAddress(s.Address, s.Port, nil)}, params...)
}

// checkServer validates a server before it is written.
func checkServer(s *Server) error {
	if err := CheckName("name", s.Name); err != nil {
		return err
	}
	if err := checkAddressPort("address", s.Address, s.Port); err != nil {
		return err
	}
	if s.Port != nil {
		if err := checkRange("port", *s.Port, 1, 65535); err != nil {
			return err
		}
	}
	if s.ID != nil {
		if err := checkRange("id", *s.ID, 1, 1<<31); err != nil {
			return err
		}
	}
	return checkServerParams("", &s.ServerParams)
}

// Servers are the `server` lines of backends, keyed by name.
var Servers = Register(&Collection[Server]{
	Name: "server", Path: "servers", OpName: "Server", Tag: "Server", Schema: "server", Keyword: "server",
	Parents:     []string{KindBackend},
	FullSection: "servers",
	Parse: func(l Line) (Server, bool) {
		if len(l.Words) < 3 {
			return Server{}, false
		}
		srv, _ := parseServerLine(l)
		return srv, true
	},
	Render: renderServer,
	Check:  checkServer,
	Key:    func(s *Server) string { return s.Name },
	SetKey: func(s *Server, n string) { s.Name = n },
})

// renderServer writes srv over old (nil: a new line), keeping the params
// the model does not own and the address token as written when it means
// the same address.
func renderServer(srv *Server, old *Line) []string {
	if old == nil {
		return serverWords(srv, nil)
	}
	cur, units := parseServerLine(*old)
	words := serverWords(srv, units)
	if cur.Address == srv.Address && eqInt(cur.Port, srv.Port) {
		words[2] = old.Words[2]
	}
	return words
}

// duplicatedLines refuses to change an object defined on several lines:
// the API shows the first one, and changing or deleting only it (or all
// of them) would not be what the caller saw.
func duplicatedLines(what, name string, s *Section, lines []Line) error {
	return invalid("name", "%s %q is defined on %d lines of %s (in .if/.else branches, or repeated by mistake); "+
		"the API cannot tell which one to change: edit them with the raw configuration endpoint", what, name, len(lines), s)
}

func eqInt(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// dynamicServerKeywords are the server keywords HAProxy 2.6 accepts on
// `add server` (its manual marks them as usable on dynamic servers). A
// server with any other param is added by a reload, and the runtime
// add-server operation refuses it.
var dynamicServerKeywords = map[string]bool{
	"agent-addr": true, "agent-check": true, "agent-inter": true, "agent-port": true, "agent-send": true,
	"allow-0rtt": true, "alpn": true, "addr": true, "backup": true, "ca-file": true, "check": true,
	"check-alpn": true, "check-proto": true, "check-send-proxy": true, "check-sni": true, "check-ssl": true,
	"check-via-socks4": true, "ciphers": true, "ciphersuites": true, "crl-file": true, "crt": true,
	"downinter": true, "error-limit": true, "fall": true, "fastinter": true, "force-sslv3": true,
	"force-tlsv10": true, "force-tlsv11": true, "force-tlsv12": true, "force-tlsv13": true, "id": true,
	"inter": true, "maxconn": true, "maxqueue": true, "minconn": true, "no-agent-check": true,
	"no-backup": true, "no-check": true, "no-check-ssl": true, "no-send-proxy": true, "no-send-proxy-v2": true,
	"no-send-proxy-v2-ssl": true, "no-send-proxy-v2-ssl-cn": true, "no-ssl": true, "no-ssl-reuse": true,
	"no-sslv3": true, "no-tls-tickets": true, "no-tlsv10": true, "no-tlsv11": true, "no-tlsv12": true,
	"no-tlsv13": true, "no-verifyhost": true, "no-tfo": true, "npn": true, "observe": true, "on-error": true,
	"on-marked-down": true, "on-marked-up": true, "pool-low-conn": true, "pool-max-conn": true,
	"pool-purge-delay": true, "port": true, "proto": true, "proxy-v2-options": true, "rise": true,
	"send-proxy": true, "send-proxy-v2": true, "send-proxy-v2-ssl": true, "send-proxy-v2-ssl-cn": true,
	"slowstart": true, "sni": true, "source": true, "ssl": true, "ssl-max-ver": true, "ssl-min-ver": true,
	"ssl-reuse": true, "tfo": true, "tls-tickets": true, "track": true, "verify": true, "verifyhost": true,
	"weight": true, "ws": true,
}

// DynamicServerParam reports whether HAProxy 2.6 accepts the server
// keyword on `add server`.
func DynamicServerParam(keyword string) bool { return dynamicServerKeywords[keyword] }

// RuntimeAddParams checks s for `add server` and returns its params as the
// command takes them, from the same param table configuration writes use.
// A field HAProxy 2.6 cannot set on a server added at run time is refused,
// naming it. `maintenance` is not a param there (the caller keeps the
// server in maintenance or sets it ready), and a disabled toggle is the
// default of a new server, so neither is written.
func RuntimeAddParams(s *Server) ([]string, error) {
	if err := checkServer(s); err != nil {
		return nil, err
	}
	var out []string
	for i := range serverParams {
		sp := &serverParams[i]
		if sp.json == "maintenance" || sp.kind == kindToggle && *sp.str(&s.ServerParams) == "disabled" {
			continue
		}
		words := serverParamWords(sp, &s.ServerParams)
		if words == nil {
			continue
		}
		if !DynamicServerParam(words[0]) {
			return nil, invalid(sp.json, "HAProxy cannot set `%s` on a server added at run time", words[0])
		}
		out = append(out, words...)
	}
	if s.ID != nil {
		out = append(out, "id", strconv.FormatInt(*s.ID, 10))
	}
	return out, nil
}
