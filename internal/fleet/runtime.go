package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"dataplane/internal/config"
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
	if err := n.Writable(); err != nil {
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
			// This node applies the change itself, now, and the whole
			// record again at its next sync, as every node does: the
			// record may hold another node's change this one has not
			// applied yet (stored just before, not read yet).
			return nil
		}
		// Another node changed the key meanwhile: merge again.
	}
}

// syncRuntime applies the records stored since the last ones applied
// (all of them after a reload), its own ones too: applying the state a
// record holds again changes nothing, and skipping it could miss the
// part of it another node stored just before. A record that fails is reported and not
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
	failed := map[string]string{} // kind/key -> why; "" applied
	applied := 0
	for _, kv := range resp.Kvs {
		rest := strings.TrimPrefix(string(kv.Key), n.prefix+runtimeDir)
		kind, key, ok := strings.Cut(rest, "/")
		var rec runtimeRecord
		if !ok || json.Unmarshal(kv.Value, &rec) != nil {
			continue
		}
		if err := apply(ctx, kind, key, rec.Value); err != nil {
			failed[rest] = fmt.Sprintf("%s %s (set by %s): %v", kind, key, rec.Node, err)
			n.log.Warn("applying the fleet's runtime state", "kind", kind, "key", key, "error", err)
			continue
		}
		failed[rest] = ""
		applied++
	}
	n.mu.Lock()
	n.runtimeRev = max(n.runtimeRev, resp.Header.Revision)
	if replay {
		n.replayRuntime = false
		clear(n.runtimeErrs)
	}
	// A record's failure lasts until it is applied (a later change of it,
	// or the replay after a reload).
	for k, why := range failed {
		if why == "" {
			delete(n.runtimeErrs, k)
		} else {
			n.runtimeErrs[k] = why
		}
	}
	n.mu.Unlock()
	if applied > 0 {
		n.log.Info("applied the fleet's runtime state", "records", applied, "replay", replay)
	}
}

// RuntimeReset says what a configuration change from old to next leaves
// of the runtime record kind/key: keep is the value that stays (nil: the
// record goes), changed whether that differs from value. A configuration
// change of a field has the last word over an earlier runtime change of
// it; without this, the runtime value would come back at the next reload.
type RuntimeReset func(old, next *config.Document, kind, key string, value []byte) (keep []byte, changed bool)

// SetRuntimeReset makes every publication edit the runtime records of
// kinds the change overrides with f (nil: records are left as they are).
// Only those kinds are read at each publication: records a configuration
// change never overrides (map entries, say) may be many.
func (n *Node) SetRuntimeReset(f RuntimeReset, kinds ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.resetRuntime, n.resetKinds = f, kinds
}

// runtimeReset is the part of a publication that edits runtime records:
// the records as read (their revision must not have moved) and the edits.
type runtimeReset struct {
	cmps []clientv3.Cmp
	ops  []clientv3.Op
}

// runtimeResetOps reads the runtime records and makes the edits the
// change from base to next calls for.
func (n *Node) runtimeResetOps(ctx context.Context, base, next *config.Document) (runtimeReset, error) {
	n.mu.Lock()
	f, kinds := n.resetRuntime, n.resetKinds
	n.mu.Unlock()
	var out runtimeReset
	if f == nil {
		return out, nil
	}
	cli, err := n.client(ctx)
	if err != nil {
		return out, err
	}
	var kvs []*mvccpb.KeyValue
	for _, kind := range kinds {
		resp, err := cli.Get(ctx, n.prefix+runtimeDir+kind+"/", clientv3.WithPrefix())
		if err != nil {
			return out, err
		}
		kvs = append(kvs, resp.Kvs...)
	}
	for _, kv := range kvs {
		kind, key, ok := strings.Cut(strings.TrimPrefix(string(kv.Key), n.prefix+runtimeDir), "/")
		var rec runtimeRecord
		if !ok || json.Unmarshal(kv.Value, &rec) != nil {
			continue
		}
		keep, changed := f(base, next, kind, key, rec.Value)
		if !changed {
			continue
		}
		k := string(kv.Key)
		out.cmps = append(out.cmps, clientv3.Compare(clientv3.ModRevision(k), "=", kv.ModRevision))
		if keep == nil {
			out.ops = append(out.ops, clientv3.OpDelete(k))
			n.log.Info("the configuration change replaces a fleet runtime record", "kind", kind, "key", key, "version", next.Version())
			continue
		}
		rec.Value = keep
		b, err := json.Marshal(rec)
		if err != nil {
			return out, err
		}
		out.ops = append(out.ops, clientv3.OpPut(k, string(b)))
		n.log.Info("the configuration change overrides part of a fleet runtime record", "kind", kind, "key", key,
			"version", next.Version(), "kept", string(keep))
	}
	return out, nil
}

// runtimeError is what the node reports of the records it could not
// apply: the first by key, and how many others (n.mu held).
func (n *Node) runtimeError() string {
	if len(n.runtimeErrs) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(n.runtimeErrs))
	msg := n.runtimeErrs[keys[0]]
	if len(keys) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(keys)-1)
	}
	return msg
}
