package config

import (
	"regexp"
	"strconv"
	"strings"
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

	Allow0rtt           bool     `json:"allow_0rtt,omitempty"`
	Cc                  string   `json:"cc,omitempty"`
	CheckPoolConnName   string   `json:"check-pool-conn-name,omitempty"`
	CheckReusePool      string   `json:"check-reuse-pool,omitempty"`
	CheckSendProxy      string   `json:"check-send-proxy,omitempty"`
	CheckSNIAuto        string   `json:"check_sni_auto,omitempty"`
	CheckViaSocks4      string   `json:"check_via_socks4,omitempty"`
	Ciphers             string   `json:"ciphers,omitempty"`
	Ciphersuites        string   `json:"ciphersuites,omitempty"`
	ClientSigalgs       string   `json:"client_sigalgs,omitempty"`
	CrlFile             string   `json:"crl_file,omitempty"`
	Curves              string   `json:"curves,omitempty"`
	ForceSslv3          string   `json:"force_sslv3,omitempty"`
	ForceTlsv10         string   `json:"force_tlsv10,omitempty"`
	ForceTlsv11         string   `json:"force_tlsv11,omitempty"`
	ForceTlsv12         string   `json:"force_tlsv12,omitempty"`
	ForceTlsv13         string   `json:"force_tlsv13,omitempty"`
	GUID                string   `json:"guid,omitempty"`
	HashKey             string   `json:"hash_key,omitempty"`
	IdlePing            *int64   `json:"idle_ping,omitempty"`
	InitState           string   `json:"init-state,omitempty"`
	Ktls                string   `json:"ktls,omitempty"`
	LogBufsize          *int64   `json:"log-bufsize,omitempty"`
	LogProto            string   `json:"log_proto,omitempty"`
	MaxReuse            *int64   `json:"max_reuse,omitempty"`
	Namespace           string   `json:"namespace,omitempty"`
	NoSslv3             string   `json:"no_sslv3,omitempty"`
	NoTlsv10            string   `json:"no_tlsv10,omitempty"`
	NoTlsv11            string   `json:"no_tlsv11,omitempty"`
	NoTlsv12            string   `json:"no_tlsv12,omitempty"`
	NoTlsv13            string   `json:"no_tlsv13,omitempty"`
	NoVerifyhost        string   `json:"no_verifyhost,omitempty"`
	Npn                 string   `json:"npn,omitempty"`
	PoolConnName        string   `json:"pool_conn_name,omitempty"`
	PoolLowConn         *int64   `json:"pool_low_conn,omitempty"`
	PoolMaxConn         *int64   `json:"pool_max_conn,omitempty"`
	PoolPurgeDelay      *int64   `json:"pool_purge_delay,omitempty"`
	ProxyV2Options      []string `json:"proxy-v2-options,omitempty"`
	QuicCcAlgo          string   `json:"quic-cc-algo,omitempty"`
	QuicCcAlgoMaxWindow *int64   `json:"quic_cc_algo_max_window,omitempty"`
	Redir               string   `json:"redir,omitempty"`
	Renegotiate         string   `json:"renegotiate,omitempty"`
	SendProxyV2SSL      string   `json:"send_proxy_v2_ssl,omitempty"`
	SendProxyV2SSLCN    string   `json:"send_proxy_v2_ssl_cn,omitempty"`
	SetProxyV2TLVFmt    *TLVFmt  `json:"set-proxy-v2-tlv-fmt,omitempty"`
	Shard               *int64   `json:"shard,omitempty"`
	Sigalgs             string   `json:"sigalgs,omitempty"`
	SNIAuto             string   `json:"sni_auto,omitempty"`
	Socks4              string   `json:"socks4,omitempty"`
	Source              string   `json:"source,omitempty"`
	SSLMaxVer           string   `json:"ssl_max_ver,omitempty"`
	SSLMinVer           string   `json:"ssl_min_ver,omitempty"`
	SSLReuse            string   `json:"ssl_reuse,omitempty"`
	Sslv3               string   `json:"sslv3,omitempty"`
	Stick               string   `json:"stick,omitempty"`
	StrictMaxconn       bool     `json:"strict-maxconn,omitempty"`
	TCPMd5sig           string   `json:"tcp_md5sig,omitempty"`
	TCPUt               *int64   `json:"tcp_ut,omitempty"`
	Tfo                 string   `json:"tfo,omitempty"`
	TLSTickets          string   `json:"tls_tickets,omitempty"`
	Tlsv10              string   `json:"tlsv10,omitempty"`
	Tlsv11              string   `json:"tlsv11,omitempty"`
	Tlsv12              string   `json:"tlsv12,omitempty"`
	Tlsv13              string   `json:"tlsv13,omitempty"`
	Verifyhost          string   `json:"verifyhost,omitempty"`
}

