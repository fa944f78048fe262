package api

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"dataplane/internal/config"
)

// The tcp-request, tcp-response, quic-initial, http-check and tcp-check
// lists: a fully populated item and one variant per action of each.

func tqr(r config.TCPRequestRule) any  { return r }
func tsr(r config.TCPResponseRule) any { return r }
func hck(c config.HTTPCheck) any       { return c }
func tck(c config.TCPCheck) any        { return c }

func init() {
	fe, be := config.KindFrontend, config.KindBackend
	registerRuleModel(ruleModel{
		schema: "tcp_request_rule", list: "tcp_request_rules",
		full: config.TCPRequestRule{Type: "content", Action: "track-sc", TrackStickCounter: i64(1), TrackKey: "src", TrackTable: "st",
			Cond: "if", CondTest: "{ src 10.0.0.0/8 }"},
		variants: []any{
			tqr(config.TCPRequestRule{Type: "inspect-delay", Timeout: i64(5000)}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "accept", Cond: "if", CondTest: "{ src 127.0.0.1 }"}),
			tqr(config.TCPRequestRule{Type: "session", Action: "accept"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "accept"}),
			tqr(config.TCPRequestRule{Type: "session", Action: "attach-srv", ServerName: "s1"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "capture", CaptureSample: "req.payload(0,10)", CaptureLen: 10}),
			tqr(config.TCPRequestRule{Type: "content", Action: "do-resolve", ResolveVar: "txn.ip", ResolveResolvers: "r1", ResolveProtocol: "ipv4", Expr: "req.hdr(host),lower"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "expect-netscaler-cip"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "expect-proxy", Cond: "if", CondTest: "{ src 10.0.0.1 }"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "lua", LUAAction: "foo", LUAParams: "a b"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "reject"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "sc-add-gpc", SCIdx: "1", SCIncID: "2", SCInt: i64(5)}),
			tqr(config.TCPRequestRule{Type: "content", Action: "sc-add-gpc", SCIdx: "1", SCIncID: "2", Expr: "int(1)"}),
			tqr(config.TCPRequestRule{Type: "session", Action: "sc-inc-gpc", SCIdx: "1", SCIncID: "2"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "sc-inc-gpc0", SCIncID: "1"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "sc-inc-gpc1", SCIncID: "2"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "sc-set-gpt", SCIdx: "1", SCIncID: "2", GptValue: "int(3)"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "sc-set-gpt0", SCIncID: "1", SCInt: i64(3)}),
			tqr(config.TCPRequestRule{Type: "content", Action: "send-spoe-group", SpoeEngineName: "e1", SpoeGroupName: "g1"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-bandwidth-limit", BandwidthLimitName: "bw", BandwidthLimitLimit: "1m", BandwidthLimitPeriod: "1s"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "set-dst", Expr: "ipv4(10.0.0.1)"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-dst-port", Expr: "int(8080)"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-log-level", LogLevel: "silent"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "set-mark", MarkValue: "0x10"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-nice", NiceValue: 10}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-priority-class", Expr: "int(1)"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-priority-offset", Expr: "int(10)"}),
			tqr(config.TCPRequestRule{Type: "session", Action: "set-src", Expr: "src,ipmask(24)"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "set-src-port", Expr: "int(1234)"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-tos", TOSValue: "0x20"}),
			tqr(config.TCPRequestRule{Type: "session", Action: "set-var", VarScope: "sess", VarName: "x", Expr: "src"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "set-var-fmt", VarScope: "txn", VarName: "y", VarFormat: "%[src]"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "silent-drop", RstTTL: 1}),
			tqr(config.TCPRequestRule{Type: "content", Action: "switch-mode", SwitchModeProto: "h2"}),
			tqr(config.TCPRequestRule{Type: "connection", Action: "track-sc", TrackStickCounter: i64(0), TrackKey: "src"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "unset-var", VarScope: "txn", VarName: "x"}),
			tqr(config.TCPRequestRule{Type: "content", Action: "use-service", ServiceName: "prometheus-exporter"}),
			tqr(config.TCPRequestRule{Unmodelled: verbatim("tcp-request content set-fc-mark 1")}),
		},
		check: addItem(config.TCPRequestRules, fe, "fe"),
		fix:   fixKeyedRule("tcp_request_rule", "type", "action"),
	})
	registerRuleModel(ruleModel{
		schema: "tcp_response_rule", list: "tcp_response_rules",
		full: config.TCPResponseRule{Type: "content", Action: "set-var", VarScope: "res", VarName: "len", Expr: "res.len",
			Cond: "if", CondTest: "{ res.len gt 0 }"},
		variants: []any{
			tsr(config.TCPResponseRule{Type: "inspect-delay", Timeout: i64(1500)}),
			tsr(config.TCPResponseRule{Type: "content", Action: "accept"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "close"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "lua", LUAAction: "foo", LUAParams: "a"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "reject", Cond: "unless", CondTest: "{ res.len gt 0 }"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "sc-add-gpc", SCIdx: 1, SCID: 2, SCInt: i64(4)}),
			tsr(config.TCPResponseRule{Type: "content", Action: "sc-inc-gpc", SCIdx: 1, SCID: 2}),
			tsr(config.TCPResponseRule{Type: "content", Action: "sc-inc-gpc0", SCID: 1}),
			tsr(config.TCPResponseRule{Type: "content", Action: "sc-inc-gpc1", SCID: 2}),
			tsr(config.TCPResponseRule{Type: "content", Action: "sc-set-gpt", SCIdx: 1, SCID: 2, SCExpr: "int(7)"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "sc-set-gpt0", SCID: 1, SCInt: i64(3)}),
			tsr(config.TCPResponseRule{Type: "content", Action: "send-spoe-group", SpoeEngine: "e1", SpoeGroup: "g1"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "set-bandwidth-limit", BandwidthLimitName: "bw", BandwidthLimitLimit: "1m", BandwidthLimitPeriod: "1s"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "set-log-level", LogLevel: "info"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "set-mark", MarkValue: "1"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "set-nice", NiceValue: -5}),
			tsr(config.TCPResponseRule{Type: "content", Action: "set-tos", TOSValue: "2"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "set-var-fmt", VarScope: "txn", VarName: "y", VarFormat: "%[src]"}),
			tsr(config.TCPResponseRule{Type: "content", Action: "silent-drop", RstTTL: 2}),
			tsr(config.TCPResponseRule{Type: "content", Action: "unset-var", VarScope: "txn", VarName: "y"}),
			tsr(config.TCPResponseRule{Unmodelled: verbatim("tcp-response content set-fc-mark 1")}),
		},
		check: addItem(config.TCPResponseRules, be, "be"),
		fix:   fixKeyedRule("tcp_response_rule", "type", "action"),
	})
	registerRuleModel(ruleModel{
		schema: "quic_initial_rule", list: "quic_initial_rules",
		full: config.QUICInitialRule{Type: "send-retry", Condition: config.Condition{Cond: "unless", CondTest: "{ quic_enabled }"}},
		variants: []any{
			config.QUICInitialRule{Type: "reject"},
			config.QUICInitialRule{Type: "accept"},
			config.QUICInitialRule{Type: "dgram-drop", Condition: config.Condition{Cond: "if", CondTest: "{ src 10.0.0.1 }"}},
			config.QUICInitialRule{Unmodelled: verbatim("quic-initial reject")},
		},
		check: addQUICInitial,
	})
	registerRuleModel(ruleModel{
		schema: "http_check", list: "http_checks",
		full: config.HTTPCheck{Type: "send", Method: "GET", URI: "/health", Version: "HTTP/1.1",
			Headers: []config.CheckHeader{{Name: "Host", Format: "a.example.com"}}, Body: `"{}"`, CheckComment: "health"},
		variants: []any{
			hck(config.HTTPCheck{Type: "send", URILogFormat: "/%[var(check.path)]", BodyLogFormat: "%[var(check.body)]"}),
			hck(config.HTTPCheck{Type: "comment", CheckComment: `"the health sequence"`}),
			hck(config.HTTPCheck{Type: "connect", Port: i64(8443), Addr: "10.0.0.5", SSL: true, SNI: "a.example.com", ALPN: "h2,http/1.1",
				Proto: "h2", CheckComment: "connect", Linger: true, SendProxy: true, ViaSocks4: true}),
			hck(config.HTTPCheck{Type: "connect", Default: true}),
			hck(config.HTTPCheck{Type: "disable-on-404"}),
			hck(config.HTTPCheck{Type: "expect", MinRecv: i64(10), CheckComment: "status", OKStatus: "L7OK", ErrorStatus: "L7STS",
				ToutStatus: "L7TOUT", OnSuccess: `"all fine"`, OnError: `"%[res.hdr(x)]"`, StatusCode: "res.hdr(x-code)", Match: "status", Pattern: "200-399"}),
			hck(config.HTTPCheck{Type: "expect", ExclamationMark: true, Match: "string", Pattern: "error"}),
			hck(config.HTTPCheck{Type: "send-state"}),
			hck(config.HTTPCheck{Type: "set-var", VarScope: "check", VarName: "port", VarExpr: "int(8080)"}),
			hck(config.HTTPCheck{Type: "set-var-fmt", VarScope: "check", VarName: "path", VarFormat: "/%[date]"}),
			hck(config.HTTPCheck{Type: "unset-var", VarScope: "check", VarName: "port"}),
			hck(config.HTTPCheck{Unmodelled: verbatim("http-check connect port ${PORT}")}),
		},
		check: addItem(config.HTTPChecks, be, "be"),
		fix:   fixKeyedRule("http_check", "type"),
	})
	registerRuleModel(ruleModel{
		schema: "tcp_check", list: "tcp_checks",
		full: config.TCPCheck{Action: "expect", MinRecv: i64(4), CheckComment: "pong", OKStatus: "L7OK", ErrorStatus: "L7RSP",
			ToutStatus: "L7TOUT", OnSuccess: "up", OnError: "down", StatusCode: "int(1)", ExclamationMark: true, Match: "string", Pattern: "+PONG"},
		variants: []any{
			tck(config.TCPCheck{Action: "comment", CheckComment: "redis"}),
			tck(config.TCPCheck{Action: "connect", Port: i64(6379), Addr: "10.0.0.6", SSL: true, SNI: "r.example.com", ALPN: "h2",
				Proto: "h2", CheckComment: "connect", Linger: true, SendProxy: true, ViaSocks4: true}),
			tck(config.TCPCheck{Action: "connect", Default: true}),
			tck(config.TCPCheck{Action: "send", Data: `PING\r\n`, CheckComment: "ping"}),
			tck(config.TCPCheck{Action: "send-binary", HexString: "50494e470d0a"}),
			tck(config.TCPCheck{Action: "send-binary-lf", HexFmt: "%[var(check.hex)]"}),
			tck(config.TCPCheck{Action: "send-lf", Fmt: "%[var(check.cmd)]"}),
			tck(config.TCPCheck{Action: "expect", Match: "rstring", Pattern: "^\\+OK"}),
			tck(config.TCPCheck{Action: "set-var", VarScope: "check", VarName: "port", VarExpr: "int(6379)"}),
			tck(config.TCPCheck{Action: "set-var-fmt", VarScope: "check", VarName: "cmd", VarFmt: "PING"}),
			tck(config.TCPCheck{Action: "unset-var", VarScope: "check", VarName: "port"}),
			tck(config.TCPCheck{Unmodelled: verbatim("tcp-check connect port ${PORT}")}),
		},
		check: addItem(config.TCPChecks, be, "be"),
		fix:   fixKeyedRule("tcp_check", "action"),
	})
}

