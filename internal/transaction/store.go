// Package transaction owns the live haproxy.cfg document and its staged
// copies: optimistic version checks, transactions, and the one serialized
// commit path (render, `haproxy -c`, atomic replace, apply).
package transaction

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"dataplane/internal/config"
	"dataplane/internal/reload"
)

// ErrVersionMismatch is returned when the version a change is based on is
// not the current one.
var ErrVersionMismatch = errors.New("version mismatch")

// VersionError says which versions disagreed.
type VersionError struct {
	Current, Given int64
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("version in configuration file is %d, given version is %d", e.Current, e.Given)
}

func (e *VersionError) Unwrap() error { return ErrVersionMismatch }

// Options configures a Store.
type Options struct {
	ConfigFile string
	Checker    *reload.Checker
	Logger     *slog.Logger
	// BackupsNumber > 0 keeps that many pre-commit copies of the file as
	// <BackupsDir>/<name>.<version>.
	BackupsNumber int
	BackupsDir    string // default: the config file's directory
	// RejectedDir keeps configurations that failed to come up after a
	// reload and were rolled back ("" = not kept).
	RejectedDir string
	// StateFile remembers the highest version issued and the configuration
	// HAProxy was last seen to run, across restarts ("" = memory only).
	StateFile string
}

// Store holds the live document and serializes every change to it.
type Store struct {
	opts Options
	log  *slog.Logger

	// mu serializes commits, reloads and runtime applies, so the file,
	// the published document and what HAProxy runs move together.
	mu sync.Mutex
	// running is the document HAProxy runs (the last one applied with
	// success). Guarded by mu.
	running *config.Document
	sched   *reload.Scheduler
	strat   reload.Strategy
	applier Applier
	// checked is the last document that passed `haproxy -c` as a whole.
	checked      *config.Document
	beforeReload func(ctx context.Context, running, next *config.Document) error
	afterReload  func()

	live      atomic.Pointer[liveState]
	refreshMu sync.Mutex
	commitObs commitObserver // metrics hook, see observe.go

	tx *Manager // explicit transactions; nil until connected

	// maxIssued is the highest version ever published: new versions
	// always go above it, so none is reused after a rollback.
	maxIssued atomic.Int64
	// appliedSum is the hash of the file HAProxy was last seen to run (nil:
	// unknown); dirty says HAProxy may differ from running (a runtime plan
	// failed half-way, or a reload could not be verified): the next change
	// reloads instead of going through the runtime path. Guarded by mu.
	appliedSum *[32]byte
	dirty      bool
}

type liveState struct {
	doc   *config.Document
	stamp fileStamp
}

// fileStamp identifies the bytes of the file on disk cheaply (stat) and
// exactly (hash).
type fileStamp struct {
	size  int64
	mtime time.Time
	ino   uint64
	sum   [32]byte
}

