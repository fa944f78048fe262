package fleet

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"dataplane/internal/fault"
)

// The keys under the prefix. The desired configuration is three keys
// written by one transaction, so they always share a revision:
//
//	<prefix>/config/version  the version, in decimal: what a write
//	                         compares-and-swaps on
//	<prefix>/config/data     the haproxy.cfg bytes, gzip-compressed
//	                         (etcd takes requests of 1.5 MiB by default)
//	<prefix>/config/meta     JSON: version, sha256, size, who and when
//	<prefix>/nodes/<name>    each node's report (NodeStatus, JSON)
const (
	configDir  = "/config/"
	versionKey = "/config/version"
	dataKey    = "/config/data"
	metaKey    = "/config/meta"
	nodesDir   = "/nodes/"
)

// Meta describes the desired configuration; it is stored beside it.
type Meta struct {
	Version    int64     `json:"version"`
	SHA256     string    `json:"sha256"`
	Size       int       `json:"size"`
	Node       string    `json:"node"`
	Time       time.Time `json:"time"`
	SkipReload bool      `json:"skip_reload,omitempty"`
	// WriteID tells a write that was stored from one that was not when
	// its answer was lost (see Publish).
	WriteID string `json:"write_id"`
}

// Desired is the fleet's desired configuration as read from the store.
type Desired struct {
	Meta
	Sum      [32]byte
	Revision int64 // the etcd revision that wrote it
}

// record is what one publication stores.
type record struct {
	meta []byte
	data []byte // compressed
}

// encode makes the stored form of data at version.
func encode(data []byte, version int64, node string, skipReload bool) (record, Meta, error) {
	sum := sha256.Sum256(data)
	m := Meta{
		Version: version, SHA256: hex.EncodeToString(sum[:]), Size: len(data),
		Node: node, Time: time.Now().UTC(), SkipReload: skipReload, WriteID: newID(),
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(data); err != nil {
		return record{}, m, err
	}
	if err := zw.Close(); err != nil {
		return record{}, m, err
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return record{}, m, err
	}
	return record{meta: mb, data: buf.Bytes()}, m, nil
}

// decodeMeta reads a stored Meta.
func decodeMeta(b []byte, rev int64) (*Desired, error) {
	var d Desired
	if err := json.Unmarshal(b, &d.Meta); err != nil {
		return nil, fmt.Errorf("read the desired configuration's meta: %w", err)
	}
	sum, err := hex.DecodeString(d.SHA256)
	if err != nil || len(sum) != len(d.Sum) {
		return nil, fmt.Errorf("the desired configuration's meta has a bad sha256 %q", d.SHA256)
	}
	copy(d.Sum[:], sum)
	d.Revision = rev
	return &d, nil
}

// decodeData uncompresses stored data and checks it against d.
func decodeData(b []byte, d *Desired) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("uncompress version %d: %w", d.Version, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, int64(d.Size)+1))
	if err != nil {
		return nil, fmt.Errorf("uncompress version %d: %w", d.Version, err)
	}
	if sha256.Sum256(data) != d.Sum {
		return nil, fmt.Errorf("version %d: the stored configuration does not match its sha256", d.Version)
	}
	return data, nil
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ErrNotSeeded: the prefix holds no configuration yet.
var ErrNotSeeded = fault.Sentinel(fault.Unavailable, "the fleet store holds no configuration yet")

// casPut stores rec as the desired configuration at version when the
// stored version is base (base < 0: only when none is stored, the seed).
// The runtime records reset changes are written with it, on the
// condition that none moved since read. It returns the revision that
// stored it, or the current meta when a compare failed (nil when there
// is none).
func (n *Node) casPut(ctx context.Context, base int64, rec record, reset runtimeReset) (stored bool, rev int64, cur *Desired, err error) {
	p := n.prefix
	cmp := clientv3.Compare(clientv3.CreateRevision(p+versionKey), "=", 0)
	if base >= 0 {
		cmp = clientv3.Compare(clientv3.Value(p+versionKey), "=", strconv.FormatInt(base, 10))
	}
	cmps := append([]clientv3.Cmp{cmp}, reset.cmps...)
	var m Meta
	_ = json.Unmarshal(rec.meta, &m)
	cli, err := n.client(ctx)
	if err != nil {
		return false, 0, nil, err
	}
	ops := append([]clientv3.Op{
		clientv3.OpPut(p+versionKey, strconv.FormatInt(m.Version, 10)),
		clientv3.OpPut(p+dataKey, string(rec.data)),
		clientv3.OpPut(p+metaKey, string(rec.meta)),
	}, reset.ops...)
	resp, err := cli.Txn(ctx).If(cmps...).Then(ops...).Else(clientv3.OpGet(p + metaKey)).Commit()
	if err != nil {
		return false, 0, nil, err
	}
	if resp.Succeeded {
		return true, resp.Header.Revision, nil, nil
	}
	if r := resp.Responses[0].GetResponseRange(); r != nil && len(r.Kvs) == 1 {
		cur, err = decodeMeta(r.Kvs[0].Value, r.Kvs[0].ModRevision)
	}
	return false, 0, cur, err
}