// TLVFmt is `set-proxy-v2-tlv-fmt(<id>) <fmt>`: a TLV of the PROXY v2
// header the server is sent, its value a log-format expression.
type TLVFmt struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// Server is a `server` line of a backend.
type Server struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    *int64 `json:"port,omitempty"`
	ID      *int64 `json:"id,omitempty"`
	ServerParams
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// paramKind says how a modelled param is written.
type paramKind int

const (
	kindToggle   paramKind = iota // "enabled" -> on word, "disabled" -> off word
	kindInt                       // keyword N
	kindDuration                  // keyword <time>, JSON in ms
	kindWord                      // keyword <one word>
	kindEnum                      // keyword <one of values>
	kindFlag                      // a JSON boolean: true -> the keyword alone
	kindList                      // keyword <v1,v2,...>, JSON an array of values
	kindTLV                       // set-proxy-v2-tlv-fmt(<id>) <fmt>
	kindQuicCC                    // quic-cc-algo <algo>[(<burst>,<max window>)]
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
	flag    func(p *ServerParams) *bool
	list    func(p *ServerParams) *[]string
}

// Toggles without an off word (`force-tlsv12`, `check-via-socks4`): HAProxy
// has no word to turn them off, so "disabled" leaves the param out.

func toggle(json, on, off string, f func(p *ServerParams) *string) serverParam {
	return serverParam{json: json, kind: kindToggle, on: on, off: off, str: f}
}

func word(json, keyword string, f func(p *ServerParams) *string) serverParam {
	return serverParam{json: json, kind: kindWord, keyword: keyword, str: f}
}

func enum(json, keyword string, values []string, f func(p *ServerParams) *string) serverParam {
	return serverParam{json: json, kind: kindEnum, keyword: keyword, values: values, str: f}
}

func integer(json, keyword string, lo, hi int64, f func(p *ServerParams) **int64) serverParam {
	return serverParam{json: json, kind: kindInt, keyword: keyword, min: lo, max: hi, num: f}
}

func duration(json, keyword string, f func(p *ServerParams) **int64) serverParam {
	return serverParam{json: json, kind: kindDuration, keyword: keyword, max: 1 << 40, num: f}
}

const tlvFmtKeyword = "set-proxy-v2-tlv-fmt"

