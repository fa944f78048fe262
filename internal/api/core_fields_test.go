package api_test

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

//go:embed v3fields.json
var v3FieldsJSON []byte

// coreFieldsConfig is a running configuration with what the fields refer
// to: a mailers section, two http-errors sections, a peers section, an
// fcgi-app, external checks allowed, and a named defaults section the
// proxies inherit from (declared before them, as HAProxy wants). be_all
// is there from the start: an FCGI app and its FCGI server need each
// other.
func coreFieldsConfig(in *haproxytest.Instance, errorFile string, port int) string {
	return fmt.Sprintf(`global
    stats socket %s mode 600 level admin expose-fd listeners
    stats timeout 10s
    external-check
    insecure-fork-wanted

defaults d_base
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

mailers mta
    mailer m1 127.0.0.1:25

http-errors site_errors
    errorfile 500 %[2]s
    errorfile 502 %[2]s

http-errors other_errors
    errorfile 503 %[2]s

peers mypeers
    peer remote 127.0.0.1:10000

fcgi-app php
    docroot /var/www

frontend fe
    bind 127.0.0.1:%[3]d
    http-request return status 200 content-type text/plain string "ok\n"

backend be_all from d_base
    use-fcgi-app php
    server php1 127.0.0.1:9000 proto fcgi
`, in.StatsSocket, errorFile, port)
}

// coreFieldRounds are the PUT bodies of one model, each holding a share
// of its fields with valid values (some fields exclude others: httplog,
// clflog and httpslog; the check types and their arguments), and the
// fields HAProxy 2.6 does not know, each with the words of haproxy -c's
// refusal.
type coreFieldRounds struct {
	kind, name string
	base       map[string]any
	rounds     []map[string]any
	refused    []refusedField
}

type refusedField struct {
	body    map[string]any
	message string
}

func commonRound(errorFile string) map[string]any {
	return map[string]any{
		"abortonclose": "enabled", "compression": map[string]any{"algorithms": []any{"gzip", "deflate"}, "types": []any{"text/html", "text/plain"}, "offload": true},
		"email_alert": map[string]any{"from": "haproxy@example.com", "to": "ops@example.com", "mailers": "mta", "level": "alert", "myhostname": "lb1"},
		"enabled":     true,
		"error_files": []any{map[string]any{"code": 503, "file": errorFile}, map[string]any{"code": 404, "file": errorFile}},
		"errorfiles_from_http_errors": []any{map[string]any{"name": "site_errors", "codes": []any{500, 502}},
			map[string]any{"name": "other_errors", "codes": []any{503}}},
		"errorloc302":          map[string]any{"code": 403, "url": "https://example.com/forbidden"},
		"errorloc303":          map[string]any{"code": 429, "url": "https://example.com/slow-down"},
		"forwardfor":           map[string]any{"enabled": "enabled", "except": "127.0.0.0/8", "header": "X-Client-IP", "ifnone": true},
		"http-buffer-request":  "enabled",
		"http_connection_mode": "http-keep-alive", "http_keep_alive_timeout": 2000, "http_request_timeout": 5000,
		"http_restrict_req_hdr_names": "reject", "independent_streams": "enabled", "log_tag": "core", "mode": "http",
		"nolinger":    "enabled",
		"originalto":  map[string]any{"enabled": "enabled", "except": "127.0.0.0/8", "header": "X-Original-To"},
		"splice_auto": "enabled", "splice_request": "enabled", "splice_response": "disabled",
		"stats_options": map[string]any{
			"stats_enable": true, "stats_uri_prefix": "/stats", "stats_realm": true, "stats_realm_realm": "HAProxy",
			"stats_auths": []any{map[string]any{"user": "admin", "passwd": "secret"}}, "stats_admin": true,
			"stats_admin_cond": "if", "stats_admin_cond_test": "LOCALHOST", "stats_hide_version": true,
			"stats_show_legends": true, "stats_show_modules": true, "stats_show_node_name": "lb1",
			"stats_show_desc": "Edge stats", "stats_refresh_delay": 10,
		},
		"tarpit_timeout": 2000, "tcpka": "enabled",
	}
}

func frontendRound() map[string]any {
	return map[string]any{
		"accept_invalid_http_request": "enabled", "backlog": 1024, "client_fin_timeout": 1000, "client_timeout": 30000,
		"clitcpka": "enabled", "clitcpka_cnt": 5, "clitcpka_idle": 60, "clitcpka_intvl": 10, "contstats": "enabled",
		"disable_h2_upgrade": "enabled", "dontlog_normal": "enabled", "dontlognull": "enabled",
		"error_log_format": `"%ci:%cp [%tr] %ft"`, "h1_case_adjust_bogus_client": "enabled",
		"http_ignore_probes": "enabled", "http_no_delay": "enabled", "http_use_proxy_header": "enabled",
		"idle_close_on_response": "enabled", "log_format": `"%ci:%cp [%tr] %ft %b/%s %ST"`, "log_format_sd": `"[exampleSDID@1234 status=%ST]"`,
		"log_separate_errors": "enabled", "logasap": "enabled", "maxconn": 2000, "monitor_uri": "/up",
		"socket_stats": "enabled", "tcp_smart_accept": "enabled", "unique_id_format": `"%{+X}o %ci:%cp_%Ts"`,
		"unique_id_header": "X-Unique-ID", "httplog": true,
	}
}

