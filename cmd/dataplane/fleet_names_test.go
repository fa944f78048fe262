package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/haproxytest"
)

// TestFleetNodeNameTaken: a second node started with a running node's
// name and a file of its own (as a new user copying one node's settings
// to a second host would) takes no part: its writes are 503 naming the
// other node, its view and metrics say so, and the running node goes on
// reporting. It still adopts the fleet's file, and keeps its own, byte
// for byte, beside haproxy.cfg.
func TestFleetNodeNameTaken(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	old := haproxytest.StartBackend(t, "old", nil)
	other := haproxytest.StartBackend(t, "other", nil)
	env := map[string]string{"EXTRA_PORT": "0"}
	first := startFleetNode(t, "lb", fleetConfig(old.Addr(), ""), etcd.Endpoints(), env)
	seed := (&testFleet{etcd: etcd, nodes: []*fleetNode{first}}).waitSeeded(t, first)
	v, err := first.cluster()
	if err != nil || len(v.Nodes) != 1 || v.Nodes[0].Instance == "" {
		t.Fatalf("first node's view %+v (%v), want its report with its instance", v, err)
	}
	instance := v.Nodes[0].Instance

	ownCfg := fleetConfig(other.Addr(), "")
	second := startFleetNode(t, "lb", ownCfg, etcd.Endpoints(), env)
	want := fmt.Sprintf("another node (instance %s at 127.0.0.1:%d) reports as node lb; give each node its own fleet.node name", instance, first.apiPort)
	haproxytest.WaitFor(t, 30*time.Second, "the second node refused", func() bool {
		v, err := second.cluster()
		return err == nil && strings.Contains(v.Refused, want)
	})
	code, body, _ := second.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", seed), `{"name":"be_second"}`)
	if code != 503 || !strings.Contains(body, want) {
		t.Fatalf("write on the refused node: %d %s, want 503 with %q", code, body, want)
	}
	if m := second.metrics(t); !strings.Contains(m, "dataplane_fleet_name_refused 1") {
		t.Fatalf("refused node's metrics lack dataplane_fleet_name_refused 1:\n%s", m)
	}
	if m := first.metrics(t); !strings.Contains(m, "dataplane_fleet_name_refused 0") {
		t.Fatal("first node's metrics lack dataplane_fleet_name_refused 0")
	}
	// The first node takes writes, and its report stays its own and
	// fresh.
	code, body, _ = first.api("POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", seed), `{"name":"be_first"}`)
	if code != 201 && code != 202 {
		t.Fatalf("write on the first node: %d %s", code, body)
	}
	haproxytest.WaitFor(t, 30*time.Second, "the first node in sync on its write, its own report fresh", func() bool {
		v, err := first.cluster()
		return err == nil && allApplied(v, seed+1, "lb") && len(v.Nodes) == 1 && v.Nodes[0].Instance == instance
	})
	if v, err := second.cluster(); err != nil || len(v.Nodes) != 1 || v.Nodes[0].Instance != instance {
		t.Fatalf("refused node's view %+v (%v), want the first node's report under lb", v, err)
	}

	// The refused node still follows the fleet's file; its own was kept.
	haproxytest.WaitFor(t, 30*time.Second, "the refused node on the fleet's version", func() bool {
		return second.version() == seed+1
	})
	kept, _ := filepath.Glob(filepath.Join(second.in.Dir, "haproxy.cfg.local.v*"))
	if len(kept) != 1 {
		t.Fatalf("kept copies %v, want one", kept)
	}
	if b, err := os.ReadFile(kept[0]); err != nil || string(b) != ownCfg {
		t.Fatalf("kept copy %s holds %q (%v), want the node's own file", kept[0], b, err)
	}
	if logs := second.logs.String(); !strings.Contains(logs, "is not the fleet's and is replaced by it; a copy of it is kept") {
		t.Fatalf("refused node's log lacks the warning about its file:\n%s", tail(logs, 4000))
	}
	if kept, _ := filepath.Glob(filepath.Join(first.in.Dir, "haproxy.cfg.local.v*")); len(kept) != 0 {
		t.Fatalf("the seeding node kept %v", kept)
	}
}
