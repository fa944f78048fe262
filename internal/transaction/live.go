package transaction

import (
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/reload"
)

// Live is the live haproxy.cfg and its published document: what reads
// see. It notices edits made to the file behind the server's back, and
// counts publications (Generation) so that staged changes can tell whether
// the document they were based on is still the live one. Only the
// Pipeline publishes.
type Live struct {
	path string
	log  *slog.Logger

	// mu serializes refreshes and publications, so a refresh never takes
	// our own write for an external edit.
	mu    sync.Mutex
	state atomic.Pointer[liveState]
	// gen counts publications of a different document (commits,
	// rollbacks, external edits).
	gen atomic.Uint64
	// issued is the highest version ever published: new versions always
	// go above it, so none is reused after a rollback.
	issued atomic.Int64
}

type liveState struct {
	doc   *config.Document
	stamp fileStamp
}

// fileStamp identifies the bytes of the file on disk cheaply (stat) and
// exactly (hash).
type fileStamp struct {
	size  int64
	mtime time.Time
	ino   uint64
	sum   [32]byte
}

// OpenLive loads the live file, after removing temporary files a crash
// left beside it. Its typed views are not built yet (Warm).
func OpenLive(path string, log *slog.Logger) (*Live, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Live{path: path, log: log}
	removed, err := reload.CleanStale(path)
	if err != nil {
		return nil, err
	}
	for _, f := range removed {
		log.Warn("removed a temporary file left by an interrupted commit", "file", f)
	}
	st, err := l.readFile()
	if err != nil {
		return nil, err
	}
	l.state.Store(st)
	l.gen.Store(1)
	l.issued.Store(st.doc.Version())
	return l, nil
}

// Warm builds the typed views of the live document (see warm), so that the
// first GET of 10,000 backends finds them ready. A document published
// later is warmed as it is published.
func (l *Live) Warm() { warm(l.state.Load().doc) }

// warm builds the typed views of a freshly loaded document in the
// background, so the first GET of 10,000 backends finds them ready.
func warm(d *config.Document) {
	d.Frontends()
	d.Backends()
	d.DefaultsSections()
}

// Path is the live file's path.
func (l *Live) Path() string { return l.path }

// Doc returns the live document. A file changed behind the server's back
// is noticed here (stat, then hash), re-read, and its version moved on
// past every version issued, so that writers holding an older one get 409.
func (l *Live) Doc() (*config.Document, error) {
	if err := l.refresh(); err != nil {
		return nil, err
	}
	return l.state.Load().doc, nil
}

// Version is the live version.
func (l *Live) Version() (int64, error) {
	d, err := l.Doc()
	if err != nil {
		return 0, err
	}
	return d.Version(), nil
}

// Generation counts the publications of a different document since start.
func (l *Live) Generation() uint64 { return l.gen.Load() }

// sum is the hash of the live file's bytes.
func (l *Live) sum() [32]byte { return l.state.Load().stamp.sum }

// NextVersion is the version the next commit gets.
func (l *Live) NextVersion() int64 {
	return max(l.state.Load().doc.Version(), l.issued.Load()) + 1
}

// MaxIssued is the highest version ever published.
func (l *Live) MaxIssued() int64 { return l.issued.Load() }

// raiseIssued raises the highest version issued to v (a version a previous
// run issued, read back at start).
func (l *Live) raiseIssued(v int64) {
	for {
		cur := l.issued.Load()
		if v <= cur || l.issued.CompareAndSwap(cur, v) {
			return
		}
	}
}

func (l *Live) readFile() (*liveState, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", l.path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", l.path, err)
	}
	// The bytes are hashed as they are read into the document, which
	// keeps them: no other copy of a large file is made.
	h := sha256.New()
	doc, err := config.Read(io.TeeReader(f, h), fi.Size())
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", l.path, err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return &liveState{doc: doc, stamp: stampOf(fi, sum)}, nil
}

func stampOf(fi os.FileInfo, sum [32]byte) fileStamp {
	st := fileStamp{size: fi.Size(), mtime: fi.ModTime(), sum: sum}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st
}

func (l *Live) refresh() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.state.Load()
	fi, err := os.Stat(l.path)
	if err != nil {
		return fmt.Errorf("stat %s: %w", l.path, err)
	}
	if sameStat(cur.stamp, fi) {
		return nil
	}
	next, err := l.readFile()
	if err != nil {
		return err
	}
	if next.stamp.sum == cur.stamp.sum {
		// Same bytes (touched, or rewritten identically): keep the
		// published document, note the new stat.
		l.state.Store(&liveState{doc: cur.doc, stamp: next.stamp})
		return nil
	}
	if v := max(cur.doc.Version(), l.issued.Load()) + 1; next.doc.Version() < v {
		next.doc = next.doc.WithVersion(v)
	}
	l.raiseIssued(next.doc.Version())
	l.log.Warn("configuration file changed outside the API; reloaded it",
		"file", l.path, "version", next.doc.Version())
	l.state.Store(next)
	l.gen.Add(1)
	go warm(next.doc)
	return nil
}

func sameStat(st fileStamp, fi os.FileInfo) bool {
	if st.size != fi.Size() || !st.mtime.Equal(fi.ModTime()) {
		return false
	}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok && sys.Ino != st.ino {
		return false
	}
	return true
}

// promote renames the staged file tmp, whose bytes hash to sum, over the
// live one and publishes doc, as one step for readers.
func (l *Live) promote(tmp string, doc *config.Document, sum [32]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := reload.Promote(tmp, l.path); err != nil {
		return err
	}
	return l.publishLocked(doc, sum)
}

// write replaces the live file with doc (already validated) and publishes
// it, as one step for readers.
func (l *Live) write(doc *config.Document) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	sum, err := writeDoc(l.path, l.path, doc)
	if err != nil {
		return err
	}
	return l.publishLocked(doc, sum)
}

func (l *Live) publishLocked(doc *config.Document, sum [32]byte) error {
	fi, err := os.Stat(l.path)
	if err != nil {
		return fmt.Errorf("stat %s: %w", l.path, err)
	}
	l.state.Store(&liveState{doc: doc, stamp: stampOf(fi, sum)})
	l.raiseIssued(doc.Version())
	l.gen.Add(1)
	return nil
}

// stageDoc writes doc to a new temporary file beside path, with the mode
// and owner of like, section after section: a document is never rendered
// whole to be written. It returns the file and the hash of its bytes.
func stageDoc(path, like string, doc *config.Document) (string, [32]byte, error) {
	return reload.Stage(path, like, func(w io.Writer) error {
		_, err := doc.WriteTo(w)
		return err
	})
}

// writeDoc replaces path with doc atomically (see stageDoc).
func writeDoc(path, like string, doc *config.Document) ([32]byte, error) {
	tmp, sum, err := stageDoc(path, like, doc)
	if err != nil {
		return sum, err
	}
	return sum, reload.Promote(tmp, path)
}