// Open loads the live file, removes temporary files a crash left beside it,
// and assumes HAProxy runs what the file holds.
func Open(opts Options) (*Store, error) {
	s := &Store{opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.BackupsDir == "" {
		s.opts.BackupsDir = filepath.Dir(opts.ConfigFile)
	}
	removed, err := reload.CleanStale(opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	for _, f := range removed {
		s.log.Warn("removed a temporary file left by an interrupted commit", "file", f)
	}
	st, err := s.readFile(0)
	if err != nil {
		return nil, err
	}
	s.live.Store(st)
	s.running = st.doc
	saved := s.loadApplied()
	s.maxIssued.Store(max(saved.MaxIssued, st.doc.Version()))
	switch {
	case saved.Applied == "":
		// First start with this state file: assume HAProxy runs the file.
		s.markApplied()
	case saved.Applied != hexSum(st.stamp.sum):
		// The file changed after HAProxy last applied it (a crash between
		// the write and the reload, or skip_reload): HAProxy may run
		// something else. The next change reloads; NeedsReload tells the
		// caller to reload at once.
		s.dirty = true
		s.log.Warn("HAProxy may not run the current configuration file (it changed after the last apply); a reload is due", "file", opts.ConfigFile)
	default:
		sum := st.stamp.sum
		s.appliedSum = &sum
	}
	go warm(st.doc)
	return s, nil
}

// NeedsReload reports whether HAProxy may not run the live file (see Open).
func (s *Store) NeedsReload() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dirty
}

func hexSum(sum [32]byte) string { return hex.EncodeToString(sum[:]) }

// warm builds the typed views of a freshly loaded document in the
// background, so the first GET of 10,000 backends finds them ready.
func warm(d *config.Document) {
	d.Frontends()
	d.Backends()
	d.DefaultsSections()
}

// SetReloader connects the reload scheduler and the strategy it runs. The
// scheduler's RunFunc must be s.PerformReload.
func (s *Store) SetReloader(sched *reload.Scheduler, strat reload.Strategy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sched, s.strat = sched, strat
}

// ConfigFile is the path of the live file.
func (s *Store) ConfigFile() string { return s.opts.ConfigFile }

// readFile reads and parses the live file. A file without `# _version` is
// version 1; minVersion lets an external edit move the version on.
func (s *Store) readFile(minVersion int64) (*liveState, error) {
	f, err := os.Open(s.opts.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.opts.ConfigFile, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", s.opts.ConfigFile, err)
	}
	data := make([]byte, fi.Size())
	if _, err := readFull(f, data); err != nil {
		return nil, fmt.Errorf("read %s: %w", s.opts.ConfigFile, err)
	}
	doc, err := config.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", s.opts.ConfigFile, err)
	}
	if doc.Version() < minVersion {
		doc = doc.WithVersion(minVersion)
	}
	return &liveState{doc: doc, stamp: stampOf(fi, data)}, nil
}

func readFull(f *os.File, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := f.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func stampOf(fi os.FileInfo, data []byte) fileStamp {
	st := fileStamp{size: fi.Size(), mtime: fi.ModTime(), sum: sha256.Sum256(data)}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st
}

// Live returns the current document. A file changed behind the server's
// back is noticed here (stat, then hash), re-read, and its version moved on
// past the previous one so that writers holding the old version get 409.
func (s *Store) Live() (*config.Document, error) {
	if err := s.refresh(); err != nil {
		return nil, err
	}
	return s.live.Load().doc, nil
}

// Version is the current version.
func (s *Store) Version() (int64, error) {
	d, err := s.Live()
	if err != nil {
		return 0, err
	}
	return d.Version(), nil
}

func (s *Store) refresh() error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	cur := s.live.Load()
	fi, err := os.Stat(s.opts.ConfigFile)
	if err != nil {
		return fmt.Errorf("stat %s: %w", s.opts.ConfigFile, err)
	}
	if sameStat(cur.stamp, fi) {
		return nil
	}
	next, err := s.readFile(0)
	if err != nil {
		return err
	}
	if next.stamp.sum == cur.stamp.sum {
		// Same bytes (touched, or rewritten identically): keep the
		// published document, note the new stat.
		s.live.Store(&liveState{doc: cur.doc, stamp: next.stamp})
		return nil
	}
	if v := max(cur.doc.Version(), s.maxIssued.Load()) + 1; next.doc.Version() < v {
		next.doc = next.doc.WithVersion(v)
	}
	s.bumpIssued(next.doc.Version())
	s.log.Warn("configuration file changed outside the API; reloaded it",
		"file", s.opts.ConfigFile, "version", next.doc.Version())
	s.live.Store(next)
	go warm(next.doc)
	return nil
}

func sameStat(st fileStamp, fi os.FileInfo) bool {
	if st.size != fi.Size() || !st.mtime.Equal(fi.ModTime()) {
		return false
	}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok && sys.Ino != st.ino {
		return false
	}
	return true
}