// landed says whether the write with id, begun at start, is the stored
// one: a write whose answer was lost (a member died, the deadline passed)
// may still have been stored.
//
// It does not ask when the store has served none of this node's requests
// since before start (the resync, the heartbeat and views found it silent,
// and nothing answered since): that read would wait RequestTimeout/3 more
// on a write already refused, for a store that answers nothing. The write
// is then most likely not stored; if it was, the 503 says it may be, and
// every node, this one too, applies it once etcd answers, as it does when
// this read finds nothing in time. A store that answered meanwhile (or
// that went silent during the write, so an answer may have been lost) is
// asked.
func (n *Node) landed(id string, start time.Time) bool {
	if _, silent := n.silentBefore(start); silent {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.RequestTimeout/3)
	defer cancel()
	d, err := n.readMeta(ctx)
	return err == nil && d != nil && d.WriteID == id
}

// readMeta reads the desired configuration's meta (nil when none).
func (n *Node) readMeta(ctx context.Context) (*Desired, error) {
	cli, err := n.client(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := cli.Get(ctx, n.prefix+metaKey)
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	return decodeMeta(resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// readData reads the configuration d describes, at its own revision.
func (n *Node) readData(ctx context.Context, d *Desired) ([]byte, error) {
	cli, err := n.client(ctx)
	if err != nil {
		return nil, fmt.Errorf("read version %d: %w", d.Version, err)
	}
	resp, err := cli.Get(ctx, n.prefix+dataKey, clientv3.WithRev(d.Revision))
	if err != nil {
		return nil, fmt.Errorf("read version %d: %w", d.Version, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("read version %d: no data", d.Version)
	}
	return decodeData(resp.Kvs[0].Value, d)
}

// storeError is the answer for a write the store did not take.
func storeError(endpoints []string, err error) error {
	if refused(err) {
		// etcd answered, and said no: the write was not stored, and
		// will not be until the settings change.
		return fault.Errorf(fault.Unavailable, "the fleet store (etcd %v) refused the change: %s; nothing was applied on any node",
			endpoints, describe(err))
	}
	return fault.Errorf(fault.Unavailable, "the fleet store (etcd %v) did not take the change: %s; nothing was applied on any node. "+
		"If etcd got it after all, every node applies it once etcd answers: read the version before trying again", endpoints, describe(err))
}

// refused says etcd turned this node away for who it is (its username,
// password or permissions): trying again does not help.
func refused(err error) bool {
	return errors.Is(err, rpctypes.ErrAuthFailed) || errors.Is(err, rpctypes.ErrPermissionDenied) ||
		errors.Is(err, rpctypes.ErrUserEmpty)
}

// describe says what an error of the store means, in the words an
// operator acts on; etcd's own words follow in parentheses.
func describe(err error) string {
	var tlsErr *tlsRefusedError
	switch {
	case errors.As(err, &tlsErr):
		return tlsErr.Error()
	case errors.Is(err, rpctypes.ErrAuthFailed):
		return fmt.Sprintf("authentication failed: etcd refused the fleet username or password (%v)", err)
	case errors.Is(err, rpctypes.ErrPermissionDenied):
		return fmt.Sprintf("permission denied: the fleet username may not read and write the keys under the prefix (%v)", err)
	case errors.Is(err, rpctypes.ErrUserEmpty):
		return fmt.Sprintf("etcd requires authentication: set the fleet username and password (%v)", err)
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer before the deadline (etcd unreachable, or without quorum)"
	}
	return err.Error()
}
