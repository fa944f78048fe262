package fleet

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/fault"
)

// storedReport reads the report under name, and its revision.
func storedReport(t *testing.T, n *Node, name string) (NodeStatus, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cli, err := n.client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cli.Get(ctx, n.prefix+nodesDir+name)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("no report under %s", name)
	}
	var s NodeStatus
	if err := json.Unmarshal(resp.Kvs[0].Value, &s); err != nil {
		t.Fatal(err)
	}
	return s, resp.Kvs[0].ModRevision
}

// TestDuplicateNameIsRefused: a second node started with a running
// node's name writes nothing (its writes are 503 naming the other one),
// says so in its view, and stays refused; the first keeps reporting.
func TestDuplicateNameIsRefused(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 1, "be_a")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "lb-1", la)
	a.opts.APIAddress = "10.0.0.1:5555"
	b := newTestNode(t, etcd.Endpoints(), "/unit", "lb-1", lb)
	b.opts.APIAddress = "10.0.0.2:5555"
	a.sync(ctx) // seeds
	a.sync(ctx) // reports
	deadline := time.Now().Add(30 * time.Second)
	for b.refusal() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the second node with the name was never refused")
		}
		a.report(ctx) // the first node's heartbeat
		b.sync(ctx)
		time.Sleep(20 * time.Millisecond)
	}
	want := fmt.Sprintf("another node (instance %s at 10.0.0.1:5555) reports as node lb-1; give each node its own fleet.node name", a.Instance())
	if err := b.refusal(); fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), want) {
		t.Fatalf("refusal: %v, want unavailable with %q", err, want)
	}
	// Its writes are refused with that message, and nothing is stored.
	if err := lb.commit(t, b, "be_b2"); fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), want) {
		t.Fatalf("write on the refused node: %v, want unavailable with %q", err, want)
	}
	err := b.UpdateRuntime(ctx, "servers", "be_a/s1", func([]byte) ([]byte, error) { return []byte(`{}`), nil })
	if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), want) {
		t.Fatalf("runtime write on the refused node: %v, want unavailable with %q", err, want)
	}
	// The first keeps reporting, the second never writes over it.
	_, before := storedReport(t, a, "lb-1")
	for range 3 {
		b.sync(ctx)
		b.report(ctx)
		a.report(ctx)
	}
	s, after := storedReport(t, a, "lb-1")
	if s.Instance != a.Instance() || s.APIAddress != "10.0.0.1:5555" || after <= before || a.refusal() != nil {
		t.Fatalf("report under lb-1: %+v at revision %d (was %d), first node refused: %v; want the first node's, still written",
			s, after, before, a.refusal())
	}
	if d, err := a.readMeta(ctx); err != nil || d.Version != 1 {
		t.Fatalf("desired configuration %+v (%v), want version 1 still", d, err)
	}
	// Its view says why, and shows the report under its name as the
	// other's; its metrics follow the view.
	v := b.View(ctx)
	if !strings.Contains(v.Refused, want) || len(v.Nodes) != 1 || v.Nodes[0].Instance != a.Instance() {
		t.Fatalf("refused node's view: %+v", v)
	}
	if v := a.View(ctx); v.Refused != "" {
		t.Fatalf("first node's view says refused: %q", v.Refused)
	}
	// It stays refused once the first stops (a refusal that lifted would
	// let two processes take turns).
	time.Sleep(4 * b.opts.Resync)
	b.sync(ctx)
	if b.refusal() == nil {
		t.Fatal("the refusal lifted")
	}
	if s, _ := storedReport(t, a, "lb-1"); s.Instance != a.Instance() {
		t.Fatalf("report under lb-1 by %s after the first stopped, want the first's", s.Instance)
	}
}

