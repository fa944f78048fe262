package patfile

import (
	"context"
	"maps"
	"slices"
	"time"

	"dataplane/internal/runtime"
)

// Reads of big files come from a snapshot of HAProxy's entries: `show
// map` of 100,000 entries takes HAProxy itself 30 to 50 ms on a small
// machine, and a client paging or filtering through it would pay that on
// every request. A snapshot is used only while it is surely current:
// taken from the same runtime file (same id, same entry count now), no
// reload since, and younger than SnapshotMaxAge (the bound on how long a
// change made by hand on the socket, which keeps the count, can go
// unseen). Small files are always read from HAProxy.
//
// A change dataplane makes does not throw the snapshot away: it is
// recorded on it (an overlay of set values, deleted keys and ids, and
// added entries), so a read right after a change costs what any other
// read costs. HAProxy gives an added entry its id (its address) and says
// it only in `show map`: a read that would list an added entry fetches
// the file from HAProxy again.

// SnapshotMinEntries is the size from which a file's reads use snapshots.
const SnapshotMinEntries = 10_000

// SnapshotMaxAge bounds the age of a snapshot.
const SnapshotMaxAge = 2 * time.Second

// snapshot is immutable once stored: a change makes a new one that
// shares the base entries (readers in flight keep the old one).
type snapshot struct {
	id      string
	count   int64 // entries in HAProxy, overlay applied
	epoch   uint64
	taken   time.Time
	entries []runtime.PatternEntry // as HAProxy listed them
	// The overlay of dataplane's changes since the entries were listed.
	values     map[string]string      // key → value set by `set map`
	deleted    map[string]bool        // keys deleted from entries
	deletedIDs map[string]bool        // ids deleted from entries
	added      []runtime.PatternEntry // appended, ids unknown
}

// clone returns a copy whose overlay may be changed.
func (s *snapshot) clone() *snapshot {
	n := *s
	n.values = maps.Clone(s.values)
	n.deleted = maps.Clone(s.deleted)
	n.deletedIDs = maps.Clone(s.deletedIDs)
	n.added = slices.Clone(s.added)
	if n.values == nil {
		n.values = map[string]string{}
	}
	if n.deleted == nil {
		n.deleted = map[string]bool{}
	}
	if n.deletedIDs == nil {
		n.deletedIDs = map[string]bool{}
	}
	return &n
}

// visible is a listed entry as HAProxy holds it now, and whether it is
// still there.
func (s *snapshot) visible(e runtime.PatternEntry) (runtime.PatternEntry, bool) {
	if s.deleted[e.Key] || s.deletedIDs[e.ID] {
		return e, false
	}
	if v, ok := s.values[e.Key]; ok {
		e.Value = v
	}
	return e, true
}

// withAdded records `add map|acl` of one entry.
func (s *snapshot) withAdded(key, value string) *snapshot {
	n := s.clone()
	n.added = append(n.added, runtime.PatternEntry{Key: key, Value: value})
	n.count++
	return n
}

// withSet records `set map` of key: every entry of key gets value.
func (s *snapshot) withSet(key, value string) *snapshot {
	n := s.clone()
	n.values[key] = value
	for i := range n.added {
		if n.added[i].Key == key {
			n.added[i].Value = value
		}
	}
	return n
}

// withDeleted records `del map|acl` of every entry of key.
func (s *snapshot) withDeleted(key string) *snapshot {
	n := s.clone()
	for _, e := range n.entries {
		if e.Key == key {
			if _, ok := n.visible(e); ok {
				n.count--
			}
		}
	}
	n.deleted[key] = true
	n.added = slices.DeleteFunc(n.added, func(e runtime.PatternEntry) bool {
		if e.Key == key {
			n.count--
			return true
		}
		return false
	})
	return n
}

// withDeletedID records `del map|acl #<id>` of one listed entry; an added
// entry has no known id, so its deletion is not recorded (nil: the
// snapshot is dropped).
func (s *snapshot) withDeletedID(id string) *snapshot {
	for _, e := range s.entries {
		if e.ID == id {
			if _, ok := s.visible(e); !ok {
				return nil
			}
			n := s.clone()
			n.deletedIDs[id] = true
			n.count--
			return n
		}
	}
	return nil
}

// epochLocked is the change count of path, moved by every change of the
// file and every reload.
func (f *Files) epochLocked(path string) uint64 { return f.epochs[path] + f.reloads }

// touch records a change of path: its snapshot is no longer current. It
// returns the snapshot there was.
func (f *Files) touch(path string) *snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.epochs[path]++
	s := f.snaps[path]
	delete(f.snaps, path)
	return s
}

// Scan calls fn with each entry of the file that want accepts (nil: all),
// in HAProxy's order: from HAProxy, or from a current snapshot for a big
// file.
func (f *Files) Scan(ctx context.Context, c *runtime.Client, t Target, want func(runtime.PatternEntry) bool, fn func(runtime.PatternEntry) error) error {
	if want == nil {
		want = func(runtime.PatternEntry) bool { return true }
	}
	if t.File.Count < SnapshotMinEntries || t.File.File == "" {
		return c.ScanPatterns(ctx, t.Kind, t.ref(), func(e runtime.PatternEntry) error {
			if !want(e) {
				return nil
			}
			return fn(e)
		})
	}
	path := t.File.File
	f.mu.Lock()
	s := f.snaps[path]
	epoch := f.epochLocked(path)
	f.mu.Unlock()
	current := s != nil && s.id == t.File.ID && s.count == t.File.Count && s.epoch == epoch && time.Since(s.taken) <= f.snapshotMaxAge()
	// An added entry the read would list needs its id from HAProxy.
	if current && slices.ContainsFunc(s.added, want) {
		current = false
	}
	if !current {
		taken := time.Now()
		entries, err := c.ShowPatterns(ctx, t.Kind, t.ref())
		if err != nil {
			return err
		}
		s = &snapshot{id: t.File.ID, count: int64(len(entries)), epoch: epoch, taken: taken, entries: entries}
		f.mu.Lock()
		// Kept only when nothing changed the file meanwhile.
		if f.epochLocked(path) == epoch && int64(len(entries)) == t.File.Count {
			f.snaps[path] = s
		}
		f.mu.Unlock()
	}
	for _, e := range s.entries {
		e, ok := s.visible(e)
		if !ok || !want(e) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
