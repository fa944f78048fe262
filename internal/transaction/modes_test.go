package transaction_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
	"dataplane/internal/reload"
	"dataplane/internal/transaction"
)

// TestFilesKeepTheLiveFileSecrecy: with the live file at 0600, backups
// (in a backups_dir created for them, 0700), staged transaction files and
// the state files are no more readable than it is.
func TestFilesKeepTheLiveFileSecrecy(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "haproxy.cfg")
	cfg := "global\n    log stdout format raw local0\ndefaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n" +
		"userlist controller\n    user admin insecure-password secret\n"
	if err := os.WriteFile(live, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	backups := filepath.Join(dir, "backups", "nested")
	txDir := filepath.Join(dir, "tx")
	p, err := transaction.Open(transaction.Options{
		ConfigFile: live, Checker: &reload.Checker{Bin: haproxytest.Binary(t), Dir: dir},
		BackupsNumber: 3, BackupsDir: backups, StateFile: filepath.Join(txDir, "applied.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := transaction.NewManager(p, transaction.ManagerOptions{Dir: txDir})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := m.Begin(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Edit(context.Background(), tx.ID, func(d *config.Document) (*config.Document, error) {
		return d.CreateBackend(config.Backend{Name: "be_tx"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Edit(context.Background(), transaction.Base{Version: 1}, func(d *config.Document) (*config.Document, error) {
		return d.CreateBackend(config.Backend{Name: "be_a"})
	}, transaction.CommitOptions{}); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(txDir, "reloads.json")
	if err := reload.WriteFileLike(hist, []byte("[]"), live); err != nil {
		t.Fatal(err)
	}
	mode := func(path string) os.FileMode {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if m := mode(backups); m != 0o700 {
		t.Errorf("backups_dir %s was created %o, want 700", backups, m)
	}
	files, _ := filepath.Glob(filepath.Join(txDir, "*"))
	files = append(files, filepath.Join(backups, "haproxy.cfg.1"), live)
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			continue
		}
		if m := mode(f); m&0o077 != 0 {
			t.Errorf("%s is %o: readable by others than the live file's owner", f, m)
		}
	}
	if len(files) < 5 {
		t.Errorf("only %d files checked: %v", len(files), files)
	}
}
