// Package fleet keeps several dataplane nodes on one desired HAProxy
// configuration stored in etcd (fleet mode). A node publishes every
// change it commits with a compare-and-swap on the version the change was
// made on, and only a stored change is applied anywhere; every node
// watches the store, applies what it holds through its own validated
// path (transaction.Pipeline.Adopt), and reports what it runs under the
// prefix. Single-node mode does not use this package at all.
package fleet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"dataplane/internal/config"
	"dataplane/internal/transaction"
)

// Options configures a node.
type Options struct {
	Endpoints []string // etcd client URLs
	Prefix    string   // key prefix, e.g. "/dataplane/prod"
	Name      string   // this node's name, unique in the fleet
	// APIAddress is where this node's API answers, shown to the others.
	APIAddress string
	TLS        *tls.Config // nil: plain http to etcd
	Username   string      // etcd user, "" for none
	Password   string
	// RequestTimeout bounds each request to etcd: a write the store does
	// not take within it is refused with 503.
	RequestTimeout time.Duration
	// Resync is how often a node reads the desired version and reports,
	// whatever the watch says (default 2s).
	Resync time.Duration
	// RetryFailed is how long a node waits before it tries again a
	// version it could not apply (default 30s): what it lacked (a port
	// taken, a file missing) may have been fixed.
	RetryFailed time.Duration
	Logger      *slog.Logger
}

// Local is this node's pipeline, as the fleet uses it.
type Local interface {
	State() (transaction.State, error)
	// Adopt makes doc live unless current, asked under the commit
	// lock, says it is no longer the fleet's.
	Adopt(ctx context.Context, doc *config.Document, skipReload bool, current func() bool) (transaction.Result, error)
	// KeepLocal keeps a copy of the live file, whose bytes hash to sum,
	// and says where; existed: an identical copy was there already.
	KeepLocal(sum [32]byte) (path string, existed bool, err error)
}

// Node is this dataplane's membership in a fleet.
type Node struct {
	opts   Options
	prefix string
	log    *slog.Logger
	etcd   *conn // the etcd client, see client
	local  Local
	wake   chan struct{}
	// instance tells this process from another one with the same name
	// (claim.go): a new one at every start.
	instance string

	// reportMu serializes the reports (the heartbeat's and the sync's),
	// so the compare-and-swap on claim.rev sees this instance's last one.
	reportMu sync.Mutex
	claim    claim

	mu sync.Mutex
	// desired is the last desired configuration read (nil: none yet).
	desired *Desired
	// published is the highest revision this node stored or read: a
	// read older than it is stale and ignored, so a node never goes back.
	published int64
	// failed is the last version this node could not apply, and why; it
	// is not tried again until the desired version changes.
	failed     int64
	failedMsg  string
	failedTime time.Time
	// storeErr is why the store last did not answer (nil: it did), since
	// storeSince.
	storeErr   error
	storeSince time.Time
	// tlsRefused is etcd refusing this node's TLS handshake, as the last
	// probe found (tlsprobe.go); nil when it did not, or none was made.
	tlsRefused  *tlsRefusedError
	tlsProbing  bool
	tlsProbedAt time.Time
	// synced is when this node last read the store with success.
	synced time.Time
	// nodes is the last list of reports read (for a view when the store
	// does not answer); reading is closed when the read under way ends
	// (nil: none is).
	nodes   []NodeStatus
	reading chan struct{}
	// changed is when this node's state last changed (reported).
	changed   time.Time
	lastState string
	// clash is another running node reporting under this node's name:
	// this node then takes no part in the fleet (claim.go).
	clash *clashError
	// probing names another instance whose report is under this node's
	// name while this node waits to see whether it still runs ("" when
	// none): writes wait for the answer (claim.go).
	probing string
	// checkedLocal says the first desired configuration read was
	// compared with the file this node started with (keepLocal).
	checkedLocal bool

	// Runtime records (runtime.go): how they are applied here, the
	// revision up to which they were, whether all are due again (after a
	// reload), and the last failure.
	applyRuntime  RuntimeApplier
	resetRuntime  RuntimeReset
	resetKinds    []string
	runtimeRev    int64
	replayRuntime bool
	runtimeErrs   map[string]string // kind/key -> why it failed
}

