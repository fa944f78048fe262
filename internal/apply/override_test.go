package apply

import (
	"strings"
	"testing"

	"dataplane/internal/config"
)

func TestServerOverridden(t *testing.T) {
	old, err := config.Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	line := "server s1 10.0.0.1:80 weight 10 check"
	cases := []struct {
		name     string
		from, to string // replaced in base
		srv      string
		want     Overridden
	}{
		{"unchanged", "", "", "s1", Overridden{}},
		{"other server changed", "server s2 10.0.0.2:80 weight 10", "server s2 10.0.0.2:80 weight 99", "s1", Overridden{}},
		{"check param only", line, "server s1 10.0.0.1:80 weight 10 check inter 5s", "s1", Overridden{}},
		{"weight", line, "server s1 10.0.0.1:80 weight 20 check", "s1", Overridden{Weight: true}},
		{"weight from default-server", "default-server inter 2s", "default-server inter 2s weight 7", "s2", Overridden{}},
		{"weight inherited", "default-server inter 2s", "default-server inter 2s weight 7", "t1", Overridden{Weight: true}},
		{"address", line, "server s1 10.0.0.9:80 weight 10 check", "s1", Overridden{Address: true}},
		{"port", line, "server s1 10.0.0.1:81 weight 10 check", "s1", Overridden{Address: true}},
		{"maintenance", line, line + " disabled", "s1", Overridden{Maint: true}},
		{"all three", line, "server s1 10.0.0.7:82 weight 3 check disabled", "s1", Overridden{Weight: true, Address: true, Maint: true}},
		{"removed", line + "\n", "", "s1", Overridden{Gone: true}},
		{"backend removed", "backend be_static\n    balance static-rr\n    server t1 10.0.0.5:80\n", "", "t1", Overridden{Gone: true}},
		{"unknown server", "", "", "nope", Overridden{Gone: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := base
			if c.from != "" {
				if !strings.Contains(text, c.from) {
					t.Fatalf("base has no %q", c.from)
				}
				text = strings.Replace(text, c.from, c.to, 1)
			}
			next, err := config.Parse([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			be := "be"
			if c.srv == "t1" {
				be = "be_static"
			}
			if got := ServerOverridden(old, next, be, c.srv); got != c.want {
				t.Errorf("ServerOverridden(%s/%s) = %+v, want %+v", be, c.srv, got, c.want)
			}
		})
	}
}
