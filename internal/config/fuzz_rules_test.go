package config

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// ruleSeeds are a valid item of each positional collection, as a body:
// FuzzRuleLists puts fuzzed text in one of its fields.
var ruleSeeds = map[string]string{
	"acls":                    `{"acl_name":"a","criterion":"path_beg","value":"/x"}`,
	"backend_switching_rules": `{"name":"be_app","cond":"if","cond_test":"{ path /x }"}`,
	"server_switching_rules":  `{"target_server":"s1","cond":"unless","cond_test":"{ path /x }"}`,
	"stick_rules":             `{"type":"on","pattern":"src","table":"t","cond":"if","cond_test":"{ path /x }"}`,
	"captures":                `{"type":"request","length":8}`,
	"filters":                 `{"type":"trace","trace_name":"t"}`,
	"log_targets":             `{"address":"127.0.0.1:514","facility":"local0","sample_range":"1","sample_size":2}`,
}

// fuzzRuleParent is a section of fuzzBase that may hold c.
func fuzzRuleParent(info CollectionInfo) (Parent, bool) {
	for _, p := range []Parent{{KindFrontend, "fe"}, {KindBackend, "be_app"}, {KindDefaults, "unnamed_defaults_1"}} {
		if info.HasParent(p.Kind) {
			return p, true
		}
	}
	return Parent{}, false
}

func positionalCollections() []ChildResource {
	var out []ChildResource
	for _, c := range Collections() {
		if c.Info().Positional {
			out = append(out, c)
		}
	}
	return out
}

func TestRuleSeedsCoverEveryList(t *testing.T) {
	d := fuzzDoc(t)
	for _, c := range positionalCollections() {
		info := c.Info()
		seed, ok := ruleSeeds[info.Path]
		if !ok {
			t.Errorf("%s: no seed in ruleSeeds", info.Path)
			continue
		}
		p, ok := fuzzRuleParent(info)
		if !ok {
			t.Errorf("%s: no parent in fuzzBase", info.Path)
			continue
		}
		m := c.NewModel()
		if err := json.Unmarshal([]byte(seed), m); err != nil {
			t.Fatalf("%s: %v", info.Path, err)
		}
		if _, _, err := c.Create(d, p, Key{Index: 0}, m); err != nil {
			t.Errorf("%s: the seed is refused: %v", info.Path, err)
		}
	}
}

// FuzzRuleLists: text in any string field of an item of any rule list
// (or as its condition, or as a verbatim line) either becomes exactly one
// new line of the section, reading back as what was sent, or is refused as
// invalid with the document untouched.
func FuzzRuleLists(f *testing.F) {
	for _, v := range nastyValues {
		f.Add(uint8(0), uint8(0), v)
	}
	f.Add(uint8(1), uint8(2), "is_api || { hdr(host) -i a.example.com }")
	f.Add(uint8(4), uint8(9), "filter trace name x hexdump")
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, which, field uint8, value string) {
	{
		colls := positionalCollections()
		c := colls[int(which)%len(colls)]
		info := c.Info()
		p, _ := fuzzRuleParent(info)
		var body map[string]any
		if err := json.Unmarshal([]byte(ruleSeeds[info.Path]), &body); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for k, v := range body {
			if _, ok := v.(string); ok {
				fields = append(fields, k)
			}
		}
		sort.Strings(fields)
		fields = append(fields, "verbatim")
		name := fields[int(field)%len(fields)]
		if name == "verbatim" {
			body = map[string]any{"verbatim": value}
			if reflect.TypeOf(c.NewModel()).Elem().Kind() == reflect.Struct {
				if _, ok := reflect.TypeOf(c.NewModel()).Elem().FieldByName("Verbatim"); !ok {
					return // not a rule list with verbatim lines (ACLs)
				}
			}
		} else {
			body[name] = value
		}
		raw, _ := json.Marshal(body)
		m := c.NewModel()
		if err := json.Unmarshal(raw, m); err != nil {
			return // not valid JSON for the model (invalid UTF-8 turned into U+FFFD, ...)
		}
		d := fuzzDoc(t)
		before := d.Render()
		nd, k, err := c.Create(d, p, Key{Index: 0}, m)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s %s=%q: refused with %v, want ErrInvalid", info.Path, name, value, err)
			}
			if string(d.Render()) != string(before) {
				t.Fatal("a refused edit changed the document")
			}
			return
		}
		old, now := fuzzLines(before), fuzzLines(nd.Render())
		if len(now) != len(old)+1 {
			t.Fatalf("%s %s=%q: %d lines became %d:\n%s", info.Path, name, value, len(old), len(now), nd.Render())
		}
		var added string
		for i := range now {
			if i >= len(old) || now[i] != old[i] {
				added = now[i]
				if strings.Join(append(append([]string{}, now[:i]...), now[i+1:]...), "") != string(before) {
					t.Fatalf("%s %s=%q: more than one line changed:\n%s", info.Path, name, value, nd.Render())
				}
				break
			}
		}
		checkNewLine(t, added)
		got, err := c.Get(nd, p, k)
		if err != nil {
			t.Fatalf("%s: read back: %v", info.Path, err)
		}
		if name == "verbatim" {
			if strings.TrimSpace(added) != value {
				t.Fatalf("verbatim %q was written as %q", value, added)
			}
			return
		}
		// A keyword config-parser does not read (quic-initial) reads back
		// verbatim: the line as written.
		if v := reflect.Indirect(reflect.ValueOf(got)).FieldByName("Verbatim"); v.IsValid() && v.String() != "" {
			got, _ := splitWords(v.String())
			want, _ := splitWords(added)
			if !equalWords(got, want) {
				t.Fatalf("%s: %q reads back as verbatim %q", info.Path, strings.TrimSpace(added), v.String())
			}
			return
		}
		sameJSONValue(t, info.Path, m, got)
	}
}

func init() {
	ruleSeeds["http_request_rules"] = `{"type":"set-header","hdr_name":"X-A","hdr_format":"%[src]","cond":"if","cond_test":"{ path /x }"}`
}

func init() {
	ruleSeeds["tcp_request_rules"] = `{"type":"content","action":"set-var","var_scope":"txn","var_name":"x","expr":"src","cond":"if","cond_test":"{ src 10.0.0.0/8 }"}`
	ruleSeeds["tcp_response_rules"] = `{"type":"content","action":"set-var-fmt","var_scope":"txn","var_name":"y","var_format":"%[src]","cond":"unless","cond_test":"{ res.len gt 0 }"}`
	ruleSeeds["ssl_front_uses"] = `{"certificate":"/etc/ssl/a.pem","alpn":"h2,http/1.1","ssl_min_ver":"TLSv1.2"}`
	ruleSeeds["force_be_switches"] = `{"cond":"if","cond_test":"{ src 10.0.0.1 }"}`
	ruleSeeds["quic_initial_rules"] = `{"type":"reject","cond":"if","cond_test":"{ src 10.0.0.1 }"}`
	ruleSeeds["http_checks"] = `{"type":"send","method":"GET","uri":"/health","version":"HTTP/1.1","body":"x","check_comment":"c"}`
	ruleSeeds["tcp_checks"] = `{"action":"expect","match":"string","pattern":"+PONG","on_success":"up","check_comment":"c"}`
}