// CommitOptions says how a change is applied.
type CommitOptions struct {
	SkipReload  bool // write the file only
	ForceReload bool // wait for the reload and report its outcome
	// KeepVersion keeps the new document's own `# _version` (raw POST with
	// skip_version) instead of setting the current version + 1.
	KeepVersion bool
}

// Result describes a committed change.
type Result struct {
	InTransaction bool             // staged in a transaction: nothing applied yet
	Doc           *config.Document // the new live document
	Version       int64
	ReloadID      string // the reload that applies it, "" when none was needed
	Reloaded      bool   // ForceReload: the reload finished with success
	Runtime       bool   // applied through the runtime socket, no reload needed
	Unchanged     bool   // the change was a no-op: nothing written
	Warnings      string // haproxy -c warnings
}

// Target says where a configuration write goes: the live file at a given
// version, or a transaction.
type Target struct {
	Version       int64
	TransactionID string
}

// EditFunc changes a document; returning its input unchanged means the
// change is a no-op.
type EditFunc func(*config.Document) (*config.Document, error)

// ErrNoTransactions is returned for a transaction write before the
// transaction manager is connected.
var ErrNoTransactions = errors.New("transactions are not available")

// Write applies edit to the target: inside a transaction it only changes
// the staged document; otherwise it commits through the validated path.
func (s *Store) Write(ctx context.Context, t Target, edit EditFunc, opts CommitOptions) (Result, error) {
	if t.TransactionID != "" {
		if s.tx == nil {
			return Result{}, ErrNoTransactions
		}
		return s.tx.edit(ctx, t.TransactionID, edit)
	}
	return s.Edit(ctx, t.Version, false, edit, opts)
}

// Replace makes next the live document when baseVersion is current (any
// version when skipVersion).
func (s *Store) Replace(ctx context.Context, baseVersion int64, skipVersion bool, next *config.Document, opts CommitOptions) (Result, error) {
	return s.Edit(ctx, baseVersion, skipVersion, func(live *config.Document) (*config.Document, error) {
		// The same bytes (but for the version line, unless the caller
		// wants its own version kept) are no change.
		if (!opts.KeepVersion || next.Version() == live.Version()) &&
			bytes.Equal(next.WithVersion(live.Version()).Render(), live.Render()) {
			return live, nil
		}
		return next, nil
	}, opts)
}

// Edit applies edit to the live document and commits the result, all under
// the commit lock, when baseVersion is the current version (or skipVersion).
// An edit that returns its input unchanged is a no-op: nothing is written or
// reloaded (unless ForceReload asks for a reload anyway).
func (s *Store) Edit(ctx context.Context, baseVersion int64, skipVersion bool, edit func(*config.Document) (*config.Document, error), opts CommitOptions) (Result, error) {
	res, err := s.editLocked(ctx, baseVersion, skipVersion, edit, opts)
	if err != nil {
		return res, err
	}
	if s.tx != nil && !res.Unchanged {
		s.tx.outdateOthers("", res.Version)
	}
	return s.finish(ctx, res, opts)
}

func (s *Store) editLocked(ctx context.Context, baseVersion int64, skipVersion bool, edit func(*config.Document) (*config.Document, error), opts CommitOptions) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return Result{}, err
	}
	live := s.live.Load().doc
	if !skipVersion && baseVersion != live.Version() {
		return Result{}, &VersionError{Current: live.Version(), Given: baseVersion}
	}
	next, err := edit(live)
	if err != nil {
		return Result{}, err
	}
	if next == live {
		res := Result{Doc: live, Version: live.Version(), Unchanged: true}
		if opts.ForceReload && s.sched != nil {
			res.ReloadID = s.sched.RequestNow()
		}
		return res, nil
	}
	return s.commitLocked(ctx, live, next, opts)
}

