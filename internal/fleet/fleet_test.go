package fleet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/etcdtest"
	"dataplane/internal/fault"
	"dataplane/internal/haproxytest"
	"dataplane/internal/transaction"
)

// fakeLocal is a node's pipeline without HAProxy: Adopt makes the
// document live and running at once, or fails with refuse when set.
type fakeLocal struct {
	mu      sync.Mutex
	live    *config.Document
	running *config.Document
	adopted []int64
	refuse  error
}

func newFakeLocal(t *testing.T, version int64, backend string) *fakeLocal {
	t.Helper()
	doc, err := config.Parse(fmt.Appendf(nil, "# _version=%d\nglobal\n    maxconn 100\n\nbackend %s\n", version, backend))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeLocal{live: doc, running: doc}
}

func (f *fakeLocal) State() (transaction.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return transaction.State{Live: f.live, LiveSum: sha256.Sum256(f.live.Render()), Running: f.running}, nil
}

func (f *fakeLocal) Adopt(_ context.Context, doc *config.Document, _ bool, current func() bool) (transaction.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !current() {
		return transaction.Result{Outcome: transaction.Unchanged}, nil
	}
	f.adopted = append(f.adopted, doc.Version())
	if f.refuse != nil {
		return transaction.Result{}, f.refuse
	}
	f.live, f.running = doc, doc
	return transaction.Result{Outcome: transaction.Reloaded}, nil
}

func (f *fakeLocal) adoptions() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.adopted...)
}

// commit is what the pipeline does for a write on this node: publish,
// then make it live.
func (f *fakeLocal) commit(t *testing.T, n *Node, backend string) error {
	t.Helper()
	f.mu.Lock()
	base := f.live.Version()
	f.mu.Unlock()
	next, err := config.Parse(fmt.Appendf(nil, "# _version=%d\nglobal\n    maxconn 100\n\nbackend %s\n", base+1, backend))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Publish(context.Background(), base, next, false); err != nil {
		return err
	}
	f.mu.Lock()
	f.live, f.running = next, next
	f.mu.Unlock()
	return nil
}

func newTestNode(t *testing.T, endpoints []string, prefix, name string, local Local) *Node {
	t.Helper()
	n, err := New(Options{Endpoints: endpoints, Prefix: prefix, Name: name, RequestTimeout: 2 * time.Second, Resync: 200 * time.Millisecond}, local)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func TestPublishSeedConvergeAndConflict(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 7, "be_b")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "a", la)
	b := newTestNode(t, etcd.Endpoints(), "/unit", "b", lb)

	// Nothing stored yet: a write cannot be published.
	if err := la.commit(t, a, "be_early"); !errors.Is(err, ErrNotSeeded) || fault.Of(err) != fault.Unavailable {
		t.Fatalf("publish before the seed: %v, want ErrNotSeeded (unavailable)", err)
	}
	// a seeds; b adopts a's file and version.
	a.sync(ctx)
	b.sync(ctx)
	b.sync(ctx)
	if got := lb.adoptions(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("b adopted %v, want [1]", got)
	}
	st, _ := b.status()
	if st.State != StateInSync || st.AppliedVersion != 1 {
		t.Fatalf("b's status %+v, want in_sync at 1", st)
	}

	// Both write on version 1: the second is a conflict naming the
	// first's version and node.
	if err := la.commit(t, a, "be_a2"); err != nil {
		t.Fatalf("a's write: %v", err)
	}
	err := lb.commit(t, b, "be_b2")
	if !errors.Is(err, transaction.ErrVersionMismatch) || !strings.Contains(err.Error(), "version 2") || !strings.Contains(err.Error(), "node a") {
		t.Fatalf("b's stale write: %v, want a version conflict naming version 2 and node a", err)
	}
	b.sync(ctx)
	if got := lb.adoptions(); len(got) != 2 || got[1] != 2 {
		t.Fatalf("b adopted %v, want [1 2]", got)
	}
	// a reads its own write back: nothing to adopt.
	a.sync(ctx)
	if got := la.adoptions(); len(got) != 0 {
		t.Fatalf("a adopted %v, want nothing (it wrote them)", got)
	}
}

