package config

import (
	"regexp"
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
	Meta // metadata: the trailing comment of its line (metadata.go)
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

	AcceptNetscalerCip   *int64   `json:"accept_netscaler_cip,omitempty"`
	CaIgnoreErr          string   `json:"ca_ignore_err,omitempty"`
	CaSignFile           string   `json:"ca_sign_file,omitempty"`
	CaSignPass           string   `json:"ca_sign_pass,omitempty"`
	CaVerifyFile         string   `json:"ca_verify_file,omitempty"`
	Cc                   string   `json:"cc,omitempty"`
	Ciphers              string   `json:"ciphers,omitempty"`
	Ciphersuites         string   `json:"ciphersuites,omitempty"`
	ClientSigalgs        string   `json:"client_sigalgs,omitempty"`
	CrlFile              string   `json:"crl_file,omitempty"`
	CrtIgnoreErr         string   `json:"crt_ignore_err,omitempty"`
	Curves               string   `json:"curves,omitempty"`
	DefaultCrtList       []string `json:"default_crt_list,omitempty"`
	Ecdhe                string   `json:"ecdhe,omitempty"`
	ForceSslv3           bool     `json:"force_sslv3,omitempty"`
	ForceStrictSNI       string   `json:"force_strict_sni,omitempty"`
	ForceTlsv10          bool     `json:"force_tlsv10,omitempty"`
	ForceTlsv11          bool     `json:"force_tlsv11,omitempty"`
	ForceTlsv12          bool     `json:"force_tlsv12,omitempty"`
	ForceTlsv13          bool     `json:"force_tlsv13,omitempty"`
	GenerateCertificates bool     `json:"generate_certificates,omitempty"`
	Gid                  *int64   `json:"gid,omitempty"`
	GUIDPrefix           string   `json:"guid_prefix,omitempty"`
	ID                   string   `json:"id,omitempty"`
	IdlePing             *int64   `json:"idle_ping,omitempty"`
	Ktls                 string   `json:"ktls,omitempty"`
	Label                string   `json:"label,omitempty"`
	Mss                  string   `json:"mss,omitempty"`
	Nbconn               *int64   `json:"nbconn,omitempty"`
	Nice                 *int64   `json:"nice,omitempty"`
	NoAlpn               bool     `json:"no_alpn,omitempty"`
	NoCaNames            bool     `json:"no_ca_names,omitempty"`
	NoSslv3              bool     `json:"no_sslv3,omitempty"`
	NoStrictSNI          bool     `json:"no_strict_sni,omitempty"`
	NoTLSTickets         bool     `json:"no_tls_tickets,omitempty"`
	NoTlsv10             bool     `json:"no_tlsv10,omitempty"`
	NoTlsv11             bool     `json:"no_tlsv11,omitempty"`
	NoTlsv12             bool     `json:"no_tlsv12,omitempty"`
	NoTlsv13             bool     `json:"no_tlsv13,omitempty"`
	Npn                  string   `json:"npn,omitempty"`
	PreferClientCiphers  bool     `json:"prefer_client_ciphers,omitempty"`
	Proto                string   `json:"proto,omitempty"`
	QuicCcAlgo           string   `json:"quic-cc-algo,omitempty"`
	QuicCcAlgoBurstSize  *int64   `json:"quic_cc_algo_burst_size,omitempty"`
	QuicCcAlgoMaxWindow  *int64   `json:"quic_cc_algo_max_window,omitempty"`
	QuicForceRetry       bool     `json:"quic-force-retry,omitempty"`
	QuicSocket           string   `json:"quic-socket,omitempty"`
	SeverityOutput       string   `json:"severity_output,omitempty"`
	Shards               string   `json:"shards,omitempty"`
	Sigalgs              string   `json:"sigalgs,omitempty"`
	Sslv3                string   `json:"sslv3,omitempty"`
	TCPMd5sig            string   `json:"tcp_md5sig,omitempty"`
	TCPSs                *int64   `json:"tcp_ss,omitempty"`
	TCPUserTimeout       *int64   `json:"tcp_user_timeout,omitempty"`
	TLSTicketKeys        string   `json:"tls_ticket_keys,omitempty"`
	TLSTickets           string   `json:"tls_tickets,omitempty"`
	Tlsv10               string   `json:"tlsv10,omitempty"`
	Tlsv11               string   `json:"tlsv11,omitempty"`
	Tlsv12               string   `json:"tlsv12,omitempty"`
	Tlsv13               string   `json:"tlsv13,omitempty"`
	UID                  string   `json:"uid,omitempty"`
}

