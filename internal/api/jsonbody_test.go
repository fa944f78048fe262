package api

import (
	"strings"
	"testing"
)

func TestCheckJSON(t *testing.T) {
	for _, c := range []struct {
		body string
		want string // "" = accepted
	}{
		{`{"name":"be","balance":{"algorithm":"roundrobin"}}`, ""},
		{`[{"a":1},{"a":2}]`, ""},
		{`{"name":"caf\u00e9 é"}`, ""},
		{"{\"name\":\"be\"}\n", ""},
		{`{"name":"a","name":"b"}`, `key "name" appears twice`},
		{`{"balance":{"algorithm":"a","algorithm":"b"}}`, `key "algorithm" appears twice`},
		{`[{"acl_name":"x","acl_name":"y"}]`, `key "acl_name" appears twice`},
		{`{"name":"a"} trailing`, "more than one JSON value"},
		{`{"name":"a"}{"name":"b"}`, "more than one JSON value"},
		{"{\"name\":\"a\xff\"}", "not valid UTF-8 (byte 10)"},
		{`{"name":`, "not JSON"},
		{``, "not JSON"},
	} {
		err := checkJSON([]byte(c.body))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q refused: %v", c.body, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: %v, want %q", c.body, err, c.want)
		}
	}
}
