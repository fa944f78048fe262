package api_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

const configBase = "/services/haproxy/configuration"

// sectionWriter sends writes under configBase with the current version
// (and force_reload=true, so that the answer comes once HAProxy runs the
// change) and checks their status.
func sectionWriter(t *testing.T, e *apitest.Env) func(method, path string, body any, want int) *apitest.Response {
	return func(method, path string, body any, want int) *apitest.Response {
		t.Helper()
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := e.Do(apitest.Request{Method: method, Path: configBase + path + sep + strings.TrimPrefix(vq(t, e), "?") + "&force_reload=true", Body: body})
		mustStatus(t, r, want, method+" "+path)
		return r
	}
}

// TestCacheSectionServesFromCache: a cache section created through the API,
// used by cache-use/cache-store rules created through the API, answers the
// second request itself: the server sees one request, the client an `age`
// header. A PUT changes the section's lines in place.
func TestCacheSectionServesFromCache(t *testing.T) {
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "cacheable page")
	})
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
    server app %s
`, port, app.Addr()), apitest.Options{})
	write := sectionWriter(t, e)

	write("POST", "/caches", map[string]any{"name": "pages", "total_max_size": 4, "max_object_size": 100000, "max_age": 60, "process_vary": false}, 201)
	write("POST", "/backends/be/http_request_rules/0", map[string]any{"type": "cache-use", "cache_name": "pages"}, 201)
	write("POST", "/backends/be/http_response_rules/0", map[string]any{"type": "cache-store", "cache_name": "pages"}, 201)
	if !strings.Contains(string(e.ReadConfig()), "cache pages\n    total-max-size 4\n    max-object-size 100000\n    max-age 60\n    process-vary off\n") {
		t.Fatalf("the file lacks the cache section:\n%s", e.ReadConfig())
	}
	if out := in.Stats("show cache"); !strings.Contains(out, ": pages (") {
		t.Fatalf("HAProxy runs no cache `pages`:\n%s", out)
	}

	url := fmt.Sprintf("http://127.0.0.1:%d/page", port)
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		if i > 0 && resp.Header.Get("Age") == "" {
			t.Errorf("request %d: no age header: not served from the cache (%v)", i, resp.Header)
		}
	}
	if h := app.Hits(); h != 1 {
		t.Fatalf("the server saw %d requests, want 1 (the others from the cache)", h)
	}

	var c map[string]any
	e.Get(configBase+"/caches/pages").JSON(t, &c)
	if c["total_max_size"] != float64(4) || c["max_object_size"] != float64(100000) || c["max_age"] != float64(60) || c["process_vary"] != false {
		t.Fatalf("cache read back: %v", c)
	}
	write("PUT", "/caches/pages", map[string]any{"name": "pages", "total_max_size": 8, "max_object_size": 100000, "max_age": 60, "process_vary": true}, 200)
	if !strings.Contains(string(e.ReadConfig()), "cache pages\n    total-max-size 8\n    max-object-size 100000\n    max-age 60\n    process-vary on\n") {
		t.Fatalf("the PUT did not rewrite the lines in place:\n%s", e.ReadConfig())
	}
	// In use by the rules: HAProxy refuses the file without it (400), and
	// the file stays.
	before := e.ReadConfig()
	r := e.Do(apitest.Request{Method: "DELETE", Path: configBase + "/caches/pages" + vq(t, e)})
	if r.Status != 400 || string(e.ReadConfig()) != string(before) {
		t.Fatalf("delete of a cache in use: %d %s", r.Status, r.Body)
	}
}

// TestHTTPErrorsSectionServesItsPage: an http-errors section created
// through the API (`errorfile 503 <file>`), used by the backend with
// `http-error status 503 errorfiles <name>` (an http_error_rule created
// through the API), answers a 503 of a backend without servers with its
// page; a PUT naming another file serves that one, and so does a plain
// `errorfiles <name>` line of the backend (a raw edit: not modelled).
func TestHTTPErrorsSectionServesItsPage(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	page := func(name, text string) string {
		p := filepath.Join(in.Dir, name)
		body := "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\n\r\n" + text
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first, second := page("503.http", "sorry, from http-errors site\n"), page("503b.http", "second page\n")
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
`, port), apitest.Options{})
	write := sectionWriter(t, e)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)

	if code, body, _ := haproxytest.HTTPGet(t.Context(), url); code != 503 || strings.Contains(body, "http-errors") {
		t.Fatalf("before: %d %q", code, body)
	}
	write("POST", "/http_errors_sections", map[string]any{"name": "site", "error_files": []map[string]any{{"code": 503, "file": first}}}, 201)
	write("POST", "/backends/be/http_error_rules/0", map[string]any{"type": "status", "status": 503, "return_content_format": "errorfiles", "return_content": "site"}, 201)
	if code, body, err := haproxytest.HTTPGet(t.Context(), url); err != nil || code != 503 || body != "sorry, from http-errors site\n" {
		t.Fatalf("with the section: %d %q %v", code, body, err)
	}

	var sec map[string]any
	e.Get(configBase+"/http_errors_sections/site").JSON(t, &sec)
	if fmt.Sprint(sec["error_files"]) != fmt.Sprintf("[map[code:503 file:%s]]", first) {
		t.Fatalf("section read back: %v", sec)
	}
	write("PUT", "/http_errors_sections/site", map[string]any{"name": "site", "error_files": []map[string]any{{"code": 503, "file": second}, {"code": 404, "file": first}}}, 200)
	if code, body, err := haproxytest.HTTPGet(t.Context(), url); err != nil || code != 503 || body != "second page\n" {
		t.Fatalf("after the PUT: %d %q %v", code, body, err)
	}
	// The plain `errorfiles <name>` line of a backend (not modelled: a raw
	// edit) in place of the rule serves the section's page too.
	raw := e.Get(configBase + "/raw")
	mustStatus(t, raw, 200, "raw")
	edited := strings.Replace(string(raw.Body), "    http-error status 503 errorfiles site\n", "    errorfiles site\n", 1)
	if edited == string(raw.Body) {
		t.Fatalf("no http-error line to replace:\n%s", raw.Body)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: configBase + "/raw?force_reload=true&version=" + raw.Header.Get("Configuration-Version"), Body: edited}), 201, "raw edit")
	if code, body, err := haproxytest.HTTPGet(t.Context(), url); err != nil || code != 503 || body != "second page\n" {
		t.Fatalf("with `errorfiles site`: %d %q %v", code, body, err)
	}

	var all []map[string]any
	e.Get(configBase+"/http_errors_sections").JSON(t, &all)
	if len(all) != 1 || len(all[0]["error_files"].([]any)) != 2 {
		t.Fatalf("list: %v", all)
	}
	// A file that does not exist: HAProxy refuses it, nothing changes.
	before := e.ReadConfig()
	r := e.Do(apitest.Request{Method: "POST", Path: configBase + "/http_errors_sections" + vq(t, e),
		Body: map[string]any{"name": "other", "error_files": []map[string]any{{"code": 503, "file": filepath.Join(in.Dir, "missing.http")}}}})
	if r.Status != 400 || string(e.ReadConfig()) != string(before) {
		t.Fatalf("missing error file: %d %s", r.Status, r.Body)
	}
}

