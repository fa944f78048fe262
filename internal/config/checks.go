package config

import (
	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/parsers/actions"
	"github.com/haproxytech/config-parser/v5/parsers/http"
	httpActions "github.com/haproxytech/config-parser/v5/parsers/http/actions"
	"github.com/haproxytech/config-parser/v5/parsers/tcp"
	tcpActions "github.com/haproxytech/config-parser/v5/parsers/tcp/actions"
	"github.com/haproxytech/config-parser/v5/types"
)

// The health check rule lists: `http-check` and `tcp-check` lines, in
// order (HAProxy runs them as one check sequence). They are lines of their
// own: `option httpchk` and `option tcp-check` (the backend's adv_check
// and httpchk_params) are `option` lines, which these lists never hold.

// HTTPCheck is an `http-check <type> ...` line of a backend or defaults
// section, the Data Plane API v3 `http_check` model. Not in the model:
// `port_string` (a port that is not a number reads verbatim) and
// `metadata`.
type HTTPCheck struct {
	Addr            string        `json:"addr,omitempty"`
	ALPN            string        `json:"alpn,omitempty"`
	Body            string        `json:"body,omitempty"`
	BodyLogFormat   string        `json:"body_log_format,omitempty"`
	CheckComment    string        `json:"check_comment,omitempty"`
	Default         bool          `json:"default,omitempty"`
	ErrorStatus     string        `json:"error_status,omitempty"`
	ExclamationMark bool          `json:"exclamation_mark,omitempty"`
	Headers         []CheckHeader `json:"headers,omitempty"`
	Linger          bool          `json:"linger,omitempty"`
	Match           string        `json:"match,omitempty"`
	Method          string        `json:"method,omitempty"`
	MinRecv         *int64        `json:"min_recv,omitempty"`
	OKStatus        string        `json:"ok_status,omitempty"`
	OnError         string        `json:"on_error,omitempty"`
	OnSuccess       string        `json:"on_success,omitempty"`
	Pattern         string        `json:"pattern,omitempty"`
	Port            *int64        `json:"port,omitempty"`
	Proto           string        `json:"proto,omitempty"`
	SendProxy       bool          `json:"send_proxy,omitempty"`
	SNI             string        `json:"sni,omitempty"`
	SSL             bool          `json:"ssl,omitempty"`
	StatusCode      string        `json:"status-code,omitempty"`
	ToutStatus      string        `json:"tout_status,omitempty"`
	Type            string        `json:"type,omitempty"`
	URI             string        `json:"uri,omitempty"`
	URILogFormat    string        `json:"uri_log_format,omitempty"`
	VarExpr         string        `json:"var_expr,omitempty"`
	VarFormat       string        `json:"var_format,omitempty"`
	VarName         string        `json:"var_name,omitempty"`
	VarScope        string        `json:"var_scope,omitempty"`
	Version         string        `json:"version,omitempty"`
	ViaSocks4       bool          `json:"via_socks4,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// CheckHeader is one `hdr <name> <fmt>` of an http-check send (the v3
// return_header).
type CheckHeader struct {
	Name   string `json:"name"`
	Format string `json:"fmt"`
}

var HTTPChecks = actionList(&Collection[HTTPCheck]{
	Name: "http check", Path: "http_checks", OpName: "HTTPCheck",
	Tag: "HTTPCheck", Schema: "http_check",
	Parents:     []string{KindBackend, KindDefaults, KindHealthcheck},
	FullSection: "http_check_list",
}, httpCheckActions, func(m *HTTPCheck) *Unmodelled { return &m.Unmodelled })

// The fields of the check actions both keywords share.
var (
	checkConnectFields = map[string]string{"Port": "port", "Addr": "addr", "SNI": "sni", "ALPN": "alpn", "Proto": "proto",
		"CheckComment": "check_comment", "Default": "default", "SendProxy": "send_proxy", "ViaSOCKS4": "via_socks4", "SSL": "ssl", "Linger": "linger"}
	checkStatuses = map[string][]string{"ok_status": {"L7OK", "L7OKC", "L6OK", "L4OK"},
		"error_status": {"L7OKC", "L7RSP", "L7STS", "L6RSP", "L4CON"}, "tout_status": {"L7TOUT", "L6TOUT", "L4TOUT"}}
	checkPort         = map[string][2]int64{"port": {1, 65535}}
	checkExpectFields = map[string]string{"MinRecv": "min_recv", "CheckComment": "check_comment", "OKStatus": "ok_status",
		"ErrorStatus": "error_status", "TimeoutStatus": "tout_status", "OnSuccess": "on_success", "OnError": "on_error",
		"StatusCode": "status-code", "ExclamationMark": "exclamation_mark", "Match": "match", "Pattern": "pattern"}
)

var httpCheckActions = &actionTable[HTTPCheck]{
	Keyword: "http-check",
	Parser:  func() parser.ParserInterface { return &http.Checks{} },
	Enums: withEnums(checkStatuses, map[string][]string{"match": {"status", "rstatus", "hdr", "fhdr", "string", "rstring"},
		"method": {"HEAD", "PUT", "POST", "GET", "TRACE", "PATCH", "DELETE", "CONNECT", "OPTIONS"}}),
	Ranges: checkPort,
	Actions: []actionSpec{
		{Type: "comment", New: func() types.Action { return &httpActions.CheckComment{} }, Fields: map[string]string{"LogMessage": "check_comment"}},
		{Type: "connect", New: func() types.Action { return &actions.CheckConnect{} }, Fields: checkConnectFields},
		{Type: "disable-on-404", New: func() types.Action { return &httpActions.CheckDisableOn404{} }},
		{Type: "expect", New: func() types.Action { return &actions.CheckExpect{} }, Fields: checkExpectFields, Words: []string{"pattern"}},
		{Type: "send", New: func() types.Action { return &httpActions.CheckSend{} }, Fields: map[string]string{"Method": "method", "URI": "uri",
			"URILogFormat": "uri_log_format", "Version": "version", "Header": "headers", "Body": "body", "BodyLogFormat": "body_log_format", "CheckComment": "check_comment"}},
		{Type: "send-state", New: func() types.Action { return &httpActions.CheckSendState{} }},
		{Type: "set-var", New: func() types.Action { return &actions.SetVarCheck{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Expr": "var_expr"}, Words: []string{"var_expr"}},
		{Type: "set-var-fmt", New: func() types.Action { return &actions.SetVarFmtCheck{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Format": "var_format"}, Words: []string{"var_format"}},
		{Type: "unset-var", New: func() types.Action { return &actions.UnsetVarCheck{} }, Fields: map[string]string{"Scope": "var_scope", "Name": "var_name"}},
	},
}

// TCPCheck is a `tcp-check <action> ...` line of a backend or defaults
// section, the Data Plane API v3 `tcp_check` model (its `action` names
// the action). Not in the model: `port_string` and `metadata`.
type TCPCheck struct {
	Action          string `json:"action,omitempty"`
	Addr            string `json:"addr,omitempty"`
	ALPN            string `json:"alpn,omitempty"`
	CheckComment    string `json:"check_comment,omitempty"`
	Data            string `json:"data,omitempty"`
	Default         bool   `json:"default,omitempty"`
	ErrorStatus     string `json:"error_status,omitempty"`
	ExclamationMark bool   `json:"exclamation_mark,omitempty"`
	Fmt             string `json:"fmt,omitempty"`
	HexFmt          string `json:"hex_fmt,omitempty"`
	HexString       string `json:"hex_string,omitempty"`
	Linger          bool   `json:"linger,omitempty"`
	Match           string `json:"match,omitempty"`
	MinRecv         *int64 `json:"min_recv,omitempty"`
	OKStatus        string `json:"ok_status,omitempty"`
	OnError         string `json:"on_error,omitempty"`
	OnSuccess       string `json:"on_success,omitempty"`
	Pattern         string `json:"pattern,omitempty"`
	Port            *int64 `json:"port,omitempty"`
	Proto           string `json:"proto,omitempty"`
	SendProxy       bool   `json:"send_proxy,omitempty"`
	SNI             string `json:"sni,omitempty"`
	SSL             bool   `json:"ssl,omitempty"`
	StatusCode      string `json:"status-code,omitempty"`
	ToutStatus      string `json:"tout_status,omitempty"`
	VarExpr         string `json:"var_expr,omitempty"`
	VarFmt          string `json:"var_fmt,omitempty"`
	VarName         string `json:"var_name,omitempty"`
	VarScope        string `json:"var_scope,omitempty"`
	ViaSocks4       bool   `json:"via_socks4,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var TCPChecks = actionList(&Collection[TCPCheck]{
	Name: "tcp check", Path: "tcp_checks", OpName: "TCPCheck",
	Tag: "TCPCheck", Schema: "tcp_check",
	Parents:     []string{KindBackend, KindDefaults, KindHealthcheck},
	FullSection: "tcp_check_rule_list",
	// The contract's healthcheck model names its list otherwise.
	FullSectionIn: map[string]string{KindHealthcheck: "tcp_check_list"},
}, tcpCheckActions, func(m *TCPCheck) *Unmodelled { return &m.Unmodelled })

