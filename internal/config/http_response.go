package config

import (
	"reflect"

	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/parsers/actions"
	"github.com/haproxytech/config-parser/v5/parsers/http"
	httpActions "github.com/haproxytech/config-parser/v5/parsers/http/actions"
	"github.com/haproxytech/config-parser/v5/types"
)

// HTTPResponseRule is an `http-response <action> ... [if|unless <test>]`
// line, the Data Plane API v3 `http_response_rule` model: the fields of
// every action side by side, the ones of its type set. The fields only v3
// actions config-parser does not have can carry (expr of set-fc-mark,
// set-fc-tos and pause; hdr_expr and hdr_prefix of the *-headers-bin
// actions; do-log's log_profile) are not in the model: such lines are
// read and written verbatim.
type HTTPResponseRule struct {
	ACLFile              string         `json:"acl_file,omitempty"`
	ACLKeyfmt            string         `json:"acl_keyfmt,omitempty"`
	BandwidthLimitLimit  string         `json:"bandwidth_limit_limit,omitempty"`
	BandwidthLimitName   string         `json:"bandwidth_limit_name,omitempty"`
	BandwidthLimitPeriod string         `json:"bandwidth_limit_period,omitempty"`
	CacheName            string         `json:"cache_name,omitempty"`
	CaptureID            *int64         `json:"capture_id,omitempty"`
	CaptureSample        string         `json:"capture_sample,omitempty"`
	Cond                 string         `json:"cond,omitempty"`
	CondTest             string         `json:"cond_test,omitempty"`
	DenyStatus           *int64         `json:"deny_status,omitempty"`
	HdrFormat            string         `json:"hdr_format,omitempty"`
	HdrMatch             string         `json:"hdr_match,omitempty"`
	HdrMethod            string         `json:"hdr_method,omitempty"`
	HdrName              string         `json:"hdr_name,omitempty"`
	LogLevel             string         `json:"log_level,omitempty"`
	LUAAction            string         `json:"lua_action,omitempty"`
	LUAParams            string         `json:"lua_params,omitempty"`
	MapFile              string         `json:"map_file,omitempty"`
	MapKeyfmt            string         `json:"map_keyfmt,omitempty"`
	MapValuefmt          string         `json:"map_valuefmt,omitempty"`
	MarkValue            string         `json:"mark_value,omitempty"`
	NiceValue            int64          `json:"nice_value,omitempty"`
	RedirCode            *int64         `json:"redir_code,omitempty"`
	RedirOption          string         `json:"redir_option,omitempty"`
	RedirType            string         `json:"redir_type,omitempty"`
	RedirValue           string         `json:"redir_value,omitempty"`
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
	SpoeEngine           string         `json:"spoe_engine,omitempty"`
	SpoeGroup            string         `json:"spoe_group,omitempty"`
	Status               int64          `json:"status,omitempty"`
	StatusReason         string         `json:"status_reason,omitempty"`
	StrictMode           string         `json:"strict_mode,omitempty"`
	Timeout              string         `json:"timeout,omitempty"`
	TimeoutType          string         `json:"timeout_type,omitempty"`
	TOSValue             string         `json:"tos_value,omitempty"`
	TrackSCKey           string         `json:"track_sc_key,omitempty"`
	TrackSCStickCounter  *int64         `json:"track_sc_stick_counter,omitempty"`
	TrackSCTable         string         `json:"track_sc_table,omitempty"`
	Type                 string         `json:"type,omitempty"`
	VarExpr              string         `json:"var_expr,omitempty"`
	VarFormat            string         `json:"var_format,omitempty"`
	VarName              string         `json:"var_name,omitempty"`
	VarScope             string         `json:"var_scope,omitempty"`
	WaitAtLeast          *int64         `json:"wait_at_least,omitempty"`
	WaitTime             *int64         `json:"wait_time,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// HTTPResponseRules are the `http-response` lines of frontends, backends
// and defaults sections, in order (HAProxy runs them in order, on the
// server's answers only).
var HTTPResponseRules = actionList(&Collection[HTTPResponseRule]{
	Name: "http response rule", Path: "http_response_rules", OpName: "HTTPResponseRule",
	Tag: "HTTPResponseRule", Schema: "http_response_rule",
	Parents:     []string{KindFrontend, KindBackend, KindDefaults},
	FullSection: "http_response_rule_list",
}, httpResponseActions, func(m *HTTPResponseRule) *Unmodelled { return &m.Unmodelled })

var httpResponseActions = &actionTable[HTTPResponseRule]{
	Keyword: "http-response",
	Parser:  func() parser.ParserInterface { return &http.Responses{} },
	Actions: []actionSpec{
		sharedHTTPAction("add-acl"),
		sharedHTTPAction("add-header"),
		sharedHTTPAction("allow"),
		{Type: "cache-store", New: func() types.Action { return &httpActions.CacheStore{} }, Fields: map[string]string{"Name": "cache_name"}},
		// A response capture fills a declared slot (id): it takes no len.
		{Type: "capture", New: func() types.Action { return &httpActions.Capture{} }, Fields: map[string]string{"Sample": "capture_sample", "SlotID": "capture_id"}},
		sharedHTTPAction("del-acl"),
		sharedHTTPAction("del-header"),
		sharedHTTPAction("del-map"),
		sharedHTTPAction("deny"),
		sharedHTTPAction("lua"),
		sharedHTTPAction("redirect"),
		sharedHTTPAction("replace-header"),
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
		sharedHTTPAction("set-header"),
		sharedHTTPAction("set-log-level"),
		sharedHTTPAction("set-map"),
		sharedHTTPAction("set-mark"),
		sharedHTTPAction("set-nice"),
		sharedHTTPAction("set-status"),
		sharedHTTPAction("set-timeout"),
		sharedHTTPAction("set-tos"),
		sharedHTTPAction("set-var"),
		sharedHTTPAction("set-var-fmt"),
		sharedHTTPAction("silent-drop"),
		sharedHTTPAction("strict-mode"),
		{Type: "track-sc", New: func() types.Action { return &actions.TrackSc{} }, Fields: map[string]string{"StickCounter": "track_sc_stick_counter", "Key": "track_sc_key", "Table": "track_sc_table"},
			FromModel: func(_ reflect.Value, a types.Action) { a.(*actions.TrackSc).Type = actions.TrackScType }},
		sharedHTTPAction("unset-var"),
		sharedHTTPAction("wait-for-body"),
	},
}
