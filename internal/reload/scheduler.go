package reload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"dataplane/internal/fault"
)

// Reload statuses, as the Data Plane API names them.
const (
	StatusInProgress = "in_progress"
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
)

// ErrUnknownReload is returned for a Reload-ID the scheduler never issued or
// no longer remembers.
var ErrUnknownReload = fault.Sentinel(fault.NotFound, "no such reload")

// HistorySize is how many finished reloads are remembered.
const HistorySize = 100

// Record is one reload as the API shows it.
type Record struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Response  string `json:"response,omitempty"`
	Timestamp int64  `json:"reload_timestamp,omitempty"` // unix seconds when it started
}

// Outcome is what a reload did for the requests it carried.
type Outcome struct {
	Response string
	Err      error
	// Each, when not nil, gives some requests an outcome of their own: a
	// coalesced reload that failed, whose changes were then tried one by
	// one. The others get Response and Err.
	Each map[string]Outcome
}

// RunFunc performs one reload of whatever configuration is current, for
// the requests ids (in the order they were made), and says what happened.
// It is never called concurrently.
type RunFunc func(ctx context.Context, ids []string) Outcome

// Scheduler coalesces reload requests. Each request gets its own
// Reload-ID and record; a request made while a reload is pending joins
// it. A request made when nothing is pending starts a reload at once,
// unless the previous one started less than Delay ago, in which case it
// starts when Delay has passed. So a burst of changes costs at most one
// reload per Delay, and each change still learns its own outcome.
type Scheduler struct {
	run      RunFunc
	delay    time.Duration
	histPath string
	histLike string
	now      func() time.Time
	log      *slog.Logger
	// OnFinish, when set, is called after each reload (metrics).
	OnFinish func(rec Record, took time.Duration)

	mu        sync.Mutex
	pending   *job
	running   *job
	lastStart time.Time
	history   []Record
	day       string
	seq       int
	wake      chan struct{}
}

type job struct {
	recs   []Record // one per request, in order
	urgent bool
	done   chan struct{}
	// notes are added to a record's response when the reload ends (why
	// it was needed, e.g. a runtime apply that did not take), by id.
	notes map[string][]string
}

func (j *job) ids() []string {
	ids := make([]string, len(j.recs))
	for i, r := range j.recs {
		ids[i] = r.ID
	}
	return ids
}

func (j *job) has(id string) (int, bool) {
	for i, r := range j.recs {
		if r.ID == id {
			return i, true
		}
	}
	return 0, false
}

// SchedulerOptions configures a Scheduler.
type SchedulerOptions struct {
	Delay       time.Duration // minimum time between two reload starts
	HistoryFile string        // JSON file keeping the last HistorySize reloads; "" = memory only
	// HistoryLike is the file whose mode and owner the history file gets
	// (the live configuration: a reload's messages may quote it).
	HistoryLike string
	Now         func() time.Time // nil = time.Now
	Logger      *slog.Logger
}

