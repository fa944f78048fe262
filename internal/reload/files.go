package reload

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tempMarker is part of every temporary file name, so stale ones left by a
// crash can be recognised and removed at start.
const tempMarker = ".dp-tmp-"

// StageFile writes data to a new temporary file in the directory of path
// (so the final rename stays on one filesystem and is atomic) and fsyncs it.
// The file gets the mode and owner of path when it exists, else 0600.
func StageFile(path string, data []byte) (string, error) { return StageFileLike(path, data, path) }

// StageFileLike is StageFile with the mode and owner of like (when it
// exists; else those of path, else 0600): a backup or a state file keeps
// the secrecy of the live configuration it comes from.
func StageFileLike(path string, data []byte, like string) (string, error) {
	tmp, _, err := Stage(path, like, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	return tmp, err
}

// Stage is StageFileLike for a file that write produces piece by piece (a
// document section after section), so that its bytes are never held in
// memory whole. It also returns the SHA-256 of what was written.
func Stage(path, like string, write func(io.Writer) error) (string, [32]byte, error) {
	var sum [32]byte
	mode, uid, gid := os.FileMode(0o600), -1, -1
	for _, p := range []string{like, path} {
		if st, err := os.Stat(p); err == nil {
			mode = st.Mode().Perm()
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				uid, gid = int(sys.Uid), int(sys.Gid)
			}
			break
		}
	}
	f, err := CreateTemp(path, mode)
	if err != nil {
		return "", sum, err
	}
	tmp := f.Name()
	// The owner is copied when we may (root), so a backup is no more
	// readable than the file it saves.
	if uid >= 0 && os.Geteuid() == 0 {
		_ = f.Chown(uid, gid)
	}
	h := sha256.New()
	// hashingFile has no WriteString: the buffer then copies strings into
	// itself piece by piece, where a MultiWriter would copy each whole.
	bw := bufio.NewWriterSize(hashingFile{f, h}, 64<<10)
	werr := write(bw)
	if werr == nil {
		werr = bw.Flush()
	}
	serr := f.Sync()
	clerr := f.Close()
	if err := firstErr(werr, serr, clerr); err != nil {
		os.Remove(tmp)
		return "", sum, fmt.Errorf("stage %s: %w", path, err)
	}
	h.Sum(sum[:0])
	return tmp, sum, nil
}

type hashingFile struct {
	f *os.File
	h hash.Hash
}

func (w hashingFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	return n, err
}

// CreateTemp creates a new temporary file beside path with mode perm (the
// umask does not narrow it), named so that CleanStale removes it after a
// crash.
func CreateTemp(path string, perm os.FileMode) (*os.File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("stage %s: %w", path, err)
	}
	tmp := filepath.Join(dir, "."+base+tempMarker+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("stage %s: %w", path, err)
	}
	return f, nil
}

// Promote renames the staged file over path and fsyncs the directory, so
// that after a crash the directory holds either the old or the new file,
// complete.
func Promote(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// WriteFileAtomic stages data and promotes it over path.
func WriteFileAtomic(path string, data []byte) error { return WriteFileLike(path, data, path) }

// WriteFileLike is WriteFileAtomic with the mode and owner of like (see
// StageFileLike).
func WriteFileLike(path string, data []byte, like string) error {
	tmp, err := StageFileLike(path, data, like)
	if err != nil {
		return err
	}
	return Promote(tmp, path)
}

// SyncDir fsyncs a directory so a rename in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// CleanStale removes temporary files a crash left beside path and returns
// their names.
func CleanStale(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clean stale files of %s: %w", path, err)
	}
	var removed []string
	prefix := "." + base + tempMarker
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			p := filepath.Join(dir, e.Name())
			if err := os.Remove(p); err == nil {
				removed = append(removed, p)
			}
		}
	}
	return removed, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
