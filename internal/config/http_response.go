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
		{Type: "add-acl", New: func() types.Action { return &httpActions.AddACL{} }, Fields: map[string]string{"FileName": "acl_file", "KeyFmt": "acl_keyfmt"}},
		{Type: "add-header", New: func() types.Action { return &httpActions.AddHeader{} }, Fields: map[string]string{"Name": "hdr_name", "Fmt": "hdr_format"}},
		{Type: "allow", New: func() types.Action { return &httpActions.Allow{} }},
		{Type: "cache-store", New: func() types.Action { return &httpActions.CacheStore{} }, Fields: map[string]string{"Name": "cache_name"}},
		// A response capture fills a declared slot (id): it takes no len.
		{Type: "capture", New: func() types.Action { return &httpActions.Capture{} }, Fields: map[string]string{"Sample": "capture_sample", "SlotID": "capture_id"}},
		{Type: "del-acl", New: func() types.Action { return &httpActions.DelACL{} }, Fields: map[string]string{"FileName": "acl_file", "KeyFmt": "acl_keyfmt"}},
		{Type: "del-header", New: func() types.Action { return &httpActions.DelHeader{} }, Fields: map[string]string{"Name": "hdr_name", "Method": "hdr_method"}},
		{Type: "del-map", New: func() types.Action { return &httpActions.DelMap{} }, Fields: map[string]string{"FileName": "map_file", "KeyFmt": "map_keyfmt"}},
		{Type: "deny", New: func() types.Action { return &httpActions.Deny{} }, Fields: returnFields("deny_status"), Words: []string{"return_content"}},
		{Type: "lua", New: func() types.Action { return &actions.Lua{} }, Fields: map[string]string{"Action": "lua_action", "Params": "lua_params"}, Words: []string{"lua_params"}},
		{Type: "redirect", New: func() types.Action { return &httpActions.Redirect{} }, Fields: map[string]string{"Type": "redir_type", "Value": "redir_value", "Code": "redir_code", "Option": "redir_option"}, Words: []string{"redir_option"}},
		{Type: "replace-header", New: func() types.Action { return &httpActions.ReplaceHeader{} }, Fields: map[string]string{"Name": "hdr_name", "MatchRegex": "hdr_match", "ReplaceFmt": "hdr_format"}},
		{Type: "replace-value", New: func() types.Action { return &httpActions.ReplaceValue{} }, Fields: map[string]string{"Name": "hdr_name", "MatchRegex": "hdr_match", "ReplaceFmt": "hdr_format"}},
		{Type: "return", New: func() types.Action { return &httpActions.Return{} }, Fields: returnFields("return_status_code"), Words: []string{"return_content"}},
		{Type: "sc-add-gpc", New: func() types.Action { return &actions.ScAddGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_id", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "sc-inc-gpc", New: func() types.Action { return &actions.ScIncGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_id"}},
		{Type: "sc-inc-gpc0", New: func() types.Action { return &actions.ScIncGpc0{} }, Fields: map[string]string{"ID": "sc_id"}},
		{Type: "sc-inc-gpc1", New: func() types.Action { return &actions.ScIncGpc1{} }, Fields: map[string]string{"ID": "sc_id"}},
		{Type: "sc-set-gpt", New: func() types.Action { return &actions.ScSetGpt{} }, Fields: map[string]string{"ScID": "sc_id", "Idx": "sc_idx", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "sc-set-gpt0", New: func() types.Action { return &actions.ScSetGpt0{} }, Fields: map[string]string{"ID": "sc_id", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "send-spoe-group", New: func() types.Action { return &actions.SendSpoeGroup{} }, Fields: map[string]string{"Engine": "spoe_engine", "Group": "spoe_group"}},
		{Type: "set-bandwidth-limit", New: func() types.Action { return &actions.SetBandwidthLimit{} }, Fields: map[string]string{"Name": "bandwidth_limit_name", "Limit": "bandwidth_limit_limit", "Period": "bandwidth_limit_period"}, Words: []string{"bandwidth_limit_limit", "bandwidth_limit_period"}},
		{Type: "set-header", New: func() types.Action { return &httpActions.SetHeader{} }, Fields: map[string]string{"Name": "hdr_name", "Fmt": "hdr_format"}},
		{Type: "set-log-level", New: func() types.Action { return &actions.SetLogLevel{} }, Fields: map[string]string{"Level": "log_level"}},
		{Type: "set-map", New: func() types.Action { return &httpActions.SetMap{} }, Fields: map[string]string{"FileName": "map_file", "KeyFmt": "map_keyfmt", "ValueFmt": "map_valuefmt"}},
		{Type: "set-mark", New: func() types.Action { return &actions.SetMark{} }, Fields: map[string]string{"Value": "mark_value"}},
		{Type: "set-nice", New: func() types.Action { return &actions.SetNice{} }, Fields: map[string]string{"Value": "nice_value"}},
		{Type: "set-status", New: func() types.Action { return &httpActions.SetStatus{} }, Fields: map[string]string{"Status": "status", "Reason": "status_reason"}},
		{Type: "set-timeout", New: func() types.Action { return &httpActions.SetTimeout{} }, Fields: map[string]string{"Type": "timeout_type", "Timeout": "timeout"}},
		{Type: "set-tos", New: func() types.Action { return &actions.SetTos{} }, Fields: map[string]string{"Value": "tos_value"}},
		{Type: "set-var", New: func() types.Action { return &actions.SetVar{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Expr": "var_expr"}, Words: []string{"var_expr"}},
		{Type: "set-var-fmt", New: func() types.Action { return &actions.SetVarFmt{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Fmt": "var_format"}, Words: []string{"var_format"}},
		{Type: "silent-drop", New: func() types.Action { return &actions.SilentDrop{} }, Fields: map[string]string{"RstTTL": "rst_ttl"}},
		{Type: "strict-mode", New: func() types.Action { return &httpActions.StrictMode{} }, Fields: map[string]string{"Mode": "strict_mode"}},
		{Type: "track-sc", New: func() types.Action { return &actions.TrackSc{} }, Fields: map[string]string{"StickCounter": "track_sc_stick_counter", "Key": "track_sc_key", "Table": "track_sc_table"},
			FromModel: func(_ reflect.Value, a types.Action) { a.(*actions.TrackSc).Type = actions.TrackScType }},
		{Type: "unset-var", New: func() types.Action { return &actions.UnsetVar{} }, Fields: map[string]string{"Scope": "var_scope", "Name": "var_name"}},
		{Type: "wait-for-body", New: func() types.Action { return &httpActions.WaitForBody{} }, Fields: map[string]string{"Time": "wait_time", "AtLeast": "wait_at_least"}},
	},
}
