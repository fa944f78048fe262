package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestNewKindsRead reads every kind newer than HAProxy 2.6 from the golden
// file that holds them, field for field.
func TestNewKindsRead(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "20-newer-kinds.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseString(string(data))
	if err != nil {
		t.Fatal(err)
	}
	fe := Parent{Kind: KindFrontend, Name: "fe"}
	for _, c := range []struct {
		what string
		got  func() (any, error)
		want string
	}{
		{"crt-store", func() (any, error) { return crtStoreModel.get(d, "st") }, `{"name":"st","crt_base":"/etc/ssl/certs","key_base":"/etc/ssl/private"}`},
		{"crt-loads (quotes kept, as written)", func() (any, error) { return CrtLoads.At(KindCrtStore, "st").List(d) },
			`[{"certificate":"site.pem","alias":"site","key":"site.key","ocsp_update":"enabled"},` +
				`{"certificate":"\"other.pem\"","acme":"le","domains":["a.example.com","b.example.com"]}]`},
		{"log-profile", func() (any, error) { return logProfileModel.get(d, "lp") },
			`{"name":"lp","log_tag":"app","steps":[{"step":"http-req","format":"\"%ci %r\"","sd":"\"[x]\""},{"step":"any","drop":"enabled"}]}`},
		{"acme", func() (any, error) { return acmeModel.get(d, "le") },
			`{"name":"le","bits":4096,"challenge":"HTTP-01","contact":"ops@example.com","directory":"https://acme.example.com/dir","keytype":"RSA","map":"virt@acme","reuse_key":"enabled"}`},
		{"healthcheck httpchk", func() (any, error) { return healthcheckModel.get(d, "hc") },
			`{"name":"hc","type":"httpchk","httpchk_params":{"method":"GET","uri":"/health","version":"HTTP/1.1"}}`},
		{"healthcheck mysql-check", func() (any, error) { return healthcheckModel.get(d, "db") },
			`{"name":"db","type":"mysql-check","mysql_check_params":{"client_version":"post-41","username":"haproxy"}}`},
		{"healthcheck http checks", func() (any, error) {
			return HTTPChecks.List(d, Parent{Kind: KindHealthcheck, Name: "hc"}, nil)
		}, `[{"type":"expect","match":"status","pattern":"200"}]`},
		{"ssl-f-use (an unknown parameter reads verbatim)", func() (any, error) { return SSLFrontUses.List(d, fe, nil) },
			`[{"certificate":"/etc/ssl/site.pem","alpn":"h2,http/1.1","ssl_min_ver":"TLSv1.2"},` +
				`{"certificate":"@st/site","no_alpn":true,"verify":"optional"},` +
				`{"verbatim":"ssl-f-use crt /etc/ssl/x.pem some-future-param 1"}]`},
		{"force-be-switch", func() (any, error) { return ForceBeSwitches.List(d, fe, nil) }, `[{"cond":"if","cond_test":"{ src 10.0.0.0/8 }"}]`},
	} {
		v, err := c.got()
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		// Compared as JSON values: some models marshal as maps.
		b, _ := json.Marshal(v)
		var got, want any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", c.what, b, c.want)
		}
	}
}

