package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The golden files in testdata/golden are haproxy.cfg files written the way
// people write them (comments everywhere, odd blank lines, tabs, CRLF, a
// missing final newline, non-ASCII bytes, HAProxy 3.x words, conditional
// blocks, ${ENV} references, a 60 KB line). They pin two promises of the
// document model: every file renders back byte for byte, and an API edit
// changes only the lines it is about. The expected effect of each edit is a
// diff in the edit case files of testdata/cases (see cases_test.go): those
// files are the spec. Regenerate their diffs with `go test ./internal/config
// -run TestEditCases -update` and review every hunk by hand before
// committing.

var updateGolden = flag.Bool("update", false, "rewrite the want.diff of testdata/cases/*.txtar from the current output")

const goldenDir = "testdata/golden"

// goldenChecked lists the golden files HAProxy itself must accept (`haproxy
// -c`), with the environment they need. The others hold words HAProxy 2.6
// does not know, certificates that are not in the repository, or a missing
// final newline, which HAProxy refuses.
var goldenChecked = map[string][]string{
	"01-edge-proxy.cfg":     nil,
	"02-debian-tabs.cfg":    nil,
	"03-windows-crlf.cfg":   nil,
	"05-named-defaults.cfg": nil,
	"06-all-sections.cfg":   nil,
	"08-conditionals-env.cfg": {"SYSLOG_ADDR=127.0.0.1", "BIND_ADDR=127.0.0.1", "BIND_PORT=8000", "ADMIN_PORT=8001",
		"H2C_PORT=8002", "METRICS_PORT=8003", "ENABLE_H2C=1", "APP1_ADDR=10.0.0.1", "APP2_ADDR=10.0.0.2", "APP2_WEIGHT=100", "ENVIRONMENT=staging"},
	"09-long-line.cfg":      nil,
	"10-mixed-indent.cfg":   nil,
	"11-listen-only.cfg":    nil,
	"13-gui-generated.cfg":  nil,
	"14-lossy-lines.cfg":    nil,
	"15-acls.cfg":           nil,
	"18-tcp-rules.cfg":      nil,
	"17-http-rules.cfg":     nil,
	"19-proxy-fields.cfg":   nil,
	"20-global-options.cfg": nil,
}

func goldenFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(goldenDir, "*.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 10 {
		t.Fatalf("found %d golden files in %s, want at least 10", len(names), goldenDir)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func readGolden(t *testing.T, name string) ([]byte, *Document) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return data, d
}

// TestGoldenRoundTrip loads every golden file, checks that Render gives the
// exact bytes back, and walks every typed view (which must not panic).
func TestGoldenRoundTrip(t *testing.T) {
	for _, name := range goldenFiles(t) {
		t.Run(name, func(t *testing.T) {
			data, d := readGolden(t, name)
			if got := d.Render(); !bytes.Equal(got, data) {
				t.Fatalf("Render differs from the file:\n%s", goldenDiff(name, data, got))
			}
			goldenReadAll(t, d)
		})
	}
}

// goldenReadAll calls every typed read of the document.
func goldenReadAll(t *testing.T, d *Document) {
	t.Helper()
	for _, f := range d.Frontends() {
		if _, err := d.Frontend(f.Name); err != nil {
			t.Errorf("Frontend(%q): %v", f.Name, err)
		}
		binds, err := Binds.At(KindFrontend, f.Name).List(d)
		if err != nil {
			t.Errorf("Binds(%q): %v", f.Name, err)
		}
		for _, b := range binds {
			if _, err := Binds.At(KindFrontend, f.Name).Get(d, b.Name); err != nil {
				t.Errorf("Bind(%q, %q): %v", f.Name, b.Name, err)
			}
		}
	}
	for _, b := range d.Backends() {
		if _, err := d.Backend(b.Name); err != nil {
			t.Errorf("Backend(%q): %v", b.Name, err)
		}
		servers, err := Servers.At(KindBackend, b.Name).List(d)
		if err != nil {
			t.Errorf("Servers(%q): %v", b.Name, err)
		}
		for _, s := range servers {
			if _, err := Servers.At(KindBackend, b.Name).Get(d, s.Name); err != nil {
				t.Errorf("Server(%q, %q): %v", b.Name, s.Name, err)
			}
		}
	}
	for _, df := range d.DefaultsSections() {
		if _, err := d.Defaults(df.Name); err != nil {
			t.Errorf("Defaults(%q): %v", df.Name, err)
		}
	}
	for _, sec := range SectionResources() {
		list := reflect.ValueOf(sec.List(d))
		for i := 0; i < list.Len(); i++ {
			name := sec.NameOf(list.Index(i).Addr().Interface())
			if _, err := sec.Get(d, name); err != nil {
				t.Errorf("%s %q: %v", sec.Info().Kind, name, err)
			}
		}
	}
	for _, s := range d.Sections() {
		_ = s.Lines()
		_ = d.APIName(s)
	}
}

