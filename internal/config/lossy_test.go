package config

import (
	"errors"
	"strings"
	"testing"
)

// Edits the API cannot make without losing words of the file must be
// refused with an *InvalidError naming the field; edits it can make must
// keep every word they are not about; unchanged PUTs must touch nothing.

func mustParse(t *testing.T, cfg string) *Document {
	t.Helper()
	d, err := Parse([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wantRefused checks that an edit failed with an *InvalidError for field
// whose reason mentions every one of words.
func wantRefused(t *testing.T, nd *Document, err error, field string, words ...string) {
	t.Helper()
	var ie *InvalidError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
		if nd != nil {
			t.Fatalf("err = %v, want an *InvalidError for %s; the edit gave:\n%s", err, field, nd.Render())
		}
		t.Fatalf("err = %v, want an *InvalidError for %s", err, field)
	}
	if ie.Field != field {
		t.Errorf("InvalidError.Field = %q, want %q (%v)", ie.Field, field, err)
	}
	for _, w := range words {
		if !strings.Contains(ie.Reason, w) {
			t.Errorf("reason %q does not mention %q", ie.Reason, w)
		}
	}
	if nd != nil {
		t.Error("a refused edit returned a document")
	}
}

// wantSame checks that an edit succeeded and returned d itself.
func wantSame(t *testing.T, d, nd *Document, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unchanged PUT refused: %v", err)
	}
	if nd != d {
		t.Fatalf("unchanged PUT returned a new document:\n%s", nd.Render())
	}
}

func wantBody(t *testing.T, nd *Document, err error, want string) {
	t.Helper()
	if err != nil {
		t.Fatalf("edit failed: %v", err)
	}
	if got := string(nd.Render()); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func backendOf(t *testing.T, d *Document, name string) Backend {
	t.Helper()
	b, err := d.Backend(name)
	if err != nil {
		t.Fatal(err)
	}
	return goldenViaJSON(b)
}

func TestDefaultServerOneLineEditedInPlace(t *testing.T) {
	const cfg = "backend be\n" +
		"    default-server check inter 2s pool-max-conn 10 check-sni example.com # tuned\n" +
		"    server s1 10.0.0.1:80\n"
	d := mustParse(t, cfg)
	b := backendOf(t, d, "be")
	nd, err := d.ReplaceBackend("be", b)
	wantSame(t, d, nd, err)

	b.DefaultServer.Inter = i64(3000)
	nd, err = d.ReplaceBackend("be", b)
	wantBody(t, nd, err, "backend be\n"+
		"    default-server check inter 3s pool-max-conn 10 check-sni example.com # tuned\n"+
		"    server s1 10.0.0.1:80\n")

	b.DefaultServer.Check = ""
	b.DefaultServer.Rise = i64(2)
	nd, err = d.ReplaceBackend("be", b)
	wantBody(t, nd, err, "backend be\n"+
		"    default-server inter 3s pool-max-conn 10 check-sni example.com rise 2 # tuned\n"+
		"    server s1 10.0.0.1:80\n")

	b.DefaultServer = nil
	nd, err = d.ReplaceBackend("be", b)
	wantBody(t, nd, err, "backend be\n    server s1 10.0.0.1:80\n")
}

func TestDefaultServerSeveralLinesRefused(t *testing.T) {
	const cfg = "defaults\n" +
		"    mode http\n" +
		"    default-server check inter 2s pool-max-conn 10 check-sni example.com\n" +
		"backend be\n" +
		"    default-server check inter 2s pool-max-conn 10 check-sni example.com\n" +
		"    server s1 10.0.0.1:80\n" +
		"    default-server ssl-reuse\n" +
		"    server s2 10.0.0.2:80\n"
	d := mustParse(t, cfg)
	b := backendOf(t, d, "be")
	if b.DefaultServer == nil || b.DefaultServer.Check != "enabled" || !eqInt(b.DefaultServer.Inter, i64(2000)) {
		t.Fatalf("merged default_server = %+v", b.DefaultServer)
	}
	nd, err := d.ReplaceBackend("be", b)
	wantSame(t, d, nd, err)

	b.DefaultServer.Inter = i64(3000)
	nd, err = d.ReplaceBackend("be", b)
	wantRefused(t, nd, err, "default_server", "default-server lines", "raw")

	b.DefaultServer = nil
	nd, err = d.ReplaceBackend("be", b)
	wantRefused(t, nd, err, "default_server")

	// Another field of the same backend can still change.
	b = backendOf(t, d, "be")
	b.Retries = i64(3)
	nd, err = d.ReplaceBackend("be", b)
	if err != nil {
		t.Fatalf("an edit of retries was refused: %v", err)
	}
	if !strings.Contains(string(nd.Render()), "    default-server ssl-reuse\n") {
		t.Fatalf("the edit lost a default-server line:\n%s", nd.Render())
	}

	// Defaults sections hold default-server too.
	df, _ := d.Defaults("unnamed_defaults_1")
	df = goldenViaJSON(df)
	df.DefaultServer.Inter = i64(5000)
	nd, err = d.ReplaceDefaults("unnamed_defaults_1", df)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(nd.Render()), "    default-server check inter 5s pool-max-conn 10 check-sni example.com\nbackend be\n") {
		t.Fatalf("defaults default-server not edited in place:\n%s", nd.Render())
	}
}

func TestCookieTimes(t *testing.T) {
	const cfg = "backend be\n    cookie SRV insert maxidle 30m maxlife 1d domain \".example.com\"\n"
	d := mustParse(t, cfg)
	b := backendOf(t, d, "be")
	if c := b.Cookie; c == nil || !eqInt(c.Maxidle, i64(1800)) || !eqInt(c.Maxlife, i64(86400)) ||
		len(c.Domain) != 1 || c.Domain[0].Value != ".example.com" {
		t.Fatalf("cookie = %+v", b.Cookie)
	}
	nd, err := d.ReplaceBackend("be", b)
	wantSame(t, d, nd, err)

	b.Cookie.Secure = true
	nd, err = d.ReplaceBackend("be", b)
	wantBody(t, nd, err, "backend be\n    cookie SRV insert secure domain \".example.com\" maxidle 30m maxlife 1d\n")

	b.Cookie.Maxidle = i64(60)
	nd, err = d.ReplaceBackend("be", b)
	wantBody(t, nd, err, "backend be\n    cookie SRV insert secure domain \".example.com\" maxidle 60 maxlife 1d\n")
	back := backendOf(t, nd, "be")
	if !eqInt(back.Cookie.Maxidle, i64(60)) || !eqInt(back.Cookie.Maxlife, i64(86400)) {
		t.Fatalf("read back: %+v", back.Cookie)
	}
}

func TestCookieOpaque(t *testing.T) {
	for _, line := range []string{
		"cookie SRV insert maxidle 1500ms",
		"cookie SRV insert maxidle ${IDLE}",
		"cookie SRV insert maxidle",
		"cookie SRV insert samesite-none",
		"cookie SRV insert nocache\n    cookie SRV2 insert",
	} {
		t.Run(line, func(t *testing.T) {
			d := mustParse(t, "backend be\n    "+line+"\n")
			b := backendOf(t, d, "be")
			if b.Cookie == nil || b.Cookie.Type != "insert" {
				t.Fatalf("cookie = %+v, want what can be read", b.Cookie)
			}
			nd, err := d.ReplaceBackend("be", b)
			wantSame(t, d, nd, err)
			b.Cookie.Httponly = true
			nd, err = d.ReplaceBackend("be", b)
			wantRefused(t, nd, err, "cookie", "raw")
			b.Cookie = nil
			nd, err = d.ReplaceBackend("be", b)
			wantRefused(t, nd, err, "cookie")
		})
	}
}

// TestSpecialFieldsOpaque: lines with words a field's reader skips are kept
// by unchanged PUTs and refused by changing ones.
func TestSpecialFieldsOpaque(t *testing.T) {
	cases := []struct {
		line, field string
		change      func(b *Backend)
	}{
		{"balance roundrobin extra", "balance", func(b *Backend) { b.Balance = &Balance{Algorithm: "leastconn"} }},
		{"balance uri depth x", "balance", func(b *Backend) { b.Balance.URIWhole = true }},
		{"balance url_param id check_post", "balance", func(b *Backend) { b.Balance.URLParam = "uid" }},
		{"balance hdr(Host) use_domain_only extra", "balance", func(b *Backend) { b.Balance.HdrName = "X" }},
		{"balance random(x)", "balance", func(b *Backend) { b.Balance.RandomDraws = i64(3) }},
		{"option forwardfor except 10.0.0.0/8 header X-Client if-none extra", "forwardfor", func(b *Backend) { b.Forwardfor.Header = "X-Real" }},
		{"option forwardfor except", "forwardfor", func(b *Backend) { b.Forwardfor.Header = "X-Real" }},
		{"option redispatch x", "redispatch", func(b *Backend) { b.Redispatch.Interval = i64(2) }},
		{"hash-type consistent sdbm avalanche extra", "hash_type", func(b *Backend) { b.HashType.Method = "map-based" }},
		{"option mysql-check user haproxy post-41 extra", "adv_check", func(b *Backend) { b.AdvCheck = "tcp-check" }},
		{"option smtpchk EHLO example.com", "adv_check", func(b *Backend) { b.AdvCheck = "smtpchk"; b.HttpchkParams = nil; b.Retries = i64(1) }},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			d := mustParse(t, "backend be\n    "+c.line+"\n")
			b := backendOf(t, d, "be")
			nd, err := d.ReplaceBackend("be", b)
			wantSame(t, d, nd, err)
			c.change(&b)
			nd, err = d.ReplaceBackend("be", b)
			if c.field == "adv_check" && b.AdvCheck == "smtpchk" {
				// adv_check is unchanged: only retries is added.
				wantBody(t, nd, err, "backend be\n    "+c.line+"\n    retries 1\n")
				return
			}
			wantRefused(t, nd, err, c.field, "raw")
		})
	}

	// Lines the readers understand fully are rewritten as before.
	for _, c := range []struct{ line, want string }{
		{"balance uri whole depth 3", "balance uri depth 3 len 8 whole"},
		{"option forwardfor header X-Client except 10.0.0.0/8", "option forwardfor except 10.0.0.0/8 header X-Client if-none"},
	} {
		d := mustParse(t, "backend be\n    "+c.line+"\n")
		b := backendOf(t, d, "be")
		if b.Balance != nil {
			b.Balance.URILen = i64(8)
		} else {
			b.Forwardfor.Ifnone = true
		}
		nd, err := d.ReplaceBackend("be", b)
		wantBody(t, nd, err, "backend be\n    "+c.want+"\n")
	}
}

