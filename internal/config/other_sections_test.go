package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// otherSectionsCfg holds one section of each kind of resolvers.go,
// cache.go, httperrors.go and mailers.go, written as people write them
// (tabs, trailing comments, a quoted address, an errorfile the model
// cannot hold).
const otherSectionsCfg = `resolvers dns
    nameserver dns1 10.0.0.2:53
    nameserver docker "127.0.0.11:53"
    nameserver v6 [2001:db8::1]:53
    nameserver broken
    resolve_retries 3
    timeout resolve 1s
    timeout retry   1500ms
    hold valid      10s
    hold nx         30s
    accepted_payload_size 8192
    parse-resolv-conf

cache assets
	total-max-size 200        # MB
	max-object-size 10485760
	max-age 3600
	process-vary off

http-errors site
    errorfile 503 /etc/haproxy/errors/503.http
    errorfile 421 /etc/haproxy/errors/421.http

mailers alerts
    mailer smtp1 10.0.0.25:25
    timeout mail 20s
`

func TestOtherSectionsRead(t *testing.T) {
	d, err := ParseString(otherSectionsCfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		got  func() (any, error)
		want string
	}{
		{"resolver", func() (any, error) { return resolverModel.get(d, "dns") }, `{"name":"dns","accepted_payload_size":8192,"hold_nx":30000,"hold_valid":10000,"parse-resolv-conf":true,"resolve_retries":3,"timeout_resolve":1000,"timeout_retry":1500}`},
		{"nameservers (a line without address is no nameserver)", func() (any, error) { return Nameservers.At(KindResolvers, "dns").List(d) },
			`[{"name":"dns1","address":"10.0.0.2","port":53},{"name":"docker","address":"127.0.0.11","port":53},{"name":"v6","address":"2001:db8::1","port":53}]`},
		{"cache", func() (any, error) { return cacheModel.get(d, "assets") }, `{"name":"assets","max_age":3600,"max_object_size":10485760,"process_vary":false,"total_max_size":200}`},
		{"http-errors", func() (any, error) { return httpErrorsModel.get(d, "site") }, `{"name":"site","error_files":[{"code":503,"file":"/etc/haproxy/errors/503.http"},{"code":421,"file":"/etc/haproxy/errors/421.http"}]}`},
		{"mailers", func() (any, error) { return mailersModel.get(d, "alerts") }, `{"name":"alerts","timeout":20000}`},
		{"mailer entries", func() (any, error) { return MailerEntries.At(KindMailers, "alerts").List(d) }, `[{"name":"smtp1","address":"10.0.0.25","port":25}]`},
	} {
		v, err := c.got()
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		b, _ := json.Marshal(v)
		if string(b) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.what, b, c.want)
		}
	}
	// An empty http-errors section still has its (required) list.
	e, _ := ParseString("http-errors none\n")
	if m, _ := httpErrorsModel.get(e, "none"); m.ErrorFiles == nil {
		t.Error("error_files of an empty section is null")
	}
}

