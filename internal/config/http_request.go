package config

import (
	"reflect"

	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/parsers/actions"
	"github.com/haproxytech/config-parser/v5/parsers/http"
	httpActions "github.com/haproxytech/config-parser/v5/parsers/http/actions"
	"github.com/haproxytech/config-parser/v5/types"
)

// HTTPRequestRule is an `http-request <action> ... [if|unless <test>]`
// line, the Data Plane API v3 `http_request_rule` model: the fields of
// every action side by side, the ones of its type set. The fields of the
// v3 actions that neither HAProxy 2.6 nor config-parser have (do-log's
// log_profile, the *-headers-bin actions' hdr_expr and hdr_prefix) are
// not in the model: such lines are read and written verbatim.
type HTTPRequestRule struct {
	ACLFile              string         `json:"acl_file,omitempty"`
	ACLKeyfmt            string         `json:"acl_keyfmt,omitempty"`
	AuthRealm            string         `json:"auth_realm,omitempty"`
	BandwidthLimitLimit  string         `json:"bandwidth_limit_limit,omitempty"`
	BandwidthLimitName   string         `json:"bandwidth_limit_name,omitempty"`
	BandwidthLimitPeriod string         `json:"bandwidth_limit_period,omitempty"`
	CacheName            string         `json:"cache_name,omitempty"`
	CaptureID            *int64         `json:"capture_id,omitempty"`
	CaptureLen           int64          `json:"capture_len,omitempty"`
	CaptureSample        string         `json:"capture_sample,omitempty"`
	Cond                 string         `json:"cond,omitempty"`
	CondTest             string         `json:"cond_test,omitempty"`
	DenyStatus           *int64         `json:"deny_status,omitempty"`
	Expr                 string         `json:"expr,omitempty"`
	HdrFormat            string         `json:"hdr_format,omitempty"`
	HdrMatch             string         `json:"hdr_match,omitempty"`
	HdrMethod            string         `json:"hdr_method,omitempty"`
	HdrName              string         `json:"hdr_name,omitempty"`
	HintFormat           string         `json:"hint_format,omitempty"`
	HintName             string         `json:"hint_name,omitempty"`
	LogLevel             string         `json:"log_level,omitempty"`
	LUAAction            string         `json:"lua_action,omitempty"`
	LUAParams            string         `json:"lua_params,omitempty"`
	MapFile              string         `json:"map_file,omitempty"`
	MapKeyfmt            string         `json:"map_keyfmt,omitempty"`
	MapValuefmt          string         `json:"map_valuefmt,omitempty"`
	MarkValue            string         `json:"mark_value,omitempty"`
	MethodFmt            string         `json:"method_fmt,omitempty"`
	NiceValue            int64          `json:"nice_value,omitempty"`
	Normalizer           string         `json:"normalizer,omitempty"`
	NormalizerFull       bool           `json:"normalizer_full,omitempty"`
	NormalizerStrict     bool           `json:"normalizer_strict,omitempty"`
	PathFmt              string         `json:"path_fmt,omitempty"`
	PathMatch            string         `json:"path_match,omitempty"`
	Protocol             string         `json:"protocol,omitempty"`
	QueryFmt             string         `json:"query-fmt,omitempty"`
	RedirCode            *int64         `json:"redir_code,omitempty"`
	RedirOption          string         `json:"redir_option,omitempty"`
	RedirType            string         `json:"redir_type,omitempty"`
	RedirValue           string         `json:"redir_value,omitempty"`
	Resolvers            string         `json:"resolvers,omitempty"`
	ReturnContent        string         `json:"return_content,omitempty"`
	ReturnContentFormat  string         `json:"return_content_format,omitempty"`
	ReturnContentType    string         `json:"return_content_type,omitempty"`
	ReturnHdrs           []ReturnHeader `json:"return_hdrs,omitempty"`
	ReturnStatusCode     *int64         `json:"return_status_code,omitempty"`
	RstTTL               int64          `json:"rst_ttl,omitempty"`
	SCExpr               string         `json:"sc_expr,omitempty"`
	SCID                 int64          `json:"sc_id,omitempty"`
	SCIdx                int64          `json:"sc_idx,omitempty"`
	SCInt                *int64         `json:"sc_int,omitempty"`
	ServiceName          string         `json:"service_name,omitempty"`
	SpoeEngine           string         `json:"spoe_engine,omitempty"`
	SpoeGroup            string         `json:"spoe_group,omitempty"`
	StrictMode           string         `json:"strict_mode,omitempty"`
	Timeout              string         `json:"timeout,omitempty"`
	TimeoutType          string         `json:"timeout_type,omitempty"`
	TOSValue             string         `json:"tos_value,omitempty"`
	TrackSCKey           string         `json:"track_sc_key,omitempty"`
	TrackSCStickCounter  *int64         `json:"track_sc_stick_counter,omitempty"`
	TrackSCTable         string         `json:"track_sc_table,omitempty"`
	Type                 string         `json:"type,omitempty"`
	URIFmt               string         `json:"uri-fmt,omitempty"`
	URIMatch             string         `json:"uri-match,omitempty"`
	VarExpr              string         `json:"var_expr,omitempty"`
	VarFormat            string         `json:"var_format,omitempty"`
	VarName              string         `json:"var_name,omitempty"`
	VarScope             string         `json:"var_scope,omitempty"`
	WaitAtLeast          *int64         `json:"wait_at_least,omitempty"`
	WaitTime             *int64         `json:"wait_time,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// ReturnHeader is one `hdr <name> <fmt>` of a return, deny or tarpit.
type ReturnHeader struct {
	Name string `json:"name"`
	Fmt  string `json:"fmt"`
}

// HTTPRequestRules are the `http-request` lines of frontends, backends
// and defaults sections, in order (HAProxy runs them in order).
var HTTPRequestRules = actionList(&Collection[HTTPRequestRule]{
	Name: "http request rule", Path: "http_request_rules", OpName: "HTTPRequestRule",
	Tag: "HTTPRequestRule", Schema: "http_request_rule",
	Parents:     []string{KindFrontend, KindBackend, KindDefaults},
	FullSection: "http_request_rule_list",
	FirstBefore: beforeRouting,
}, httpRequestActions, func(m *HTTPRequestRule) *Unmodelled { return &m.Unmodelled })

// returnFields are the fields of the actions that answer: return, deny,
// tarpit.
func returnFields(status string) map[string]string {
	return map[string]string{"Status": status, "ContentType": "return_content_type",
		"ContentFormat": "return_content_format", "Content": "return_content", "Hdrs": "return_hdrs"}
}

var httpRequestActions = &actionTable[HTTPRequestRule]{
	Keyword: "http-request",
	Parser:  func() parser.ParserInterface { return &http.Requests{} },
	Actions: []actionSpec{
		sharedHTTPAction("add-acl"),
		sharedHTTPAction("add-header"),
		sharedHTTPAction("allow"),
		{Type: "auth", New: func() types.Action { return &httpActions.Auth{} }, Fields: map[string]string{"Realm": "auth_realm"}},
		{Type: "cache-use", New: func() types.Action { return &httpActions.CacheUse{} }, Fields: map[string]string{"Name": "cache_name"}},
		sharedHTTPAction("capture"),
		sharedHTTPAction("del-acl"),
		sharedHTTPAction("del-header"),
		sharedHTTPAction("del-map"),
		sharedHTTPAction("deny"),
		{Type: "disable-l7-retry", New: func() types.Action { return &httpActions.DisableL7Retry{} }},
		{Type: "do-resolve", New: func() types.Action { return &actions.DoResolve{} }, Fields: map[string]string{"Var": "var_name", "Resolvers": "resolvers", "Protocol": "protocol", "Expr": "expr"}, Words: []string{"expr"}},
		{Type: "early-hint", New: func() types.Action { return &httpActions.EarlyHint{} }, Fields: map[string]string{"Name": "hint_name", "Fmt": "hint_format"}},
		sharedHTTPAction("lua"),
		{Type: "normalize-uri", New: func() types.Action { return &httpActions.NormalizeURI{} }, Fields: map[string]string{"Normalizer": "normalizer", "Full": "normalizer_full", "Strict": "normalizer_strict"}},
		sharedHTTPAction("redirect"),
		{Type: "reject", New: func() types.Action { return &actions.Reject{} }},
		sharedHTTPAction("replace-header"),
		{Type: "replace-path", New: func() types.Action { return &httpActions.ReplacePath{} }, Fields: map[string]string{"MatchRegex": "path_match", "ReplaceFmt": "path_fmt"}},
		{Type: "replace-pathq", New: func() types.Action { return &httpActions.ReplacePathQ{} }, Fields: map[string]string{"MatchRegex": "path_match", "ReplaceFmt": "path_fmt"}},
		{Type: "replace-uri", New: func() types.Action { return &httpActions.ReplaceURI{} }, Fields: map[string]string{"MatchRegex": "uri-match", "ReplaceFmt": "uri-fmt"}},
		sharedHTTPAction("replace-value"),
		sharedHTTPAction("return"),
		sharedHTTPAction("sc-add-gpc"),
		sharedHTTPAction("sc-inc-gpc"),
		sharedHTTPAction("sc-inc-gpc0"),
		sharedHTTPAction("sc-inc-gpc1"),
		sharedHTTPAction("sc-set-gpt"),
		sharedHTTPAction("sc-set-gpt0"),
		sharedHTTPAction("send-spoe-group"),
		sharedHTTPAction("set-bandwidth-limit"),
		{Type: "set-dst", New: func() types.Action { return &actions.SetDst{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-dst-port", New: func() types.Action { return &actions.SetDstPort{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		sharedHTTPAction("set-header"),
		sharedHTTPAction("set-log-level"),
		sharedHTTPAction("set-map"),
		sharedHTTPAction("set-mark"),
		{Type: "set-method", New: func() types.Action { return &httpActions.SetMethod{} }, Fields: map[string]string{"Fmt": "method_fmt"}},
		sharedHTTPAction("set-nice"),
		{Type: "set-path", New: func() types.Action { return &httpActions.SetPath{} }, Fields: map[string]string{"Fmt": "path_fmt"}},
		{Type: "set-pathq", New: func() types.Action { return &httpActions.SetPathQ{} }, Fields: map[string]string{"Fmt": "path_fmt"}},
		{Type: "set-priority-class", New: func() types.Action { return &actions.SetPriorityClass{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-priority-offset", New: func() types.Action { return &actions.SetPriorityOffset{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-query", New: func() types.Action { return &httpActions.SetQuery{} }, Fields: map[string]string{"Fmt": "query-fmt"}},
		{Type: "set-src", New: func() types.Action { return &httpActions.SetSrc{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-src-port", New: func() types.Action { return &actions.SetSrcPort{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		sharedHTTPAction("set-timeout"),
		sharedHTTPAction("set-tos"),
		{Type: "set-uri", New: func() types.Action { return &httpActions.SetURI{} }, Fields: map[string]string{"Fmt": "uri-fmt"}},
		sharedHTTPAction("set-var"),
		sharedHTTPAction("set-var-fmt"),
		sharedHTTPAction("silent-drop"),
		sharedHTTPAction("strict-mode"),
		{Type: "tarpit", New: func() types.Action { return &httpActions.Tarpit{} }, Fields: returnFields("deny_status"), Words: []string{"return_content"}},
		{Type: "track-sc", New: func() types.Action { return &actions.TrackSc{} }, Fields: map[string]string{"StickCounter": "track_sc_stick_counter", "Key": "track_sc_key", "Table": "track_sc_table"},
			FromModel: func(_ reflect.Value, a types.Action) { a.(*actions.TrackSc).Type = actions.TrackScType }},
		sharedHTTPAction("unset-var"),
		{Type: "use-service", New: func() types.Action { return &actions.UseService{} }, Fields: map[string]string{"Name": "service_name"}},
		sharedHTTPAction("wait-for-body"),
		{Type: "wait-for-handshake", New: func() types.Action { return &httpActions.WaitForHandshake{} }},
	},
}
