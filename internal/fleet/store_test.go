package fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/fault"
)

// TestRefusedWriteOnSilentEtcd: a node that knows etcd does not answer
// refuses a write with 503 saying since when, without asking a silent
// store whether the write landed; the write was not stored. A node whose
// store answers still finds a write that landed by its id.
func TestRefusedWriteOnSilentEtcd(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	proxy := etcdtest.StartProxy(t, etcd.ClientAddr(0))
	ctx := context.Background()
	la := newFakeLocal(t, 1, "be_a")
	a := newTestNode(t, []string{proxy.URL()}, "/unit", "a", la)
	a.sync(ctx)
	if err := la.commit(t, a, "be_2"); err != nil {
		t.Fatal(err)
	}

	// A write that landed is recognised by its id, also after its own
	// deadline: the store answers this node.
	d, err := a.readMeta(ctx)
	if err != nil || d == nil || d.Version != 2 {
		t.Fatalf("stored meta %+v (%v), want version 2", d, err)
	}
	if !a.landed(d.WriteID, time.Now()) {
		t.Fatalf("write %s of version 2 not recognised as stored", d.WriteID)
	}
	if a.landed("another-write", time.Now()) {
		t.Fatal("another write id taken for the stored one")
	}

	proxy.Cut()
	a.sync(ctx) // a finds etcd silent
	if _, silent := a.silentBefore(time.Now()); !silent {
		t.Fatal("a's sync with etcd cut off: the store not noted silent")
	}
	a.mu.Lock()
	silentSince := a.storeSince
	a.mu.Unlock()
	err = la.commit(t, a, "be_3")
	want := "since " + silentSince.UTC().Format(time.RFC3339)
	if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), "etcd") || !strings.Contains(err.Error(), want) {
		t.Fatalf("write with etcd silent: %v, want unavailable naming etcd and %q", err, want)
	}
	t.Logf("refused: %v", err)
	if la.live.Version() != 2 {
		t.Fatalf("the local file moved to %d", la.live.Version())
	}
	proxy.Restore()
	got, _, err := etcdtest.Get(ctx, etcd.Endpoints(), "/unit"+versionKey)
	if err != nil || got != "2" {
		t.Fatalf("the fleet's version after the refused write: %q (%v), want 2", got, err)
	}
	// etcd answers again: the next write is taken.
	if err := la.commit(t, a, "be_3"); err != nil {
		t.Fatalf("write once etcd answers again: %v", err)
	}
}
