// Package patfile changes the map and ACL pattern files of the running
// HAProxy: through its runtime socket (no reload), read back, and written
// to the file HAProxy loads, so that a reload keeps the change.
package patfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"dataplane/internal/fault"
	"dataplane/internal/reload"
	"dataplane/internal/runtime"
)

// Failures of this package, each of one kind.
var (
	// ErrExists: the key is already in the file (a second `add` would
	// make a duplicate that `set` and `del` then change together).
	ErrExists = fault.Sentinel(fault.Conflict, "the key is already in the file")
	// ErrNotFound: HAProxy loads no such file, or the file holds no such
	// key or entry.
	ErrNotFound = fault.Sentinel(fault.NotFound, "not found")
	// ErrNoBackingFile: HAProxy names the file by a relative path (or none:
	// an inline ACL), so the change could not be written where the next
	// HAProxy reads it; nothing was changed.
	ErrNoBackingFile = fault.Sentinel(fault.Invalid, "no file to keep the change in")
)

// Files makes the changes. The zero value is not usable: use New.
//
// Why synchronous writes: a change is answered only once it is in the
// running HAProxy and in its file, so no reload, crash or restart after
// the answer can lose it. Adds append one line and fsync (constant time
// whatever the file's size); set, delete and clear rewrite the file
// atomically (temporary file, fsync, rename, fsync of the directory).
// Changes of one file are serialized by a lock of their own; a reload
// (Guard) waits for the changes in flight and holds the next ones until
// the new worker runs, so no change reaches a worker that is going away
// after its file was read by the next one.
type Files struct {
	gate  sync.RWMutex // changes hold it shared, a reload alone
	mu    sync.Mutex
	locks map[string]*sync.Mutex
	// Snapshots of big files (snapshot.go), and what makes them stale.
	snaps   map[string]*snapshot
	epochs  map[string]uint64
	reloads uint64
	// unsynced are the files appended to without fsync (force_sync
	// false), fsynced within SyncDelay and before every reload.
	unsynced map[string]bool
	flushing bool
	// maxAge overrides SnapshotMaxAge when set (SetSnapshotMaxAge).
	maxAge atomic.Int64
}

// SetSnapshotMaxAge sets how old a snapshot may be before a read takes
// a new one (SnapshotMaxAge when d <= 0). Tests set it: a long age to
// count reads on a busy machine, a short one to see a change by hand.
func (f *Files) SetSnapshotMaxAge(d time.Duration) { f.maxAge.Store(int64(d)) }

func (f *Files) snapshotMaxAge() time.Duration {
	if d := time.Duration(f.maxAge.Load()); d > 0 {
		return d
	}
	return SnapshotMaxAge
}

// SyncDelay bounds how long an add made without force_sync waits for
// its fsync. HAProxy reads the file from the page cache: a reload sees
// the entry at once; the delay only matters if the machine crashes.
const SyncDelay = time.Second

// markUnsynced records an append left without fsync and makes sure a
// sync comes within SyncDelay.
func (f *Files) markUnsynced(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unsynced[path] = true
	if !f.flushing {
		f.flushing = true
		time.AfterFunc(SyncDelay, func() { _ = f.Sync() })
	}
}

// Sync fsyncs every file appended to without it. It returns the first
// failure; the files that failed stay to be synced again.
func (f *Files) Sync() error {
	f.mu.Lock()
	paths := make([]string, 0, len(f.unsynced))
	for p := range f.unsynced {
		paths = append(paths, p)
	}
	clear(f.unsynced)
	f.flushing = false
	f.mu.Unlock()
	var first error
	for _, p := range paths {
		if err := syncFile(p); err != nil {
			if first == nil {
				first = err
			}
			if !errors.Is(err, fs.ErrNotExist) {
				f.markUnsynced(p) // a file gone has nothing left to sync
			}
		}
	}
	return first
}

// New returns an empty set of file locks.
func New() *Files {
	return &Files{locks: map[string]*sync.Mutex{}, snaps: map[string]*snapshot{}, epochs: map[string]uint64{}, unsynced: map[string]bool{}}
}

// change is a change of one file in progress: it holds the reload gate
// (shared) and the file's lock, and carries the file's snapshot to record
// the change on.
type change struct {
	f    *Files
	path string
	l    *sync.Mutex
	prev *snapshot // current when the change began, or nil
	next *snapshot // prev with the change recorded, or nil
}

