package api

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"dataplane/internal/config"
)

// Fully populated rule list items, and the checks that run them through
// the Go validation of a create and read them back.

func fullBackendSwitchingRule() config.BackendSwitchingRule {
	return config.BackendSwitchingRule{Name: "be_api", Condition: config.Condition{Cond: "if", CondTest: "is_api !{ src 10.0.0.0/8 }"}}
}

func fullServerSwitchingRule() config.ServerSwitchingRule {
	return config.ServerSwitchingRule{TargetServer: "s1", Condition: config.Condition{Cond: "unless", CondTest: "is_health"}}
}

func fullStickRule() config.StickRule {
	return config.StickRule{Type: "on", Pattern: "src", Table: "st_src", Condition: config.Condition{Cond: "if", CondTest: "is_api"}}
}

func fullCapture() config.Capture { return config.Capture{Type: "request", Length: 64} }

func fullFilter() config.Filter {
	return config.Filter{Type: "bwlim-in", BandwidthLimitName: "per_src", Limit: 1048576, Key: "src", Table: "st_bw", MinSize: 1024}
}

func fullLogTarget() config.LogTarget {
	return config.LogTarget{Address: "127.0.0.1:514", Length: 4096, Format: "rfc5424", SampleRange: "1-3", SampleSize: 10,
		Facility: "local0", Level: "info", Minlevel: "notice"}
}

// modelVariants are more valid values of the schemas whose fields depend
// on each other (a filter's on its type, a verbatim line's on nothing
// else): with the fully populated value, they set every field.
func modelVariants() map[string][]any {
	return map[string][]any{
		"backend_switching_rule": {config.BackendSwitchingRule{Unmodelled: config.Unmodelled{Verbatim: "use_backend %[req.hdr(host),lower] if { req.hdr(host) -m found }"}}},
		"server_switching_rule":  {config.ServerSwitchingRule{Unmodelled: config.Unmodelled{Verbatim: "use-server s2 if { path /x }"}}},
		"stick_rule":             {config.StickRule{Unmodelled: config.Unmodelled{Verbatim: "stick match src"}}},
		"capture":                {config.Capture{Unmodelled: config.Unmodelled{Verbatim: "declare capture response len 8"}}},
		"filter": {
			config.Filter{Type: "bwlim-out", BandwidthLimitName: "per_stream", DefaultLimit: 65536, DefaultPeriod: 1000},
			config.Filter{Type: "trace", TraceName: "t", TraceHexdump: true, TraceRndForwarding: true, TraceRndParsing: true},
			config.Filter{Type: "cache", CacheName: "c1"},
			config.Filter{Type: "spoe", SpoeEngine: "e1", SpoeConfig: "/etc/haproxy/spoe.conf"},
			config.Filter{Type: "fcgi-app", AppName: "php"},
			config.Filter{Unmodelled: config.Unmodelled{Verbatim: "filter opentracing id ot config /etc/ot.cfg"}},
		},
		"log_target": {
			config.LogTarget{Global: true},
			config.LogTarget{Nolog: true},
			config.LogTarget{Unmodelled: config.Unmodelled{Verbatim: "log stdout format raw daemon"}},
		},
	}
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

func ruleModelCases() []modelCase {
	fe, be := config.KindFrontend, config.KindBackend
	return []modelCase{
		{"backend_switching_rule", fullBackendSwitchingRule(), addItem(config.BackendSwitchingRules, fe, "fe"), nil},
		{"server_switching_rule", fullServerSwitchingRule(), addItem(config.ServerSwitchingRules, be, "be"), nil},
		{"stick_rule", fullStickRule(), addItem(config.StickRules, be, "be"), nil},
		{"capture", fullCapture(), addItem(config.Captures, fe, "fe"), nil},
		{"filter", fullFilter(), addItem(config.Filters, be, "be"), fixFilter},
		{"log_target", fullLogTarget(), addItem(config.LogTargets, be, "be"), nil},
	}
}
