package config

import (
	"strconv"
	"strings"
)

// Bind is a `bind` line of a frontend. A bind without a `name` param is
// named after its address token as written (`127.0.0.1:80`, `:443`), as
// in the Data Plane API.
type Bind struct {
	Name         string `json:"name"`
	Address      string `json:"address"`
	Port         *int64 `json:"port,omitempty"`
	PortRangeEnd *int64 `json:"port-range-end,omitempty"`
	BindParams
}

// BindParams are the bind params the API models. Flags are booleans, as
// the Data Plane API has them for binds.
type BindParams struct {
	AcceptProxy       bool   `json:"accept_proxy,omitempty"`
	Allow0rtt         bool   `json:"allow_0rtt,omitempty"`
	Alpn              string `json:"alpn,omitempty"`
	Backlog           string `json:"backlog,omitempty"`
	CrtList           string `json:"crt_list,omitempty"`
	DeferAccept       bool   `json:"defer_accept,omitempty"`
	ExposeFdListeners bool   `json:"expose_fd_listeners,omitempty"`
	Group             string `json:"group,omitempty"`
	Interface         string `json:"interface,omitempty"`
	Level             string `json:"level,omitempty"`
	Maxconn           *int64 `json:"maxconn,omitempty"`
	Mode              string `json:"mode,omitempty"`
	Namespace         string `json:"namespace,omitempty"`
	SSL               bool   `json:"ssl,omitempty"`
	SSLCafile         string `json:"ssl_cafile,omitempty"`
	SSLCertificate    string `json:"ssl_certificate,omitempty"`
	SSLMaxVer         string `json:"ssl_max_ver,omitempty"`
	SSLMinVer         string `json:"ssl_min_ver,omitempty"`
	StrictSNI         bool   `json:"strict_sni,omitempty"`
	Tfo               bool   `json:"tfo,omitempty"`
	Thread            string `json:"thread,omitempty"`
	Transparent       bool   `json:"transparent,omitempty"`
	User              string `json:"user,omitempty"`
	V4v6              bool   `json:"v4v6,omitempty"`
	V6only            bool   `json:"v6only,omitempty"`
	Verify            string `json:"verify,omitempty"`
}

type bindParam struct {
	json    string
	keyword string
	second  string // for `expose-fd listeners`
	flag    func(p *BindParams) *bool
	str     func(p *BindParams) *string
	num     func(p *BindParams) **int64
	values  []string
}

var sslVersions = []string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

var bindParams = []bindParam{
	{json: "ssl", keyword: "ssl", flag: func(p *BindParams) *bool { return &p.SSL }},
	{json: "ssl_certificate", keyword: "crt", str: func(p *BindParams) *string { return &p.SSLCertificate }},
	{json: "crt_list", keyword: "crt-list", str: func(p *BindParams) *string { return &p.CrtList }},
	{json: "ssl_cafile", keyword: "ca-file", str: func(p *BindParams) *string { return &p.SSLCafile }},
	{json: "verify", keyword: "verify", values: []string{"none", "optional", "required"}, str: func(p *BindParams) *string { return &p.Verify }},
	{json: "alpn", keyword: "alpn", str: func(p *BindParams) *string { return &p.Alpn }},
	{json: "ssl_min_ver", keyword: "ssl-min-ver", values: sslVersions, str: func(p *BindParams) *string { return &p.SSLMinVer }},
	{json: "ssl_max_ver", keyword: "ssl-max-ver", values: sslVersions, str: func(p *BindParams) *string { return &p.SSLMaxVer }},
	{json: "strict_sni", keyword: "strict-sni", flag: func(p *BindParams) *bool { return &p.StrictSNI }},
	{json: "accept_proxy", keyword: "accept-proxy", flag: func(p *BindParams) *bool { return &p.AcceptProxy }},
	{json: "allow_0rtt", keyword: "allow-0rtt", flag: func(p *BindParams) *bool { return &p.Allow0rtt }},
	{json: "v4v6", keyword: "v4v6", flag: func(p *BindParams) *bool { return &p.V4v6 }},
	{json: "v6only", keyword: "v6only", flag: func(p *BindParams) *bool { return &p.V6only }},
	{json: "transparent", keyword: "transparent", flag: func(p *BindParams) *bool { return &p.Transparent }},
	{json: "defer_accept", keyword: "defer-accept", flag: func(p *BindParams) *bool { return &p.DeferAccept }},
	{json: "tfo", keyword: "tfo", flag: func(p *BindParams) *bool { return &p.Tfo }},
	{json: "expose_fd_listeners", keyword: "expose-fd", second: "listeners", flag: func(p *BindParams) *bool { return &p.ExposeFdListeners }},
	{json: "thread", keyword: "thread", str: func(p *BindParams) *string { return &p.Thread }},
	{json: "level", keyword: "level", values: []string{"user", "operator", "admin"}, str: func(p *BindParams) *string { return &p.Level }},
	{json: "maxconn", keyword: "maxconn", num: func(p *BindParams) **int64 { return &p.Maxconn }},
	{json: "backlog", keyword: "backlog", str: func(p *BindParams) *string { return &p.Backlog }},
	{json: "mode", keyword: "mode", str: func(p *BindParams) *string { return &p.Mode }},
	{json: "user", keyword: "user", str: func(p *BindParams) *string { return &p.User }},
	{json: "group", keyword: "group", str: func(p *BindParams) *string { return &p.Group }},
	{json: "interface", keyword: "interface", str: func(p *BindParams) *string { return &p.Interface }},
	{json: "namespace", keyword: "namespace", str: func(p *BindParams) *string { return &p.Namespace }},
}

