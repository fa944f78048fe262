package api_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestACLsOnHAProxy changes the ACL a rule of the file uses, through every
// ACL operation, and checks each change in HAProxy's answers: requests the
// ACL matches are denied (403), the others served (200).
func TestACLsOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    acl blocked path_beg /nothing-matches
    http-request deny if blocked
    http-request return status 200 content-type text/plain string "ok\n"
`, port), apitest.Options{})
	acls := "/services/haproxy/configuration/frontends/fe/acls"
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	// expect waits until HAProxy answers each path with its status (a
	// reload that just succeeded may still be handing over listeners).
	expect := func(want map[string]int) {
		t.Helper()
		haproxytest.WaitFor(t, 10*time.Second, fmt.Sprintf("HAProxy answers %v", want), func() bool {
			for path, status := range want {
				code, _, err := haproxytest.HTTPGet(t.Context(), url+path)
				if err != nil || code != status {
					return false
				}
			}
			return true
		})
	}
	expect(map[string]int{"/admin": 200, "/": 200})

	// A second `blocked` line is an OR: /admin is now denied.
	r := e.Do(apitest.Request{Method: "POST", Path: acls + "/1" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"acl_name": "blocked", "criterion": "path_beg", "value": "/admin"}})
	mustStatus(t, r, 201, "insert at index 1")
	expect(map[string]int{"/admin": 403, "/admin/users": 403, "/": 200})
	var list []map[string]string
	e.Get(acls).JSON(t, &list)
	if len(list) != 2 || list[1]["value"] != "/admin" {
		t.Fatalf("list after insert: %v", list)
	}
	if !strings.Contains(string(e.ReadConfig()), "    acl blocked path_beg /nothing-matches\n    acl blocked path_beg /admin\n    http-request deny if blocked\n") {
		t.Fatalf("the file does not hold the new line after the first one:\n%s", e.ReadConfig())
	}

	// Insert at 0 moves the others down.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: acls + "/0" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"acl_name": "blocked", "criterion": "path", "value": "/secret"}}), 201, "insert at index 0")
	e.Get(acls).JSON(t, &list)
	if len(list) != 3 || list[0]["value"] != "/secret" || list[2]["value"] != "/admin" {
		t.Fatalf("list after insert at 0: %v", list)
	}
	expect(map[string]int{"/secret": 403, "/admin": 403, "/": 200})

	// Replace one: /admin is served again, /private denied.
	r = e.Do(apitest.Request{Method: "PUT", Path: acls + "/2" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"acl_name": "blocked", "criterion": "path_beg", "value": "/private"}})
	mustStatus(t, r, 200, "replace index 2")
	expect(map[string]int{"/admin": 200, "/private": 403, "/secret": 403})

	// Replace all.
	r = e.Do(apitest.Request{Method: "PUT", Path: acls + vq(t, e) + "&force_reload=true", Body: []map[string]string{
		{"acl_name": "blocked", "criterion": "path_beg", "value": "/x"},
		{"acl_name": "blocked", "criterion": "path_beg", "value": "/y"},
	}})
	mustStatus(t, r, 200, "replace all")
	r.JSON(t, &list)
	if len(list) != 2 || list[0]["value"] != "/x" || list[1]["value"] != "/y" {
		t.Fatalf("replace-all answer: %s", r.Body)
	}
	expect(map[string]int{"/x": 403, "/y": 403, "/private": 200, "/secret": 200, "/": 200})

	// Delete one.
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: acls + "/1" + vq(t, e) + "&force_reload=true"}), 204, "delete index 1")
	expect(map[string]int{"/x": 403, "/y": 200})

	// Out of range and missing parents.
	mustStatus(t, e.Get(acls+"/1"), 404, "get out of range")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: acls + "/5" + vq(t, e)}), 404, "delete out of range")
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: acls + "/5" + vq(t, e),
		Body: map[string]any{"acl_name": "a", "criterion": "src"}}), 404, "replace out of range")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: acls + "/2" + vq(t, e),
		Body: map[string]any{"acl_name": "a", "criterion": "src"}}), 404, "insert past the end")
	mustStatus(t, e.Get("/services/haproxy/configuration/frontends/nope/acls"), 404, "list of a missing frontend")
	mustStatus(t, e.Get("/services/haproxy/configuration/backends/nope/acls/0"), 404, "item of a missing backend")

	// full_section shows them.
	var fe map[string]any
	e.Get("/services/haproxy/configuration/frontends/fe?full_section=true").JSON(t, &fe)
	if l, ok := fe["acl_list"].([]any); !ok || len(l) != 1 {
		t.Fatalf("full_section frontend: %v", fe)
	}

	// Bad input changes nothing.
	before := e.ReadConfig()
	for _, c := range []struct {
		what   string
		body   map[string]any
		status int
		msg    string
	}{
		{"newline in the value", map[string]any{"acl_name": "blocked", "criterion": "path", "value": "/a\n    http-request deny"}, 422, ""},
		{"# in the value", map[string]any{"acl_name": "blocked", "criterion": "path", "value": "/a #b"}, 400, "comment"},
		{"a name with a space", map[string]any{"acl_name": "bad name", "criterion": "path", "value": "/a"}, 422, ""},
		{"a criterion HAProxy does not know", map[string]any{"acl_name": "blocked", "criterion": "no_such_fetch", "value": "1"}, 400, "no_such_fetch"},
	} {
		r := e.Do(apitest.Request{Method: "POST", Path: acls + "/0" + vq(t, e), Body: c.body})
		if r.Status != c.status || !strings.Contains(string(r.Body), c.msg) {
			t.Errorf("%s: %d %s, want %d with %q", c.what, r.Status, r.Body, c.status, c.msg)
		}
		if !bytes.Equal(e.ReadConfig(), before) {
			t.Fatalf("%s changed the file", c.what)
		}
	}
	expect(map[string]int{"/x": 403, "/y": 200})

	// Inside a transaction: staged, then committed in one reload.
	var tx struct{ ID string }
	e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/transactions" + vq(t, e)}).JSON(t, &tx)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: acls + "/1?transaction_id=" + tx.ID,
		Body: map[string]any{"acl_name": "blocked", "criterion": "path_beg", "value": "/tx"}}), 202, "insert in a transaction")
	e.Get(acls+"?transaction_id="+tx.ID).JSON(t, &list)
	if len(list) != 2 {
		t.Fatalf("staged list: %v", list)
	}
	e.Get(acls).JSON(t, &list)
	if len(list) != 1 {
		t.Fatalf("live list before the commit: %v", list)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")
	expect(map[string]int{"/tx": 403, "/x": 403, "/": 200})

	// The acl_name filter.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: acls + "/0" + vq(t, e),
		Body: map[string]any{"acl_name": "is_local", "criterion": "src", "value": "127.0.0.1"}}), 202, "another name")
	e.Get(acls+"?acl_name=blocked").JSON(t, &list)
	if len(list) != 2 || list[0]["acl_name"] != "blocked" {
		t.Fatalf("filtered list: %v", list)
	}
}