// dnsResponder answers A queries for one name with the address it holds,
// on 127.0.0.1 (UDP), with a TTL of 1 s.
type dnsResponder struct {
	Port int
	addr atomic.Value // string
	hits atomic.Int64
}

func startDNS(t *testing.T, name, addr string) *dnsResponder {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dnsResponder{Port: pc.LocalAddr().(*net.UDPAddr).Port}
	d.addr.Store(addr)
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		d.hits.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			switch {
			case q.Name != name:
				m.Rcode = dns.RcodeNameError
			case q.Qtype == dns.TypeA:
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1},
					A:   net.ParseIP(d.addr.Load().(string)),
				})
			}
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return d
}

// backendsOnOnePort starts HTTP servers answering their name on each of
// the loopback addresses, all on one port (a DNS A record carries no port).
func backendsOnOnePort(t *testing.T, addrs ...string) int {
	t.Helper()
	for try := 0; try < 20; try++ {
		port := haproxytest.FreePort(t)
		var ls []net.Listener
		for _, a := range addrs {
			l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", a, port))
			if err != nil {
				break
			}
			ls = append(ls, l)
		}
		if len(ls) != len(addrs) {
			for _, l := range ls {
				l.Close()
			}
			continue
		}
		for i, l := range ls {
			name := addrs[i]
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, name) }), ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = srv.Serve(l) }()
			t.Cleanup(func() { _ = srv.Close() })
		}
		return port
	}
	t.Fatal("no port free on every address")
	return 0
}