// NewScheduler returns a scheduler; call Run to start it. History from
// HistoryFile is loaded; a reload that was in progress when the previous
// process stopped is recorded as failed.
func NewScheduler(run RunFunc, opts SchedulerOptions) (*Scheduler, error) {
	s := &Scheduler{
		run:      run,
		delay:    opts.Delay,
		histPath: opts.HistoryFile,
		histLike: opts.HistoryLike,
		now:      opts.Now,
		log:      opts.Logger,
		wake:     make(chan struct{}, 1),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.loadHistory(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Scheduler) loadHistory() error {
	if s.histPath == "" {
		return nil
	}
	b, err := os.ReadFile(s.histPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read reload history: %w", err)
	}
	var recs []Record
	if err := json.Unmarshal(b, &recs); err != nil {
		// A damaged history is not worth refusing to start over.
		s.log.Warn("reload history unreadable, starting a new one", "file", s.histPath, "error", err)
		return nil
	}
	for i := range recs {
		if recs[i].Status == StatusInProgress {
			recs[i].Status = StatusFailed
			recs[i].Response = "dataplane stopped before this reload finished"
		}
	}
	if len(recs) > HistorySize {
		recs = recs[len(recs)-HistorySize:]
	}
	s.history = recs
	if n := len(recs); n > 0 {
		var y, m, d, seq int
		if _, err := fmt.Sscanf(recs[n-1].ID, "%4d-%2d-%2d-%d", &y, &m, &d, &seq); err == nil {
			s.day = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
			s.seq = seq
		}
	}
	return nil
}

// Request asks for a reload and returns the request's own Reload-ID; it
// joins the pending reload if there is one.
func (s *Scheduler) Request() string { return s.request(false) }

// RequestNow is Request for a caller that waits for the result
// (force_reload): the reload does not wait for Delay.
func (s *Scheduler) RequestNow() string { return s.request(true) }

func (s *Scheduler) request(urgent bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = &job{done: make(chan struct{}), notes: map[string][]string{}}
	}
	rec := Record{ID: s.nextID(), Status: StatusInProgress}
	s.pending.recs = append(s.pending.recs, rec)
	// Saved at once, so a restart does not hand this id out again (and
	// records it as never finished if we stop before it runs).
	s.saveHistory(s.snapshotLocked())
	if urgent {
		s.pending.urgent = true
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return rec.ID
}

// snapshotLocked is the history with the running and pending records.
func (s *Scheduler) snapshotLocked() []Record {
	out := append([]Record(nil), s.history...)
	for _, j := range []*job{s.running, s.pending} {
		if j != nil {
			out = append(out, j.recs...)
		}
	}
	return out
}

// Note attaches a note to reload id when it has not run yet: it goes into
// the record's response when the reload ends. It reports whether it did.
func (s *Scheduler) Note(id, note string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return false
	}
	if _, ok := s.pending.has(id); !ok {
		return false
	}
	s.pending.notes[id] = append(s.pending.notes[id], note)
	return true
}

// nextID returns YYYY-MM-DD-N, N counting from 1 each day.
func (s *Scheduler) nextID() string {
	day := s.now().Format("2006-01-02")
	if day != s.day {
		s.day, s.seq = day, 0
	}
	s.seq++
	return fmt.Sprintf("%s-%d", day, s.seq)
}

// Run executes reloads until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	for {
		s.mu.Lock()
		p := s.pending
		s.mu.Unlock()
		if p == nil {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		if wait := s.untilAllowed(); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			case <-s.wake:
				// An urgent request may have arrived; re-evaluate.
				timer.Stop()
				continue
			}
		}
		s.runOne(ctx)
	}
}

// untilAllowed returns how long the pending reload must still wait.
func (s *Scheduler) untilAllowed() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil || s.pending.urgent || s.lastStart.IsZero() {
		return 0
	}
	return s.lastStart.Add(s.delay).Sub(s.now())
}

func (s *Scheduler) runOne(ctx context.Context) {
	s.mu.Lock()
	j := s.pending
	s.pending = nil
	if j == nil {
		s.mu.Unlock()
		return
	}
	start := s.now()
	for i := range j.recs {
		j.recs[i].Timestamp = start.Unix()
	}
	s.running = j
	s.lastStart = start
	ids := j.ids()
	s.mu.Unlock()

	out := s.run(ctx, ids)
	took := s.now().Sub(start)

	s.mu.Lock()
	// The reload as a whole, for metrics: failed when any request failed.
	whole := Record{ID: ids[0], Status: StatusSucceeded, Timestamp: start.Unix()}
	for i := range j.recs {
		rec := &j.recs[i]
		o := out
		if each, ok := out.Each[rec.ID]; ok {
			o = each
		}
		finish(rec, o)
		for _, n := range j.notes[rec.ID] {
			rec.Response = strings.TrimSpace(rec.Response + "\n" + n)
		}
		if rec.Status == StatusFailed {
			whole.Status, whole.Response = StatusFailed, rec.Response
			s.log.Error("reload failed", "reload_id", rec.ID, "took", took, "response", rec.Response)
		} else {
			s.log.Info("reload succeeded", "reload_id", rec.ID, "took", took)
		}
	}
	s.history = append(s.history, j.recs...)
	if len(s.history) > HistorySize {
		s.history = s.history[len(s.history)-HistorySize:]
	}
	s.running = nil
	hist := s.snapshotLocked()
	s.mu.Unlock()

	s.saveHistory(hist)
	close(j.done)
	if s.OnFinish != nil {
		s.OnFinish(whole, took)
	}
}

