package api_test

import (
	"fmt"
	"strings"
	"testing"

	dpapi "dataplane/internal/api"
	"dataplane/internal/apitest"
	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
)

// validRuleItems are, per ordered list, two items HAProxy 2.6 accepts in
// the sections of TestEveryRuleListInATransaction, and the line the first
// one writes. Every positional collection of the registry needs one.
var validRuleItems = map[string]struct {
	first, second map[string]any
	line          string
}{
	"acls": {map[string]any{"acl_name": "tx_a", "criterion": "path_beg", "value": "/a"},
		map[string]any{"acl_name": "tx_b", "criterion": "src", "value": "10.0.0.1"}, "acl tx_a path_beg /a"},
	"backend_switching_rules": {map[string]any{"name": "be_tx", "cond": "if", "cond_test": "{ path_beg /tx }"},
		map[string]any{"name": "be_tx"}, "use_backend be_tx if { path_beg /tx }"},
	"server_switching_rules": {map[string]any{"target_server": "s1", "cond": "if", "cond_test": "{ path_beg /tx }"},
		map[string]any{"target_server": "s1"}, "use-server s1 if { path_beg /tx }"},
	"stick_rules": {map[string]any{"type": "on", "pattern": "src"},
		map[string]any{"type": "match", "pattern": "src"}, "stick on src"},
	"captures": {map[string]any{"type": "request", "length": 16},
		map[string]any{"type": "response", "length": 8}, "declare capture request len 16"},
	"filters": {map[string]any{"type": "trace", "trace_name": "tx"},
		map[string]any{"type": "compression"}, "filter trace name tx"},
	"log_targets": {map[string]any{"address": "127.0.0.1:5140", "facility": "local0"},
		map[string]any{"global": true}, "log 127.0.0.1:5140 local0"},
	"http_request_rules": {map[string]any{"type": "set-header", "hdr_name": "X-Tx", "hdr_format": "1"},
		map[string]any{"type": "allow"}, "http-request set-header X-Tx 1"},
	"http_response_rules": {map[string]any{"type": "set-header", "hdr_name": "X-Tx", "hdr_format": "1"},
		map[string]any{"type": "del-header", "hdr_name": "Server"}, "http-response set-header X-Tx 1"},
	"http_after_response_rules": {map[string]any{"type": "set-header", "hdr_name": "X-Tx", "hdr_format": "1"},
		map[string]any{"type": "del-header", "hdr_name": "Server"}, "http-after-response set-header X-Tx 1"},
	"http_error_rules": {map[string]any{"type": "status", "status": 503, "return_content_format": "default-errorfiles"},
		map[string]any{"type": "status", "status": 502, "return_content_format": "default-errorfiles"}, "http-error status 503 default-errorfiles"},
	"tcp_request_rules": {map[string]any{"type": "content", "action": "accept", "cond": "if", "cond_test": "{ src 10.0.0.0/8 }"},
		map[string]any{"type": "inspect-delay", "timeout": 2000}, "tcp-request content accept if { src 10.0.0.0/8 }"},
	"tcp_response_rules": {map[string]any{"type": "content", "action": "accept"},
		map[string]any{"type": "inspect-delay", "timeout": 1000}, "tcp-response content accept"},
	"http_checks": {map[string]any{"type": "send", "method": "HEAD", "uri": "/ready"},
		map[string]any{"type": "expect", "match": "status", "pattern": "200"}, "http-check send meth HEAD uri /ready"},
	"tcp_checks": {map[string]any{"action": "send", "data": "PING"},
		map[string]any{"action": "connect"}, "tcp-check send PING"},
}

// unknownToHAProxy26 are the lists HAProxy 2.6 refuses every line of (the
// tests of those lists expect haproxy -c's refusal instead).
var unknownToHAProxy26 = map[string]bool{"quic_initial_rules": true, "ssl_front_uses": true, "force_be_switches": true}

// TestEveryRuleListInATransaction: for every ordered list of the registry
// on every parent kind the test file has, in one transaction: insert at
// 0, insert after it, replace, delete, past the end (404), and replace
// all; nothing reaches the file until the commit, which HAProxy 2.6
// accepts with every line in place.
func TestEveryRuleListInATransaction(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe_tx
    bind 127.0.0.1:%d
    mode http
    default_backend be_tx

backend be_tx
    mode http
    stick-table type ip size 1k
    server s1 127.0.0.1:1

# Rules are not allowed in an anonymous defaults section, nor in one that
# frontends and backends both inherit: this one is last, inherited by none.
defaults d_tx
    mode http

peers p_tx
    peer remote 127.0.0.1:1

log-forward lf_tx
    dgram-bind 127.0.0.1:%d
    log 127.0.0.1:1 local0

fcgi-app app_tx
    docroot /var/www
`, port, freeUDPPort(t)), apitest.Options{})
	parents := map[string]string{config.KindFrontend: "fe_tx", config.KindBackend: "be_tx", config.KindDefaults: "d_tx", config.KindGlobal: "",
		config.KindPeers: "p_tx", config.KindLogForward: "lf_tx", config.KindFCGIApp: "app_tx"}
	before := e.ReadConfig()
	tx := begin(t, e)
	q := "?transaction_id=" + tx.ID
	var wrote []string
	for _, c := range config.Collections() {
		info := c.Info()
		if !info.Positional {
			continue
		}
		if unknownToHAProxy26[info.Path] {
			continue
		}
		items, ok := validRuleItems[info.Path]
		if !ok {
			t.Errorf("%s: no valid items in validRuleItems", info.Path)
			continue
		}
		for _, p := range info.Parents {
			if p.Kind == config.KindHealthcheck {
				continue // HAProxy 2.6 refuses the section: TestNewKindsRefusedByHAProxy26
			}
			name, ok := parents[p.Kind]
			if !ok {
				t.Errorf("%s of %s: no section of that kind in this test's file", info.Path, p.Kind)
				continue
			}
			list := strings.TrimPrefix(dpapi.CollectionPath(p, info), "/services/haproxy/configuration")
			list = "/services/haproxy/configuration" + strings.Replace(list, "{parent_name}", name, 1)
			where := info.Path + " of " + p.Kind
			var have []any
			e.Get(list+q).JSON(t, &have)
			n := len(have)
			mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: list + "/0" + q, Body: items.second}), 202, where+": insert at 0")
			mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: list + "/0" + q, Body: items.first}), 202, where+": insert at 0 again")
			mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("%s/%d%s", list, n+3, q), Body: items.first}), 404, where+": past the end")
			mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: list + "/1" + q, Body: items.first}), 202, where+": replace 1")
			mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: list + "/1" + q}), 202, where+": delete 1")
			e.Get(list+q).JSON(t, &have)
			if len(have) != n+1 {
				t.Fatalf("%s: %d items after insert, insert, replace, delete; want %d", where, len(have), n+1)
			}
			mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: list + q, Body: append([]any{items.first}, have[1:]...)}), 202, where+": replace all")
			wrote = append(wrote, items.line)
		}
	}
	if string(e.ReadConfig()) != string(before) {
		t.Fatal("staged edits reached the file before the commit")
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")
	after := string(e.ReadConfig())
	for _, l := range wrote {
		if !strings.Contains(after, "    "+l+"\n") {
			t.Errorf("the committed file lacks %q", l)
		}
	}
	if t.Failed() {
		t.Logf("file:\n%s", after)
	}
}