// TestResolversFollowDNS: a resolvers section and its nameserver created
// through the API (the nameserver a DNS responder of the test), a server
// added with `resolvers <name>` and a host name: HAProxy takes the
// server's address from the responder, and follows a change of the record
// without a reload (show servers state, and the traffic reaching the
// second address).
func TestResolversFollowDNS(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	appPort := backendsOnOnePort(t, "127.0.0.2", "127.0.0.3")
	ns := startDNS(t, "app.test.", "127.0.0.2")
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
`, port), apitest.Options{})
	write := sectionWriter(t, e)

	write("POST", "/resolvers", map[string]any{"name": "local", "resolve_retries": 3, "timeout_resolve": 200, "timeout_retry": 200,
		"hold_valid": 200, "hold_obsolete": 200, "accepted_payload_size": 1232}, 201)
	write("POST", "/nameservers?resolver=local", map[string]any{"name": "test", "address": "127.0.0.1", "port": ns.Port}, 201)
	write("POST", "/backends/be/servers", map[string]any{"name": "app", "address": "app.test", "port": appPort,
		"resolvers": "local", "resolve-prefer": "ipv4", "init-addr": "none"}, 201)
	if !strings.Contains(string(e.ReadConfig()), fmt.Sprintf("resolvers local\n    nameserver test 127.0.0.1:%d\n", ns.Port)) {
		t.Fatalf("the file lacks the resolvers section:\n%s", e.ReadConfig())
	}

	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	reach := func(want string) {
		t.Helper()
		haproxytest.WaitFor(t, 15*time.Second, "traffic reaches "+want, func() bool {
			_, body, _ := haproxytest.HTTPGet(t.Context(), url)
			return body == want
		})
	}
	reach("127.0.0.2")
	if st := in.Stats("show servers state be"); !strings.Contains(st, " app 127.0.0.2 ") {
		t.Fatalf("server state:\n%s", st)
	}
	reloads, _ := in.Reloads()

	ns.addr.Store("127.0.0.3")
	reach("127.0.0.3")
	haproxytest.WaitFor(t, 10*time.Second, "the server state shows the new address", func() bool {
		return strings.Contains(in.Stats("show servers state be"), " app 127.0.0.3 ")
	})
	if r, _ := in.Reloads(); r != reloads {
		t.Fatalf("%d reloads while following the record, want none", r-reloads)
	}
	if ns.hits.Load() == 0 {
		t.Fatal("the responder was never asked")
	}

	// Read back field for field, with full_section.
	var res map[string]any
	e.Get(configBase+"/resolvers/local?full_section=true").JSON(t, &res)
	want := map[string]any{"name": "local", "resolve_retries": float64(3), "timeout_resolve": float64(200), "timeout_retry": float64(200),
		"hold_valid": float64(200), "hold_obsolete": float64(200), "accepted_payload_size": float64(1232),
		"nameservers": map[string]any{"test": map[string]any{"name": "test", "address": "127.0.0.1", "port": float64(ns.Port)}}}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Fatalf("resolver read back:\n got %v\nwant %v", res, want)
	}
	var nss []map[string]any
	e.Get(configBase+"/nameservers?resolver=local").JSON(t, &nss)
	if len(nss) != 1 || nss[0]["name"] != "test" {
		t.Fatalf("nameservers: %v", nss)
	}
}

// TestMailersSection: a mailers section and its mailers created through
// the API pass haproxy -c (every commit runs it), read back field for
// field, change in place, and go away.
func TestMailersSection(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200
`, haproxytest.FreePort(t)), apitest.Options{})
	write := sectionWriter(t, e)

	write("POST", "/mailers_section", map[string]any{"name": "alerts", "timeout": 15000}, 201)
	write("POST", "/mailer_entries?mailers_section=alerts", map[string]any{"name": "smtp1", "address": "127.0.0.1", "port": 25}, 201)
	write("POST", "/mailer_entries?mailers_section=alerts", map[string]any{"name": "smtp2", "address": "::1", "port": 587}, 201)
	if !strings.Contains(string(e.ReadConfig()), "mailers alerts\n    mailer smtp1 127.0.0.1:25\n    mailer smtp2 [::1]:587\n    timeout mail 15s\n") {
		t.Fatalf("the file lacks the mailers section:\n%s", e.ReadConfig())
	}
	var m map[string]any
	e.Get(configBase+"/mailers_section/alerts?full_section=true").JSON(t, &m)
	want := map[string]any{"name": "alerts", "timeout": float64(15000), "mailer_entries": map[string]any{
		"smtp1": map[string]any{"name": "smtp1", "address": "127.0.0.1", "port": float64(25)},
		"smtp2": map[string]any{"name": "smtp2", "address": "::1", "port": float64(587)},
	}}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("mailers read back:\n got %v\nwant %v", m, want)
	}
	var entry map[string]any
	e.Get(configBase+"/mailer_entries/smtp2?mailers_section=alerts").JSON(t, &entry)
	if fmt.Sprint(entry) != fmt.Sprint(want["mailer_entries"].(map[string]any)["smtp2"]) {
		t.Fatalf("entry: %v", entry)
	}

	write("PUT", "/mailer_entries/smtp1?mailers_section=alerts", map[string]any{"name": "smtp1", "address": "127.0.0.2", "port": 2525}, 200)
	write("PUT", "/mailers_section/alerts", map[string]any{"name": "alerts", "timeout": 30000}, 200)
	if !strings.Contains(string(e.ReadConfig()), "mailers alerts\n    mailer smtp1 127.0.0.2:2525\n    mailer smtp2 [::1]:587\n    timeout mail 30s\n") {
		t.Fatalf("after the PUTs:\n%s", e.ReadConfig())
	}
	write("DELETE", "/mailer_entries/smtp2?mailers_section=alerts", nil, 204)
	var entries []map[string]any
	e.Get(configBase+"/mailer_entries?mailers_section=alerts").JSON(t, &entries)
	if len(entries) != 1 || entries[0]["name"] != "smtp1" || entries[0]["port"] != float64(2525) {
		t.Fatalf("entries: %v", entries)
	}
	// full_section: the body's entries replace the section's.
	write("PUT", "/mailers_section/alerts?full_section=true", map[string]any{"name": "alerts", "timeout": 30000, "mailer_entries": map[string]any{
		"smtp1": map[string]any{"name": "smtp1", "address": "127.0.0.2", "port": 2525},
		"smtp3": map[string]any{"name": "smtp3", "address": "127.0.0.4", "port": 25},
	}}, 200)
	if !strings.Contains(string(e.ReadConfig()), "mailers alerts\n    mailer smtp1 127.0.0.2:2525\n    mailer smtp3 127.0.0.4:25\n    timeout mail 30s\n") {
		t.Fatalf("after the full_section PUT:\n%s", e.ReadConfig())
	}
	write("DELETE", "/mailers_section/alerts", nil, 204)
	if strings.Contains(string(e.ReadConfig()), "mailers") {
		t.Fatalf("deleted section still there:\n%s", e.ReadConfig())
	}
}

