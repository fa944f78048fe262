// Package transaction owns the live haproxy.cfg (Live), the one serialized
// path every change takes to it (Pipeline: render, `haproxy -c`, atomic
// replace, backup, apply through the runtime socket or a reload, roll
// back), and the staged documents of explicit transactions (Manager),
// which commit through that path.
package transaction

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"dataplane/internal/config"
	"dataplane/internal/fault"
	"dataplane/internal/reload"
)

// ErrVersionMismatch is returned when the version a change is based on is
// not the current one.
var ErrVersionMismatch = fault.Sentinel(fault.Conflict, "version mismatch")

// VersionError says which versions disagreed.
type VersionError struct {
	Current, Given int64
}

func (e *VersionError) Error() string {
	if e.Current == e.Given {
		return fmt.Sprintf("the configuration changed since version %d was read (a failed reload put it back)", e.Given)
	}
	return fmt.Sprintf("version in configuration file is %d, given version is %d", e.Current, e.Given)
}

func (e *VersionError) Unwrap() error { return ErrVersionMismatch }

// Options configures a Pipeline.
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
	// WarmLater leaves the typed views of the document first loaded to be
	// built by the caller (Live.Warm), when it has more urgent work;
	// otherwise Open builds them in the background at once.
	WarmLater bool
	// Preflight, when set, checks a document `haproxy -c` accepted against
	// the host and against what HAProxy runs (see internal/preflight):
	// what it refuses never reaches the live file.
	Preflight func(running, next *config.Document) error
}

// CommitOptions says how a change is applied.
type CommitOptions struct {
	SkipReload  bool // write the file only
	ForceReload bool // wait for the reload and report its outcome
	// KeepVersion keeps the new document's own `# _version` (raw POST with
	// skip_version) instead of setting the current version + 1.
	KeepVersion bool
	// DryRun goes through the commit up to what it would do, and does
	// none of it: Result.Plan says what (see DryRun).
	DryRun bool
	// adopt marks a fleet's desired document being made live here
	// (Adopt): it keeps its own version and is not published back.
	adopt bool
}

// Base is what a change is based on.
type Base struct {
	// Version is the live version the client read.
	Version int64
	// AnyVersion skips the version check (raw POST with skip_version).
	AnyVersion bool
	// Generation, when not 0, is the live generation the change was
	// staged on (a transaction): a publication since makes it stale even
	// when the version is the same again (a rollback).
	Generation uint64
}

// EditFunc changes a document; returning its input unchanged means the
// change is a no-op.
type EditFunc func(*config.Document) (*config.Document, error)

// Applier applies a committed document through HAProxy's runtime socket
// when it can.
type Applier interface {
	// Apply makes HAProxy run next instead of running. It returns false
	// when next needs a reload, and an error when a runtime command failed.
	Apply(ctx context.Context, running, next *config.Document) (bool, error)
	// Preview says what Apply would do, from the same plan: the runtime
	// commands it would send, or why it would reload instead (reload) and
	// the commands of the differences that ride along with it (deferred).
	// An error is a command Apply would fail to build, so it would reload.
	Preview(ctx context.Context, running, next *config.Document) (commands []string, reload string, deferred []string, err error)
}

// Pipeline is the one path every change takes to the live file and to
// HAProxy, serialized.
type Pipeline struct {
	opts Options
	log  *slog.Logger
	live *Live

	// mu serializes commits, reloads and runtime applies, so the file,
	// the published document and what HAProxy runs move together.
	mu sync.Mutex
	// running is the document HAProxy runs (the last one applied with
	// success).
	running *config.Document
	// checked is the last document that passed `haproxy -c` as a whole.
	checked *config.Document
	// appliedSum is the hash of the file HAProxy was last seen to run (nil:
	// unknown); dirty says HAProxy may differ from running (a runtime plan
	// failed half-way, or a reload could not be verified): the next change
	// reloads instead of going through the runtime path.
	appliedSum *[32]byte
	dirty      bool

	// reloading is closed when the reload in progress ends; nil when none
	// runs. The commit lock is not held while HAProxy reloads, so reads,
	// transactions and skip_reload writes go on; a change that must be
	// applied waits for it (a rollback could otherwise undo it).
	reloading chan struct{}

	sched        *reload.Scheduler
	strat        reload.Strategy
	applier      Applier
	beforeReload func(ctx context.Context, running, next *config.Document) error
	afterReload  func()
	keeper       Keeper
	commitObs    atomic.Pointer[func(outcome string)]
	// publisher, in fleet mode, stores every checked document as the
	// fleet's desired configuration before it is applied here (see
	// fleet.go); applied hears what HAProxy ended up running.
	publisher Publisher
	applied   func(doc *config.Document, reloaded bool, err error)
	// waiting are the committed changes waiting for a reload, in order:
	// when a reload of several fails, they are tried one by one.
	waiting []waitingChange
}