var (
	quicCCAlgos     = []string{"cubic", "newreno", "bbr", "nocc"}
	proxyV2Options  = []string{"authority", "cert-cn", "cert-key", "cert-sig", "crc32c", "ssl", "ssl-cipher", "unique-id"}
	serverSSLVers   = []string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
	quicWindowRange = [2]int64{10, 4194304}
)

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

	{json: "allow_0rtt", kind: kindFlag, keyword: "allow-0rtt", flag: func(p *ServerParams) *bool { return &p.Allow0rtt }},
	{json: "strict-maxconn", kind: kindFlag, keyword: "strict-maxconn", flag: func(p *ServerParams) *bool { return &p.StrictMaxconn }},
	toggle("check-reuse-pool", "check-reuse-pool", "no-check-reuse-pool", func(p *ServerParams) *string { return &p.CheckReusePool }),
	toggle("check-send-proxy", "check-send-proxy", "no-check-send-proxy", func(p *ServerParams) *string { return &p.CheckSendProxy }),
	toggle("check_sni_auto", "check-sni-auto", "no-check-sni-auto", func(p *ServerParams) *string { return &p.CheckSNIAuto }),
	toggle("check_via_socks4", "check-via-socks4", "", func(p *ServerParams) *string { return &p.CheckViaSocks4 }),
	toggle("force_sslv3", "force-sslv3", "", func(p *ServerParams) *string { return &p.ForceSslv3 }),
	toggle("force_tlsv10", "force-tlsv10", "", func(p *ServerParams) *string { return &p.ForceTlsv10 }),
	toggle("force_tlsv11", "force-tlsv11", "", func(p *ServerParams) *string { return &p.ForceTlsv11 }),
	toggle("force_tlsv12", "force-tlsv12", "", func(p *ServerParams) *string { return &p.ForceTlsv12 }),
	toggle("force_tlsv13", "force-tlsv13", "", func(p *ServerParams) *string { return &p.ForceTlsv13 }),
	toggle("no_sslv3", "no-sslv3", "", func(p *ServerParams) *string { return &p.NoSslv3 }),
	toggle("no_tlsv10", "no-tlsv10", "", func(p *ServerParams) *string { return &p.NoTlsv10 }),
	toggle("no_tlsv11", "no-tlsv11", "", func(p *ServerParams) *string { return &p.NoTlsv11 }),
	toggle("no_tlsv12", "no-tlsv12", "", func(p *ServerParams) *string { return &p.NoTlsv12 }),
	toggle("no_tlsv13", "no-tlsv13", "", func(p *ServerParams) *string { return &p.NoTlsv13 }),
	toggle("sslv3", "sslv3", "", func(p *ServerParams) *string { return &p.Sslv3 }),
	toggle("tlsv10", "tlsv10", "", func(p *ServerParams) *string { return &p.Tlsv10 }),
	toggle("tlsv11", "tlsv11", "", func(p *ServerParams) *string { return &p.Tlsv11 }),
	toggle("tlsv12", "tlsv12", "", func(p *ServerParams) *string { return &p.Tlsv12 }),
	toggle("tlsv13", "tlsv13", "", func(p *ServerParams) *string { return &p.Tlsv13 }),
	toggle("no_verifyhost", "no-verifyhost", "", func(p *ServerParams) *string { return &p.NoVerifyhost }),
	toggle("renegotiate", "renegotiate", "no-renegotiate", func(p *ServerParams) *string { return &p.Renegotiate }),
	toggle("send_proxy_v2_ssl", "send-proxy-v2-ssl", "no-send-proxy-v2-ssl", func(p *ServerParams) *string { return &p.SendProxyV2SSL }),
	toggle("send_proxy_v2_ssl_cn", "send-proxy-v2-ssl-cn", "no-send-proxy-v2-ssl-cn", func(p *ServerParams) *string { return &p.SendProxyV2SSLCN }),
	toggle("sni_auto", "sni-auto", "no-sni-auto", func(p *ServerParams) *string { return &p.SNIAuto }),
	toggle("ssl_reuse", "ssl-reuse", "no-ssl-reuse", func(p *ServerParams) *string { return &p.SSLReuse }),
	toggle("stick", "stick", "non-stick", func(p *ServerParams) *string { return &p.Stick }),
	toggle("tfo", "tfo", "no-tfo", func(p *ServerParams) *string { return &p.Tfo }),
	toggle("tls_tickets", "tls-tickets", "no-tls-tickets", func(p *ServerParams) *string { return &p.TLSTickets }),
	word("cc", "cc", func(p *ServerParams) *string { return &p.Cc }),
	word("check-pool-conn-name", "check-pool-conn-name", func(p *ServerParams) *string { return &p.CheckPoolConnName }),
	word("ciphers", "ciphers", func(p *ServerParams) *string { return &p.Ciphers }),
	word("ciphersuites", "ciphersuites", func(p *ServerParams) *string { return &p.Ciphersuites }),
	word("client_sigalgs", "client-sigalgs", func(p *ServerParams) *string { return &p.ClientSigalgs }),
	word("crl_file", "crl-file", func(p *ServerParams) *string { return &p.CrlFile }),
	word("curves", "curves", func(p *ServerParams) *string { return &p.Curves }),
	word("guid", "guid", func(p *ServerParams) *string { return &p.GUID }),
	word("hash_key", "hash-key", func(p *ServerParams) *string { return &p.HashKey }),
	word("namespace", "namespace", func(p *ServerParams) *string { return &p.Namespace }),
	word("npn", "npn", func(p *ServerParams) *string { return &p.Npn }),
	word("pool_conn_name", "pool-conn-name", func(p *ServerParams) *string { return &p.PoolConnName }),
	word("redir", "redir", func(p *ServerParams) *string { return &p.Redir }),
	word("sigalgs", "sigalgs", func(p *ServerParams) *string { return &p.Sigalgs }),
	word("socks4", "socks4", func(p *ServerParams) *string { return &p.Socks4 }),
	word("source", "source", func(p *ServerParams) *string { return &p.Source }),
	word("tcp_md5sig", "tcp-md5sig", func(p *ServerParams) *string { return &p.TCPMd5sig }),
	word("verifyhost", "verifyhost", func(p *ServerParams) *string { return &p.Verifyhost }),
	enum("init-state", "init-state", []string{"fully-up", "up", "down", "fully-down"}, func(p *ServerParams) *string { return &p.InitState }),
	enum("ktls", "ktls", []string{"on", "off"}, func(p *ServerParams) *string { return &p.Ktls }),
	enum("log_proto", "log-proto", []string{"legacy", "octet-count"}, func(p *ServerParams) *string { return &p.LogProto }),
	enum("ssl_max_ver", "ssl-max-ver", serverSSLVers, func(p *ServerParams) *string { return &p.SSLMaxVer }),
	enum("ssl_min_ver", "ssl-min-ver", serverSSLVers, func(p *ServerParams) *string { return &p.SSLMinVer }),
	integer("log-bufsize", "log-bufsize", 0, 1<<31, func(p *ServerParams) **int64 { return &p.LogBufsize }),
	integer("max_reuse", "max-reuse", -1, 1<<31, func(p *ServerParams) **int64 { return &p.MaxReuse }),
	integer("pool_low_conn", "pool-low-conn", 0, 1<<31, func(p *ServerParams) **int64 { return &p.PoolLowConn }),
	integer("pool_max_conn", "pool-max-conn", -1, 1<<31, func(p *ServerParams) **int64 { return &p.PoolMaxConn }),
	integer("shard", "shard", 0, 1<<31, func(p *ServerParams) **int64 { return &p.Shard }),
	duration("idle_ping", "idle-ping", func(p *ServerParams) **int64 { return &p.IdlePing }),
	duration("pool_purge_delay", "pool-purge-delay", func(p *ServerParams) **int64 { return &p.PoolPurgeDelay }),
	duration("tcp_ut", "tcp-ut", func(p *ServerParams) **int64 { return &p.TCPUt }),
	{json: "proxy-v2-options", kind: kindList, keyword: "proxy-v2-options", values: proxyV2Options, list: func(p *ServerParams) *[]string { return &p.ProxyV2Options }},
	{json: "set-proxy-v2-tlv-fmt", kind: kindTLV, keyword: tlvFmtKeyword},
	// quic-cc-algo carries quic_cc_algo_max_window in its value.
	{json: "quic-cc-algo", kind: kindQuicCC, keyword: "quic-cc-algo", values: quicCCAlgos, str: func(p *ServerParams) *string { return &p.QuicCcAlgo },
		num: func(p *ServerParams) **int64 { return &p.QuicCcAlgoMaxWindow }},
}