// TestNewKindsWrites: what each write makes of the file, and the bad input
// each kind refuses with nothing changed.
func TestNewKindsWrites(t *testing.T) {
	base := "frontend fe\n    mode http\n"
	fe := Parent{Kind: KindFrontend, Name: "fe"}
	for _, c := range []struct {
		what string
		do   func(d *Document) (*Document, error)
		want string // the file after, or "" when refused as invalid
	}{
		{"a crt-store with a load", func(d *Document) (*Document, error) {
			d, _, err := crtStoreModel.Create(d, &CrtStore{Name: "st", CrtBase: "/etc/ssl"})
			if err != nil {
				return nil, err
			}
			d, _, err = CrtLoads.Create(d, Parent{Kind: KindCrtStore, Name: "st"}, Key{}, &CrtLoad{Certificate: "a.pem", Alias: "a", OcspUpdate: "disabled"})
			return d, err
		}, base + "\ncrt-store st\n    crt-base /etc/ssl\n    load crt a.pem alias a ocsp-update off\n"},
		{"a log-profile", func(d *Document) (*Document, error) {
			d, _, err := logProfileModel.Create(d, &LogProfile{Name: "lp", Steps: []LogProfileStep{{Step: "close", Format: `"%ci"`}}})
			return d, err
		}, base + "\nlog-profile lp\n    on close format \"%ci\"\n"},
		{"an acme section", func(d *Document) (*Document, error) {
			d, _, err := acmeModel.Create(d, &AcmeProvider{Name: "le", Directory: "https://x.example.com/d", ChallengeReady: []string{"cli", "dns"}})
			return d, err
		}, base + "\nacme le\n    directory https://x.example.com/d\n    challenge-ready cli,dns\n"},
		{"a healthcheck", func(d *Document) (*Document, error) {
			d, _, err := healthcheckModel.Create(d, &Healthcheck{Name: "hc", HealthcheckType: HealthcheckType{Type: "pgsql-check", PgsqlCheckParams: &PgsqlCheckParams{Username: "u"}}})
			return d, err
		}, base + "\nhealthcheck hc\n    type pgsql-check user u\n"},
		{"ssl-f-use lines, appended", func(d *Document) (*Document, error) {
			d, _, err := SSLFrontUses.Create(d, fe, Key{Append: true}, &SSLFrontUse{Certificate: "a.pem", Allow0rtt: true})
			if err != nil {
				return nil, err
			}
			d, _, err = SSLFrontUses.Create(d, fe, Key{Append: true}, &SSLFrontUse{Certificate: "b.pem", SslMaxVer: "TLSv1.3"})
			return d, err
		}, base + "    ssl-f-use crt a.pem allow-0rtt\n    ssl-f-use crt b.pem ssl-max-ver TLSv1.3\n"},
		{"force-be-switch", func(d *Document) (*Document, error) {
			d, _, err := ForceBeSwitches.Create(d, fe, Key{Append: true}, &ForceBeSwitch{Condition: Condition{Cond: "unless", CondTest: "{ src 1.2.3.4 }"}})
			return d, err
		}, base + "    force-be-switch unless { src 1.2.3.4 }\n"},

		// Refused: injection, bad values, missing required fields.
		{"crt-base with a newline", func(d *Document) (*Document, error) {
			d, _, err := crtStoreModel.Create(d, &CrtStore{Name: "st", CrtBase: "/etc\n    crt-base /x"})
			return d, err
		}, ""},
		{"crt-store name with a space", func(d *Document) (*Document, error) {
			d, _, err := crtStoreModel.Create(d, &CrtStore{Name: "st x"})
			return d, err
		}, ""},
		{"load certificate of two words", func(d *Document) (*Document, error) {
			d, _, err := crtStoreModel.Create(d, &CrtStore{Name: "st"})
			if err != nil {
				return nil, err
			}
			d, _, err = CrtLoads.Create(d, Parent{Kind: KindCrtStore, Name: "st"}, Key{}, &CrtLoad{Certificate: "a.pem key b.key"})
			return d, err
		}, ""},
		{"load domain with a comma", func(d *Document) (*Document, error) {
			d, _, err := crtStoreModel.Create(d, &CrtStore{Name: "st"})
			if err != nil {
				return nil, err
			}
			d, _, err = CrtLoads.Create(d, Parent{Kind: KindCrtStore, Name: "st"}, Key{}, &CrtLoad{Certificate: "a.pem", Domains: []string{"a,b"}})
			return d, err
		}, ""},
		{"log-profile unknown step", func(d *Document) (*Document, error) {
			d, _, err := logProfileModel.Create(d, &LogProfile{Name: "lp", Steps: []LogProfileStep{{Step: "never"}}})
			return d, err
		}, ""},
		{"log-profile format of two words", func(d *Document) (*Document, error) {
			d, _, err := logProfileModel.Create(d, &LogProfile{Name: "lp", Steps: []LogProfileStep{{Step: "any", Format: "%ci %r"}}})
			return d, err
		}, ""},
		{"acme without directory", func(d *Document) (*Document, error) {
			d, _, err := acmeModel.Create(d, &AcmeProvider{Name: "le"})
			return d, err
		}, ""},
		{"acme http directory", func(d *Document) (*Document, error) {
			d, _, err := acmeModel.Create(d, &AcmeProvider{Name: "le", Directory: "http://x/d"})
			return d, err
		}, ""},
		{"acme unknown challenge", func(d *Document) (*Document, error) {
			d, _, err := acmeModel.Create(d, &AcmeProvider{Name: "le", Directory: "https://x/d", Challenge: "tls-alpn-01"})
			return d, err
		}, ""},
		{"healthcheck unknown type", func(d *Document) (*Document, error) {
			d, _, err := healthcheckModel.Create(d, &Healthcheck{Name: "hc", HealthcheckType: HealthcheckType{Type: "dns-check"}})
			return d, err
		}, ""},
		{"healthcheck httpchk_params on tcp-check", func(d *Document) (*Document, error) {
			d, _, err := healthcheckModel.Create(d, &Healthcheck{Name: "hc", HealthcheckType: HealthcheckType{Type: "tcp-check", HttpchkParams: &HttpchkParams{URI: "/"}}})
			return d, err
		}, ""},
		{"ssl-f-use without certificate", func(d *Document) (*Document, error) {
			d, _, err := SSLFrontUses.Create(d, fe, Key{Append: true}, &SSLFrontUse{Alpn: "h2"})
			return d, err
		}, ""},
		{"ssl-f-use alpn injecting a parameter", func(d *Document) (*Document, error) {
			d, _, err := SSLFrontUses.Create(d, fe, Key{Append: true}, &SSLFrontUse{Certificate: "a.pem", Alpn: "h2 verify none"})
			return d, err
		}, ""},
		{"force-be-switch without condition", func(d *Document) (*Document, error) {
			d, _, err := ForceBeSwitches.Create(d, fe, Key{Append: true}, &ForceBeSwitch{})
			return d, err
		}, ""},
	} {
		d, err := ParseString(base)
		if err != nil {
			t.Fatal(err)
		}
		nd, err := c.do(d)
		if c.want == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", c.what, err)
			}
			if string(d.Render()) != base {
				t.Errorf("%s: the refused write changed the document", c.what)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		if got := string(nd.Render()); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.what, got, c.want)
		}
	}
}