// TestGoldenReads checks what the typed views return for a few files.
func TestGoldenReads(t *testing.T) {
	load := func(name string) *Document {
		_, d := readGolden(t, name)
		return d
	}
	asJSON := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	expect := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", what, got, want)
		}
	}

	edge := load("01-edge-proxy.cfg")
	if edge.Version() != 12 || !edge.HasVersionLine() {
		t.Errorf("01: Version() = %d, HasVersionLine() = %v; want 12, true", edge.Version(), edge.HasVersionLine())
	}
	defs := edge.DefaultsSections()
	if len(defs) != 1 || defs[0].Name != "unnamed_defaults_1" {
		t.Fatalf("01: DefaultsSections() = %s, want one named unnamed_defaults_1", asJSON(defs))
	}
	expect("01 defaults timeouts", asJSON([]*int64{defs[0].ClientTimeout, defs[0].ServerTimeout, defs[0].ConnectTimeout, defs[0].Retries}), "[30000,30000,5000,3]")
	binds, _ := Binds.At(KindFrontend, "fe_main").List(edge)
	expect("01 fe_main binds", asJSON(binds),
		`[{"name":":80","address":"","port":80},{"name":"local_http","address":"127.0.0.1","port":8080,"metadata":{"comment":"health probes from the node"}}]`)
	web1, _ := Servers.At(KindBackend, "be_web").Get(edge, "web1")
	expect("01 be_web/web1", asJSON(web1),
		`{"name":"web1","address":"10.0.1.11","port":8080,"check":"enabled","cookie":"web1","weight":100,"metadata":{"comment":"rack A"}}`)
	api, _ := edge.Backend("be_api")
	expect("01 be_api default_server", asJSON(api.DefaultServer), `{"fall":3,"inter":2000,"rise":2}`)
	expect("01 be_api adv_check", api.AdvCheck, "httpchk")

	tabs := load("02-debian-tabs.cfg")
	if tabs.Version() != 1 || tabs.HasVersionLine() {
		t.Errorf("02: Version() = %d, HasVersionLine() = %v; want 1, false", tabs.Version(), tabs.HasVersionLine())
	}
	binds, _ = Binds.At(KindFrontend, "http-in").List(tabs)
	expect("02 http-in binds", asJSON(binds),
		`[{"name":"*:80","address":"*","port":80},{"name":"*:8080","address":"*","port":8080}]`)

	if nl := load("03-windows-crlf.cfg").NewLine(); nl != "\r\n" {
		t.Errorf("03: NewLine() = %q, want CRLF", nl)
	}
	crlf := load("03-windows-crlf.cfg")
	j1, _ := Servers.At(KindBackend, "be_jenkins").Get(crlf, "jenkins1")
	expect("03 jenkins1", asJSON(j1), `{"name":"jenkins1","address":"10.20.0.11","port":8080,"check":"enabled","weight":10,"metadata":{"comment":"primary controller"}}`)

	nofinal := load("04-no-final-newline.cfg")
	r1, _ := Servers.At(KindBackend, "be_redis").Get(nofinal, "redis1")
	expect("04 redis1", asJSON(r1), `{"name":"redis1","address":"127.0.0.1","port":6379,"check":"enabled","inter":1000}`)

	named := load("05-named-defaults.cfg")
	var names []string
	for _, df := range named.DefaultsSections() {
		names = append(names, df.Name+"<"+df.From)
	}
	expect("05 defaults names<from", strings.Join(names, " "), "http_base< http_strict<http_base tcp_base< unnamed_defaults_1<")
	fe, _ := named.Frontend("fe_public")
	expect("05 fe_public from", fe.From, "http_strict")
	legacy, _ := named.Defaults("unnamed_defaults_1")
	expect("05 unnamed defaults timeouts", asJSON([]*int64{legacy.ConnectTimeout, legacy.ClientTimeout}), "[10000,120000]")

	all := load("06-all-sections.cfg")
	servers, _ := Servers.At(KindBackend, "be_site").List(all)
	expect("06 be_site servers (server-template is not a server)", asJSON(servers),
		`[{"name":"static","address":"10.0.5.5","port":80,"check":"enabled","resolve-prefer":"ipv4","resolvers":"dns"}]`)
	users, err := all.Userlist("admins")
	if err != nil || len(users) != 3 || users[2].Name != "ci" || !users[2].Insecure {
		t.Errorf("06 userlist admins = %+v, %v", users, err)
	}

	dns, _ := resolverModel.get(all, "dns")
	expect("06 resolvers dns", asJSON(dns), `{"name":"dns","accepted_payload_size":8192,"hold_nx":30000,"hold_obsolete":30000,"hold_other":30000,"hold_refused":30000,"hold_timeout":30000,"hold_valid":10000,"resolve_retries":3,"timeout_resolve":1000,"timeout_retry":1000}`)
	nss, _ := Nameservers.At(KindResolvers, "dns").List(all)
	expect("06 nameservers", asJSON(nss), `[{"name":"dns1","address":"10.0.0.2","port":53},{"name":"dns2","address":"10.0.0.3","port":53}]`)
	assets, _ := cacheModel.get(all, "assets")
	expect("06 cache assets", asJSON(assets), `{"name":"assets","max_age":600,"max_object_size":1048576,"total_max_size":256}`)
	site, _ := httpErrorsModel.get(all, "site_errors")
	expect("06 http-errors", asJSON(site), `{"name":"site_errors","error_files":[{"code":503,"file":"errors/503.http"}]}`)
	alerts, _ := mailersModel.get(all, "alerts")
	mailers, _ := MailerEntries.At(KindMailers, "alerts").List(all)
	expect("06 mailers", asJSON([]any{alerts, mailers}), `[{"name":"alerts","timeout":20000},[{"name":"smtp1","address":"10.0.0.25","port":25}]]`)

	v3 := load("07-haproxy3-params.cfg")
	app1, _ := Servers.At(KindBackend, "be_app").Get(v3, "app1")
	expect("07 app1 (params of HAProxy 3: init-state, guid)", asJSON(app1),
		`{"name":"app1","address":"10.3.0.11","port":8080,"check":"enabled","inter":3000,"weight":20,"guid":"be-app-app1","init-state":"up"}`)
	app2, _ := Servers.At(KindBackend, "be_app").Get(v3, "app2")
	expect("07 app2", asJSON(app2), `{"name":"app2","address":"10.3.0.12","port":8080,"check":"enabled","weight":20,"guid":"be-app-app2","init-state":"fully-down"}`)
	binds, _ = Binds.At(KindFrontend, "fe_https").List(v3)
	expect("07 fe_https binds", asJSON(binds),
		`[{"name":":443","address":"","port":443,"alpn":"h2,http/1.1","ssl":true,"ssl_certificate":"@web/example.com.pem"},`+
			`{"name":"quic4@:443","address":"quic4@","port":443,"alpn":"h3","ssl":true,"ssl_certificate":"@web/example.com.pem","quic-cc-algo":"cubic"}]`)

	env := load("08-conditionals-env.cfg")
	servers, _ = Servers.At(KindBackend, "be_app").List(env)
	if len(servers) != 3 {
		t.Errorf("08 be_app: %d servers, want 3 (conditional blocks are not evaluated)", len(servers))
	}
	admin, err := Binds.At(KindFrontend, "fe_app").Get(env, "admin")
	if err != nil || admin.Address != "${BIND_ADDR}:${ADMIN_PORT}" || admin.Port != nil {
		t.Errorf(`08 bind admin = %+v, %v; want address ${BIND_ADDR}:${ADMIN_PORT}, no port`, admin, err)
	}

	long := load("09-long-line.cfg")
	www, _ := long.Frontend("fe_www")
	expect("09 description", www.Description, "Marketing site, www.example.com and its image CDN shards")

	mixed := load("10-mixed-indent.cfg")
	pay, _ := mixed.Frontend("fe_pay")
	expect("10 fe_pay maxconn (the last of two lines wins)", asJSON(pay.Maxconn), "3000")
	pay2, _ := Servers.At(KindBackend, "be_pay").Get(mixed, "pay2")
	expect("10 pay2", asJSON(pay2), `{"name":"pay2","address":"10.10.0.2","port":443,"check":"enabled","weight":10,"metadata":{"comment":"caf`+"\uFFFD \uFFFD"+` Latin-1"}}`)

	if fs := load("11-listen-only.cfg").Frontends(); len(fs) != 0 {
		t.Errorf("11: Frontends() = %s, want none (listen sections are not frontends)", asJSON(fs))
	}

	tls := load("12-ssl-offload.cfg")
	b6, err := Binds.At(KindFrontend, "fe_tls").Get(tls, "[::]:443")
	if err != nil {
		t.Fatalf("12 Bind([::]:443): %v", err)
	}
	expect("12 bind [::]:443", asJSON(b6),
		`{"name":"[::]:443","address":"::","port":443,"ssl":true,"ssl_certificate":"/etc/haproxy/certs/","strict_sni":true,"v6only":true}`)
	f12, _ := tls.Frontend("fe_tls")
	expect("12 log_format", f12.LogFormat, `"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"`)
	expect("12 unique_id_format", f12.UniqueIDFormat, `%{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid`)
}

