package api

import (
	"strings"
	"testing"

	"dataplane/internal/config"
)

func TestResetFleetRuntime(t *testing.T) {
	const cfg = `global
    maxconn 100

backend be
    server s1 10.0.0.1:80 weight 10
    server s2 10.0.0.2:80
`
	old, err := config.Parse([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	const record = `{"admin_state":"maint","operational_state":"down","weight":7,"address":"10.0.0.9","port":8080}`
	cases := []struct {
		name     string
		from, to string
		kind     string
		key      string
		value    string
		keep     string // "" with changed: dropped
		changed  bool
	}{
		{name: "no configuration change of s1", from: "server s2 10.0.0.2:80", to: "server s2 10.0.0.2:80 weight 3",
			kind: "servers", key: "be/s1", value: record, keep: record},
		{name: "weight set by the configuration", from: "weight 10", to: "weight 20", kind: "servers", key: "be/s1", value: record,
			keep: `{"admin_state":"maint","operational_state":"down","address":"10.0.0.9","port":8080}`, changed: true},
		{name: "address set by the configuration", from: "10.0.0.1:80", to: "10.0.0.1:81", kind: "servers", key: "be/s1", value: record,
			keep: `{"admin_state":"maint","operational_state":"down","weight":7}`, changed: true},
		{name: "maintenance set by the configuration", from: "weight 10", to: "weight 10 disabled", kind: "servers", key: "be/s1", value: record,
			keep: `{"operational_state":"down","weight":7,"address":"10.0.0.9","port":8080}`, changed: true},
		{name: "only the overridden field was recorded", from: "weight 10", to: "weight 20", kind: "servers", key: "be/s1",
			value: `{"weight":7}`, changed: true},
		{name: "a field the record lacks", from: "weight 10", to: "weight 20", kind: "servers", key: "be/s1",
			value: `{"admin_state":"maint"}`, keep: `{"admin_state":"maint"}`},
		{name: "server removed", from: "    server s1 10.0.0.1:80 weight 10\n", to: "", kind: "servers", key: "be/s1", value: record, changed: true},
		{name: "unreadable record", kind: "servers", key: "be/s1", value: `{`, changed: true},
		{name: "a key without a server", kind: "servers", key: "be", value: record, changed: true},
		{name: "another kind", from: "    server s1 10.0.0.1:80 weight 10\n", to: "", kind: "maps", key: "be/s1", value: record, keep: record},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := cfg
			if c.from != "" {
				if !strings.Contains(text, c.from) {
					t.Fatalf("no %q in the configuration", c.from)
				}
				text = strings.Replace(text, c.from, c.to, 1)
			}
			next, err := config.Parse([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			keep, changed := ResetFleetRuntime(old, next, c.kind, c.key, []byte(c.value))
			if changed != c.changed || string(keep) != c.keep {
				t.Errorf("ResetFleetRuntime = %s, %v; want %s, %v", keep, changed, c.keep, c.changed)
			}
		})
	}
}