// lock begins a change of path; unlock ends it.
func (f *Files) lock(path string) *change {
	f.gate.RLock()
	f.mu.Lock()
	l, ok := f.locks[path]
	if !ok {
		l = &sync.Mutex{}
		f.locks[path] = l
	}
	f.mu.Unlock()
	l.Lock()
	// A change may be made: snapshots taken from now until it is done
	// are not kept, and the one there is set aside.
	f.mu.Lock()
	prev := f.snaps[path]
	if prev != nil && prev.epoch != f.epochLocked(path) {
		prev = nil
	}
	f.mu.Unlock()
	f.touch(path)
	return &change{f: f, path: path, l: l, prev: prev}
}

// record notes what the change did to HAProxy's entries, once HAProxy
// holds it: the snapshot stays current with it.
func (ch *change) record(edit func(*snapshot) *snapshot) {
	if ch.prev != nil {
		ch.next = edit(ch.prev)
	}
}

// unlock ends the change: the snapshot comes back only with the change
// recorded on it.
func (ch *change) unlock() {
	f := ch.f
	f.mu.Lock()
	f.epochs[ch.path]++
	delete(f.snaps, ch.path)
	if ch.next != nil {
		ch.next.epoch = f.epochLocked(ch.path)
		f.snaps[ch.path] = ch.next
	}
	f.mu.Unlock()
	ch.l.Unlock()
	f.gate.RUnlock()
}

// LockFile holds the lock of path as a change does, for a writer of the
// whole file (the storage replacing it): no runtime change is appended to
// a file that is being replaced. The returned function releases it.
func (f *Files) LockFile(path string) func() { return f.lock(path).unlock }

// Guard returns a reload strategy that runs s while no pattern change is
// in flight, then calls after (which must drop the runtime connections
// kept to the old worker) before the changes go on.
func (f *Files) Guard(s reload.Strategy, after func()) reload.Strategy {
	return &guarded{Strategy: s, files: f, after: after}
}

type guarded struct {
	reload.Strategy
	files *Files
	after func()
}

func (g *guarded) Reload(ctx context.Context) (string, error) {
	g.files.gate.Lock()
	defer g.files.gate.Unlock()
	defer func() {
		g.files.mu.Lock()
		g.files.reloads++
		clear(g.files.snaps)
		g.files.mu.Unlock()
	}()
	// Durability first: what HAProxy is about to read is on the disk.
	_ = g.files.Sync()
	out, err := g.Strategy.Reload(ctx)
	if g.after != nil {
		g.after()
	}
	return out, err
}

// Entry is one entry of a file, as the API shows it.
type Entry struct {
	ID    string
	Key   string
	Value string
}

// Target is one file of the running HAProxy.
type Target struct {
	Kind runtime.PatternKind
	File runtime.PatternFile
}

func (t Target) ref() string { return t.File.Ref() }

// path is where the change is kept: the file's path, which must be
// absolute (HAProxy resolves a relative one against its own working
// directory, which dataplane does not know).
func (t Target) path() (string, error) {
	if t.File.File == "" || !filepath.IsAbs(t.File.File) {
		return "", fmt.Errorf("%w: %s #%s is loaded from %q; changes are refused rather than lost at the next reload", ErrNoBackingFile, t.Kind, t.File.ID, t.File.File)
	}
	return t.File.File, nil
}

// find returns the entry of key, exactly: a lookup when HAProxy's answer
// is exact (a case-sensitive string match), else a scan of the file.
func find(ctx context.Context, c *runtime.Client, t Target, key string) (Entry, bool, error) {
	l, err := c.LookupPattern(ctx, t.Kind, t.ref(), key)
	if err != nil {
		return Entry{}, false, err
	}
	if l.Found && l.Key == key {
		return Entry{ID: key, Key: key, Value: l.Value}, true, nil
	}
	if l.Exact {
		return Entry{}, false, nil
	}
	return scanFor(ctx, c, t, func(e runtime.PatternEntry) bool { return e.Key == key })
}

// Find returns the entry of a key (a map key, an ACL pattern) or, for
// byID, of an entry id ("0x55d0...").
func Find(ctx context.Context, c *runtime.Client, t Target, key string, byID bool) (Entry, error) {
	var e Entry
	var ok bool
	var err error
	if byID {
		e, ok, err = scanFor(ctx, c, t, func(e runtime.PatternEntry) bool { return e.ID == key })
	} else {
		e, ok, err = find(ctx, c, t, key)
	}
	switch {
	case err != nil:
		return Entry{}, err
	case !ok:
		return Entry{}, fmt.Errorf("%w: %s %s holds no entry %s", ErrNotFound, t.Kind, t.File.File, key)
	}
	return e, nil
}