// TestOtherSectionsRefuseBadInput: per kind, bad names, injection with
// newlines and spaces, out-of-range values, duplicates and missing parents
// get a 4xx JSON error and leave the file as it was.
func TestOtherSectionsRefuseBadInput(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200

resolvers dns
    nameserver ns1 127.0.0.1:53

cache c
    total-max-size 4

http-errors he
    errorfile 503 /dev/null

mailers ml
    mailer m1 127.0.0.1:25
`, haproxytest.FreePort(t)), apitest.Options{})
	type c struct {
		method, path string
		body         any
		want         int
	}
	cases := []c{
		// resolvers and nameservers
		{"POST", "/resolvers", map[string]any{"name": "bad name"}, 400},
		{"POST", "/resolvers", map[string]any{"name": "r\nglobal"}, 400},
		{"POST", "/resolvers", map[string]any{"name": "dns"}, 409},
		{"POST", "/resolvers", map[string]any{"name": "r", "accepted_payload_size": 100}, 400},
		{"PUT", "/resolvers/nope", map[string]any{"name": "nope"}, 404},
		{"PUT", "/resolvers/dns", map[string]any{"name": "other"}, 400},
		{"GET", "/nameservers", nil, 400},
		{"GET", "/nameservers?resolver=nope", nil, 404},
		{"GET", "/nameservers/nope?resolver=dns", nil, 404},
		{"POST", "/nameservers?resolver=nope", map[string]any{"name": "n", "address": "127.0.0.1", "port": 53}, 404},
		{"POST", "/nameservers?resolver=dns", map[string]any{"name": "n", "address": "127.0.0.1\n    hold valid 1s", "port": 53}, 400},
		{"POST", "/nameservers?resolver=dns", map[string]any{"name": "n", "address": "127.0.0.1 127.0.0.2", "port": 53}, 400},
		{"POST", "/nameservers?resolver=dns", map[string]any{"name": "n m", "address": "127.0.0.1", "port": 53}, 400},
		{"POST", "/nameservers?resolver=dns", map[string]any{"name": "ns1", "address": "127.0.0.1", "port": 53}, 409},
		{"DELETE", "/nameservers/nope?resolver=dns", nil, 404},
		// caches
		{"POST", "/caches", map[string]any{"name": "c2", "total_max_size": 5000}, 400},
		{"POST", "/caches", map[string]any{"name": "c2\n"}, 400},
		{"POST", "/caches", map[string]any{"name": "c"}, 409},
		{"PUT", "/caches/nope", map[string]any{"name": "nope"}, 404},
		{"DELETE", "/caches/nope", nil, 404},
		// http-errors
		{"POST", "/http_errors_sections", map[string]any{"name": "x", "error_files": []map[string]any{{"code": 503, "file": "/dev/null\n    errorfile 404 /etc/passwd"}}}, 400},
		{"POST", "/http_errors_sections", map[string]any{"name": "x", "error_files": []map[string]any{{"code": 503, "file": "/a b"}}}, 400},
		{"POST", "/http_errors_sections", map[string]any{"name": "x", "error_files": []map[string]any{{"code": 418, "file": "/dev/null"}}}, 400},
		{"POST", "/http_errors_sections", map[string]any{"name": "x.y", "error_files": []map[string]any{}}, 400},
		{"POST", "/http_errors_sections", map[string]any{"name": "he", "error_files": []map[string]any{}}, 409},
		{"PUT", "/http_errors_sections/nope", map[string]any{"name": "nope", "error_files": []map[string]any{}}, 404},
		// mailers
		{"POST", "/mailers_section", map[string]any{"name": "m l"}, 400},
		{"POST", "/mailers_section", map[string]any{"name": "ml"}, 409},
		{"GET", "/mailer_entries?mailers_section=nope", nil, 404},
		{"POST", "/mailer_entries?mailers_section=nope", map[string]any{"name": "m2", "address": "127.0.0.1", "port": 25}, 404},
		{"POST", "/mailer_entries?mailers_section=ml", map[string]any{"name": "m2", "address": "127.0.0.1"}, 400},
		{"POST", "/mailer_entries?mailers_section=ml", map[string]any{"name": "m2", "address": "127.0.0.1\ntimeout mail 1s", "port": 25}, 400},
		{"POST", "/mailer_entries?mailers_section=ml", map[string]any{"name": "m2", "address": "/tmp/sock", "port": 25}, 400},
		{"POST", "/mailer_entries?mailers_section=ml", map[string]any{"name": "m1", "address": "127.0.0.1", "port": 25}, 409},
		{"PUT", "/mailer_entries/nope?mailers_section=ml", map[string]any{"name": "nope", "address": "127.0.0.1", "port": 25}, 404},
	}
	before := string(e.ReadConfig())
	for _, c := range cases {
		path := configBase + c.path
		if c.method != "GET" {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			path += sep + strings.TrimPrefix(vq(t, e), "?")
		}
		r := e.Do(apitest.Request{Method: c.method, Path: path, Body: c.body})
		if r.Status != c.want && !(c.want == 400 && r.Status == 422) {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.want, r.Body)
			continue
		}
		var msg struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		r.JSON(t, &msg)
		if msg.Code != r.Status || msg.Message == "" {
			t.Errorf("%s %s: error body %s", c.method, c.path, r.Body)
		}
	}
	if got := string(e.ReadConfig()); got != before {
		t.Fatalf("a refused request changed the file:\n%s", got)
	}
}

// TestOtherSectionsInATransaction: sections of every new kind and their
// children staged in one transaction reach the file only at the commit,
// which HAProxy runs after one reload; the mailers section gets its
// mailer before the commit, as HAProxy wants it.
func TestOtherSectionsInATransaction(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200
`, haproxytest.FreePort(t)), apitest.Options{})
	before := e.ReadConfig()
	tx := begin(t, e)
	q := "transaction_id=" + tx.ID
	for _, c := range []struct {
		path string
		body any
	}{
		{"/resolvers?", map[string]any{"name": "dns", "hold_valid": 10000}},
		{"/nameservers?resolver=dns&", map[string]any{"name": "ns1", "address": "127.0.0.1", "port": 53}},
		{"/caches?", map[string]any{"name": "c", "total_max_size": 4}},
		{"/http_errors_sections?", map[string]any{"name": "he", "error_files": []map[string]any{{"code": 503, "file": "/dev/null"}}}},
		{"/mailers_section?", map[string]any{"name": "ml", "timeout": 5000}},
		{"/mailer_entries?mailers_section=ml&", map[string]any{"name": "m1", "address": "127.0.0.1", "port": 25}},
	} {
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: configBase + c.path + q, Body: c.body}), 202, "staged POST "+c.path)
	}
	var nss []map[string]any
	e.Get(configBase+"/nameservers?resolver=dns&"+q).JSON(t, &nss)
	if len(nss) != 1 {
		t.Fatalf("nameservers in the transaction: %v", nss)
	}
	if string(e.ReadConfig()) != string(before) {
		t.Fatal("staged edits reached the file before the commit")
	}
	reloads, _ := in.Reloads()
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")
	after := string(e.ReadConfig())
	for _, want := range []string{
		"resolvers dns\n    nameserver ns1 127.0.0.1:53\n    hold valid 10s\n",
		"cache c\n    total-max-size 4\n",
		"http-errors he\n    errorfile 503 /dev/null\n",
		"mailers ml\n    mailer m1 127.0.0.1:25\n    timeout mail 5s\n",
	} {
		if !strings.Contains(after, want) {
			t.Errorf("the committed file lacks %q:\n%s", want, after)
		}
	}
	if r, _ := in.Reloads(); r != reloads+1 {
		t.Fatalf("%d reloads for the commit, want 1", r-reloads)
	}
	if out := in.Stats("show cache"); !strings.Contains(out, ": c (") {
		t.Fatalf("HAProxy runs no cache c:\n%s", out)
	}
}
