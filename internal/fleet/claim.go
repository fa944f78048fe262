package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"dataplane/internal/fault"
)

// A node name belongs to one running process. Two processes configured
// with one name would overwrite each other's report, and the view would
// show one node flapping between two states; so each process reports
// with its own instance id, and writes its report with a compare-and-swap
// on the revision of its own last write. A report written by another
// instance is judged by watching it, not by its heartbeat (the other
// host's clock may be off): when the other instance writes it again
// within three resync periods, it is alive and this process refuses to
// take part, for good (a name given twice is a settings error, fixed by a
// restart with another name, and a refusal that never lifts cannot
// flap). When it does not, it was this node's previous process, and this
// one takes its place.

// claim is where this process stands with its name (Node.claim, under
// Node.reportMu).
type claim struct {
	// rev is the revision of this instance's last report (0: none yet).
	rev int64
	// otherRev is the revision of another instance's report under this
	// name, first seen at otherSince; it is taken over when it has not
	// changed for three resync periods.
	otherRev   int64
	otherSince time.Time
}

// clashError is this node refusing to take part: another running node
// reports under its name.
type clashError struct {
	name, instance, address string
}

func (e *clashError) Error() string {
	addr := e.address
	if addr == "" {
		addr = "an unknown address"
	}
	return fmt.Sprintf("another node (instance %s at %s) reports as node %s; give each node its own fleet.node name "+
		"(this node takes no part in the fleet until it is started again)", e.instance, addr, e.name)
}

// refusal is why this node takes no part in the fleet (nil: it does), as
// the answer to a write: 503, naming the other node.
func (n *Node) refusal() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.clash == nil {
		return nil
	}
	return fault.Errorf(fault.Unavailable, "fleet: %s", n.clash.Error())
}

// Writable is why a change may not be made on this node now (nil: it
// may), as the answer to the write: 503, saying what to do. The pipeline
// asks it before any change (transaction.Publisher); Publish and
// UpdateRuntime ask again.
//   - another running node reports under this node's name (refusal);
//   - another instance's report is under it, and this node is still
//     watching whether that one runs (its own previous process, or a
//     second node given the same name: until that is known, a write
//     here could be an impostor's);
//   - this node could not apply the fleet's version: a change made here
//     would be made on its last good one, never the fleet's, and be
//     refused as stale forever.
func (n *Node) Writable() error {
	if err := n.refusal(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.probing != "" {
		return fault.Errorf(fault.Unavailable, "fleet: this node is starting: another instance's report (%s) is under its name %s, "+
			"and it waits up to %s to see whether that one still runs (a restart of this node, or a second node given the same name); try again shortly",
			n.probing, n.opts.Name, 3*n.opts.Resync)
	}
	if d := n.desired; d != nil && n.failed == d.Version {
		return fault.Errorf(fault.Unavailable, "fleet: this node could not apply the fleet's version %d and runs its last good configuration; "+
			"a change made here would not be made on the fleet's version. Make it through a node in sync (GET /v3/cluster), or fix what this node lacks: "+
			"it tries version %d again every %s. Its HAProxy said: %s", d.Version, d.Version, n.opts.RetryFailed, n.failedMsg)
	}
	return nil
}

// putReport stores b as this node's report unless another instance holds
// the name (see claim). It returns whether it was stored.
func (n *Node) putReport(ctx context.Context, cli *clientv3.Client, b []byte) (bool, error) {
	n.reportMu.Lock()
	defer n.reportMu.Unlock()
	key := n.prefix + nodesDir + n.opts.Name
	// Twice at most: once more after finding the key is this instance's
	// own (an answer lost), or the previous process's, now taken over.
	for range 2 {
		if n.refusal() != nil {
			return false, nil
		}
		resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", n.claim.rev)).
			Then(clientv3.OpPut(key, string(b))).Else(clientv3.OpGet(key)).Commit()
		if err != nil {
			return false, err
		}
		if resp.Succeeded {
			n.claim.rev = resp.Header.Revision
			n.claim.otherRev = 0
			n.mu.Lock()
			n.probing = ""
			n.mu.Unlock()
			return true, nil
		}
		var kv *mvccpb.KeyValue
		if r := resp.Responses[0].GetResponseRange(); r != nil && len(r.Kvs) == 1 {
			kv = r.Kvs[0]
		}
		if !n.judge(kv) {
			return false, nil
		}
	}
	return false, nil
}

// judge looks at the report under this node's name that is not this
// instance's last one (nil: there is none) and says whether to write
// over it now.
func (n *Node) judge(kv *mvccpb.KeyValue) bool {
	c := &n.claim
	if kv == nil {
		c.rev = 0 // removed (by hand): created again
		return true
	}
	var s NodeStatus
	_ = json.Unmarshal(kv.Value, &s)
	switch {
	case s.Instance == n.instance:
		// This instance's own write, whose answer was lost.
		c.rev = kv.ModRevision
		return true
	case c.otherRev == 0:
		c.otherRev, c.otherSince = kv.ModRevision, time.Now()
		n.mu.Lock()
		n.probing = fmt.Sprintf("instance %s at %s", s.Instance, s.APIAddress)
		n.mu.Unlock()
		n.log.Info("another instance's report is under this node's name; waiting to see whether it still reports",
			"instance", s.Instance, "api_address", s.APIAddress, "heartbeat", s.Heartbeat, "wait", 3*n.opts.Resync)
		return false
	case c.otherRev != kv.ModRevision:
		// Written again since: a running process holds this name.
		clash := &clashError{name: n.opts.Name, instance: s.Instance, address: s.APIAddress}
		n.mu.Lock()
		n.clash, n.probing = clash, ""
		n.mu.Unlock()
		n.log.Error("refusing to take part in the fleet: this node's name is taken", "error", clash.Error(),
			"this_instance", n.instance, "this_api_address", n.opts.APIAddress)
		return false
	case time.Since(c.otherSince) >= 3*n.opts.Resync:
		// Silent for as long as the view takes to call a node stale:
		// this node's previous process, gone.
		n.log.Info("taking over this node's report from its previous instance", "instance", s.Instance, "heartbeat", s.Heartbeat)
		c.rev = kv.ModRevision
		return true
	}
	return false
}
