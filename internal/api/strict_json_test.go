package api_test

import (
	"bytes"
	"strings"
	"testing"

	"dataplane/internal/apitest"
)

// TestStrictJSON: bodies encoding/json would read leniently are refused
// with 400 naming the problem, and change nothing.
func TestStrictJSON(t *testing.T) {
	e, _ := start(t)
	before := e.ReadConfig()
	for _, c := range []struct {
		name, body, want string
	}{
		{"duplicate key", `{"name":"be_a","name":"be_b"}`, "twice"},
		{"duplicate nested key", `{"name":"be_a","balance":{"algorithm":"roundrobin","algorithm":"first"}}`, "twice"},
		{"trailing garbage", `{"name":"be_a"} xyz`, ""},
		{"two objects", `{"name":"be_a"}{"name":"be_b"}`, ""},
		{"invalid UTF-8", "{\"name\":\"be_a\",\"description\":\"caf\xe9\"}", "UTF-8"},
	} {
		r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e),
			Body: []byte(c.body), ContentType: "application/json"})
		if r.Status != 400 || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s: %d %s, want 400 with %q", c.name, r.Status, r.Body, c.want)
		}
		if !bytes.Equal(before, e.ReadConfig()) {
			t.Fatalf("%s changed the file", c.name)
		}
	}
	// The same through a collection and a list body.
	r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/configuration/frontends/fe/acls" + vq(t, e),
		Body: []byte(`[{"acl_name":"a","criterion":"src","acl_name":"b"}]`), ContentType: "application/json"})
	if r.Status != 400 || !strings.Contains(string(r.Body), "twice") {
		t.Errorf("list body with a duplicate key: %d %s", r.Status, r.Body)
	}
}
