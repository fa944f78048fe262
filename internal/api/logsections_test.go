package api_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestRingAndLogForwardRelay: in one transaction, a ring (with a server),
// a log-forward (with a bind and a log target) and a frontend log target
// `ring@...` are created through the API; after the commit a request's log
// line goes frontend -> ring -> (syslog over TCP) -> log-forward -> a
// local UDP socket.
func TestRingAndLogForwardRelay(t *testing.T) {
	addr, lines := udpLines(t)
	relay := haproxytest.FreePort(t)
	r := startRuleEnv(t, "    option httplog", "", "")
	e := r.e
	tx := begin(t, e)
	q := "?transaction_id=" + tx.ID
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: cfgBase + "/rings" + q + "&full_section=true", Body: map[string]any{
		"name": "r1", "format": "rfc5424", "maxlen": 1500, "size": 32768, "timeout_connect": 1000, "timeout_server": 5000,
		"servers": map[string]any{"fwd": map[string]any{"name": "fwd", "address": "127.0.0.1", "port": relay}},
	}}), 202, "create the ring")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: cfgBase + "/log_forwards" + q, Body: map[string]any{
		"name": "lf", "maxconn": 10, "timeout_client": 5000,
	}}), 202, "create the log-forward")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: cfgBase + "/log_forwards/lf/binds" + q, Body: map[string]any{
		"name": "tcp_in", "address": "127.0.0.1", "port": relay,
	}}), 202, "bind the log-forward")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: cfgBase + "/log_forwards/lf/log_targets/0" + q, Body: map[string]any{
		"address": addr, "facility": "local2",
	}}), 202, "the log-forward's target")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: cfgBase + "/frontends/fe/log_targets/0" + q, Body: map[string]any{
		"address": "ring@r1", "facility": "local0",
	}}), 202, "the frontend logs to the ring")
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")

	cfg := string(e.ReadConfig())
	for _, want := range []string{
		"\nring r1\n    format rfc5424\n    maxlen 1500\n    size 32768\n    timeout connect 1s\n    timeout server 5s\n    server fwd 127.0.0.1:",
		"\nlog-forward lf\n    maxconn 10\n    timeout client 5s\n",
		"    log ring@r1 local0\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Fatalf("the file lacks %q:\n%s", want, cfg)
		}
	}
	// The UDP socket is the log-forward's target only: a line there came
	// through the ring and the relay. A relay keeps the priority the
	// frontend gave it (local0.info).
	line := r.waitLogLine(t, lines, "relay-me", "GET / HTTP/1.1")
	if !strings.HasPrefix(line, "<134>") {
		t.Fatalf("the relayed line is not the frontend's local0.info: %q", line)
	}

	// Reads: the ring with its server, the log-forward with its children.
	var ring map[string]any
	e.Get(cfgBase+"/rings/r1?full_section=true").JSON(t, &ring)
	if ring["format"] != "rfc5424" || ring["timeout_server"] != float64(5000) || ring["servers"].(map[string]any)["fwd"] == nil {
		t.Fatalf("ring: %v", ring)
	}
	var lf map[string]any
	e.Get(cfgBase+"/log_forwards/lf?full_section=true").JSON(t, &lf)
	if lf["maxconn"] != float64(10) || lf["binds"].(map[string]any)["tcp_in"] == nil || len(lf["log_target_list"].([]any)) != 1 {
		t.Fatalf("log-forward: %v", lf)
	}
}

