package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// mapsDir makes the map storage directory of the apitest environment of
// in (transaction_dir/maps, the default maps_dir), so that files can be
// there before HAProxy starts.
func mapsDir(t *testing.T, in *haproxytest.Instance) string {
	t.Helper()
	dir := filepath.Join(in.Dir, "transactions", "maps")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hostGet sends GET path to HAProxy with a Host header and returns the
// status and body.
func hostGet(t *testing.T, port int, host, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// routedTo fails unless HAProxy sends host to the backend that answers
// want, on the first request: the change must be live when answered.
func routedTo(t *testing.T, port int, host, want, what string) {
	t.Helper()
	if code, body := hostGet(t, port, host, "/"); code != 200 || body != want {
		t.Fatalf("%s: %s goes to %d %q, want %q", what, host, code, body, want)
	}
}

// reloadByAPI makes a change that takes a reload (a new backend) with
// force_reload=true, and checks that HAProxy reloaded.
func reloadByAPI(t *testing.T, e *apitest.Env, in *haproxytest.Instance, name string) {
	t.Helper()
	before, _ := in.Reloads()
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": name}}), 201, "a change that reloads")
	if after, _ := in.Reloads(); after != before+1 {
		t.Fatalf("reloads: %d then %d, want one more", before, after)
	}
}

const hostsConfig = `
frontend fe
    bind 127.0.0.1:%d
    use_backend %%[req.hdr(host),lower,map(%s,be_default)]

backend be_a
    http-request return status 200 content-type text/plain string a

backend be_b
    http-request return status 200 content-type text/plain string b

backend be_default
    http-request return status 200 content-type text/plain string default
`

// TestRuntimeMapTrafficAndReload: a map that routes by Host is changed
// through the API; traffic follows at once with no reload, the map file
// holds the change, and a reload keeps it.
func TestRuntimeMapTrafficAndReload(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	file := filepath.Join(mapsDir(t, in), "hosts.map")
	writeFile(t, file, "# hosts to backends\na.example be_a\n")
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(hostsConfig, port, file), apitest.Options{})
	base := "/services/haproxy/runtime/maps"

	routedTo(t, port, "a.example", "a", "from the file")
	routedTo(t, port, "b.example", "default", "no entry")
	reloads, _ := in.Reloads()

	var maps []map[string]any
	e.Get(base).JSON(t, &maps)
	if len(maps) != 1 || maps[0]["file"] != file || maps[0]["storage_name"] != "hosts.map" || maps[0]["size"] != float64(1) {
		t.Fatalf("maps: %v", maps)
	}
	mustStatus(t, e.Get(base+"/hosts"), 200, "a map by base name without extension")
	mustStatus(t, e.Get(base+"/"+maps[0]["id"].(string)), 200, "a map by runtime id")
	mustStatus(t, e.Get(base+"/nope.map"), 404, "a map HAProxy does not load")

	// Add: routed at once, in the file, no reload.
	var entry map[string]any
	r := e.Do(apitest.Request{Method: "POST", Path: base + "/hosts.map/entries", Body: map[string]any{"key": "b.example", "value": "be_b"}})
	mustStatus(t, r, 201, "add an entry")
	r.JSON(t, &entry)
	if entry["key"] != "b.example" || entry["value"] != "be_b" {
		t.Fatalf("added entry: %v", entry)
	}
	routedTo(t, port, "b.example", "b", "after add")
	if !strings.Contains(readFile(t, file), "\nb.example be_b\n") {
		t.Fatalf("the file does not hold the entry:\n%s", readFile(t, file))
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/hosts.map/entries", Body: map[string]any{"key": "b.example", "value": "be_a"}}), 409, "a key already there")
	routedTo(t, port, "b.example", "b", "after a refused duplicate")

	// Set: routed at once, file rewritten (comment kept).
	r = e.Do(apitest.Request{Method: "PUT", Path: base + "/hosts.map/entries/a.example", Body: map[string]any{"value": "be_b"}})
	mustStatus(t, r, 200, "set a value")
	routedTo(t, port, "a.example", "b", "after set")
	if got := readFile(t, file); got != "# hosts to backends\na.example be_b\nb.example be_b\n" {
		t.Fatalf("file after set:\n%s", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/hosts.map/entries/zz.example", Body: map[string]any{"value": "be_b"}}), 404, "set of a missing key")
	e.Get(base + "/hosts.map/entries/a.example").JSON(t, &entry)
	if entry["value"] != "be_b" {
		t.Fatalf("entry: %v", entry)
	}
	mustStatus(t, e.Get(base+"/hosts.map/entries/zz.example"), 404, "a missing key")
	var entries []map[string]any
	e.Get(base + "/hosts.map/entries?filter=b.ex").JSON(t, &entries)
	if len(entries) != 1 || entries[0]["key"] != "b.example" || !strings.HasPrefix(entries[0]["id"].(string), "0x") {
		t.Fatalf("filtered entries: %v", entries)
	}
	if now, _ := in.Reloads(); now != reloads {
		t.Fatalf("runtime map changes reloaded HAProxy: %d reloads, then %d", reloads, now)
	}

	// A reload reads the file: the changes stay.
	reloadByAPI(t, e, in, "be_new")
	haproxytest.WaitFor(t, 10*time.Second, "the new worker routes b.example", func() bool {
		_, body := hostGet(t, port, "b.example", "/")
		return body == "b"
	})
	routedTo(t, port, "a.example", "b", "after the reload")
	e.Get(base + "/hosts.map/entries").JSON(t, &entries)
	if len(entries) != 2 {
		t.Fatalf("entries after the reload: %v", entries)
	}

	// Payload, delete and clear, each in HAProxy and in the file.
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/hosts.map", Body: []map[string]any{
		{"key": "c.example", "value": "be_a"}, {"key": "d.example", "value": "be_a"}}}), 201, "add a payload")
	routedTo(t, port, "d.example", "a", "after the payload")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/hosts.map/entries/b.example"}), 204, "delete an entry")
	routedTo(t, port, "b.example", "default", "after delete")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/hosts.map/entries/b.example"}), 404, "delete again")
	if got := readFile(t, file); got != "# hosts to backends\na.example be_b\nc.example be_a\nd.example be_a\n" {
		t.Fatalf("file after payload and delete:\n%s", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/hosts.map?force_sync=true"}), 204, "clear")
	routedTo(t, port, "a.example", "default", "after clear")
	if got := readFile(t, file); got != "# hosts to backends\n" {
		t.Fatalf("file after clear:\n%s", got)
	}
	reloadByAPI(t, e, in, "be_new2")
	haproxytest.WaitFor(t, 10*time.Second, "the new worker serves", func() bool {
		code, _ := hostGet(t, port, "a.example", "/")
		return code == 200
	})
	routedTo(t, port, "a.example", "default", "clear survives the reload")
}

// TestRuntimeACLFileTrafficAndReload: a path ACL file denies what is added
// to it at once, with no reload, and after a reload.
func TestRuntimeACLFileTrafficAndReload(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	file := filepath.Join(t.TempDir(), "blocked.acl")
	writeFile(t, file, "/old\n")
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request deny if { path_beg -f %s }
    http-request return status 200 content-type text/plain string ok
`, port, file), apitest.Options{})
	base := "/services/haproxy/runtime/acls"
	status := func(path string) int {
		code, _ := hostGet(t, port, "x", path)
		return code
	}
	if status("/old/x") != 403 || status("/admin/x") != 200 {
		t.Fatal("the file's pattern does not hold before any change")
	}
	reloads, _ := in.Reloads()

	var files []map[string]any
	e.Get(base).JSON(t, &files)
	var id string
	for _, f := range files {
		if f["storage_name"] == file {
			id = f["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("acl files: %v", files)
	}
	mustStatus(t, e.Get(base+"/"+id), 200, "by id")
	mustStatus(t, e.Get(base+"/blocked"), 200, "by base name")

	var entry map[string]any
	r := e.Do(apitest.Request{Method: "POST", Path: base + "/blocked.acl/entries", Body: map[string]any{"value": "/admin"}})
	mustStatus(t, r, 201, "add a pattern")
	r.JSON(t, &entry)
	if got := status("/admin/x"); got != 403 {
		t.Fatalf("after add: /admin/x is %d, want 403 at once", got)
	}
	if readFile(t, file) != "/old\n/admin\n" {
		t.Fatalf("file after add: %q", readFile(t, file))
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/blocked.acl/entries", Body: map[string]any{"value": "/admin"}}), 409, "a pattern already there")
	if now, _ := in.Reloads(); now != reloads {
		t.Fatalf("an ACL file change reloaded HAProxy")
	}

	reloadByAPI(t, e, in, "be_new")
	haproxytest.WaitFor(t, 10*time.Second, "the new worker answers", func() bool { return status("/") == 200 })
	if got := status("/admin/x"); got != 403 {
		t.Fatalf("after the reload: /admin/x is %d, want 403", got)
	}

	// By id: the id changed with the worker; find it again.
	var entries []map[string]any
	e.Get(base + "/blocked.acl/entries").JSON(t, &entries)
	var adminID string
	for _, en := range entries {
		if en["value"] == "/admin" {
			adminID = en["id"].(string)
		}
	}
	if len(entries) != 2 || adminID == "" {
		t.Fatalf("entries after the reload: %v", entries)
	}
	e.Get(base + "/blocked.acl/entries/" + adminID).JSON(t, &entry)
	if entry["value"] != "/admin" {
		t.Fatalf("entry by id: %v", entry)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/blocked.acl/entries", Body: []map[string]any{{"value": "/x1"}, {"value": "/x2"}}}), 201, "a payload")
	if status("/x2") != 403 {
		t.Fatal("payload not live")
	}
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/blocked.acl/entries/" + adminID}), 204, "delete by id")
	if got := status("/admin/x"); got != 200 {
		t.Fatalf("after delete: /admin/x is %d, want 200", got)
	}
	if readFile(t, file) != "/old\n/x1\n/x2\n" {
		t.Fatalf("file after delete: %q", readFile(t, file))
	}
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/blocked.acl/entries/" + adminID}), 404, "delete again")
}
