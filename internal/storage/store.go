// Package storage keeps the files of one directory that HAProxy's
// configuration may load (map files; later certificates and general
// files): checked names, atomic writes, a size bound.
package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"dataplane/internal/fault"
)

// Failures, each of one kind (see internal/fault).
var (
	// ErrNotFound: no file of that name in the store.
	ErrNotFound = fault.Sentinel(fault.NotFound, "no such file in storage")
	// ErrExists: a file of that name is already there.
	ErrExists = fault.Sentinel(fault.Conflict, "the file already exists in storage")
	// ErrBadName: the name is not one the store accepts (see CheckName).
	ErrBadName = fault.Sentinel(fault.Invalid, "invalid file name")
	// ErrTooLarge: the content is over the store's size bound; nothing
	// was written.
	ErrTooLarge = fault.Sentinel(fault.Invalid, "file too large")
)

// MaxNameLen bounds a file name (most file systems allow 255 bytes).
const MaxNameLen = 200

// tempPrefix starts the names of files being written: hidden, so never
// listed nor addressable (CheckName refuses a leading dot).
const tempPrefix = ".tmp-"

// File describes one stored file.
type File struct {
	Name string // the storage name: a base name
	Path string // the absolute path HAProxy's configuration uses
	Size int64
}

// Store is one directory of files. Its methods are safe for concurrent
// use; writes of one name are serialized, and a reader sees the old or
// the new content, never a mix.
type Store struct {
	dir     string
	maxSize int64
	mu      sync.Mutex // serializes changes (create-if-absent must not race)
	// lockFile, when set, is held around the replacement of a file, once
	// its new content is on the disk: other writers of the same file
	// (runtime map changes appending to it) do not interleave with it.
	lockFile func(path string) (unlock func())
}

// SetFileLock makes the store hold lock(path) while it puts a new content
// of path in place (not while the content arrives). Call it before use.
func (s *Store) SetFileLock(lock func(path string) (unlock func())) { s.lockFile = lock }

// New returns the store of dir, created 0700 when missing. maxSize bounds
// the content of a file (0: no bound).
func New(dir string, maxSize int64) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("storage directory %s: %w", abs, err)
	}
	return &Store{dir: abs, maxSize: maxSize}, nil
}

// Dir is the store's directory, absolute.
func (s *Store) Dir() string { return s.dir }

// MaxSize is the bound on a file's content (0: none).
func (s *Store) MaxSize() int64 { return s.maxSize }

// CheckName accepts a plain file name: 1 to MaxNameLen bytes of letters,
// digits, '.', '_', '-' and '+', not starting with a dot (no hidden files,
// no "..", no temporary files of the store) and with no '/'.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrBadName, len(name), MaxNameLen)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("%w: %q starts with a dot (hidden files and .. are refused)", ErrBadName, name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-+", r)
		if !ok {
			return fmt.Errorf("%w: %q holds %q (letters, digits, '.', '_', '-', '+' only)", ErrBadName, name, r)
		}
	}
	return nil
}

// Path returns the path of name in the store, once the name is checked.
func (s *Store) Path(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, name), nil
}

// Names lists the files of the store, sorted by name; hidden and
// temporary files, directories and links are left out.
func (s *Store) Names() ([]File, error) { return ListDir(s.dir, CheckName) }

// Stat describes one file.
func (s *Store) Stat(name string) (File, error) {
	p, err := s.Path(name)
	if err != nil {
		return File{}, err
	}
	return StatFile(name, p, ErrNotFound)
}

// ListDir lists the regular files of dir whose names check accepts (so
// hidden and temporary files are left out), sorted by name. It serves
// every directory of stored files (maps here, TLS files in certstore).
func ListDir(dir string, check func(string) error) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	out := make([]File, 0, len(entries))
	for _, e := range entries {
		if !e.Type().IsRegular() || check(e.Name()) != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, File{Name: e.Name(), Path: filepath.Join(dir, e.Name()), Size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// StatFile describes the stored file name at path: a missing one, or one
// that is no regular file (a link, a directory), is notFound.
func StatFile(name, path string, notFound error) (File, error) {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return File{}, fmt.Errorf("%w: %s", notFound, name)
	case err != nil:
		return File{}, fmt.Errorf("stat %s: %w", path, err)
	case !info.Mode().IsRegular():
		return File{}, fmt.Errorf("%w: %s is not a regular file", notFound, name)
	}
	return File{Name: name, Path: path, Size: info.Size()}, nil
}

// Read returns the content of one file.
func (s *Store) Read(name string) ([]byte, error) {
	f, err := s.Stat(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	return b, nil
}

// Create writes a new file from r; a file of that name is ErrExists.
func (s *Store) Create(name string, r io.Reader) (File, error) {
	return s.write(name, r, func(exists bool) error {
		if exists {
			return fmt.Errorf("%w: %s", ErrExists, name)
		}
		return nil
	})
}

// Replace writes the content of an existing file from r; a missing one is
// ErrNotFound.
func (s *Store) Replace(name string, r io.Reader) (File, error) {
	return s.write(name, r, func(exists bool) error {
		if !exists {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil
	})
}

// write streams r to a temporary file of the store (bounded by maxSize),
// fsyncs it, and renames it over name when allow accepts whether name
// exists, then fsyncs the directory. On any failure nothing changed.
func (s *Store) write(name string, r io.Reader, allow func(exists bool) error) (File, error) {
	p, err := s.Path(name)
	if err != nil {
		return File{}, err
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return File{}, fmt.Errorf("write %s: %w", name, err)
	}
	tmp := filepath.Join(s.dir, tempPrefix+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, fmt.Errorf("write %s: %w", name, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	src := r
	if s.maxSize > 0 {
		src = io.LimitReader(r, s.maxSize+1)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		return File{}, fmt.Errorf("write %s: %w", name, err)
	}
	if s.maxSize > 0 && n > s.maxSize {
		return File{}, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, name, s.maxSize)
	}
	if err := f.Sync(); err != nil {
		return File{}, fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return File{}, fmt.Errorf("write %s: %w", name, err)
	}
	if s.lockFile != nil {
		defer s.lockFile(p)()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, statErr := os.Lstat(p)
	if err := allow(statErr == nil); err != nil {
		return File{}, err
	}
	if err := os.Rename(tmp, p); err != nil {
		return File{}, fmt.Errorf("write %s: %w", name, err)
	}
	done = true
	if err := syncDir(s.dir); err != nil {
		return File{}, err
	}
	return File{Name: name, Path: p, Size: n}, nil
}

// Delete removes one file.
func (s *Store) Delete(name string) error {
	p, err := s.Path(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	} else if err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return syncDir(s.dir)
}

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
