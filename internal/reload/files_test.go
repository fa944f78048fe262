package reload

import (
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStage: a staged file holds what was written, piece by piece, with
// the mode of the file it is like (0600 when there is none), its hash
// is returned, and nothing is left behind when writing fails.
func TestStage(t *testing.T) {
	big := strings.Repeat("a line of the file\n", 10000) // beyond the buffer
	for _, c := range []struct {
		name   string
		mode   os.FileMode // of the file it is like; 0: no such file
		pieces []string
	}{
		{"empty", 0o640, nil},
		{"pieces", 0o644, []string{"global\n", "    maxconn 10\n"}},
		{"larger than the buffer", 0o600, []string{big, "x\n", big}},
		{"no file to be like", 0, []string{"global\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "haproxy.cfg")
			want := os.FileMode(0o600)
			if c.mode != 0 {
				if err := os.WriteFile(path, nil, c.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, c.mode); err != nil {
					t.Fatal(err)
				}
				want = c.mode
			}
			tmp, sum, err := Stage(path, path, func(w io.Writer) error {
				for _, p := range c.pieces {
					if _, err := io.WriteString(w, p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tmp)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != strings.Join(c.pieces, "") || sum != sha256.Sum256(got) {
				t.Fatalf("staged %d bytes (sum %x), want %d", len(got), sum, len(strings.Join(c.pieces, "")))
			}
			if st, err := os.Stat(tmp); err != nil || st.Mode().Perm() != want {
				t.Fatalf("mode %v (%v), want %v", st.Mode().Perm(), err, want)
			}
			if removed, _ := CleanStale(path); len(removed) != 1 || removed[0] != tmp {
				t.Fatalf("CleanStale removed %v, want the staged file", removed)
			}
		})
	}
	t.Run("write fails", func(t *testing.T) {
		dir := t.TempDir()
		boom := errors.New("boom")
		if _, _, err := Stage(filepath.Join(dir, "haproxy.cfg"), "", func(io.Writer) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("error %v, want boom", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("left behind: %v", left)
		}
	})
}
