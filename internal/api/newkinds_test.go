package api_test

import (
	"os"
	"strings"
	"testing"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// The kinds newer than HAProxy 2.6 (config/newkinds.go). HAProxy 2.6 refuses
// every file that holds one, so the writes are shown refused with its own
// message, and the reads on a file that holds them all, served by a
// dataplane whose HAProxy is not started (nothing runs `haproxy -c` on a
// read).

// TestNewKindsRefusedByHAProxy26: a create of each kind answers 400 with
// haproxy -c's words, and leaves the file byte for byte and its version as
// they were; the crt-store load and healthcheck checks, which need a parent
// section 2.6 cannot hold, are staged in a transaction whose commit is
// refused the same way.
func TestNewKindsRefusedByHAProxy26(t *testing.T) {
	_, e, _ := startTextEnv(t, "")
	cases := []struct {
		what, path string
		body       any
		says       string
	}{
		{"crt-store", "/crt_stores", map[string]any{"name": "st", "crt_base": "/etc/ssl"}, "unknown keyword 'crt-store'"},
		{"log-profile", "/log_profiles", map[string]any{"name": "lp", "log_tag": "app",
			"steps": []any{map[string]any{"step": "any", "drop": "enabled"}}}, "unknown keyword 'log-profile'"},
		{"acme", "/acme", map[string]any{"name": "le", "directory": "https://acme.example.com/dir", "keytype": "ECDSA"}, "unknown keyword 'acme'"},
		{"healthcheck", "/healthchecks", map[string]any{"name": "hc", "type": "httpchk",
			"httpchk_params": map[string]any{"method": "GET", "uri": "/health"}}, "unknown keyword 'healthcheck'"},
		{"ssl-f-use", "/frontends/fe/ssl_front_uses", map[string]any{"certificate": "/etc/ssl/site.pem", "alpn": "h2"}, "unknown keyword 'ssl-f-use'"},
		{"force-be-switch", "/frontends/fe/force_be_switches", map[string]any{"cond": "if", "cond_test": "TRUE"}, "unknown keyword 'force-be-switch'"},
		{"traces", "/traces", map[string]any{"entries": []any{map[string]any{"trace": "h1 sink stderr level developer"}}}, "unknown keyword 'traces'"},
		{"a trace entry", "/traces/entries", map[string]any{"trace": "h1 start now"}, "unknown keyword 'traces'"},
	}
	for _, c := range cases {
		v := version(t, e)
		refusedRule(t, e, c.what, "POST", c.path, c.body, c.says)
		if got := version(t, e); got != v {
			t.Fatalf("%s: version %d after the refusal, was %d", c.what, got, v)
		}
	}

	// In a transaction the writes are staged (202) and read back; the
	// commit is where haproxy -c refuses them.
	before, v := string(e.ReadConfig()), version(t, e)
	var tx struct{ ID string }
	e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/transactions" + vq(t, e)}).JSON(t, &tx)
	q := "?transaction_id=" + tx.ID
	staged := []struct {
		method, path string
		body         any
	}{
		{"POST", "/crt_stores", map[string]any{"name": "st"}},
		{"POST", "/crt_stores/st/crt_loads", map[string]any{"certificate": "site.pem", "alias": "site", "ocsp_update": "enabled"}},
		{"POST", "/healthchecks", map[string]any{"name": "hc", "type": "tcp-check"}},
		{"POST", "/healthchecks/hc/tcp_checks/0", map[string]any{"action": "connect"}},
		{"POST", "/healthchecks/hc/http_checks/0", map[string]any{"type": "send", "method": "GET", "uri": "/"}},
	}
	for _, s := range staged {
		mustStatus(t, e.Do(apitest.Request{Method: s.method, Path: cfgBase + s.path + q, Body: s.body}), 202, s.method+" "+s.path+" in a transaction")
	}
	var load map[string]any
	e.Get(cfgBase+"/crt_stores/st/crt_loads/site.pem"+q).JSON(t, &load)
	if load["alias"] != "site" || load["ocsp_update"] != "enabled" {
		t.Fatalf("staged crt-load: %v", load)
	}
	var full map[string]any
	e.Get(cfgBase+"/healthchecks/hc"+q+"&full_section=true").JSON(t, &full)
	if l, _ := full["tcp_check_list"].([]any); len(l) != 1 {
		t.Fatalf("staged healthcheck with full_section: %v", full)
	}
	r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"})
	mustStatus(t, r, 400, "commit of the new kinds")
	for _, says := range []string{"unknown keyword 'crt-store'", "unknown keyword 'healthcheck'"} {
		if !strings.Contains(string(r.Body), says) {
			t.Errorf("the refused commit does not say %q: %s", says, r.Body)
		}
	}
	if string(e.ReadConfig()) != before || version(t, e) != v {
		t.Fatal("the refused commit changed the file or its version")
	}
}

// newKindsFile holds every kind newer than HAProxy 2.6 (the same sections
// as internal/config/testdata/golden/20-newer-kinds.cfg reads field for
// field).
const newKindsFile = `global
    log stdout local0

frontend fe
    bind 127.0.0.1:8443
    mode http
    ssl-f-use crt /etc/ssl/site.pem alpn h2,http/1.1 ssl-min-ver TLSv1.2
    ssl-f-use crt @st/site verify optional no-alpn
    force-be-switch if { src 10.0.0.0/8 }
    default_backend be

backend be
    mode http
    server s1 127.0.0.1:8080

crt-store st
    crt-base /etc/ssl/certs
    key-base /etc/ssl/private
    load crt site.pem key site.key alias site ocsp-update on
    load crt "other.pem" acme le domains a.example.com,b.example.com

log-profile lp
    log-tag app
    on http-req format "%ci %r"
    on any drop

acme le
    directory https://acme.example.com/dir
    contact ops@example.com
    challenge HTTP-01
    keytype RSA
    bits 4096
    map virt@acme

healthcheck hc
    type httpchk GET /health HTTP/1.1
    http-check expect status 200

traces
    trace h1 sink stderr level developer
    trace h1 start now
`

// TestNewKindsRead: every read of the new kinds answers 200 with the
// modelled fields, on a file that holds them all.
func TestNewKindsRead(t *testing.T) {
	in := haproxytest.New(t)
	if err := os.WriteFile(in.ConfigPath, []byte(newKindsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, in, "", apitest.Options{})
	get := func(path string, into any) {
		t.Helper()
		r := e.Get(cfgBase + path)
		mustStatus(t, r, 200, "GET "+path)
		r.JSON(t, into)
	}
	var stores []map[string]any
	get("/crt_stores?full_section=true", &stores)
	if len(stores) != 1 || stores[0]["crt_base"] != "/etc/ssl/certs" || stores[0]["key_base"] != "/etc/ssl/private" {
		t.Fatalf("crt_stores: %v", stores)
	}
	if loads, _ := stores[0]["crt_loads"].(map[string]any); len(loads) != 2 {
		t.Fatalf("crt_stores full_section: %v", stores[0])
	}
	var load map[string]any
	get("/crt_stores/st/crt_loads/site.pem", &load)
	if load["key"] != "site.key" || load["alias"] != "site" || load["ocsp_update"] != "enabled" {
		t.Fatalf("crt-load: %v", load)
	}
	var loads []map[string]any
	get("/crt_stores/st/crt_loads", &loads)
	if len(loads) != 2 || loads[1]["acme"] != "le" || len(loads[1]["domains"].([]any)) != 2 {
		t.Fatalf("crt-loads: %v", loads)
	}
	var lp map[string]any
	get("/log_profiles/lp", &lp)
	if steps, _ := lp["steps"].([]any); lp["log_tag"] != "app" || len(steps) != 2 {
		t.Fatalf("log-profile: %v", lp)
	}
	var acme map[string]any
	get("/acme/le", &acme)
	if acme["directory"] != "https://acme.example.com/dir" || acme["challenge"] != "HTTP-01" || acme["bits"] != float64(4096) {
		t.Fatalf("acme: %v", acme)
	}
	var hc map[string]any
	get("/healthchecks/hc?full_section=true", &hc)
	if p, _ := hc["httpchk_params"].(map[string]any); hc["type"] != "httpchk" || p["uri"] != "/health" {
		t.Fatalf("healthcheck: %v", hc)
	}
	var checks []map[string]any
	get("/healthchecks/hc/http_checks", &checks)
	if len(checks) != 1 || checks[0]["type"] != "expect" {
		t.Fatalf("healthcheck http checks: %v", checks)
	}
	var uses []map[string]any
	get("/frontends/fe/ssl_front_uses", &uses)
	if len(uses) != 2 || uses[0]["alpn"] != "h2,http/1.1" || uses[1]["verify"] != "optional" || uses[1]["no_alpn"] != true {
		t.Fatalf("ssl_front_uses: %v", uses)
	}
	var sw map[string]any
	get("/frontends/fe/force_be_switches/0", &sw)
	if sw["cond"] != "if" || sw["cond_test"] != "{ src 10.0.0.0/8 }" {
		t.Fatalf("force_be_switch: %v", sw)
	}
	r := e.Get(cfgBase + "/frontends/fe/force_be_switches/1")
	mustStatus(t, r, 404, "a force-be-switch past the last")
	var traces struct{ Entries []struct{ Trace string } }
	get("/traces", &traces)
	if len(traces.Entries) != 2 || traces.Entries[0].Trace != "h1 sink stderr level developer" || traces.Entries[1].Trace != "h1 start now" {
		t.Fatalf("traces: %+v", traces)
	}
}
