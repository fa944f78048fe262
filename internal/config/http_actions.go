package config

import (
	"fmt"

	"github.com/haproxytech/config-parser/v5/parsers/actions"
	httpActions "github.com/haproxytech/config-parser/v5/parsers/http/actions"
	"github.com/haproxytech/config-parser/v5/types"
)

// httpSharedActions are the actions that read and write the same way
// under several http-* keywords (http-request, http-response,
// http-after-response), declared once; each keyword's table takes them by
// type with sharedHTTPAction, beside the ones of its own.
var httpSharedActions = func() map[string]actionSpec {
	specs := []actionSpec{
		{Type: "add-acl", New: func() types.Action { return &httpActions.AddACL{} }, Fields: map[string]string{"FileName": "acl_file", "KeyFmt": "acl_keyfmt"}},
		{Type: "add-header", New: func() types.Action { return &httpActions.AddHeader{} }, Fields: map[string]string{"Name": "hdr_name", "Fmt": "hdr_format"}},
		{Type: "allow", New: func() types.Action { return &httpActions.Allow{} }},
		{Type: "capture", New: func() types.Action { return &httpActions.Capture{} }, Fields: map[string]string{"Sample": "capture_sample", "Len": "capture_len", "SlotID": "capture_id"}},
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
		{Type: "unset-var", New: func() types.Action { return &actions.UnsetVar{} }, Fields: map[string]string{"Scope": "var_scope", "Name": "var_name"}},
		{Type: "wait-for-body", New: func() types.Action { return &httpActions.WaitForBody{} }, Fields: map[string]string{"Time": "wait_time", "AtLeast": "wait_at_least"}},
	}
	m := make(map[string]actionSpec, len(specs))
	for _, s := range specs {
		m[s.Type] = s
	}
	return m
}()

// sharedHTTPAction returns a copy of the shared action of type typ.
func sharedHTTPAction(typ string) actionSpec {
	s, ok := httpSharedActions[typ]
	if !ok {
		panic(fmt.Sprintf("no shared http action %q", typ))
	}
	return actionSpec{Type: s.Type, New: s.New, Item: s.Item, Fields: s.Fields, Words: s.Words, Match: s.Match,
		ToModel: s.ToModel, FromModel: s.FromModel, In: s.In, Durations: s.Durations}
}