func TestConditionalFieldRefused(t *testing.T) {
	const cfg = "defaults\n" +
		"    mode http\n" +
		".if defined(PROD)\n" +
		"    timeout server 30s\n" +
		".else\n" +
		"    timeout server 5s\n" +
		".endif\n" +
		"    timeout client 30s\n"
	d := mustParse(t, cfg)
	df, err := d.Defaults("unnamed_defaults_1")
	if err != nil {
		t.Fatal(err)
	}
	df = goldenViaJSON(df)
	if !eqInt(df.ServerTimeout, i64(5000)) {
		t.Fatalf("server_timeout = %v, want 5000 (the last line)", df.ServerTimeout)
	}
	nd, err := d.ReplaceDefaults(df.Name, df)
	wantSame(t, d, nd, err)

	df.ServerTimeout = i64(6000)
	nd, err = d.ReplaceDefaults(df.Name, df)
	wantRefused(t, nd, err, "server_timeout", ".if", "raw")

	df.ServerTimeout = nil
	nd, err = d.ReplaceDefaults(df.Name, df)
	wantRefused(t, nd, err, "server_timeout")

	// Fields outside the block stay editable.
	df = goldenViaJSON(df)
	df.ServerTimeout = i64(5000)
	df.ClientTimeout = i64(60000)
	nd, err = d.ReplaceDefaults(df.Name, df)
	wantBody(t, nd, err, strings.Replace(cfg, "timeout client 30s", "timeout client 1m", 1))

	// One line inside a block is refused too: the value it holds is not
	// the section's value in every run.
	d = mustParse(t, "backend be\n    timeout server 30s\n.if defined(PROD)\n    timeout server 60s\n.endif\n")
	b := backendOf(t, d, "be")
	b.ServerTimeout = i64(45000)
	nd, err = d.ReplaceBackend("be", b)
	wantRefused(t, nd, err, "server_timeout")

	// A section inside a block (opened before its header) is one branch:
	// its lines are edited as usual.
	const wrapped = "backend a\n    mode http\n.if defined(STAGING)\nbackend be\n    timeout server 5s\n.endif\n"
	d = mustParse(t, wrapped)
	b = backendOf(t, d, "be")
	b.ServerTimeout = i64(6000)
	nd, err = d.ReplaceBackend("be", b)
	wantBody(t, nd, err, strings.Replace(wrapped, "5s", "6s", 1))
	// ... but not across its end.
	d = mustParse(t, ".if defined(STAGING)\nbackend be\n    timeout server 5s\n.endif\n    timeout server 6s\n")
	b = backendOf(t, d, "be")
	b.ServerTimeout = i64(7000)
	nd, err = d.ReplaceBackend("be", b)
	wantRefused(t, nd, err, "server_timeout")
}

