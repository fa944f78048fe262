package patfile

import (
	"context"
	"time"

	"dataplane/internal/runtime"
)

// Reads of big files come from a snapshot of HAProxy's entries: `show
// map` of 100,000 entries takes HAProxy itself 30 to 50 ms on a small
// machine, and a client paging or filtering through it would pay that on
// every request. A snapshot is used only while it is surely current:
// taken from the same runtime file (same id, same entry count now), no
// change made by dataplane to that file and no reload since, and younger
// than SnapshotMaxAge (the bound on how long a change made by hand on the
// socket, which keeps the count, can go unseen). Small files are always
// read from HAProxy.

// SnapshotMinEntries is the size from which a file's reads use snapshots.
const SnapshotMinEntries = 10_000

// SnapshotMaxAge bounds the age of a snapshot.
const SnapshotMaxAge = 2 * time.Second

type snapshot struct {
	id      string
	count   int64
	epoch   uint64
	taken   time.Time
	entries []runtime.PatternEntry
}

// epochLocked is the change count of path, moved by every change of the
// file and every reload.
func (f *Files) epochLocked(path string) uint64 { return f.epochs[path] + f.reloads }

// touch records a change of path: its snapshot is no longer current.
func (f *Files) touch(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.epochs[path]++
	delete(f.snaps, path)
}

// Scan calls fn with each entry of the file, in HAProxy's order: from
// HAProxy, or from a current snapshot for a big file.
func (f *Files) Scan(ctx context.Context, c *runtime.Client, t Target, fn func(runtime.PatternEntry) error) error {
	if t.File.Count < SnapshotMinEntries || t.File.File == "" {
		return c.ScanPatterns(ctx, t.Kind, t.ref(), fn)
	}
	path := t.File.File
	f.mu.Lock()
	s := f.snaps[path]
	epoch := f.epochLocked(path)
	f.mu.Unlock()
	if s == nil || s.id != t.File.ID || s.count != t.File.Count || s.epoch != epoch || time.Since(s.taken) > SnapshotMaxAge {
		taken := time.Now()
		entries, err := c.ShowPatterns(ctx, t.Kind, t.ref())
		if err != nil {
			return err
		}
		s = &snapshot{id: t.File.ID, count: t.File.Count, epoch: epoch, taken: taken, entries: entries}
		f.mu.Lock()
		// Kept only when nothing changed the file meanwhile.
		if f.epochLocked(path) == epoch && int64(len(entries)) == t.File.Count {
			f.snaps[path] = s
		}
		f.mu.Unlock()
	}
	for _, e := range s.entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