// commitLocked writes next over the live file through the validated path
// and hands it to the reload scheduler. s.mu must be held.
func (s *Store) commitLocked(ctx context.Context, live, next *config.Document, opts CommitOptions) (_ Result, err error) {
	defer s.observeCommit(&err)
	// Versions only go up, even past one a rollback left behind; a body's
	// own version (skip_version) is kept only when it is new.
	v := max(live.Version(), s.maxIssued.Load()) + 1
	if !opts.KeepVersion || next.Version() < v {
		next = next.WithVersion(v)
	}
	data := next.Render()
	path := s.opts.ConfigFile
	tmp, err := reload.StageFile(path, data)
	if err != nil {
		return Result{}, err
	}
	check, err := s.opts.Checker.Check(ctx, tmp, path)
	if err != nil {
		os.Remove(tmp)
		return Result{}, fmt.Errorf("commit version %d: %w", next.Version(), err)
	}
	if err := s.backup(live); err != nil {
		os.Remove(tmp)
		return Result{}, err
	}
	if err := s.promoteAndPublish(tmp, next, data); err != nil {
		return Result{}, err
	}
	s.bumpIssued(next.Version())
	s.checked = next
	res := Result{Doc: next, Version: next.Version(), Warnings: check.Warnings}
	if opts.SkipReload || s.sched == nil {
		return res, nil
	}
	// Runtime first: when nothing is waiting for a reload and every
	// difference between what HAProxy runs and the new file can be applied
	// through the socket, no reload at all. A failed runtime command falls
	// back to a reload, which makes HAProxy match the file.
	if s.applier != nil && !s.sched.Pending() && !s.dirty && s.running != nil {
		ok, err := s.applier.Apply(ctx, s.running, next)
		switch {
		case err != nil:
			// Some commands may have been applied: HAProxy is in between
			// until the reload below puts it right.
			s.dirty = true
			s.log.Warn("runtime apply failed; reloading instead", "version", next.Version(), "error", err)
		case ok:
			s.running = next
			s.markApplied()
			res.Runtime = true
			return res, nil
		}
	}
	if opts.ForceReload {
		res.ReloadID = s.sched.RequestNow()
	} else {
		res.ReloadID = s.sched.Request()
	}
	return res, nil
}

// Applier applies a committed document through HAProxy's runtime socket
// when it can.
type Applier interface {
	// Apply makes HAProxy run next instead of running. It returns false
	// when next needs a reload, and an error when a runtime command failed.
	Apply(ctx context.Context, running, next *config.Document) (bool, error)
}

// SetApplier enables the runtime path for commits.
func (s *Store) SetApplier(a Applier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applier = a
}

// promoteAndPublish renames the staged file over the live one and makes
// doc the live document, as one step for readers: refresh() cannot see the
// new file before its document is published (it would take our own write
// for an external edit).
func (s *Store) promoteAndPublish(tmp string, doc *config.Document, data []byte) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if err := reload.Promote(tmp, s.opts.ConfigFile); err != nil {
		return err
	}
	return s.publishLocked(doc, data)
}

// writeAndPublish replaces the live file with data (already validated) and
// publishes doc, as one step for readers.
func (s *Store) writeAndPublish(doc *config.Document, data []byte) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if err := reload.WriteFileAtomic(s.opts.ConfigFile, data); err != nil {
		return err
	}
	return s.publishLocked(doc, data)
}

// publishLocked makes doc the live document; refreshMu must be held.
func (s *Store) publishLocked(doc *config.Document, data []byte) error {
	fi, err := os.Stat(s.opts.ConfigFile)
	if err != nil {
		return fmt.Errorf("stat %s: %w", s.opts.ConfigFile, err)
	}
	s.live.Store(&liveState{doc: doc, stamp: stampOf(fi, data)})
	return nil
}

// bumpIssued raises maxIssued to v.
func (s *Store) bumpIssued(v int64) {
	for {
		cur := s.maxIssued.Load()
		if v <= cur || s.maxIssued.CompareAndSwap(cur, v) {
			return
		}
	}
}