// waitingChange is a committed change whose reload has not run yet.
type waitingChange struct {
	id   string           // its own Reload-ID
	base *config.Document // the live document it was made on
	doc  *config.Document // the document it made
	// rebase makes the change again on another document; nil for a whole
	// replacement (a raw file, a transaction), which cannot be made
	// again without the changes it was based on.
	rebase EditFunc
}

// Open loads the live file and builds the pipeline in front of it,
// assuming HAProxy runs what the file holds unless the state file says
// otherwise.
func Open(opts Options) (*Pipeline, error) {
	live, err := OpenLive(opts.ConfigFile, opts.Logger)
	if err != nil {
		return nil, err
	}
	if !opts.WarmLater {
		go live.Warm()
	}
	return NewPipeline(live, opts), nil
}

// NewPipeline builds the pipeline in front of live.
func NewPipeline(live *Live, opts Options) *Pipeline {
	p := &Pipeline{opts: opts, log: opts.Logger, live: live}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.opts.BackupsDir == "" {
		p.opts.BackupsDir = dirOf(live.Path())
	}
	doc := live.state.Load().doc
	p.running = doc
	saved := p.loadApplied()
	live.raiseIssued(saved.MaxIssued)
	switch cur := live.sum(); {
	case saved.Applied == "":
		// First start with this state file: assume HAProxy runs the file.
		p.markApplied()
	case saved.Applied != hex.EncodeToString(cur[:]):
		// The file changed after HAProxy last applied it (a crash between
		// the write and the reload, or skip_reload): HAProxy may run
		// something else. The next change reloads; NeedsReload tells the
		// caller to reload at once.
		p.dirty = true
		p.log.Warn("HAProxy may not run the current configuration file (it changed after the last apply); a reload is due", "file", live.Path())
	default:
		p.appliedSum = &cur
	}
	return p
}

// Live is the live file and document.
func (p *Pipeline) Live() *Live { return p.live }

// ConfigFile is the path of the live file.
func (p *Pipeline) ConfigFile() string { return p.live.Path() }

// NeedsReload reports whether HAProxy may not run the live file.
func (p *Pipeline) NeedsReload() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dirty
}

// SetReloader connects the reload scheduler and the strategy it runs. The
// scheduler's RunFunc must be p.PerformReload.
func (p *Pipeline) SetReloader(sched *reload.Scheduler, strat reload.Strategy) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sched, p.strat = sched, strat
}

// SetApplier enables the runtime path for commits.
func (p *Pipeline) SetApplier(a Applier) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.applier = a
}

// Keeper knows whether HAProxy runs and starts it when it does not (see
// reload.Keeper).
type Keeper interface {
	// Gone looks now and says why nothing runs HAProxy; "" when it runs.
	Gone(ctx context.Context) string
	// Start starts HAProxy with the live file and waits until it serves.
	Start(ctx context.Context) (string, error)
	// Status is what the last look found.
	Status() reload.KeeperStatus
}

// SetKeeper makes reloads start HAProxy when nothing runs it, and
// rollbacks say so.
func (p *Pipeline) SetKeeper(k Keeper) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keeper = k
}

// SetAfterReload sets a function run after each successful reload (used to
// follow a stats socket the new configuration moved).
func (p *Pipeline) SetAfterReload(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.afterReload = f
}

// SetBeforeReload sets a function run just before each reload, with what
// HAProxy runs and what it is about to run (used to save server states).
// Its errors are logged, not fatal.
func (p *Pipeline) SetBeforeReload(f func(ctx context.Context, running, next *config.Document) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.beforeReload = f
}

// Edit applies edit to the live document and commits the result, all under
// the commit lock, when base still holds. An edit that returns its input
// unchanged is a no-op: nothing is written or reloaded (unless
// ForceReload asks for a reload anyway).
func (p *Pipeline) Edit(ctx context.Context, base Base, edit EditFunc, opts CommitOptions) (Result, error) {
	return p.edit(ctx, base, edit, opts, false)
}

