package config

import (
	"reflect"
	"strconv"
	"strings"
)

// The rest of the v3 fields of frontend, backend and defaults. Most are
// absent from most sections, so each group is a pointer embedded in the
// model (its JSON fields stay flat): a section that has none of them costs
// one nil pointer, and the model of a 10,000-backend list stays as small
// as it was. The group is allocated when the first of its fields is read.

// CommonMore are the rarer fields of every proxy section.
type CommonMore struct {
	Abortonclose             string        `json:"abortonclose,omitempty"`
	HTTPBufferRequest        string        `json:"http-buffer-request,omitempty"`
	Compression              *Compression  `json:"compression,omitempty"`
	EmailAlert               *EmailAlert   `json:"email_alert,omitempty"`
	ErrorFiles               []Errorfile   `json:"error_files,omitempty"`
	ErrorfilesFromHTTPErrors []Errorfiles  `json:"errorfiles_from_http_errors,omitempty"`
	Errorloc302              *Errorloc     `json:"errorloc302,omitempty"`
	Errorloc303              *Errorloc     `json:"errorloc303,omitempty"`
	Forwarded                *Forwarded    `json:"forwarded,omitempty"`
	HTTPRestrictReqHdrNames  string        `json:"http_restrict_req_hdr_names,omitempty"`
	IndependentStreams       string        `json:"independent_streams,omitempty"`
	Nolinger                 string        `json:"nolinger,omitempty"`
	Originalto               *Originalto   `json:"originalto,omitempty"`
	SpliceAuto               string        `json:"splice_auto,omitempty"`
	SpliceRequest            string        `json:"splice_request,omitempty"`
	SpliceResponse           string        `json:"splice_response,omitempty"`
	StatsOptions             *StatsOptions `json:"stats_options,omitempty"`
}

// FrontendMore are the rarer client-side fields (frontend, defaults).
type FrontendMore struct {
	AcceptInvalidHTTPRequest            string   `json:"accept_invalid_http_request,omitempty"`
	AcceptUnsafeViolationsInHTTPRequest string   `json:"accept_unsafe_violations_in_http_request,omitempty"`
	Contstats                           string   `json:"contstats,omitempty"`
	DisableH2Upgrade                    string   `json:"disable_h2_upgrade,omitempty"`
	DontlogNormal                       string   `json:"dontlog_normal,omitempty"`
	H1CaseAdjustBogusClient             string   `json:"h1_case_adjust_bogus_client,omitempty"`
	HTTPDropResponseTrailers            string   `json:"http-drop-response-trailers,omitempty"`
	HTTPIgnoreProbes                    string   `json:"http_ignore_probes,omitempty"`
	HTTPNoDelay                         string   `json:"http_no_delay,omitempty"`
	HTTPUseProxyHeader                  string   `json:"http_use_proxy_header,omitempty"`
	Httpslog                            string   `json:"httpslog,omitempty"`
	LogSeparateErrors                   string   `json:"log_separate_errors,omitempty"`
	LogSteps                            []string `json:"log_steps,omitempty"`
	SocketStats                         string   `json:"socket_stats,omitempty"`
	TCPSmartAccept                      string   `json:"tcp_smart_accept,omitempty"`
}

// BackendMore are the rarer server-side fields (backend, defaults).
type BackendMore struct {
	AcceptInvalidHTTPResponse            string            `json:"accept_invalid_http_response,omitempty"`
	AcceptUnsafeViolationsInHTTPResponse string            `json:"accept_unsafe_violations_in_http_response,omitempty"`
	Checkcache                           string            `json:"checkcache,omitempty"`
	DynamicCookieKey                     string            `json:"dynamic_cookie_key,omitempty"`
	ExternalCheckCommand                 string            `json:"external_check_command,omitempty"`
	ExternalCheckPath                    string            `json:"external_check_path,omitempty"`
	H1CaseAdjustBogusServer              string            `json:"h1_case_adjust_bogus_server,omitempty"`
	HashBalanceFactor                    *int64            `json:"hash_balance_factor,omitempty"`
	HashPreserveAffinity                 string            `json:"hash_preserve_affinity,omitempty"`
	HTTPDropRequestTrailers              string            `json:"http-drop-request-trailers,omitempty"`
	HTTPSendNameHeader                   string            `json:"http_send_name_header,omitempty"`
	MaxKeepAliveQueue                    *int64            `json:"max_keep_alive_queue,omitempty"`
	MysqlCheckParams                     *MysqlCheckParams `json:"mysql_check_params,omitempty"`
	PgsqlCheckParams                     *PgsqlCheckParams `json:"pgsql_check_params,omitempty"`
	SmtpchkParams                        *SmtpchkParams    `json:"smtpchk_params,omitempty"`
	PersistRule                          *PersistRule      `json:"persist_rule,omitempty"`
	RetryOn                              string            `json:"retry_on,omitempty"`
	Source                               *Source           `json:"source,omitempty"`
	SrvtcpkaCnt                          *int64            `json:"srvtcpka_cnt,omitempty"`
	SrvtcpkaIdle                         *int64            `json:"srvtcpka_idle,omitempty"`
	SrvtcpkaIntvl                        *int64            `json:"srvtcpka_intvl,omitempty"`
	TCPSmartConnect                      string            `json:"tcp_smart_connect,omitempty"`
	Transparent                          string            `json:"transparent,omitempty"`
	UseSmallBuffers                      *UseSmallBuffers  `json:"use_small_buffers,omitempty"`
}

// FrontendOnly are the fields of a frontend that defaults do not have.
type FrontendOnly struct {
	GUID        string            `json:"guid,omitempty"`
	MonitorFail *CondRule         `json:"monitor_fail,omitempty"`
	StickTable  *ConfigStickTable `json:"stick_table,omitempty"`
}

// BackendOnly are the fields of a backend that defaults do not have.
type BackendOnly struct {
	ForcePersist      *CondRule         `json:"force_persist,omitempty"`
	ForcePersistList  []CondRule        `json:"force_persist_list,omitempty"`
	GUID              string            `json:"guid,omitempty"`
	HTTPNoDelay       string            `json:"http-no-delay,omitempty"`
	IgnorePersist     *CondRule         `json:"ignore_persist,omitempty"`
	IgnorePersistList []CondRule        `json:"ignore_persist_list,omitempty"`
	SpopCheck         string            `json:"spop_check,omitempty"`
	StickTable        *ConfigStickTable `json:"stick_table,omitempty"`
	UseFcgiApp        string            `json:"use_fcgi_app,omitempty"`
}

// CondRule is `<keyword> if|unless <condition>` (monitor fail,
// force-persist, ignore-persist).
type CondRule struct {
	Cond     string `json:"cond"`
	CondTest string `json:"cond_test"`
}

// Compression is every `compression` line.
type Compression struct {
	AlgoReq    string   `json:"algo-req,omitempty"`
	Algorithms []string `json:"algorithms,omitempty"`
	AlgosRes   []string `json:"algos-res,omitempty"`
	Direction  string   `json:"direction,omitempty"`
	MinsizeReq *int64   `json:"minsize_req,omitempty"`
	MinsizeRes *int64   `json:"minsize_res,omitempty"`
	Offload    bool     `json:"offload,omitempty"`
	Types      []string `json:"types,omitempty"`
	TypesReq   []string `json:"types-req,omitempty"`
	TypesRes   []string `json:"types-res,omitempty"`
}

// EmailAlert is every `email-alert` line.
type EmailAlert struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Mailers    string `json:"mailers"`
	Level      string `json:"level,omitempty"`
	Myhostname string `json:"myhostname,omitempty"`
}

