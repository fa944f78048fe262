package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/patfile"
	"dataplane/internal/settings"
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
	e.Get(base+"/hosts.map/entries/a.example").JSON(t, &entry)
	if entry["value"] != "be_b" {
		t.Fatalf("entry: %v", entry)
	}
	mustStatus(t, e.Get(base+"/hosts.map/entries/zz.example"), 404, "a missing key")
	var entries []map[string]any
	e.Get(base+"/hosts.map/entries?filter=b.ex").JSON(t, &entries)
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
	e.Get(base+"/hosts.map/entries").JSON(t, &entries)
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
	e.Get(base+"/blocked.acl/entries").JSON(t, &entries)
	var adminID string
	for _, en := range entries {
		if en["value"] == "/admin" {
			adminID = en["id"].(string)
		}
	}
	if len(entries) != 2 || adminID == "" {
		t.Fatalf("entries after the reload: %v", entries)
	}
	e.Get(base+"/blocked.acl/entries/"+adminID).JSON(t, &entry)
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

// TestPatternRefusals: keys, values and names that could inject a second
// command, a config line or a path are refused with a 4xx, and neither
// HAProxy nor the files change.
func TestPatternRefusals(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	dir := mapsDir(t, in)
	file := filepath.Join(dir, "hosts.map")
	acl := filepath.Join(dir, "blocked.acl")
	writeFile(t, file, "a.example be_a\n")
	writeFile(t, acl, "/old\n")
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(hostsConfig, port, file)+fmt.Sprintf(`
frontend fe2
    bind 127.0.0.1:%d
    http-request deny if { path_beg -f %s }
    http-request return status 200 content-type text/plain string ok
`, haproxytest.FreePort(t), acl), apitest.Options{Settings: func(st *settingsT) { st.API.MaxBodySize = 4096 }})
	maps, acls := "/services/haproxy/runtime/maps/hosts.map", "/services/haproxy/runtime/acls/blocked.acl"
	state := func() string {
		return in.Stats("show map "+file) + in.Stats("show acl "+acl) + readFile(t, file) + readFile(t, acl) + fmt.Sprint(dirNames(t, dir))
	}
	before := state()
	for _, c := range []struct {
		what   string
		method string
		path   string
		body   any
	}{
		{"key with a newline", "POST", maps + "/entries", map[string]any{"key": "x\nadd map " + file + " y be_b", "value": "be_b"}},
		{"key with a space", "POST", maps + "/entries", map[string]any{"key": "x y", "value": "be_b"}},
		{"key with ;", "POST", maps + "/entries", map[string]any{"key": "x;clear map " + file, "value": "be_b"}},
		{"key with a quote", "POST", maps + "/entries", map[string]any{"key": `x"`, "value": "be_b"}},
		{"key with a backslash", "POST", maps + "/entries", map[string]any{"key": `x\`, "value": "be_b"}},
		{"key starting with #", "POST", maps + "/entries", map[string]any{"key": "#x", "value": "be_b"}},
		{"empty key", "POST", maps + "/entries", map[string]any{"key": "", "value": "be_b"}},
		{"value with a newline", "POST", maps + "/entries", map[string]any{"key": "x", "value": "be_b\nclear map " + file}},
		{"value with ;", "POST", maps + "/entries", map[string]any{"key": "x", "value": "be_b;clear map " + file}},
		{"value with a tab", "POST", maps + "/entries", map[string]any{"key": "x", "value": "be\tb"}},
		{"value with a leading blank", "POST", maps + "/entries", map[string]any{"key": "x", "value": " be_b"}},
		{"value asking for a payload", "POST", maps + "/entries", map[string]any{"key": "x", "value": "be_b <<"}},
		{"empty value", "POST", maps + "/entries", map[string]any{"key": "x", "value": ""}},
		{"set with a newline", "PUT", maps + "/entries/a.example", map[string]any{"value": "be_b\nclear map " + file}},
		{"set of another key", "PUT", maps + "/entries/a.example", map[string]any{"key": "b.example", "value": "be_b"}},
		{"payload with one bad entry", "PUT", maps, []map[string]any{{"key": "ok.example", "value": "be_b"}, {"key": "x y", "value": "be_b"}}},
		{"entry id with a newline", "DELETE", maps + "/entries/a.example%0Aclear", nil},
		{"acl pattern with a space", "POST", acls + "/entries", map[string]any{"value": "/a b"}},
		{"acl pattern with a newline", "POST", acls + "/entries", map[string]any{"value": "/a\nclear acl " + acl}},
		{"acl payload with one bad pattern", "PUT", acls + "/entries", []map[string]any{{"value": "/fine"}, {"value": "/a;b"}}},
	} {
		r := e.Do(apitest.Request{Method: c.method, Path: c.path, Body: c.body})
		t.Logf("%s: %d %s", c.what, r.Status, bytes.TrimSpace(r.Body))
		if r.Status < 400 || r.Status > 499 {
			t.Errorf("%s: status %d, want 4xx: %s", c.what, r.Status, r.Body)
		}
	}
	// Storage: names that leave the directory or hide, bodies over the
	// bound.
	for _, c := range []struct {
		what, name string
		body       string
	}{
		{"traversal", "../x.map", "k v\n"},
		{"absolute", "/etc/x.map", "k v\n"},
		{"hidden", ".x.map", "k v\n"},
		{"dot dot", "..", "k v\n"},
		{"a blank", "a b.map", "k v\n"},
		{"oversize", "big.map", strings.Repeat("k v\n", 2000)},
	} {
		for _, multi := range []bool{false, true} {
			req := apitest.Request{Method: "POST", Path: "/services/haproxy/storage/maps", Body: c.body,
				Header: http.Header{"Content-Disposition": {mime.FormatMediaType("attachment", map[string]string{"filename": c.name})}}}
			if multi {
				req.Body, req.ContentType = multipartFile(t, c.name, c.body)
				req.Header = nil
			}
			r := e.Do(req)
			t.Logf("storage %s (multipart %v): %d %s", c.what, multi, r.Status, bytes.TrimSpace(r.Body))
			if r.Status < 400 || r.Status > 499 {
				t.Errorf("storage %s (multipart %v): status %d, want 4xx: %s", c.what, multi, r.Status, r.Body)
			}
		}
	}
	for _, p := range []string{"..%2Fhosts.map", ".hosts.map", "%2E%2E"} {
		if r := e.Get("/services/haproxy/storage/maps/" + p); r.Status < 400 || r.Status > 499 {
			t.Errorf("GET storage %s: status %d, want 4xx", p, r.Status)
		}
		if r := e.Do(apitest.Request{Method: "DELETE", Path: "/services/haproxy/storage/maps/" + p}); r.Status < 400 || r.Status > 499 {
			t.Errorf("DELETE storage %s: status %d, want 4xx", p, r.Status)
		}
	}
	if after := state(); after != before {
		t.Fatalf("refused requests changed something:\nbefore %q\nafter  %q", before, after)
	}
	if _, err := os.Stat(filepath.Join(in.Dir, "transactions", "x.map")); err == nil {
		t.Fatal("a traversal name was written outside the maps directory")
	}
}

// TestStorageMaps: upload (multipart and plain), list, download, replace
// and delete map files; a file the configuration uses cannot be deleted,
// and replacing it reloads HAProxy, which then uses the new content.
func TestStorageMaps(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	dir := mapsDir(t, in)
	file := filepath.Join(dir, "hosts.map")
	writeFile(t, file, "a.example be_a\n")
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(hostsConfig, port, file), apitest.Options{})
	base := "/services/haproxy/storage/maps"

	body, ct := multipartFile(t, "extra.map", "x.example be_b\n")
	var m map[string]any
	r := e.Do(apitest.Request{Method: "POST", Path: base, Body: body, ContentType: ct})
	mustStatus(t, r, 201, "multipart upload")
	r.JSON(t, &m)
	if m["storage_name"] != "extra.map" || m["file"] != filepath.Join(dir, "extra.map") || m["size"] != float64(15) {
		t.Fatalf("uploaded: %v", m)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base, Body: "y.example be_a\n",
		Header: http.Header{"Content-Disposition": {`attachment; filename="plain.map"`}}}), 201, "plain upload")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base, Body: body, ContentType: ct}), 409, "the same name again")
	if got := readFile(t, filepath.Join(dir, "plain.map")); got != "y.example be_a\n" {
		t.Fatalf("plain.map holds %q", got)
	}
	var list []map[string]any
	e.Get(base).JSON(t, &list)
	if len(list) != 3 || list[0]["storage_name"] != "extra.map" || list[1]["storage_name"] != "hosts.map" {
		t.Fatalf("list: %v", list)
	}
	if r := e.Get(base + "/extra.map"); r.Status != 200 || string(r.Body) != "x.example be_b\n" {
		t.Fatalf("download: %d %q", r.Status, r.Body)
	}
	mustStatus(t, e.Get(base+"/nope.map"), 404, "a missing file")

	// A file nothing uses: replaced with no reload, deleted.
	reloads, _ := in.Reloads()
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/extra.map", Body: "z.example be_a\n"}), 204, "replace an unused file")
	if got := readFile(t, filepath.Join(dir, "extra.map")); got != "z.example be_a\n" {
		t.Fatalf("extra.map holds %q", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/extra.map"}), 204, "delete an unused file")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/extra.map"}), 404, "delete again")
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/extra.map", Body: "z.example be_a\n"}), 404, "replace a missing file")
	if now, _ := in.Reloads(); now != reloads {
		t.Fatal("a change of unused files reloaded HAProxy")
	}

	// The file the configuration uses: not deleted (409 naming the line);
	// replaced, it takes a reload, after which traffic follows it.
	r = e.Do(apitest.Request{Method: "DELETE", Path: base + "/hosts.map"})
	mustStatus(t, r, 409, "delete a file in use")
	if !strings.Contains(string(r.Body), "use_backend") || !strings.Contains(string(r.Body), "line ") {
		t.Fatalf("the refusal does not name the line: %s", r.Body)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the file in use is gone: %v", err)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/hosts.map?force_reload=true", Body: "a.example be_b\n"}), 204, "replace a file in use")
	if now, _ := in.Reloads(); now != reloads+1 {
		t.Fatalf("reloads: %d then %d, want one more", reloads, now)
	}
	haproxytest.WaitFor(t, 10*time.Second, "a.example follows the new file", func() bool {
		_, body := hostGet(t, port, "a.example", "/")
		return body == "b"
	})
	r = e.Do(apitest.Request{Method: "PUT", Path: base + "/hosts.map", Body: "a.example be_a\n"})
	mustStatus(t, r, 202, "replace with a scheduled reload")
	if r.Header.Get("Reload-ID") == "" {
		t.Fatal("202 without Reload-ID")
	}
	haproxytest.WaitFor(t, 10*time.Second, "a.example follows the file again", func() bool {
		_, body := hostGet(t, port, "a.example", "/")
		return body == "a"
	})
}

// multipartFile is a multipart/form-data body with the file in the part
// file_upload, named as given (not cleaned: the server must refuse what
// is not a plain name).
func multipartFile(t *testing.T, name, content string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file_upload", "filename": name}))
	h.Set("Content-Type", "application/octet-stream")
	p, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = p.Write([]byte(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

type settingsT = settings.Settings

func mkdirWrite(t testing.TB, dir, path, text string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBigMapReadsSeeChanges: reads of a big map come from a snapshot
// (patfile.SnapshotMinEntries), which never hides a change made through
// the API, and shows a change made by hand on the socket within
// patfile.SnapshotMaxAge.
func TestBigMapReadsSeeChanges(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	dir := mapsDir(t, in)
	var text strings.Builder
	for i := range patfile.SnapshotMinEntries + 10 {
		fmt.Fprintf(&text, "host-%d.example be_a\n", i)
	}
	file := filepath.Join(dir, "hosts.map")
	writeFile(t, file, text.String())
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(hostsConfig, port, file), apitest.Options{})
	entries := "/services/haproxy/runtime/maps/hosts.map/entries"
	filtered := func(filter string) []map[string]any {
		var out []map[string]any
		e.Get(entries+"?filter="+filter).JSON(t, &out)
		return out
	}
	// showMaps counts the `show map` commands sent to HAProxy (the
	// reads that did not come from a snapshot).
	showMaps := func() float64 {
		_, fams := scrapeMetrics(t, e, true)
		return metricValue(fams, "dataplane_runtime_commands_total", map[string]string{"command": "show map", "outcome": "ok"})
	}
	if got := filtered("host-77.example"); len(got) != 1 || got[0]["value"] != "be_a" {
		t.Fatalf("filtered: %v", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: entries, Body: map[string]any{"key": "new.example", "value": "be_b"}}), 201, "add")
	if got := filtered("new.example"); len(got) != 1 || got[0]["id"] == "" {
		t.Fatalf("the added entry is not listed with its id: %v", got)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: entries + "/host-77.example", Body: map[string]any{"value": "be_b"}}), 200, "set")
	if got := filtered("host-77.example"); len(got) != 1 || got[0]["value"] != "be_b" {
		t.Fatalf("the set value is not listed: %v", got)
	}
	// Changes through the API are recorded on the snapshot: reads right
	// after them that do not list an added entry do not read the entries
	// from HAProxy again. The snapshot's age is made long enough that a
	// busy machine cannot age it out in the middle of the count.
	e.App.Patterns.SetSnapshotMaxAge(time.Hour)
	// A read that lists an added entry takes a new snapshot.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: entries, Body: map[string]any{"key": "fresh.example", "value": "be_b"}}), 201, "add")
	if got := filtered("fresh.example"); len(got) != 1 || got[0]["id"] == "" {
		t.Fatalf("the added entry is not listed with its id: %v", got)
	}
	before := showMaps()
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: entries, Body: map[string]any{"key": "other-0.example", "value": "be_b"}}), 201, "add")
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: entries + "/host-90.example", Body: map[string]any{"value": "be_c"}}), 200, "set")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: entries + "/host-91.example"}), 204, "delete")
	got90, got91 := filtered("host-90.example"), filtered("host-91.example")
	if len(got90) != 1 || got90[0]["value"] != "be_c" || len(got91) != 0 {
		t.Fatalf("after set and delete: %v %v", got90, got91)
	}
	// Each of the five requests lists the files once (`show map` with no
	// file) to find its target; a read of the entries from HAProxy would
	// be one more.
	if after := showMaps(); after-before != 5 {
		t.Fatalf("five requests after API changes sent %v show map commands, want 5 (the file lists only)", after-before)
	}
	if got := filtered("other-0.example"); len(got) != 1 || got[0]["id"] == "" {
		t.Fatalf("an added entry is not listed with its id: %v", got)
	}
	// By hand on the socket: same count, so only the snapshot's age
	// bounds how long it goes unseen (made short again here).
	e.App.Patterns.SetSnapshotMaxAge(200 * time.Millisecond)
	if out := in.Stats("set map " + file + " host-78.example be_b"); strings.TrimSpace(out) != "" {
		t.Fatalf("set map by hand: %q", out)
	}
	haproxytest.WaitFor(t, 30*time.Second, "the change by hand is listed", func() bool {
		got := filtered("host-78.example")
		return len(got) == 1 && got[0]["value"] == "be_b"
	})
}

// TestMapChangesDuringReloads: entries added while reloads run are all in
// the HAProxy that runs after them, and in the file: a reload waits for
// the changes in flight and holds the next ones until it is over.
func TestMapChangesDuringReloads(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	file := filepath.Join(mapsDir(t, in), "hosts.map")
	writeFile(t, file, "a.example be_a\n")
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(hostsConfig, port, file), apitest.Options{})
	entries := "/services/haproxy/runtime/maps/hosts.map/entries"

	// Two clients add entries without pause for as long as the reloads
	// run; each keeps the keys it was answered 201 for.
	stop := make(chan struct{})
	type result struct{ added, failed []string }
	results := make(chan result)
	for w := range 2 {
		go func() {
			var res result
			for i := 0; ; i++ {
				select {
				case <-stop:
					results <- res
					return
				default:
				}
				key := fmt.Sprintf("w%d-%d.example", w, i)
				r := e.Do(apitest.Request{Method: "POST", Path: entries, Body: map[string]any{"key": key, "value": "be_b"}})
				if r.Status == 201 {
					res.added = append(res.added, key)
				} else {
					res.failed = append(res.failed, fmt.Sprintf("%s: %d %s", key, r.Status, r.Body))
				}
			}
		}()
	}
	for i := range 3 {
		reloadByAPI(t, e, in, fmt.Sprintf("be_r%d", i))
	}
	close(stop)
	var added []string
	for range 2 {
		res := <-results
		if len(res.failed) != 0 {
			t.Errorf("adds refused: %v", res.failed)
		}
		added = append(added, res.added...)
	}
	if len(added) < 20 {
		t.Fatalf("only %d adds during the reloads", len(added))
	}
	haproxytest.WaitFor(t, 10*time.Second, "the last worker alone serves", func() bool {
		return strings.Count(in.Master("show proc"), "worker") <= 2 // the header line and one worker
	})
	shown := in.Stats("show map " + file)
	text := readFile(t, file)
	lost := 0
	for _, key := range added {
		if !strings.Contains(shown, " "+key+" be_b\n") {
			lost++
			t.Errorf("%s is not in the HAProxy that runs after the reloads", key)
		}
		if !strings.Contains(text, "\n"+key+" be_b\n") {
			t.Errorf("%s is not in the file", key)
		}
	}
	t.Logf("%d entries added during 3 reloads, %d lost", len(added), lost)
}