var bindSlots = func() map[string]*bindParam {
	m := map[string]*bindParam{}
	for i := range bindParams {
		m[bindParams[i].keyword] = &bindParams[i]
	}
	return m
}()

func readBindParams(units []paramUnit, p *BindParams) (name string) {
	for _, u := range units {
		if u.name == "name" && len(u.words) == 2 {
			name = u.words[1]
			continue
		}
		bp, ok := bindSlots[u.name]
		if !ok {
			continue
		}
		val := ""
		if len(u.words) > 1 {
			val = unquote(u.words[1])
		}
		switch {
		case bp.flag != nil:
			if bp.second == "" || val == bp.second {
				*bp.flag(p) = true
			}
		case bp.num != nil:
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				*bp.num(p) = &n
			}
		case val != "":
			*bp.str(p) = val
		}
	}
	return name
}

func bindParamWords(bp *bindParam, p *BindParams) []string {
	switch {
	case bp.flag != nil:
		if *bp.flag(p) {
			if bp.second != "" {
				return []string{bp.keyword, bp.second}
			}
			return []string{bp.keyword}
		}
	case bp.num != nil:
		if n := *bp.num(p); n != nil {
			return []string{bp.keyword, strconv.FormatInt(*n, 10)}
		}
	default:
		if v := *bp.str(p); v != "" {
			return []string{bp.keyword, v}
		}
	}
	return nil
}

// opaqueBindParam reports whether a modelled bind param holds a value the
// model cannot represent (`maxconn ${X}`); it is kept as written.
func opaqueBindParam(u paramUnit) bool {
	bp, ok := bindSlots[u.name]
	if !ok || bp.flag != nil {
		return false
	}
	if len(u.words) < 2 {
		return true
	}
	v := unquote(u.words[1])
	switch {
	case v == "":
		return true // `crt ""`: the model has no empty value
	case bp.num != nil:
		_, err := strconv.ParseInt(v, 10, 64)
		return err != nil
	case len(bp.values) > 0:
		return checkEnum(bp.json, v, bp.values...) != nil
	}
	return false
}