// serverSlots maps every keyword the model owns to its param slot.
var serverSlots = func() map[string]*serverParam {
	m := map[string]*serverParam{}
	for i := range serverParams {
		p := &serverParams[i]
		if p.kind == kindToggle {
			m[p.on] = p
			if p.off != "" {
				m[p.off] = p
			}
		} else {
			m[p.keyword] = p
		}
	}
	return m
}()

// serverSlotOf is the modelled param a param word belongs to:
// `set-proxy-v2-tlv-fmt(<id>)` carries its id in the keyword.
func serverSlotOf(name string) (*serverParam, bool) {
	if sp, ok := serverSlots[name]; ok {
		return sp, true
	}
	if _, ok := tlvID(name); ok {
		return serverSlots[tlvFmtKeyword], true
	}
	return nil, false
}

// tlvID is the id of a `set-proxy-v2-tlv-fmt(<id>)` word.
func tlvID(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, tlvFmtKeyword+"(")
	if !ok || !strings.HasSuffix(rest, ")") || len(rest) < 2 {
		return "", false
	}
	return rest[:len(rest)-1], true
}

// multiTLV reports whether a line sets several PROXY v2 TLVs: the model
// holds one, so such lines keep them all as written.
func multiTLV(units []paramUnit) bool {
	ids := map[string]bool{}
	for _, u := range units {
		if id, ok := tlvID(u.name); ok {
			ids[id] = true
		}
	}
	return len(ids) > 1
}