func TestFailedVersionIsNotRetried(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 1, "be_b")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "a", la)
	b := newTestNode(t, etcd.Endpoints(), "/unit", "b", lb)
	a.sync(ctx)
	b.sync(ctx)
	lb.mu.Lock()
	lb.refuse = errors.New("cannot bind socket [127.0.0.1:8443]")
	lb.mu.Unlock()
	if err := la.commit(t, a, "be_2"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b.sync(ctx)
	}
	if got := lb.adoptions(); len(got) != 2 || got[1] != 2 {
		t.Fatalf("b tried %v, want version 2 once", got)
	}
	st, _ := b.status()
	if st.State != StateFailed || st.FailedVersion != 2 || st.AppliedVersion != 1 || !strings.Contains(st.Message, "cannot bind") {
		t.Fatalf("b's status %+v, want failed on 2 with the message, running 1", st)
	}
	v := a.View(ctx)
	var seen bool
	for _, nv := range v.Nodes {
		if nv.Node == "b" {
			seen = true
			if nv.Lag != 1 || nv.State != StateFailed {
				t.Errorf("view of b: %+v, want failed with lag 1", nv)
			}
		}
	}
	if !seen || !v.Store.Reachable || v.Desired == nil || v.Desired.Version != 2 {
		t.Fatalf("a's view %+v", v)
	}
	// The next version is tried.
	lb.mu.Lock()
	lb.refuse = nil
	lb.mu.Unlock()
	if err := la.commit(t, a, "be_3"); err != nil {
		t.Fatal(err)
	}
	b.sync(ctx)
	if st, _ := b.status(); st.State != StateInSync || st.AppliedVersion != 3 {
		t.Fatalf("b after version 3: %+v", st)
	}
}

func TestStaleReadNeverGoesBack(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la := newFakeLocal(t, 1, "be_a")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "a", la)
	a.sync(ctx)
	if err := la.commit(t, a, "be_2"); err != nil {
		t.Fatal(err)
	}
	// As if a read from before the write came back after it.
	a.mu.Lock()
	a.published += 1000
	newest := a.desired
	a.mu.Unlock()
	d, err := a.fetch(ctx)
	if err != nil || d != newest {
		t.Fatalf("a stale read gave %+v (%v), want the newer one the node knows", d, err)
	}
}

func TestUnreachableStoreRefusesWrites(t *testing.T) {
	port := haproxytest.FreePort(t) // nothing listens there
	la := newFakeLocal(t, 1, "be_a")
	a := newTestNode(t, []string{fmt.Sprintf("http://127.0.0.1:%d", port)}, "/unit", "a", la)
	err := la.commit(t, a, "be_2")
	if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), "etcd") {
		t.Fatalf("write with etcd unreachable: %v, want unavailable naming etcd", err)
	}
	if la.live.Version() != 1 {
		t.Fatalf("the local file moved to %d", la.live.Version())
	}
	v := a.View(context.Background())
	if v.Store.Reachable || v.Store.Error == "" || len(v.Nodes) != 1 || v.Nodes[0].Node != "a" {
		t.Fatalf("view with etcd unreachable: %+v", v)
	}
}

func TestRuntimeRecordsMergeAndReachOtherNodes(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 1, "be_a")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "a", la)
	b := newTestNode(t, etcd.Endpoints(), "/unit", "b", lb)
	var mu sync.Mutex
	got := map[string][]string{} // node -> values applied
	applier := func(name string) RuntimeApplier {
		return func(_ context.Context, kind, key string, value []byte) error {
			mu.Lock()
			defer mu.Unlock()
			got[name] = append(got[name], kind+" "+key+" "+string(value))
			return nil
		}
	}
	a.SetRuntimeApplier(applier("a"))
	b.SetRuntimeApplier(applier("b"))
	a.sync(ctx)
	b.sync(ctx)
	// Two nodes add a field each to one record at once: both count.
	var wg sync.WaitGroup
	for i, n := range []*Node{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := n.UpdateRuntime(ctx, "servers", "be_a/s1", func(old []byte) ([]byte, error) {
				if len(old) == 0 {
					return fmt.Appendf(nil, "[%d]", i), nil
				}
				return fmt.Appendf(nil, "%s,%d]", old[:len(old)-1], i), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	got = map[string][]string{}
	mu.Unlock()
	a.sync(ctx)
	b.sync(ctx)
	mu.Lock()
	defer mu.Unlock()
	// The node that wrote last applied its own value already; the other
	// applies the merged record.
	all := strings.Join(append(got["a"], got["b"]...), "\n")
	if !strings.Contains(all, "servers be_a/s1 [0,1]") && !strings.Contains(all, "servers be_a/s1 [1,0]") {
		t.Fatalf("applied %v, want the merged record of both writes", got)
	}
}
