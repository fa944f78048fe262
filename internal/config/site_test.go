package config

import (
	"errors"
	"testing"
)

// TestSiteRefusesInjection: values that would add configuration lines
// are refused by the section and collection checks the site edits go
// through, even without the contract's patterns in front, and the
// document is left as it was.
func TestSiteRefusesInjection(t *testing.T) {
	const text = "frontend other\n    default_backend shared\n\nbackend shared\n    server s1 127.0.0.1:80\n"
	d, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	port := int64(8080)
	farm := func(mut func(f *SiteFarm)) Site {
		f := SiteFarm{Name: "f1", UseAs: "default", Mode: "http", Servers: []Server{{Name: "s", Address: "127.0.0.1", Port: &port}}}
		mut(&f)
		return Site{Name: "s1", Farms: []SiteFarm{f}}
	}
	cases := []struct {
		name string
		site Site
	}{
		{"newline in the site name", Site{Name: "a\nbackend x"}},
		{"newline in a condition", farm(func(f *SiteFarm) {
			f.UseAs, f.Cond, f.CondTest = "conditional", "if", "TRUE\n    server x 1.2.3.4:80"
		})},
		{"space in a farm name", farm(func(f *SiteFarm) { f.Name = "a b" })},
		{"newline in a server address", farm(func(f *SiteFarm) { f.Servers[0].Address = "127.0.0.1\n    server y 1.1.1.1:1" })},
		{"quote in a listener address", Site{Name: "s1", Service: &SiteService{Listeners: []Bind{{Address: "127.0.0.1\"", Port: &port}}}}},
		{"unknown mode", Site{Name: "s1", Service: &SiteService{Mode: "http\n    mode tcp"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nd, err := d.CreateSite(c.site)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid; document:\n%s", err, render(nd))
			}
			if string(d.Render()) != text {
				t.Fatal("the document changed")
			}
		})
	}
}

func render(d *Document) string {
	if d == nil {
		return "<nil>"
	}
	return string(d.Render())
}
