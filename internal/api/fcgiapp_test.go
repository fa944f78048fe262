package api_test

import (
	"encoding/json"
	"testing"
)

// TestFCGIAppsOnHAProxy: an fcgi-app with every field is created through
// the API, HAProxy accepts the file (the reload succeeds), and it reads
// back field for field; a replace without the lists removes their lines.
func TestFCGIAppsOnHAProxy(t *testing.T) {
	r := startRuleEnv(t, "", "", "")
	app := map[string]any{
		"name": "php", "docroot": "/var/www/html", "index": "index.php", "path_info": `^(/.+\.php)(/.*)?$`,
		"get_values": "enabled", "keep_conn": "enabled", "mpxs_conns": "disabled", "max_reqs": 10,
		"pass_headers": []any{map[string]any{"name": "Authorization"}, map[string]any{"name": "X-Trace", "cond": "if", "cond_test": "{ path_beg /api }"}},
		"set_params": []any{map[string]any{"name": "SCRIPT_FILENAME", "format": "/var/www/html%[path]"},
			map[string]any{"name": "HTTPS", "format": "on", "cond": "if", "cond_test": "{ ssl_fc }"}},
		"log_stderrs": []any{map[string]any{"global": true},
			map[string]any{"address": "127.0.0.1:514", "facility": "local0", "level": "err", "len": 1024, "format": "rfc5424",
				"sample": map[string]any{"ranges": "1", "size": 2}}},
	}
	r.send(t, "POST", "/fcgi_apps", app, 201)
	var got map[string]any
	r.e.Get(cfgBase+"/fcgi_apps/php").JSON(t, &got)
	want, _ := json.Marshal(app)
	have, _ := json.Marshal(got)
	if string(want) != string(have) {
		t.Fatalf("read back:\n got %s\nwant %s\nfile:\n%s", have, want, r.e.ReadConfig())
	}
	// ACLs of the fcgi-app, and its full_section.
	r.send(t, "POST", "/fcgi_apps/php/acls/0", map[string]any{"acl_name": "is_api", "criterion": "path_beg", "value": "/api"}, 201)
	var full map[string]any
	r.e.Get(cfgBase+"/fcgi_apps/php?full_section=true").JSON(t, &full)
	if l, ok := full["acl_list"].([]any); !ok || len(l) != 1 {
		t.Fatalf("full_section: %v", full)
	}
	r.send(t, "PUT", "/fcgi_apps/php", map[string]any{"name": "php", "docroot": "/srv"}, 200)
	got = nil
	r.e.Get(cfgBase+"/fcgi_apps/php").JSON(t, &got)
	if len(got) != 2 || got["docroot"] != "/srv" {
		t.Fatalf("after the replace: %v\n%s", got, r.e.ReadConfig())
	}
	r.send(t, "DELETE", "/fcgi_apps/php", nil, 204)
}
