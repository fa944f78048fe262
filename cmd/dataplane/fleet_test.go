package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/haproxytest"
)

// TestFleet runs three HAProxy + dataplane nodes on one 3-member etcd
// cluster, all on loopback, and goes through what fleet mode promises:
// a transaction committed on one node is served by all; two writers with
// one version, one wins; a node cut off from etcd refuses writes, keeps
// serving, and catches up without serving a half-applied state; a
// version one node's HAProxy rejects leaves that node on its last good
// one while the others apply it; losing one etcd member changes nothing,
// losing quorum refuses writes and keeps reads and traffic, and healing
// brings writes back.
func TestFleet(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 3)
	proxies := etcdtest.ProxyAll(t, etcd)
	old := haproxytest.StartBackend(t, "old", nil)
	newer := haproxytest.StartBackend(t, "new", nil)
	third := haproxytest.StartBackend(t, "third", nil)
	cfg := fleetConfig(old.Addr(), "")
	// The port node n2's HAProxy finds taken (see "rejected on one node").
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := held.Addr().(*net.TCPAddr).Port

	f := &testFleet{etcd: etcd, proxies: proxies}
	for i := range 3 {
		endpoints := etcd.Endpoints()
		extra := haproxytest.FreePort(t)
		if i == 2 {
			// n2 reaches etcd through proxies the test can cut.
			endpoints = etcdtest.URLs(proxies)
		}
		if i == 1 {
			extra = heldPort
		}
		f.nodes = append(f.nodes, startFleetNode(t, fmt.Sprintf("n%d", i), cfg, endpoints,
			map[string]string{"EXTRA_PORT": fmt.Sprint(extra)}))
	}
	n0, n1, n2 := f.nodes[0], f.nodes[1], f.nodes[2]

	// The first node seeds the store; the others adopt its version.
	seed := f.waitSeeded(t, n0)
	for _, n := range f.nodes {
		if got := n.version(); got != seed {
			t.Fatalf("%s: version %d, want the fleet's %d", n.name, got, seed)
		}
	}

	t.Run("a transaction committed on one node is served by all", func(t *testing.T) {
		v := n0.version()
		switchToNewBackend(t, n0, v, "be_new", newer.Port)
		took := f.waitApplied(t, n0, v+1, 60*time.Second)
		t.Logf("commit acknowledged on n0 -> all 3 nodes applied version %d: %s", v+1, took)
		for _, n := range f.nodes {
			code, body, err := n.serve()
			if err != nil || code != 200 || body != "new" {
				t.Errorf("%s serves %d %q (%v), want the new backend", n.name, code, body, err)
			}
			if got := n.version(); got != v+1 {
				t.Errorf("%s: version %d, want %d", n.name, got, v+1)
			}
		}
		// /metrics on one node has every node's report.
		metrics := n0.metrics(t)
		for _, want := range []string{
			fmt.Sprintf("dataplane_fleet_desired_version %d", v+1),
			"dataplane_fleet_store_reachable 1",
			fmt.Sprintf(`dataplane_fleet_node_applied_version{node="n2"} %d`, v+1),
			`dataplane_fleet_node_in_sync{node="n1"} 1`,
			`dataplane_fleet_node_lag_versions{node="n2"} 0`,
			`dataplane_fleet_node_up{node="n0"} 1`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})

	t.Run("two writers with the same version: exactly one wins", func(t *testing.T) {
		v := n0.version()
		if got := n1.version(); got != v {
			t.Fatalf("n1 at version %d, n0 at %d", got, v)
		}
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i, n := range []*fleetNode{n0, n1} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = n.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v),
					fmt.Sprintf(`{"name":"be_writer_%d"}`, i))
			}()
		}
		wg.Wait()
		won, lost := 0, 0
		winner := -1
		for i, c := range codes {
			switch c {
			case 201, 202:
				won++
				winner = i
			case 409:
				lost++
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("answers %v: want one 201/202 and one 409", codes)
		}
		f.waitApplied(t, n0, v+1, 60*time.Second)
		for _, n := range f.nodes {
			_, body, _ := n.api("GET", "/services/haproxy/configuration/backends", "")
			if !strings.Contains(body, fmt.Sprintf(`"be_writer_%d"`, winner)) || strings.Contains(body, fmt.Sprintf(`"be_writer_%d"`, 1-winner)) {
				t.Errorf("%s: backends %s: want be_writer_%d only", n.name, body, winner)
			}
		}
	})

	t.Run("a node cut off from etcd keeps serving and catches up", func(t *testing.T) {
		v := n0.version()
		for _, p := range proxies {
			p.Cut()
		}
		// n2 notices: its writes are refused with 503, its reads work.
		code, body, _ := n2.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v), `{"name":"be_on_n2"}`)
		if code != 503 || !strings.Contains(body, "etcd") {
			t.Fatalf("write on the cut-off node: %d %s, want 503 naming etcd", code, body)
		}
		if code, _, _ := n2.api("GET", "/services/haproxy/configuration/backends", ""); code != 200 {
			t.Fatalf("read on the cut-off node: %d", code)
		}
		// Its view (never asked for before) says etcd is silent and
		// still shows the whole fleet as last read, not n2 alone.
		haproxytest.WaitFor(t, 30*time.Second, "n2's view: etcd unreachable, three nodes", func() bool {
			cv, err := n2.cluster()
			return err == nil && !cv.Store.Reachable && len(cv.Nodes) == 3
		})
		// A change of two parts (a backend, and the frontend sent to
		// it) is made while n2 is cut off.
		switchToNewBackend(t, n0, v, "be_third", third.Port)
		haproxytest.WaitFor(t, 30*time.Second, "n0 and n1 apply it", func() bool {
			v2, err := n0.cluster()
			return err == nil && allApplied(v2, v+1, "n0", "n1")
		})
		if _, body, _ := n2.serve(); body != "new" {
			t.Fatalf("cut-off n2 serves %q, want its last configuration's \"new\"", body)
		}
		if got := n2.version(); got != v {
			t.Fatalf("cut-off n2 at version %d, want %d", got, v)
		}
		// Traffic through n2 while it comes back: every answer is the
		// old configuration's or the new one's, never an error, and
		// once the new one answers the old one never does again.
		stop := make(chan struct{})
		var seen []string
		var mu sync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, body, err := n2.serve()
				mu.Lock()
				if err != nil || code != 200 {
					body = fmt.Sprintf("error %d %v", code, err)
				}
				seen = append(seen, body)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
		restored := time.Now()
		for _, p := range proxies {
			p.Restore()
		}
		took := f.waitApplied(t, n0, v+1, 30*time.Second)
		t.Logf("n2 caught up %s after its access to etcd came back", time.Since(restored).Round(time.Millisecond))
		_ = took
		haproxytest.WaitFor(t, 10*time.Second, "n2 serves the new configuration", func() bool {
			_, body, _ := n2.serve()
			return body == "third"
		})
		close(stop)
		<-done
		newSeen := false
		for i, b := range seen {
			switch {
			case b == "third":
				newSeen = true
			case b == "new" && !newSeen:
			default:
				t.Fatalf("answer %d of %d through n2 while it caught up: %q (answers: %v)", i, len(seen), b, seen)
			}
		}
		t.Logf("%d answers through n2 while it caught up, all old-then-new", len(seen))
	})

	t.Run("a version one node's HAProxy rejects leaves it on its last good one", func(t *testing.T) {
		v := n0.version()
		code, raw, _ := n0.api("GET", "/services/haproxy/configuration/raw", "")
		if code != 200 {
			t.Fatalf("raw: %d %s", code, raw)
		}
		var rawText string
		if err := json.Unmarshal([]byte(raw), &rawText); err != nil {
			rawText = raw
		}
		// A second bind on ${EXTRA_PORT}: n1's is the port the test
		// holds, so only n1's HAProxy cannot start the new worker.
		next := strings.Replace(rawText, "    bind \"127.0.0.1:${FE_PORT}\"\n", "    bind \"127.0.0.1:${FE_PORT}\"\n    bind \"127.0.0.1:${EXTRA_PORT}\"\n", 1)
		if next == rawText {
			t.Fatalf("no bind line to extend in:\n%s", rawText)
		}
		mustAPI(t, n0, "POST", fmt.Sprintf("/services/haproxy/configuration/raw?version=%d", v), next, 200, 201, 202)
		haproxytest.WaitFor(t, 60*time.Second, "n0 and n2 apply it, n1 reports the failure", func() bool {
			view, err := n0.cluster()
			if err != nil || !allApplied(view, v+1, "n0", "n2") {
				return false
			}
			for _, s := range view.Nodes {
				if s.Node == "n1" {
					// HAProxy's own words, from its master's log.
					return s.State == "failed" && s.FailedVersion == v+1 && s.AppliedVersion == v &&
						strings.Contains(s.Message, fmt.Sprintf("127.0.0.1:%d", heldPort))
				}
			}
			return false
		})
		view, _ := n0.cluster()
		for _, s := range view.Nodes {
			if s.Node == "n1" {
				msg := s.Message
				if i := strings.Index(msg, fmt.Sprintf("127.0.0.1:%d", heldPort)); i >= 0 {
					msg = "..." + msg[max(0, i-120):min(len(msg), i+60)] + "..."
				}
				t.Logf("n1 reports: %s version %d: %s", s.State, s.FailedVersion, msg)
				if s.Lag != 1 {
					t.Errorf("n1 lag %d, want 1", s.Lag)
				}
			}
		}
		if code, body, err := n1.serve(); code != 200 || body != "third" {
			t.Errorf("n1 serves %d %q (%v), want its last good configuration", code, body, err)
		}
		if got := n1.version(); got != v {
			t.Errorf("n1 at version %d, want its last good %d", got, v)
		}
		// A write on n1 could only be made on its last good version: it
		// is refused, saying why, rather than sent round as stale.
		code, body, _ := n1.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v), `{"name":"be_on_failed"}`)
		if code != 503 || !strings.Contains(body, fmt.Sprintf("could not apply the fleet's version %d", v+1)) {
			t.Fatalf("a write on the failed node: %d %s, want 503 naming version %d", code, body, v+1)
		}
		// The port is freed: n1 tries the version again (retry_failed)
		// and runs it.
		held.Close()
		f.waitApplied(t, n0, v+1, 60*time.Second)
		if code, body, err := n1.serve(); code != 200 || body != "third" {
			t.Errorf("n1 serves %d %q (%v) after the retry", code, body, err)
		}
		// The next version, without that bind, is applied everywhere.
		mustAPI(t, n0, "POST", fmt.Sprintf("/services/haproxy/configuration/raw?version=%d", v+1), rawText, 200, 201, 202)
		f.waitApplied(t, n0, v+2, 60*time.Second)
	})

	t.Run("a runtime server change on one node is applied on all and survives reloads", func(t *testing.T) {
		const srv = "/services/haproxy/runtime/backends/be_third/servers/s1"
		state := func(n *fleetNode) (string, int64) {
			_, body, _ := n.api("GET", srv, "")
			var s struct {
				AdminState string `json:"admin_state"`
				Weight     int64  `json:"weight"`
			}
			_ = json.Unmarshal([]byte(body), &s)
			return s.AdminState, s.Weight
		}
		v := n0.version()
		mustAPI(t, n1, "PUT", srv, `{"admin_state":"maint"}`, 200)
		mustAPI(t, n2, "PUT", srv, `{"weight":7}`, 200)
		for _, n := range f.nodes {
			haproxytest.WaitFor(t, 20*time.Second, n.name+" runs s1 in maint with weight 7", func() bool {
				st, w := state(n)
				return st == "maint" && w == 7
			})
		}
		if got := n0.version(); got != v {
			t.Fatalf("a runtime change moved the configuration version to %d", got)
		}
		// A reload on every node (a change that needs one) starts HAProxy
		// from the file: the fleet's runtime state is applied again.
		mustAPI(t, n0, "POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v), `{"name":"be_after_runtime"}`, 201, 202)
		f.waitApplied(t, n0, v+1, 60*time.Second)
		for _, n := range f.nodes {
			haproxytest.WaitFor(t, 20*time.Second, n.name+" still runs s1 in maint with weight 7 after its reload", func() bool {
				st, w := state(n)
				return st == "maint" && w == 7
			})
		}
		// Back to ready from another node; the weight stays.
		mustAPI(t, n0, "PUT", srv, `{"admin_state":"ready"}`, 200)
		for _, n := range f.nodes {
			haproxytest.WaitFor(t, 20*time.Second, n.name+" runs s1 ready", func() bool {
				st, w := state(n)
				return st == "ready" && w == 7
			})
			if code, body, err := n.serve(); code != 200 || body != "third" {
				t.Errorf("%s serves %d %q (%v) with s1 ready", n.name, code, body, err)
			}
		}
	})

	t.Run("a configuration change has the last word over an earlier runtime change", func(t *testing.T) {
		const rt = "/services/haproxy/runtime/backends/be_third/servers/s1"
		const cf = "/services/haproxy/configuration/backends/be_third/servers/s1"
		type runtimeState struct {
			AdminState string `json:"admin_state"`
			Weight     int64  `json:"weight"`
		}
		state := func(n *fleetNode) runtimeState {
			_, body, _ := n.api("GET", rt, "")
			var s runtimeState
			_ = json.Unmarshal([]byte(body), &s)
			return s
		}
		// The fleet's record of s1, as every node replays it.
		record := func() (map[string]any, bool) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			raw, found, err := etcdtest.Get(ctx, etcd.Endpoints(), "/fleet-test/runtime/servers/be_third/s1")
			if err != nil {
				t.Fatalf("read the runtime record: %v", err)
			}
			var rec struct {
				Value map[string]any `json:"value"`
			}
			if found {
				if err := json.Unmarshal([]byte(raw), &rec); err != nil {
					t.Fatalf("runtime record %q: %v", raw, err)
				}
			}
			return rec.Value, found
		}
		waitAll := func(what string, ok func(runtimeState) bool) {
			t.Helper()
			for _, n := range f.nodes {
				haproxytest.WaitFor(t, 30*time.Second, n.name+": "+what, func() bool { return ok(state(n)) })
			}
		}
		// At runtime: weight 7 (left by the subtest before), maintenance.
		mustAPI(t, n2, "PUT", rt, `{"admin_state":"maint","weight":7}`, 200)
		waitAll("s1 in maint with weight 7", func(s runtimeState) bool { return s.AdminState == "maint" && s.Weight == 7 })

		// The configuration sets s1's weight: it wins over the runtime
		// weight, on every node, and the record keeps only maintenance.
		v := n0.version()
		var conf map[string]any
		if err := json.Unmarshal([]byte(mustAPI(t, n1, "GET", cf, "", 200)), &conf); err != nil {
			t.Fatal(err)
		}
		conf["weight"] = 3
		body, _ := json.Marshal(conf)
		mustAPI(t, n1, "PUT", fmt.Sprintf("%s?version=%d", cf, v), string(body), 200, 202)
		f.waitApplied(t, n0, v+1, 60*time.Second)
		if rec, found := record(); !found || rec["weight"] != nil || rec["admin_state"] != "maint" {
			t.Fatalf("after the configuration set the weight, the runtime record is %v (found %v), want admin_state maint and no weight", rec, found)
		}
		waitAll("s1 with the configuration's weight 3, still in maint", func(s runtimeState) bool { return s.AdminState == "maint" && s.Weight == 3 })

		// A reload everywhere (HAProxy starts from the file, then the
		// record is replayed): the configuration's weight stays.
		mustAPI(t, n0, "POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v+1), `{"name":"be_after_config"}`, 201, 202)
		f.waitApplied(t, n0, v+2, 60*time.Second)
		waitAll("s1 after the reload: maint replayed, weight 3 from the file", func(s runtimeState) bool { return s.AdminState == "maint" && s.Weight == 3 })

		// Removing the server drops its record: re-added, it starts from
		// its configuration (ready), not in the maintenance set before.
		mustAPI(t, n2, "DELETE", fmt.Sprintf("%s?version=%d", cf, v+2), "", 202, 204)
		f.waitApplied(t, n0, v+3, 60*time.Second)
		if rec, found := record(); found {
			t.Fatalf("the removed server's runtime record is still stored: %v", rec)
		}
		mustAPI(t, n0, "POST", fmt.Sprintf("/services/haproxy/configuration/backends/be_third/servers?version=%d", v+3), string(body), 201, 202)
		f.waitApplied(t, n0, v+4, 60*time.Second)
		mustAPI(t, n1, "POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v+4), `{"name":"be_after_readd"}`, 201, 202)
		f.waitApplied(t, n0, v+5, 60*time.Second)
		waitAll("the re-added s1 ready with weight 3", func(s runtimeState) bool { return s.AdminState == "ready" && s.Weight == 3 })
		for _, n := range f.nodes {
			if code, got, err := n.serve(); code != 200 || got != "third" {
				t.Errorf("%s serves %d %q (%v) after s1 came back", n.name, code, got, err)
			}
		}
		// Every record applied was read back as applied.
		v2, err := n0.cluster()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range v2.Nodes {
			if n.RuntimeError != "" {
				t.Errorf("%s reports a runtime error: %s", n.Node, n.RuntimeError)
			}
		}
	})

	t.Run("one etcd member lost changes nothing; quorum lost refuses writes only", func(t *testing.T) {
		etcd.Kill(0)
		// The two left elect a leader (if m0 was it) within their
		// election timeout; then every write must succeed at once.
		haproxytest.WaitFor(t, 30*time.Second, "the two members left have a leader", func() bool {
			return etcd.Healthy(1) && etcd.Healthy(2)
		})
		v := n0.version()
		mustAPI(t, n0, "POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v), `{"name":"be_two_members"}`, 201, 202)
		f.waitApplied(t, n0, v+1, 60*time.Second)

		etcd.Kill(1)
		v++
		code, body, _ := n0.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v), `{"name":"be_no_quorum"}`)
		if code != 503 {
			t.Fatalf("write without quorum: %d %s, want 503", code, body)
		}
		for _, n := range f.nodes {
			if code, _, _ := n.api("GET", "/services/haproxy/configuration/backends", ""); code != 200 {
				t.Errorf("%s: read without quorum: %d", n.name, code)
			}
			if code, body, err := n.serve(); code != 200 || body != "third" {
				t.Errorf("%s serves %d %q (%v) without quorum", n.name, code, body, err)
			}
			if got := n.version(); got != v {
				t.Errorf("%s: version %d after a refused write, want %d", n.name, got, v)
			}
		}
		etcd.Restart(0)
		etcd.Restart(1)
		etcd.WaitHealthy(t, 30*time.Second)
		var last string
		haproxytest.WaitFor(t, 30*time.Second, "a write succeeds again", func() bool {
			cur := n0.version()
			code, body, _ := n0.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", cur), `{"name":"be_healed"}`)
			last = fmt.Sprintf("%d %s", code, body)
			return code == 201 || code == 202
		})
		_ = last
		f.waitApplied(t, n0, n0.version(), 60*time.Second)
	})
}

