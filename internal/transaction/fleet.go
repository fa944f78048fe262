package transaction

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"dataplane/internal/config"
)

// Publisher stores a document that passed `haproxy -c` as the fleet's
// desired configuration (internal/fleet), compare-and-swap on the
// version of base, the document the change was made on. An error leaves
// the commit undone here: a stale base is a conflict (409), an
// unreachable store unavailable (503).
type Publisher interface {
	// Writable says why no change may be made on this node now (nil:
	// one may), before anything is made.
	Writable() error
	Publish(ctx context.Context, base, next *config.Document, skipReload bool) error
}

// SetPublisher puts the pipeline in fleet mode: every commit is
// published before it is applied, and a failed reload of several changes
// is not retried change by change (those documents were never
// published). nil leaves fleet mode.
func (p *Pipeline) SetPublisher(pub Publisher) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.publisher = pub
}

// SetAppliedObserver makes the pipeline call f each time HAProxy was
// made to run a document (err nil: a runtime apply, or a reload that came
// up, reloaded true) or failed to (err: the reload that was rolled back).
// f runs with the commit lock held: it must be quick and must not call
// the pipeline.
func (p *Pipeline) SetAppliedObserver(f func(doc *config.Document, reloaded bool, err error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.applied = f
}

// noteApplied tells the observer (p.mu held).
func (p *Pipeline) noteApplied(doc *config.Document, reloaded bool, err error) {
	if p.applied != nil {
		p.applied(doc, reloaded, err)
	}
}

// Adopt makes doc, a configuration another node published, the live one
// here, with its own version: `haproxy -c` and the preflight on this
// host, the atomic replace, then the runtime socket or a reload, waited
// for (its failure rolls back, as for any change). skipReload writes the
// file only, as the publishing client asked. It is never published
// again. A doc with the live file's bytes is no change, and so is one
// that current, asked under the commit lock, says is no longer the
// fleet's (a commit here published a newer one meanwhile).
func (p *Pipeline) Adopt(ctx context.Context, doc *config.Document, skipReload bool, current func() bool) (Result, error) {
	opts := CommitOptions{SkipReload: skipReload, ForceReload: !skipReload, adopt: true}
	return p.edit(ctx, Base{AnyVersion: true}, func(live *config.Document) (*config.Document, error) {
		if sameBytes(doc, live) || !current() {
			return live, nil
		}
		return doc, nil
	}, opts, true)
}

// State is where the pipeline stands, for a fleet node's report.
type State struct {
	Live    *config.Document // the live file's document
	LiveSum [32]byte         // the hash of the live file's bytes
	// Running is the document HAProxy was last made to run (nil:
	// unknown); Unsure says HAProxy may run something else (a runtime
	// apply failed half-way, a reload could not be verified).
	Running *config.Document
	Unsure  bool
	// Reloading says a reload is running or waiting to run.
	Reloading bool
}

// State reads the pipeline's state; it waits for a commit in progress.
func (p *Pipeline) State() (State, error) {
	if err := p.live.refresh(); err != nil {
		return State{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := State{
		Live:    p.live.state.Load().doc,
		LiveSum: p.live.sum(),
		Running: p.running,
		Unsure:  p.dirty,
	}
	st.Reloading = p.reloading != nil || len(p.waiting) > 0 || (p.sched != nil && p.sched.Pending())
	return st, nil
}

// KeepLocal keeps a copy of the live file, whose bytes hash to sum, when
// a fleet node is about to replace it with the fleet's configuration the
// first time it converges: the file it started with would otherwise be
// gone without a word. The copy is <BackupsDir>/<name>.local.v<version>.<sha256
// prefix>, readable by this user only, outside the numbered backups
// (those rotate, oldest version first, and a node's own file has no
// reason to be newer than the fleet's). existed says an identical copy
// was kept already (the node was started again on the same file), and
// nothing was written.
func (p *Pipeline) KeepLocal(sum [32]byte) (path string, existed bool, err error) {
	// Under the commit lock: the file cannot be replaced while it is read.
	p.mu.Lock()
	defer p.mu.Unlock()
	b, err := os.ReadFile(p.live.Path())
	if err != nil {
		return "", false, fmt.Errorf("keep a copy of the live file: %w", err)
	}
	if sha256.Sum256(b) != sum {
		return "", false, errors.New("keep a copy of the live file: it changed meanwhile")
	}
	name := filepath.Base(p.live.Path())
	path = filepath.Join(p.opts.BackupsDir, fmt.Sprintf("%s.local.v%d.%s", name, p.live.state.Load().doc.Version(), hex.EncodeToString(sum[:6])))
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return path, true, nil
	}
	if err := os.MkdirAll(p.opts.BackupsDir, 0o700); err != nil {
		return "", false, fmt.Errorf("keep a copy of the live file: backups_dir: %w", err)
	}
	// Written aside and renamed, so a copy that is there is whole.
	tmp := path + ".dp-tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		os.Remove(tmp)
		return "", false, fmt.Errorf("keep a copy of the live file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", false, fmt.Errorf("keep a copy of the live file: %w", err)
	}
	return path, false, nil
}
