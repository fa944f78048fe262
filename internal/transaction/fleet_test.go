package transaction_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"dataplane/internal/transaction"
)

// TestKeepLocal: the file a fleet node started with is copied byte for
// byte, readable by its user only, outside the numbered backups; a
// second time, the copy is found and not written again; a file that
// changed meanwhile is not copied under another file's sum.
func TestKeepLocal(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "haproxy.cfg")
	// No version line, odd spacing: the copy is the file, not a rendering.
	body := "global\n  maxconn   100\n\n# the operator's own file\nbackend be_local\n"
	if err := os.WriteFile(live, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	backups := filepath.Join(dir, "backups")
	p, err := transaction.Open(transaction.Options{ConfigFile: live, BackupsNumber: 3, BackupsDir: backups})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.State()
	if err != nil {
		t.Fatal(err)
	}
	if st.LiveSum != sha256.Sum256([]byte(body)) {
		t.Fatal("the state's sum is not the file's")
	}
	path, existed, err := p.KeepLocal(st.LiveSum)
	if err != nil || existed {
		t.Fatalf("KeepLocal: %q, existed %v, %v", path, existed, err)
	}
	if filepath.Dir(path) != backups {
		t.Fatalf("copy at %s, want in %s", path, backups)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != body {
		t.Fatalf("the copy holds %q (%v), want the live file's bytes", got, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy's mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if list, err := p.Backups(); err != nil || len(list) != 0 {
		t.Fatalf("backups %v (%v): the copy is not a numbered backup", list, err)
	}
	again, existed, err := p.KeepLocal(st.LiveSum)
	if err != nil || !existed || again != path {
		t.Fatalf("KeepLocal again: %q, existed %v, %v; want %q found", again, existed, err, path)
	}
	if _, _, err := p.KeepLocal(sha256.Sum256([]byte("another file"))); err == nil {
		t.Fatal("a copy under another file's sum was made")
	}
	if entries, _ := os.ReadDir(backups); len(entries) != 1 {
		t.Fatalf("%d files in the backups dir, want the one copy", len(entries))
	}
}