// TestTraces: the traces section, without a name, read from the golden
// file and edited: entries added and removed one at a time, comments kept,
// 404/409 and injection refused with nothing changed.
func TestTraces(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "20-newer-kinds.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseString(string(data))
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.TracesSection()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(m); string(b) != `{"entries":[{"trace":"h1 sink stderr level developer"},{"trace":"h1 start now"}]}` {
		t.Fatalf("read: %s", b)
	}
	if _, err := d.CreateTraces(Traces{}); !errors.Is(err, ErrExists) {
		t.Fatalf("a second traces section: %v, want ErrExists", err)
	}
	if _, err := d.AddTraceEntry(TraceEntry{Trace: "h1 start now"}); !errors.Is(err, ErrExists) {
		t.Fatalf("an entry already there: %v, want ErrExists", err)
	}
	if _, err := d.DeleteTraceEntry(TraceEntry{Trace: "h2 start now"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an entry not there: %v, want ErrNotFound", err)
	}
	if _, err := d.AddTraceEntry(TraceEntry{Trace: "h1 start now\nglobal"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an entry with a newline: %v, want ErrInvalid", err)
	}
	nd, err := d.DeleteTraceEntry(TraceEntry{Trace: "h1 sink stderr level developer"})
	if err != nil {
		t.Fatal(err)
	}
	nd, err = nd.AddTraceEntry(TraceEntry{Trace: "h2 sink buf0"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := nd.Section(KindTraces, "")
	if got := s.Text(); got != "traces\n    # turned on at start-up\n    trace h1 start now\n    trace h2 sink buf0\n" {
		t.Fatalf("after the edits: %q", got)
	}

	// Without a traces section: an entry creates it; the rest is a 404.
	empty, err := ParseString("frontend fe\n    mode http\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := empty.TracesSection(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read without a section: %v", err)
	}
	if _, err := empty.ReplaceTraces(Traces{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replace without a section: %v", err)
	}
	if _, err := empty.DeleteTraces(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete without a section: %v", err)
	}
	nd, err = empty.AddTraceEntry(TraceEntry{Trace: "h1 start now"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(nd.Render()); got != "frontend fe\n    mode http\n\ntraces\n    trace h1 start now\n" {
		t.Fatalf("an entry without a section: %q", got)
	}
}