// finish writes an outcome into its record.
func finish(rec *Record, o Outcome) {
	rec.Response = o.Response
	if o.Err == nil {
		rec.Status = StatusSucceeded
		return
	}
	rec.Status = StatusFailed
	// The error says what happened (and what was rolled back); the
	// response adds what HAProxy printed, unless the error holds it.
	rec.Response = o.Err.Error()
	if o.Response != "" && !strings.Contains(rec.Response, o.Response) {
		rec.Response += "\n" + o.Response
	}
}

func (s *Scheduler) saveHistory(hist []Record) {
	if s.histPath == "" {
		return
	}
	b, err := json.Marshal(hist)
	if err == nil {
		like := s.histLike
		if like == "" {
			like = s.histPath
		}
		err = WriteFileLike(s.histPath, b, like)
	}
	if err != nil {
		s.log.Warn("could not save reload history", "file", s.histPath, "error", err)
	}
}

// Get returns one reload: finished, running or pending.
func (s *Scheduler) Get(id string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range []*job{s.pending, s.running} {
		if j == nil {
			continue
		}
		if i, ok := j.has(id); ok {
			return j.recs[i], nil
		}
	}
	for i := len(s.history) - 1; i >= 0; i-- {
		if s.history[i].ID == id {
			return s.history[i], nil
		}
	}
	return Record{}, fmt.Errorf("reload %s: %w", id, ErrUnknownReload)
}

// List returns the remembered reloads, oldest first, then the running and
// the pending one.
func (s *Scheduler) List() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

// Busy returns the reload in progress, else the one waiting to start, and
// whether there is one.
func (s *Scheduler) Busy() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range []*job{s.running, s.pending} {
		if j != nil {
			return j.recs[0].ID, true
		}
	}
	return "", false
}

// Pending reports whether a reload is waiting to start.
func (s *Scheduler) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending != nil
}

// Wait blocks until reload id has finished and returns its record.
func (s *Scheduler) Wait(ctx context.Context, id string) (Record, error) {
	for {
		s.mu.Lock()
		var done chan struct{}
		for _, j := range []*job{s.pending, s.running} {
			if j == nil {
				continue
			}
			if _, ok := j.has(id); ok {
				done = j.done
			}
		}
		s.mu.Unlock()
		if done == nil {
			return s.Get(id)
		}
		// A request claimed by the running reload (Claim) leaves its
		// job: look again once that job ends.
		select {
		case <-done:
		case <-ctx.Done():
			return Record{}, fmt.Errorf("wait for reload %s: %w", id, ctx.Err())
		}
	}
}

// Claim moves requests from the pending reload into the running one: the
// run found their changes already in the file it reloads, so they share
// its outcome. A pending reload left with no request is dropped.
func (s *Scheduler) Claim(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == nil || s.pending == nil {
		return
	}
	var keep []Record
	for _, r := range s.pending.recs {
		if !slices.Contains(ids, r.ID) {
			keep = append(keep, r)
			continue
		}
		r.Timestamp = s.running.recs[0].Timestamp
		s.running.recs = append(s.running.recs, r)
		if n, ok := s.pending.notes[r.ID]; ok {
			s.running.notes[r.ID] = n
		}
	}
	s.pending.recs = keep
	if len(keep) == 0 {
		close(s.pending.done)
		s.pending = nil
	}
}
