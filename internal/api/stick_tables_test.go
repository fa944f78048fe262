package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestStickTablesOnHAProxy: traffic through `http-request track-sc0 src`
// fills a table; the API shows the table and the entry; a set changes its
// data in HAProxy; a clear removes it; bad keys are refused with nothing
// sent.
func TestStickTablesOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode http
    http-request track-sc0 src table st_src
    http-request return status 200 content-type text/plain string ok

backend st_src
    stick-table type ip size 1k expire 10m store gpc0,http_req_rate(10s),conn_cnt
`, port), apitest.Options{})
	base := "/services/haproxy/runtime/stick_tables"
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	haproxytest.WaitFor(t, 10*time.Second, "traffic is tracked", func() bool {
		_, _, _ = haproxytest.HTTPGet(t.Context(), url)
		return strings.Contains(in.Stats("show table st_src"), "key=127.0.0.1")
	})

	var tables []map[string]any
	e.Get(base).JSON(t, &tables)
	var st map[string]any
	for _, tb := range tables {
		if tb["name"] == "st_src" {
			st = tb
		}
	}
	if st == nil || st["type"] != "ip" || st["size"] != float64(1024) || st["used"].(float64) < 1 {
		t.Fatalf("tables: %v", tables)
	}
	if fields := fmt.Sprint(st["fields"]); !strings.Contains(fields, "http_req_rate") || !strings.Contains(fields, "period:10000") {
		t.Fatalf("fields of st_src: %v", st["fields"])
	}
	mustStatus(t, e.Get(base+"/st_src"), 200, "get one table")
	mustStatus(t, e.Get(base+"/nope"), 404, "a table HAProxy does not run")

	var entries []map[string]any
	e.Get(base+"/st_src/entries?key=127.0.0.1").JSON(t, &entries)
	if len(entries) != 1 || entries[0]["key"] != "127.0.0.1" || entries[0]["http_req_rate"].(float64) < 1 {
		t.Fatalf("entries: %v", entries)
	}

	// Set: HAProxy holds the new value.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/st_src/entries",
		Body: map[string]any{"key": "10.9.8.7", "data_type": map[string]any{"gpc0": 42}}}), 204, "set an entry")
	if got := in.Stats("show table st_src key 10.9.8.7"); !strings.Contains(got, "gpc0=42") {
		t.Fatalf("HAProxy does not hold gpc0=42: %q", got)
	}
	e.Get(base+"/st_src/entries?filter="+strings.ReplaceAll("data.gpc0 gt 10", " ", "%20")).JSON(t, &entries)
	if len(entries) != 1 || entries[0]["key"] != "10.9.8.7" || entries[0]["gpc0"] != float64(42) {
		t.Fatalf("filtered entries: %v", entries)
	}
	// A data type the table does not store: 400 with HAProxy's words.
	r := e.Do(apitest.Request{Method: "POST", Path: base + "/st_src/entries",
		Body: map[string]any{"key": "10.9.8.7", "data_type": map[string]any{"gpt0": 1}}})
	mustStatus(t, r, 400, "a data type not stored")
	if !strings.Contains(string(r.Body), "not stored") {
		t.Fatalf("the answer does not say why: %s", r.Body)
	}
	// A key the table type cannot hold: HAProxy says nothing, the read
	// back does.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/st_src/entries",
		Body: map[string]any{"key": "not-an-ip", "data_type": map[string]any{"gpc0": 1}}}), 400, "a key that is not an address")

	// Clear one entry.
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: base + "/st_src/entries?key=10.9.8.7"}), 204, "clear an entry")
	if got := in.Stats("show table st_src key 10.9.8.7"); strings.Contains(got, "key=10.9.8.7") {
		t.Fatalf("the entry is still in HAProxy: %q", got)
	}

	// Injection attempts: refused before anything reaches the socket.
	before := in.Stats("show table st_src")
	for _, key := range []string{"1.2.3.4;clear table st_src", "a b", "1.2.3.4\nclear table st_src"} {
		r := e.Do(apitest.Request{Method: "POST", Path: base + "/st_src/entries",
			Body: map[string]any{"key": key, "data_type": map[string]any{"gpc0": 1}}})
		if r.Status != 400 && r.Status != 422 {
			t.Errorf("key %q: status %d, want 400 or 422: %s", key, r.Status, r.Body)
		}
	}
	if after := in.Stats("show table st_src"); strings.Count(after, "key=") != strings.Count(before, "key=") {
		t.Fatalf("refused keys changed the table:\nbefore %q\nafter  %q", before, after)
	}
}