func backendRound() map[string]any {
	return map[string]any{
		"accept_invalid_http_response": "enabled", "adv_check": "httpchk",
		"httpchk_params": map[string]any{"method": "GET", "uri": "/health", "version": "HTTP/1.1", "host": "app.example.com"},
		"allbackups":     "enabled", "balance": map[string]any{"algorithm": "roundrobin"}, "check_timeout": 2000,
		"checkcache": "enabled", "connect_timeout": 5000,
		"cookie":             map[string]any{"name": "SRV", "type": "insert", "indirect": true, "nocache": true, "dynamic": true},
		"default_server":     map[string]any{"inter": 2000, "fall": 3},
		"dynamic_cookie_key": "s3cr3t", "external_check": "enabled", "external_check_command": "/bin/true",
		"external_check_path": "/usr/bin:/bin", "fullconn": 1000, "h1_case_adjust_bogus_server": "enabled",
		"hash_balance_factor": 150, "hash_type": map[string]any{"method": "consistent", "function": "sdbm", "modifier": "avalanche"},
		"http_pretend_keepalive": "enabled", "http_reuse": "safe", "http_send_name_header": "X-Server",
		"load_server_state_from_file": "none", "log_health_checks": "enabled", "max_keep_alive_queue": 5,
		"persist": "enabled", "prefer_last_server": "enabled", "queue_timeout": 1500,
		"redispatch": map[string]any{"enabled": "enabled", "interval": 2}, "retries": 3,
		"retry_on": "conn-failure empty-response 503", "server_fin_timeout": 1000, "server_timeout": 30000,
		"source":   map[string]any{"address": "127.0.0.1", "port": 1025, "usesrc": "address", "address_second": "127.0.0.2", "port_second": 2000, "interface": "lo"},
		"srvtcpka": "enabled", "srvtcpka_cnt": 3, "srvtcpka_idle": 30, "srvtcpka_intvl": 5, "tcp_smart_connect": "enabled",
		"transparent": "disabled", "tunnel_timeout": 3600000,
	}
}

// checkRounds are the check types with arguments, and the other usesrc
// and persistence forms: one round each, over base.
func checkRounds(base map[string]any) []map[string]any {
	return []map[string]any{
		merged(base, map[string]any{"httpchk_params": nil, "adv_check": "mysql-check", "mysql_check_params": map[string]any{"username": "haproxy", "client_version": "post-41"}}),
		merged(base, map[string]any{"httpchk_params": nil, "adv_check": "pgsql-check", "pgsql_check_params": map[string]any{"username": "haproxy"}}),
		merged(base, map[string]any{"httpchk_params": nil, "adv_check": "smtpchk", "smtpchk_params": map[string]any{"hello": "EHLO", "domain": "example.com"}}),
		merged(base, map[string]any{"persist_rule": map[string]any{"type": "rdp-cookie", "rdp_cookie_name": "msts"},
			"source": map[string]any{"address": "127.0.0.1", "usesrc": "hdr_ip", "hdr": "X-Forwarded-For", "occ": "-1"}}),
	}
}

// statsHTTPRound: stats http-request rules, which HAProxy does not take
// together with stats auth and stats realm.
func statsHTTPRound(base map[string]any) map[string]any {
	return merged(base, map[string]any{"stats_options": map[string]any{
		"stats_enable": true, "stats_uri_prefix": "/stats",
		"stats_http_requests": []any{
			map[string]any{"type": "auth", "realm": "Stats", "cond": "unless", "cond_test": "LOCALHOST"},
			map[string]any{"type": "allow", "cond": "if", "cond_test": "LOCALHOST"},
		},
	}})
}

func stickTable() map[string]any {
	return map[string]any{"type": "string", "keylen": 32, "size": 1024, "expire": 30000, "nopurge": true,
		"peers": "mypeers", "srvkey": "addr", "store": "http_req_rate(10s),conn_cnt"}
}

// refusedBy26 are the fields HAProxy 2.6 does not know, in every model
// that has them (a nested field is sent in a valid object).
func refusedBy26(model string) []refusedField {
	unknownOption := func(o string) string { return fmt.Sprintf("unknown option '%s'", o) }
	unknownKeyword := func(kw string) string { return fmt.Sprintf("unknown keyword '%s' in '%s' section", kw, model) }
	compression := func(k string, v any) refusedField {
		return refusedField{map[string]any{"compression": map[string]any{"algorithms": []any{"gzip"}, k: v}}, "'compression' expects 'algo', 'type' or 'offload'"}
	}
	stats := func(k string, v any, param string) refusedField {
		return refusedField{map[string]any{"stats_options": map[string]any{"stats_enable": true, k: v}}, fmt.Sprintf("unknown stats parameter '%s'", param)}
	}
	out := []refusedField{
		{map[string]any{"forwarded": map[string]any{"enabled": "enabled", "proto": true, "host": true, "host_expr": "req.hdr(host)",
			"by": true, "by_expr": "str(lb1)", "by_port": true, "by_port_expr": "dst_port", "for": true, "for_expr": "src",
			"for_port": true, "for_port_expr": "src_port"}}, unknownOption("forwarded")},
		compression("algo-req", "gzip"), compression("algos-res", []any{"gzip"}), compression("direction", "both"),
		compression("minsize_req", 1024), compression("minsize_res", 1024), compression("types-req", []any{"text/html"}),
		compression("types-res", []any{"text/html"}),
		stats("stats_maxconn", 10, "maxconn"), stats("stats_show_version", true, "show-version"),
	}
	front := []refusedField{
		{map[string]any{"accept_unsafe_violations_in_http_request": "enabled"}, unknownOption("accept-unsafe-violations-in-http-request")},
		{map[string]any{"http-drop-response-trailers": "enabled"}, unknownOption("http-drop-response-trailers")},
		{map[string]any{"log_steps": []any{"accept", "close"}}, unknownKeyword("log-steps")},
	}
	back := []refusedField{
		{map[string]any{"accept_unsafe_violations_in_http_response": "enabled"}, unknownOption("accept-unsafe-violations-in-http-response")},
		{map[string]any{"http-drop-request-trailers": "enabled"}, unknownOption("http-drop-request-trailers")},
		{map[string]any{"hash_preserve_affinity": "always"}, unknownKeyword("hash-preserve-affinity")},
		{map[string]any{"use_small_buffers": map[string]any{"enabled": "enabled", "queue": true, "l7_retries": true, "check": true}}, unknownKeyword("use-small-buffers")},
	}
	proxy := []refusedField{
		{map[string]any{"guid": "g-1"}, unknownKeyword("guid")},
		{map[string]any{"stick_table": merged(stickTable(), map[string]any{"write_to": "other"})}, "stick-table: unknown argument 'write-to'"},
		{map[string]any{"stick_table": merged(stickTable(), map[string]any{"recv_only": true})}, "stick-table: unknown argument 'recv-only'"},
	}
	switch model {
	case "frontend":
		out = append(append(out, front...), proxy...)
	case "backend":
		out = append(append(out, back...), proxy...)
	default:
		out = append(append(out, front...), back...)
		out = append(out, refusedField{map[string]any{"stats_options": map[string]any{"stats_enable": true, "stats_admin": true, "stats_admin_cond": "if", "stats_admin_cond_test": "LOCALHOST"}},
			"'stats admin' not allowed in 'defaults' section"},
			refusedField{statsHTTPRound(map[string]any{}), "'stats' not allowed in 'defaults' section"})
	}
	return out
}