// parseQuicCC reads `<algo>[(<burst>[,<max window>])]`; ok is false when
// a number is not a plain integer or the shape is other.
func parseQuicCC(v string) (algo string, burst, window *int64, ok bool) {
	algo, args, hasArgs := strings.Cut(v, "(")
	if !hasArgs {
		return algo, nil, nil, algo != ""
	}
	if !strings.HasSuffix(args, ")") || algo == "" {
		return "", nil, nil, false
	}
	parts := strings.Split(strings.TrimSuffix(args, ")"), ",")
	if len(parts) > 2 {
		return "", nil, nil, false
	}
	nums := make([]*int64, 2)
	for i, s := range parts {
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", nil, nil, false
		}
		nums[i] = &n
	}
	if nums[0] == nil && nums[1] == nil {
		return "", nil, nil, false // `cubic()`, `cubic(,)`: kept as written
	}
	return algo, nums[0], nums[1], true
}

// formatQuicCC writes `<algo>[(<burst>[,<max window>])]`.
func formatQuicCC(algo string, burst, window *int64) string {
	if burst == nil && window == nil {
		return algo
	}
	b := ""
	if burst != nil {
		b = strconv.FormatInt(*burst, 10)
	}
	if window == nil {
		return algo + "(" + b + ")"
	}
	return algo + "(" + b + "," + strconv.FormatInt(*window, 10) + ")"
}