// finish waits for the reload when the caller asked for it.
func (s *Store) finish(ctx context.Context, res Result, opts CommitOptions) (Result, error) {
	if !opts.ForceReload || res.ReloadID == "" {
		return res, nil
	}
	rec, err := s.sched.Wait(ctx, res.ReloadID)
	if err != nil {
		return res, err
	}
	if rec.Status != reload.StatusSucceeded {
		return res, fmt.Errorf("reload %s failed: %s: %w", rec.ID, rec.Response, reload.ErrReloadFailed)
	}
	res.Reloaded = true
	// A failed reload may have rolled the document back; report what is
	// live now.
	if d, err := s.Live(); err == nil {
		res.Doc, res.Version = d, d.Version()
	}
	return res, nil
}

// Reload asks for a reload of the live configuration (POST /reloads).
func (s *Store) Reload(ctx context.Context, wait bool) (reload.Record, error) {
	if s.sched == nil {
		return reload.Record{}, errors.New("no reload strategy configured")
	}
	if !wait {
		id := s.sched.Request()
		return s.sched.Get(id)
	}
	id := s.sched.RequestNow()
	rec, err := s.sched.Wait(ctx, id)
	if err != nil {
		return rec, err
	}
	if rec.Status != reload.StatusSucceeded {
		return rec, fmt.Errorf("reload %s failed: %s: %w", rec.ID, rec.Response, reload.ErrReloadFailed)
	}
	return rec, nil
}

// PerformReload is the scheduler's RunFunc: it validates the live file,
// reloads HAProxy, and on failure puts the last configuration that ran back
// in place (file, document and version), so HAProxy and the file agree.
func (s *Store) PerformReload(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return "", err
	}
	cur := s.live.Load().doc
	// The file may have been edited by hand since the last commit: never
	// reload a file HAProxy would refuse. A document this store committed
	// was checked already.
	if cur != s.checked {
		if _, err := s.opts.Checker.Check(ctx, s.opts.ConfigFile, s.opts.ConfigFile); err != nil {
			return "", s.rollbackLocked(cur, fmt.Errorf("reload: %w", err))
		}
		s.checked = cur
	}
	if s.beforeReload != nil {
		if err := s.beforeReload(ctx, s.running, cur); err != nil {
			s.log.Warn("preparing the reload", "error", err)
		}
	}
	out, err := s.strat.Reload(ctx)
	switch {
	case errors.Is(err, reload.ErrNotVerified):
		// HAProxy may well run the new file: putting the old one back
		// would make them disagree. Keep the file; the next change
		// reloads again.
		s.dirty = true
		s.running = cur
		return out, fmt.Errorf("%w; the configuration file was kept (HAProxy may run it)", err)
	case err != nil:
		return out, s.rollbackLocked(cur, err)
	}
	s.running = cur
	s.markApplied()
	if s.afterReload != nil {
		s.afterReload()
	}
	return out, nil
}

// SetAfterReload sets a function run after each successful reload (used to
// follow a stats socket the new configuration moved).
func (s *Store) SetAfterReload(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterReload = f
}

// SetBeforeReload sets a function run just before each reload, with what
// HAProxy runs and what it is about to run (used to save server states).
// Its errors are logged, not fatal.
func (s *Store) SetBeforeReload(f func(ctx context.Context, running, next *config.Document) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeReload = f
}

// rollbackLocked restores the document HAProxy still runs after a failed
// reload, and returns cause with what was done.
func (s *Store) rollbackLocked(failed *config.Document, cause error) error {
	good := s.running
	if good == failed || good == nil {
		return cause
	}
	kept := s.keepRejected(failed)
	data := good.Render()
	if err := s.writeAndPublish(good, data); err != nil {
		return fmt.Errorf("%w; and restoring version %d failed: %v", cause, good.Version(), err)
	}
	s.checked = good
	// Transactions begun on the rolled back version can no longer be
	// committed; versions stay above it (maxIssued), so none is reused.
	if s.tx != nil {
		s.tx.outdateAllBut(good.Version())
	}
	s.log.Warn("reload failed; restored the last configuration that ran",
		"failed_version", failed.Version(), "restored_version", good.Version())
	msg := fmt.Sprintf("restored version %d, which HAProxy still runs", good.Version())
	if kept != "" {
		msg += "; the rejected file is kept as " + kept
	}
	return fmt.Errorf("%w; %s", cause, msg)
}

