package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

const sitesPath = "/services/haproxy/sites"

// startSiteEnv runs HAProxy with one frontend and backend that are no
// part of the sites the tests make (`other`, `shared`), and three local
// HTTP servers answering their own name.
func startSiteEnv(t *testing.T) (*apitest.Env, map[string]*haproxytest.Backend) {
	t.Helper()
	in := haproxytest.New(t)
	apps := map[string]*haproxytest.Backend{}
	for _, n := range []string{"A", "B", "C"} {
		apps[n] = haproxytest.StartBackend(t, n, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, n) })
	}
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend other
    bind 127.0.0.1:%d
    mode http
    default_backend shared

backend shared
    mode http
    server s1 %s
`, haproxytest.FreePort(t), apps["A"].Addr()), apitest.Options{})
	return e, apps
}

// waitBody waits until a GET of url answers body.
func waitBody(t *testing.T, url, body string) {
	t.Helper()
	last := ""
	haproxytest.WaitFor(t, 10*time.Second, fmt.Sprintf("GET %s answers %q (last: %q)", url, body, last), func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		_, got, err := haproxytest.HTTPGet(ctx, url)
		last = got
		if err != nil {
			last = err.Error()
		}
		return err == nil && got == body
	})
}

func siteWrite(t *testing.T, e *apitest.Env, method, path string, body any, want int) *apitest.Response {
	t.Helper()
	r := e.Do(apitest.Request{Method: method, Path: path + vq(t, e) + "&force_reload=true", Body: body})
	mustStatus(t, r, want, method+" "+path)
	return r
}

// TestSiteLifecycle: a site created through the API in one change (one
// version) serves real traffic through HAProxy to local servers, by its
// default farm and by a conditional one; a replace moves the default
// farm to another server, drops a farm (its backend deleted) and adds
// one; a delete removes the frontend and the site's backends and leaves
// the backend another frontend uses.
func TestSiteLifecycle(t *testing.T) {
	e, apps := startSiteEnv(t)
	port := haproxytest.FreePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	server := func(name, app string) map[string]any {
		return map[string]any{"name": name, "address": "127.0.0.1", "port": apps[app].Port}
	}
	site := map[string]any{
		"name": "web",
		"service": map[string]any{"mode": "http", "maxconn": 500, "http_connection_mode": "http-keep-alive",
			"listeners": []any{map[string]any{"name": "pub", "address": "127.0.0.1", "port": port}}},
		"farms": []any{
			map[string]any{"name": "web_main", "use_as": "default", "mode": "http",
				"balance": map[string]any{"algorithm": "roundrobin"}, "servers": []any{server("a1", "A")}},
			map[string]any{"name": "web_api", "use_as": "conditional", "cond": "if", "cond_test": "{ path_beg /api }",
				"mode": "http", "forwardfor": map[string]any{"enabled": "enabled"}, "servers": []any{server("b1", "B")}},
		},
	}
	v0 := version(t, e)
	siteWrite(t, e, "POST", sitesPath, site, 201)
	if v := version(t, e); v != v0+1 {
		t.Fatalf("a site create took versions %d -> %d, want one commit", v0, v)
	}
	waitBody(t, url+"/", "A")
	waitBody(t, url+"/api/x", "B")

	var got map[string]any
	e.Get(sitesPath+"/web").JSON(t, &got)
	farms := got["farms"].([]any)
	svc := got["service"].(map[string]any)
	if svc["mode"] != "http" || svc["maxconn"] != float64(500) || svc["http_connection_mode"] != "http-keep-alive" ||
		len(svc["listeners"].([]any)) != 1 || len(farms) != 2 {
		t.Fatalf("site read back: %v", got)
	}
	api := farms[1].(map[string]any)
	if api["name"] != "web_api" || api["use_as"] != "conditional" || api["cond_test"] != "{ path_beg /api }" ||
		api["forwardfor"] == nil || api["servers"].([]any)[0].(map[string]any)["name"] != "b1" {
		t.Fatalf("conditional farm read back: %v", api)
	}
	var all []map[string]any
	e.Get(sitesPath).JSON(t, &all)
	if len(all) != 2 || all[0]["name"] != "other" || all[1]["name"] != "web" {
		t.Fatalf("sites: %v", all)
	}

	// Replace: the default farm's server is now C; web_api goes, web_v2
	// (to B) comes.
	site["farms"] = []any{
		map[string]any{"name": "web_main", "use_as": "default", "mode": "http", "servers": []any{server("c1", "C")}},
		map[string]any{"name": "web_v2", "use_as": "conditional", "cond": "if", "cond_test": "{ path_beg /v2 }",
			"mode": "http", "servers": []any{server("b2", "B")}},
	}
	siteWrite(t, e, "PUT", sitesPath+"/web", site, 200)
	waitBody(t, url+"/", "C")
	waitBody(t, url+"/v2/x", "B")
	waitBody(t, url+"/api/x", "C")
	cfg := string(e.ReadConfig())
	if strings.Contains(cfg, "web_api") || !strings.Contains(cfg, "\nbackend web_v2\n") || strings.Contains(cfg, "server a1") {
		t.Fatalf("after the replace:\n%s", cfg)
	}

	siteWrite(t, e, "DELETE", sitesPath+"/web", nil, 204)
	cfg = string(e.ReadConfig())
	for _, gone := range []string{"frontend web", "backend web_main", "backend web_v2"} {
		if strings.Contains(cfg, gone) {
			t.Fatalf("%q is still in the file:\n%s", gone, cfg)
		}
	}
	if !strings.Contains(cfg, "\nbackend shared\n") || !strings.Contains(cfg, "\nfrontend other\n") {
		t.Fatalf("the delete took more than the site:\n%s", cfg)
	}
	mustStatus(t, e.Get(sitesPath+"/web"), 404, "the deleted site")
}

// TestSiteRefusals: bad names, injection, conflicts, a farm HAProxy
// refuses and a stale version are each refused with a 4xx JSON error,
// and the file stays byte for byte as it was.
func TestSiteRefusals(t *testing.T) {
	e, apps := startSiteEnv(t)
	port := haproxytest.FreePort(t)
	srv := map[string]any{"name": "s", "address": "127.0.0.1", "port": apps["A"].Port}
	good := func(mut func(site map[string]any, farm map[string]any)) map[string]any {
		farm := map[string]any{"name": "f1", "use_as": "default", "mode": "http", "servers": []any{srv}}
		site := map[string]any{"name": "s1", "service": map[string]any{"mode": "http",
			"listeners": []any{map[string]any{"name": "l", "address": "127.0.0.1", "port": port}}},
			"farms": []any{farm}}
		mut(site, farm)
		return site
	}
	siteWrite(t, e, "POST", sitesPath, good(func(map[string]any, map[string]any) {}), 201)

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		stale  bool
		want   int
	}{
		{"bad site name", "POST", sitesPath, good(func(s, _ map[string]any) { s["name"] = "a b" }), false, 400},
		{"newline in the condition", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"] = "s2"
			f["use_as"], f["cond"], f["cond_test"] = "conditional", "if", "TRUE\n    server x 1.2.3.4:80"
		}), false, 400},
		{"space in a server name", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"] = "s2"
			f["servers"] = []any{map[string]any{"name": "a b", "address": "127.0.0.1", "port": 80}}
		}), false, 400},
		{"words in a bind address", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"], f["name"] = "s2", "f2"
			s["service"].(map[string]any)["listeners"] = []any{map[string]any{"name": "x", "address": "127.0.0.1 ssl", "port": 1}}
		}), false, 400},
		{"two default farms", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"], f["name"] = "s2", "f2"
			s["farms"] = append(s["farms"].([]any), map[string]any{"name": "f3", "use_as": "default"})
		}), false, 400},
		{"conditional farm without a condition", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"], f["name"], f["use_as"] = "s2", "f2", "conditional"
		}), false, 400},
		{"a farm twice", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"], f["name"] = "s2", "f2"
			s["farms"] = append(s["farms"].([]any), map[string]any{"name": "f2", "use_as": "conditional", "cond": "if", "cond_test": "TRUE"})
		}), false, 400},
		{"site name of an existing frontend", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"], f["name"] = "other", "f2"
		}), false, 409},
		{"farm name of an existing backend", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"], f["name"] = "s2", "shared"
		}), false, 409},
		{"site exists", "POST", sitesPath, good(func(s, f map[string]any) { f["name"] = "f9" }), false, 409},
		// Every part is valid alone; HAProxy refuses an http frontend
		// switching to a tcp backend, so the whole site is refused.
		{"haproxy -c refuses the whole", "POST", sitesPath, good(func(s, f map[string]any) {
			s["name"], f["name"], f["mode"] = "s2", "f2", "tcp"
			s["service"].(map[string]any)["listeners"] = []any{map[string]any{"name": "l2", "address": "127.0.0.1", "port": haproxytest.FreePort(t)}}
		}), false, 400},
		{"stale version", "POST", sitesPath, good(func(s, f map[string]any) { s["name"], f["name"] = "s2", "f2" }), true, 409},
		{"replace a missing site", "PUT", sitesPath + "/nope", good(func(s, _ map[string]any) { s["name"] = "nope" }), false, 404},
		{"replace renames", "PUT", sitesPath + "/s1", good(func(s, _ map[string]any) { s["name"] = "s9" }), false, 400},
		{"replace takes another site's backend", "PUT", sitesPath + "/s1", good(func(_, f map[string]any) { f["name"] = "shared" }), false, 409},
		{"delete a missing site", "DELETE", sitesPath + "/nope", nil, false, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.ReadConfig()
			v := version(t, e)
			q := fmt.Sprintf("?version=%d", v)
			if c.stale {
				q = fmt.Sprintf("?version=%d", v-1)
			}
			r := e.Do(apitest.Request{Method: c.method, Path: c.path + q + "&force_reload=true", Body: c.body})
			if r.Status != c.want && !(c.want == 400 && r.Status == 422) {
				t.Fatalf("status %d, want %d: %s", r.Status, c.want, r.Body)
			}
			if !strings.Contains(string(r.Body), `"message"`) {
				t.Fatalf("not a JSON error: %s", r.Body)
			}
			if after := e.ReadConfig(); !bytes.Equal(before, after) {
				t.Fatalf("the file changed:\n%s", after)
			}
			if version(t, e) != v {
				t.Fatalf("the version moved on")
			}
		})
	}
}

// TestSiteInTransaction: a site created inside a transaction is staged
// (202, seen with the transaction_id, not live) and the commit makes it
// serve traffic.
func TestSiteInTransaction(t *testing.T) {
	e, apps := startSiteEnv(t)
	port := haproxytest.FreePort(t)
	tx := begin(t, e)
	site := map[string]any{"name": "tx_site",
		"service": map[string]any{"mode": "http", "listeners": []any{map[string]any{"name": "l", "address": "127.0.0.1", "port": port}}},
		"farms": []any{map[string]any{"name": "tx_farm", "use_as": "default", "mode": "http",
			"servers": []any{map[string]any{"name": "b", "address": "127.0.0.1", "port": apps["B"].Port}}}}}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: sitesPath + "?transaction_id=" + tx.ID, Body: site}), 202, "staged create")
	mustStatus(t, e.Get(sitesPath+"/tx_site?transaction_id="+tx.ID), 200, "the staged site")
	mustStatus(t, e.Get(sitesPath+"/tx_site"), 404, "the live site before the commit")
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")
	waitBody(t, fmt.Sprintf("http://127.0.0.1:%d/", port), "B")
}