// New connects to etcd (lazily: a node starts without it, even when etcd
// does not answer or refuses its password) and returns the node; Run makes
// it follow the store.
func New(opts Options, local Local) (*Node, error) {
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("fleet: no etcd endpoints")
	}
	if opts.Name == "" {
		return nil, errors.New("fleet: the node has no name")
	}
	if strings.ContainsAny(opts.Name, "/ \t\r\n") {
		return nil, fmt.Errorf("fleet: node name %q: no slash or space allowed", opts.Name)
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 5 * time.Second
	}
	if opts.Resync <= 0 {
		opts.Resync = 2 * time.Second
	}
	if opts.RetryFailed <= 0 {
		opts.RetryFailed = 30 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	etcd, err := newConn(clientv3.Config{
		Endpoints:   opts.Endpoints,
		DialTimeout: opts.RequestTimeout,
		TLS:         opts.TLS,
		Username:    opts.Username,
		Password:    opts.Password,
		// A node cut off must notice its way back within seconds, not
		// after gRPC's default two-minute backoff.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		})},
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		// The endpoints are used as given (never replaced by the
		// members' own URLs): they may be proxies or a VIP.
		AutoSyncInterval: 0,
		Logger:           zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: connect to etcd %v: %w", opts.Endpoints, err)
	}
	return &Node{
		opts:   opts,
		prefix: strings.TrimRight(opts.Prefix, "/"),
		log:    log.With("fleet_node", opts.Name),
		etcd:   etcd,
		local:  local,
		wake:   make(chan struct{}, 1),

		instance:    newID(),
		runtimeErrs: map[string]string{},
	}, nil
}

// Close disconnects from etcd.
func (n *Node) Close() error { return n.etcd.close() }

// client is the etcd client, or why there is none yet (etcd did not
// answer, or refused this node's username or password).
func (n *Node) client(ctx context.Context) (*clientv3.Client, error) {
	return n.etcd.get(ctx)
}

// Name is this node's name.
func (n *Node) Name() string { return n.opts.Name }

// Instance is this process's id in the fleet (a new one at every start).
func (n *Node) Instance() string { return n.instance }

// Publish stores next, made on base, as the fleet's desired
// configuration (transaction.Publisher). A stale base is a version
// conflict, naming the fleet's version; a store that does not answer
// within RequestTimeout is unavailable, with the cause. The runtime
// records next overrides (see SetRuntimeReset) change in the same etcd
// transaction, so no node ever replays a runtime value over the
// configuration change that replaced it.
func (n *Node) Publish(ctx context.Context, base, next *config.Document, skipReload bool) error {
	if err := n.Writable(); err != nil {
		return err
	}
	rec, m, err := encode(next.Render(), next.Version(), n.opts.Name, skipReload)
	if err != nil {
		return fmt.Errorf("fleet: encode version %d: %w", next.Version(), err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	var stored bool
	var rev int64
	var cur *Desired
	for {
		var reset runtimeReset
		reset, err = n.runtimeResetOps(ctx, base, next)
		if err == nil {
			stored, rev, cur, err = n.casPut(ctx, base.Version(), rec, reset)
		}
		if err == nil && !stored && cur != nil && cur.Version == base.Version() && cur.WriteID != m.WriteID && len(reset.cmps) > 0 {
			// The version held: a runtime record changed between its
			// read and the write. Read them again.
			continue
		}
		if err == nil {
			break
		}
		// The member that had the request may have died with it. Trying
		// again is safe: a write that was stored after all fails the
		// compare, and its write id tells it from another node's.
		if n.landed(m.WriteID, start) {
			n.noteStore(nil)
			return nil
		}
		if ctx.Err() != nil || refused(err) {
			n.noteStore(err)
			serr := storeError(n.opts.Endpoints, n.explain(err))
			if since, silent := n.silentBefore(start); silent {
				return fmt.Errorf("%w (etcd has served none of this node's requests since %s)", serr, since.UTC().Format(time.RFC3339))
			}
			return serr
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	n.noteStore(nil)
	if !stored && cur != nil && cur.WriteID == m.WriteID {
		return nil // an earlier try was stored
	}
	if !stored {
		if cur == nil {
			return fmt.Errorf("fleet: %w", ErrNotSeeded)
		}
		return fmt.Errorf("the fleet's configuration is at version %d (stored by node %s at %s), this change was made on version %d: %w",
			cur.Version, cur.Node, cur.Time.Format(time.RFC3339), base.Version(), transaction.ErrVersionMismatch)
	}
	n.mu.Lock()
	n.published = max(n.published, rev)
	d := &Desired{Meta: m, Revision: rev}
	d.Sum = sumOf(m.SHA256)
	n.desired = d
	n.mu.Unlock()
	n.log.Info("published", "version", m.Version, "revision", rev)
	n.poke()
	return nil
}

// Observe is the pipeline's applied observer: HAProxy was made to run doc
// (err nil), or failed to; reloaded says it was by a reload, after which
// the fleet's runtime state is applied again.
func (n *Node) Observe(doc *config.Document, reloaded bool, err error) {
	n.mu.Lock()
	if reloaded && err == nil {
		n.replayRuntime = true
	}
	if err != nil {
		n.failed, n.failedMsg, n.failedTime = doc.Version(), err.Error(), time.Now()
	} else if doc.Version() >= n.failed {
		// It runs that version now, or a later one: the failure is over.
		n.failed, n.failedMsg = 0, ""
	}
	n.mu.Unlock()
	n.poke()
}

// poke makes Run look again now.
func (n *Node) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// silentBefore says since when the store has served none of this node's
// requests, when that began before t.
func (n *Node) silentBefore(t time.Time) (since time.Time, silent bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.storeSince, n.storeErr != nil && n.storeSince.Before(t)
}

// noteStore records whether the store answered.
func (n *Node) noteStore(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		n.maybeProbeTLS(err)
	}
	switch {
	case err == nil:
		n.tlsRefused = nil
		if n.storeErr != nil {
			n.log.Info("etcd answers again", "after", time.Since(n.storeSince).Round(time.Millisecond))
		}
		n.storeErr = nil
		n.synced = time.Now()
	case n.storeErr == nil:
		n.storeErr, n.storeSince = err, time.Now()
		n.log.Warn("etcd does not answer; serving the last configuration applied", "error", err)
	default:
		n.storeErr = err
	}
}
