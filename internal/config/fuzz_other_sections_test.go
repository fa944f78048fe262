package config

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
)

// otherSeeds are a valid nameserver and mailer entry, as bodies, in the
// sections of otherSectionsCfg.
var otherSeeds = map[string]string{
	"nameservers":    `{"name":"ns9","address":"127.0.0.9","port":53}`,
	"mailer_entries": `{"name":"m9","address":"127.0.0.9","port":25}`,
}

var otherParents = map[string]Parent{"nameservers": {KindResolvers, "dns"}, "mailer_entries": {KindMailers, "alerts"}}

// FuzzOtherSectionItems: text in any string field of a nameserver or a
// mailer entry either becomes exactly one new line of its section,
// reading back as what was sent, or is refused as invalid with the
// document untouched.
func FuzzOtherSectionItems(f *testing.F) {
	for _, v := range nastyValues {
		f.Add(uint8(0), uint8(0), v)
		f.Add(uint8(1), uint8(1), v)
	}
	f.Fuzz(func(t *testing.T, which, field uint8, value string) {
		paths := []string{"mailer_entries", "nameservers"}
		path := paths[int(which)%len(paths)]
		c, ok := CollectionByPath(path)
		if !ok {
			t.Fatalf("no collection %s", path)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(otherSeeds[path]), &body); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for k, v := range body {
			if _, ok := v.(string); ok {
				fields = append(fields, k)
			}
		}
		sort.Strings(fields)
		name := fields[int(field)%len(fields)]
		body[name] = value
		raw, _ := json.Marshal(body)
		m := c.NewModel()
		if err := json.Unmarshal(raw, m); err != nil {
			return
		}
		d, err := ParseString(otherSectionsCfg)
		if err != nil {
			t.Fatal(err)
		}
		nd, k, err := c.Create(d, otherParents[path], Key{}, m)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExists) {
				t.Fatalf("%s %s=%q: refused with %v, want ErrInvalid", path, name, value, err)
			}
			if string(d.Render()) != otherSectionsCfg {
				t.Fatal("a refused edit changed the document")
			}
			return
		}
		old, now := fuzzLines([]byte(otherSectionsCfg)), fuzzLines(nd.Render())
		if len(now) != len(old)+1 {
			t.Fatalf("%s %s=%q: %d lines became %d:\n%s", path, name, value, len(old), len(now), nd.Render())
		}
		for i := range now {
			if i >= len(old) || now[i] != old[i] {
				if strings.Join(append(append([]string{}, now[:i]...), now[i+1:]...), "") != otherSectionsCfg {
					t.Fatalf("%s %s=%q: more than one line changed:\n%s", path, name, value, nd.Render())
				}
				checkNewLine(t, now[i])
				break
			}
		}
		got, err := c.Get(nd, otherParents[path], k)
		if err != nil {
			t.Fatalf("%s %s=%q: the new item does not read back: %v\n%s", path, name, value, err, nd.Render())
		}
		sameJSONValue(t, path, m, got)
	})
}