// addQUICInitial: a quic-initial rule is written as the model says, and
// reads back verbatim (config-parser does not read the keyword).
func addQUICInitial(t *testing.T, v any) error {
	m := v.(*config.QUICInitialRule)
	p := config.Parent{Kind: config.KindFrontend, Name: "fe"}
	d, k, err := config.QUICInitialRules.Create(parseDoc(t, baseConfig), p, config.Key{Index: 0}, v)
	if err != nil {
		return err
	}
	got, err := config.QUICInitialRules.Get(d, p, k)
	if err != nil {
		return err
	}
	want := m.Verbatim
	if want == "" {
		want = strings.Join(append([]string{"quic-initial", m.Type}, strings.Fields(strings.TrimSpace(m.Cond+" "+m.CondTest))...), " ")
	}
	g, ok := got.(*config.QUICInitialRule)
	if !ok {
		if gv, isValue := got.(config.QUICInitialRule); isValue {
			g = &gv
		}
	}
	// The line ends there, or its comment (the metadata) starts.
	text := string(d.Render())
	if g == nil || g.Verbatim != want || !strings.Contains(text, "    "+want+"\n") && !strings.Contains(text, "    "+want+" # ") {
		return fmt.Errorf("wrote %+v, want the line %q read back verbatim, read %+v", *m, want, g)
	}
	return nil
}