// edit is Edit; whole says that edit replaces the document rather than
// changing it (it cannot be made again on another document).
func (p *Pipeline) edit(ctx context.Context, base Base, edit EditFunc, opts CommitOptions, whole bool) (Result, error) {
	res, err := p.editLocked(ctx, base, edit, opts, whole)
	if err != nil {
		return res, err
	}
	return p.finish(ctx, res, opts)
}

// Replace makes next the live document when baseVersion is current (any
// version when skipVersion).
func (p *Pipeline) Replace(ctx context.Context, baseVersion int64, skipVersion bool, next *config.Document, opts CommitOptions) (Result, error) {
	return p.edit(ctx, Base{Version: baseVersion, AnyVersion: skipVersion}, func(live *config.Document) (*config.Document, error) {
		return replacement(live, next, opts), nil
	}, opts, true)
}

// replacement is what replacing live with next makes: live itself when
// next holds the same bytes (but for the version line, unless the caller
// wants its own version kept), which is no change.
func replacement(live, next *config.Document, opts CommitOptions) *config.Document {
	if (!opts.KeepVersion || next.Version() == live.Version()) &&
		sameBytes(next.WithVersion(live.Version()), live) {
		return live
	}
	return next
}

func (p *Pipeline) editLocked(ctx context.Context, base Base, edit EditFunc, opts CommitOptions, whole bool) (Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !opts.SkipReload {
		if err := p.waitReloadLocked(ctx); err != nil {
			return Result{}, err
		}
	}
	if err := p.live.refresh(); err != nil {
		return Result{}, err
	}
	// Fleet mode: a node that cannot take part now refuses before the
	// version check, which would otherwise send the client in circles.
	if p.publisher != nil && !opts.adopt && !opts.DryRun {
		if err := p.publisher.Writable(); err != nil {
			return Result{}, err
		}
	}
	live := p.live.state.Load().doc
	if !base.AnyVersion && base.Version != live.Version() ||
		base.Generation != 0 && base.Generation != p.live.Generation() {
		return Result{}, &VersionError{Current: live.Version(), Given: base.Version}
	}
	next, err := edit(live)
	if err != nil {
		return Result{}, err
	}
	if next == live {
		res := Result{Outcome: Unchanged, Doc: live, Version: live.Version()}
		if opts.DryRun {
			res.Plan = &DryRun{Version: live.Version(), Valid: true, Apply: []string{"nothing: the change leaves the configuration as it is"}}
			return res, nil
		}
		if opts.ForceReload && p.sched != nil && !opts.adopt {
			res.Outcome, res.ReloadID = ReloadScheduled, p.sched.RequestNow()
		}
		return res, nil
	}
	if opts.DryRun {
		return p.dryRunLocked(ctx, live, next, opts)
	}
	rebase := edit
	if whole {
		rebase = nil
	}
	return p.commitLocked(ctx, live, next, opts, rebase)
}

// waitReloadLocked waits, with p.mu held on entry and on return, until no
// reload is in progress, or ctx ends.
func (p *Pipeline) waitReloadLocked(ctx context.Context) error {
	for p.reloading != nil {
		done := p.reloading
		p.mu.Unlock()
		select {
		case <-done:
			p.mu.Lock()
		case <-ctx.Done():
			p.mu.Lock()
			return fmt.Errorf("waiting for the reload in progress: %w", ctx.Err())
		}
	}
	return nil
}

