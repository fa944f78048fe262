package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// View is the fleet as one node sees it (GET /v3/cluster).
type View struct {
	Mode      string   `json:"mode"` // "fleet"
	Node      string   `json:"node"` // the node answering
	Prefix    string   `json:"prefix"`
	Endpoints []string `json:"endpoints"`
	Store     Store    `json:"store"`
	// Refused says why this node takes no part in the fleet: another
	// running node reports under its name. It neither reports nor
	// takes writes; the report under its name is the other node's.
	Refused string `json:"refused,omitempty"`
	// Desired is the fleet's desired configuration, as last read.
	Desired *DesiredView `json:"desired,omitempty"`
	Nodes   []NodeView   `json:"nodes"`
}

// Store says whether etcd answers this node.
type Store struct {
	Reachable bool      `json:"reachable"`
	Error     string    `json:"error,omitempty"`
	Since     time.Time `json:"since,omitzero"`     // unreachable since
	LastRead  time.Time `json:"last_read,omitzero"` // last good answer
}

// DesiredView describes the desired configuration.
type DesiredView struct {
	Version    int64     `json:"version"`
	SHA256     string    `json:"sha256"`
	Size       int       `json:"size"`
	Node       string    `json:"published_by"`
	Time       time.Time `json:"published_at"`
	SkipReload bool      `json:"skip_reload,omitempty"`
}

// NodeView is one node's report with what follows from it.
type NodeView struct {
	NodeStatus
	// Lag is how many versions behind the desired one it runs (0 in
	// sync); BehindSeconds how long the desired version has waited for
	// it (0 in sync).
	Lag           int64   `json:"lag"`
	BehindSeconds float64 `json:"behind_seconds"`
	// Stale says the node has not reported for three resync periods: it
	// is down or cut off from etcd, and its report is its last.
	Stale bool `json:"stale"`
}

// viewWait is the longest View waits for etcd: a Prometheus scrape or a
// dashboard must not hang on a store that does not answer. The read goes
// on in the background for up to RequestTimeout, and what it finds (the
// reports, or that etcd is silent) is in the next view.
const viewWait = time.Second

// View gives every node's report. It reads them from etcd, waiting at most
// viewWait (or ctx); when etcd does not answer, or this node already knows
// it does not, it gives the last reports read and this node's own state at
// once, and says since when etcd is silent.
func (n *Node) View(ctx context.Context) View {
	done := n.readReports()
	n.mu.Lock()
	silent := n.storeErr != nil
	n.mu.Unlock()
	if !silent {
		t := time.NewTimer(min(n.opts.RequestTimeout, viewWait))
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	return n.view()
}

// readReports reads every node's report and the desired configuration's
// meta in the background, and notes whether etcd answered; the channel is
// closed when it is done. One read at a time: views asked meanwhile share
// it. It is not bound to a caller's context, whose end (a scrape that
// gave up) says nothing of etcd.
func (n *Node) readReports() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.reading != nil {
		return n.reading
	}
	done := make(chan struct{})
	n.reading = done
	go func() {
		defer func() {
			n.mu.Lock()
			n.reading = nil
			n.mu.Unlock()
			close(done)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), n.opts.RequestTimeout)
		defer cancel()
		var resp *clientv3.GetResponse
		cli, err := n.client(ctx)
		if err == nil {
			resp, err = cli.Get(ctx, n.prefix+nodesDir, clientv3.WithPrefix())
		}
		if err == nil {
			var nodes []NodeStatus
			for _, kv := range resp.Kvs {
				var s NodeStatus
				if json.Unmarshal(kv.Value, &s) == nil && s.Node != "" {
					nodes = append(nodes, s)
				}
			}
			n.mu.Lock()
			n.nodes = nodes
			n.mu.Unlock()
			_, err = n.fetch(ctx)
		}
		if !errors.Is(err, errClosed) {
			n.noteStore(err)
		}
	}()
	return done
}

// view is the fleet from the last reports read, with this node's own
// state now.
func (n *Node) view() View {
	self, selfErr := n.status()
	n.mu.Lock()
	defer n.mu.Unlock()
	nodes := slices.Clone(n.nodes)
	if selfErr == nil && n.clash == nil {
		// This node's own state is known without the store.
		nodes = slices.DeleteFunc(nodes, func(s NodeStatus) bool { return s.Node == n.opts.Name })
		nodes = append(nodes, self)
	}
	slices.SortFunc(nodes, func(a, b NodeStatus) int { return strings.Compare(a.Node, b.Node) })
	v := View{
		Mode: "fleet", Node: n.opts.Name, Prefix: n.prefix, Endpoints: n.opts.Endpoints,
		Store: Store{Reachable: n.storeErr == nil, LastRead: n.synced.UTC()},
	}
	if n.clash != nil {
		v.Refused = n.clash.Error()
	}
	if n.storeErr != nil {
		v.Store.Error, v.Store.Since = describe(n.explainLocked(n.storeErr)), n.storeSince.UTC()
	}
	d := n.desired
	if d != nil {
		v.Desired = &DesiredView{Version: d.Version, SHA256: d.SHA256, Size: d.Size, Node: d.Node, Time: d.Time, SkipReload: d.SkipReload}
	}
	now := time.Now()
	for _, s := range nodes {
		nv := NodeView{NodeStatus: s, Stale: now.Sub(s.Heartbeat) > 3*n.opts.Resync}
		if d != nil && s.State == StateInSync && s.AppliedVersion != d.Version {
			// Its report is older than the desired version: it has
			// not applied it yet, whatever it said then.
			nv.State = StateApplying
		}
		if d != nil && nv.State != StateInSync {
			nv.Lag = max(0, d.Version-s.AppliedVersion)
			nv.BehindSeconds = max(0, now.Sub(d.Time).Seconds())
		}
		v.Nodes = append(v.Nodes, nv)
	}
	return v
}
