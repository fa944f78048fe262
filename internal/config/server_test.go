package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func i64(n int64) *int64 { return &n }

func TestServerReadAndEdit(t *testing.T) {
	const base = "backend be\n    balance roundrobin\n    server s1 10.0.0.1:80 check inter 2s weight 10 foo-unknown bar maxconn 5 # keep me\n    server s2 [::1]:8080 disabled\n"
	d, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	s1, err := Servers.At(KindBackend, "be").Get(d, "s1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s1)
	want := `{"name":"s1","address":"10.0.0.1","port":80,"check":"enabled","inter":2000,"maxconn":5,"weight":10,"metadata":{"comment":"keep me"}}`
	if string(got) != want {
		t.Fatalf("s1 = %s\nwant %s", got, want)
	}
	s2, _ := Servers.At(KindBackend, "be").Get(d, "s2")
	if s2.Address != "::1" || *s2.Port != 8080 || s2.Maintenance != "enabled" {
		t.Fatalf("s2 = %+v", s2)
	}

	cases := []struct {
		name string
		edit func(s *Server)
		line string
	}{
		{"unchanged", func(s *Server) {}, "    server s1 10.0.0.1:80 check inter 2s weight 10 foo-unknown bar maxconn 5 # keep me\n"},
		{"weight in place", func(s *Server) { s.Weight = i64(20) }, "    server s1 10.0.0.1:80 check inter 2s weight 20 foo-unknown bar maxconn 5 # keep me\n"},
		{"remove check, add backup", func(s *Server) { s.Check = ""; s.Backup = "enabled" }, "    server s1 10.0.0.1:80 inter 2s weight 10 foo-unknown bar maxconn 5 backup # keep me\n"},
		{"check disabled", func(s *Server) { s.Check = "disabled" }, "    server s1 10.0.0.1:80 no-check inter 2s weight 10 foo-unknown bar maxconn 5 # keep me\n"},
		{"inter new value", func(s *Server) { s.Inter = i64(1500) }, "    server s1 10.0.0.1:80 check inter 1500ms weight 10 foo-unknown bar maxconn 5 # keep me\n"},
		{"address", func(s *Server) { s.Address = "10.0.0.9"; s.Port = i64(81) }, "    server s1 10.0.0.9:81 check inter 2s weight 10 foo-unknown bar maxconn 5 # keep me\n"},
		{"maintenance", func(s *Server) { s.Maintenance = "enabled" }, "    server s1 10.0.0.1:80 check inter 2s weight 10 foo-unknown bar maxconn 5 disabled # keep me\n"},
		// The comment is the metadata: new metadata is a new comment, none
		// is no comment (the Data Plane API v3 writes the line from the model).
		{"new metadata", func(s *Server) { s.Metadata = Metadata{"owner": map[string]any{"team": "web"}} }, "    server s1 10.0.0.1:80 check inter 2s weight 10 foo-unknown bar maxconn 5 # {\"owner\":{\"team\":\"web\"}}\n"},
		{"no metadata", func(s *Server) { s.Metadata = nil }, "    server s1 10.0.0.1:80 check inter 2s weight 10 foo-unknown bar maxconn 5\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s1
			c.edit(&s)
			nd, err := Servers.At(KindBackend, "be").Replace(d, "s1", s)
			if err != nil {
				t.Fatal(err)
			}
			out := string(nd.Render())
			lines := strings.SplitAfter(out, "\n")
			if lines[2] != c.line {
				t.Fatalf("line = %q\nwant   %q", lines[2], c.line)
			}
			if c.name == "unchanged" && nd != d {
				t.Fatal("an unchanged server produced a new document")
			}
			back, _ := Servers.At(KindBackend, "be").Get(nd, "s1")
			a, _ := json.Marshal(s)
			b, _ := json.Marshal(back)
			if string(a) != string(b) {
				t.Fatalf("round trip:\nput %s\ngot %s", a, b)
			}
		})
	}
}

func TestServerRejectsInjection(t *testing.T) {
	d, _ := Parse([]byte("backend be\n    server s1 10.0.0.1:80\n"))
	for _, s := range []Server{
		{Name: "a\nb", Address: "1.2.3.4"},
		{Name: "ok", Address: "1.2.3.4\n    server evil 6.6.6.6"},
		{Name: "ok", Address: "1.2.3.4 check"},
		{Name: "ok", Address: "1.2.3.4", ServerParams: ServerParams{SNI: "a#b"}},
		{Name: "ok", Address: "1.2.3.4", ServerParams: ServerParams{Cookie: `"x`}},
		{Name: "ok", Address: "1.2.3.4", ServerParams: ServerParams{Check: "yes"}},
		{Name: "ok", Address: "1.2.3.4", ServerParams: ServerParams{Weight: i64(300)}},
	} {
		if _, err := Servers.At(KindBackend, "be").Create(d, s); err == nil {
			t.Errorf("CreateServer(%+v) accepted", s)
		}
	}
}