// TestGoldenHAProxyCheck runs `haproxy -c` on the golden files marked as
// valid. It fails, never skips, when haproxy is not installed.
func TestGoldenHAProxyCheck(t *testing.T) {
	bin := goldenHAProxyBinary(t)
	for _, name := range goldenFiles(t) {
		env, ok := goldenChecked[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			goldenHAProxyCheck(t, bin, name, env)
		})
	}
}

func goldenHAProxyBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatalf("haproxy is required for this test and was not found in PATH: %v", err)
	}
	return bin
}

// goldenHAProxyCheck runs `haproxy -c -f file` from the golden directory (the
// files name errorfiles relative to it) and fails on a non-zero exit.
func goldenHAProxyCheck(t *testing.T, bin, file string, env []string) {
	t.Helper()
	cmd := exec.Command(bin, "-c", "-f", file)
	cmd.Dir = goldenDir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("haproxy -c -f %s: %v\n%s", file, err, out)
	}
}

// The section edits go through JSON, as the API does: the handler decodes a
// fresh model, so nothing is shared with the document's cached view.
// goldenHAProxyRefuses runs `haproxy -c -f file` and expects a refusal
// whose output holds msg.
func goldenHAProxyRefuses(t *testing.T, bin, file string, env []string, msg string) {
	t.Helper()
	cmd := exec.Command(bin, "-c", "-f", file)
	cmd.Dir = goldenDir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), msg) {
		t.Errorf("haproxy -c -f %s: %v, want a refusal with %q\n%s", file, err, msg, out)
	}
}

