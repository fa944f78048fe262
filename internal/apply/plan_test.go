package apply

import (
	"strings"
	"testing"

	"dataplane/internal/cfggen"
	"dataplane/internal/config"
)

const base = `global
    stats socket /run/admin.sock level admin

defaults
    mode http
    default-server inter 2s

frontend fe
    bind :80
    maxconn 100
    default_backend be

backend be
    balance roundrobin
    server s1 10.0.0.1:80 weight 10 check
    server s2 10.0.0.2:80 weight 10

backend be_static
    balance static-rr
    server t1 10.0.0.5:80
`

func edited(t *testing.T, d *config.Document, f func(*config.Document) (*config.Document, error)) *config.Document {
	t.Helper()
	n, err := f(d)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCompute(t *testing.T) {
	d, err := config.Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	srv := func(name, addr string, port, weight int64, extra func(*config.Server)) config.Server {
		s := config.Server{Name: name, Address: addr, Port: &port}
		s.Weight = &weight
		if extra != nil {
			extra(&s)
		}
		return s
	}
	check := func(s *config.Server) { s.Check = "enabled" }
	cases := []struct {
		name   string
		edit   func(*config.Document) (*config.Document, error)
		reload string // substring of the reason, "" = runtime
		ops    []string
	}{
		{"weight", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Replace(d, "s1", srv("s1", "10.0.0.1", 80, 20, check))
		}, "", []string{"set-weight be/s1"}},
		{"address and port", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Replace(d, "s2", srv("s2", "10.0.0.9", 81, 10, nil))
		}, "", []string{"set-addr be/s2"}},
		{"maintenance", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Replace(d, "s2", srv("s2", "10.0.0.2", 80, 10, func(s *config.Server) { s.Maintenance = "enabled" }))
		}, "", []string{"set-state be/s2"}},
		{"add server inherits default-server", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Create(d, srv("s3", "10.0.0.3", 80, 5, check))
		}, "", []string{"add-server be/s3 10.0.0.3:80 inter 2s check weight 5"}},
		{"delete server", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Delete(d, "s2")
		}, "", []string{"del-server be/s2"}},
		{"frontend maxconn", func(d *config.Document) (*config.Document, error) {
			fe, _ := d.Frontend("fe")
			n := int64(200)
			fe.Maxconn = &n
			return d.ReplaceFrontend("fe", fe)
		}, "", []string{"set-maxconn-frontend fe 200"}},
		{"static backend", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be_static").Create(d, srv("t2", "10.0.0.6", 80, 1, nil))
		}, "static-rr", nil},
		{"hostname", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Create(d, srv("s3", "app.example.com", 80, 1, nil))
		}, "needs an IP address", nil},
		{"cookie param", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Create(d, srv("s3", "10.0.0.3", 80, 1, func(s *config.Server) { s.Cookie = "c3" }))
		}, `"cookie"`, nil},
		{"other server param", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Replace(d, "s1", srv("s1", "10.0.0.1", 80, 10, func(s *config.Server) { s.Check = "enabled"; s.Maxconn = new(int64) }))
		}, "beyond weight", nil},
		// The params of the v3 model beyond weight, address and maintenance
		// (TLS ones included) change by a reload.
		{"tls params of a server", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Replace(d, "s1", srv("s1", "10.0.0.1", 80, 10, func(s *config.Server) {
				s.Check = "enabled"
				s.Ciphers, s.SSLMinVer, s.NoTlsv10, s.TCPUt = "ECDHE+AESGCM", "TLSv1.2", "enabled", new(int64)
			}))
		}, "beyond weight", nil},
		{"proxy v2 tlv of a server", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Replace(d, "s2", srv("s2", "10.0.0.2", 80, 10, func(s *config.Server) {
				s.SetProxyV2TLVFmt = &config.TLVFmt{ID: "0x20", Value: "%[str(a)]"}
			}))
		}, "beyond weight", nil},
		{"new server with a param add server refuses", func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, "be").Create(d, srv("s3", "10.0.0.3", 80, 1, func(s *config.Server) { s.MaxReuse = new(int64) }))
		}, `"max-reuse"`, nil},
		{"backend setting", func(d *config.Document) (*config.Document, error) {
			b, _ := d.Backend("be")
			b.Balance = &config.Balance{Algorithm: "leastconn"}
			return d.ReplaceBackend("be", b)
		}, "beyond its servers", nil},
		{"new backend", func(d *config.Document) (*config.Document, error) {
			return d.CreateBackend(config.Backend{Name: "be_new"})
		}, "is new", nil},
		{"global", func(d *config.Document) (*config.Document, error) {
			g, _ := d.Global()
			g.Daemon = true
			return d.ReplaceGlobal(g)
		}, "global changed", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Compute(d, edited(t, d, c.edit))
			if c.reload != "" {
				if !p.Reload || !strings.Contains(p.Reason, c.reload) {
					t.Fatalf("plan %+v, want a reload because of %q", p, c.reload)
				}
				return
			}
			if p.Reload {
				t.Fatalf("plan reloads: %s", p.Reason)
			}
			var got []string
			for _, op := range p.Ops {
				got = append(got, op.String())
			}
			if len(got) != len(c.ops) {
				t.Fatalf("ops %q, want %q", got, c.ops)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.ops[i]) {
					t.Fatalf("op %q, want %q", got[i], c.ops[i])
				}
			}
		})
	}
	// Comments and spacing are not changes.
	d2, _ := config.Parse([]byte(strings.Replace(base, "    server s2 10.0.0.2:80 weight 10", "    # a comment\n    server  s2  10.0.0.2:80  weight 10", 1)))
	if p := Compute(d, d2); p.Reload || len(p.Ops) != 0 {
		t.Fatalf("comment-only change planned %+v", p)
	}
}

func TestPatchAddresses(t *testing.T) {
	raw := "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n3 be 1 s1 10.0.0.1 2 1 10 10 5 6 3 4 6 0 0 0 - 80 - 0 0 - - 0\n3 be 2 s2 10.0.0.2 2 0 10 10 5 6 3 4 6 0 0 0 - 80 - 0 0 - - 0\n"
	got := patchAddresses(raw, map[srvKey]addrPort{{"be", "s2"}: {"10.0.0.9", "8080"}})
	lines := strings.Split(got, "\n")
	if lines[2] != "3 be 1 s1 10.0.0.1 2 1 10 10 5 6 3 4 6 0 0 0 - 80 - 0 0 - - 0" {
		t.Fatalf("untouched row changed: %q", lines[2])
	}
	if lines[3] != "3 be 2 s2 10.0.0.9 2 0 10 10 5 6 3 4 6 0 0 0 - 8080 - 0 0 - - 0" {
		t.Fatalf("patched row: %q", lines[3])
	}
}

// TestComputeSameTextIsCheap: a file posted again whole (parsed anew, so
// no section is shared) is compared by its text: no section is split into
// words, which both documents would keep for as long as they live.
func TestComputeSameTextIsCheap(t *testing.T) {
	data := cfggen.Generate(1000, cfggen.Options{})
	parse := func() (*config.Document, *config.Document) {
		a, err := config.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := config.Parse(data)
		return a, b
	}
	parsing := testing.AllocsPerRun(3, func() { parse() })
	comparing := testing.AllocsPerRun(3, func() {
		if p := Compute(parse()); p.Reload || len(p.Ops) != 0 {
			t.Fatalf("the same file: %+v", p)
		}
	})
	if extra := comparing - parsing; extra > 200 {
		t.Fatalf("comparing two copies of a 1,000-backend file allocated %.0f objects", extra)
	}
}