// Errorfile is `errorfile <code> <file>`.
type Errorfile struct {
	Code int64  `json:"code,omitempty"`
	File string `json:"file,omitempty"`
}

// Errorfiles is `errorfiles <http-errors section> [<code>...]`.
type Errorfiles struct {
	Name  string  `json:"name,omitempty"`
	Codes []int64 `json:"codes,omitempty"`
}

// Errorloc is `errorloc302|errorloc303 <code> <url>`.
type Errorloc struct {
	Code int64  `json:"code"`
	URL  string `json:"url"`
}

// Forwarded is `option forwarded [proto] [host|host-expr <e>] [by|by-expr
// <e>] [by_port|by_port-expr <e>] [for|for-expr <e>] [for_port|for_port-expr
// <e>]` (HAProxy 2.9 and later).
type Forwarded struct {
	Enabled     string `json:"enabled"`
	Proto       bool   `json:"proto,omitempty"`
	Host        bool   `json:"host,omitempty"`
	HostExpr    string `json:"host_expr,omitempty"`
	By          bool   `json:"by,omitempty"`
	ByExpr      string `json:"by_expr,omitempty"`
	ByPort      bool   `json:"by_port,omitempty"`
	ByPortExpr  string `json:"by_port_expr,omitempty"`
	For         bool   `json:"for,omitempty"`
	ForExpr     string `json:"for_expr,omitempty"`
	ForPort     bool   `json:"for_port,omitempty"`
	ForPortExpr string `json:"for_port_expr,omitempty"`
}

// Originalto is `option originalto [except <net>] [header <name>]`.
type Originalto struct {
	Enabled string `json:"enabled"`
	Except  string `json:"except,omitempty"`
	Header  string `json:"header,omitempty"`
}

// PersistRule is `persist rdp-cookie[(<name>)]`.
type PersistRule struct {
	Type          string `json:"type"`
	RdpCookieName string `json:"rdp_cookie_name,omitempty"`
}

// Source is `source <addr>[:<port>] [usesrc {<addr2>[:<port2>]|client|
// clientip|hdr_ip(<hdr>[,<occ>])}] [interface <name>]`.
type Source struct {
	Address       string `json:"address"`
	Port          *int64 `json:"port,omitempty"`
	Usesrc        string `json:"usesrc,omitempty"`
	AddressSecond string `json:"address_second,omitempty"`
	PortSecond    *int64 `json:"port_second,omitempty"`
	Hdr           string `json:"hdr,omitempty"`
	Occ           string `json:"occ,omitempty"`
	Interface     string `json:"interface,omitempty"`
}

// UseSmallBuffers is `use-small-buffers [queue] [l7-retries] [check]`
// (not in HAProxy 2.6).
type UseSmallBuffers struct {
	Enabled   string `json:"enabled"`
	Queue     bool   `json:"queue,omitempty"`
	L7Retries bool   `json:"l7_retries,omitempty"`
	Check     bool   `json:"check,omitempty"`
}

// ConfigStickTable is the `stick-table` line of a proxy.
type ConfigStickTable struct {
	Type     string `json:"type"`
	Keylen   *int64 `json:"keylen,omitempty"`
	Size     *int64 `json:"size,omitempty"`
	Expire   *int64 `json:"expire,omitempty"`
	Nopurge  bool   `json:"nopurge,omitempty"`
	Peers    string `json:"peers,omitempty"`
	Srvkey   string `json:"srvkey,omitempty"`
	WriteTo  string `json:"write_to,omitempty"`
	RecvOnly bool   `json:"recv_only,omitempty"`
	Store    string `json:"store,omitempty"`
}

// StatsOptions is every `stats` line of a proxy.
type StatsOptions struct {
	StatsAdmin         bool               `json:"stats_admin,omitempty"`
	StatsAdminCond     string             `json:"stats_admin_cond,omitempty"`
	StatsAdminCondTest string             `json:"stats_admin_cond_test,omitempty"`
	StatsAuths         []StatsAuth        `json:"stats_auths,omitempty"`
	StatsEnable        bool               `json:"stats_enable,omitempty"`
	StatsHideVersion   bool               `json:"stats_hide_version,omitempty"`
	StatsHTTPRequests  []StatsHTTPRequest `json:"stats_http_requests,omitempty"`
	StatsMaxconn       *int64             `json:"stats_maxconn,omitempty"`
	StatsRealm         bool               `json:"stats_realm,omitempty"`
	StatsRealmRealm    *string            `json:"stats_realm_realm,omitempty"`
	StatsRefreshDelay  *int64             `json:"stats_refresh_delay,omitempty"`
	StatsShowDesc      *string            `json:"stats_show_desc,omitempty"`
	StatsShowLegends   bool               `json:"stats_show_legends,omitempty"`
	StatsShowModules   bool               `json:"stats_show_modules,omitempty"`
	StatsShowNodeName  *string            `json:"stats_show_node_name,omitempty"`
	StatsShowVersion   bool               `json:"stats_show_version,omitempty"`
	StatsURIPrefix     string             `json:"stats_uri_prefix,omitempty"`
}

// StatsAuth is `stats auth <user>:<passwd>`.
type StatsAuth struct {
	User   string `json:"user"`
	Passwd string `json:"passwd"`
}

// StatsHTTPRequest is `stats http-request allow|deny|auth [realm <r>]
// [if|unless <cond>]`.
type StatsHTTPRequest struct {
	Type     string `json:"type"`
	Realm    string `json:"realm,omitempty"`
	Cond     string `json:"cond,omitempty"`
	CondTest string `json:"cond_test,omitempty"`
}

// liftMore turns the fields of a group held by pointer into fields of the
// model that embeds it: read allocates the group (only once a line of the
// field may be there), everything else sees a missing group as empty.
//
// A value read from the file that the field's own check refuses (a quoted
// word, a port 0 where the v3 contract wants 1..65535) is not read: the
// model could not be sent back unchanged. Its lines stay as they are, and
// a change of the field is refused (edit them through the raw
// configuration).
func liftMore[Outer, Inner any](fs fieldSet[Inner], ptr func(*Outer) **Inner) fieldSet[Outer] {
	// absent stands for a nil *Inner: the functions peek serves only
	// read the model (reads go through ptr), so one zero value does for
	// every call, where a new one per field and call was most of what a
	// write allocated.
	absent := new(Inner)
	peek := func(m *Outer) *Inner {
		if p := *ptr(m); p != nil {
			return p
		}
		return absent
	}
	out := lift(fs, peek)
	for i, f := range fs {
		f := f
		readable := func(s *Section) (Inner, bool) {
			var v Inner
			f.read(s, &v)
			return v, f.check == nil || f.check(&v) == nil
		}
		out[i].read = func(s *Section, m *Outer) {
			v, ok := readable(s)
			if !ok {
				return
			}
			p := ptr(m)
			if *p == nil {
				var zero Inner
				if reflect.DeepEqual(v, zero) {
					return
				}
				*p = &v
				return
			}
			f.read(s, *p)
		}
		out[i].same = func(s *Section, m *Outer) bool {
			if _, ok := readable(s); !ok {
				// Unread: the model cannot hold it, so the field is
				// the same when the model leaves it out.
				var zero Inner
				return f.same(&Section{}, &zero) == f.same(&Section{}, peek(m))
			}
			return f.same(s, peek(m))
		}
		prev := out[i].refuse
		out[i].refuse = func(s *Section, m *Outer) error {
			if _, ok := readable(s); !ok {
				if l, found := lastMatch(s, f.matchers...); found {
					return unmodelledLine(f.name, l)
				}
			}
			if prev != nil {
				return prev(s, m)
			}
			return nil
		}
	}
	return out
}