// TestPeersReplicate: a peers section built through the API (the section,
// two peer entries, a table) makes the managed HAProxy replicate a
// stick-table entry to a second HAProxy the test runs: traffic through the
// first sets an entry that `show table` on the second shows.
func TestPeersReplicate(t *testing.T) {
	portA, portB := haproxytest.FreePort(t), haproxytest.FreePort(t)
	// The second HAProxy: peer hap_b, the same table, no traffic.
	b := haproxytest.New(t)
	b.Start(strings.Replace(b.Global(), "global\n", "global\n    localpeer hap_b\n", 1) + fmt.Sprintf(`
peers mesh
    peer hap_a 127.0.0.1:%d
    peer hap_b 127.0.0.1:%d
    table clients type ip size 1k expire 10m store http_req_cnt
`, portA, portB))

	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", nil)
	front := haproxytest.FreePort(t)
	e := apitest.Start(t, in, strings.Replace(in.Global(), "global\n", "global\n    localpeer hap_a\n", 1)+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
    server app %s
`, front, app.Addr()), apitest.Options{})

	tx := begin(t, e)
	q := "?transaction_id=" + tx.ID
	for _, c := range []struct {
		what, path string
		body       any
	}{
		{"the peers section", "/peer_section", map[string]any{"name": "mesh"}},
		{"peer hap_a", "/peer_entries?peer_section=mesh&transaction_id=" + tx.ID, map[string]any{"name": "hap_a", "address": "127.0.0.1", "port": portA}},
		{"peer hap_b", "/peer_entries?peer_section=mesh&transaction_id=" + tx.ID, map[string]any{"name": "hap_b", "address": "127.0.0.1", "port": portB}},
		{"the table", "/peers/mesh/tables", map[string]any{"name": "clients", "type": "ip", "size": "1k", "expire": "10m", "store": "http_req_cnt"}},
		{"track clients", "/frontends/fe/http_request_rules/0", map[string]any{"type": "track-sc", "track_sc_key": "src", "track_sc_table": "mesh/clients", "track_sc_stick_counter": 0}},
	} {
		path := cfgBase + c.path
		if !strings.Contains(path, "transaction_id") {
			path += q
		}
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: path, Body: c.body}), 202, c.what)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")

	var entries []map[string]any
	e.Get(cfgBase+"/peer_entries?peer_section=mesh").JSON(t, &entries)
	if len(entries) != 2 || entries[1]["name"] != "hap_b" || entries[1]["port"] != float64(portB) {
		t.Fatalf("peer entries: %v", entries)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", front)
	haproxytest.WaitFor(t, 20*time.Second, "the entry of 127.0.0.1 replicated to the second HAProxy", func() bool {
		_, _, _ = haproxytest.HTTPGet(t.Context(), url)
		return strings.Contains(b.Stats("show table mesh/clients"), "key=127.0.0.1 ")
	})
	if !strings.Contains(in.Stats("show table mesh/clients"), "key=127.0.0.1 ") {
		t.Fatalf("the managed HAProxy has no entry:\n%s", in.Stats("show table mesh/clients"))
	}
}

// TestPeersDefaultsAndIPv6: a peers section's default-bind and
// default-server lines and its IPv6 peer entries (bare `::1:port` and
// bracketed `[::1]:port`, as HAProxy reads both) read back as written; an
// unchanged PUT of an entry leaves the file as it was; a peers section
// with default_bind and default_server and an IPv6 entry are created
// through the API and HAProxy 2.6 runs them; bad values change nothing.
func TestPeersDefaultsAndIPv6(t *testing.T) {
	in := haproxytest.New(t)
	local, bare, bracketed := haproxytest.FreePort(t), haproxytest.FreePort(t), haproxytest.FreePort(t)
	e := apitest.Start(t, in, strings.Replace(in.Global(), "global\n", "global\n    localpeer hap_a\n", 1)+fmt.Sprintf(`
peers old
    default-bind backlog 64 name dflt
    default-server inter 2s fall 3
    peer hap_a 127.0.0.1:%d
    peer p6 ::1:%d
    peer p6b [::1]:%d
`, local, bare, bracketed), apitest.Options{})
	write := sectionWriter(t, e)

	var sec map[string]any
	e.Get(cfgBase+"/peer_section/old").JSON(t, &sec)
	db, _ := sec["default_bind"].(map[string]any)
	ds, _ := sec["default_server"].(map[string]any)
	if db["name"] != "dflt" || db["backlog"] != "64" || ds["inter"] != float64(2000) || ds["fall"] != float64(3) {
		t.Fatalf("peers section read back: %v", sec)
	}
	var entries []map[string]any
	e.Get(cfgBase+"/peer_entries?peer_section=old").JSON(t, &entries)
	if len(entries) != 3 || entries[1]["address"] != "::1" || entries[1]["port"] != float64(bare) ||
		entries[2]["address"] != "::1" || entries[2]["port"] != float64(bracketed) {
		t.Fatalf("peer entries: %v", entries)
	}
	before := e.ReadConfig()
	for _, en := range entries[1:] {
		write("PUT", "/peer_entries/"+en["name"].(string)+"?peer_section=old", en, 200)
	}
	if after := e.ReadConfig(); !bytes.Equal(before, after) {
		t.Fatalf("unchanged PUTs changed the file:\n%s", after)
	}

	write("POST", "/peer_section", map[string]any{"name": "mesh2",
		"default_bind":   map[string]any{"name": "b0", "backlog": "32"},
		"default_server": map[string]any{"inter": 3000, "rise": 2}}, 201)
	p7 := haproxytest.FreePort(t)
	write("POST", "/peer_entries?peer_section=mesh2", map[string]any{"name": "p7", "address": "::1", "port": p7}, 201)
	cfg := string(e.ReadConfig())
	for _, want := range []string{"\npeers mesh2\n", "    default-bind backlog 32 name b0\n", "    default-server rise 2 inter 3s\n", fmt.Sprintf("    peer p7 [::1]:%d\n", p7)} {
		if !strings.Contains(cfg, want) {
			t.Fatalf("the file lacks %q:\n%s", want, cfg)
		}
	}
	e.Get(cfgBase+"/peer_section/mesh2").JSON(t, &sec)
	if sec["default_bind"].(map[string]any)["backlog"] != "32" || sec["default_server"].(map[string]any)["rise"] != float64(2) {
		t.Fatalf("created peers section read back: %v", sec)
	}

	for _, c := range []struct {
		what, path string
		body       any
	}{
		{"a bracketed address", "/peer_entries?peer_section=mesh2", map[string]any{"name": "p8", "address": "[::1]", "port": 1}},
		{"a default-bind name with a blank", "/peer_section", map[string]any{"name": "m3", "default_bind": map[string]any{"name": "a b"}}},
		{"a default-server param with a newline", "/peer_section", map[string]any{"name": "m3", "default_server": map[string]any{"cookie": "a\nserver x 1.2.3.4:80"}}},
	} {
		before := e.ReadConfig()
		r := e.Do(apitest.Request{Method: "POST", Path: cfgBase + c.path + "&" + strings.TrimPrefix(vq(t, e), "?"), Body: c.body})
		if strings.HasPrefix(c.path, "/peer_section") {
			r = e.Do(apitest.Request{Method: "POST", Path: cfgBase + c.path + vq(t, e), Body: c.body})
		}
		if r.Status != 400 && r.Status != 422 {
			t.Fatalf("%s: status %d: %s", c.what, r.Status, r.Body)
		}
		if after := e.ReadConfig(); !bytes.Equal(before, after) {
			t.Fatalf("%s changed the file", c.what)
		}
	}
}