// commitLocked writes next over the live file through the validated path
// and applies it. p.mu must be held.
func (p *Pipeline) commitLocked(ctx context.Context, live, next *config.Document, opts CommitOptions, rebase EditFunc) (_ Result, err error) {
	defer p.observeCommit(&err)
	next, tmp, sum, check, err := p.stageLocked(ctx, next, opts)
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return Result{}, fmt.Errorf("commit version %d: %w", next.Version(), err)
	}
	// Fleet mode: the store takes the checked document first (a
	// compare-and-swap on the version it was based on); only then does
	// any node, this one included, apply it.
	if p.publisher != nil && !opts.adopt {
		if err := p.publisher.Publish(ctx, live, next, opts.SkipReload); err != nil {
			os.Remove(tmp)
			return Result{}, fmt.Errorf("commit version %d: %w", next.Version(), err)
		}
	}
	if err := p.backup(live); err != nil {
		os.Remove(tmp)
		return Result{}, err
	}
	if err := p.live.promote(tmp, next, sum); err != nil {
		return Result{}, err
	}
	p.checked = next
	auditConfig(ctx, p.live.Path(), live, next, next.Version())
	res := Result{Outcome: Written, Doc: next, Version: next.Version(), Warnings: check.Warnings}
	if opts.SkipReload || p.sched == nil {
		return res, nil
	}
	// Runtime first: when nothing is waiting for a reload and every
	// difference between what HAProxy runs and the new file can be applied
	// through the socket, no reload at all. A failed runtime command falls
	// back to a reload, which makes HAProxy match the file.
	down := p.keeper != nil && p.keeper.Status().Down
	if p.runtimeBlockedLocked() == "" {
		ok, err := p.applier.Apply(ctx, p.running, next)
		switch {
		case err != nil:
			// Some commands may have been applied: HAProxy is in between
			// until the reload below puts it right.
			p.dirty = true
			p.log.Warn("runtime apply failed; reloading instead", "version", next.Version(), "error", err)
			res.Notes = append(res.Notes, fmt.Sprintf("applying version %d through the runtime socket failed (%v): reloading instead", next.Version(), err))
		case ok:
			p.running = next
			p.markApplied()
			p.noteApplied(next, false, nil)
			res.Outcome = AppliedLive
			return res, nil
		}
	}
	res.Outcome = ReloadScheduled
	// Fleet mode: every other node applies this version as soon as it is
	// stored, so the node that wrote it does too, rather than last, after
	// reload_delay (the client still gets its Reload-ID).
	if opts.ForceReload || down || p.publisher != nil {
		res.ReloadID = p.sched.RequestNow()
	} else {
		res.ReloadID = p.sched.Request()
	}
	if down {
		res.Notes = append(res.Notes, fmt.Sprintf("HAProxy is not running (%s): reload %s starts it with version %d",
			p.keeper.Status().Reason, res.ReloadID, next.Version()))
	}
	for _, n := range res.Notes {
		p.sched.Note(res.ReloadID, n)
	}
	p.waiting = append(p.waiting, waitingChange{id: res.ReloadID, base: live, doc: next, rebase: rebase})
	return res, nil
}

// stageLocked gives next its version, writes it to a temporary file
// beside the live one (tmp, "" when it could not) and checks it:
// `haproxy -c`, then the preflight. p.mu must be held.
func (p *Pipeline) stageLocked(ctx context.Context, next *config.Document, opts CommitOptions) (_ *config.Document, tmp string, sum [32]byte, check reload.CheckResult, err error) {
	// Versions only go up, even past one a rollback left behind; a body's
	// own version (skip_version) is kept only when it is new.
	v := p.live.NextVersion()
	if !opts.adopt && (!opts.KeepVersion || next.Version() < v) {
		next = next.WithVersion(v)
	}
	path := p.live.Path()
	tmp, sum, err = stageDoc(path, path, next)
	if err != nil {
		return next, "", sum, check, err
	}
	check, err = p.opts.Checker.Check(ctx, tmp, path)
	if err == nil && p.opts.Preflight != nil {
		err = p.opts.Preflight(p.running, next)
	}
	return next, tmp, sum, check, err
}

// runtimeBlockedLocked says why a commit cannot try the runtime path
// now, "" when it can. p.mu must be held; p.sched is set.
func (p *Pipeline) runtimeBlockedLocked() string {
	switch {
	case p.applier == nil:
		return "runtime changes are off"
	case p.sched.Pending():
		return "a reload is already pending, which takes the change along"
	case p.dirty:
		return "HAProxy may not run the live file (a runtime change failed half-way, or a reload was not verified)"
	case p.running == nil:
		return "what HAProxy runs is not known"
	case p.keeper != nil && p.keeper.Status().Down:
		return fmt.Sprintf("HAProxy is not running (%s): the reload starts it", p.keeper.Status().Reason)
	}
	return ""
}

// DryRun is what a commit would do, found by going through it up to the
// point where it would write the file: the same version, check, and
// runtime-or-reload decision and plan as the commit itself.
type DryRun struct {
	Version  int64  // the version the change would get
	Diff     string // unified diff of the live file and the new one
	Valid    bool   // haproxy -c (and the preflight) accept the new file
	Messages string // their messages: why not, or warnings
	// Apply is what applying would do, in order: each runtime command,
	// or "reload: <why>", or what else ("write the file only: ...").
	Apply []string
	// Deferred are the runtime commands of differences that could go
	// live on their own but go with the reload Apply says is needed.
	Deferred []string
}

