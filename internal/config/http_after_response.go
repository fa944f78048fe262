package config

import (
	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/parsers/http"
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
	Meta // metadata: the trailing comment of its line (metadata.go)
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
		sharedHTTPAction("add-header"),
		sharedHTTPAction("allow"),
		sharedHTTPAction("capture"),
		sharedHTTPAction("del-acl"),
		sharedHTTPAction("del-header"),
		sharedHTTPAction("del-map"),
		sharedHTTPAction("replace-header"),
		sharedHTTPAction("replace-value"),
		sharedHTTPAction("sc-add-gpc"),
		sharedHTTPAction("sc-inc-gpc"),
		sharedHTTPAction("sc-inc-gpc0"),
		sharedHTTPAction("sc-inc-gpc1"),
		sharedHTTPAction("sc-set-gpt"),
		sharedHTTPAction("sc-set-gpt0"),
		sharedHTTPAction("set-header"),
		sharedHTTPAction("set-log-level"),
		sharedHTTPAction("set-map"),
		sharedHTTPAction("set-status"),
		sharedHTTPAction("set-var"),
		sharedHTTPAction("set-var-fmt"),
		sharedHTTPAction("strict-mode"),
		sharedHTTPAction("unset-var"),
	},
}
