package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// The fuzz targets check the promise every edit makes: a value either
// becomes exactly the configuration text it stands for (the expected lines
// and nothing else, readable back as the same value), or it is refused with
// ErrInvalid and the document is left alone. Run one with, e.g.:
//
//	go test -fuzz=FuzzServerValues -fuzztime=60s ./internal/config/

const fuzzBase = `# _version=3
global
    maxconn 100

defaults
    mode http
    timeout connect 5s

backend be_app # the application
    description Application servers
    balance roundrobin
    cookie SRV insert indirect nocache
    option httpchk GET /health
    option forwardfor header X-Client-IP
    log-tag app
    server s1 10.0.0.1:80 check # first
    server s2 10.0.0.2:80 check

# the public side
frontend fe
    bind :80
    description Public entry point
    log-format "%ci:%cp [%tr] %ST %B"
    unique-id-format %{+X}o\ %ci:%cp
    monitor-uri /up
    log-tag fe
    default_backend be_app
`

// nastyValues seed every fuzz target.
var nastyValues = []string{
	"", "\n", "\r", "\r\n", "#", "a#b", "a #b", `\#`, `\\#`, `"`, `'`, `""`, `"a b"`, `'a b'`, `"a #b"`,
	`\`, `a\`, `a\ b`, `\\ `, "${X}", `"${X}"`, "${X}:80", "\x00", "a\x00b", "\t", "a\tb", " a", "a ", "a  b",
	"\xff", "é", "\u00a0", "\u2028", "server evil 6.6.6.6:80", "x\n    server evil 6.6.6.6:80",
	"backend evil", "check", "weight", "-1", "1.2.3.4:80", "[::1]", "::1", "unix@/run/x.sock", "/run/x.sock",
	strings.Repeat("x", 70000), strings.Repeat("a ", 35000),
}

func fuzzDoc(t *testing.T) *Document {
	t.Helper()
	d, err := Parse([]byte(fuzzBase))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fuzzLines splits a file into lines, terminators kept.
func fuzzLines(b []byte) []string { return goldenSplitLines(string(b)) }

// checkNewLine checks that line is one well-formed configuration line: one
// terminator at the end, no other line break, no comment.
func checkNewLine(t *testing.T, line string) {
	t.Helper()
	body, ok := strings.CutSuffix(line, "\n")
	if !ok || strings.ContainsAny(body, "\n\r") {
		t.Fatalf("the new line is not one line: %q", line)
	}
	if _, comment := splitWords(body); comment != "" || strings.Contains(body, "\x00") {
		t.Fatalf("the new line holds a comment or a NUL: %q", line)
	}
}

// mustRefused fails unless err wraps ErrInvalid (or one of allowed) and the
// document is untouched.
func mustRefused(t *testing.T, d *Document, err error, allowed ...error) {
	t.Helper()
	ok := errors.Is(err, ErrInvalid)
	for _, a := range allowed {
		ok = ok || errors.Is(err, a)
	}
	if !ok {
		t.Fatalf("refused with %v, want an error wrapping ErrInvalid", err)
	}
	if string(d.Render()) != fuzzBase {
		t.Fatal("a refused edit changed the document")
	}
}

func sameJSONValue(t *testing.T, what string, want, got any) {
	t.Helper()
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("%s read back differs from what was written:\nput %s\ngot %s", what, a, b)
	}
}

func FuzzServerValues(f *testing.F) {
	f.Add("s3", "10.0.0.3", int64(80), "api.example.com", "s3", "status", "last,libc,none", "dns", "h2", int64(10))
	for _, v := range nastyValues {
		f.Add("s3", "10.0.0.3", int64(80), v, "c", "", "", "", "", int64(-1))
		f.Add(v, "10.0.0.3", int64(0), "", "", "", "", "", "", int64(-1))
		f.Add("s3", v, int64(-1), "", "", "", "", "", "", int64(1))
		f.Add("s3", "10.0.0.3", int64(443), "", v, v, v, v, v, int64(256))
	}
	f.Fuzz(func(t *testing.T, name, address string, port int64, sni, cookie, agentSend, initAddr, resolvers, alpn string, weight int64) {
		d := fuzzDoc(t)
		srv := Server{Name: name, Address: address, ServerParams: ServerParams{
			SNI: sni, Cookie: cookie, AgentSend: agentSend, InitAddr: initAddr, Resolvers: resolvers, Alpn: alpn}}
		if port != 0 {
			srv.Port = &port
		}
		if weight >= 0 {
			srv.Weight = &weight
		}
		nd, err := Servers.At(KindBackend, "be_app").Create(d, srv)
		if err != nil {
			mustRefused(t, d, err, ErrExists)
			return
		}
		old, out := fuzzLines(d.Render()), fuzzLines(nd.Render())
		// Exactly one new line, right after the last server line.
		const at = 16 // index of `server s2` in fuzzBase, 0-based
		if !strings.HasPrefix(old[at], "    server s2 ") {
			t.Fatalf("fuzzBase changed: line %d is %q", at, old[at])
		}
		if len(out) != len(old)+1 {
			t.Fatalf("CreateServer(%+v) wrote %d lines, want %d:\n%s", srv, len(out), len(old)+1, nd.Render())
		}
		for i := range out {
			j := i
			if i == at+1 {
				continue
			}
			if i > at+1 {
				j = i - 1
			}
			if out[i] != old[j] {
				t.Fatalf("CreateServer(%+v) changed line %d: %q -> %q", srv, j+1, old[j], out[i])
			}
		}
		checkNewLine(t, out[at+1])
		back, err := Parse(nd.Render())
		if err != nil {
			t.Fatalf("CreateServer(%+v) wrote a file that does not load: %v", srv, err)
		}
		got, err := Servers.At(KindBackend, "be_app").Get(back, name)
		if err != nil {
			t.Fatalf("the new server %q is not found again: %v\nline: %q", name, err, out[at+1])
		}
		sameJSONValue(t, "server", srv, got)
	})
}

// fuzzSetLine replaces the body line of section header hdr that starts with
// prefix (after the indentation) by repl (nil: delete it).
func fuzzSetLine(t *testing.T, lines []string, hdr, prefix string, repl *string) []string {
	t.Helper()
	in := false
	for i, l := range lines {
		if strings.HasPrefix(l, hdr) {
			in = true
			continue
		}
		if in && strings.HasPrefix(strings.TrimLeft(l, " "), prefix) {
			out := append([]string(nil), lines[:i]...)
			if repl != nil {
				out = append(out, *repl)
			}
			return append(out, lines[i+1:]...)
		}
	}
	t.Fatalf("no line %q in %q", prefix, hdr)
	return nil
}

func FuzzBackendText(f *testing.F) {
	f.Add("Checkout servers, blue pool", "SRVID", "req.cook(sessid)", "/healthz", "X-Real-IP", "checkout")
	for _, v := range nastyValues {
		f.Add(v, "SRV", "src", "/h", "X-F", "t")
		f.Add("d", v, "src", "/h", "X-F", "t")
		f.Add("d", "SRV", v, "/h", "X-F", "t")
		f.Add("d", "SRV", "src", v, v, v)
	}
	f.Fuzz(func(t *testing.T, description, cookie, hashExpr, uri, ffHeader, logTag string) {
		d := fuzzDoc(t)
		m, err := d.Backend("be_app")
		if err != nil {
			t.Fatal(err)
		}
		m = goldenViaJSON(m)
		m.Description = description
		m.LogTag = logTag
		if cookie != "" {
			m.Cookie = &Cookie{Name: cookie, Type: "insert", Indirect: true, Nocache: true}
		}
		if hashExpr != "" {
			m.Balance = &Balance{Algorithm: "hash", HashExpression: hashExpr}
		}
		if uri != "" {
			m.HttpchkParams = &HttpchkParams{Method: "GET", URI: uri}
		}
		if ffHeader != "" {
			m.Forwardfor = &Forwardfor{Enabled: "enabled", Header: ffHeader}
		}
		nd, err := d.ReplaceBackend("be_app", m)
		if err != nil {
			mustRefused(t, d, err)
			return
		}
		// The expected file: each touched line rewritten in place.
		want := fuzzLines([]byte(fuzzBase))
		var touched []string
		set := func(prefix, value string) {
			var repl *string
			if value != "" {
				l := "    " + prefix + " " + value + "\n"
				repl = &l
				touched = append(touched, l)
			}
			want = fuzzSetLine(t, want, "backend be_app", prefix+" ", repl)
		}
		set("description", description)
		set("log-tag", logTag)
		if cookie != "" {
			set("cookie", cookie+" insert indirect nocache")
		}
		if hashExpr != "" {
			set("balance", "hash "+hashExpr)
		}
		if uri != "" {
			set("option httpchk", "GET "+uri)
		}
		if ffHeader != "" {
			set("option forwardfor", "header "+ffHeader)
		}
		out := fuzzLines(nd.Render())
		if strings.Join(out, "") != strings.Join(want, "") {
			t.Fatalf("ReplaceBackend wrote:\n%s\nwant:\n%s", goldenDiff("fuzz", []byte(fuzzBase), nd.Render()),
				goldenDiff("fuzz", []byte(fuzzBase), []byte(strings.Join(want, ""))))
		}
		for _, l := range touched {
			checkNewLine(t, l)
		}
		back, err := Parse(nd.Render())
		if err != nil {
			t.Fatalf("ReplaceBackend wrote a file that does not load: %v", err)
		}
		got, err := back.Backend("be_app")
		if err != nil {
			t.Fatal(err)
		}
		sameJSONValue(t, "backend", m, got)
	})
}

func FuzzFrontendText(f *testing.F) {
	f.Add("Public shop", `"%ci:%cp [%tr] %ft %b/%s %ST %B %{+Q}r"`, `%{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid`, "/haproxy_up")
	for _, v := range nastyValues {
		f.Add(v, "%ci", "%ci", "/up")
		f.Add("d", v, "%ci", "/up")
		f.Add("d", "%ci", v, v)
	}
	f.Fuzz(func(t *testing.T, description, logFormat, uniqueID, monitorURI string) {
		d := fuzzDoc(t)
		m, err := d.Frontend("fe")
		if err != nil {
			t.Fatal(err)
		}
		m = goldenViaJSON(m)
		m.Description, m.LogFormat, m.UniqueIDFormat, m.MonitorURI = description, logFormat, uniqueID, monitorURI
		nd, err := d.ReplaceFrontend("fe", m)
		if err != nil {
			mustRefused(t, d, err)
			return
		}
		want := fuzzLines([]byte(fuzzBase))
		for _, kv := range [][2]string{{"description", description}, {"log-format", logFormat},
			{"unique-id-format", uniqueID}, {"monitor-uri", monitorURI}} {
			var repl *string
			if kv[1] != "" {
				l := "    " + kv[0] + " " + kv[1] + "\n"
				repl = &l
				checkNewLine(t, l)
			}
			want = fuzzSetLine(t, want, "frontend fe", kv[0]+" ", repl)
		}
		if got := nd.Render(); string(got) != strings.Join(want, "") {
			t.Fatalf("ReplaceFrontend wrote:\n%s\nwant:\n%s", goldenDiff("fuzz", []byte(fuzzBase), got),
				goldenDiff("fuzz", []byte(fuzzBase), []byte(strings.Join(want, ""))))
		}
		back, err := Parse(nd.Render())
		if err != nil {
			t.Fatalf("ReplaceFrontend wrote a file that does not load: %v", err)
		}
		got, err := back.Frontend("fe")
		if err != nil {
			t.Fatal(err)
		}
		sameJSONValue(t, "frontend", m, got)
	})
}

// FuzzParse: any bytes either fail to load (ErrInvalid) or render back
// exactly; the typed views never panic on what loads.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fuzzBase))
	f.Add([]byte(strings.ReplaceAll(fuzzBase, "\n", "\r\n")))
	f.Add([]byte(strings.TrimSuffix(fuzzBase, "\n")))
	for _, v := range nastyValues {
		f.Add([]byte(v))
		f.Add([]byte("backend " + v + "\n    server " + v + " " + v + "\n"))
		f.Add([]byte("frontend fe\n    bind " + v + " name " + v + "\n"))
	}
	f.Add([]byte("defaults\ndefaults a from\nbackend\nfrontend from x\n.if\nbackend b from a\n    balance\n    cookie\n    option httpchk\n    hash-type\n    default-server\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse failed with %v, want an error wrapping ErrInvalid", err)
			}
			return
		}
		if got := d.Render(); !bytes.Equal(got, data) {
			t.Fatalf("Render differs from the input:\n%s", goldenDiff("input", data, got))
		}
		goldenReadAll(t, d)
	})
}

// FuzzUnchangedPut: whatever a file holds, putting back the model read from
// it returns the same document, or is refused as invalid; it never changes
// a line.
func FuzzUnchangedPut(f *testing.F) {
	f.Add([]byte(fuzzBase))
	f.Add([]byte("frontend fe\n    bind :443 ssl crt /a.pem alpn h2 name web\n    maxconn 10\n    maxconn 20\n"))
	f.Add([]byte("backend be\n    balance uri depth 3 whole\n    cookie S insert domain .a.com\n    server s 1.2.3.4:80 check weight 10 init-state up\n"))
	f.Add([]byte("defaults\n    timeout client 30000\n    option httplog clf\n    default-server inter 2s\n"))
	// Regressions: modelled params whose value the model cannot hold (an
	// environment variable) must stay on the line as written.
	f.Add([]byte("backend be\n    server s1 10.0.0.1:80 check weight ${W} inter ${INTER}\n"))
	f.Add([]byte("frontend fe\n    bind :80 maxconn ${FE_MAXCONN}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		check := func(what string, nd *Document, err error) {
			t.Helper()
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("unchanged PUT of %s failed with %v", what, err)
				}
				return
			}
			if nd != d {
				t.Fatalf("unchanged PUT of %s changed the file:\n%s", what, goldenDiff("input", data, nd.Render()))
			}
		}
		for _, m := range d.Frontends() {
			nd, err := d.ReplaceFrontend(m.Name, goldenViaJSON(m))
			check("frontend "+m.Name, nd, err)
			binds, _ := Binds.At(KindFrontend, m.Name).List(d)
			for _, b := range binds {
				nd, err := Binds.At(KindFrontend, m.Name).Replace(d, b.Name, goldenViaJSON(b))
				check("bind "+b.Name, nd, err)
			}
		}
		for _, m := range d.Backends() {
			nd, err := d.ReplaceBackend(m.Name, goldenViaJSON(m))
			check("backend "+m.Name, nd, err)
			servers, _ := Servers.At(KindBackend, m.Name).List(d)
			for _, s := range servers {
				nd, err := Servers.At(KindBackend, m.Name).Replace(d, s.Name, goldenViaJSON(s))
				check("server "+s.Name, nd, err)
			}
		}
		for _, m := range d.DefaultsSections() {
			nd, err := d.ReplaceDefaults(m.Name, goldenViaJSON(m))
			check("defaults "+m.Name, nd, err)
		}
	})
}

// TestTextValuesHAProxyReadsAlike: in HAProxy, `\\` is an escaped backslash,
// so the '#' after it starts a comment (haproxy 2.6 reads
// `server s1 127.0.0.1:80 \\#x` as the unknown keyword '\'). A text value
// holding `\\#` would be cut there by HAProxy while the API reads it whole,
// so it must be refused.
func TestTextValuesHAProxyReadsAlike(t *testing.T) {
	d := fuzzDoc(t)
	for _, v := range []string{`Team A\\#1`, `a \\# b`, `"%ci" \\#%ST`} {
		m, err := d.Frontend("fe")
		if err != nil {
			t.Fatal(err)
		}
		m.Description = v
		nd, err := d.ReplaceFrontend("fe", m)
		switch {
		case err == nil:
			l, _ := nd.Section(KindFrontend, "fe")
			t.Errorf("description %q was accepted, want ErrInvalid; it wrote %q", v, l.RawLines()[1])
		case !errors.Is(err, ErrInvalid):
			t.Errorf("description %q: err = %v, want ErrInvalid", v, err)
		}
	}
}