var onOff = []string{"enabled", "disabled"}

// optionOnField: `option X` -> "enabled" (the v3 enum has no "disabled":
// a `no option X` line is left to the raw configuration).
func optionOnField[T any](json, option string, get func(*T) *string) sectionField[T] {
	kw := []string{"option", option}
	read := func(s *Section, m *T) {
		if _, ok := lastMatch(s, kw); ok {
			*get(m) = "enabled"
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *T) error {
			if v := *get(m); v != "" {
				return checkEnum(json, v, "enabled")
			}
			return nil
		},
		words: func(m *T) [][]string {
			if *get(m) == "enabled" {
				return [][]string{kw}
			}
			return nil
		},
		same: sameAsRead(read, func(m *T) string { return *get(m) }),
	}
}

// blockField: a field held by every line of its keywords (all the
// `compression` lines, all the `errorfile` lines). parse reads the lines
// into a value and says whether they hold words it cannot (opaque: any
// change is then refused rather than made by dropping them); render gives
// the lines of a value, none for the zero value.
func blockField[T any, V any](json string, kws [][]string, get func(*T) *V,
	parse func([]Line) (V, bool), render func(V) [][]string, check func(V) error) sectionField[T] {
	find := func(s *Section) []Line {
		if !s.parsedLines().mayHaveAny(kws) {
			return nil
		}
		var out []Line
		for _, l := range s.Lines() {
			if matchesAny(l, kws) {
				out = append(out, l)
			}
		}
		return out
	}
	read := func(s *Section, m *T) {
		if lines := find(s); len(lines) > 0 {
			*get(m), _ = parse(lines)
		}
	}
	isZero := func(v V) bool { return reflect.ValueOf(&v).Elem().IsZero() }
	return sectionField[T]{
		name: json, matchers: kws, reads: kws, read: read,
		check: func(m *T) error {
			if v := *get(m); !isZero(v) && check != nil {
				return check(v)
			}
			return nil
		},
		words: func(m *T) [][]string {
			if v := *get(m); !isZero(v) {
				return render(v)
			}
			return nil
		},
		same: func(s *Section, m *T) bool {
			var cur T
			read(s, &cur)
			a, b := *get(&cur), *get(m)
			if isZero(a) || isZero(b) {
				return isZero(a) == isZero(b)
			}
			return reflect.DeepEqual(a, b)
		},
		refuse: func(s *Section, m *T) error {
			lines := find(s)
			if len(lines) == 0 {
				return nil
			}
			if _, opaque := parse(lines); opaque {
				return unmodelledLine(json, lines[0])
			}
			return nil
		},
	}
}

// condWords parses `if|unless <cond...>` at w.
func condOf(w []string) (CondRule, bool) {
	if len(w) < 2 || (w[0] != "if" && w[0] != "unless") {
		return CondRule{}, false
	}
	return CondRule{Cond: w[0], CondTest: strings.Join(w[1:], " ")}, true
}

func checkCond(field string, c CondRule) error {
	if err := checkEnum(field+".cond", c.Cond, "if", "unless"); err != nil {
		return err
	}
	return checkText(field+".cond_test", c.CondTest)
}

func condWordsOf(kw []string, c CondRule) []string {
	words, _ := splitWords(c.CondTest)
	return append(append(cloneWords(kw), c.Cond), words...)
}

// condListField: every `<kw> if|unless <cond>` line, in order.
func condListField[T any](json string, kw []string, get func(*T) *[]CondRule) sectionField[T] {
	return blockField(json, [][]string{kw}, get,
		func(lines []Line) ([]CondRule, bool) {
			var out []CondRule
			opaque := false
			for _, l := range lines {
				c, ok := condOf(l.Words[len(kw):])
				if !ok {
					opaque = true
					continue
				}
				out = append(out, c)
			}
			return out, opaque
		},
		func(v []CondRule) [][]string {
			var out [][]string
			for _, c := range v {
				out = append(out, condWordsOf(kw, c))
			}
			return out
		},
		func(v []CondRule) error {
			for _, c := range v {
				if err := checkCond(json, c); err != nil {
					return err
				}
			}
			return nil
		})
}

// condOneField: one `<kw> if|unless <cond>` line.
func condOneField[T any](json string, kw []string, get func(*T) **CondRule) sectionField[T] {
	return blockField(json, [][]string{kw}, get,
		func(lines []Line) (*CondRule, bool) {
			l := lines[len(lines)-1]
			c, ok := condOf(l.Words[len(kw):])
			if !ok {
				return nil, true
			}
			return &c, len(lines) > 1
		},
		func(c *CondRule) [][]string { return [][]string{condWordsOf(kw, *c)} },
		func(c *CondRule) error { return checkCond(json, *c) })
}

var commonMoreFields = fieldSet[CommonMore]{
	optionToggleField("abortonclose", "abortonclose", func(m *CommonMore) *string { return &m.Abortonclose }),
	optionToggleField("http-buffer-request", "http-buffer-request", func(m *CommonMore) *string { return &m.HTTPBufferRequest }),
	compressionField(),
	emailAlertField(),
	errorFilesField(),
	errorfilesFromHTTPErrorsField(),
	errorlocField("errorloc302", func(m *CommonMore) **Errorloc { return &m.Errorloc302 }),
	errorlocField("errorloc303", func(m *CommonMore) **Errorloc { return &m.Errorloc303 }),
	forwardedField(),
	wordField("http_restrict_req_hdr_names", []string{"option", "http-restrict-req-hdr-names"}, []string{"preserve", "delete", "reject"},
		func(m *CommonMore) *string { return &m.HTTPRestrictReqHdrNames }),
	optionToggleField("independent_streams", "independent-streams", func(m *CommonMore) *string { return &m.IndependentStreams }),
	optionToggleField("nolinger", "nolinger", func(m *CommonMore) *string { return &m.Nolinger }),
	originaltoField(),
	optionToggleField("splice_auto", "splice-auto", func(m *CommonMore) *string { return &m.SpliceAuto }),
	optionToggleField("splice_request", "splice-request", func(m *CommonMore) *string { return &m.SpliceRequest }),
	optionToggleField("splice_response", "splice-response", func(m *CommonMore) *string { return &m.SpliceResponse }),
	statsOptionsField(),
}

var frontendMoreFields = fieldSet[FrontendMore]{
	optionToggleField("accept_invalid_http_request", "accept-invalid-http-request", func(m *FrontendMore) *string { return &m.AcceptInvalidHTTPRequest }),
	optionToggleField("accept_unsafe_violations_in_http_request", "accept-unsafe-violations-in-http-request", func(m *FrontendMore) *string { return &m.AcceptUnsafeViolationsInHTTPRequest }),
	optionOnField("contstats", "contstats", func(m *FrontendMore) *string { return &m.Contstats }),
	optionToggleField("disable_h2_upgrade", "disable-h2-upgrade", func(m *FrontendMore) *string { return &m.DisableH2Upgrade }),
	optionToggleField("dontlog_normal", "dontlog-normal", func(m *FrontendMore) *string { return &m.DontlogNormal }),
	optionToggleField("h1_case_adjust_bogus_client", "h1-case-adjust-bogus-client", func(m *FrontendMore) *string { return &m.H1CaseAdjustBogusClient }),
	optionToggleField("http-drop-response-trailers", "http-drop-response-trailers", func(m *FrontendMore) *string { return &m.HTTPDropResponseTrailers }),
	optionToggleField("http_ignore_probes", "http-ignore-probes", func(m *FrontendMore) *string { return &m.HTTPIgnoreProbes }),
	optionToggleField("http_no_delay", "http-no-delay", func(m *FrontendMore) *string { return &m.HTTPNoDelay }),
	optionToggleField("http_use_proxy_header", "http-use-proxy-header", func(m *FrontendMore) *string { return &m.HTTPUseProxyHeader }),
	optionToggleField("httpslog", "httpslog", func(m *FrontendMore) *string { return &m.Httpslog }),
	optionToggleField("log_separate_errors", "log-separate-errors", func(m *FrontendMore) *string { return &m.LogSeparateErrors }),
	logStepsField(),
	optionToggleField("socket_stats", "socket-stats", func(m *FrontendMore) *string { return &m.SocketStats }),
	optionToggleField("tcp_smart_accept", "tcp-smart-accept", func(m *FrontendMore) *string { return &m.TCPSmartAccept }),
}

