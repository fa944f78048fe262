package api_test

import (
	"strings"
	"testing"

	"dataplane/internal/apitest"
)

// TestServerTemplatesOnHAProxy: a server-template created through the API
// makes HAProxy create its servers (seen in `show servers state`), a
// replace changes their params, a delete removes them; bad input is a 4xx
// that writes nothing.
func TestServerTemplatesOnHAProxy(t *testing.T) {
	r := startRuleEnv(t, "", "", "")
	path := "/backends/be_b/server_templates"
	r.send(t, "POST", path, map[string]any{"prefix": "tpl", "num_or_range": "1-3", "fqdn": "app.invalid", "port": 8080,
		"init-addr": "none", "weight": 7}, 201)
	state := r.e.Get("/services/haproxy/runtime/backends/be_b/servers").Body
	for _, name := range []string{"tpl1", "tpl2", "tpl3"} {
		if !strings.Contains(string(state), `"name":"`+name+`"`) {
			t.Fatalf("HAProxy has no server %s after the template: %s", name, state)
		}
	}
	var tpl map[string]any
	r.e.Get(cfgBase+path+"/tpl").JSON(t, &tpl)
	if tpl["num_or_range"] != "1-3" || tpl["fqdn"] != "app.invalid" || tpl["weight"] != float64(7) {
		t.Fatalf("template: %v", tpl)
	}
	tpl["num_or_range"] = "2"
	r.send(t, "PUT", path+"/tpl", tpl, 200)
	if !strings.Contains(string(r.e.ReadConfig()), "    server-template tpl 2 app.invalid:8080 weight 7 init-addr none\n") {
		t.Fatalf("replaced line:\n%s", r.e.ReadConfig())
	}
	state = r.e.Get("/services/haproxy/runtime/backends/be_b/servers").Body
	if strings.Contains(string(state), `"name":"tpl3"`) {
		t.Fatalf("tpl3 still runs after the template shrank to 2: %s", state)
	}

	before := r.e.ReadConfig()
	for _, body := range []map[string]any{
		{"prefix": "bad", "num_or_range": "a-b", "fqdn": "x.invalid"},
		{"prefix": "bad\nserver x", "num_or_range": "1", "fqdn": "x.invalid"},
		{"prefix": "bad", "num_or_range": "1", "fqdn": "x.invalid weight 1"},
	} {
		resp := r.e.Do(apitest.Request{Method: "POST", Path: cfgBase + path + vq(t, r.e), Body: body})
		if resp.Status != 400 && resp.Status != 422 {
			t.Errorf("%v: %d, want 400 or 422: %s", body, resp.Status, resp.Body)
		}
	}
	if string(r.e.ReadConfig()) != string(before) {
		t.Fatal("a refused request changed the file")
	}
	r.send(t, "DELETE", path+"/tpl", nil, 204)
	state = r.e.Get("/services/haproxy/runtime/backends/be_b/servers").Body
	if strings.Contains(string(state), `"name":"tpl`) {
		t.Fatalf("template servers still run after the delete: %s", state)
	}
}
