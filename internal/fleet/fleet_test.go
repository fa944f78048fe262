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
	// kept holds the copies KeepLocal made, by the sum of their bytes.
	kept map[[32]byte][]byte
}

func newFakeLocal(t *testing.T, version int64, backend string) *fakeLocal {
	t.Helper()
	doc, err := config.Parse(fmt.Appendf(nil, "# _version=%d\nglobal\n    maxconn 100\n\nbackend %s\n", version, backend))
	if err != nil {
		t.Fatal(err)
	}
	return &fakeLocal{live: doc, running: doc}
}

// current is the live document.
func (f *fakeLocal) current() *config.Document {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live
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

func (f *fakeLocal) KeepLocal(sum [32]byte) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.live.Render()
	if sha256.Sum256(b) != sum {
		return "", false, errors.New("the live file changed meanwhile")
	}
	path := fmt.Sprintf("kept/v%d", f.live.Version())
	if _, ok := f.kept[sum]; ok {
		return path, true, nil
	}
	if f.kept == nil {
		f.kept = map[[32]byte][]byte{}
	}
	f.kept[sum] = b
	return path, false, nil
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
	base := f.live
	f.mu.Unlock()
	next, err := config.Parse(fmt.Appendf(nil, "# _version=%d\nglobal\n    maxconn 100\n\nbackend %s\n", base.Version()+1, backend))
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

// A version a node could not apply is not tried again at every sync, but
// after RetryFailed; meanwhile the node refuses writes (they could only be
// made on its last good version, never the fleet's) saying why.
func TestFailedVersionIsRetriedLater(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 1, "be_b")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "a", la)
	b := newTestNode(t, etcd.Endpoints(), "/unit", "b", lb)
	b.opts.RetryFailed = time.Hour // the retry is brought forward below
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
	// Writes on b are refused, saying why and what to do.
	err := b.Writable()
	if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), "could not apply the fleet's version 2") ||
		!strings.Contains(err.Error(), "cannot bind") {
		t.Fatalf("a write on the failed node: %v, want 503 naming version 2 and HAProxy's message", err)
	}
	if err := lb.commit(t, b, "be_on_b"); fault.Of(err) != fault.Unavailable {
		t.Fatalf("publishing from the failed node: %v, want 503", err)
	}
	// What it lacked is fixed; once RetryFailed has passed, it tries
	// version 2 again, and runs it.
	lb.mu.Lock()
	lb.refuse = nil
	lb.mu.Unlock()
	b.mu.Lock()
	b.failedTime = time.Now().Add(-2 * time.Hour)
	b.mu.Unlock()
	b.sync(ctx)
	if got := lb.adoptions(); len(got) != 3 || got[2] != 2 {
		t.Fatalf("b tried %v, want version 2 again", got)
	}
	b.Observe(lb.current(), true, nil) // what the pipeline does on success
	if st, _ := b.status(); st.State != StateInSync || st.AppliedVersion != 2 || st.FailedVersion != 0 || st.Message != "" {
		t.Fatalf("b after the retry: %+v, want in sync on 2 with the failure gone", st)
	}
	if err := b.Writable(); err != nil {
		t.Fatalf("b in sync refuses writes: %v", err)
	}
	// The next version is applied as usual.
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
	// Both apply the merged record (the one that wrote last too: its own
	// change was applied at once, the other's part was not).
	for _, name := range []string{"a", "b"} {
		all := strings.Join(got[name], "\n")
		if !strings.Contains(all, "servers be_a/s1 [0,1]") && !strings.Contains(all, "servers be_a/s1 [1,0]") {
			t.Fatalf("%s applied %v, want the merged record of both writes", name, got[name])
		}
	}
}

// A publication edits the runtime records its change overrides in the same
// etcd transaction; a record that moves between the read and the write is
// read and edited again, so the edit never loses a runtime change.
func TestPublishResetsOverriddenRuntimeRecords(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 1, "be_a")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "a", la)
	b := newTestNode(t, etcd.Endpoints(), "/unit", "b", lb)
	a.sync(ctx)
	set := func(n *Node, key, value string) {
		t.Helper()
		if err := n.UpdateRuntime(ctx, "servers", key, func([]byte) ([]byte, error) { return []byte(value), nil }); err != nil {
			t.Fatal(err)
		}
	}
	set(a, "be_a/s1", `"s1 first"`)
	set(a, "be_a/s2", `"s2"`)
	set(a, "be_a/s3", `"s3"`)
	// A kind the reset does not name is not even read.
	if err := a.UpdateRuntime(ctx, "maps", "hosts.map/x", func([]byte) ([]byte, error) { return []byte(`"m"`), nil }); err != nil {
		t.Fatal(err)
	}

	// The reset drops s2's record, rewrites s1's, keeps s3's. Its first
	// call is raced by b changing s1.
	var calls int
	a.SetRuntimeReset(func(old, next *config.Document, kind, key string, value []byte) ([]byte, bool) {
		if old == nil || next == nil || kind != "servers" {
			t.Errorf("reset called with %v, %v, %q", old, next, kind)
		}
		switch key {
		case "be_a/s1":
			calls++
			if calls == 1 {
				set(b, "be_a/s1", `"s1 raced"`)
			}
			return append([]byte(`"reset of `), value[1:]...), true
		case "be_a/s2":
			return nil, true
		}
		return value, false
	}, "servers")
	if err := la.commit(t, a, "be_a2"); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("s1's record was read %d times, want 2 (again after the race)", calls)
	}
	want := map[string]string{"be_a/s1": `"reset of s1 raced"`, "be_a/s3": `"s3"`}
	for _, key := range []string{"be_a/s1", "be_a/s2", "be_a/s3"} {
		raw, found, err := etcdtest.Get(ctx, etcd.Endpoints(), "/unit/runtime/servers/"+key)
		if err != nil {
			t.Fatal(err)
		}
		w, keep := want[key]
		if found != keep || (found && !strings.Contains(raw, `"value":`+w)) {
			t.Errorf("record %s after the publication: %q (found %v), want value %s (kept %v)", key, raw, found, w, keep)
		}
	}
	// The records changed with the configuration, in one revision.
	cli, err := a.client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := cli.Get(ctx, "/unit"+metaKey)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := cli.Get(ctx, "/unit/runtime/servers/be_a/s1")
	if err != nil {
		t.Fatal(err)
	}
	if meta.Kvs[0].ModRevision != s1.Kvs[0].ModRevision {
		t.Errorf("the configuration was stored at revision %d, s1's edited record at %d", meta.Kvs[0].ModRevision, s1.Kvs[0].ModRevision)
	}
}