// TestRestartedNodeKeepsItsName: the same process whose write's answer
// was lost goes on at once; a new process with the name takes over once
// the previous one's report has not changed for three resync periods.
func TestRestartedNodeKeepsItsName(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la := newFakeLocal(t, 1, "be_a")
	a := newTestNode(t, etcd.Endpoints(), "/unit", "lb-1", la)
	a.sync(ctx)
	a.sync(ctx)
	_, before := storedReport(t, a, "lb-1")
	// As if the answer to its last report was lost: its compare fails,
	// and the report found is its own.
	a.reportMu.Lock()
	a.claim.rev = 0
	a.reportMu.Unlock()
	a.report(ctx)
	if s, rev := storedReport(t, a, "lb-1"); s.Instance != a.Instance() || rev <= before || a.refusal() != nil {
		t.Fatalf("after a lost answer: report by %s at %d (was %d), refused: %v", s.Instance, rev, before, a.refusal())
	}

	// a's process is gone; the next one with its name starts.
	a.Close()
	lc := newFakeLocal(t, 1, "be_a")
	c := newTestNode(t, etcd.Endpoints(), "/unit", "lb-1", lc)
	deadline := time.Now().Add(30 * time.Second)
	waited := false
	for {
		c.sync(ctx)
		if err := c.refusal(); err != nil {
			t.Fatalf("the restarted node was refused: %v", err)
		}
		if s, _ := storedReport(t, c, "lb-1"); s.Instance == c.Instance() {
			break
		}
		// Until it knows the report is its previous process's, not a
		// running node's, it takes no write (it could be an impostor).
		err := c.Writable()
		if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), "instance "+a.Instance()) {
			t.Fatalf("a write while the name is checked: %v, want 503 naming instance %s", err, a.Instance())
		}
		waited = true
		if time.Now().After(deadline) {
			t.Fatal("the restarted node never took over its report")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !waited {
		t.Fatal("the restarted node took the report over at once, without watching the previous one")
	}
	if err := c.Writable(); err != nil {
		t.Fatalf("the restarted node, holding its name, refuses writes: %v", err)
	}
	// It then reports as usual.
	_, before = storedReport(t, c, "lb-1")
	c.report(ctx)
	if s, rev := storedReport(t, c, "lb-1"); s.Instance != c.Instance() || rev <= before || s.State != StateInSync {
		t.Fatalf("restarted node's report %+v at %d (was %d)", s, rev, before)
	}
}

// logBuffer collects a node's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestOwnFileIsKeptAtFirstConvergence: a node started on a file that is
// not the fleet's says so with both versions and sums, and keeps a copy
// of it before adopting the fleet's; started again on the same file, it
// says the copy is there; a node on the fleet's file, or a later version,
// keeps nothing.
func TestOwnFileIsKeptAtFirstConvergence(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	ctx := context.Background()
	la, lb := newFakeLocal(t, 1, "be_a"), newFakeLocal(t, 7, "be_b")
	own := lb.live.Render()
	ownSum, _ := lb.State()
	a := newTestNode(t, etcd.Endpoints(), "/unit", "a", la)
	a.sync(ctx)
	fleetSum, _ := la.State()

	withLog := func(n *Node) *logBuffer {
		var l logBuffer
		n.log = slog.New(slog.NewTextHandler(&l, nil))
		return &l
	}
	b := newTestNode(t, etcd.Endpoints(), "/unit", "b", lb)
	blog := withLog(b)
	b.sync(ctx)
	if got := lb.adoptions(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("b adopted %v, want [1]", got)
	}
	if len(lb.kept) != 1 || !bytes.Equal(lb.kept[ownSum.LiveSum], own) {
		t.Fatalf("kept %d copies, want one of b's own file", len(lb.kept))
	}
	for _, want := range []string{
		"is not the fleet's and is replaced by it; a copy of it is kept",
		"local_version=7", "local_sha256=" + hex.EncodeToString(ownSum.LiveSum[:]),
		"fleet_version=1", "fleet_sha256=" + hex.EncodeToString(fleetSum.LiveSum[:]),
		"copy=kept/v7",
	} {
		if !strings.Contains(blog.String(), want) {
			t.Fatalf("b's log lacks %q:\n%s", want, blog)
		}
	}

	// b starts again on its own file (a copy of which is there); under
	// another name, so that it need not wait to take over b's report.
	lb2 := newFakeLocal(t, 7, "be_b")
	lb2.kept = lb.kept
	b2 := newTestNode(t, etcd.Endpoints(), "/unit", "b2", lb2)
	b2log := withLog(b2)
	b2.sync(ctx)
	if !strings.Contains(b2log.String(), "a copy of it was kept already") || !strings.Contains(b2log.String(), "copy=kept/v7") || len(lb2.kept) != 1 {
		t.Fatalf("b2 kept %d copies, log:\n%s", len(lb2.kept), b2log)
	}

	// A node on the fleet's file, and a later version on b: no copy.
	lc := newFakeLocal(t, 1, "be_a")
	c := newTestNode(t, etcd.Endpoints(), "/unit", "c", lc)
	clog := withLog(c)
	c.sync(ctx)
	if err := la.commit(t, a, "be_2"); err != nil {
		t.Fatal(err)
	}
	b.sync(ctx)
	if got := lb.adoptions(); len(got) != 2 || got[1] != 2 {
		t.Fatalf("b adopted %v, want [1 2]", got)
	}
	if len(lc.kept) != 0 || strings.Contains(clog.String(), "not the fleet's") || len(lb.kept) != 1 {
		t.Fatalf("copies: c %d, b %d (want 0 and 1); c's log:\n%s", len(lc.kept), len(lb.kept), clog)
	}
}