var backendMoreFields = fieldSet[BackendMore]{
	optionToggleField("accept_invalid_http_response", "accept-invalid-http-response", func(m *BackendMore) *string { return &m.AcceptInvalidHTTPResponse }),
	optionToggleField("accept_unsafe_violations_in_http_response", "accept-unsafe-violations-in-http-response", func(m *BackendMore) *string { return &m.AcceptUnsafeViolationsInHTTPResponse }),
	optionToggleField("checkcache", "checkcache", func(m *BackendMore) *string { return &m.Checkcache }),
	wordField("dynamic_cookie_key", []string{"dynamic-cookie-key"}, nil, func(m *BackendMore) *string { return &m.DynamicCookieKey }),
	wordField("external_check_command", []string{"external-check", "command"}, nil, func(m *BackendMore) *string { return &m.ExternalCheckCommand }),
	wordField("external_check_path", []string{"external-check", "path"}, nil, func(m *BackendMore) *string { return &m.ExternalCheckPath }),
	optionToggleField("h1_case_adjust_bogus_server", "h1-case-adjust-bogus-server", func(m *BackendMore) *string { return &m.H1CaseAdjustBogusServer }),
	intField("hash_balance_factor", []string{"hash-balance-factor"}, 0, 65535, func(m *BackendMore) **int64 { return &m.HashBalanceFactor }),
	wordField("hash_preserve_affinity", []string{"hash-preserve-affinity"}, []string{"always", "maxconn", "maxqueue"}, func(m *BackendMore) *string { return &m.HashPreserveAffinity }),
	optionToggleField("http-drop-request-trailers", "http-drop-request-trailers", func(m *BackendMore) *string { return &m.HTTPDropRequestTrailers }),
	wordField("http_send_name_header", []string{"http-send-name-header"}, nil, func(m *BackendMore) *string { return &m.HTTPSendNameHeader }),
	intField("max_keep_alive_queue", []string{"max-keep-alive-queue"}, -1, 1<<31, func(m *BackendMore) **int64 { return &m.MaxKeepAliveQueue }),
	persistRuleField(),
	textField("retry_on", []string{"retry-on"}, func(m *BackendMore) *string { return &m.RetryOn }),
	sourceField(),
	intField("srvtcpka_cnt", []string{"srvtcpka-cnt"}, 0, 1<<31, func(m *BackendMore) **int64 { return &m.SrvtcpkaCnt }),
	durationField("srvtcpka_idle", []string{"srvtcpka-idle"}, "s", func(m *BackendMore) **int64 { return &m.SrvtcpkaIdle }),
	durationField("srvtcpka_intvl", []string{"srvtcpka-intvl"}, "s", func(m *BackendMore) **int64 { return &m.SrvtcpkaIntvl }),
	optionToggleField("tcp_smart_connect", "tcp-smart-connect", func(m *BackendMore) *string { return &m.TCPSmartConnect }),
	optionToggleField("transparent", "transparent", func(m *BackendMore) *string { return &m.Transparent }),
	useSmallBuffersField(),
}

var frontendOnlyFields = fieldSet[FrontendOnly]{
	wordField("guid", []string{"guid"}, nil, func(m *FrontendOnly) *string { return &m.GUID }),
	condOneField("monitor_fail", []string{"monitor", "fail"}, func(m *FrontendOnly) **CondRule { return &m.MonitorFail }),
	stickTableField(func(m *FrontendOnly) **ConfigStickTable { return &m.StickTable }),
}

// force_persist and ignore_persist are the v3 contract's older single
// forms: they own the line when the section has exactly one and the list
// is not used; force_persist_list and ignore_persist_list read every line.
var backendOnlyFields = fieldSet[BackendOnly]{
	condListField("force_persist_list", []string{"force-persist"}, func(m *BackendOnly) *[]CondRule { return &m.ForcePersistList }),
	wordField("guid", []string{"guid"}, nil, func(m *BackendOnly) *string { return &m.GUID }),
	optionToggleField("http-no-delay", "http-no-delay", func(m *BackendOnly) *string { return &m.HTTPNoDelay }),
	condListField("ignore_persist_list", []string{"ignore-persist"}, func(m *BackendOnly) *[]CondRule { return &m.IgnorePersistList }),
	optionToggleField("spop_check", "spop-check", func(m *BackendOnly) *string { return &m.SpopCheck }),
	stickTableField(func(m *BackendOnly) **ConfigStickTable { return &m.StickTable }),
	nameRefField("use_fcgi_app", []string{"use-fcgi-app"}, func(m *BackendOnly) *string { return &m.UseFcgiApp }),
}

// foldSingleCond moves the single form (force_persist) into the list
// (force_persist_list) before a write: both name the same lines, and the
// list is what a read gives back. A single form that the list does not
// hold would be two different wishes for the same lines: refused.
func foldSingleCond(field string, single **CondRule, list *[]CondRule) error {
	if *single == nil {
		return nil
	}
	c := **single
	*single = nil
	if len(*list) == 0 {
		*list = []CondRule{c}
		return nil
	}
	for _, l := range *list {
		if l == c {
			return nil
		}
	}
	return invalid(field, "is the single form of %s_list, which holds the same lines and does not include it: send one of them", field)
}

var compressionAlgos = []string{"identity", "gzip", "deflate", "raw-deflate"}

// compressionSubs are the words after `compression`, in the order a new
// section gets them.
var compressionSubs = []string{"algo", "algo-res", "type", "type-req", "type-res", "algo-req", "direction", "minsize-req", "minsize-res", "offload"}

// isCompressionList: HAProxy adds up the values of repeated lines of
// these (`compression type text/html` then `compression type text/css`).
func isCompressionList(sub string) bool {
	switch sub {
	case "algo", "algo-res", "type", "type-req", "type-res":
		return true
	}
	return false
}

// compressionField: every `compression` line. A change rewrites only the
// lines of the settings that change, so `compression type` split over
// two lines stays so while the types do not change.
func compressionField() sectionField[CommonMore] {
	f := compressionBlock()
	f.write = func(e *lineEdit, m *CommonMore) {
		var want [][]string
		if m.Compression != nil {
			want = f.words(m)
		}
		for _, sub := range compressionSubs {
			kw := []string{"compression", sub}
			var subWant [][]string
			for _, w := range want {
				if w[1] == sub {
					subWant = append(subWant, w)
				}
			}
			var cur []string
			for _, l := range e.s.Find(kw...) {
				cur = append(cur, l.Words[2:]...)
			}
			if len(subWant) == 1 && isCompressionList(sub) && equalWords(cur, subWant[0][2:]) {
				continue // the same values, however they are split over lines
			}
			setLines(e, [][]string{kw}, subWant)
		}
	}
	return f
}

