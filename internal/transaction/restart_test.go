package transaction_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
	"dataplane/internal/reload"
	"dataplane/internal/transaction"
)

// TestStagedEditSurvivesRestart: an edit rewrites only the staged file
// (not the sidecar); a manager opened again on the directory finds the
// edit and takes the transaction's updated time from the staged file.
func TestStagedEditSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(live, []byte("defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	txDir := filepath.Join(dir, "tx")
	open := func() *transaction.Manager {
		p, err := transaction.Open(transaction.Options{ConfigFile: live, Checker: &reload.Checker{Bin: haproxytest.Binary(t), Dir: dir}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := transaction.NewManager(p, transaction.ManagerOptions{Dir: txDir})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := open()
	tx, err := m.Begin(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	sidecar := filepath.Join(txDir, tx.ID+".json")
	before, err := os.ReadFile(sidecar)
	if err != nil {
		t.Fatal(err)
	}
	// The staged file's time is set to a known later one, as if the
	// edit had come a minute after Begin.
	if _, err := m.Edit(context.Background(), tx.ID, func(d *config.Document) (*config.Document, error) {
		return d.CreateBackend(config.Backend{Name: "be_tx"})
	}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(sidecar)
	if string(after) != string(before) {
		t.Errorf("the sidecar was rewritten by an edit:\n%s\n%s", before, after)
	}
	staged, err := filepath.Glob(filepath.Join(txDir, tx.ID+"*"))
	if err != nil || len(staged) != 2 {
		t.Fatalf("transaction files %v (%v), want the sidecar and the staged file", staged, err)
	}
	later := tx.Created.Add(time.Minute)
	for _, f := range staged {
		if f != sidecar {
			if err := os.Chtimes(f, later, later); err != nil {
				t.Fatal(err)
			}
		}
	}

	again := open()
	got, err := again.Get(tx.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != transaction.StatusInProgress || !got.Updated.Equal(later) {
		t.Errorf("after a restart: %+v, want in progress, updated %s", got, later)
	}
	doc, err := again.Doc(tx.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Section(config.KindBackend, "be_tx"); !ok {
		t.Error("the staged backend is gone after a restart")
	}
}
