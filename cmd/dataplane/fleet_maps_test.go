package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/haproxytest"
)

// TestFleetMapAndACLEntries: a runtime map entry added, set or deleted on
// one node is applied on every node's HAProxy and in its map file, so
// traffic through each node follows it, before and after a reload; so is
// an ACL entry, deleted by the entry id one node has for it.
func TestFleetMapAndACLEntries(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	old := haproxytest.StartBackend(t, "old", nil)
	newer := haproxytest.StartBackend(t, "new", nil)
	// Each node routes by the Host header through its own copy of
	// hosts.map (an absolute path: a runtime change is written to it).
	cfg := fleetConfig(old.Addr(), fmt.Sprintf(`
frontend fe_hosts
    bind "127.0.0.1:${MAP_PORT}"
    acl blocked hdr(x-client) -f "${MAP_DIR}/blocked.acl"
    http-request deny if blocked
    use_backend %%[req.hdr(host),lower,map("${MAP_DIR}/hosts.map",be_old)]

backend be_new
    server s1 %s
`, newer.Addr()))
	type mapNode struct {
		*fleetNode
		port int
		dir  string
	}
	var nodes []mapNode
	f := &testFleet{etcd: etcd}
	for i := range 2 {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "hosts.map"), []byte("other.test be_old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "blocked.acl"), []byte("worse\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		port := haproxytest.FreePort(t)
		n := startFleetNode(t, fmt.Sprintf("m%d", i), cfg, etcd.Endpoints(),
			map[string]string{"MAP_DIR": dir, "MAP_PORT": fmt.Sprint(port)})
		nodes = append(nodes, mapNode{n, port, dir})
		f.nodes = append(f.nodes, n)
	}
	m0, m1 := nodes[0], nodes[1]
	seed := f.waitSeeded(t, m0.fleetNode)

	serves := func(n mapNode) string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://127.0.0.1:%d/", n.port), nil)
		req.Host = "app.test"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	file := func(n mapNode) string {
		b, _ := os.ReadFile(filepath.Join(n.dir, "hosts.map"))
		return string(b)
	}
	waitBoth := func(what, body, line string) {
		t.Helper()
		for _, n := range nodes {
			haproxytest.WaitFor(t, 30*time.Second, n.name+": "+what, func() bool {
				inFile := strings.Contains(file(n), line)
				if line == "" {
					inFile = !strings.Contains(file(n), "app.test")
				}
				return serves(n) == body && inFile
			})
		}
	}
	const entries = "/services/haproxy/runtime/maps/hosts.map/entries"

	// Added on m0: both route app.test to be_new, and both files say so.
	mustAPI(t, m0.fleetNode, "POST", entries+"?force_sync=true", `{"key":"app.test","value":"be_new"}`, 201)
	waitBoth("app.test routed to be_new", "new", "app.test be_new")

	// A reload everywhere: HAProxy loads the file, which has the entry.
	mustAPI(t, m1.fleetNode, "POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", seed), `{"name":"be_reload"}`, 201, 202)
	f.waitApplied(t, m0.fleetNode, seed+1, 60*time.Second)
	waitBoth("app.test still routed to be_new after the reload", "new", "app.test be_new")

	// Set on m1, then deleted on m0: both follow each time.
	mustAPI(t, m1.fleetNode, "PUT", entries+"/app.test", `{"value":"be_old"}`, 200)
	waitBoth("app.test routed back to be_old", "old", "app.test be_old")
	mustAPI(t, m0.fleetNode, "DELETE", entries+"/app.test", "", 204)
	waitBoth("app.test gone (the map's default)", "old", "")
	for _, n := range nodes {
		haproxytest.WaitFor(t, 30*time.Second, n.name+" holds no app.test entry", func() bool {
			code, _, _ := n.api("GET", entries+"/app.test", "")
			return code == 404
		})
	}

	// Refusals store nothing: adding a key that is there, setting one
	// that is not.
	mustAPI(t, m0.fleetNode, "POST", entries, `{"key":"other.test","value":"be_new"}`, 409)
	mustAPI(t, m0.fleetNode, "PUT", entries+"/nope.test", `{"value":"be_new"}`, 404)
	for _, n := range nodes {
		if !strings.Contains(file(n), "other.test be_old") || strings.Contains(file(n), "nope.test") {
			t.Errorf("%s's map after two refused changes: %q", n.name, file(n))
		}
	}
	// An ACL entry added on m1 denies on both; deleted on m0 by the id
	// m0 has for it (ids differ by node), it is gone on both.
	const acl = "/services/haproxy/runtime/acls/blocked.acl/entries"
	status := func(n mapNode) int {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://127.0.0.1:%d/", n.port), nil)
		req.Header.Set("X-Client", "bad")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	mustAPI(t, m1.fleetNode, "POST", acl, `{"value":"bad"}`, 201)
	for _, n := range nodes {
		haproxytest.WaitFor(t, 30*time.Second, n.name+" denies X-Client: bad", func() bool { return status(n) == 403 })
	}
	var list []struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal([]byte(mustAPI(t, m0.fleetNode, "GET", acl, "", 200)), &list); err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, e := range list {
		if e.Value == "bad" {
			id = e.ID
		}
	}
	if id == "" {
		t.Fatalf("m0 lists no entry bad: %+v", list)
	}
	mustAPI(t, m0.fleetNode, "DELETE", acl+"/"+id, "", 204)
	for _, n := range nodes {
		// The file is rewritten in the background (patfile's sync delay).
		haproxytest.WaitFor(t, 30*time.Second, n.name+" serves X-Client: bad again, and its file lost the entry only", func() bool {
			b, _ := os.ReadFile(filepath.Join(n.dir, "blocked.acl"))
			return status(n) == 200 && !strings.Contains(string(b), "bad") && strings.Contains(string(b), "worse")
		})
	}

	v, err := m0.cluster()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range v.Nodes {
		if n.RuntimeError != "" {
			t.Errorf("%s reports a runtime error: %s", n.Node, n.RuntimeError)
		}
	}
}