type bindParam struct {
	json    string
	keyword string
	second  string // for `expose-fd listeners`
	flag    func(p *BindParams) *bool
	str     func(p *BindParams) *string
	num     func(p *BindParams) **int64
	values  []string
	// toggles: str holds enabled/disabled; on is the keyword, off the word
	// for disabled ("": disabled leaves the param out).
	on, off  string
	dur      bool // num is a duration in ms
	min, max int64
	// list: one occurrence of the keyword per value (`default-crt a default-crt b`).
	list func(p *BindParams) *[]string
	// quic: `quic-cc-algo <algo>[(<burst>[,<max window>])]`, with
	// quic_cc_algo_burst_size and quic_cc_algo_max_window.
	quic bool
}

func bflag(json, keyword string, f func(p *BindParams) *bool) bindParam {
	return bindParam{json: json, keyword: keyword, flag: f}
}

func bword(json, keyword string, f func(p *BindParams) *string) bindParam {
	return bindParam{json: json, keyword: keyword, str: f}
}

func btoggle(json, on, off string, f func(p *BindParams) *string) bindParam {
	return bindParam{json: json, keyword: on, on: on, off: off, values: []string{"enabled", "disabled"}, str: f}
}

func bint(json, keyword string, lo, hi int64, f func(p *BindParams) **int64) bindParam {
	return bindParam{json: json, keyword: keyword, min: lo, max: hi, num: f}
}