func scanFor(ctx context.Context, c *runtime.Client, t Target, match func(runtime.PatternEntry) bool) (Entry, bool, error) {
	var found Entry
	stop := errors.New("found")
	err := c.ScanPatterns(ctx, t.Kind, t.ref(), func(e runtime.PatternEntry) error {
		if match(e) {
			found = Entry(e)
			return stop
		}
		return nil
	})
	switch {
	case errors.Is(err, stop):
		return found, true, nil
	case err != nil:
		return Entry{}, false, err
	}
	return Entry{}, false, nil
}

// Add adds one entry (value "" for an ACL) to HAProxy, checks that it
// holds it, and appends it to the file, fsynced before it returns when
// sync is set, else within SyncDelay. A key already there is ErrExists.
func (f *Files) Add(ctx context.Context, c *runtime.Client, t Target, key, value string, sync bool) (Entry, error) {
	if err := checkEntry(t.Kind, key, value); err != nil {
		return Entry{}, err
	}
	path, err := t.path()
	if err != nil {
		return Entry{}, err
	}
	ch := f.lock(path)
	defer ch.unlock()
	if _, ok, err := find(ctx, c, t, key); err != nil {
		return Entry{}, err
	} else if ok {
		return Entry{}, fmt.Errorf("%w: %s %s already holds %s", ErrExists, t.Kind, path, key)
	}
	l, err := c.AddPatternAndLookup(ctx, t.Kind, t.ref(), key, value)
	if err != nil {
		return Entry{}, err
	}
	// A lookup that finds another pattern (a wider network, a prefix)
	// cannot tell; HAProxy said it added the entry.
	if l.Found && l.Key == key && t.Kind == runtime.KindMap && l.Value != value {
		return Entry{}, fmt.Errorf("add %s %s %s: HAProxy holds the value %q, not %q", t.Kind, path, key, l.Value, value)
	}
	if err := f.appendLines(path, []string{line(t.Kind, key, value)}, sync); err != nil {
		// Take it back from HAProxy: the answer says the change failed.
		if derr := c.DelPattern(ctx, t.Kind, t.ref(), key, false); derr != nil {
			return Entry{}, fmt.Errorf("%w; and HAProxy keeps the entry until the next reload: %v", err, derr)
		}
		return Entry{}, err
	}
	ch.record(func(s *snapshot) *snapshot { return s.withAdded(key, value) })
	return Entry{ID: key, Key: key, Value: value}, nil
}

// AddMany adds entries in order to HAProxy and appends them to the file.
// When HAProxy refuses one, those before it stay added (in HAProxy and
// in the file) and the error names the refused one.
func (f *Files) AddMany(ctx context.Context, c *runtime.Client, t Target, entries []Entry, sync bool) error {
	pes := make([]runtime.PatternEntry, 0, len(entries))
	for _, e := range entries {
		if err := checkEntry(t.Kind, e.Key, e.Value); err != nil {
			return err
		}
		pes = append(pes, runtime.PatternEntry{Key: e.Key, Value: e.Value})
	}
	path, err := t.path()
	if err != nil {
		return err
	}
	ch := f.lock(path)
	defer ch.unlock()
	addErr := c.AddPatterns(ctx, t.Kind, t.ref(), pes)
	// What HAProxy took is the first n entries; find n from the refused
	// command's position is not possible from the error alone, so the
	// file is written from what HAProxy holds when it refused some.
	if addErr != nil {
		if err := f.syncFromRuntimeLocked(ctx, c, t, path); err != nil {
			return fmt.Errorf("%w; and the file could not be written: %v", addErr, err)
		}
		return addErr
	}
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		lines = append(lines, line(t.Kind, e.Key, e.Value))
	}
	if err := f.appendLines(path, lines, sync); err != nil {
		return err
	}
	ch.record(func(s *snapshot) *snapshot {
		for _, e := range pes {
			s = s.withAdded(e.Key, e.Value)
		}
		return s
	})
	return nil
}

func (f *Files) appendLines(path string, lines []string, sync bool) error {
	if err := appendLines(path, lines, sync); err != nil {
		return err
	}
	if !sync {
		f.markUnsynced(path)
	}
	return nil
}

