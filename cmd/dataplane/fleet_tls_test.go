package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/haproxytest"
)

// TestFleetTLSAndAuth runs fleet nodes against a real etcd that demands
// what the fleet block's TLS and auth settings give it: on an etcd with
// mutual TLS, nodes with tls_ca/tls_certificate/tls_key write and apply,
// and a node with the CA but no client certificate refuses writes (503,
// naming etcd and saying it refuses the node's TLS), keeps its
// configuration and shows the store unreachable; on an etcd with
// authentication, nodes with the right username/password write and apply,
// and a node with a wrong password starts, and refuses writes saying
// authentication failed.
func TestFleetTLSAndAuth(t *testing.T) {
	srv := haproxytest.StartBackend(t, "old", nil)
	cfg := fleetConfig(srv.Addr(), "")

	t.Run("mutual TLS", func(t *testing.T) {
		certs := etcdtest.MakeCerts(t)
		etcd := etcdtest.StartClusterWith(t, 1, etcdtest.Options{TLS: certs})
		withCert := fmt.Sprintf("  tls_ca = %q\n  tls_certificate = %q\n  tls_key = %q", certs.CA, certs.ClientCert, certs.ClientKey)
		f := &testFleet{etcd: etcd}
		for _, name := range []string{"t1", "t2"} {
			f.nodes = append(f.nodes, startFleetNodeWith(t, name, cfg, etcd.Endpoints(), nil, withCert))
		}
		writeAndApply(t, f, "be_tls")

		// The right CA, so the server verifies, but no certificate of
		// its own: etcd ends the handshake.
		lone := startFleetNodeWith(t, "t3", cfg, etcd.Endpoints(), nil, fmt.Sprintf("  tls_ca = %q", certs.CA))
		refusesWrites(t, lone, "refuses this node's TLS connection")
	})

	t.Run("authentication", func(t *testing.T) {
		etcd := etcdtest.StartCluster(t, 1)
		etcd.EnableAuth(t, etcdtest.Auth{RootPassword: "rootpw", User: "fleet", Password: "fleetpw", Prefix: "/fleet-test"})
		f := &testFleet{etcd: etcd}
		for _, name := range []string{"a1", "a2"} {
			f.nodes = append(f.nodes, startFleetNodeWith(t, name, cfg, etcd.Endpoints(), nil, "  username = \"fleet\"\n  password = \"fleetpw\""))
		}
		writeAndApply(t, f, "be_auth")

		wrong := startFleetNodeWith(t, "a3", cfg, etcd.Endpoints(), nil, "  username = \"fleet\"\n  password = \"wrong\"")
		refusesWrites(t, wrong, "authentication failed")
	})
}

// writeAndApply waits until f's nodes are in sync on the seeded version,
// POSTs backend on the first node, and checks every node applied it.
func writeAndApply(t *testing.T, f *testFleet, backend string) {
	t.Helper()
	first := f.nodes[0]
	var seed int64
	haproxytest.WaitFor(t, 30*time.Second, "every node in sync on the seeded version", func() bool {
		v, err := first.cluster()
		if err != nil || v.Desired == nil {
			return false
		}
		seed = v.Desired.Version
		return v.Store.Reachable && allApplied(v, seed, f.names()...)
	})
	mustAPI(t, first, "POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", seed),
		fmt.Sprintf(`{"name":%q}`, backend), 201, 202)
	f.waitApplied(t, first, seed+1, 30*time.Second)
	for _, n := range f.nodes {
		if got := n.version(); got != seed+1 {
			t.Errorf("%s: version %d, want %d", n.name, got, seed+1)
		}
		if !hasBackend(t, n, backend) {
			t.Errorf("%s: backend %s not in its configuration", n.name, backend)
		}
	}
}

// refusesWrites checks that n, which etcd does not let in, reports the
// store unreachable saying why, refuses a write with 503 naming etcd and
// saying why, and leaves its configuration as it was.
func refusesWrites(t *testing.T, n *fleetNode, why string) {
	t.Helper()
	haproxytest.WaitFor(t, 20*time.Second, n.name+" reports the store unreachable: "+why, func() bool {
		v, err := n.cluster()
		return err == nil && !v.Store.Reachable && strings.Contains(v.Store.Error, why)
	})
	v := n.version()
	code, body, _ := n.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v), `{"name":"be_refused"}`)
	t.Logf("%s: write answered %d %s", n.name, code, body)
	if code != 503 || !strings.Contains(body, "etcd") {
		t.Fatalf("%s: write answered %d %s, want 503 naming etcd", n.name, code, body)
	}
	if !strings.Contains(body, why) {
		t.Errorf("%s: the refusal does not say %q: %s", n.name, why, body)
	}
	if got := n.version(); got != v {
		t.Errorf("%s: version %d after a refused write, want %d", n.name, got, v)
	}
	if hasBackend(t, n, "be_refused") {
		t.Errorf("%s: the refused backend is in its configuration", n.name)
	}
}

// hasBackend says whether n's configuration has a backend named name.
func hasBackend(t *testing.T, n *fleetNode, name string) bool {
	t.Helper()
	body := mustAPI(t, n, "GET", "/services/haproxy/configuration/backends", "", 200)
	var list []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("%s: backends %q: %v", n.name, body, err)
	}
	for _, b := range list {
		if b.Name == name {
			return true
		}
	}
	return false
}
