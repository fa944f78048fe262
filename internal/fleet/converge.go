package fleet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"dataplane/internal/config"
	"dataplane/internal/transaction"
)

// Run follows the store until ctx ends: it seeds an empty prefix with
// this node's configuration, applies each new desired configuration, and
// reports this node's state. A change is noticed by the watch at once;
// every Resync the node reads the store anyway, which is how it catches
// up after being cut off (a watch may not tell).
func (n *Node) Run(ctx context.Context) {
	go n.watch(ctx, configDir)
	go n.watch(ctx, runtimeDir)
	go n.heartbeat(ctx)
	t := time.NewTicker(n.opts.Resync)
	defer t.Stop()
	for {
		n.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		case <-t.C:
		}
	}
}

// heartbeat reports every Resync on its own, so a node busy applying a
// version (a reload of a large file takes seconds) still reports, and is
// not taken for gone; and reads the others' reports.
func (n *Node) heartbeat(ctx context.Context) {
	t := time.NewTicker(n.opts.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.report(ctx)
			// The others' reports too, so that a view asked once etcd
			// is gone still shows the fleet as last seen, not this
			// node alone.
			n.readReports()
		}
	}
}

// watch pokes Run on every change of the desired configuration. It asks
// for a leader, so a member cut off from its quorum ends the watch
// instead of holding it silent; it then watches again after a pause.
func (n *Node) watch(ctx context.Context, dir string) {
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		if cli, err := n.client(wctx); err != nil {
			n.log.Debug("watch not started", "error", err)
		} else {
			for resp := range cli.Watch(wctx, n.prefix+dir, clientv3.WithPrefix()) {
				if err := resp.Err(); err != nil {
					n.log.Debug("watch ended", "error", err)
					break
				}
				if len(resp.Events) > 0 {
					n.poke()
				}
			}
		}
		cancel()
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// sync reads the desired configuration, applies it when this node does
// not run it yet, and reports.
func (n *Node) sync(ctx context.Context) {
	d, err := n.fetch(ctx)
	switch {
	case err != nil:
		n.noteStore(err)
		return
	case d == nil:
		if n.refusal() != nil {
			return // it writes nothing, not even the seed
		}
		if err := n.seed(ctx); err != nil {
			n.log.Warn("seeding the fleet store", "error", err)
		}
		return
	}
	n.noteStore(nil)
	n.converge(ctx, d)
	n.syncRuntime(ctx)
	n.report(ctx)
}

// fetch reads the desired configuration's meta; a stale read (older than
// what this node already stored or read) gives the newer one it knows.
func (n *Node) fetch(ctx context.Context) (*Desired, error) {
	rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	d, err := n.readMeta(rctx)
	if err != nil || d == nil {
		return d, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if d.Revision < n.published && n.desired != nil {
		return n.desired, nil
	}
	n.published = d.Revision
	n.desired = d
	return d, nil
}

// seed stores this node's configuration when the prefix holds none: the
// first node of a fleet brings the configuration the others adopt.
func (n *Node) seed(ctx context.Context) error {
	st, err := n.local.State()
	if err != nil {
		return err
	}
	rec, m, err := encode(st.Live.Render(), st.Live.Version(), n.opts.Name, false)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	stored, rev, _, err := n.casPut(rctx, -1, rec, runtimeReset{})
	if err != nil {
		n.noteStore(err)
		return err
	}
	n.noteStore(nil)
	if stored {
		n.log.Info("seeded the fleet store with this node's configuration", "version", m.Version, "revision", rev)
	}
	n.poke()
	return nil
}

// converge applies d unless this node's file holds it already or this
// node failed to apply it less than RetryFailed ago.
func (n *Node) converge(ctx context.Context, d *Desired) {
	st, err := n.local.State()
	if err != nil {
		n.log.Warn("reading the local state", "error", err)
		return
	}
	n.mu.Lock()
	first := !n.checkedLocal
	n.checkedLocal = true
	failed := n.failed == d.Version && time.Since(n.failedTime) < n.opts.RetryFailed
	retry := n.failed == d.Version && !failed
	n.mu.Unlock()
	if st.LiveSum == d.Sum || failed {
		return
	}
	if retry {
		n.log.Info("trying again the fleet's version this node could not apply", "version", d.Version)
	}
	if first {
		n.keepLocal(st, d)
	}
	err = n.adopt(ctx, d)
	var fetchErr *fetchError
	switch {
	case err == nil:
	case errors.As(err, &fetchErr):
		// Reading it from the store failed: tried again at the next
		// sync, as nothing here refused it.
		n.noteStore(fetchErr.err)
		n.log.Warn("reading the fleet's configuration", "version", d.Version, "error", fetchErr.err)
	default:
		n.mu.Lock()
		n.failed, n.failedMsg, n.failedTime = d.Version, err.Error(), time.Now()
		n.mu.Unlock()
		n.log.Warn("this node cannot apply the fleet's configuration; it keeps its last good one", "version", d.Version, "error", err)
	}
}

// keepLocal tells, at this node's first convergence, that the file it
// started with is not the fleet's and is about to be replaced by it, and
// keeps a copy of it: an operator who started a node on a file of its own
// finds both versions in the log and the file beside haproxy.cfg.
func (n *Node) keepLocal(st transaction.State, d *Desired) {
	path, existed, err := n.local.KeepLocal(st.LiveSum)
	attrs := []any{"local_version", st.Live.Version(), "local_sha256", hex.EncodeToString(st.LiveSum[:]),
		"fleet_version", d.Version, "fleet_sha256", d.SHA256, "published_by", d.Node}
	switch {
	case err != nil:
		n.log.Error("this node's haproxy.cfg is not the fleet's and is replaced by it; no copy of it could be kept", append(attrs, "error", err)...)
	case existed:
		n.log.Warn("this node's haproxy.cfg is not the fleet's and is replaced by it; a copy of it was kept already", append(attrs, "copy", path)...)
	default:
		n.log.Warn("this node's haproxy.cfg is not the fleet's and is replaced by it; a copy of it is kept", append(attrs, "copy", path)...)
	}
}

// fetchError is a failure to read the desired configuration from the
// store, which says nothing of the configuration itself.
type fetchError struct{ err error }

func (e *fetchError) Error() string { return e.err.Error() }

// adopt reads d's configuration and makes it live here.
func (n *Node) adopt(ctx context.Context, d *Desired) error {
	rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	data, err := n.readData(rctx, d)
	cancel()
	if err != nil {
		return &fetchError{err}
	}
	doc, err := config.Parse(data)
	if err != nil {
		return fmt.Errorf("version %d: %w", d.Version, err)
	}
	if doc.Version() != d.Version {
		return fmt.Errorf("version %d: the stored file says version %d", d.Version, doc.Version())
	}
	start := time.Now()
	res, err := n.local.Adopt(ctx, doc, d.SkipReload, func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.desired != nil && n.desired.Revision == d.Revision
	})
	if err != nil {
		return err
	}
	if res.Outcome == transaction.Unchanged {
		return nil // a newer version came meanwhile
	}
	n.log.Info("applied the fleet's configuration", "version", d.Version, "outcome", res.Outcome.String(),
		"took", time.Since(start).Round(time.Millisecond), "published_by", d.Node)
	return nil
}

// States a node reports.
const (
	StateInSync   = "in_sync"  // HAProxy runs the desired configuration
	StateWritten  = "written"  // the file holds it; not applied (skip_reload)
	StateApplying = "applying" // being applied (a reload is due or running)
	StateFailed   = "failed"   // this node could not apply it; it runs its last good one
	StateUnsure   = "unsure"   // HAProxy may run something else (a reload could not be verified)
	StateUnknown  = "unknown"  // no desired configuration read yet
)

// NodeStatus is one node's report, stored under <prefix>/nodes/<name>.
type NodeStatus struct {
	Node       string `json:"node"`
	APIAddress string `json:"api_address,omitempty"`
	// Instance is the process that wrote the report (a new id at every
	// start), which tells two nodes given one name apart.
	Instance string `json:"instance,omitempty"`
	// DesiredVersion is the fleet's version this node last read;
	// AppliedVersion the one HAProxy runs here; FileVersion the one in
	// its haproxy.cfg.
	DesiredVersion int64  `json:"desired_version"`
	AppliedVersion int64  `json:"applied_version"`
	FileVersion    int64  `json:"file_version"`
	State          string `json:"state"`
	// FailedVersion and Message: the last version this node could not
	// apply, and HAProxy's or the check's message.
	FailedVersion int64     `json:"failed_version,omitempty"`
	Message       string    `json:"message,omitempty"`
	FailedAt      time.Time `json:"failed_at,omitzero"`
	// RuntimeError is the last fleet runtime record this node could not
	// apply (a server its configuration lacks), and why.
	RuntimeError string `json:"runtime_error,omitempty"`
	// Changed is when State last changed; Heartbeat when the report was
	// written.
	Changed   time.Time `json:"changed"`
	Heartbeat time.Time `json:"heartbeat"`
}

// status is this node's state now.
func (n *Node) status() (NodeStatus, error) {
	st, err := n.local.State()
	if err != nil {
		return NodeStatus{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	s := NodeStatus{
		Node: n.opts.Name, APIAddress: n.opts.APIAddress, Instance: n.instance,
		FileVersion: st.Live.Version(), Heartbeat: time.Now().UTC(),
	}
	if st.Running != nil {
		s.AppliedVersion = st.Running.Version()
	}
	s.RuntimeError = n.runtimeError()
	if n.failed != 0 {
		s.FailedVersion, s.Message, s.FailedAt = n.failed, n.failedMsg, n.failedTime.UTC()
	}
	d := n.desired
	switch {
	case d == nil:
		s.State = StateUnknown
	case n.failed == d.Version:
		s.State = StateFailed
	case st.LiveSum != d.Sum:
		s.State = StateApplying
	case st.Unsure:
		s.State = StateUnsure
	case st.Running == st.Live && !st.Reloading:
		s.State = StateInSync
	case d.SkipReload && !st.Reloading:
		s.State = StateWritten
	default:
		s.State = StateApplying
	}
	if d != nil {
		s.DesiredVersion = d.Version
	}
	if s.State != n.lastState {
		n.lastState, n.changed = s.State, time.Now().UTC()
	}
	s.Changed = n.changed
	return s, nil
}

// report writes this node's status under the prefix, unless another
// running node reports under its name (claim.go).
func (n *Node) report(ctx context.Context) {
	if n.refusal() != nil {
		return
	}
	s, err := n.status()
	if err != nil {
		n.log.Warn("reading the local state", "error", err)
		return
	}
	b, err := jsonMarshal(s)
	if err != nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	cli, err := n.client(rctx)
	if err == nil {
		_, err = n.putReport(rctx, cli, b)
	}
	if err != nil {
		n.noteStore(err)
	}
}

func sumOf(h string) (sum [32]byte) {
	b, err := hex.DecodeString(h)
	if err == nil && len(b) == len(sum) {
		copy(sum[:], b)
	}
	return sum
}