// dryRunLocked answers a dry run of next: nothing is written, reloaded,
// sent or counted. p.mu must be held.
func (p *Pipeline) dryRunLocked(ctx context.Context, live, next *config.Document, opts CommitOptions) (Result, error) {
	next, tmp, _, check, err := p.stageLocked(ctx, next, opts)
	if tmp != "" {
		os.Remove(tmp)
	}
	var verr *reload.ValidationError
	if err != nil && !errors.As(err, &verr) && !errors.Is(err, reload.ErrValidation) {
		return Result{}, fmt.Errorf("dry run of version %d: %w", next.Version(), err)
	}
	name := "haproxy.cfg"
	plan := &DryRun{
		Version:  next.Version(),
		Diff:     UnifiedDiff(fmt.Sprintf("%s (live, version %d)", name, live.Version()), fmt.Sprintf("%s (version %d)", name, next.Version()), live.Render(), next.Render()),
		Valid:    err == nil,
		Messages: check.Warnings,
	}
	res := Result{Outcome: Unchanged, Doc: live, Version: live.Version(), Plan: plan}
	switch {
	case err != nil:
		plan.Messages = err.Error()
		if verr != nil {
			plan.Messages = verr.Messages
		}
		plan.Apply = []string{"nothing: the new file is refused, the commit would answer 400"}
	case opts.SkipReload:
		plan.Apply = []string{"write the file only (skip_reload): HAProxy goes on running version " + itoa64(live.Version())}
	case p.sched == nil:
		plan.Apply = []string{"write the file only: no reload strategy is configured"}
	default:
		why := p.runtimeBlockedLocked()
		var cmds, deferred []string
		if why == "" {
			var perr error
			cmds, why, deferred, perr = p.applier.Preview(ctx, p.running, next)
			if perr != nil {
				why = fmt.Sprintf("the runtime change would fail (%v)", perr)
			}
		}
		switch {
		case why != "":
			plan.Apply = []string{"reload: " + why}
			plan.Deferred = deferred
		case len(cmds) == 0:
			plan.Apply = []string{"nothing to send: HAProxy already runs what the new file says"}
		default:
			plan.Apply = cmds
		}
	}
	return res, nil
}

func itoa64(v int64) string { return fmt.Sprint(v) }

// finish waits for the reload when the caller asked for it.
func (p *Pipeline) finish(ctx context.Context, res Result, opts CommitOptions) (Result, error) {
	if !opts.ForceReload || res.ReloadID == "" {
		return res, nil
	}
	rec, err := p.sched.Wait(ctx, res.ReloadID)
	if err != nil {
		return res, err
	}
	if rec.Status != reload.StatusSucceeded {
		res.Outcome = RolledBack
		return res, fmt.Errorf("reload %s failed: %s: %w", rec.ID, rec.Response, reload.ErrReloadFailed)
	}
	res.Outcome = Reloaded
	// A failed reload may have rolled the document back; report what is
	// live now.
	if d, err := p.live.Doc(); err == nil {
		res.Doc, res.Version = d, d.Version()
	}
	return res, nil
}

// ErrNoReloader is returned for a reload when no strategy is configured.
var ErrNoReloader = fault.Sentinel(fault.Unavailable, "no reload strategy configured")