// TestOtherSectionsEdits: a change rewrites only its line, in place; a
// new section is written from the model; bad values are refused and
// change nothing.
func TestOtherSectionsEdits(t *testing.T) {
	d, err := ParseString(otherSectionsCfg)
	if err != nil {
		t.Fatal(err)
	}
	i64 := func(v int64) *int64 { return &v }
	yes := true
	for _, c := range []struct {
		name    string
		edit    func(d *Document) (*Document, error)
		want    []string // lines the result holds
		gone    []string // lines it no longer holds
		wantErr string
	}{
		{name: "resolver hold_valid", edit: func(d *Document) (*Document, error) {
			m, _ := resolverModel.get(d, "dns")
			m.HoldValid = i64(5000)
			m.ParseResolvConf = false
			return resolverModel.replace(d, "dns", m)
		}, want: []string{"    hold valid 5s\n", "    timeout retry   1500ms\n"}, gone: []string{"parse-resolv-conf"}},
		{name: "cache process_vary and size", edit: func(d *Document) (*Document, error) {
			m, _ := cacheModel.get(d, "assets")
			m.ProcessVary = &yes
			m.TotalMaxSize = i64(64)
			return cacheModel.replace(d, "assets", m)
		}, want: []string{"\tprocess-vary on\n", "\ttotal-max-size 64 # MB\n", "\tmax-age 3600\n"}},
		{name: "error files reordered and one added", edit: func(d *Document) (*Document, error) {
			return httpErrorsModel.replace(d, "site", HTTPErrorsSection{Name: "site", ErrorFiles: []ErrorFile{
				{Code: 503, File: "/etc/haproxy/errors/503.http"}, {Code: 404, File: "/e/404.http"}}})
		}, want: []string{"    errorfile 503 /etc/haproxy/errors/503.http\n    errorfile 404 /e/404.http\n"}, gone: []string{"421"}},
		{name: "new cache", edit: func(d *Document) (*Document, error) {
			return cacheModel.create(d, Cache{Name: "c2", TotalMaxSize: i64(4), MaxAge: i64(60), ProcessVary: &yes})
		}, want: []string{"cache c2\n\ttotal-max-size 4\n\tmax-age 60\n\tprocess-vary on\n"}},
		{name: "new mailers", edit: func(d *Document) (*Document, error) {
			return mailersModel.create(d, MailersSection{Name: "m2", Timeout: i64(15000)})
		}, want: []string{"mailers m2\n    timeout mail 15s\n"}},
		{name: "nameserver replaced keeps quotes when the address is the same", edit: func(d *Document) (*Document, error) {
			return Nameservers.At(KindResolvers, "dns").Replace(d, "docker", Nameserver{Name: "docker", Address: "127.0.0.11", Port: i64(53)})
		}, want: []string{`    nameserver docker "127.0.0.11:53"` + "\n"}},
		{name: "nameserver added", edit: func(d *Document) (*Document, error) {
			nd, _, err := Nameservers.Add(d, Parent{Kind: KindResolvers, Name: "dns"}, Key{}, Nameserver{Name: "ns3", Address: "::1", Port: i64(5353)})
			return nd, err
		}, want: []string{"    nameserver ns3 [::1]:5353\n"}},
		{name: "mailer added", edit: func(d *Document) (*Document, error) {
			nd, _, err := MailerEntries.Add(d, Parent{Kind: KindMailers, Name: "alerts"}, Key{}, MailerEntry{Name: "smtp2", Address: "10.0.0.26", Port: 587})
			return nd, err
		}, want: []string{"    mailer smtp1 10.0.0.25:25\n    mailer smtp2 10.0.0.26:587\n"}},

		{name: "resolver payload out of range", wantErr: "accepted_payload_size", edit: func(d *Document) (*Document, error) {
			return resolverModel.replace(d, "dns", Resolver{Name: "dns", AcceptedPayloadSize: i64(100)})
		}},
		{name: "cache total size out of range", wantErr: "total_max_size", edit: func(d *Document) (*Document, error) {
			return cacheModel.create(d, Cache{Name: "big", TotalMaxSize: i64(4096)})
		}},
		{name: "cache name with a newline", wantErr: "name", edit: func(d *Document) (*Document, error) {
			return cacheModel.create(d, Cache{Name: "c\nglobal"})
		}},
		{name: "errorfile with a space", wantErr: "file", edit: func(d *Document) (*Document, error) {
			return httpErrorsModel.create(d, HTTPErrorsSection{Name: "x", ErrorFiles: []ErrorFile{{Code: 503, File: "/a b"}}})
		}},
		{name: "errorfile code HAProxy does not serve", wantErr: "code", edit: func(d *Document) (*Document, error) {
			return httpErrorsModel.create(d, HTTPErrorsSection{Name: "x", ErrorFiles: []ErrorFile{{Code: 418, File: "/a"}}})
		}},
		{name: "nameserver injection", wantErr: "address", edit: func(d *Document) (*Document, error) {
			nd, _, err := Nameservers.Add(d, Parent{Kind: KindResolvers, Name: "dns"}, Key{}, Nameserver{Name: "n", Address: "1.2.3.4\n    hold valid 1s"})
			return nd, err
		}},
		{name: "nameserver address with its port", wantErr: "address", edit: func(d *Document) (*Document, error) {
			nd, _, err := Nameservers.Add(d, Parent{Kind: KindResolvers, Name: "dns"}, Key{}, Nameserver{Name: "n", Address: "1.2.3.4:53"})
			return nd, err
		}},
		{name: "mailer without port", wantErr: "port", edit: func(d *Document) (*Document, error) {
			nd, _, err := MailerEntries.Add(d, Parent{Kind: KindMailers, Name: "alerts"}, Key{}, MailerEntry{Name: "x", Address: "10.0.0.1"})
			return nd, err
		}},
		{name: "mailer in a missing section", wantErr: "not found", edit: func(d *Document) (*Document, error) {
			nd, _, err := MailerEntries.Add(d, Parent{Kind: KindMailers, Name: "nope"}, Key{}, MailerEntry{Name: "x", Address: "10.0.0.1", Port: 25})
			return nd, err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := string(d.Render())
			nd, err := c.edit(d)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one about %q", err, c.wantErr)
				}
				if string(d.Render()) != before {
					t.Fatal("a refused edit changed the document")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := string(nd.Render())
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("result lacks %q:\n%s", w, out)
				}
			}
			for _, g := range c.gone {
				if strings.Contains(out, g) {
					t.Errorf("result still holds %q:\n%s", g, out)
				}
			}
		})
	}
}