func TestConditionalGlobalRefused(t *testing.T) {
	const cfg = "global\n    maxconn 100\n.if defined(BIG)\n    maxconn 1000\n.endif\n" +
		".if defined(SOCK)\n    stats socket /run/a.sock level admin\n.endif\n"
	d := mustParse(t, cfg)
	g := mustGlobal(t, d)
	nd, err := d.ReplaceGlobal(goldenViaJSON(g))
	wantSame(t, d, nd, err)

	g2 := goldenViaJSON(g)
	g2.PerformanceOptions.Maxconn = i64(200)
	nd, err = d.ReplaceGlobal(g2)
	wantRefused(t, nd, err, "performance_options.maxconn", ".if")

	g2 = goldenViaJSON(g)
	g2.RuntimeAPIs[0].Level = "operator"
	nd, err = d.ReplaceGlobal(g2)
	wantRefused(t, nd, err, "runtime_apis", ".if")

	g2 = goldenViaJSON(g)
	g2.Daemon = true
	nd, err = d.ReplaceGlobal(g2)
	wantBody(t, nd, err, cfg+"    daemon\n")
}

func TestDuplicateServerRefused(t *testing.T) {
	for _, cfg := range []string{
		"backend be\n.if defined(PROD)\n    server s1 10.0.0.1:80 weight 10\n.else\n    server s1 127.0.0.1:80 weight 1\n.endif\n    server s2 10.0.0.2:80\n",
		"backend be\n    server s1 10.0.0.1:80 weight 10\n    server s2 10.0.0.2:80\n    server s1 127.0.0.1:80 weight 1\n",
	} {
		d := mustParse(t, cfg)
		s, err := Servers.At(KindBackend, "be").Get(d, "s1")
		if err != nil {
			t.Fatal(err)
		}
		nd, err := Servers.At(KindBackend, "be").Replace(d, "s1", s)
		wantSame(t, d, nd, err)
		s.Weight = i64(20)
		nd, err = Servers.At(KindBackend, "be").Replace(d, "s1", s)
		wantRefused(t, nd, err, "name", "2 lines", "raw")
		nd, err = Servers.At(KindBackend, "be").Delete(d, "s1")
		wantRefused(t, nd, err, "name", "2 lines")
		// The other server is still editable.
		s2, _ := Servers.At(KindBackend, "be").Get(d, "s2")
		s2.Weight = i64(5)
		if _, err := Servers.At(KindBackend, "be").Replace(d, "s2", s2); err != nil {
			t.Fatalf("s2: %v", err)
		}
	}

	// One server line inside a block is edited in place.
	const one = "backend be\n.if defined(CANARY)\n    server c1 10.0.0.9:80 weight 1\n.endif\n"
	d := mustParse(t, one)
	s, _ := Servers.At(KindBackend, "be").Get(d, "c1")
	s.Weight = i64(2)
	nd, err := Servers.At(KindBackend, "be").Replace(d, "c1", s)
	wantBody(t, nd, err, strings.Replace(one, "weight 1", "weight 2", 1))
}