// Reload asks for a reload of the live configuration (POST /reloads).
func (p *Pipeline) Reload(ctx context.Context, wait bool) (reload.Record, error) {
	if p.sched == nil {
		return reload.Record{}, ErrNoReloader
	}
	if !wait {
		id := p.sched.Request()
		return p.sched.Get(id)
	}
	id := p.sched.RequestNow()
	rec, err := p.sched.Wait(ctx, id)
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
// The commit lock is released while HAProxy reloads: reads, transactions
// and skip_reload writes do not wait for it; changes to apply do.
//
// When a reload of several changes fails, each change is then tried alone
// (oneByOneLocked): only the one that broke it is rolled back.
func (p *Pipeline) PerformReload(ctx context.Context, ids []string) reload.Outcome {
	var mine []waitingChange
	out, err := p.reloadLive(ctx, func() { mine = p.claimWaitingLocked(ids) })
	p.mu.Lock()
	defer p.mu.Unlock()
	res := reload.Outcome{Response: out, Err: err}
	// In fleet mode the changes were each published as the whole desired
	// configuration: trying them one by one would make documents no
	// other node has, so the failure is the whole reload's.
	if err != nil && errors.Is(err, reload.ErrReloadFailed) && len(mine) > 1 && p.publisher == nil {
		res.Each = p.oneByOneLocked(ctx, mine, err)
	}
	return res
}

// claimWaitingLocked takes every waiting change for the reload of ids,
// once the file it reloads is fixed: a change committed after the
// scheduler picked ids (it waited for the commit lock) is in that file
// too, so its request moves into this reload (Scheduler.Claim) and shares
// its outcome, instead of being undone by a rollback while its own
// reload later reports success.
func (p *Pipeline) claimWaitingLocked(ids []string) []waitingChange {
	var later []string
	for _, c := range p.waiting {
		if !slices.Contains(ids, c.id) {
			later = append(later, c.id)
		}
	}
	if len(later) > 0 && p.sched != nil {
		p.sched.Claim(later)
	}
	mine := p.waiting
	p.waiting = nil
	return mine
}

// oneByOneLocked runs after a reload of several changes failed and was
// rolled back: it tries each change alone, in order, on top of the last
// one that went live, so that the change that broke the reload is the
// only one rolled back and each client's record tells its own outcome.
// A change is made again on the new base when it was an edit; a whole
// replacement (raw file, transaction) only goes when its own base went
// live. It holds the commit lock: writes wait until it is over. It
// returns the outcome of each change; nil when the changes cannot be
// told apart (the file moved on, HAProxy is gone).
func (p *Pipeline) oneByOneLocked(ctx context.Context, changes []waitingChange, cause error) map[string]reload.Outcome {
	good := p.running
	if good == nil || changes[0].base != good || p.live.state.Load().doc != good || p.gone(ctx) != "" {
		return nil
	}
	p.log.Warn("a reload of several changes failed; trying them one by one", "changes", len(changes), "error", cause)
	each := make(map[string]reload.Outcome, len(changes))
	// The shared failure is in the log and in the records of the
	// changes not reached; each record says what became of its change.
	alone := fmt.Sprintf("tried alone after the reload of %d changes together failed", len(changes))
	for _, c := range changes {
		cand, err := p.remake(ctx, c, good)
		switch {
		case err != nil:
			each[c.id] = reload.Outcome{Err: fmt.Errorf("%s: %w", alone, err)}
			continue
		case cand == good:
			each[c.id] = reload.Outcome{Response: fmt.Sprintf("%s: it changes nothing on version %d", alone, good.Version())}
			continue
		}
		if err := p.live.write(cand); err != nil {
			each[c.id] = reload.Outcome{Err: fmt.Errorf("%s: write version %d: %w", alone, cand.Version(), err)}
			break
		}
		p.checked = cand
		if p.beforeReload != nil {
			if err := p.beforeReload(ctx, p.running, cand); err != nil {
				p.log.Warn("preparing the reload", "error", err)
			}
		}
		out, err := p.strat.Reload(ctx)
		if err == nil {
			good = cand
			p.running = cand
			p.markApplied()
			if p.afterReload != nil {
				p.afterReload()
			}
			each[c.id] = reload.Outcome{Response: strings.TrimSpace(fmt.Sprintf("version %d runs (%s)\n%s", cand.Version(), alone, out))}
			continue
		}
		if errors.Is(err, reload.ErrNotVerified) {
			// HAProxy may run it: the file stays, the next change
			// reloads again, and the rest cannot be told apart.
			p.dirty = true
			p.running = cand
			each[c.id] = reload.Outcome{Err: fmt.Errorf("%s: %w; the configuration file was kept (HAProxy may run it)", alone, err)}
			break
		}
		each[c.id] = reload.Outcome{Response: out, Err: fmt.Errorf("%s: %w", alone, p.rollbackLocked(cand, err, p.gone(ctx)))}
	}
	// Changes not reached (a write failed, an unverified reload) share
	// the reload's error.
	return each
}

// remake builds change c on top of base: the document it made when base
// is what it was made on, else the change made again (an edit) with a new
// version, checked like a commit.
func (p *Pipeline) remake(ctx context.Context, c waitingChange, base *config.Document) (*config.Document, error) {
	if c.base == base {
		return c.doc, nil
	}
	if c.rebase == nil {
		return nil, fmt.Errorf("it replaced the whole configuration based on version %d, which was rolled back", c.base.Version())
	}
	next, err := c.rebase(base)
	if err != nil {
		return nil, fmt.Errorf("it no longer applies to version %d: %w", base.Version(), err)
	}
	if next == base {
		return base, nil
	}
	next = next.WithVersion(p.live.NextVersion())
	path := p.live.Path()
	tmp, _, err := stageDoc(path, path, next)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if _, err := p.opts.Checker.Check(ctx, tmp, path); err != nil {
		return nil, fmt.Errorf("version %d: %w", next.Version(), err)
	}
	if p.opts.Preflight != nil {
		if err := p.opts.Preflight(p.running, next); err != nil {
			return nil, fmt.Errorf("version %d: %w", next.Version(), err)
		}
	}
	return next, nil
}

// reloadLive reloads HAProxy with the live file (see PerformReload).
// claim runs under the commit lock once the document to reload is fixed.
func (p *Pipeline) reloadLive(ctx context.Context, claim func()) (string, error) {
	p.mu.Lock()
	claim()
	if err := p.waitReloadLocked(ctx); err != nil {
		p.mu.Unlock()
		return "", err
	}
	if err := p.live.refresh(); err != nil {
		p.mu.Unlock()
		return "", err
	}
	cur := p.live.state.Load().doc
	// The file may have been edited by hand since the last commit: never
	// reload a file HAProxy would refuse. A document this pipeline
	// committed was checked already.
	if cur != p.checked {
		if _, err := p.opts.Checker.Check(ctx, p.live.Path(), p.live.Path()); err != nil {
			defer p.mu.Unlock()
			return "", p.rollbackLocked(cur, fmt.Errorf("reload: %w", err), p.gone(ctx))
		}
		p.checked = cur
	}
	// Nothing runs HAProxy (its master was killed, or exited): a reload
	// cannot work, HAProxy is started instead, with the live file.
	gone := p.gone(ctx)
	if p.beforeReload != nil && gone == "" {
		if err := p.beforeReload(ctx, p.running, cur); err != nil {
			p.log.Warn("preparing the reload", "error", err)
		}
	}
	done := make(chan struct{})
	p.reloading = done
	p.mu.Unlock()

	var out string
	var err error
	if gone != "" {
		p.log.Warn("HAProxy is not running; starting it", "why", gone, "version", cur.Version())
		out, err = p.keeper.Start(ctx)
		if err != nil {
			err = fmt.Errorf("HAProxy was not running (%s), and starting it with version %d failed: %w", gone, cur.Version(), err)
		} else {
			out = strings.TrimSpace(fmt.Sprintf("HAProxy was not running (%s): %s, version %d", gone, out, cur.Version()))
		}
	} else {
		out, err = p.strat.Reload(ctx)
	}
	// A reload can take HAProxy down (a master that cannot run the new
	// file exits): the rollback must know whether anything still runs.
	nothingRuns := ""
	if err != nil {
		nothingRuns = p.gone(ctx)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.reloading = nil
	close(done)
	switch {
	case errors.Is(err, reload.ErrNotVerified):
		// HAProxy may well run the new file: putting the old one back
		// would make them disagree. Keep the file; the next change
		// reloads again.
		p.dirty = true
		p.running = cur
		return out, fmt.Errorf("%w; the configuration file was kept (HAProxy may run it)", err)
	case err != nil:
		p.noteApplied(cur, true, err)
		return out, p.rollbackLocked(cur, err, nothingRuns)
	}
	p.running = cur
	p.noteApplied(cur, true, nil)
	if p.live.state.Load().doc == cur {
		p.markApplied()
	} else {
		// A skip_reload write landed during the reload: HAProxy runs
		// cur, the file holds more.
		p.dirty = true
	}
	if p.afterReload != nil {
		p.afterReload()
	}
	return out, nil
}

// gone asks the keeper whether nothing runs HAProxy ("" when it runs or
// there is no keeper).
func (p *Pipeline) gone(ctx context.Context) string {
	if p.keeper == nil {
		return ""
	}
	return p.keeper.Gone(ctx)
}

// rollbackLocked restores the last document HAProxy ran after a failed
// reload, and returns cause with what was done. Transactions staged on
// the rolled back document see the publication (Live.Generation) and
// become outdated. nothingRuns, when not "", says why no HAProxy runs
// now: the restored file is then started by a new reload, and the
// message does not claim that HAProxy still runs it.
func (p *Pipeline) rollbackLocked(failed *config.Document, cause error, nothingRuns string) error {
	good := p.running
	if good == failed || good == nil {
		if nothingRuns != "" {
			return fmt.Errorf("%w; nothing runs HAProxy now (%s), and version %d is the last configuration it ran", cause, nothingRuns, failed.Version())
		}
		return cause
	}
	runs := "which HAProxy still runs"
	if nothingRuns != "" {
		runs = "the last configuration HAProxy ran; nothing runs HAProxy now (" + nothingRuns + ")"
	}
	if now := p.live.state.Load().doc; now != failed {
		// The file moved on during the reload (a skip_reload write, an
		// edit by hand): restoring the old file would throw that away.
		// It stays; HAProxy still runs the old one, and the next change
		// reloads.
		p.dirty = true
		p.keepRejected(failed)
		if nothingRuns != "" {
			return fmt.Errorf("%w; nothing runs HAProxy now (%s); the file was not rolled back because it changed during the reload (now version %d)",
				cause, nothingRuns, now.Version())
		}
		return fmt.Errorf("%w; HAProxy still runs version %d; the file was not rolled back because it changed during the reload (now version %d)",
			cause, good.Version(), now.Version())
	}
	kept := p.keepRejected(failed)
	if err := p.live.write(good); err != nil {
		return fmt.Errorf("%w; and restoring version %d failed: %v", cause, good.Version(), err)
	}
	p.checked = good
	p.log.Warn("reload failed; restored the last configuration that ran",
		"failed_version", failed.Version(), "restored_version", good.Version())
	msg := fmt.Sprintf("restored version %d, %s", good.Version(), runs)
	if kept != "" {
		msg += "; the rejected file is kept as " + kept
	}
	if nothingRuns != "" && p.sched != nil {
		// Started by a reload of its own, after this one has ended: the
		// same serialized path, with its own record.
		msg += fmt.Sprintf("; reload %s starts HAProxy with version %d", p.sched.RequestNow(), good.Version())
	}
	return fmt.Errorf("%w; %s", cause, msg)
}

// --- what HAProxy runs, across restarts ---------------------------------

// appliedState is what the pipeline remembers across restarts in
// transaction_dir: the highest version it ever published (versions are
// never reused, even after a rollback puts an older one back, so a client
// holding a version that was rolled back cannot match a later, different
// configuration) and the hash of the configuration HAProxy was last seen
// to run (so a restart after a crash between writing the file and applying
// it knows HAProxy may run something else).
type appliedState struct {
	MaxIssued int64  `json:"max_issued_version"`
	Applied   string `json:"applied_sha256,omitempty"`
}

func (p *Pipeline) loadApplied() appliedState {
	var st appliedState
	if p.opts.StateFile == "" {
		return st
	}
	b, err := os.ReadFile(p.opts.StateFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			p.log.Warn("cannot read the applied-state file", "file", p.opts.StateFile, "error", err)
		}
		return st
	}
	if err := json.Unmarshal(b, &st); err != nil {
		p.log.Warn("applied-state file unreadable; starting a new one", "file", p.opts.StateFile, "error", err)
		return appliedState{}
	}
	return st
}

// saveApplied records the state; it is a small file written atomically
// without fsync (losing it costs one extra reload, never a wrong answer).
func (p *Pipeline) saveApplied() {
	if p.opts.StateFile == "" {
		return
	}
	st := appliedState{MaxIssued: p.live.MaxIssued()}
	if p.appliedSum != nil {
		st.Applied = hex.EncodeToString(p.appliedSum[:])
	}
	b, _ := json.Marshal(st)
	if err := writeFileNoSync(p.opts.StateFile, b); err != nil {
		p.log.Warn("cannot save the applied-state file", "file", p.opts.StateFile, "error", err)
	}
}

// markApplied notes that HAProxy runs the live document (p.mu held).
func (p *Pipeline) markApplied() {
	sum := p.live.sum()
	p.appliedSum = &sum
	p.dirty = false
	p.saveApplied()
}

// --- the commit observer (metrics) ----------------------------------------

// Outcomes of a commit, as passed to the commit observer.
const (
	CommitOK      = "ok"      // written, and handed to the runtime or reload path
	CommitInvalid = "invalid" // refused by `haproxy -c`
	CommitError   = "error"   // any other failure
)

// SetCommitObserver makes the pipeline call f after each commit through
// the validated path (configuration writes, raw POSTs, transaction
// commits) with CommitOK, CommitInvalid or CommitError. No-op changes and
// version conflicts never reach that path and are not reported. f runs
// with the commit lock held, so it must be quick (a counter). A nil f
// removes it.
func (p *Pipeline) SetCommitObserver(f func(outcome string)) {
	if f == nil {
		p.commitObs.Store(nil)
		return
	}
	p.commitObs.Store(&f)
}

// observeCommit reports the outcome of the commit that ends with *err.
func (p *Pipeline) observeCommit(err *error) {
	f := p.commitObs.Load()
	if f == nil {
		return
	}
	outcome := CommitOK
	switch {
	case *err == nil:
	case errors.Is(*err, reload.ErrValidation):
		outcome = CommitInvalid
	default:
		outcome = CommitError
	}
	(*f)(outcome)
}
