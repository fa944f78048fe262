package transaction_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
	"dataplane/internal/reload"
	"dataplane/internal/transaction"
)

// TestUpload: a configuration received is staged beside the live file,
// readable by this user only, judged there by `haproxy -c`, loaded or sent
// back from the disk, and removed; a refused one is not loaded.
func TestUpload(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "haproxy.cfg")
	head := "defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n"
	if err := os.WriteFile(live, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := transaction.Open(transaction.Options{ConfigFile: live, Checker: &reload.Checker{Bin: haproxytest.Binary(t), Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		body    string
		invalid bool // haproxy -c refuses it
		loads   bool // our document model takes it
	}{
		{"valid", head + "frontend f\n    bind 127.0.0.1:9\n", false, true},
		{"refused by haproxy", head + "frontend f\n    bogus_keyword 1\n", true, false},
		{"a line too long for us", head + "frontend f\n    bind 127.0.0.1:9\n    # " + strings.Repeat("x", 2<<20) + "\n", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			up, err := p.Receive(strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			staged, _ := filepath.Glob(filepath.Join(dir, ".haproxy.cfg.dp-tmp-*"))
			if len(staged) != 1 || up.Size() != int64(len(c.body)) {
				t.Fatalf("staged %v, %d bytes; want one file of %d", staged, up.Size(), len(c.body))
			}
			if st, err := os.Stat(staged[0]); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("staged file mode %v (%v), want 0600", st.Mode().Perm(), err)
			}
			_, doc, err := p.Validate(context.Background(), up)
			if c.invalid != errors.Is(err, reload.ErrValidation) || (doc != nil) != c.loads {
				t.Fatalf("Validate: %v, document %v", err, doc != nil)
			}
			if doc != nil && string(doc.Render()) != c.body {
				t.Fatal("the document is not the body")
			}
			var back bytes.Buffer
			if _, err := up.WriteTo(&back); err != nil || back.String() != c.body {
				t.Fatalf("sent back %d bytes (%v), want the body", back.Len(), err)
			}
			up.Remove()
			if staged, _ := filepath.Glob(filepath.Join(dir, ".haproxy.cfg.dp-tmp-*")); len(staged) != 0 {
				t.Fatalf("left behind: %v", staged)
			}
		})
	}
	if got, _ := os.ReadFile(live); string(got) != head {
		t.Fatal("the live file changed")
	}

	// Committed: a file that does not load is an invalid configuration;
	// one that does becomes the live file, with the next version.
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{head + "    # " + strings.Repeat("x", 2<<20) + "\n", false},
		{head + "frontend f\n    bind 127.0.0.1:9\n", true},
	} {
		up, err := p.Receive(strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.ReplaceUpload(context.Background(), 1, false, up, transaction.CommitOptions{})
		up.Remove()
		if !c.ok {
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "invalid configuration: line 6 is") {
				t.Fatalf("a line too long: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(live)
		if want := "# _version=2\n" + c.body; string(got) != want || res.Version != 2 || string(res.Doc.Render()) != want {
			t.Fatalf("live file after the commit (version %d):\n%.200s", res.Version, got)
		}
	}
}