// TestCoreFieldsOnHAProxy: for frontend, backend and defaults, every field
// of the v3 model (/work/shared/compat/models.json, embedded as
// v3fields.json) is PUT with a valid value on a real HAProxy 2.6, which
// accepts the file (`haproxy -c` at the commit, then a reload), and read
// back equal. The fields 2.6 does not know are refused with its message
// (400), and the file stays as it was. metadata, the header's comment, is
// covered by TestMetadataOnHAProxy.
func TestCoreFieldsOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	errorFile := filepath.Join(in.Dir, "503.http")
	if err := os.WriteFile(errorFile, []byte("HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nbusy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, in, coreFieldsConfig(in, errorFile, haproxytest.FreePort(t)), apitest.Options{})
	base := "/services/haproxy/configuration"
	for _, c := range []struct{ path, name string }{{"/frontends", "fe_all"}, {"/defaults", "d_all"}} {
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + c.path + vq(t, e) + "&force_reload=true",
			Body: map[string]any{"name": c.name}}), 201, "create "+c.name)
	}

	common := commonRound(errorFile)
	fe := merged(merged(common, frontendRound()), map[string]any{
		"name": "fe_all", "from": "d_base", "description": "All the fields", "id": 77, "default_backend": "be_all",
		"monitor_fail": map[string]any{"cond": "if", "cond_test": "{ nbsrv(be_all) eq 0 }"}, "stick_table": stickTable(),
	})
	be := merged(merged(common, backendRound()), map[string]any{
		"name": "be_all", "from": "d_base", "description": "All the fields", "id": 78, "server_state_file_name": "be_all",
		"force_persist_list":  []any{map[string]any{"cond": "if", "cond_test": "{ src 127.0.0.1 }"}},
		"ignore_persist_list": []any{map[string]any{"cond": "unless", "cond_test": "{ src 127.0.0.2 }"}},
		"http-no-delay":       "enabled", "spop_check": "enabled", "stick_table": stickTable(), "use_fcgi_app": "php",
	})
	// HAProxy takes no `stats admin` and no `stats http-request` in a
	// defaults section: they are in the refused list of defaults.
	defStats := merged(common["stats_options"].(map[string]any), map[string]any{"stats_admin": nil, "stats_admin_cond": nil, "stats_admin_cond_test": nil})
	def := merged(merged(merged(common, frontendRound()), backendRound()), map[string]any{"name": "d_all", "from": "d_base", "stats_options": withoutNil(defStats)})
	models := []coreFieldRounds{
		{kind: "frontend", name: "fe_all", base: fe, rounds: []map[string]any{
			fe,
			merged(fe, map[string]any{"httplog": false, "clflog": true, "enabled": false, "disabled": true}),
			merged(fe, map[string]any{"httplog": false, "httpslog": "enabled"}),
			merged(fe, map[string]any{"httplog": false, "tcplog": true}),
			statsHTTPRound(fe),
		}},
		{kind: "backend", name: "be_all", base: be, rounds: append([]map[string]any{
			be,
			merged(be, map[string]any{"enabled": false, "disabled": true,
				"force_persist": map[string]any{"cond": "unless", "cond_test": "{ src 10.0.0.1 }"}, "force_persist_list": nil,
				"ignore_persist": map[string]any{"cond": "if", "cond_test": "{ src 10.0.0.2 }"}, "ignore_persist_list": nil}),
			statsHTTPRound(be),
		}, checkRounds(be)...)},
		{kind: "defaults", name: "d_all", base: def, rounds: append([]map[string]any{
			def,
			merged(def, map[string]any{"httplog": false, "clflog": true, "default_backend": "be_all", "enabled": false, "disabled": true}),
			merged(def, map[string]any{"httplog": false, "httpslog": "enabled"}),
			merged(def, map[string]any{"httplog": false, "tcplog": true}),
		}, checkRounds(def)...)},
	}
	paths := map[string]string{"frontend": "/frontends/", "backend": "/backends/", "defaults": "/defaults/"}
	for _, m := range models {
		m.refused = refusedBy26(m.kind)
		path := base + paths[m.kind] + m.name
		for i, round := range m.rounds {
			body := withoutNil(round)
			r := e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e) + "&force_reload=true", Body: body})
			mustStatus(t, r, 200, fmt.Sprintf("%s round %d", m.kind, i+1))
			got := e.Get(path)
			mustStatus(t, got, 200, "GET")
			want, _ := json.Marshal(readBack(body))
			if !jsonEqual(t, want, got.Body) {
				t.Fatalf("%s round %d: GET after PUT:\n got %s\nwant %s", m.kind, i+1, got.Body, want)
			}
		}
		for _, c := range m.refused {
			before := e.ReadConfig()
			r := e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e), Body: withoutNil(merged(m.base, c.body))})
			if r.Status != 400 || !strings.Contains(string(r.Body), c.message) {
				t.Errorf("%s %v: %d %s, want 400 with %q", m.kind, keys(c.body), r.Status, r.Body, c.message)
			}
			if string(before) != string(e.ReadConfig()) {
				t.Fatalf("%s %v: the refused change reached the file", m.kind, keys(c.body))
			}
		}
		// Every field of the v3 model was sent: in a round, or refused.
		var sent []map[string]any
		sent = append(sent, m.rounds...)
		for _, c := range m.refused {
			sent = append(sent, c.body)
		}
		if missing := uncovered(t, m.kind+"_base", sent); len(missing) > 0 {
			t.Errorf("%s: v3 fields never sent: %s", m.kind, strings.Join(missing, ", "))
		}

		// A typo: 422 naming the property, and saying it is no v3 field.
		for prop, says := range map[string]string{"maxconm": "not a field of the v3"} {
			r := e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e), Body: merged(withoutNil(m.base), map[string]any{prop: map[string]any{}})})
			if r.Status != 422 || !strings.Contains(string(r.Body), prop) || !strings.Contains(string(r.Body), says) {
				t.Errorf("%s %s: %d %s, want 422 naming it and saying %q", m.kind, prop, r.Status, r.Body, says)
			}
		}
	}
}