// switchToNewBackend commits on n, in one transaction made on version
// v, a new backend with one server on port and the frontend sent to it.
func switchToNewBackend(t testing.TB, n *fleetNode, v int64, backend string, port int) {
	t.Helper()
	id := openTransaction(t, n, v)
	mustAPI(t, n, "POST", "/services/haproxy/configuration/backends?transaction_id="+id, fmt.Sprintf(`{"name":%q}`, backend), 201, 202)
	mustAPI(t, n, "POST", "/services/haproxy/configuration/backends/"+backend+"/servers?transaction_id="+id,
		fmt.Sprintf(`{"name":"s1","address":"127.0.0.1","port":%d}`, port), 201, 202)
	switchDefault(t, n, id, backend)
	mustAPI(t, n, "PUT", "/services/haproxy/transactions/"+id, "", 200, 202)
}

// openTransaction starts a transaction on n at version v.
func openTransaction(t testing.TB, n *fleetNode, v int64) string {
	t.Helper()
	body := mustAPI(t, n, "POST", fmt.Sprintf("/services/haproxy/transactions?version=%d", v), "", 201)
	var tx struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &tx); err != nil || tx.ID == "" {
		t.Fatalf("transaction: %s", body)
	}
	return tx.ID
}

// switchDefault points frontend fe at backend in transaction id.
func switchDefault(t testing.TB, n *fleetNode, id, backend string) {
	t.Helper()
	body := mustAPI(t, n, "GET", "/services/haproxy/configuration/frontends/fe?transaction_id="+id, "", 200)
	var fe map[string]any
	if err := json.Unmarshal([]byte(body), &fe); err != nil {
		t.Fatal(err)
	}
	fe["default_backend"] = backend
	b, _ := json.Marshal(fe)
	mustAPI(t, n, "PUT", "/services/haproxy/configuration/frontends/fe?transaction_id="+id, string(b), 200, 202)
}

// mustAPI sends a request and fails the test unless the status is one of
// want; it returns the body.
func mustAPI(t testing.TB, n *fleetNode, method, path, body string, want ...int) string {
	t.Helper()
	code, got, _ := n.api(method, path, body)
	for _, w := range want {
		if code == w {
			return got
		}
	}
	t.Fatalf("%s %s on %s: %d %s, want %v", method, path, n.name, code, got, want)
	return ""
}