// TestErrorFilesKeepUnmodelledLines: an errorfile line the model cannot
// hold (a quoted file, a code HAProxy 2.6 does not serve) is not in the
// list; an unchanged PUT leaves it, a change of the list is refused rather
// than dropping it.
func TestErrorFilesKeepUnmodelledLines(t *testing.T) {
	d, err := ParseString("http-errors he\n    errorfile 503 /e/503.http\n    errorfile 404 \"/e/not found.http\"\n")
	if err != nil {
		t.Fatal(err)
	}
	m, err := httpErrorsModel.get(d, "he")
	if err != nil || len(m.ErrorFiles) != 1 || m.ErrorFiles[0].Code != 503 {
		t.Fatalf("read: %+v %v", m, err)
	}
	if nd, err := httpErrorsModel.replace(d, "he", m); err != nil || nd != d {
		t.Fatalf("unchanged PUT: %v (changed: %v)", err, nd != d)
	}
	m.ErrorFiles = append(m.ErrorFiles, ErrorFile{Code: 500, File: "/e/500.http"})
	if _, err := httpErrorsModel.replace(d, "he", m); err == nil || !strings.Contains(err.Error(), "not found.http") {
		t.Fatalf("a change that would drop the quoted line: %v", err)
	}
}

// TestPeerEntryIPv6: IPv6 peer addresses read back as HAProxy reads them,
// bracketed or bare (the port after the last ':'); an unchanged PUT leaves
// the file as it was; a changed one keeps the line's form; a new one is
// written bracketed.
func TestPeerEntryIPv6(t *testing.T) {
	const text = "peers mesh\n    peer p1 [::1]:10000\n    peer p2 ::1:10001 shard 2\n    peer p3 127.0.0.1:10002\n"
	d, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p := Parent{KindPeers, "mesh"}
	items, err := PeerEntries.Items(d, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, addr string
		port       int64
	}{{"p1", "::1", 10000}, {"p2", "::1", 10001}, {"p3", "127.0.0.1", 10002}}
	if len(items) != len(want) {
		t.Fatalf("read %d entries, want %d: %+v", len(items), len(want), items)
	}
	for i, w := range want {
		if items[i].Name != w.name || items[i].Address != w.addr || items[i].Port == nil || *items[i].Port != w.port {
			t.Errorf("entry %d: %+v, want %+v", i, items[i], w)
		}
	}
	for _, it := range items {
		nd, err := PeerEntries.Put(d, p, Key{Name: it.Name}, it)
		if err != nil || string(nd.Render()) != text {
			t.Fatalf("unchanged PUT of %s: %v\n%s", it.Name, err, nd.Render())
		}
	}
	cases := []struct {
		name string
		m    PeerEntry
		line string
	}{
		{"bare stays bare", PeerEntry{Name: "p2", Address: "::2", Port: ptr(int64(10005))}, "    peer p2 ::2:10005\n"},
		{"bracketed stays bracketed", PeerEntry{Name: "p1", Address: "::2", Port: ptr(int64(10005))}, "    peer p1 [::2]:10005\n"},
		{"a new one is bracketed", PeerEntry{Name: "p9", Address: "fe80::1", Port: ptr(int64(7))}, "    peer p9 [fe80::1]:7\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var nd *Document
			if c.m.Name == "p9" {
				nd, _, err = PeerEntries.Add(d, p, Key{}, c.m)
			} else {
				nd, err = PeerEntries.Put(d, p, Key{Name: c.m.Name}, c.m)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(nd.Render()), c.line) {
				t.Fatalf("want %q in:\n%s", c.line, nd.Render())
			}
			got, err := PeerEntries.Item(nd, p, Key{Name: c.m.Name})
			if err != nil || got.Address != c.m.Address || *got.Port != *c.m.Port {
				t.Fatalf("read back %+v, %v", got, err)
			}
		})
	}
	if _, _, err := PeerEntries.Add(d, p, Key{}, PeerEntry{Name: "p8", Address: "[::1]", Port: ptr(int64(7))}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a bracketed address (which reads back without its brackets): %v, want ErrInvalid", err)
	}
}

func ptr[T any](v T) *T { return &v }