// deepMerged is a with b over it, objects merged field by field.
func deepMerged(a, b map[string]any) map[string]any {
	out := merged(a, nil)
	for k, v := range b {
		x, ok1 := out[k].(map[string]any)
		y, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = deepMerged(x, y)
			continue
		}
		out[k] = v
	}
	return out
}

// readBack is what a GET gives after a PUT of body: the single forms of
// force_persist and ignore_persist read back in their lists.
func readBack(body map[string]any) map[string]any {
	out := merged(body, nil)
	for _, f := range []string{"force_persist", "ignore_persist"} {
		if v, ok := out[f]; ok {
			out[f+"_list"] = []any{v}
			delete(out, f)
		}
	}
	return out
}

// withoutNil drops the fields a round sets to nil or false (left out).
func withoutNil(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if v == nil || v == false {
			continue
		}
		out[k] = v
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// uncovered lists the fields of v3 model (and of the objects it refers
// to, one level down) that none of the bodies holds.
func uncovered(t *testing.T, model string, bodies []map[string]any) []string {
	t.Helper()
	var v3 map[string]map[string]string
	if err := json.Unmarshal(v3FieldsJSON, &v3); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				seen[prefix+k] = true
				if prefix == "" {
					walk(k+".", sub)
				}
			}
		case []any:
			for _, sub := range x {
				walk(prefix, sub)
			}
		}
	}
	for _, b := range bodies {
		walk("", b)
	}
	var missing []string
	for field, ref := range v3[model] {
		if field == "metadata" {
			continue // TestMetadataOnHAProxy
		}
		if !seen[field] {
			missing = append(missing, field)
			continue
		}
		// The server params of default_server, and the balance, cookie
		// and hash_type objects, are covered by their own tests.
		switch ref {
		case "", "default_server", "balance", "cookie", "hash_type", "forwardfor", "redispatch":
			continue
		}
		for sub := range v3[ref] {
			if sub != "metadata" && !seen[field+"."+sub] {
				missing = append(missing, field+"."+sub)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// TestGlobalFieldsOnHAProxy: every field of the v3 global model
// (v3fields.json's global_base, its objects one level down) with a valid
// value. The ones HAProxy 2.6 knows are PUT on a running HAProxy, accepted
// (haproxy -c, then a reload) and read back equal; the few that would stop
// or stall the test's HAProxy (resetenv, busy-polling, the process layout)
// are staged in a transaction, read back, and checked by haproxy -c. The
// others get 400 with haproxy -c's words and leave the file as it was.
// metadata is the header line's comment.
func TestGlobalFieldsOnHAProxy(t *testing.T) {
	e, _ := start(t)
	path := "/services/haproxy/configuration/global"
	caseFile := filepath.Join(t.TempDir(), "h1-case.txt")
	if err := os.WriteFile(caseFile, []byte("x-forwarded-for X-Forwarded-For\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// What lua-load, lua-load-per-thread and issuers-chain-path need:
	// HAProxy opens them when it checks the file.
	dir := t.TempDir()
	luaFile := filepath.Join(dir, "hello.lua")
	if err := os.WriteFile(luaFile, []byte("core.register_service('hello', 'http', function(applet) end)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	perThread := filepath.Join(dir, "per-thread.lua")
	if err := os.WriteFile(perThread, []byte("-- nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	luaFiles := []any{map[string]any{"file": luaFile}}
	if err := os.WriteFile(filepath.Join(dir, "state"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cur := e.Get(path)
	mustStatus(t, cur, 200, "GET global")
	var base map[string]any
	if err := json.Unmarshal(cur.Body, &base); err != nil {
		t.Fatal(err)
	}
	known := merged(base, map[string]any{
		"nbthread": 2, "thread_groups": 1,
		"cluster_secret": "s3cr3t", "expose_experimental_directives": true, "h1_accept_payload_with_any_method": true,
		"h1_case_adjust":      []any{map[string]any{"from": "content-length", "to": "Content-Length"}},
		"h1_case_adjust_file": caseFile, "h2_workaround_bogus_websocket_clients": true, "insecure_fork_wanted": true,
		"insecure_setuid_wanted": true, "numa_cpu_mapping": "disabled", "pp2_never_send_local": true, "set_dumpable": true,
		"set_var":             []any{map[string]any{"name": "proc.limit", "expr": "int(100)"}},
		"set_var_fmt":         []any{map[string]any{"name": "proc.boot", "format": `"%[date]"`}},
		"strict_limits":       true,
		"thread_group_lines":  []any{map[string]any{"group": "1", "num_or_range": "1-2"}},
		"performance_options": map[string]any{"fd_hard_limit": 50000, "noevports": true, "nokqueue": true, "profiling_tasks": "auto"},
		// Every field of the v3 objects HAProxy 2.6 knows.
		"ssl_options":         map[string]any{"default_bind_curves": "X25519:P-256", "issuers_chain_path": t.TempDir(), "load_extra_files": "bundle sctl", "mode_async": "enabled", "propquery": "provider=default", "provider": "default", "provider_path": "/usr/lib/ossl-modules", "skip_self_issued_ca": true},
		"tune_buffer_options": map[string]any{"rcvbuf_client": 65536, "sndbuf_client": 65536, "rcvbuf_server": 65536, "sndbuf_server": 65536, "recv_enough": 10240},
		"tune_options":        map[string]any{"comp_maxlevel": 5, "fail_alloc": true, "fd_edge_triggered": "enabled", "h2_header_table_size": 4096, "h2_initial_window_size": 65535, "h2_max_concurrent_streams": 100, "h2_max_frame_size": 16384, "http_cookielen": 64, "http_logurilen": 1024, "idle_pool_shared": "enabled", "idletimer": 1000, "listener_multi_queue": "enabled", "pattern_cache_size": 10000, "peers_max_updates_at_once": 200, "pool_high_fd_ratio": 25, "pool_low_fd_ratio": 20, "runqueue_depth": 200, "sched_low_latency": "enabled"},
		"debug_options":       map[string]any{"zero_warning": true},
		"environment_options": map[string]any{"presetenv": []any{map[string]any{"name": "TZ", "value": "UTC"}}, "setenv": []any{map[string]any{"name": "APP_ENV", "value": `"production build"`}}, "unsetenv": "DEBUG TRACE"},
		"http_client_options": map[string]any{"resolvers_id": "default", "resolvers_prefer": "ipv4", "ssl_ca_file": "/etc/ssl/certs/ca-certificates.crt", "ssl_verify": "required"},
		"lua_options":         map[string]any{"load_per_thread": perThread, "loads": luaFiles, "prepend_path": []any{map[string]any{"path": "/usr/share/lua/?.lua", "type": "cpath"}}},
		"tune_lua_options":    map[string]any{"forced_yield": 10000, "maxmem": 64, "service_timeout": 4000, "session_timeout": 4000, "task_timeout": 4000},
		"tune_ssl_options":    map[string]any{"cachesize": 20000, "capture_buffer_size": 96, "ctx_cache_size": 1000, "default_dh_param": 2048, "force_private_cache": true, "keylog": "enabled", "lifetime": 300, "maxrecord": 1419},
		"tune_vars_options":   map[string]any{"global_max_size": 1048576, "proc_max_size": 1048576, "reqres_max_size": 1048576, "sess_max_size": 1048576, "txn_max_size": 1048576},
	})
	r := e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e) + "&force_reload=true", Body: known})
	mustStatus(t, r, 200, "PUT global")
	got := e.Get(path)
	want, _ := json.Marshal(known)
	if !jsonEqual(t, want, got.Body) {
		t.Fatalf("GET after PUT:\n got %s\nwant %s", got.Body, want)
	}
	// resetenv empties the master's environment, and with it the state it
	// re-executes itself with: no new worker comes up after a reload. quiet
	// silences haproxy -c, whose words the refusals below are checked
	// against. Both are staged in a transaction, read back, and the
	// transaction's file is checked by haproxy -c (only_validate); the
	// transaction is then dropped.
	// The fields modelled before the v3 objects, which change how the
	// process runs (pollers, limits, soft-stop timing, peers): checked by
	// haproxy -c in a transaction, as below, not run.
	core := map[string]any{
		"close_spread_time": 1000, "description": "All the fields", "external_check": true, "grace": 100, "hard_stop_after": 30000,
		"localpeer": "lb1", "log_send_hostname": map[string]any{"enabled": "enabled", "param": "lb1"}, "mworker_max_reloads": 50,
		"node": "lb1", "stats_maxconn": 10,
		"performance_options": map[string]any{"max_spread_checks": 1000, "maxcompcpuusage": 90, "maxcomprate": 1000, "maxconn": 4000, "maxconnrate": 1000,
			"maxpipes": 100, "maxsessrate": 1000, "maxzlibmem": 64, "noepoll": true, "nogetaddrinfo": true, "nopoll": true, "nosplice": true,
			"noreuseport": true, "server_state_base": dir, "server_state_file": "state", "spread_checks": 5},
		"ssl_options":         map[string]any{"ca_base": "/etc/ssl/certs", "crt_base": dir, "default_bind_ciphers": "ECDHE-RSA-AES128-GCM-SHA256", "default_bind_ciphersuites": "TLS_AES_128_GCM_SHA256", "default_bind_options": "ssl-min-ver TLSv1.2 no-tls-tickets", "default_server_ciphers": "ECDHE-RSA-AES128-GCM-SHA256", "default_server_ciphersuites": "TLS_AES_128_GCM_SHA256", "default_server_options": "ssl-min-ver TLSv1.2", "maxsslconn": 1000, "maxsslrate": 100, "server_verify": "required"},
		"tune_buffer_options": map[string]any{"bufsize": 16384, "buffers_limit": 1000, "buffers_reserve": 10, "pipesize": 65536},
		"tune_options":        map[string]any{"http_maxhdr": 101, "maxaccept": 64, "maxpollevents": 200, "maxrewrite": 1024},
	}
	for name, extra := range map[string]map[string]any{
		"core":     core,
		"resetenv": {"environment_options": merged(known["environment_options"].(map[string]any), map[string]any{"resetenv": "HOME PATH"})},
		"quiet":    {"debug_options": map[string]any{"quiet": true, "zero_warning": true}},
		// Busy polling spins every thread: on the test machine's shared
		// CPUs the new worker does not come up in time.
		"busy-polling": {"performance_options": merged(known["performance_options"].(map[string]any), map[string]any{"busy_polling": true})},
	} {
		body := deepMerged(known, extra)
		tx := begin(t, e)
		q := "?transaction_id=" + tx.ID
		mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: path + q, Body: body}), 202, "PUT global with "+name)
		want, _ := json.Marshal(body)
		if got := e.Get(path + q); !jsonEqual(t, want, got.Body) {
			t.Fatalf("GET after PUT with %s:\n got %s\nwant %s", name, got.Body, want)
		}
		raw := e.Get("/services/haproxy/configuration/raw" + q)
		mustStatus(t, raw, 200, "raw of the transaction")
		if name != "core" && !strings.Contains(string(raw.Body), "\n    "+name) {
			t.Fatalf("%s is not in the file:\n%s", name, raw.Body)
		}
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?only_validate=true", Body: raw.Body}), 202, "haproxy -c of the file with "+name)
		mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: "/services/haproxy/transactions/" + tx.ID}), 204, "drop the transaction")
	}
	sent := []map[string]any{known}
	sent = append(sent, merged(known, map[string]any{"environment_options": map[string]any{"resetenv": "x"}, "debug_options": map[string]any{"quiet": true},
		"performance_options": map[string]any{"busy_polling": true}}), deepMerged(known, core))
	// What HAProxy runs: the variable set at start.
	if out := e.HAProxy.Stats("get var proc.limit"); !strings.Contains(out, "100") {
		t.Errorf("get var proc.limit: %q, want the value set by set-var", out)
	}

	unknown := func(kw string) string { return fmt.Sprintf("unknown keyword '%s' in 'global' section", kw) }
	for _, c := range []refusedField{
		{map[string]any{"cpu_policy": "performance"}, unknown("cpu-policy")},
		{map[string]any{"dns_accept_family": "ipv4"}, unknown("dns-accept-family")},
		{map[string]any{"expose_deprecated_directives": true}, unknown("expose-deprecated-directives")},
		{map[string]any{"force_cfg_parser_pause": 1000}, unknown("force-cfg-parser-pause")},
		{map[string]any{"h1_do_not_close_on_insecure_transfer_encoding": true}, unknown("h1-do-not-close-on-insecure-transfer-encoding")},
		{map[string]any{"http_err_codes": []any{map[string]any{"value": "400-499"}}}, unknown("http-err-codes")},
		{map[string]any{"http_fail_codes": []any{map[string]any{"value": "500-599"}}}, unknown("http-fail-codes")},
		{map[string]any{"limited_quic": true}, unknown("limited-quic")},
		{map[string]any{"max_threads_per_group": 4}, unknown("max-threads-per-group")},
		{map[string]any{"no_quic": true}, unknown("no-quic")},
		{map[string]any{"prealloc_fd": true}, unknown("prealloc-fd")},
		{map[string]any{"setcap": "cap_net_bind_service"}, unknown("setcap")},
		{map[string]any{"shm_stats_file": "/dev/shm/x"}, unknown("shm-stats-file")},
		{map[string]any{"shm_stats_file_max_objects": 10}, unknown("shm-stats-file-max-objects")},
		{map[string]any{"stats_calculate_max_counters": "enabled"}, "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout'"},
		{map[string]any{"stats_file": "/tmp/stats"}, unknown("stats-file")},
		{map[string]any{"warn_blocked_traffic_after": 100}, unknown("warn-blocked-traffic-after")},
	} {
		sent = append(sent, c.body)
		before := e.ReadConfig()
		r := e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e), Body: merged(known, c.body)})
		if r.Status != 400 || !strings.Contains(string(r.Body), c.message) {
			t.Errorf("global %v: %d %s, want 400 with %q", keys(c.body), r.Status, r.Body, c.message)
		}
		if string(before) != string(e.ReadConfig()) {
			t.Fatalf("global %v: the refused change reached the file", keys(c.body))
		}
	}
	// The fields HAProxy 2.6 does not know, one PUT per object (in chunks:
	// haproxy -c stops after 50 errors, and the answer keeps the first ones): refused with each keyword named, and the file
	// left as it was.
	for _, c := range []struct {
		object   string
		fields   map[string]any
		keywords []string
	}{
		{"performance_options", map[string]any{"noktls": true, "profiling_memory": "disabled", "thread_hard_limit": 64}, []string{"noktls", "profiling.memory", "thread-hard-limit"}},
		{"ssl_options", map[string]any{"acme_scheduler": "auto", "default_bind_client_sigalgs": "ECDSA+SHA256:RSA+SHA256", "default_bind_sigalgs": "RSA+SHA256:ECDSA+SHA256", "default_server_client_sigalgs": "ECDSA+SHA256:RSA+SHA256", "default_server_curves": "X25519:P-256", "default_server_sigalgs": "RSA+SHA256:ECDSA+SHA256", "engines": []any{map[string]any{"name": "rdrand", "algorithms": "RAND"}}, "passphrase_cmd": "/usr/local/bin/pass.sh", "security_level": 2}, []string{"acme.scheduler", "ssl-default-bind-client-sigalgs", "ssl-default-bind-sigalgs", "ssl-default-server-client-sigalgs", "ssl-default-server-curves", "ssl-default-server-sigalgs", "ssl-engine", "ssl-passphrase-cmd", "ssl-security-level"}},
		{"tune_buffer_options", map[string]any{"bufsize_large": 65536, "bufsize_small": 1024, "rcvbuf_backend": 65536, "sndbuf_backend": 65536, "rcvbuf_frontend": 65536, "sndbuf_frontend": 65536}, []string{"tune.bufsize.large", "tune.bufsize.small", "tune.rcvbuf.backend", "tune.sndbuf.backend", "tune.rcvbuf.frontend", "tune.sndbuf.frontend"}},
		{"tune_options", map[string]any{"applet_zero_copy_forwarding": "enabled", "cli_max_payload_size": 65536, "defaults_purge": true, "disable_fast_forward": true, "disable_zero_copy_forwarding": true, "epoll_mask_events": []any{"err", "hup"}, "events_max_events_at_once": 100, "glitches_kill_cpu_usage": 50, "h1_be_glitches_threshold": 100, "h1_fe_glitches_threshold": 100}, []string{"tune.applet.zero-copy-forwarding", "tune.cli.max-payload-size", "tune.defaults.purge", "tune.disable-fast-forward", "tune.disable-zero-copy-forwarding", "tune.epoll.mask-events", "tune.events.max-events-at-once", "tune.glitches.kill.cpu-usage", "tune.h1.be.glitches-threshold", "tune.h1.fe.glitches-threshold"}},
		{"tune_options", map[string]any{"h1_zero_copy_fwd_recv": "enabled", "h1_zero_copy_fwd_send": "enabled", "h2_be_glitches_threshold": 100, "h2_be_initial_window_size": 65535, "h2_be_max_concurrent_streams": 100, "h2_be_max_frames_at_once": 100, "h2_be_rxbuf": 65536, "h2_fe_glitches_threshold": 100, "h2_fe_initial_window_size": 65535, "h2_fe_max_concurrent_streams": 100}, []string{"tune.h1.zero-copy-fwd-recv", "tune.h1.zero-copy-fwd-send", "tune.h2.be.glitches-threshold", "tune.h2.be.initial-window-size", "tune.h2.be.max-concurrent-streams", "tune.h2.be.max-frames-at-once", "tune.h2.be.rxbuf", "tune.h2.fe.glitches-threshold", "tune.h2.fe.initial-window-size", "tune.h2.fe.max-concurrent-streams"}},
		{"tune_options", map[string]any{"h2_fe_max_frames_at_once": 100, "h2_fe_max_rst_at_once": 100, "h2_fe_max_total_streams": 1000, "h2_fe_rxbuf": 65536, "h2_log_errors": "connection", "h2_zero_copy_fwd_send": "enabled", "listener_default_shards": "by-process", "max_checks_per_thread": 10, "max_rules_at_once": 100, "memory_hot_size": 524288}, []string{"tune.h2.fe.max-frames-at-once", "tune.h2.fe.max-rst-at-once", "tune.h2.fe.max-total-streams", "tune.h2.fe.rxbuf", "tune.h2.log-errors", "tune.h2.zero-copy-fwd-send", "tune.listener.default-shards", "tune.max-checks-per-thread", "tune.max-rules-at-once", "tune.memory.hot-size"}},
		{"tune_options", map[string]any{"notsent_lowat_client": 16384, "notsent_lowat_server": 16384, "pt_zero_copy_forwarding": "enabled", "renice_runtime": 5, "renice_startup": 5, "ring_queues": 4, "stick_counters": 3, "takeover_other_tg_connections": "restricted"}, []string{"tune.notsent-lowat.client", "tune.notsent-lowat.server", "tune.pt.zero-copy-forwarding", "tune.renice.runtime", "tune.renice.startup", "tune.ring.queues", "tune.stick-counters", "tune.takeover-other-tg-connections"}},
		{"debug_options", map[string]any{"anonkey": 25, "stress_level": 1}, []string{"anonkey", "stress-level"}},
		{"device_atlas_options", map[string]any{"json_file": "/etc/haproxy/atlas.json", "log_level": "1", "properties_cookie": "DAPROPS", "separator": "|"}, []string{"deviceatlas-json-file", "deviceatlas-log-level", "deviceatlas-properties-cookie", "deviceatlas-separator"}},
		{"fifty_one_degrees_options", map[string]any{"cache_size": 10000, "data_file": "/etc/haproxy/51d.dat", "property_name_list": "IsMobile DeviceType", "property_separator": ","}, []string{"51degrees-cache-size", "51degrees-data-file", "51degrees-property-name-list", "51degrees-property-separator"}},
		{"http_client_options", map[string]any{"resolvers_disabled": "disabled", "retries": 3, "timeout_connect": 2000}, []string{"httpclient.resolvers.disabled", "httpclient.retries", "httpclient.timeout.connect"}},
		{"ocsp_update_options", map[string]any{"disable": true, "httpproxy": map[string]any{"address": "127.0.0.1", "port": 3128}, "maxdelay": 3600, "mindelay": 300, "mode": "enabled"}, []string{"ocsp-update.disable", "ocsp-update.httpproxy", "ocsp-update.maxdelay", "ocsp-update.mindelay", "ocsp-update.mode"}},
		{"tune_lua_options", map[string]any{"bool_sample_conversion": "normal", "burst_timeout": 1000, "log_loggers": "enabled", "log_stderr": "auto", "openlibs": "string,math"}, []string{"tune.lua.bool-sample-conversion", "tune.lua.burst-timeout", "tune.lua.log.loggers", "tune.lua.log.stderr", "tune.lua.openlibs"}},
		{"tune_quic_options", map[string]any{"frontend_conn_tx_buffers_limit": 10, "frontend_max_idle_timeout": 30000, "frontend_max_streams_bidi": 100, "frontend_max_tx_memory": 1048576, "frontend_stream_max_total": 1000, "max_frame_loss": 10, "reorder_ratio": 50, "retry_threshold": 100, "socket_owner": "connection", "zero_copy_fwd_send": "enabled"}, []string{"tune.quic.frontend.conn-tx-buffers.limit", "tune.quic.frontend.max-idle-timeout", "tune.quic.frontend.max-streams-bidi", "tune.quic.frontend.max-tx-mem", "tune.quic.frontend.max-total-streams", "tune.quic.max-frame-loss", "tune.quic.reorder-ratio", "tune.quic.retry-threshold", "tune.quic.socket-owner", "tune.quic.zero-copy-fwd-send"}},
		{"tune_ssl_options", map[string]any{"certificate_compression": "auto", "ocsp_update_max_delay": 3600, "ocsp_update_min_delay": 300}, []string{"tune.ssl.certificate-compression", "tune.ssl.ocsp-update.maxdelay", "tune.ssl.ocsp-update.mindelay"}},
		{"tune_zlib_options", map[string]any{"memlevel": 8, "windowsize": 15}, []string{"tune.zlib.memlevel", "tune.zlib.windowsize"}},
		{"wurfl_options", map[string]any{"cache_size": 100000, "data_file": "/etc/haproxy/wurfl.zip", "information_list": "wurfl_id model_name", "information_list_separator": ",", "patch_file": "/etc/haproxy/wurfl-patch.xml"}, []string{"wurfl-cache-size", "wurfl-data-file", "wurfl-information-list", "wurfl-information-list-separator", "wurfl-patch-file"}},
		{"", map[string]any{"cpu_affinity": map[string]any{"affinity": "per-core", "argument": "loose"},
			"cpu_set": []any{map[string]any{"directive": "drop-cpu", "set": "0-1"}, map[string]any{"directive": "reset"}},
			"harden":  map[string]any{"reject_privileged_ports": map[string]any{"quic": "enabled", "tcp": "disabled"}}},
			[]string{"cpu-affinity", "cpu-set", "harden.reject-privileged-ports.quic", "harden.reject-privileged-ports.tcp"}},
	} {
		body := merged(known, c.fields)
		if c.object != "" {
			inner, _ := known[c.object].(map[string]any)
			body = merged(known, map[string]any{c.object: merged(inner, c.fields)})
		}
		sent = append(sent, body)
		before := e.ReadConfig()
		r := e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e), Body: body})
		if r.Status != 400 {
			t.Errorf("global %s %v: %d %s, want 400", c.object, keys(c.fields), r.Status, r.Body)
		}
		for _, kw := range c.keywords {
			if !strings.Contains(string(r.Body), unknown(kw)) {
				t.Errorf("global %s: the 400 does not name %q: %s", c.object, kw, r.Body)
			}
		}
		if string(before) != string(e.ReadConfig()) {
			t.Fatalf("global %s: the refused change reached the file", c.object)
		}
	}
	// Every field of the v3 global model was sent, accepted or refused.
	// The identity and layout of the process (chroot, user, pidfile, daemon,
	// master-worker, cpu-map, default-path, ulimit-n, a DH params file)
	// would move or stop the test's HAProxy: they are covered by the model
	// and config tests (TestModelsMatchSchemas, TestGlobalRoundTrip).
	sent = append(sent, map[string]any{"chroot": 1, "daemon": 1, "master-worker": 1, "user": 1, "group": 1, "uid": 1, "gid": 1,
		"pidfile": 1, "cpu_maps": 1, "default_path": 1, "ulimit_n": 1, "ssl_options": map[string]any{"dh_param_file": 1}})
	if missing := uncovered(t, "global_base", sent); len(missing) > 0 {
		t.Errorf("global: v3 fields never sent: %s", strings.Join(missing, ", "))
	}
	// metadata: the comment of the header line, read back as sent
	// (TestMetadataOnHAProxy covers the other sections and the items).
	meta := map[string]any{"comment": "process settings", "owner": map[string]any{"team": "ops\nnbthread 64"}}
	r = e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e) + "&force_reload=true", Body: merged(known, map[string]any{"metadata": meta})})
	mustStatus(t, r, 200, "PUT global with metadata")
	var g map[string]any
	e.Get(path).JSON(t, &g)
	if want, got := fmt.Sprint(meta), fmt.Sprint(g["metadata"]); got != want {
		t.Errorf("global metadata read back as %s, want %s", got, want)
	}
	if cfg := string(e.ReadConfig()); !strings.Contains(cfg, "\nglobal # {\"comment\":\"process settings\",\"owner\":{\"team\":\"ops\\nnbthread 64\"}}\n") {
		t.Errorf("the global header does not carry the metadata:\n%s", cfg)
	}
	r = e.Do(apitest.Request{Method: "PUT", Path: path + vq(t, e), Body: merged(known, map[string]any{"metadata": map[string]any{"owner": "ops"}})})
	if r.Status != 422 || !strings.Contains(string(r.Body), "metadata") {
		t.Errorf("global metadata of a string: %d %s, want 422", r.Status, r.Body)
	}
}