// fixKeyedRule keeps, of the fully populated item of schema, what the
// action TestSchemaValuesAcceptedByGo chose takes: the first of its items
// with the same key fields (all of them, else one), or the key alone.
func fixKeyedRule(schema string, keys ...string) func(body map[string]any) {
	return func(body map[string]any) {
		var items []map[string]any
		for _, r := range ruleModels {
			if r.schema != schema {
				continue
			}
			for _, v := range append([]any{r.full}, r.variants...) {
				var b map[string]any
				raw, _ := json.Marshal(v)
				_ = json.Unmarshal(raw, &b)
				if b["verbatim"] == nil {
					items = append(items, b)
				}
			}
		}
		for _, want := range []int{len(keys), 1} {
			for _, b := range items {
				same := 0
				for _, k := range keys {
					if body[k] != nil && b[k] == body[k] {
						same++
					}
				}
				if same < want {
					continue
				}
				for k := range body {
					delete(body, k)
				}
				for k, x := range b {
					body[k] = x
				}
				return
			}
		}
	}
}

// TestTCPRuleListsReadMatchSchemas: what the Go code reads from the tcp
// rule and check lines of a file (golden 18, and lines it cannot model)
// validates against the list schemas.
func TestTCPRuleListsReadMatchSchemas(t *testing.T) {
	doc := loadSpec(t)
	golden, err := os.ReadFile("../internal/config/testdata/golden/18-tcp-rules.cfg")
	if err != nil {
		t.Fatal(err)
	}
	d := parseDoc(t, string(golden)+`
frontend fe_more
    bind :81
    tcp-request inspect-delay 5000
    tcp-request content set-nice 5000
    tcp-request content set-log-level loud
    tcp-request content do-resolve(txn.ip,r1,ipv4) hdr(host)
    quic-initial reject if { src 1.2.3.4 }
backend be_more
    option httpchk
    http-check send meth get uri /
    http-check connect port 0
    http-check expect rstatus ^2
    tcp-check expect string-lf %[var(check.x)]
    tcp-check connect port 99999
    tcp-response content set-nice -2000
`)
	n := 0
	for _, c := range []config.ChildResource{config.TCPRequestRules, config.TCPResponseRules, config.QUICInitialRules, config.HTTPChecks, config.TCPChecks} {
		info := c.Info()
		for _, kind := range []string{config.KindFrontend, config.KindBackend, config.KindDefaults} {
			if !info.HasParent(kind) {
				continue
			}
			for _, name := range []string{"fe_tcp", "fe_more", "be_redis", "be_web", "be_more", "tcp_defaults"} {
				list, err := c.List(d, config.Parent{Kind: kind, Name: name}, nil)
				if err != nil {
					continue // not a section of this kind
				}
				n++
				if err := schemaOf(t, doc, info.Path).VisitJSON(toJSON(t, list)); err != nil {
					t.Errorf("%s of %s %s read from the file: %v\n%s", info.Path, kind, name, err, mustJSON(list))
				}
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d lists read", n)
	}
}