func compressionBlock() sectionField[CommonMore] {
	type sub struct {
		word string
		list func(c *Compression) *[]string
	}
	lists := []sub{
		{"algo", func(c *Compression) *[]string { return &c.Algorithms }},
		{"algo-res", func(c *Compression) *[]string { return &c.AlgosRes }},
		{"type", func(c *Compression) *[]string { return &c.Types }},
		{"type-req", func(c *Compression) *[]string { return &c.TypesReq }},
		{"type-res", func(c *Compression) *[]string { return &c.TypesRes }},
	}
	return blockField("compression", [][]string{{"compression"}}, func(m *CommonMore) **Compression { return &m.Compression },
		func(lines []Line) (*Compression, bool) {
			c := &Compression{}
			opaque := false
			seen := map[string]bool{}
			for _, l := range lines {
				w := l.Words
				sw := l.Arg(1)
				if seen[sw] && !isCompressionList(sw) {
					opaque = true // a repeated setting: the model holds one value
				}
				seen[sw] = true
				args := w[min(2, len(w)):]
				switch sw {
				case "offload":
					c.Offload = true
					opaque = opaque || len(args) > 0
				case "algo-req", "direction":
					if len(args) != 1 {
						opaque = true
						continue
					}
					if sw == "direction" {
						c.Direction = args[0]
					} else {
						c.AlgoReq = args[0]
					}
				case "minsize-req", "minsize-res":
					n, ok := parseSize(at(args, 0))
					if !ok || len(args) != 1 {
						opaque = true
						continue
					}
					if sw == "minsize-req" {
						c.MinsizeReq = &n
					} else {
						c.MinsizeRes = &n
					}
				default:
					found := false
					for _, s := range lists {
						if s.word == sw {
							*s.list(c) = append(*s.list(c), args...)
							found = true
						}
					}
					opaque = opaque || !found
				}
			}
			return c, opaque
		},
		func(c *Compression) [][]string {
			var out [][]string
			for _, s := range lists {
				if v := *s.list(c); len(v) > 0 {
					out = append(out, append([]string{"compression", s.word}, v...))
				}
			}
			if c.AlgoReq != "" {
				out = append(out, []string{"compression", "algo-req", c.AlgoReq})
			}
			if c.Direction != "" {
				out = append(out, []string{"compression", "direction", c.Direction})
			}
			if c.MinsizeReq != nil {
				out = append(out, []string{"compression", "minsize-req", strconv.FormatInt(*c.MinsizeReq, 10)})
			}
			if c.MinsizeRes != nil {
				out = append(out, []string{"compression", "minsize-res", strconv.FormatInt(*c.MinsizeRes, 10)})
			}
			if c.Offload {
				out = append(out, []string{"compression", "offload"})
			}
			return out
		},
		func(c *Compression) error {
			for _, a := range append(append([]string{}, c.Algorithms...), c.AlgosRes...) {
				if err := checkEnum("compression.algorithms", a, compressionAlgos...); err != nil {
					return err
				}
			}
			if c.AlgoReq != "" {
				if err := checkEnum("compression.algo-req", c.AlgoReq, compressionAlgos...); err != nil {
					return err
				}
			}
			if c.Direction != "" {
				if err := checkEnum("compression.direction", c.Direction, "request", "response", "both"); err != nil {
					return err
				}
			}
			for _, t := range append(append(append([]string{}, c.Types...), c.TypesReq...), c.TypesRes...) {
				if err := checkWord("compression.types", t); err != nil {
					return err
				}
			}
			for _, n := range []*int64{c.MinsizeReq, c.MinsizeRes} {
				if n != nil {
					if err := checkRange("compression.minsize", *n, 0, 1<<31); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

func emailAlertField() sectionField[CommonMore] {
	return blockField("email_alert", [][]string{{"email-alert"}}, func(m *CommonMore) **EmailAlert { return &m.EmailAlert },
		func(lines []Line) (*EmailAlert, bool) {
			a := &EmailAlert{}
			opaque := false
			seen := map[string]bool{}
			for _, l := range lines {
				if len(l.Words) != 3 || seen[l.Words[1]] {
					opaque = true
					continue
				}
				seen[l.Words[1]] = true
				v := l.Words[2]
				switch l.Words[1] {
				case "from":
					a.From = v
				case "to":
					a.To = v
				case "mailers":
					a.Mailers = v
				case "level":
					a.Level = v
				case "myhostname":
					a.Myhostname = v
				default:
					opaque = true
				}
			}
			return a, opaque
		},
		func(a *EmailAlert) [][]string {
			var out [][]string
			for _, kv := range [][2]string{{"from", a.From}, {"to", a.To}, {"mailers", a.Mailers}, {"level", a.Level}, {"myhostname", a.Myhostname}} {
				if kv[1] != "" {
					out = append(out, []string{"email-alert", kv[0], kv[1]})
				}
			}
			return out
		},
		func(a *EmailAlert) error {
			for _, kv := range [][2]string{{"email_alert.from", a.From}, {"email_alert.to", a.To}, {"email_alert.mailers", a.Mailers}} {
				if err := checkWord(kv[0], kv[1]); err != nil {
					return err
				}
			}
			if a.Level != "" {
				if err := checkEnum("email_alert.level", a.Level, logLevels...); err != nil {
					return err
				}
			}
			if a.Myhostname != "" {
				return checkWord("email_alert.myhostname", a.Myhostname)
			}
			return nil
		})
}

var httpErrorCodes = []int64{200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504}

func checkErrorCode(field string, c int64) error {
	for _, ok := range httpErrorCodes {
		if c == ok {
			return nil
		}
	}
	return invalid(field, "%d is not a status HAProxy answers with an error file", c)
}

func parseCode(w string) (int64, bool) {
	n, err := strconv.ParseInt(w, 10, 64)
	return n, err == nil && checkErrorCode("", n) == nil
}

func errorFilesField() sectionField[CommonMore] {
	return blockField("error_files", [][]string{{"errorfile"}}, func(m *CommonMore) *[]Errorfile { return &m.ErrorFiles },
		func(lines []Line) ([]Errorfile, bool) {
			var out []Errorfile
			opaque := false
			for _, l := range lines {
				code, ok := parseCode(l.Arg(1))
				if !ok || len(l.Words) != 3 {
					opaque = true
					continue
				}
				out = append(out, Errorfile{Code: code, File: l.Words[2]})
			}
			return out, opaque
		},
		func(v []Errorfile) [][]string {
			var out [][]string
			for _, e := range v {
				out = append(out, []string{"errorfile", strconv.FormatInt(e.Code, 10), e.File})
			}
			return out
		},
		func(v []Errorfile) error {
			for _, e := range v {
				if err := checkErrorCode("error_files.code", e.Code); err != nil {
					return err
				}
				if err := checkWord("error_files.file", e.File); err != nil {
					return err
				}
			}
			return nil
		})
}

func errorfilesFromHTTPErrorsField() sectionField[CommonMore] {
	return blockField("errorfiles_from_http_errors", [][]string{{"errorfiles"}}, func(m *CommonMore) *[]Errorfiles { return &m.ErrorfilesFromHTTPErrors },
		func(lines []Line) ([]Errorfiles, bool) {
			var out []Errorfiles
			opaque := false
			for _, l := range lines {
				if len(l.Words) < 2 {
					opaque = true
					continue
				}
				e := Errorfiles{Name: l.Words[1]}
				for _, w := range l.Words[2:] {
					c, ok := parseCode(w)
					if !ok {
						opaque = true
						continue
					}
					e.Codes = append(e.Codes, c)
				}
				out = append(out, e)
			}
			return out, opaque
		},
		func(v []Errorfiles) [][]string {
			var out [][]string
			for _, e := range v {
				w := []string{"errorfiles", e.Name}
				for _, c := range e.Codes {
					w = append(w, strconv.FormatInt(c, 10))
				}
				out = append(out, w)
			}
			return out
		},
		func(v []Errorfiles) error {
			for _, e := range v {
				if err := CheckName("errorfiles_from_http_errors.name", e.Name); err != nil {
					return err
				}
				for _, c := range e.Codes {
					if err := checkErrorCode("errorfiles_from_http_errors.codes", c); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

func errorlocField(kw string, get func(*CommonMore) **Errorloc) sectionField[CommonMore] {
	return blockField(kw, [][]string{{kw}}, get,
		func(lines []Line) (*Errorloc, bool) {
			l := lines[len(lines)-1]
			code, ok := parseCode(l.Arg(1))
			if !ok || len(l.Words) != 3 {
				return nil, true
			}
			return &Errorloc{Code: code, URL: l.Words[2]}, len(lines) > 1
		},
		func(e *Errorloc) [][]string {
			return [][]string{{kw, strconv.FormatInt(e.Code, 10), e.URL}}
		},
		func(e *Errorloc) error {
			if err := checkErrorCode(kw+".code", e.Code); err != nil {
				return err
			}
			return checkWord(kw+".url", e.URL)
		})
}

func forwardedField() sectionField[CommonMore] {
	type part struct {
		word string
		flag func(f *Forwarded) *bool
		expr func(f *Forwarded) *string
	}
	parts := []part{
		{"proto", func(f *Forwarded) *bool { return &f.Proto }, nil},
		{"host", func(f *Forwarded) *bool { return &f.Host }, func(f *Forwarded) *string { return &f.HostExpr }},
		{"by", func(f *Forwarded) *bool { return &f.By }, func(f *Forwarded) *string { return &f.ByExpr }},
		{"by_port", func(f *Forwarded) *bool { return &f.ByPort }, func(f *Forwarded) *string { return &f.ByPortExpr }},
		{"for", func(f *Forwarded) *bool { return &f.For }, func(f *Forwarded) *string { return &f.ForExpr }},
		{"for_port", func(f *Forwarded) *bool { return &f.ForPort }, func(f *Forwarded) *string { return &f.ForPortExpr }},
	}
	kw := []string{"option", "forwarded"}
	return blockField("forwarded", [][]string{kw}, func(m *CommonMore) **Forwarded { return &m.Forwarded },
		func(lines []Line) (*Forwarded, bool) {
			l := lines[len(lines)-1]
			f := &Forwarded{Enabled: "enabled"}
			opaque := len(lines) > 1
			w := l.Words[2:]
		next:
			for i := 0; i < len(w); i++ {
				for _, p := range parts {
					switch {
					case w[i] == p.word:
						*p.flag(f) = true
						continue next
					case p.expr != nil && w[i] == p.word+"-expr" && i+1 < len(w):
						*p.expr(f) = w[i+1]
						i++
						continue next
					}
				}
				opaque = true
			}
			return f, opaque
		},
		func(f *Forwarded) [][]string {
			w := cloneWords(kw)
			for _, p := range parts {
				if *p.flag(f) {
					w = append(w, p.word)
				}
				if p.expr != nil && *p.expr(f) != "" {
					w = append(w, p.word+"-expr", *p.expr(f))
				}
			}
			return [][]string{w}
		},
		func(f *Forwarded) error {
			if err := checkEnum("forwarded.enabled", f.Enabled, "enabled"); err != nil {
				return err
			}
			for _, p := range parts {
				if p.expr != nil && *p.expr(f) != "" {
					if err := checkWord("forwarded."+p.word+"_expr", *p.expr(f)); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

func originaltoField() sectionField[CommonMore] {
	kw := []string{"option", "originalto"}
	return blockField("originalto", [][]string{kw}, func(m *CommonMore) **Originalto { return &m.Originalto },
		func(lines []Line) (*Originalto, bool) {
			l := lines[len(lines)-1]
			o := &Originalto{Enabled: "enabled"}
			opaque := len(lines) > 1
			w := l.Words[2:]
			for i := 0; i < len(w); i++ {
				switch {
				case w[i] == "except" && i+1 < len(w):
					o.Except = w[i+1]
					i++
				case w[i] == "header" && i+1 < len(w):
					o.Header = w[i+1]
					i++
				default:
					opaque = true
				}
			}
			return o, opaque
		},
		func(o *Originalto) [][]string {
			w := cloneWords(kw)
			if o.Except != "" {
				w = append(w, "except", o.Except)
			}
			if o.Header != "" {
				w = append(w, "header", o.Header)
			}
			return [][]string{w}
		},
		func(o *Originalto) error {
			if err := checkEnum("originalto.enabled", o.Enabled, "enabled"); err != nil {
				return err
			}
			for f, v := range map[string]string{"originalto.except": o.Except, "originalto.header": o.Header} {
				if v != "" {
					if err := checkWord(f, v); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

func logStepsField() sectionField[FrontendMore] {
	kw := []string{"log-steps"}
	steps := []string{"accept", "request", "connect", "response", "close", "error", "any"}
	return blockField("log_steps", [][]string{kw}, func(m *FrontendMore) *[]string { return &m.LogSteps },
		func(lines []Line) ([]string, bool) {
			l := lines[len(lines)-1]
			if len(l.Words) != 2 {
				return nil, true
			}
			return strings.Split(l.Words[1], ","), len(lines) > 1
		},
		func(v []string) [][]string { return [][]string{{"log-steps", strings.Join(v, ",")}} },
		func(v []string) error {
			for _, s := range v {
				if err := checkEnum("log_steps", s, steps...); err != nil {
					return err
				}
			}
			return nil
		})
}

func persistRuleField() sectionField[BackendMore] {
	kw := []string{"persist"}
	return blockField("persist_rule", [][]string{kw}, func(m *BackendMore) **PersistRule { return &m.PersistRule },
		func(lines []Line) (*PersistRule, bool) {
			l := lines[len(lines)-1]
			w := l.Arg(1)
			switch {
			case len(l.Words) != 2:
			case w == "rdp-cookie":
				return &PersistRule{Type: w}, len(lines) > 1
			case strings.HasPrefix(w, "rdp-cookie(") && strings.HasSuffix(w, ")"):
				return &PersistRule{Type: "rdp-cookie", RdpCookieName: w[len("rdp-cookie(") : len(w)-1]}, len(lines) > 1
			}
			return nil, true
		},
		func(p *PersistRule) [][]string {
			if p.RdpCookieName != "" {
				return [][]string{{"persist", "rdp-cookie(" + p.RdpCookieName + ")"}}
			}
			return [][]string{{"persist", "rdp-cookie"}}
		},
		func(p *PersistRule) error {
			if err := checkEnum("persist_rule.type", p.Type, "rdp-cookie"); err != nil {
				return err
			}
			if p.RdpCookieName != "" {
				return checkWordNoParens("persist_rule.rdp_cookie_name", p.RdpCookieName)
			}
			return nil
		})
}

func sourceField() sectionField[BackendMore] {
	kw := []string{"source"}
	return blockField("source", [][]string{kw}, func(m *BackendMore) **Source { return &m.Source },
		func(lines []Line) (*Source, bool) {
			l := lines[len(lines)-1]
			opaque := len(lines) > 1
			if len(l.Words) < 2 {
				return nil, true
			}
			src := &Source{}
			var end *int64
			src.Address, src.Port, end = splitAddress(l.Words[1])
			opaque = opaque || end != nil
			w := l.Words[2:]
			for i := 0; i < len(w); i++ {
				switch {
				case w[i] == "usesrc" && i+1 < len(w):
					v := w[i+1]
					i++
					switch {
					case v == "client" || v == "clientip":
						src.Usesrc = v
					case strings.HasPrefix(v, "hdr_ip(") && strings.HasSuffix(v, ")"):
						src.Usesrc = "hdr_ip"
						args := strings.SplitN(v[len("hdr_ip("):len(v)-1], ",", 2)
						src.Hdr = args[0]
						if len(args) == 2 {
							src.Occ = args[1]
						}
					default:
						src.Usesrc = "address"
						var end2 *int64
						src.AddressSecond, src.PortSecond, end2 = splitAddress(v)
						opaque = opaque || end2 != nil
					}
				case w[i] == "interface" && i+1 < len(w):
					src.Interface = w[i+1]
					i++
				default:
					opaque = true
				}
			}
			return src, opaque
		},
		func(s *Source) [][]string {
			w := []string{"source", joinAddress(s.Address, s.Port, nil)}
			switch s.Usesrc {
			case "":
			case "address":
				w = append(w, "usesrc", joinAddress(s.AddressSecond, s.PortSecond, nil))
			case "hdr_ip":
				v := "hdr_ip(" + s.Hdr
				if s.Occ != "" {
					v += "," + s.Occ
				}
				w = append(w, "usesrc", v+")")
			default:
				w = append(w, "usesrc", s.Usesrc)
			}
			if s.Interface != "" {
				w = append(w, "interface", s.Interface)
			}
			return [][]string{w}
		},
		func(s *Source) error {
			if err := checkAddressPort("source.address", s.Address, s.Port); err != nil {
				return err
			}
			if s.Port != nil {
				if err := checkRange("source.port", *s.Port, 1, 65535); err != nil {
					return err
				}
			}
			switch s.Usesrc {
			case "", "client", "clientip":
			case "address":
				if err := checkAddressPort("source.address_second", s.AddressSecond, s.PortSecond); err != nil {
					return err
				}
				if s.PortSecond != nil {
					if err := checkRange("source.port_second", *s.PortSecond, 1, 65535); err != nil {
						return err
					}
				}
			case "hdr_ip":
				if err := checkWordNoParens("source.hdr", s.Hdr); err != nil {
					return err
				}
				if s.Occ != "" {
					if _, err := strconv.Atoi(s.Occ); err != nil {
						return invalid("source.occ", "%q must be an integer", s.Occ)
					}
				}
			default:
				return checkEnum("source.usesrc", s.Usesrc, "address", "client", "clientip", "hdr_ip")
			}
			if s.Usesrc != "address" && (s.AddressSecond != "" || s.PortSecond != nil) {
				return invalid("source.address_second", "needs usesrc address")
			}
			if s.Usesrc != "hdr_ip" && (s.Hdr != "" || s.Occ != "") {
				return invalid("source.hdr", "needs usesrc hdr_ip")
			}
			if s.Interface != "" {
				return checkWord("source.interface", s.Interface)
			}
			return nil
		})
}

func useSmallBuffersField() sectionField[BackendMore] {
	on, off := []string{"use-small-buffers"}, []string{"no", "use-small-buffers"}
	return blockField("use_small_buffers", [][]string{on, off}, func(m *BackendMore) **UseSmallBuffers { return &m.UseSmallBuffers },
		func(lines []Line) (*UseSmallBuffers, bool) {
			l := lines[len(lines)-1]
			opaque := len(lines) > 1
			if l.Words[0] == "no" {
				return &UseSmallBuffers{Enabled: "disabled"}, opaque || len(l.Words) > 2
			}
			u := &UseSmallBuffers{Enabled: "enabled"}
			for _, w := range l.Words[1:] {
				switch w {
				case "queue":
					u.Queue = true
				case "l7-retries":
					u.L7Retries = true
				case "check":
					u.Check = true
				default:
					opaque = true
				}
			}
			return u, opaque
		},
		func(u *UseSmallBuffers) [][]string {
			if u.Enabled == "disabled" {
				return [][]string{off}
			}
			w := cloneWords(on)
			for _, o := range []struct {
				on   bool
				word string
			}{{u.Queue, "queue"}, {u.L7Retries, "l7-retries"}, {u.Check, "check"}} {
				if o.on {
					w = append(w, o.word)
				}
			}
			return [][]string{w}
		},
		func(u *UseSmallBuffers) error {
			if err := checkEnum("use_small_buffers.enabled", u.Enabled, onOff...); err != nil {
				return err
			}
			if u.Enabled == "disabled" && (u.Queue || u.L7Retries || u.Check) {
				return invalid("use_small_buffers", "options need enabled")
			}
			return nil
		})
}

var stickTableTypes = []string{"ip", "ipv6", "integer", "string", "binary"}

func stickTableField[T any](get func(*T) **ConfigStickTable) sectionField[T] {
	kw := []string{"stick-table"}
	return blockField("stick_table", [][]string{kw}, get,
		func(lines []Line) (*ConfigStickTable, bool) {
			l := lines[len(lines)-1]
			opaque := len(lines) > 1
			t := &ConfigStickTable{}
			w := l.Words[1:]
			for i := 0; i < len(w); i++ {
				arg := at(w, i+1)
				switch w[i] {
				case "nopurge":
					t.Nopurge = true
					continue
				case "recv-only":
					t.RecvOnly = true
					continue
				case "type":
					t.Type = arg
				case "len":
					t.Keylen = atoiPtr(arg)
					opaque = opaque || t.Keylen == nil
				case "size":
					n, ok := parseSize(arg)
					if ok {
						t.Size = &n
					}
					opaque = opaque || !ok
				case "expire":
					n, ok := parseDuration(arg, "ms")
					if ok {
						t.Expire = &n
					}
					opaque = opaque || !ok
				case "peers":
					t.Peers = arg
				case "srvkey":
					t.Srvkey = arg
				case "write-to":
					t.WriteTo = arg
				case "store":
					opaque = opaque || t.Store != ""
					t.Store = arg
				default:
					opaque = true
					continue
				}
				if i+1 >= len(w) {
					opaque = true
				}
				i++
			}
			return t, opaque
		},
		func(t *ConfigStickTable) [][]string {
			w := cloneWords(kw)
			itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
			if t.Type != "" {
				w = append(w, "type", t.Type)
			}
			if t.Keylen != nil {
				w = append(w, "len", itoa(*t.Keylen))
			}
			if t.Size != nil {
				w = append(w, "size", itoa(*t.Size))
			}
			if t.Expire != nil {
				w = append(w, "expire", formatDuration(*t.Expire))
			}
			if t.Nopurge {
				w = append(w, "nopurge")
			}
			if t.Peers != "" {
				w = append(w, "peers", t.Peers)
			}
			if t.Srvkey != "" {
				w = append(w, "srvkey", t.Srvkey)
			}
			if t.WriteTo != "" {
				w = append(w, "write-to", t.WriteTo)
			}
			if t.RecvOnly {
				w = append(w, "recv-only")
			}
			if t.Store != "" {
				w = append(w, "store", t.Store)
			}
			return [][]string{w}
		},
		func(t *ConfigStickTable) error {
			if t.Type == "" {
				return invalid("stick_table.type", "is required")
			}
			if err := checkEnum("stick_table.type", t.Type, stickTableTypes...); err != nil {
				return err
			}
			if t.Srvkey != "" {
				if err := checkEnum("stick_table.srvkey", t.Srvkey, "addr", "name"); err != nil {
					return err
				}
			}
			for f, v := range map[string]string{"stick_table.peers": t.Peers, "stick_table.write_to": t.WriteTo, "stick_table.store": t.Store} {
				if v != "" {
					if err := checkWord(f, v); err != nil {
						return err
					}
				}
			}
			for f, n := range map[string]*int64{"stick_table.keylen": t.Keylen, "stick_table.size": t.Size, "stick_table.expire": t.Expire} {
				if n != nil {
					if err := checkRange(f, *n, 0, 1<<40); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

func statsOptionsField() sectionField[CommonMore] {
	kw := []string{"stats"}
	return blockField("stats_options", [][]string{kw}, func(m *CommonMore) **StatsOptions { return &m.StatsOptions },
		parseStats, renderStats, checkStats)
}

func parseStats(lines []Line) (*StatsOptions, bool) {
	o := &StatsOptions{}
	opaque := false
	str := func(s string) *string { return &s }
	for _, l := range lines {
		w := l.Words[1:]
		if len(w) == 0 {
			opaque = true
			continue
		}
		args := w[1:]
		one := len(args) == 1
		switch w[0] {
		case "enable", "hide-version", "show-legends", "show-modules", "show-version":
			opaque = opaque || len(args) > 0
			switch w[0] {
			case "enable":
				o.StatsEnable = true
			case "hide-version":
				o.StatsHideVersion = true
			case "show-legends":
				o.StatsShowLegends = true
			case "show-modules":
				o.StatsShowModules = true
			case "show-version":
				o.StatsShowVersion = true
			}
		case "uri":
			opaque = opaque || !one
			o.StatsURIPrefix = at(args, 0)
		case "realm":
			opaque = opaque || !one
			o.StatsRealm, o.StatsRealmRealm = true, str(at(args, 0))
		case "show-node":
			opaque = opaque || !one
			o.StatsShowNodeName = str(at(args, 0))
		case "show-desc":
			opaque = opaque || len(args) == 0
			o.StatsShowDesc = str(strings.Join(args, " "))
		case "refresh":
			// The model holds whole seconds, as the v3 contract does.
			ms, ok := parseDuration(at(args, 0), "s")
			ok = ok && ms%1000 == 0
			opaque = opaque || !ok || !one
			if ok {
				n := ms / 1000
				o.StatsRefreshDelay = &n
			}
		case "maxconn":
			n := atoiPtr(at(args, 0))
			opaque = opaque || n == nil || !one
			o.StatsMaxconn = n
		case "auth":
			user, pass, ok := strings.Cut(at(args, 0), ":")
			opaque = opaque || !ok || !one
			o.StatsAuths = append(o.StatsAuths, StatsAuth{User: user, Passwd: pass})
		case "admin":
			c, ok := condOf(args)
			opaque = opaque || !ok
			o.StatsAdmin, o.StatsAdminCond, o.StatsAdminCondTest = true, c.Cond, c.CondTest
		case "http-request":
			r := StatsHTTPRequest{Type: at(args, 0)}
			rest := args[min(1, len(args)):]
			if len(rest) >= 2 && rest[0] == "realm" {
				r.Realm, rest = rest[1], rest[2:]
			}
			if len(rest) > 0 {
				c, ok := condOf(rest)
				opaque = opaque || !ok
				r.Cond, r.CondTest = c.Cond, c.CondTest
			}
			o.StatsHTTPRequests = append(o.StatsHTTPRequests, r)
		default:
			opaque = true // stats scope, ...
		}
	}
	return o, opaque
}

func renderStats(o *StatsOptions) [][]string {
	var out [][]string
	add := func(w ...string) { out = append(out, append([]string{"stats"}, w...)) }
	if o.StatsEnable {
		add("enable")
	}
	if o.StatsURIPrefix != "" {
		add("uri", o.StatsURIPrefix)
	}
	if o.StatsRealm && o.StatsRealmRealm != nil {
		add("realm", *o.StatsRealmRealm)
	}
	for _, a := range o.StatsAuths {
		add("auth", a.User+":"+a.Passwd)
	}
	if o.StatsAdmin {
		add(condWordsOf([]string{"admin"}, CondRule{o.StatsAdminCond, o.StatsAdminCondTest})...)
	}
	if o.StatsHideVersion {
		add("hide-version")
	}
	if o.StatsShowVersion {
		add("show-version")
	}
	if o.StatsShowLegends {
		add("show-legends")
	}
	if o.StatsShowModules {
		add("show-modules")
	}
	if o.StatsShowNodeName != nil {
		add("show-node", *o.StatsShowNodeName)
	}
	if o.StatsShowDesc != nil {
		words, _ := splitWords(*o.StatsShowDesc)
		add(append([]string{"show-desc"}, words...)...)
	}
	if o.StatsRefreshDelay != nil {
		add("refresh", formatSeconds(*o.StatsRefreshDelay))
	}
	if o.StatsMaxconn != nil {
		add("maxconn", strconv.FormatInt(*o.StatsMaxconn, 10))
	}
	for _, r := range o.StatsHTTPRequests {
		w := []string{"http-request", r.Type}
		if r.Realm != "" {
			w = append(w, "realm", r.Realm)
		}
		if r.Cond != "" {
			w = condWordsOf(w, CondRule{r.Cond, r.CondTest})
		}
		add(w...)
	}
	return out
}

func checkStats(o *StatsOptions) error {
	if o.StatsURIPrefix != "" {
		if err := checkWord("stats_options.stats_uri_prefix", o.StatsURIPrefix); err != nil {
			return err
		}
	}
	if o.StatsRealm != (o.StatsRealmRealm != nil) {
		return invalid("stats_options.stats_realm", "stats_realm and stats_realm_realm go together")
	}
	if o.StatsRealmRealm != nil {
		if err := checkWord("stats_options.stats_realm_realm", *o.StatsRealmRealm); err != nil {
			return err
		}
	}
	for _, a := range o.StatsAuths {
		if err := checkWord("stats_options.stats_auths.user", a.User); err != nil {
			return err
		}
		if strings.Contains(a.User, ":") {
			return invalid("stats_options.stats_auths.user", "%q must not contain ':'", a.User)
		}
		if err := checkWord("stats_options.stats_auths.passwd", a.Passwd); err != nil {
			return err
		}
	}
	if o.StatsAdmin {
		if err := checkCond("stats_options.stats_admin", CondRule{o.StatsAdminCond, o.StatsAdminCondTest}); err != nil {
			return err
		}
	} else if o.StatsAdminCond != "" || o.StatsAdminCondTest != "" {
		return invalid("stats_options.stats_admin_cond", "needs stats_admin")
	}
	if o.StatsShowNodeName != nil {
		if err := checkWord("stats_options.stats_show_node_name", *o.StatsShowNodeName); err != nil {
			return err
		}
	}
	if o.StatsShowDesc != nil {
		if err := checkText("stats_options.stats_show_desc", *o.StatsShowDesc); err != nil {
			return err
		}
	}
	if n := o.StatsRefreshDelay; n != nil {
		if err := checkRange("stats_options.stats_refresh_delay", *n, 0, 1<<40); err != nil {
			return err
		}
	}
	if n := o.StatsMaxconn; n != nil {
		if err := checkRange("stats_options.stats_maxconn", *n, 1, 1<<31); err != nil {
			return err
		}
	}
	for _, r := range o.StatsHTTPRequests {
		if err := checkEnum("stats_options.stats_http_requests.type", r.Type, "allow", "deny", "auth"); err != nil {
			return err
		}
		if r.Realm != "" {
			if err := checkWord("stats_options.stats_http_requests.realm", r.Realm); err != nil {
				return err
			}
		}
		if r.Cond != "" || r.CondTest != "" {
			if err := checkCond("stats_options.stats_http_requests", CondRule{r.Cond, r.CondTest}); err != nil {
				return err
			}
		}
	}
	return nil
}