func bdur(json, keyword string, f func(p *BindParams) **int64) bindParam {
	return bindParam{json: json, keyword: keyword, dur: true, max: 1 << 40, num: f}
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

	bflag("force_sslv3", "force-sslv3", func(p *BindParams) *bool { return &p.ForceSslv3 }),
	bflag("force_tlsv10", "force-tlsv10", func(p *BindParams) *bool { return &p.ForceTlsv10 }),
	bflag("force_tlsv11", "force-tlsv11", func(p *BindParams) *bool { return &p.ForceTlsv11 }),
	bflag("force_tlsv12", "force-tlsv12", func(p *BindParams) *bool { return &p.ForceTlsv12 }),
	bflag("force_tlsv13", "force-tlsv13", func(p *BindParams) *bool { return &p.ForceTlsv13 }),
	bflag("generate_certificates", "generate-certificates", func(p *BindParams) *bool { return &p.GenerateCertificates }),
	bflag("no_alpn", "no-alpn", func(p *BindParams) *bool { return &p.NoAlpn }),
	bflag("no_ca_names", "no-ca-names", func(p *BindParams) *bool { return &p.NoCaNames }),
	bflag("no_sslv3", "no-sslv3", func(p *BindParams) *bool { return &p.NoSslv3 }),
	bflag("no_strict_sni", "no-strict-sni", func(p *BindParams) *bool { return &p.NoStrictSNI }),
	bflag("no_tls_tickets", "no-tls-tickets", func(p *BindParams) *bool { return &p.NoTLSTickets }),
	bflag("no_tlsv10", "no-tlsv10", func(p *BindParams) *bool { return &p.NoTlsv10 }),
	bflag("no_tlsv11", "no-tlsv11", func(p *BindParams) *bool { return &p.NoTlsv11 }),
	bflag("no_tlsv12", "no-tlsv12", func(p *BindParams) *bool { return &p.NoTlsv12 }),
	bflag("no_tlsv13", "no-tlsv13", func(p *BindParams) *bool { return &p.NoTlsv13 }),
	bflag("prefer_client_ciphers", "prefer-client-ciphers", func(p *BindParams) *bool { return &p.PreferClientCiphers }),
	bflag("quic-force-retry", "quic-force-retry", func(p *BindParams) *bool { return &p.QuicForceRetry }),
	btoggle("force_strict_sni", "force-strict-sni", "no-force-strict-sni", func(p *BindParams) *string { return &p.ForceStrictSNI }),
	btoggle("sslv3", "sslv3", "", func(p *BindParams) *string { return &p.Sslv3 }),
	btoggle("tlsv10", "tlsv10", "", func(p *BindParams) *string { return &p.Tlsv10 }),
	btoggle("tlsv11", "tlsv11", "", func(p *BindParams) *string { return &p.Tlsv11 }),
	btoggle("tlsv12", "tlsv12", "", func(p *BindParams) *string { return &p.Tlsv12 }),
	btoggle("tlsv13", "tlsv13", "", func(p *BindParams) *string { return &p.Tlsv13 }),
	btoggle("tls_tickets", "tls-tickets", "", func(p *BindParams) *string { return &p.TLSTickets }),
	bword("ca_ignore_err", "ca-ignore-err", func(p *BindParams) *string { return &p.CaIgnoreErr }),
	bword("ca_sign_file", "ca-sign-file", func(p *BindParams) *string { return &p.CaSignFile }),
	bword("ca_sign_pass", "ca-sign-pass", func(p *BindParams) *string { return &p.CaSignPass }),
	bword("ca_verify_file", "ca-verify-file", func(p *BindParams) *string { return &p.CaVerifyFile }),
	bword("cc", "cc", func(p *BindParams) *string { return &p.Cc }),
	bword("ciphers", "ciphers", func(p *BindParams) *string { return &p.Ciphers }),
	bword("ciphersuites", "ciphersuites", func(p *BindParams) *string { return &p.Ciphersuites }),
	bword("client_sigalgs", "client-sigalgs", func(p *BindParams) *string { return &p.ClientSigalgs }),
	bword("crl_file", "crl-file", func(p *BindParams) *string { return &p.CrlFile }),
	bword("crt_ignore_err", "crt-ignore-err", func(p *BindParams) *string { return &p.CrtIgnoreErr }),
	bword("curves", "curves", func(p *BindParams) *string { return &p.Curves }),
	bword("ecdhe", "ecdhe", func(p *BindParams) *string { return &p.Ecdhe }),
	bword("guid_prefix", "guid-prefix", func(p *BindParams) *string { return &p.GUIDPrefix }),
	bword("id", "id", func(p *BindParams) *string { return &p.ID }),
	bword("label", "label", func(p *BindParams) *string { return &p.Label }),
	bword("mss", "mss", func(p *BindParams) *string { return &p.Mss }),
	bword("npn", "npn", func(p *BindParams) *string { return &p.Npn }),
	bword("proto", "proto", func(p *BindParams) *string { return &p.Proto }),
	bword("shards", "shards", func(p *BindParams) *string { return &p.Shards }),
	bword("sigalgs", "sigalgs", func(p *BindParams) *string { return &p.Sigalgs }),
	bword("tcp_md5sig", "tcp-md5sig", func(p *BindParams) *string { return &p.TCPMd5sig }),
	bword("tls_ticket_keys", "tls-ticket-keys", func(p *BindParams) *string { return &p.TLSTicketKeys }),
	bword("uid", "uid", func(p *BindParams) *string { return &p.UID }),
	{json: "ktls", keyword: "ktls", values: []string{"on", "off"}, str: func(p *BindParams) *string { return &p.Ktls }},
	{json: "quic-socket", keyword: "quic-socket", values: []string{"connection", "listener"}, str: func(p *BindParams) *string { return &p.QuicSocket }},
	{json: "severity_output", keyword: "severity-output", values: []string{"none", "number", "string"}, str: func(p *BindParams) *string { return &p.SeverityOutput }},
	bint("accept_netscaler_cip", "accept-netscaler-cip", 0, 1<<32-1, func(p *BindParams) **int64 { return &p.AcceptNetscalerCip }),
	bint("gid", "gid", 0, 1<<32-1, func(p *BindParams) **int64 { return &p.Gid }),
	bint("nbconn", "nbconn", 1, 1<<31, func(p *BindParams) **int64 { return &p.Nbconn }),
	bint("nice", "nice", -1024, 1024, func(p *BindParams) **int64 { return &p.Nice }),
	bint("tcp_ss", "tcp-ss", 1, 3, func(p *BindParams) **int64 { return &p.TCPSs }),
	bdur("idle_ping", "idle-ping", func(p *BindParams) **int64 { return &p.IdlePing }),
	bdur("tcp_user_timeout", "tcp-ut", func(p *BindParams) **int64 { return &p.TCPUserTimeout }),
	{json: "default_crt_list", keyword: "default-crt", list: func(p *BindParams) *[]string { return &p.DefaultCrtList }},
	{json: "quic-cc-algo", keyword: "quic-cc-algo", values: quicCCAlgos, quic: true, str: func(p *BindParams) *string { return &p.QuicCcAlgo }},
}

var bindSlots = func() map[string]*bindParam {
	m := map[string]*bindParam{}
	for i := range bindParams {
		bp := &bindParams[i]
		m[bp.keyword] = bp
		if bp.off != "" {
			m[bp.off] = bp
		}
	}
	return m
}()