// readServerParams fills p from param units; the last occurrence of a
// param wins, as in HAProxy. Values the model cannot hold (a malformed
// number) leave the field empty and the words in place.
func readServerParams(units []paramUnit, p *ServerParams) {
	multi := multiTLV(units)
	for _, u := range units {
		sp, ok := serverSlotOf(u.name)
		if !ok || opaqueServerParam(u) || multi && sp.kind == kindTLV {
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
		case kindFlag:
			*sp.flag(p) = true
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
		case kindList:
			*sp.list(p) = strings.Split(unquote(val), ",")
		case kindTLV:
			id, _ := tlvID(u.name)
			p.SetProxyV2TLVFmt = &TLVFmt{ID: id, Value: unquote(val)}
		case kindQuicCC:
			algo, _, window, _ := parseQuicCC(unquote(val))
			*sp.str(p), *sp.num(p) = algo, window
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
			if sp.off != "" {
				return []string{sp.off}
			}
		}
	case kindFlag:
		if *sp.flag(p) {
			return []string{sp.keyword}
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
	case kindList:
		if l := *sp.list(p); len(l) > 0 {
			return []string{sp.keyword, strings.Join(l, ",")}
		}
	case kindTLV:
		if t := p.SetProxyV2TLVFmt; t != nil {
			return []string{tlvFmtKeyword + "(" + t.ID + ")", t.Value}
		}
	case kindQuicCC:
		if v := *sp.str(p); v != "" {
			return []string{sp.keyword, formatQuicCC(v, nil, *sp.num(p))}
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
	want := serverParamWords(sp, p)
	return want != nil && equalWords(serverParamWords(sp, &cur), want)
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
		case kindList:
			for _, v := range *sp.list(p) {
				if err := checkEnum(field, v, sp.values...); err != nil {
					return err
				}
			}
		case kindTLV:
			if t := p.SetProxyV2TLVFmt; t != nil {
				if err := checkWordNoParens(field+".id", t.ID); err != nil {
					return err
				}
				if err := checkWord(field+".value", t.Value); err != nil {
					return err
				}
			}
		case kindQuicCC:
			if v := *sp.str(p); v != "" {
				if err := checkEnum(field, v, sp.values...); err != nil {
					return err
				}
			}
			if n := *sp.num(p); n != nil {
				if *sp.str(p) == "" {
					return invalid(prefix+"quic_cc_algo_max_window", "needs quic-cc-algo")
				}
				if err := checkRange(prefix+"quic_cc_algo_max_window", *n, quicWindowRange[0], quicWindowRange[1]); err != nil {
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
	multi := multiTLV(units)
	for i, u := range units {
		if opaqueServerParam(u) || multi && serverSlotKey(u.name) == tlvFmtKeyword {
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
	if sp, ok := serverSlotOf(name); ok {
		return sp.json
	}
	return ""
}

// opaqueServerParam reports whether a modelled param holds a value the
// model cannot represent (`weight ${W}`, `inter 1x`): such a param is kept
// as written, like an unknown one, instead of being dropped.
func opaqueServerParam(u paramUnit) bool {
	sp, ok := serverSlotOf(u.name)
	if !ok || sp.kind == kindToggle || sp.kind == kindFlag {
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
	case kindList:
		for _, item := range strings.Split(unquote(v), ",") {
			if checkEnum(sp.json, item, sp.values...) != nil {
				return true
			}
		}
	case kindTLV:
		id, _ := tlvID(u.name)
		return checkWordNoParens(sp.json, id) != nil
	case kindQuicCC:
		// The server model has no burst size.
		algo, burst, _, ok := parseQuicCC(unquote(v))
		return !ok || burst != nil || checkEnum(sp.json, algo, sp.values...) != nil
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
	Parents:     []string{KindBackend, KindRing, KindPeers},
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
// `add server`: its manual marks them as usable on dynamic servers, and
// 2.6.12 takes each of them (it refuses ssl-reuse, no-check, no-ssl,
// no-check-ssl, no-agent-check and no-send-proxy-v2-ssl[-cn], and does not
// know no-verifyhost, which the manual lists). A
// server with any other param is added by a reload, and the runtime
// add-server operation refuses it.
var dynamicServerKeywords = map[string]bool{
	"agent-addr": true, "agent-check": true, "agent-inter": true, "agent-port": true,
	"agent-send": true, "allow-0rtt": true, "alpn": true, "addr": true, "backup": true,
	"ca-file": true, "check": true, "check-alpn": true, "check-proto": true, "check-send-proxy": true,
	"check-sni": true, "check-ssl": true, "check-via-socks4": true, "ciphers": true,
	"ciphersuites": true, "crl-file": true, "crt": true, "downinter": true, "error-limit": true,
	"fall": true, "fastinter": true, "force-sslv3": true, "force-tlsv10": true, "force-tlsv11": true,
	"force-tlsv12": true, "force-tlsv13": true, "id": true, "inter": true, "maxconn": true,
	"maxqueue": true, "minconn": true, "no-backup": true, "no-send-proxy": true,
	"no-send-proxy-v2": true, "no-ssl-reuse": true, "no-sslv3": true, "no-tls-tickets": true,
	"no-tlsv10": true, "no-tlsv11": true, "no-tlsv12": true, "no-tlsv13": true, "no-tfo": true,
	"npn": true, "observe": true, "on-error": true, "on-marked-down": true, "on-marked-up": true,
	"pool-low-conn": true, "pool-max-conn": true, "pool-purge-delay": true, "port": true,
	"proto": true, "proxy-v2-options": true, "rise": true, "send-proxy": true, "send-proxy-v2": true,
	"send-proxy-v2-ssl": true, "send-proxy-v2-ssl-cn": true, "slowstart": true, "sni": true,
	"source": true, "ssl": true, "ssl-max-ver": true, "ssl-min-ver": true, "tfo": true,
	"tls-tickets": true, "track": true, "verify": true, "verifyhost": true, "weight": true,
	"ws": true,
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