func goldenEditBackend(d *Document, name string, f func(*Backend)) (*Document, error) {
	m, err := d.Backend(name)
	if err != nil {
		return nil, err
	}
	m = goldenViaJSON(m)
	f(&m)
	return d.ReplaceBackend(name, m)
}

func goldenEditFrontend(d *Document, name string, f func(*Frontend)) (*Document, error) {
	m, err := d.Frontend(name)
	if err != nil {
		return nil, err
	}
	m = goldenViaJSON(m)
	f(&m)
	return d.ReplaceFrontend(name, m)
}

// viaJSON decodes the JSON of v into into (a pointer), as a handler does.
func viaJSON(t *testing.T, v, into any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
	return into
}

func goldenViaJSON[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// TestGoldenUnchangedPuts feeds every model read from every golden file back
// into its Replace method: the same document must come back, untouched. A
// failure means reads and writes disagree about a line of a real file.
func TestGoldenUnchangedPuts(t *testing.T) {
	for _, name := range goldenFiles(t) {
		t.Run(name, func(t *testing.T) {
			_, d := readGolden(t, name)
			goldenCheckUnchangedPuts(t, name, d)
		})
	}
}

func goldenCheckUnchangedPuts(t *testing.T, file string, d *Document) {
	t.Helper()
	report := func(what string, s *Section, nd *Document, err error) {
		t.Helper()
		if err == nil && nd == d {
			return
		}
		lines := s.header
		for _, l := range s.lines {
			lines += l
		}
		if len(lines) > 4000 {
			lines = lines[:4000] + "..."
		}
		if err != nil {
			t.Errorf("%s: unchanged PUT of %s refused: %v\nsection:\n%s", file, what, err, lines)
			return
		}
		t.Errorf("%s: unchanged PUT of %s changed the file:\n%s", file, what, goldenDiff(file, d.Render(), nd.Render()))
	}
	for _, f := range d.Frontends() {
		s, _ := d.Section(KindFrontend, f.Name)
		nd, err := d.ReplaceFrontend(f.Name, f)
		report("frontend "+f.Name, s, nd, err)
		nd, err = d.ReplaceFrontend(f.Name, goldenViaJSON(f))
		report("frontend "+f.Name+" (through JSON)", s, nd, err)
	}
	for _, b := range d.Backends() {
		s, _ := d.Section(KindBackend, b.Name)
		nd, err := d.ReplaceBackend(b.Name, b)
		report("backend "+b.Name, s, nd, err)
		nd, err = d.ReplaceBackend(b.Name, goldenViaJSON(b))
		report("backend "+b.Name+" (through JSON)", s, nd, err)
	}
	for _, m := range d.DefaultsSections() {
		s, _ := d.Section(KindDefaults, m.Name)
		nd, err := d.ReplaceDefaults(m.Name, m)
		report("defaults "+m.Name, s, nd, err)
		nd, err = d.ReplaceDefaults(m.Name, goldenViaJSON(m))
		report("defaults "+m.Name+" (through JSON)", s, nd, err)
	}
	// Every section of the kinds served from the registry's template
	// (resolvers, caches...), put back through JSON.
	for _, sec := range SectionResources() {
		info := sec.Info()
		if !info.Templated || info.NoReplace {
			continue
		}
		list := reflect.ValueOf(sec.List(d))
		for i := 0; i < list.Len(); i++ {
			m := viaJSON(t, list.Index(i).Interface(), sec.NewModel())
			name := sec.NameOf(m)
			s, _ := d.Section(info.Kind, name)
			nd, err := sec.Replace(d, name, m)
			report(info.Kind+" "+name+" (through JSON)", s, nd, err)
		}
	}
	// Every item of every declared collection, put back one by one and as
	// a whole list.
	for _, c := range Collections() {
		info := c.Info()
		for i, sec := range d.Sections() {
			if !info.HasParent(sec.Kind) || !d.reachable(i) {
				continue
			}
			p := Parent{Kind: sec.Kind, Name: d.APIName(sec)}
			all, err := c.ListAll(d, p)
			if err != nil {
				t.Errorf("%s: list %s of %s: %v", file, info.Path, p, err)
				continue
			}
			nd, err := c.ReplaceAll(d, p, viaJSON(t, all, c.NewList()))
			report(fmt.Sprintf("all %s of %s", info.Path, p), sec, nd, err)
			items := reflect.ValueOf(all)
			if info.Positional {
				for i := 0; i < items.Len(); i++ {
					nd, err := c.Replace(d, p, Key{Index: i}, viaJSON(t, items.Index(i).Interface(), c.NewModel()))
					report(fmt.Sprintf("%s #%d of %s", info.Name, i, p), sec, nd, err)
				}
				continue
			}
			for it := items.MapRange(); it.Next(); {
				name := it.Key().String()
				nd, err := c.Replace(d, p, Key{Name: name}, viaJSON(t, it.Value().Interface(), c.NewModel()))
				report(fmt.Sprintf("%s %q of %s", info.Name, name, p), sec, nd, err)
			}
		}
	}
}

// TestGoldenReadsAreCopies: a model returned by a read belongs to the
// caller. Changing it must not change what the (immutable) document
// returns next time.
func TestGoldenReadsAreCopies(t *testing.T) {
	_, d := readGolden(t, "01-edge-proxy.cfg")
	b, _ := d.Backend("be_api")
	before, _ := json.Marshal(b)
	*b.ServerTimeout = 1
	b.Balance.Algorithm = "first"
	b.DefaultServer.Fall = i64(99)
	again, _ := d.Backend("be_api")
	if after, _ := json.Marshal(again); string(after) != string(before) {
		t.Errorf("changing a returned Backend changed the document's view of it:\nbefore %s\nafter  %s", before, after)
	}
	f, _ := d.Frontend("fe_main")
	fb, _ := json.Marshal(f)
	*f.Maxconn = 1
	f.Forwardfor.Except = "10.0.0.0/8"
	again2, _ := d.Frontend("fe_main")
	if fa, _ := json.Marshal(again2); string(fa) != string(fb) {
		t.Errorf("changing a returned Frontend changed the document's view of it:\nbefore %s\nafter  %s", fb, fa)
	}
}

// TestModelRoundTrip creates objects from models and reads them back: the
// read must return exactly what was created.
func TestModelRoundTrip(t *testing.T) {
	_, base := readGolden(t, "01-edge-proxy.cfg")
	same := func(t *testing.T, put, got any) {
		t.Helper()
		a, _ := json.Marshal(put)
		b, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Errorf("read back differs from what was created:\nput %s\ngot %s", a, b)
		}
	}

	backends := []Backend{
		{Name: "be_full", Description: "Checkout service, blue pool", ID: i64(42), ServerStateFileName: "be_full",
			ProxyCommon: ProxyCommon{Mode: "http", HTTPConnectionMode: "http-server-close", LogTag: "checkout",
				Forwardfor:         &Forwardfor{Enabled: "enabled", Except: "127.0.0.0/8", Header: "X-Real-IP", Ifnone: true},
				HTTPRequestTimeout: i64(10000), HTTPKeepAliveTimeout: i64(2000), Tcpka: "enabled", CommonMore: &CommonMore{Abortonclose: "enabled"}},
			BackendOptions: BackendOptions{
				Balance:       &Balance{Algorithm: "uri", URIDepth: i64(3), URILen: i64(32), URIWhole: true},
				DefaultServer: &ServerParams{Check: "enabled", Inter: i64(2000), Fall: i64(3), Rise: i64(2), Slowstart: i64(30000), Maxconn: i64(100)},
				AdvCheck:      "httpchk", HttpchkParams: &HttpchkParams{Method: "GET", URI: "/health", Version: "HTTP/1.1"},
				CheckTimeout: i64(2000), ConnectTimeout: i64(5000), ServerTimeout: i64(30000), QueueTimeout: i64(1500),
				TunnelTimeout: i64(3600000), ServerFinTimeout: i64(1000), Retries: i64(3),
				Redispatch: &Redispatch{Enabled: "enabled", Interval: i64(2)},
				Cookie: &Cookie{Name: "SRVID", Type: "insert", Indirect: true, Nocache: true, Httponly: true, Secure: true,
					Domain: []CookieValue{{".example.com"}, {".example.org"}}, Maxidle: i64(1800), Maxlife: i64(86400)},
				HashType:   &HashType{Method: "consistent", Function: "sdbm", Modifier: "avalanche"},
				Allbackups: "disabled", HTTPReuse: "safe", PreferLastServer: "enabled",
				Fullconn: i64(1000), LoadServerStateFromFile: "local", LogHealthChecks: "enabled"}},
		{Name: "be_hdr", BackendOptions: BackendOptions{Balance: &Balance{Algorithm: "hdr", HdrName: "Host", HdrUseDomainOnly: true},
			Redispatch: &Redispatch{Enabled: "disabled"}}},
		{Name: "be_param", BackendOptions: BackendOptions{Balance: &Balance{Algorithm: "url_param", URLParam: "userid",
			URLParamCheckPost: i64(64), URLParamMaxWait: i64(10)}, AdvCheck: "ssl-hello-chk"}},
		{Name: "be_hash", BackendOptions: BackendOptions{Balance: &Balance{Algorithm: "hash", HashExpression: "req.cook(sessid)"},
			HashType: &HashType{Method: "map-based"}}},
		{Name: "be_random", BackendOptions: BackendOptions{Balance: &Balance{Algorithm: "random", RandomDraws: i64(2)}}},
		{Name: "be_rdp", ProxyCommon: ProxyCommon{Mode: "tcp"}, BackendOptions: BackendOptions{Balance: &Balance{Algorithm: "rdp-cookie", RdpCookieName: "mstshash"}}},
	}
	for _, m := range backends {
		t.Run("backend "+m.Name, func(t *testing.T) {
			d, err := base.CreateBackend(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Backend(m.Name)
			if err != nil {
				t.Fatal(err)
			}
			same(t, m, got)
		})
	}

	frontends := []Frontend{
		{Name: "fe_full", Description: "Public shop front end", ID: i64(7),
			ProxyCommon: ProxyCommon{Mode: "http", Forwardfor: &Forwardfor{Enabled: "enabled"}, HTTPConnectionMode: "httpclose", CommonMore: &CommonMore{HTTPBufferRequest: "enabled"}},
			FrontendOptions: FrontendOptions{DefaultBackend: "be_web", Maxconn: i64(2000), Backlog: i64(1024),
				ClientTimeout: i64(30000), ClientFinTimeout: i64(1000), Httplog: true,
				LogFormat:      `"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"`,
				ErrorLogFormat: `"%ci:%cp [%tr] %ft %ac/%fc %[fc_err_str]"`, Dontlognull: "enabled", Logasap: "disabled",
				MonitorURI: "/haproxy_up", UniqueIDFormat: `%{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid`, UniqueIDHeader: "X-Request-ID",
				Clitcpka: "enabled", ClitcpkaIdle: i64(60), ClitcpkaIntvl: i64(10), ClitcpkaCnt: i64(5)}},
		{Name: "fe_clf", FrontendOptions: FrontendOptions{Clflog: true, LogFormatSd: `"[exampleSDID@1234 bytes=\"%B\" status=\"%ST\"]"`}},
		{Name: "fe_tcp", ProxyCommon: ProxyCommon{Mode: "tcp"}, FrontendOptions: FrontendOptions{Tcplog: true}},
		{Name: "fe_disabled", ProxyCommon: ProxyCommon{Disabled: true}, Description: `Old "beta" site, kept for rollback`},
	}
	for _, m := range frontends {
		t.Run("frontend "+m.Name, func(t *testing.T) {
			d, err := base.CreateFrontend(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Frontend(m.Name)
			if err != nil {
				t.Fatal(err)
			}
			same(t, m, got)
		})
	}

	defaults := []Defaults{
		{Name: "web_defaults", ProxyCommon: ProxyCommon{Mode: "http"},
			FrontendOptions: FrontendOptions{Httplog: true, Dontlognull: "enabled", ClientTimeout: i64(30000), IdleCloseOnResponse: "enabled"},
			BackendOptions: BackendOptions{ConnectTimeout: i64(5000), ServerTimeout: i64(30000), Retries: i64(3),
				Redispatch: &Redispatch{Enabled: "enabled"}, DefaultServer: &ServerParams{Inter: i64(3000)}}},
	}
	for _, m := range defaults {
		t.Run("defaults "+m.Name, func(t *testing.T) {
			d, err := base.CreateDefaults(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Defaults(m.Name)
			if err != nil {
				t.Fatal(err)
			}
			same(t, m, got)
		})
	}

	servers := []Server{
		{Name: "full", Address: "10.0.9.1", Port: i64(8443), ID: i64(12), ServerParams: ServerParams{
			AgentCheck: "enabled", AgentAddr: "10.0.9.100", AgentInter: i64(5000), AgentPort: i64(9999), AgentSend: "status",
			Alpn: "h2,http/1.1", Backup: "disabled", Check: "enabled", CheckSSL: "enabled", Cookie: "full",
			Downinter: i64(10000), Fall: i64(3), Fastinter: i64(500), HealthCheckAddress: "10.0.9.2", HealthCheckPort: i64(8080),
			InitAddr: "last,libc,none", Inter: i64(2000), Maintenance: "disabled", Maxconn: i64(512), Maxqueue: i64(64), Minconn: i64(8),
			Observe: "layer7", OnMarkedDown: "shutdown-sessions", Proto: "h2", ResolveNet: "10.0.0.0/8", ResolveOpts: "allow-dup-ip",
			ResolvePrefer: "ipv4", Resolvers: "dns", Rise: i64(2), SendProxyV2: "enabled", Slowstart: i64(60000), SNI: "str(api.example.com)",
			SSL: "enabled", SSLCafile: "/etc/haproxy/ca.pem", SSLCertificate: "/etc/haproxy/client.pem", Verify: "required",
			Weight: i64(128), Ws: "h1"}},
		{Name: "v6", Address: "2001:db8::10", Port: i64(80), ServerParams: ServerParams{Check: "disabled", Maintenance: "enabled"}},
		{Name: "unix", Address: "/var/run/app.sock", ServerParams: ServerParams{SendProxy: "enabled"}},
		{Name: "fqdn", Address: "app.internal.example.com", Port: i64(443), ServerParams: ServerParams{Track: "be_web/web1"}},
	}
	for _, m := range servers {
		t.Run("server "+m.Name, func(t *testing.T) {
			d, err := Servers.At(KindBackend, "be_static").Create(base, m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Servers.At(KindBackend, "be_static").Get(d, m.Name)
			if err != nil {
				t.Fatal(err)
			}
			same(t, m, got)
		})
	}

	binds := []Bind{
		{Name: "https", Address: "0.0.0.0", Port: i64(443), BindParams: BindParams{SSL: true,
			SSLCertificate: "/etc/haproxy/certs/", SSLCafile: "/etc/haproxy/ca.pem", Verify: "optional",
			Alpn: "h2,http/1.1", SSLMinVer: "TLSv1.2", SSLMaxVer: "TLSv1.3", StrictSNI: true, Allow0rtt: true,
			CrtList: "/etc/haproxy/crt-list.txt", Maxconn: i64(10000), Backlog: "4096", Thread: "1-4", Tfo: true,
			DeferAccept: true, AcceptProxy: true}},
		{Name: "[::]:80", Address: "::", Port: i64(80), BindParams: BindParams{V6only: true, Transparent: true}},
		{Name: ":8000-8010", Port: i64(8000), PortRangeEnd: i64(8010)},
		{Name: "admin_sock", Address: "/var/run/haproxy-admin.sock", BindParams: BindParams{Mode: "600", Level: "admin",
			User: "haproxy", Group: "haproxy", ExposeFdListeners: true}},
		{Name: "v4v6", Address: "::", Port: i64(8443), BindParams: BindParams{V4v6: true, Interface: "eth0", Namespace: "blue"}},
	}
	for _, m := range binds {
		t.Run("bind "+m.Name, func(t *testing.T) {
			d, err := Binds.At(KindFrontend, "fe_main").Create(base, m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Binds.At(KindFrontend, "fe_main").Get(d, m.Name)
			if err != nil {
				t.Fatal(err)
			}
			same(t, m, got)
		})
	}
}

// TestFromNamesANamedDefaults: `from` can only name a named defaults
// section; HAProxy 2.6 refuses `backend b from unnamed_defaults_1` ("defaults
// section 'unnamed_defaults_1' not found"), so the API must too.
func TestFromNamesANamedDefaults(t *testing.T) {
	_, d := readGolden(t, "05-named-defaults.cfg")
	nd, err := d.CreateBackend(Backend{Name: "be_new", From: "unnamed_defaults_1"})
	if err == nil {
		t.Errorf("CreateBackend with from unnamed_defaults_1 was accepted:\n%s", goldenDiff("05", d.Render(), nd.Render()))
	}
	nd, err = goldenEditBackend(d, "be_legacy", func(b *Backend) { b.From = "unnamed_defaults_1" })
	if err == nil {
		t.Errorf("ReplaceBackend with from unnamed_defaults_1 was accepted:\n%s", goldenDiff("05", d.Render(), nd.Render()))
	}
	nd, err = goldenEditFrontend(d, "fe_legacy", func(f *Frontend) { f.From = "unnamed_defaults_1" })
	if err == nil {
		t.Errorf("ReplaceFrontend with from unnamed_defaults_1 was accepted:\n%s", goldenDiff("05", d.Render(), nd.Render()))
	}
}

// TestParseLongLines: HAProxy's limit is enforced at load; a line at the
// limit loads and renders back.
func TestParseLongLines(t *testing.T) {
	mk := func(n int) []byte {
		head := "frontend fe\n    description "
		body := strings.Repeat("x", n-len("    description ")-1)
		return []byte(head + body + "\n")
	}
	at := mk(MaxLineLength)
	d, err := Parse(at)
	if err != nil {
		t.Fatalf("a line of exactly %d bytes was refused: %v", MaxLineLength, err)
	}
	if !bytes.Equal(d.Render(), at) {
		t.Fatal("a long line did not render back")
	}
	if _, err := Parse(mk(MaxLineLength + 1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a line over the limit: err = %v, want ErrInvalid", err)
	}
}

// TestCorpusRoundTrip loads every *.cfg of the shared corpus of real-world
// files, when it is there (it is not in the repository or in CI): each must
// render back byte for byte, and every unchanged PUT must change nothing.
func TestCorpusRoundTrip(t *testing.T) {
	dir := os.Getenv("HAPROXY_CFG_CORPUS")
	if dir == "" {
		dir = "/work/shared/corpus/haproxy-cfg"
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.cfg"))
	if len(names) == 0 {
		t.Logf("no corpus in %s: nothing to check", dir)
		return
	}
	sort.Strings(names)
	items := map[string]int{}
	defer func() { t.Logf("%d files; items read and put back unchanged: %v", len(names), items) }()
	for _, path := range names {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := d.Render(); !bytes.Equal(got, data) {
				t.Fatalf("Render differs from the file:\n%s", goldenDiff(name, data, got))
			}
			goldenReadAll(t, d)
			for _, c := range Collections() {
				for i, s := range d.Sections() {
					if c.Info().HasParent(s.Kind) && d.reachable(i) {
						all, _ := c.ListAll(d, Parent{Kind: s.Kind, Name: d.APIName(s)})
						items[c.Info().Path] += reflect.ValueOf(all).Len()
					}
				}
			}
			t.Run("unchanged-puts", func(t *testing.T) { goldenCheckUnchangedPuts(t, name, d) })
		})
	}
}

// goldenDiff returns a unified diff (2 lines of context) of two files, with
// line endings made visible: a CRLF line ends with "␍", a last line without
// newline is followed by "\ No newline at end of file". Context lines over
// 200 bytes are shortened.
func goldenDiff(name string, a, b []byte) string {
	al, bl := goldenSplitLines(string(a)), goldenSplitLines(string(b))
	// LCS table, from the end.
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // line number in a (1-based) for ' ' and '-'
		bi   int // line number in b for ' ' and '+'
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			ops = append(ops, op{' ', al[i], i + 1, j + 1})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, op{'+', bl[j], i + 1, j + 1})
			j++
		default:
			ops = append(ops, op{'-', al[i], i + 1, j + 1})
			i++
		}
	}
	const ctx = 2
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", name, name)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-ctx, 0)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		aStart, bStart, aLen, bLen := 0, 0, 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				if aLen == 0 {
					aStart = o.ai
				}
				aLen++
			}
			if o.kind != '-' {
				if bLen == 0 {
					bStart = o.bi
				}
				bLen++
			}
		}
		if aLen == 0 {
			aStart = ops[start].ai - 1
		}
		if bLen == 0 {
			bStart = ops[start].bi - 1
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
		for _, o := range ops[start:end] {
			text, noEOL := goldenVisibleLine(o.line)
			if o.kind == ' ' && len(text) > 200 {
				text = fmt.Sprintf("%s... (%d bytes)", text[:60], len(o.line))
			}
			out.WriteByte(o.kind)
			out.WriteString(text)
			out.WriteByte('\n')
			if noEOL {
				out.WriteString("\\ No newline at end of file\n")
			}
		}
		k = end
	}
	return out.String()
}

func goldenSplitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func goldenVisibleLine(l string) (string, bool) {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return l[:len(l)-2] + "␍", false
	case strings.HasSuffix(l, "\n"):
		return l[:len(l)-1], false
	}
	return l, true
}

// TestGoldenDiffFormat pins the diff format the expectations are written in.
func TestGoldenDiffFormat(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\n"
	b := "a\nb\nC\nd\ne\nf\ng\nh\ni"
	want := "--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n b\n-c\n+C\n d\n e\n@@ -7,2 +7,3 @@\n g\n h\n+i\n\\ No newline at end of file\n"
	if got := goldenDiff("x", []byte(a), []byte(b)); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := goldenDiff("x", []byte(a), []byte(a)); got != "--- a/x\n+++ b/x\n" {
		t.Fatalf("no change: %q", got)
	}
	if !reflect.DeepEqual(goldenSplitLines("x\r\ny"), []string{"x\r\n", "y"}) {
		t.Fatal("goldenSplitLines")
	}
}