// Set gives every entry of key the value (maps), checks it, and rewrites
// the file.
func (f *Files) Set(ctx context.Context, c *runtime.Client, t Target, key, value string) (Entry, error) {
	if err := checkEntry(runtime.KindMap, key, value); err != nil {
		return Entry{}, err
	}
	path, err := t.path()
	if err != nil {
		return Entry{}, err
	}
	ch := f.lock(path)
	defer ch.unlock()
	if err := c.SetMapValue(ctx, t.ref(), key, value); err != nil {
		if errors.Is(err, runtime.ErrNotFound) {
			return Entry{}, fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return Entry{}, err
	}
	e, ok, err := find(ctx, c, t, key)
	switch {
	case err != nil:
		return Entry{}, err
	case !ok || e.Value != value:
		return Entry{}, fmt.Errorf("set map %s %s: HAProxy holds %+v, not the value %q", path, key, e, value)
	}
	ch.record(func(s *snapshot) *snapshot { return s.withSet(key, value) })
	err = rewrite(path, func(k, rest string) (string, bool) {
		if k == key {
			return line(runtime.KindMap, key, value), true
		}
		return "", true
	})
	return e, err
}

// Delete removes the entries of key (or, byID, the one entry of that id)
// from HAProxy, checks they are gone, and rewrites the file.
func (f *Files) Delete(ctx context.Context, c *runtime.Client, t Target, key string, byID bool) error {
	path, err := t.path()
	if err != nil {
		return err
	}
	if !byID {
		if err := runtime.CheckPatternKey(key); err != nil {
			return err
		}
	}
	ch := f.lock(path)
	defer ch.unlock()
	var e Entry
	if byID {
		// The file is edited by key: find it first.
		if e, err = Find(ctx, c, t, key, true); err != nil {
			return err
		}
	}
	if err := c.DelPattern(ctx, t.Kind, t.ref(), key, byID); err != nil {
		if errors.Is(err, runtime.ErrNotFound) {
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return err
	}
	fileKey := key
	if byID {
		fileKey = e.Key
	}
	left := false
	if byID {
		_, left, err = scanFor(ctx, c, t, func(p runtime.PatternEntry) bool { return p.ID == key })
	} else {
		_, left, err = find(ctx, c, t, key)
	}
	switch {
	case err != nil:
		return err
	case left:
		return fmt.Errorf("del %s %s %s: HAProxy still holds it", t.Kind, path, key)
	}
	ch.record(func(s *snapshot) *snapshot {
		if byID {
			return s.withDeletedID(key)
		}
		return s.withDeleted(key)
	})
	removed := false
	return rewrite(path, func(k, rest string) (string, bool) {
		if k != fileKey || (byID && removed) {
			return "", true
		}
		removed = true
		return "", false
	})
}

// Clear removes every entry from HAProxy and from the file (its comment
// lines stay).
func (f *Files) Clear(ctx context.Context, c *runtime.Client, t Target) error {
	path, err := t.path()
	if err != nil {
		return err
	}
	defer f.lock(path).unlock()
	if err := c.ClearPatterns(ctx, t.Kind, t.ref()); err != nil {
		if errors.Is(err, runtime.ErrNotFound) {
			return fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return err
	}
	if left, err := c.ShowPatterns(ctx, t.Kind, t.ref()); err != nil {
		return err
	} else if len(left) != 0 {
		return fmt.Errorf("clear %s %s: HAProxy still holds %d entries", t.Kind, path, len(left))
	}
	return rewrite(path, func(string, string) (string, bool) { return "", false })
}

// syncFromRuntimeLocked writes the file from what HAProxy holds (comments
// dropped): after a partial add, the only true account of the entries.
func (f *Files) syncFromRuntimeLocked(ctx context.Context, c *runtime.Client, t Target, path string) error {
	entries, err := c.ShowPatterns(ctx, t.Kind, t.ref())
	if err != nil {
		return err
	}
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		lines = append(lines, line(t.Kind, e.Key, e.Value))
	}
	return writeLines(path, lines)
}

func checkEntry(kind runtime.PatternKind, key, value string) error {
	if err := runtime.CheckPatternKey(key); err != nil {
		return err
	}
	if kind == runtime.KindMap {
		return runtime.CheckPatternValue(value)
	}
	if value != "" {
		return fmt.Errorf("%w: an ACL pattern has no value", runtime.ErrInvalidArgument)
	}
	return nil
}

// line is an entry as the file holds it: "key value" or "pattern".
func line(kind runtime.PatternKind, key, value string) string {
	if kind == runtime.KindMap {
		return key + " " + value
	}
	return key
}