// keepRejected saves a configuration that failed to come up, so a rolled
// back change (or a hand edit) can still be looked at. It returns the path,
// or "" when there is nowhere to keep it.
func (s *Store) keepRejected(doc *config.Document) string {
	if s.opts.RejectedDir == "" {
		return ""
	}
	if err := os.MkdirAll(s.opts.RejectedDir, 0o700); err != nil {
		return ""
	}
	p := filepath.Join(s.opts.RejectedDir, fmt.Sprintf("%s.v%d.%s", filepath.Base(s.opts.ConfigFile), doc.Version(), time.Now().UTC().Format("20060102T150405.000Z")))
	if err := os.WriteFile(p, doc.Render(), 0o600); err != nil {
		return ""
	}
	// Keep the last keepRejected files (their names sort by time).
	if entries, err := os.ReadDir(s.opts.RejectedDir); err == nil && len(entries) > keepRejected {
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names[:len(names)-keepRejected] {
			os.Remove(filepath.Join(s.opts.RejectedDir, n))
		}
	}
	return p
}

// keepRejected is how many rejected configurations are kept.
const keepRejected = 20

// backup keeps the pre-commit file as <name>.<version> and removes the
// oldest beyond BackupsNumber (by version, whatever gaps versions have).
func (s *Store) backup(live *config.Document) error {
	n := s.opts.BackupsNumber
	if n <= 0 {
		return nil
	}
	name := filepath.Base(s.opts.ConfigFile)
	path := filepath.Join(s.opts.BackupsDir, fmt.Sprintf("%s.%d", name, live.Version()))
	if err := reload.WriteFileAtomic(path, live.Render()); err != nil {
		return fmt.Errorf("backup version %d: %w", live.Version(), err)
	}
	entries, err := os.ReadDir(s.opts.BackupsDir)
	if err != nil {
		return nil
	}
	var versions []int64
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), name+".")
		if !ok {
			continue
		}
		if v, err := strconv.ParseInt(rest, 10, 64); err == nil {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	for len(versions) > n {
		old := filepath.Join(s.opts.BackupsDir, fmt.Sprintf("%s.%d", name, versions[0]))
		if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("could not remove an old backup", "file", old, "error", err)
		}
		versions = versions[1:]
	}
	return nil
}

// Backup returns the bytes of the backup of version v.
func (s *Store) Backup(v int64) ([]byte, error) {
	if s.opts.BackupsNumber <= 0 {
		return nil, fmt.Errorf("version %d: backups are off (backups_number = 0): %w", v, config.ErrNotFound)
	}
	name := filepath.Base(s.opts.ConfigFile)
	b, err := os.ReadFile(filepath.Join(s.opts.BackupsDir, fmt.Sprintf("%s.%d", name, v)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("backup of version %d: %w", v, config.ErrNotFound)
	}
	return b, err
}

// Validate runs `haproxy -c` on data without writing the live file (raw
// POST with only_validate). The check runs on a temporary file beside the
// live one, so relative paths resolve as they would for the real file.
func (s *Store) Validate(ctx context.Context, data []byte) (reload.CheckResult, error) {
	tmp, err := reload.StageFile(s.opts.ConfigFile, data)
	if err != nil {
		return reload.CheckResult{}, err
	}
	defer os.Remove(tmp)
	return s.opts.Checker.Check(ctx, tmp, s.opts.ConfigFile)
}
