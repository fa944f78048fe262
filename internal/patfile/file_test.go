package patfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileEdits(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		edit           func(path string) error
	}{
		{"append after a last line without newline", "a x", "a x\nb y\n",
			func(p string) error { return appendLines(p, []string{"b y"}, true) }},
		{"append to an empty file", "", "b y\nc z\n",
			func(p string) error { return appendLines(p, []string{"b y", "c z"}, false) }},
		{"set keeps comments, blanks and other keys", "# head\n\na x\n  # indented\nb y\na w\n", "# head\n\na v\n  # indented\nb y\na v\n",
			func(p string) error {
				return rewrite(p, func(k, l string) (string, bool) {
					if k == "a" {
						return "a v", true
					}
					return "", true
				})
			}},
		{"delete every line of a key, tab separated too", "a x\nb y\na\tz\n", "b y\n",
			func(p string) error { return rewrite(p, func(k, l string) (string, bool) { return "", k != "a" }) }},
		{"clear keeps comments", "# c\na x\nb y\n", "# c\n",
			func(p string) error { return rewrite(p, func(string, string) (string, bool) { return "", false }) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f.map")
			if err := os.WriteFile(p, []byte(tc.in), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := tc.edit(p); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(p)
			if string(b) != tc.want {
				t.Fatalf("got %q, want %q", b, tc.want)
			}
			if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
				t.Fatalf("mode %v, want the file's own 0640", fi.Mode().Perm())
			}
			if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
				t.Fatalf("temporary files left: %v", entries)
			}
		})
	}
}

// TestSyncLater: an append without force_sync is recorded and fsynced by
// Sync (run before every reload and within SyncDelay); a file gone
// meanwhile is dropped, not retried for ever.
func TestSyncLater(t *testing.T) {
	f := New()
	p := filepath.Join(t.TempDir(), "f.map")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.appendLines(p, []string{"a x"}, false); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	pending := f.unsynced[p]
	f.mu.Unlock()
	if !pending {
		t.Fatal("an append without sync is not recorded")
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.appendLines(p, []string{"b y"}, false); err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	if err := f.Sync(); err == nil {
		t.Fatal("the sync of a file gone did not fail")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.unsynced) != 0 {
		t.Fatalf("left to sync: %v", f.unsynced)
	}
}
