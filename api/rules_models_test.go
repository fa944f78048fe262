package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"dataplane/internal/config"
)

// Fully populated rule list items, and the checks that run them through
// the Go validation of a create and read them back. Each family registers
// itself (registerRuleModel, from an init function of its own file), and
// the model tests of models_test.go run over the registry.

// ruleModel is the test data of one rule list's item schema.
type ruleModel struct {
	schema, list string // the item and list schemas
	full         any    // a fully populated valid item
	// variants are more valid items, for fields that depend on each
	// other (a filter's on its type, a verbatim line's on nothing else):
	// with full, they set every field.
	variants []any
	check    goCheck
	fix      func(body map[string]any)
}

var ruleModels []ruleModel

func registerRuleModel(r ruleModel) { ruleModels = append(ruleModels, r) }

func variantsOf(schema string) []any {
	if v, ok := sectionVariants()[schema]; ok {
		return v
	}
	for _, r := range ruleModels {
		if r.schema == schema {
			return r.variants
		}
	}
	return nil
}

func ruleModelCases() []modelCase {
	var out []modelCase
	for _, r := range ruleModels {
		out = append(out, modelCase{r.schema, r.full, r.check, r.fix})
	}
	return out
}

func verbatim(line string) config.Unmodelled { return config.Unmodelled{Verbatim: line} }

func init() {
	fe, be := config.KindFrontend, config.KindBackend
	registerRuleModel(ruleModel{
		schema: "backend_switching_rule", list: "backend_switching_rules",
		full:     config.BackendSwitchingRule{Name: "be_api", Condition: config.Condition{Cond: "if", CondTest: "is_api !{ src 10.0.0.0/8 }"}},
		variants: []any{config.BackendSwitchingRule{Unmodelled: verbatim("use_backend %[req.hdr(host),lower] if { req.hdr(host) -m found }")}},
		check:    addItem(config.BackendSwitchingRules, fe, "fe"),
	})
	registerRuleModel(ruleModel{
		schema: "server_switching_rule", list: "server_switching_rules",
		full:     config.ServerSwitchingRule{TargetServer: "s1", Condition: config.Condition{Cond: "unless", CondTest: "is_health"}},
		variants: []any{config.ServerSwitchingRule{Unmodelled: verbatim("use-server s2 if { path /x }")}},
		check:    addItem(config.ServerSwitchingRules, be, "be"),
	})
	registerRuleModel(ruleModel{
		schema: "stick_rule", list: "stick_rules",
		full:     config.StickRule{Type: "on", Pattern: "src", Table: "st_src", Condition: config.Condition{Cond: "if", CondTest: "is_api"}},
		variants: []any{config.StickRule{Unmodelled: verbatim("stick match src")}},
		check:    addItem(config.StickRules, be, "be"),
	})
	registerRuleModel(ruleModel{
		schema: "capture", list: "captures",
		full:     config.Capture{Type: "request", Length: 64},
		variants: []any{config.Capture{Unmodelled: verbatim("declare capture response len 8")}},
		check:    addItem(config.Captures, fe, "fe"),
	})
	registerRuleModel(ruleModel{
		schema: "filter", list: "filters",
		full: config.Filter{Type: "bwlim-in", BandwidthLimitName: "per_src", Limit: 1048576, Key: "src", Table: "st_bw", MinSize: 1024},
		variants: []any{
			config.Filter{Type: "bwlim-out", BandwidthLimitName: "per_stream", DefaultLimit: 65536, DefaultPeriod: 1000},
			config.Filter{Type: "trace", TraceName: "t", TraceHexdump: true, TraceRndForwarding: true, TraceRndParsing: true},
			config.Filter{Type: "cache", CacheName: "c1"},
			config.Filter{Type: "spoe", SpoeEngine: "e1", SpoeConfig: "/etc/haproxy/spoe.conf"},
			config.Filter{Type: "fcgi-app", AppName: "php"},
			config.Filter{Unmodelled: verbatim("filter opentracing id ot config /etc/ot.cfg")},
		},
		check: addItem(config.Filters, be, "be"),
		fix:   fixFilter,
	})
	registerRuleModel(ruleModel{
		schema: "log_target", list: "log_targets",
		full: config.LogTarget{Address: "127.0.0.1:514", Length: 4096, Format: "rfc5424", SampleRange: "1-3", SampleSize: 10,
			Facility: "local0", Level: "info", Minlevel: "notice"},
		variants: []any{
			config.LogTarget{Global: true},
			config.LogTarget{Nolog: true},
			config.LogTarget{Unmodelled: verbatim("log stdout format raw daemon")},
		},
		check: addItem(config.LogTargets, be, "be"),
	})
}

// addItem runs v (a *T of collection c) through the Go validation of a
// create at index 0 in kind's section of baseConfig and reads it back:
// what the schema accepts is written and read as is.
func addItem(c config.ChildResource, kind, name string) goCheck {
	return func(t *testing.T, v any) error {
		p := config.Parent{Kind: kind, Name: name}
		d, k, err := c.Create(parseDoc(t, baseConfig), p, config.Key{Index: 0}, v)
		if err != nil {
			return err
		}
		got, err := c.Get(d, p, k)
		if err != nil {
			return err
		}
		want := reflect.ValueOf(v).Elem().Interface()
		// A verbatim line the model can hold reads back as that model.
		if u := reflect.ValueOf(want).FieldByName("Verbatim"); u.IsValid() && u.String() != "" {
			if !strings.Contains(string(d.Render()), "    "+u.String()+"\n") {
				return fmt.Errorf("verbatim %q is not in the file:\n%s", u.String(), string(d.Render()))
			}
			return nil
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("wrote %+v, read back %+v", want, got)
		}
		return nil
	}
}

// fixFilter drops the fields of the fully populated filter that the type
// TestSchemaValuesAcceptedByGo set does not take, and adds what it needs.
func fixFilter(body map[string]any) {
	typ, _ := body["type"].(string)
	keep := map[string]bool{"type": true}
	for _, f := range config.FilterFields(typ) {
		keep[f] = true
	}
	for f := range body {
		if !keep[f] {
			delete(body, f)
		}
	}
	if body["default_limit"] != nil || body["default_period"] != nil {
		// The value under test is per stream: not per key.
		delete(body, "limit")
		delete(body, "key")
		delete(body, "table")
		for _, f := range []string{"default_limit", "default_period"} {
			if body[f] == nil {
				body[f] = 1000
			}
		}
	}
	switch typ {
	case "cache":
		body["cache_name"] = "c1"
	case "spoe":
		body["spoe_config"] = "/etc/haproxy/spoe.conf"
	case "fcgi-app":
		body["app_name"] = "php"
	}
}

// fixActionRule returns the fix of a rule list's items with a type: it
// keeps, of the fully populated rule, what a type that
// TestSchemaValuesAcceptedByGo set takes: that type's fields from the
// first item of that type registered for schema, or nothing but the type.
func fixActionRule(schema string) func(body map[string]any) {
	return func(body map[string]any) {
		typ, _ := body["type"].(string)
		if typ == "" {
			return
		}
		for _, r := range ruleModels {
			if r.schema != schema {
				continue
			}
			for _, v := range append([]any{r.full}, r.variants...) {
				var b map[string]any
				raw, _ := json.Marshal(v)
				_ = json.Unmarshal(raw, &b)
				if b["type"] != typ {
					continue
				}
				for k := range body {
					delete(body, k)
				}
				for k, x := range b {
					body[k] = x
				}
				return
			}
		}
		for k := range body {
			if k != "type" {
				delete(body, k)
			}
		}
	}
}
