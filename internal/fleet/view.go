package fleet

import (
	"context"
	"encoding/json"
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

// View reads every node's report. When etcd does not answer, it gives
// the last reports read and this node's own state, and says so.
func (n *Node) View(ctx context.Context) View {
	rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	var nodes []NodeStatus
	var resp *clientv3.GetResponse
	cli, err := n.client(rctx)
	if err == nil {
		resp, err = cli.Get(rctx, n.prefix+nodesDir, clientv3.WithPrefix())
	}
	if err == nil {
		for _, kv := range resp.Kvs {
			var s NodeStatus
			if json.Unmarshal(kv.Value, &s) == nil && s.Node != "" {
				nodes = append(nodes, s)
			}
		}
		n.mu.Lock()
		n.nodes = nodes
		n.mu.Unlock()
		if _, err := n.fetch(ctx); err == nil {
			n.noteStore(nil)
		}
	} else {
		n.noteStore(err)
	}
	self, selfErr := n.status()
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		nodes = slices.Clone(n.nodes)
	}
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