func readBindParams(units []paramUnit, p *BindParams) (name string) {
	lists := map[string]bool{}
	for _, u := range units {
		if u.name == "name" && len(u.words) == 2 {
			name = u.words[1]
			continue
		}
		bp, ok := bindSlots[u.name]
		if !ok || opaqueBindParam(u) {
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
		case bp.on != "":
			if u.name == bp.on {
				*bp.str(p) = "enabled"
			} else {
				*bp.str(p) = "disabled"
			}
		case bp.num != nil && bp.dur:
			if n, ok := parseDuration(val, "ms"); ok {
				*bp.num(p) = &n
			}
		case bp.num != nil:
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				*bp.num(p) = &n
			}
		case bp.list != nil:
			// Every occurrence is an item; the first one read starts the list.
			if !lists[bp.json] {
				*bp.list(p) = nil
				lists[bp.json] = true
			}
			*bp.list(p) = append(*bp.list(p), val)
		case bp.quic:
			p.QuicCcAlgo, p.QuicCcAlgoBurstSize, p.QuicCcAlgoMaxWindow, _ = parseQuicCC(val)
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
	case bp.on != "":
		switch *bp.str(p) {
		case "enabled":
			return []string{bp.on}
		case "disabled":
			if bp.off != "" {
				return []string{bp.off}
			}
		}
	case bp.num != nil && bp.dur:
		if n := *bp.num(p); n != nil {
			return []string{bp.keyword, formatDuration(*n)}
		}
	case bp.num != nil:
		if n := *bp.num(p); n != nil {
			return []string{bp.keyword, strconv.FormatInt(*n, 10)}
		}
	case bp.list != nil:
		var out []string
		for _, v := range *bp.list(p) {
			out = append(out, bp.keyword, v)
		}
		return out
	case bp.quic:
		if p.QuicCcAlgo != "" {
			return []string{bp.keyword, formatQuicCC(p.QuicCcAlgo, p.QuicCcAlgoBurstSize, p.QuicCcAlgoMaxWindow)}
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
	if !ok || bp.flag != nil || bp.on != "" {
		return false
	}
	if len(u.words) < 2 {
		return true
	}
	v := unquote(u.words[1])
	switch {
	case v == "":
		return true // `crt ""`: the model has no empty value
	case bp.num != nil && bp.dur:
		_, ok := parseDuration(v, "ms")
		return !ok
	case bp.num != nil:
		_, err := strconv.ParseInt(v, 10, 64)
		return err != nil
	case bp.quic:
		algo, _, _, ok := parseQuicCC(v)
		return !ok || checkEnum(bp.json, algo, bp.values...) != nil
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
				lo, hi := bp.min, bp.max
				if lo == 0 && hi == 0 {
					hi = 1 << 31
				}
				if err := checkRange(bp.json, *n, lo, hi); err != nil {
					return err
				}
			}
		case bp.list != nil:
			for _, v := range *bp.list(p) {
				if err := checkWord(bp.json, v); err != nil {
					return err
				}
			}
		case bp.quic:
			if err := checkBindQuic(p); err != nil {
				return err
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
	if p.Shards != "" && !shardsPattern.MatchString(p.Shards) {
		return invalid("shards", "%q must be by-thread, by-group or a number", p.Shards)
	}
	return nil
}

var shardsPattern = regexp.MustCompile(`^(by-thread|by-group|[0-9]+)$`)

func checkBindQuic(p *BindParams) error {
	if p.QuicCcAlgo != "" {
		if err := checkEnum("quic-cc-algo", p.QuicCcAlgo, quicCCAlgos...); err != nil {
			return err
		}
	} else if p.QuicCcAlgoBurstSize != nil || p.QuicCcAlgoMaxWindow != nil {
		return invalid("quic-cc-algo", "quic_cc_algo_burst_size and quic_cc_algo_max_window need quic-cc-algo")
	}
	if n := p.QuicCcAlgoBurstSize; n != nil {
		if err := checkRange("quic_cc_algo_burst_size", *n, 0, 1024); err != nil {
			return err
		}
	}
	if n := p.QuicCcAlgoMaxWindow; n != nil {
		if err := checkRange("quic_cc_algo_max_window", *n, quicWindowRange[0], quicWindowRange[1]); err != nil {
			return err
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
		if bp, ok := bindSlots[u.name]; ok {
			present[bp.json] = true
		}
	}
	for i := range bindParams {
		bp := &bindParams[i]
		words := bindParamWords(bp, &b.BindParams)
		if words == nil {
			continue
		}
		if present[bp.json] && equalWords(bindParamWords(bp, old), words) {
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

// Binds are the `bind` lines of frontends, peers and log-forward sections, keyed by name: the `name`
// param, else the address token as written.
var Binds = Register(&Collection[Bind]{
	Name: "bind", Path: "binds", OpName: "Bind", Tag: "Bind", Schema: "bind", Keyword: "bind",
	Parents:     []string{KindFrontend, KindPeers, KindLogForward},
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