func checkBindParams(p *BindParams) error {
	for i := range bindParams {
		bp := &bindParams[i]
		switch {
		case bp.num != nil:
			if n := *bp.num(p); n != nil {
				if err := checkRange(bp.json, *n, 0, 1<<31); err != nil {
					return err
				}
			}
		case bp.str != nil:
			v := *bp.str(p)
			if v == "" {
				continue
			}
			if len(bp.values) > 0 {
				if err := checkEnum(bp.json, v, bp.values...); err != nil {
					return err
				}
			} else if err := checkWord(bp.json, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseBindLine reads `bind <address> <params...>`.
func parseBindLine(l Line) (Bind, []paramUnit) {
	tok := unquote(l.Arg(1))
	b := Bind{Name: tok}
	b.Address, b.Port, b.PortRangeEnd = splitAddress(tok)
	var units []paramUnit
	if len(l.Words) > 2 {
		units = splitParams(l.Words[2:], bindArity)
	}
	if n := readBindParams(units, &b.BindParams); n != "" {
		b.Name = n
	}
	return b, units
}

// bindWords renders a bind line for b, keeping the params of the existing
// line (units) that the model does not own. A `name` param is written when
// the name is not the address token itself.
func bindWords(b *Bind, addrTok string, units []paramUnit) []string {
	e := newParamEdit(units, nil)
	e.opaque = map[int]bool{}
	var modelled []paramUnit
	for i, u := range units {
		if opaqueBindParam(u) {
			e.opaque[i] = true
			continue
		}
		modelled = append(modelled, u)
	}
	old := &BindParams{}
	readBindParams(modelled, old)
	present := map[string]bool{}
	for _, u := range modelled {
		present[u.name] = true
	}
	for i := range bindParams {
		bp := &bindParams[i]
		words := bindParamWords(bp, &b.BindParams)
		if words == nil {
			continue
		}
		if present[bp.keyword] && equalWords(bindParamWords(bp, old), words) {
			e.keepAll(bp.json)
			continue
		}
		e.set(bp.json, words...)
	}
	hadName := false
	for _, u := range units {
		hadName = hadName || u.name == "name"
	}
	if b.Name != unquote(addrTok) || hadName {
		e.set("name", "name", b.Name)
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
	return append([]string{"bind", addrTok}, params...)
}

func checkBind(b *Bind) error {
	if err := checkBindName(b.Name); err != nil {
		return err
	}
	if b.Address != "" {
		if err := checkAddressPort("address", b.Address, b.Port); err != nil {
			return err
		}
	}
	if b.Address == "" && b.Port == nil {
		return invalid("address", "an address or a port is required")
	}
	if b.Port != nil {
		if err := checkRange("port", *b.Port, 1, 65535); err != nil {
			return err
		}
	}
	if b.PortRangeEnd != nil {
		if b.Port == nil || *b.PortRangeEnd <= *b.Port || *b.PortRangeEnd > 65535 {
			return invalid("port-range-end", "must be above port and at most 65535")
		}
	}
	return checkBindParams(&b.BindParams)
}

// checkBindName accepts names and address tokens (unnamed binds are named
// after their address, which may hold '*', '[' ']' or '/').
func checkBindName(v string) error {
	if err := checkWord("name", v); err != nil {
		return err
	}
	if strings.ContainsAny(v, ";,") {
		return invalid("name", "%q must not contain ';' or ','", v)
	}
	return nil
}

// Binds are the `bind` lines of frontends, keyed by name: the `name`
// param, else the address token as written.
var Binds = Register(&Collection[Bind]{
	Name: "bind", Path: "binds", OpName: "Bind", Tag: "Bind", Schema: "bind", Keyword: "bind",
	Parents:     []string{KindFrontend},
	FullSection: "binds",
	Parse: func(l Line) (Bind, bool) {
		if len(l.Words) < 2 {
			return Bind{}, false
		}
		b, _ := parseBindLine(l)
		return b, true
	},
	Render: renderBind,
	Check:  checkBind,
	Normalize: func(b *Bind) {
		if b.Name == "" {
			b.Name = joinAddress(b.Address, b.Port, b.PortRangeEnd)
		}
	},
	Key:    func(b *Bind) string { return b.Name },
	SetKey: func(b *Bind, n string) { b.Name = n },
})

// renderBind writes b over old (nil: a new line), keeping the params the
// model does not own and the address token as written when the address
// does not change.
func renderBind(b *Bind, old *Line) []string {
	if old == nil {
		return bindWords(b, joinAddress(b.Address, b.Port, b.PortRangeEnd), nil)
	}
	cur, units := parseBindLine(*old)
	tok := old.Words[1]
	if cur.Address != b.Address || !eqInt(cur.Port, b.Port) || !eqInt(cur.PortRangeEnd, b.PortRangeEnd) {
		tok = joinAddress(b.Address, b.Port, b.PortRangeEnd)
	}
	return bindWords(b, tok, units)
}

// BindAddressToken is the address token of a bind line, which is also the
// name of a bind that has no `name` param.
func BindAddressToken(addr string, port, portEnd *int64) string {
	return joinAddress(addr, port, portEnd)
}
