package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Runtime state made fleet-wide: a runtime operation on one node is
// stored as a record under <prefix>/runtime/<kind>/<key> (the state it
// leaves, merged with the earlier ones of that key), then applied on that
// node; every other node applies each new record, and every node applies
// them all again after each reload (a reload starts HAProxy from the
// file, which knows nothing of them). What a kind and key mean, and how a
// record is applied, is the caller's (internal/api): this package stores
// and delivers bytes.
const runtimeDir = "/runtime/"

// runtimeRecord is what a key holds.
type runtimeRecord struct {
	Node  string          `json:"node"`
	Time  time.Time       `json:"time"`
	Value json.RawMessage `json:"value"`
}

// RuntimeApplier applies one record on this node.
type RuntimeApplier func(ctx context.Context, kind, key string, value []byte) error

// SetRuntimeApplier makes the node apply the fleet's runtime records with
// f (nil: runtime records are neither applied nor replayed here).
func (n *Node) SetRuntimeApplier(f RuntimeApplier) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.applyRuntime = f
	n.replayRuntime = true
}

// UpdateRuntime stores the record of kind/key that merge makes of the
// stored one (nil when there is none), with a compare-and-swap on it, so
// two nodes changing one key at once both count. An error leaves the
// store as it was: unavailable (503) when etcd does not answer in time.
func (n *Node) UpdateRuntime(ctx context.Context, kind, key string, merge func(old []byte) ([]byte, error)) error {
	if strings.Contains(kind, "/") {
		return fmt.Errorf("fleet: runtime kind %q has a slash", kind)
	}
	if err := n.refusal(); err != nil {
		return err
	}
	k := n.prefix + runtimeDir + kind + "/" + key
	ctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	for {
		cli, err := n.client(ctx)
		if err != nil {
			n.noteStore(err)
			return storeError(n.opts.Endpoints, n.explain(err))
		}
		resp, err := cli.Get(ctx, k)
		if err != nil {
			n.noteStore(err)
			return storeError(n.opts.Endpoints, n.explain(err))
		}
		var old []byte
		var rev int64
		if len(resp.Kvs) == 1 {
			rev = resp.Kvs[0].ModRevision
			var rec runtimeRecord
			if json.Unmarshal(resp.Kvs[0].Value, &rec) == nil {
				old = rec.Value
			}
		}
		value, err := merge(old)
		if err != nil {
			return err
		}
		b, err := json.Marshal(runtimeRecord{Node: n.opts.Name, Time: time.Now().UTC(), Value: value})
		if err != nil {
			return err
		}
		txn, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
			Then(clientv3.OpPut(k, string(b))).Commit()
		if err != nil {
			n.noteStore(err)
			return storeError(n.opts.Endpoints, n.explain(err))
		}
		n.noteStore(nil)
		if txn.Succeeded {
			n.mu.Lock()
			// This node applies its own record itself, now.
			n.ownRuntime[txn.Header.Revision] = true
			n.mu.Unlock()
			return nil
		}
		// Another node changed the key meanwhile: merge again.
	}
}

// syncRuntime applies the records stored since the last ones applied
// (all of them after a reload). A record that fails is reported and not
// tried again until it changes or the next replay.
func (n *Node) syncRuntime(ctx context.Context) {
	n.mu.Lock()
	apply, from, replay := n.applyRuntime, n.runtimeRev+1, n.replayRuntime
	n.mu.Unlock()
	if apply == nil {
		return
	}
	if replay {
		from = 0
	}
	rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	var resp *clientv3.GetResponse
	cli, err := n.client(rctx)
	if err == nil {
		resp, err = cli.Get(rctx, n.prefix+runtimeDir, clientv3.WithPrefix(), clientv3.WithMinModRev(from),
			clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortAscend))
	}
	cancel()
	if err != nil {
		n.noteStore(err)
		return
	}
	var lastErr string
	applied := 0
	for _, kv := range resp.Kvs {
		n.mu.Lock()
		own := n.ownRuntime[kv.ModRevision]
		delete(n.ownRuntime, kv.ModRevision)
		n.mu.Unlock()
		if own && !replay {
			continue
		}
		rest := strings.TrimPrefix(string(kv.Key), n.prefix+runtimeDir)
		kind, key, ok := strings.Cut(rest, "/")
		var rec runtimeRecord
		if !ok || json.Unmarshal(kv.Value, &rec) != nil {
			continue
		}
		if err := apply(ctx, kind, key, rec.Value); err != nil {
			lastErr = fmt.Sprintf("%s %s (set by %s): %v", kind, key, rec.Node, err)
			n.log.Warn("applying the fleet's runtime state", "kind", kind, "key", key, "error", err)
			continue
		}
		applied++
	}
	n.mu.Lock()
	n.runtimeRev = max(n.runtimeRev, resp.Header.Revision)
	for rev := range n.ownRuntime {
		if rev <= resp.Header.Revision {
			delete(n.ownRuntime, rev) // superseded before it was read
		}
	}
	if replay {
		n.replayRuntime = false
		n.runtimeErr = ""
	}
	if lastErr != "" {
		n.runtimeErr = lastErr
	}
	n.mu.Unlock()
	if applied > 0 {
		n.log.Info("applied the fleet's runtime state", "records", applied, "replay", replay)
	}
}