func TestDuplicateBindRefused(t *testing.T) {
	const cfg = "frontend fe\n.if defined(TLS)\n    bind :8443 ssl crt /etc/x.pem\n.else\n    bind :8443\n.endif\n"
	d := mustParse(t, cfg)
	b, err := Binds.At(KindFrontend, "fe").Get(d, ":8443")
	if err != nil {
		t.Fatal(err)
	}
	nd, err := Binds.At(KindFrontend, "fe").Replace(d, ":8443", goldenViaJSON(b))
	wantSame(t, d, nd, err)
	b.Maxconn = i64(10)
	nd, err = Binds.At(KindFrontend, "fe").Replace(d, ":8443", b)
	wantRefused(t, nd, err, "name", "2 lines")
	nd, err = Binds.At(KindFrontend, "fe").Delete(d, ":8443")
	wantRefused(t, nd, err, "name", "2 lines")
}

func TestDuplicateSectionNamesListedOnce(t *testing.T) {
	d := mustParse(t, "backend 0\n    timeout server 1s\nbackend b\n    timeout server 2s\nbackend 0\n    timeout server 3s\n"+
		"frontend f\n    maxconn 1\nfrontend f\n    maxconn 2\ndefaults\n    retries 1\ndefaults\n    retries 2\n")
	var names []string
	for _, b := range d.Backends() {
		names = append(names, b.Name)
		got, err := d.Backend(b.Name)
		if err != nil || !eqInt(got.ServerTimeout, b.ServerTimeout) {
			t.Errorf("Backends() lists %s with server_timeout %v, Backend(%q) gives %v (%v)", b.Name, *b.ServerTimeout, b.Name, got.ServerTimeout, err)
		}
	}
	if strings.Join(names, ",") != "0,b" {
		t.Errorf("Backends() = %v, want [0 b]", names)
	}
	if fs := d.Frontends(); len(fs) != 1 || !eqInt(fs[0].Maxconn, i64(1)) {
		t.Errorf("Frontends() = %+v, want the first f only", fs)
	}
	if ds := d.DefaultsSections(); len(ds) != 2 {
		t.Errorf("DefaultsSections() lists %d, want both unnamed ones", len(ds))
	}
}

// TestDuplicateChildrenListedOnce: a list shows what a GET by name gives,
// so that a full-section PUT of what was read changes nothing.
func TestDuplicateChildrenListedOnce(t *testing.T) {
	d := mustParse(t, "frontend fe\n.if defined(TLS)\n    bind :8443 ssl crt /etc/x.pem\n.else\n    bind :8443\n.endif\n    bind :80\n"+
		"backend be\n.if defined(PROD)\n    server s1 10.0.0.1:80 weight 10\n.else\n    server s1 127.0.0.1:80 weight 1\n.endif\n    server s2 10.0.0.2:80\n")
	servers, _ := Servers.At(KindBackend, "be").List(d)
	if len(servers) != 2 || servers[0].Name != "s1" || servers[0].Address != "10.0.0.1" || servers[1].Name != "s2" {
		t.Errorf("Servers() = %+v, want s1 (first line) and s2", servers)
	}
	binds, _ := Binds.At(KindFrontend, "fe").List(d)
	if len(binds) != 2 || binds[0].Name != ":8443" || !binds[0].SSL || binds[1].Name != ":80" {
		t.Errorf("Binds() = %+v, want :8443 (first line) and :80", binds)
	}
}
