package config

import (
	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/parsers/actions"
	"github.com/haproxytech/config-parser/v5/parsers/http"
	httpActions "github.com/haproxytech/config-parser/v5/parsers/http/actions"
	"github.com/haproxytech/config-parser/v5/types"
)

// HTTPAfterResponseRule is an `http-after-response <action> ... [if|unless
// <test>]` line, the Data Plane API v3 `http_after_response_rule` model.
// The fields only v3 actions config-parser does not have can carry
// (hdr_expr and hdr_prefix of the *-headers-bin actions, do-log's
// log_profile) are not in the model: such lines are read and written
// verbatim.
type HTTPAfterResponseRule struct {
	ACLFile       string `json:"acl_file,omitempty"`
	ACLKeyfmt     string `json:"acl_keyfmt,omitempty"`
	CaptureID     *int64 `json:"capture_id,omitempty"`
	CaptureLen    int64  `json:"capture_len,omitempty"`
	CaptureSample string `json:"capture_sample,omitempty"`
	Cond          string `json:"cond,omitempty"`
	CondTest      string `json:"cond_test,omitempty"`
	HdrFormat     string `json:"hdr_format,omitempty"`
	HdrMatch      string `json:"hdr_match,omitempty"`
	HdrMethod     string `json:"hdr_method,omitempty"`
	HdrName       string `json:"hdr_name,omitempty"`
	LogLevel      string `json:"log_level,omitempty"`
	MapFile       string `json:"map_file,omitempty"`
	MapKeyfmt     string `json:"map_keyfmt,omitempty"`
	MapValuefmt   string `json:"map_valuefmt,omitempty"`
	SCExpr        string `json:"sc_expr,omitempty"`
	SCID          int64  `json:"sc_id,omitempty"`
	SCIdx         int64  `json:"sc_idx,omitempty"`
	SCInt         *int64 `json:"sc_int,omitempty"`
	Status        int64  `json:"status,omitempty"`
	StatusReason  string `json:"status_reason,omitempty"`
	StrictMode    string `json:"strict_mode,omitempty"`
	Type          string `json:"type,omitempty"`
	VarExpr       string `json:"var_expr,omitempty"`
	VarFormat     string `json:"var_format,omitempty"`
	VarName       string `json:"var_name,omitempty"`
	VarScope      string `json:"var_scope,omitempty"`
	Unmodelled
}

// HTTPAfterResponseRules are the `http-after-response` lines of frontends,
// backends and defaults sections, in order. HAProxy runs them on every
// answer, the ones it makes itself (return, deny, errors) included.
var HTTPAfterResponseRules = actionList(&Collection[HTTPAfterResponseRule]{
	Name: "http after response rule", Path: "http_after_response_rules", OpName: "HTTPAfterResponseRule",
	Tag: "HTTPAfterResponseRule", Schema: "http_after_response_rule",
	Parents:     []string{KindFrontend, KindBackend, KindDefaults},
	FullSection: "http_after_response_rule_list",
}, httpAfterResponseActions, func(m *HTTPAfterResponseRule) *Unmodelled { return &m.Unmodelled })

var httpAfterResponseActions = &actionTable[HTTPAfterResponseRule]{
	Keyword: "http-after-response",
	Parser:  func() parser.ParserInterface { return &http.AfterResponses{} },
	Actions: []actionSpec{
		{Type: "add-header", New: func() types.Action { return &httpActions.AddHeader{} }, Fields: map[string]string{"Name": "hdr_name", "Fmt": "hdr_format"}},
		{Type: "allow", New: func() types.Action { return &httpActions.Allow{} }},
		{Type: "capture", New: func() types.Action { return &httpActions.Capture{} }, Fields: map[string]string{"Sample": "capture_sample", "Len": "capture_len", "SlotID": "capture_id"}},
		{Type: "del-acl", New: func() types.Action { return &httpActions.DelACL{} }, Fields: map[string]string{"FileName": "acl_file", "KeyFmt": "acl_keyfmt"}},
		{Type: "del-header", New: func() types.Action { return &httpActions.DelHeader{} }, Fields: map[string]string{"Name": "hdr_name", "Method": "hdr_method"}},
		{Type: "del-map", New: func() types.Action { return &httpActions.DelMap{} }, Fields: map[string]string{"FileName": "map_file", "KeyFmt": "map_keyfmt"}},
		{Type: "replace-header", New: func() types.Action { return &httpActions.ReplaceHeader{} }, Fields: map[string]string{"Name": "hdr_name", "MatchRegex": "hdr_match", "ReplaceFmt": "hdr_format"}},
		{Type: "replace-value", New: func() types.Action { return &httpActions.ReplaceValue{} }, Fields: map[string]string{"Name": "hdr_name", "MatchRegex": "hdr_match", "ReplaceFmt": "hdr_format"}},
		{Type: "sc-add-gpc", New: func() types.Action { return &actions.ScAddGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_id", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "sc-inc-gpc", New: func() types.Action { return &actions.ScIncGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_id"}},
		{Type: "sc-inc-gpc0", New: func() types.Action { return &actions.ScIncGpc0{} }, Fields: map[string]string{"ID": "sc_id"}},
		{Type: "sc-inc-gpc1", New: func() types.Action { return &actions.ScIncGpc1{} }, Fields: map[string]string{"ID": "sc_id"}},
		{Type: "sc-set-gpt", New: func() types.Action { return &actions.ScSetGpt{} }, Fields: map[string]string{"ScID": "sc_id", "Idx": "sc_idx", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "sc-set-gpt0", New: func() types.Action { return &actions.ScSetGpt0{} }, Fields: map[string]string{"ID": "sc_id", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "set-header", New: func() types.Action { return &httpActions.SetHeader{} }, Fields: map[string]string{"Name": "hdr_name", "Fmt": "hdr_format"}},
		{Type: "set-log-level", New: func() types.Action { return &actions.SetLogLevel{} }, Fields: map[string]string{"Level": "log_level"}},
		{Type: "set-map", New: func() types.Action { return &httpActions.SetMap{} }, Fields: map[string]string{"FileName": "map_file", "KeyFmt": "map_keyfmt", "ValueFmt": "map_valuefmt"}},
		{Type: "set-status", New: func() types.Action { return &httpActions.SetStatus{} }, Fields: map[string]string{"Status": "status", "Reason": "status_reason"}},
		{Type: "set-var", New: func() types.Action { return &actions.SetVar{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Expr": "var_expr"}, Words: []string{"var_expr"}},
		{Type: "set-var-fmt", New: func() types.Action { return &actions.SetVarFmt{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Fmt": "var_format"}, Words: []string{"var_format"}},
		{Type: "strict-mode", New: func() types.Action { return &httpActions.StrictMode{} }, Fields: map[string]string{"Mode": "strict_mode"}},
		{Type: "unset-var", New: func() types.Action { return &actions.UnsetVar{} }, Fields: map[string]string{"Scope": "var_scope", "Name": "var_name"}},
	},
}