var tcpCheckActions = &actionTable[TCPCheck]{
	Keyword: "tcp-check",
	Parser:  func() parser.ParserInterface { return &tcp.Checks{} },
	Key:     []string{"action"},
	Enums:   withEnums(checkStatuses, map[string][]string{"match": {"string", "rstring", "string-lf", "binary", "rbinary", "binary-lf"}}),
	Ranges:  checkPort,
	Actions: []actionSpec{
		{Type: "comment", New: func() types.Action { return &tcpActions.CheckComment{} }, Fields: map[string]string{"LogMessage": "check_comment"}},
		{Type: "connect", New: func() types.Action { return &actions.CheckConnect{} }, Fields: checkConnectFields},
		{Type: "expect", New: func() types.Action { return &actions.CheckExpect{} }, Fields: checkExpectFields, Words: []string{"pattern"}},
		{Type: "send", New: func() types.Action { return &tcpActions.CheckSend{} }, Fields: map[string]string{"Data": "data", "CheckComment": "check_comment"}},
		{Type: "send-binary", New: func() types.Action { return &tcpActions.CheckSendBinary{} }, Fields: map[string]string{"HexString": "hex_string", "CheckComment": "check_comment"}},
		{Type: "send-binary-lf", New: func() types.Action { return &tcpActions.CheckSendBinaryLf{} }, Fields: map[string]string{"HexFmt": "hex_fmt", "CheckComment": "check_comment"}},
		{Type: "send-lf", New: func() types.Action { return &tcpActions.CheckSendLf{} }, Fields: map[string]string{"Fmt": "fmt", "CheckComment": "check_comment"}},
		{Type: "set-var", New: func() types.Action { return &actions.SetVarCheck{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Expr": "var_expr"}, Words: []string{"var_expr"}},
		{Type: "set-var-fmt", New: func() types.Action { return &actions.SetVarFmtCheck{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Format": "var_fmt"}, Words: []string{"var_fmt"}},
		{Type: "unset-var", New: func() types.Action { return &actions.UnsetVarCheck{} }, Fields: map[string]string{"Scope": "var_scope", "Name": "var_name"}},
	},
}

// withEnums returns the enums of a and b together.
func withEnums(a, b map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
