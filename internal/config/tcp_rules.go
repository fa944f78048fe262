package config

import (
	"fmt"
	"reflect"

	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/parsers/actions"
	"github.com/haproxytech/config-parser/v5/parsers/tcp"
	tcpActions "github.com/haproxytech/config-parser/v5/parsers/tcp/actions"
	tcptypes "github.com/haproxytech/config-parser/v5/parsers/tcp/types"
	"github.com/haproxytech/config-parser/v5/types"
)

// TCPRequestRule is a `tcp-request connection|content|session <action>
// ... [if|unless <test>]` or `tcp-request inspect-delay <timeout>` line,
// the Data Plane API v3 `tcp_request_rule` model: `type` is the first
// word, `action` the action. Not in the model: `log_profile` (do-log,
// which config-parser does not read) and `metadata` (nothing in the file
// holds it); such lines are read and written verbatim.
type TCPRequestRule struct {
	Action               string `json:"action,omitempty"`
	BandwidthLimitLimit  string `json:"bandwidth_limit_limit,omitempty"`
	BandwidthLimitName   string `json:"bandwidth_limit_name,omitempty"`
	BandwidthLimitPeriod string `json:"bandwidth_limit_period,omitempty"`
	CaptureLen           int64  `json:"capture_len,omitempty"`
	CaptureSample        string `json:"capture_sample,omitempty"`
	Cond                 string `json:"cond,omitempty"`
	CondTest             string `json:"cond_test,omitempty"`
	Expr                 string `json:"expr,omitempty"`
	GptValue             string `json:"gpt_value,omitempty"`
	LogLevel             string `json:"log_level,omitempty"`
	LUAAction            string `json:"lua_action,omitempty"`
	LUAParams            string `json:"lua_params,omitempty"`
	MarkValue            string `json:"mark_value,omitempty"`
	NiceValue            int64  `json:"nice_value,omitempty"`
	ResolveProtocol      string `json:"resolve_protocol,omitempty"`
	ResolveResolvers     string `json:"resolve_resolvers,omitempty"`
	ResolveVar           string `json:"resolve_var,omitempty"`
	RstTTL               int64  `json:"rst_ttl,omitempty"`
	SCIdx                string `json:"sc_idx,omitempty"`
	SCIncID              string `json:"sc_inc_id,omitempty"`
	SCInt                *int64 `json:"sc_int,omitempty"`
	ServerName           string `json:"server_name,omitempty"`
	ServiceName          string `json:"service_name,omitempty"`
	SpoeEngineName       string `json:"spoe_engine_name,omitempty"`
	SpoeGroupName        string `json:"spoe_group_name,omitempty"`
	SwitchModeProto      string `json:"switch_mode_proto,omitempty"`
	Timeout              *int64 `json:"timeout,omitempty"`
	TOSValue             string `json:"tos_value,omitempty"`
	TrackKey             string `json:"track_key,omitempty"`
	TrackStickCounter    *int64 `json:"track_stick_counter,omitempty"`
	TrackTable           string `json:"track_table,omitempty"`
	Type                 string `json:"type,omitempty"`
	VarFormat            string `json:"var_format,omitempty"`
	VarName              string `json:"var_name,omitempty"`
	VarScope             string `json:"var_scope,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// TCPRequestRules are the `tcp-request` lines of frontends, backends and
// defaults sections, in order.
var TCPRequestRules = actionList(&Collection[TCPRequestRule]{
	Name: "tcp request rule", Path: "tcp_request_rules", OpName: "TCPRequestRule",
	Tag: "TCPRequestRule", Schema: "tcp_request_rule",
	Parents:     []string{KindFrontend, KindBackend, KindDefaults},
	FullSection: "tcp_request_rule_list",
}, tcpRequestActions, func(m *TCPRequestRule) *Unmodelled { return &m.Unmodelled })

// The wrappers of tcp-request and tcp-response: `<word> <action>`.
var (
	tcpConnection = actionWrapper{Key: "connection", New: func() any { return &tcptypes.Connection{} }}
	tcpContent    = actionWrapper{Key: "content", New: func() any { return &tcptypes.Content{} }}
	tcpSession    = actionWrapper{Key: "session", New: func() any { return &tcptypes.Session{} }}
)

var ruleLogLevels = append(append([]string{}, logLevels...), "silent")

// Which tcp-request lines take an action, as config-parser reads them.
var (
	inCCS = []string{"connection", "content", "session"}
	inCC  = []string{"connection", "content"}
	inCS  = []string{"connection", "session"}
	inCon = []string{"connection"}
	inCnt = []string{"content"}
	inSes = []string{"session"}
)

func inspectDelay() fmt.Stringer { return &tcptypes.InspectDelay{} }

// setTrackSc writes track-sc<n> (the counter is in the keyword).
func setTrackSc(_ reflect.Value, a types.Action) { a.(*actions.TrackSc).Type = actions.TrackScType }

var tcpRequestActions = &actionTable[TCPRequestRule]{
	Keyword:  "tcp-request",
	Parser:   func() parser.ParserInterface { return &tcp.Requests{} },
	Key:      []string{"type", "action"},
	Wrappers: []actionWrapper{tcpConnection, tcpContent, tcpSession},
	Enums:    map[string][]string{"log_level": ruleLogLevels, "resolve_protocol": {"ipv4", "ipv6"}},
	Ranges:   map[string][2]int64{"nice_value": {-1024, 1024}},
	Actions: []actionSpec{
		{Type: "inspect-delay", Item: inspectDelay, Fields: map[string]string{"Timeout": "timeout"}, Durations: []string{"timeout"}},
		{Type: "accept", In: inCCS, New: func() types.Action { return &tcpActions.Accept{} }},
		{Type: "attach-srv", In: inSes, New: func() types.Action { return &tcpActions.AttachSrv{} }, Fields: map[string]string{"Server": "server_name"}},
		{Type: "capture", In: inCC, New: func() types.Action { return &tcpActions.Capture{} }, Fields: map[string]string{"Expr": "capture_sample", "Len": "capture_len"}, Words: []string{"capture_sample"}},
		{Type: "do-resolve", In: inCnt, New: func() types.Action { return &actions.DoResolve{} }, Fields: map[string]string{"Var": "resolve_var", "Resolvers": "resolve_resolvers", "Protocol": "resolve_protocol", "Expr": "expr"}, Words: []string{"expr"}},
		{Type: "expect-netscaler-cip", In: inCon, New: func() types.Action { return &tcpActions.ExpectNetscalerCip{} }},
		{Type: "expect-proxy", In: inCon, New: func() types.Action { return &tcpActions.ExpectProxy{} }},
		{Type: "lua", In: inCC, New: func() types.Action { return &actions.Lua{} }, Fields: map[string]string{"Action": "lua_action", "Params": "lua_params"}, Words: []string{"lua_params"}},
		{Type: "reject", In: inCCS, New: func() types.Action { return &actions.Reject{} }},
		{Type: "sc-add-gpc", In: inCCS, New: func() types.Action { return &actions.ScAddGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_inc_id", "Int": "sc_int", "Expr": "expr"}, Words: []string{"expr"}},
		{Type: "sc-inc-gpc", In: inCCS, New: func() types.Action { return &actions.ScIncGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_inc_id"}},
		{Type: "sc-inc-gpc0", In: inCCS, New: func() types.Action { return &actions.ScIncGpc0{} }, Fields: map[string]string{"ID": "sc_inc_id"}},
		{Type: "sc-inc-gpc1", In: inCCS, New: func() types.Action { return &actions.ScIncGpc1{} }, Fields: map[string]string{"ID": "sc_inc_id"}},
		{Type: "sc-set-gpt", In: inCCS, New: func() types.Action { return &actions.ScSetGpt{} }, Fields: map[string]string{"Idx": "sc_idx", "ScID": "sc_inc_id", "Int": "sc_int", "Expr": "gpt_value"}, Words: []string{"gpt_value"}},
		{Type: "sc-set-gpt0", In: inCCS, New: func() types.Action { return &actions.ScSetGpt0{} }, Fields: map[string]string{"ID": "sc_inc_id", "Int": "sc_int", "Expr": "gpt_value"}, Words: []string{"gpt_value"}},
		{Type: "send-spoe-group", In: inCnt, New: func() types.Action { return &actions.SendSpoeGroup{} }, Fields: map[string]string{"Engine": "spoe_engine_name", "Group": "spoe_group_name"}},
		{Type: "set-bandwidth-limit", In: inCnt, New: func() types.Action { return &actions.SetBandwidthLimit{} }, Fields: map[string]string{"Name": "bandwidth_limit_name", "Limit": "bandwidth_limit_limit", "Period": "bandwidth_limit_period"}, Words: []string{"bandwidth_limit_limit", "bandwidth_limit_period"}},
		{Type: "set-dst", In: inCCS, New: func() types.Action { return &actions.SetDst{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-dst-port", In: inCCS, New: func() types.Action { return &actions.SetDstPort{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-log-level", In: inCnt, New: func() types.Action { return &actions.SetLogLevel{} }, Fields: map[string]string{"Level": "log_level"}},
		{Type: "set-mark", In: inCCS, New: func() types.Action { return &actions.SetMark{} }, Fields: map[string]string{"Value": "mark_value"}},
		{Type: "set-nice", In: inCnt, New: func() types.Action { return &actions.SetNice{} }, Fields: map[string]string{"Value": "nice_value"}},
		{Type: "set-priority-class", In: inCnt, New: func() types.Action { return &actions.SetPriorityClass{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-priority-offset", In: inCnt, New: func() types.Action { return &actions.SetPriorityOffset{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-src", In: inCS, New: func() types.Action { return &tcpActions.SetSrc{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-src-port", In: inCCS, New: func() types.Action { return &actions.SetSrcPort{} }, Fields: map[string]string{"Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-tos", In: inCCS, New: func() types.Action { return &actions.SetTos{} }, Fields: map[string]string{"Value": "tos_value"}},
		{Type: "set-var", In: inCCS, New: func() types.Action { return &actions.SetVar{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-var-fmt", In: inCCS, New: func() types.Action { return &actions.SetVarFmt{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Fmt": "var_format"}, Words: []string{"var_format"}},
		{Type: "silent-drop", In: inCCS, New: func() types.Action { return &actions.SilentDrop{} }, Fields: map[string]string{"RstTTL": "rst_ttl"}},
		{Type: "switch-mode", In: inCnt, New: func() types.Action { return &tcpActions.SwitchMode{} }, Fields: map[string]string{"Proto": "switch_mode_proto"}},
		{Type: "track-sc", In: inCCS, New: func() types.Action { return &actions.TrackSc{} }, Fields: map[string]string{"StickCounter": "track_stick_counter", "Key": "track_key", "Table": "track_table"}, FromModel: setTrackSc},
		{Type: "unset-var", In: inCCS, New: func() types.Action { return &actions.UnsetVar{} }, Fields: map[string]string{"Scope": "var_scope", "Name": "var_name"}},
		{Type: "use-service", In: inCnt, New: func() types.Action { return &actions.UseService{} }, Fields: map[string]string{"Name": "service_name"}},
	},
}

// TCPResponseRule is a `tcp-response content <action> ... [if|unless
// <test>]` or `tcp-response inspect-delay <timeout>` line, the Data Plane
// API v3 `tcp_response_rule` model. Not in the model: `log_profile`
// (do-log) and `metadata`.
type TCPResponseRule struct {
	Action               string `json:"action,omitempty"`
	BandwidthLimitLimit  string `json:"bandwidth_limit_limit,omitempty"`
	BandwidthLimitName   string `json:"bandwidth_limit_name,omitempty"`
	BandwidthLimitPeriod string `json:"bandwidth_limit_period,omitempty"`
	Cond                 string `json:"cond,omitempty"`
	CondTest             string `json:"cond_test,omitempty"`
	Expr                 string `json:"expr,omitempty"`
	LogLevel             string `json:"log_level,omitempty"`
	LUAAction            string `json:"lua_action,omitempty"`
	LUAParams            string `json:"lua_params,omitempty"`
	MarkValue            string `json:"mark_value,omitempty"`
	NiceValue            int64  `json:"nice_value,omitempty"`
	RstTTL               int64  `json:"rst_ttl,omitempty"`
	SCExpr               string `json:"sc_expr,omitempty"`
	SCID                 int64  `json:"sc_id,omitempty"`
	SCIdx                int64  `json:"sc_idx,omitempty"`
	SCInt                *int64 `json:"sc_int,omitempty"`
	SpoeEngine           string `json:"spoe_engine,omitempty"`
	SpoeGroup            string `json:"spoe_group,omitempty"`
	Timeout              *int64 `json:"timeout,omitempty"`
	TOSValue             string `json:"tos_value,omitempty"`
	Type                 string `json:"type,omitempty"`
	VarFormat            string `json:"var_format,omitempty"`
	VarName              string `json:"var_name,omitempty"`
	VarScope             string `json:"var_scope,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// TCPResponseRules are the `tcp-response` lines of backends and defaults
// sections, in order.
var TCPResponseRules = actionList(&Collection[TCPResponseRule]{
	Name: "tcp response rule", Path: "tcp_response_rules", OpName: "TCPResponseRule",
	Tag: "TCPResponseRule", Schema: "tcp_response_rule",
	Parents:     []string{KindBackend, KindDefaults},
	FullSection: "tcp_response_rule_list",
}, tcpResponseActions, func(m *TCPResponseRule) *Unmodelled { return &m.Unmodelled })

var tcpResponseActions = &actionTable[TCPResponseRule]{
	Keyword:  "tcp-response",
	Parser:   func() parser.ParserInterface { return &tcp.Responses{} },
	Key:      []string{"type", "action"},
	Wrappers: []actionWrapper{tcpContent},
	Enums:    map[string][]string{"log_level": ruleLogLevels},
	Ranges:   map[string][2]int64{"nice_value": {-1024, 1024}},
	Actions: []actionSpec{
		{Type: "inspect-delay", Item: inspectDelay, Fields: map[string]string{"Timeout": "timeout"}, Durations: []string{"timeout"}},
		{Type: "accept", In: inCnt, New: func() types.Action { return &tcpActions.Accept{} }},
		{Type: "close", In: inCnt, New: func() types.Action { return &tcpActions.Close{} }},
		{Type: "lua", In: inCnt, New: func() types.Action { return &actions.Lua{} }, Fields: map[string]string{"Action": "lua_action", "Params": "lua_params"}, Words: []string{"lua_params"}},
		{Type: "reject", In: inCnt, New: func() types.Action { return &actions.Reject{} }},
		{Type: "sc-add-gpc", In: inCnt, New: func() types.Action { return &actions.ScAddGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_id", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "sc-inc-gpc", In: inCnt, New: func() types.Action { return &actions.ScIncGpc{} }, Fields: map[string]string{"Idx": "sc_idx", "ID": "sc_id"}},
		{Type: "sc-inc-gpc0", In: inCnt, New: func() types.Action { return &actions.ScIncGpc0{} }, Fields: map[string]string{"ID": "sc_id"}},
		{Type: "sc-inc-gpc1", In: inCnt, New: func() types.Action { return &actions.ScIncGpc1{} }, Fields: map[string]string{"ID": "sc_id"}},
		{Type: "sc-set-gpt", In: inCnt, New: func() types.Action { return &actions.ScSetGpt{} }, Fields: map[string]string{"ScID": "sc_id", "Idx": "sc_idx", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "sc-set-gpt0", In: inCnt, New: func() types.Action { return &actions.ScSetGpt0{} }, Fields: map[string]string{"ID": "sc_id", "Int": "sc_int", "Expr": "sc_expr"}, Words: []string{"sc_expr"}},
		{Type: "send-spoe-group", In: inCnt, New: func() types.Action { return &actions.SendSpoeGroup{} }, Fields: map[string]string{"Engine": "spoe_engine", "Group": "spoe_group"}},
		{Type: "set-bandwidth-limit", In: inCnt, New: func() types.Action { return &actions.SetBandwidthLimit{} }, Fields: map[string]string{"Name": "bandwidth_limit_name", "Limit": "bandwidth_limit_limit", "Period": "bandwidth_limit_period"}, Words: []string{"bandwidth_limit_limit", "bandwidth_limit_period"}},
		{Type: "set-log-level", In: inCnt, New: func() types.Action { return &actions.SetLogLevel{} }, Fields: map[string]string{"Level": "log_level"}},
		{Type: "set-mark", In: inCnt, New: func() types.Action { return &actions.SetMark{} }, Fields: map[string]string{"Value": "mark_value"}},
		{Type: "set-nice", In: inCnt, New: func() types.Action { return &actions.SetNice{} }, Fields: map[string]string{"Value": "nice_value"}},
		{Type: "set-tos", In: inCnt, New: func() types.Action { return &actions.SetTos{} }, Fields: map[string]string{"Value": "tos_value"}},
		{Type: "set-var", In: inCnt, New: func() types.Action { return &actions.SetVar{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Expr": "expr"}, Words: []string{"expr"}},
		{Type: "set-var-fmt", In: inCnt, New: func() types.Action { return &actions.SetVarFmt{} }, Fields: map[string]string{"VarScope": "var_scope", "VarName": "var_name", "Fmt": "var_format"}, Words: []string{"var_format"}},
		{Type: "silent-drop", In: inCnt, New: func() types.Action { return &actions.SilentDrop{} }, Fields: map[string]string{"RstTTL": "rst_ttl"}},
		{Type: "unset-var", In: inCnt, New: func() types.Action { return &actions.UnsetVar{} }, Fields: map[string]string{"Scope": "var_scope", "Name": "var_name"}},
	},
}

// QUICInitialRule is a `quic-initial <action> [if|unless <test>]` line of
// a frontend or defaults section (HAProxy 3.1+), the Data Plane API v3
// `quic_initial_rule` model. config-parser does not read the keyword:
// every line reads verbatim, and a rule is written as the model says and
// left to `haproxy -c`, which refuses it on HAProxy versions that do not
// know the keyword (a 400 carrying its message, nothing written).
type QUICInitialRule struct {
	Type string `json:"type,omitempty"`
	Condition
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var quicInitialActions = []string{"reject", "accept", "send-retry", "dgram-drop"}

var QUICInitialRules = ruleList(&Collection[QUICInitialRule]{
	Name: "QUIC initial rule", Path: "quic_initial_rules", OpName: "QUICInitialRule",
	Tag: "QUICInitialRule", Schema: "quic_initial_rule", Keyword: "quic-initial",
	Parents:     []string{KindFrontend, KindDefaults},
	FullSection: "quic_initial_rule_list",
	// Nothing reads the keyword: every line is verbatim.
	Parse: func(Line) (QUICInitialRule, bool) { return QUICInitialRule{}, false },
	Render: func(m *QUICInitialRule, _ *Line) []string {
		return append([]string{"quic-initial", m.Type}, m.words()...)
	},
	Check: func(m *QUICInitialRule) error {
		if err := checkEnum("type", m.Type, quicInitialActions...); err != nil {
			return err
		}
		return m.Condition.check()
	},
}, func(m *QUICInitialRule) *Unmodelled { return &m.Unmodelled })
