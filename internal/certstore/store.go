// Package certstore keeps the files of the storage API that are not maps:
// TLS certificates, crt-lists and general files. A Store is one directory;
// every name is checked before it becomes a path, every write is atomic
// (temporary file, fsync, rename, fsync of the directory) and bounded in
// size. It also reads PEM certificates (cert.go) and crt-list files
// (crtlist.go).
package certstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"dataplane/internal/fault"
	"dataplane/internal/storage"
)

// MaxNameLen bounds a stored file's name (a file system allows 255 bytes;
// the temporary file adds a prefix and a suffix).
const MaxNameLen = 200

// DefaultMaxSize bounds a stored file when the Store sets no bound: a
// certificate with its chain is a few KiB, a crt-list of thousands of
// lines well under this.
const DefaultMaxSize = 1 << 20

// nameRE is every name a stored file may have: one path element of plain
// characters. It refuses '/', spaces, control characters, quotes and the
// other characters HAProxy's configuration and CLI parsers interpret, so
// the path may be written on a `crt` line or sent on a socket command as
// is.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*$`)

// Sentinels of the store, with their kind.
var (
	ErrNotFound = fault.Sentinel(fault.NotFound, "no such stored file")
	ErrExists   = fault.Sentinel(fault.Conflict, "a stored file of that name exists")
	ErrTooLarge = fault.Sentinel(fault.Invalid, "file too large")
	ErrBadName  = fault.Sentinel(fault.Invalid, "invalid file name")
)

// CheckName refuses a name that is not one plain path element: empty,
// longer than MaxNameLen, hidden (leading '.'), with '/', "..", a space,
// a control or any character outside [A-Za-z0-9_.+-].
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrBadName, len(name), MaxNameLen)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("%w %q: hidden files and relative paths are not stored", ErrBadName, name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%w %q: contains \"..\"", ErrBadName, name)
	case !nameRE.MatchString(name):
		return fmt.Errorf("%w %q: only letters, digits and _ . + - are allowed", ErrBadName, name)
	}
	return nil
}

// Store is one directory of stored files.
type Store struct {
	dir     string
	maxSize int64
}

// Open returns the store over dir, creating it (0700) when missing. maxSize
// bounds each file (DefaultMaxSize when <= 0).
func Open(dir string, maxSize int64) (*Store, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("storage directory %s: %w", abs, err)
	}
	s := &Store{dir: abs, maxSize: maxSize}
	s.removeStale(time.Hour)
	return s, nil
}

// removeStale removes the temporary files of writes that a crash cut
// short (hidden, ".<name>.tmp<random>") and older than age: a write in
// progress is never that old.
func (s *Store) removeStale(age time.Duration) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, de := range des {
		if !de.Type().IsRegular() || !strings.HasPrefix(de.Name(), ".") || !strings.Contains(de.Name(), ".tmp") {
			continue
		}
		if info, err := de.Info(); err == nil && time.Since(info.ModTime()) > age {
			_ = os.Remove(filepath.Join(s.dir, de.Name()))
		}
	}
}

// Dir is the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

// MaxSize is the bound on one file.
func (s *Store) MaxSize() int64 { return s.maxSize }

// Path returns the absolute path of name, after checking it.
func (s *Store) Path(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, name), nil
}

// Entry is one stored file.
type Entry = storage.File

// List returns the stored files, by name. Temporary files of writes in
// progress (hidden) and anything that is not a regular file are left out.
func (s *Store) List() ([]Entry, error) { return storage.ListDir(s.dir, CheckName) }

// Stat returns the entry of name (ErrNotFound when missing).
func (s *Store) Stat(name string) (Entry, error) {
	p, err := s.Path(name)
	if err != nil {
		return Entry{}, err
	}
	return storage.StatFile(name, p, ErrNotFound)
}

// Read returns the content of name.
func (s *Store) Read(name string) ([]byte, error) {
	e, err := s.Stat(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(e.Path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", e.Path, err)
	}
	return b, nil
}

// ReadBody reads a body of at most the store's bound: ErrTooLarge beyond
// it, without reading further.
func (s *Store) ReadBody(r io.Reader) ([]byte, error) { return ReadLimited(r, s.maxSize) }

// ReadLimited reads r up to max bytes: ErrTooLarge beyond, without reading
// further.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

// Staged is a file written and synced beside its final name, not yet in
// place: Commit renames it over the final name, Discard removes it.
type Staged struct {
	tmp, path string
	done      bool
}

// Stage writes data to a temporary file of the store, synced, for name. When
// create is true and name exists, it fails with ErrExists (checked again
// at Commit).
func (s *Store) Stage(name string, data []byte, create bool) (*Staged, error) {
	p, err := s.Path(name)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > s.maxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), s.maxSize)
	}
	if create {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%w: %s", ErrExists, name)
		}
	}
	f, err := os.CreateTemp(s.dir, "."+name+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	st := &Staged{tmp: f.Name(), path: p}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		st.Discard()
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	return st, nil
}

// Path is the final path of the staged file.
func (st *Staged) Path() string { return st.path }

// TempPath is where the staged bytes are until Commit.
func (st *Staged) TempPath() string { return st.tmp }

// Commit puts the staged file in place (rename, then fsync of the
// directory). create refuses to replace a file that appeared meanwhile.
func (st *Staged) Commit(create bool) error {
	if st.done {
		return errors.New("staged file already committed or discarded")
	}
	st.done = true
	if create {
		// A link fails when the name exists, where a rename would
		// replace it.
		if err := os.Link(st.tmp, st.path); err != nil {
			_ = os.Remove(st.tmp)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%w: %s", ErrExists, filepath.Base(st.path))
			}
			return fmt.Errorf("create %s: %w", st.path, err)
		}
		_ = os.Remove(st.tmp)
	} else if err := os.Rename(st.tmp, st.path); err != nil {
		_ = os.Remove(st.tmp)
		return fmt.Errorf("replace %s: %w", st.path, err)
	}
	return syncDir(filepath.Dir(st.path))
}

// Discard removes the staged file (nothing happens after Commit).
func (st *Staged) Discard() {
	if !st.done {
		st.done = true
		_ = os.Remove(st.tmp)
	}
}

// Write puts data at name atomically; create refuses an existing name.
func (s *Store) Write(name string, data []byte, create bool) (string, error) {
	st, err := s.Stage(name, data, create)
	if err != nil {
		return "", err
	}
	if err := st.Commit(create); err != nil {
		return "", err
	}
	return st.Path(), nil
}

// Remove deletes name (ErrNotFound when missing).
func (s *Store) Remove(name string) error {
	e, err := s.Stat(name)
	if err != nil {
		return err
	}
	if err := os.Remove(e.Path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return fmt.Errorf("remove %s: %w", e.Path, err)
	}
	return syncDir(s.dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
