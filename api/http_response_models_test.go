package api

import "dataplane/internal/config"

// The http-response, http-after-response and http-error rules: a fully
// populated item and one variant per action type config-parser knows,
// each written and read back by addItem.

func hrs(r config.HTTPResponseRule) any      { return r }
func har(r config.HTTPAfterResponseRule) any { return r }
func her(r config.HTTPErrorRule) any         { return r }

func init() {
	i64p := func(n int64) *int64 { return &n }
	fe, be := config.KindFrontend, config.KindBackend
	registerRuleModel(ruleModel{
		schema: "http_response_rule", list: "http_response_rules",
		full: config.HTTPResponseRule{Type: "return", ReturnStatusCode: i64p(503), ReturnContentType: "text/plain",
			ReturnContentFormat: "string", ReturnContent: `"down"`, ReturnHdrs: []config.ReturnHeader{{Name: "X-A", Fmt: "%[status]"}},
			Cond: "if", CondTest: "{ status 500 }"},
		variants: []any{
			hrs(config.HTTPResponseRule{Type: "add-acl", ACLFile: "/etc/haproxy/a.acl", ACLKeyfmt: "%[src]"}),
			hrs(config.HTTPResponseRule{Type: "add-header", HdrName: "X-D", HdrFormat: `"a b"`}),
			hrs(config.HTTPResponseRule{Type: "allow"}),
			hrs(config.HTTPResponseRule{Type: "cache-store", CacheName: "c1"}),
			hrs(config.HTTPResponseRule{Type: "capture", CaptureSample: "res.hdr(server)", CaptureID: i64p(0)}),
			hrs(config.HTTPResponseRule{Type: "capture", CaptureSample: "res.hdr(server)", CaptureID: i64p(1)}),
			hrs(config.HTTPResponseRule{Type: "del-acl", ACLFile: "/etc/haproxy/a.acl", ACLKeyfmt: "%[src]"}),
			hrs(config.HTTPResponseRule{Type: "del-header", HdrName: "Server", HdrMethod: "str"}),
			hrs(config.HTTPResponseRule{Type: "del-map", MapFile: "/etc/haproxy/m.map", MapKeyfmt: "%[src]"}),
			hrs(config.HTTPResponseRule{Type: "deny", DenyStatus: i64p(502)}),
			hrs(config.HTTPResponseRule{Type: "lua", LUAAction: "foo", LUAParams: "a b"}),
			hrs(config.HTTPResponseRule{Type: "redirect", RedirType: "location", RedirValue: "/x", RedirCode: i64p(302), RedirOption: "set-cookie SEEN=1"}),
			hrs(config.HTTPResponseRule{Type: "replace-header", HdrName: "Set-Cookie", HdrMatch: "(.*)", HdrFormat: `"\1; Secure"`}),
			hrs(config.HTTPResponseRule{Type: "replace-value", HdrName: "Cache-Control", HdrMatch: "^public$", HdrFormat: "private"}),
			hrs(config.HTTPResponseRule{Type: "return", ReturnStatusCode: i64p(200), ReturnContentFormat: "default-errorfiles"}),
			hrs(config.HTTPResponseRule{Type: "sc-add-gpc", SCIdx: 1, SCID: 2, SCInt: i64p(5)}),
			hrs(config.HTTPResponseRule{Type: "sc-inc-gpc", SCIdx: 1, SCID: 2}),
			hrs(config.HTTPResponseRule{Type: "sc-inc-gpc0", SCID: 1}),
			hrs(config.HTTPResponseRule{Type: "sc-inc-gpc1", SCID: 2}),
			hrs(config.HTTPResponseRule{Type: "sc-set-gpt", SCIdx: 1, SCID: 2, SCExpr: "int(1)"}),
			hrs(config.HTTPResponseRule{Type: "sc-set-gpt0", SCID: 1, SCInt: i64p(3)}),
			hrs(config.HTTPResponseRule{Type: "send-spoe-group", SpoeEngine: "e1", SpoeGroup: "g1"}),
			hrs(config.HTTPResponseRule{Type: "set-bandwidth-limit", BandwidthLimitName: "bw", BandwidthLimitLimit: "1m", BandwidthLimitPeriod: "1s"}),
			hrs(config.HTTPResponseRule{Type: "set-header", HdrName: "X-B", HdrFormat: "%[src]"}),
			hrs(config.HTTPResponseRule{Type: "set-log-level", LogLevel: "silent"}),
			hrs(config.HTTPResponseRule{Type: "set-map", MapFile: "/etc/haproxy/m.map", MapKeyfmt: "%[src]", MapValuefmt: "%[status]"}),
			hrs(config.HTTPResponseRule{Type: "set-mark", MarkValue: "0x10"}),
			hrs(config.HTTPResponseRule{Type: "set-nice", NiceValue: 10}),
			hrs(config.HTTPResponseRule{Type: "set-status", Status: 503, StatusReason: `"Try Later"`}),
			hrs(config.HTTPResponseRule{Type: "set-timeout", TimeoutType: "tunnel", Timeout: "1h"}),
			hrs(config.HTTPResponseRule{Type: "set-tos", TOSValue: "0x20"}),
			hrs(config.HTTPResponseRule{Type: "set-var", VarScope: "txn", VarName: "x", VarExpr: "res.hdr(server),lower"}),
			hrs(config.HTTPResponseRule{Type: "set-var-fmt", VarScope: "txn", VarName: "y", VarFormat: "%[status]"}),
			hrs(config.HTTPResponseRule{Type: "silent-drop", RstTTL: 1}),
			hrs(config.HTTPResponseRule{Type: "strict-mode", StrictMode: "off"}),
			hrs(config.HTTPResponseRule{Type: "track-sc", TrackSCStickCounter: i64p(1), TrackSCKey: "src", TrackSCTable: "st"}),
			hrs(config.HTTPResponseRule{Type: "unset-var", VarScope: "txn", VarName: "x"}),
			hrs(config.HTTPResponseRule{Type: "wait-for-body", WaitTime: i64p(1000), WaitAtLeast: i64p(100)}),
			hrs(config.HTTPResponseRule{Unmodelled: verbatim("http-response set-fc-mark 1")}),
		},
		check: addItem(config.HTTPResponseRules, be, "be"),
		fix:   fixActionRule("http_response_rule"),
	})
	registerRuleModel(ruleModel{
		schema: "http_after_response_rule", list: "http_after_response_rules",
		full: config.HTTPAfterResponseRule{Type: "set-header", HdrName: "Strict-Transport-Security", HdrFormat: `"max-age=31536000"`, Cond: "unless", CondTest: "{ ssl_fc }"},
		variants: []any{
			har(config.HTTPAfterResponseRule{Type: "add-header", HdrName: "X-D", HdrFormat: `"a b"`}),
			har(config.HTTPAfterResponseRule{Type: "allow"}),
			har(config.HTTPAfterResponseRule{Type: "capture", CaptureSample: "res.hdr(server)", CaptureLen: 20}),
			har(config.HTTPAfterResponseRule{Type: "capture", CaptureSample: "res.hdr(server)", CaptureID: i64p(1)}),
			har(config.HTTPAfterResponseRule{Type: "del-acl", ACLFile: "/etc/haproxy/a.acl", ACLKeyfmt: "%[src]"}),
			har(config.HTTPAfterResponseRule{Type: "del-header", HdrName: "Server", HdrMethod: "str"}),
			har(config.HTTPAfterResponseRule{Type: "del-map", MapFile: "/etc/haproxy/m.map", MapKeyfmt: "%[src]"}),
			har(config.HTTPAfterResponseRule{Type: "replace-header", HdrName: "Set-Cookie", HdrMatch: "(.*)", HdrFormat: `"\1; Secure"`}),
			har(config.HTTPAfterResponseRule{Type: "replace-value", HdrName: "Cache-Control", HdrMatch: "^public$", HdrFormat: "private"}),
			har(config.HTTPAfterResponseRule{Type: "sc-add-gpc", SCIdx: 1, SCID: 2, SCInt: i64p(5)}),
			har(config.HTTPAfterResponseRule{Type: "sc-inc-gpc", SCIdx: 1, SCID: 2}),
			har(config.HTTPAfterResponseRule{Type: "sc-inc-gpc0", SCID: 1}),
			har(config.HTTPAfterResponseRule{Type: "sc-inc-gpc1", SCID: 2}),
			har(config.HTTPAfterResponseRule{Type: "sc-set-gpt", SCIdx: 1, SCID: 2, SCExpr: "int(1)"}),
			har(config.HTTPAfterResponseRule{Type: "sc-set-gpt0", SCID: 1, SCInt: i64p(3)}),
			har(config.HTTPAfterResponseRule{Type: "set-log-level", LogLevel: "debug"}),
			har(config.HTTPAfterResponseRule{Type: "set-map", MapFile: "/etc/haproxy/m.map", MapKeyfmt: "%[src]", MapValuefmt: "%[status]"}),
			har(config.HTTPAfterResponseRule{Type: "set-status", Status: 404, StatusReason: "Gone"}),
			har(config.HTTPAfterResponseRule{Type: "set-var", VarScope: "txn", VarName: "x", VarExpr: "status,add(1)"}),
			har(config.HTTPAfterResponseRule{Type: "set-var-fmt", VarScope: "txn", VarName: "y", VarFormat: "%[status]"}),
			har(config.HTTPAfterResponseRule{Type: "strict-mode", StrictMode: "on"}),
			har(config.HTTPAfterResponseRule{Type: "unset-var", VarScope: "txn", VarName: "x"}),
			har(config.HTTPAfterResponseRule{Unmodelled: verbatim("http-after-response do-log")}),
		},
		check: addItem(config.HTTPAfterResponseRules, fe, "fe"),
		fix:   fixActionRule("http_after_response_rule"),
	})
	registerRuleModel(ruleModel{
		schema: "http_error_rule", list: "http_error_rules",
		full: config.HTTPErrorRule{Type: "status", Status: 503, ReturnContentType: `"text/html; charset=utf-8"`,
			ReturnContentFormat: "string", ReturnContent: `"<h1>Back soon</h1>"`, ReturnHdrs: []config.ReturnHeader{{Name: "Retry-After", Fmt: "30"}}},
		variants: []any{
			her(config.HTTPErrorRule{Type: "status", Status: 403, ReturnContentFormat: "default-errorfiles"}),
			her(config.HTTPErrorRule{Type: "status", Status: 404, ReturnContentFormat: "errorfile", ReturnContent: "/etc/haproxy/errors/404.http"}),
			her(config.HTTPErrorRule{Type: "status", Status: 429, ReturnContentFormat: "errorfiles", ReturnContent: "site_errors"}),
			her(config.HTTPErrorRule{Type: "status", Status: 500, ReturnContentType: "text/plain", ReturnContentFormat: "lf-string", ReturnContent: `"error %[unique-id]"`}),
			her(config.HTTPErrorRule{Type: "status", Status: 502, ReturnContentType: "text/html", ReturnContentFormat: "file", ReturnContent: "/etc/haproxy/errors/502.html"}),
			her(config.HTTPErrorRule{Type: "status", Status: 504}),
			her(config.HTTPErrorRule{Unmodelled: verbatim("http-error status 503 content-type text/plain string down hdr X-A a")}),
		},
		check: addItem(config.HTTPErrorRules, be, "be"),
		fix:   fixActionRule("http_error_rule"),
	})
}
