package fleet

import (
	"context"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/haproxytest"
)

// findNode is the view of one node, or nil.
func findNode(v View, name string) *NodeView {
	for i := range v.Nodes {
		if v.Nodes[i].Node == name {
			return &v.Nodes[i]
		}
	}
	return nil
}

// TestViewFromTheLastReportsWhenEtcdIsSilent: a node that knows etcd does
// not answer gives the last reports read without asking etcd, so a scrape
// that gives up early still gets them, and etcd's silence is what the view
// says, not the caller's deadline; once etcd answers again, the view reads
// it on its own (no sync runs here).
func TestViewFromTheLastReportsWhenEtcdIsSilent(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	proxy := etcdtest.StartProxy(t, etcd.ClientAddr(0))
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 1, "be_b")
	a := newTestNode(t, []string{proxy.URL()}, "/unit", "a", la)
	b := newTestNode(t, etcd.Endpoints(), "/unit", "b", lb)
	a.sync(ctx)
	b.sync(ctx)
	b.sync(ctx)
	v := a.View(ctx)
	if !v.Store.Reachable || findNode(v, "b") == nil || findNode(v, "b").AppliedVersion != 1 {
		t.Fatalf("a's view with etcd answering: %+v, want b's report at version 1", v)
	}

	// a is cut off from etcd, and finds out; b writes version 2 meanwhile.
	proxy.Cut()
	a.sync(ctx)
	a.mu.Lock()
	cause, since := a.storeErr, a.storeSince
	a.mu.Unlock()
	if cause == nil {
		t.Fatal("a's sync with etcd cut off: no store error noted")
	}
	if err := lb.commit(t, b, "be_b2"); err != nil {
		t.Fatal(err)
	}
	b.sync(ctx) // b reports version 2

	// A caller whose deadline is over before any request could be made:
	// the view is the last one read, and says etcd is silent since the
	// sync found it, with that cause (a view that asked etcd with this
	// context would report "context canceled" instead).
	done, cancel := context.WithCancel(ctx)
	cancel()
	v = a.View(done)
	if v.Store.Reachable || !v.Store.Since.Equal(since.UTC()) || v.Store.Error != describe(cause) {
		t.Fatalf("a's view cut off: store %+v, want unreachable since %s: %q", v.Store, since.UTC(), describe(cause))
	}
	if nb := findNode(v, "b"); nb == nil || nb.AppliedVersion != 1 || v.Desired == nil || v.Desired.Version != 1 {
		t.Fatalf("a's view cut off: %+v, want b's last report read (version 1) and desired version 1", v)
	}
	if na := findNode(v, "a"); na == nil || na.AppliedVersion != 1 {
		t.Fatalf("a's view cut off: %+v, want a's own state", v)
	}

	// etcd answers a again: views alone bring the store and b's new
	// report back.
	proxy.Restore()
	haproxytest.WaitFor(t, 30*time.Second, "a's view reads etcd again", func() bool {
		v = a.View(ctx)
		nb := findNode(v, "b")
		return v.Store.Reachable && v.Store.Error == "" && v.Desired != nil && v.Desired.Version == 2 &&
			nb != nil && nb.AppliedVersion == 2
	})
}
