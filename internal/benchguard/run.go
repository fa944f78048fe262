package benchguard

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"dataplane/internal/config"
)

// Calibration is the family of the reference row: GET of the
// configuration version, the cheapest authenticated request, measured in
// every round. When it is slower too, the machine is.
const Calibration = "(calibration) version"

// Runner measures families on one running dataplane.
type Runner struct {
	Client *Client
	// Size is the number of backends of the configuration, for the rows.
	Size int
	// ReloadTimeout bounds the wait for each commit's reload (default 2 min).
	ReloadTimeout time.Duration
	// Logf, when set, reports progress.
	Logf func(format string, args ...any)
	// Tolerant leaves out the families Prepare cannot make concrete (a
	// reference build older than the family answers 404) instead of
	// failing.
	Tolerant bool

	fams    []Family
	targets map[string]target
	// stagedDone and commitsDone count the rounds run so far: calls of
	// one round each (a reference run alternates with this one) still
	// get rounds of their own.
	stagedDone, commitsDone int
}

// Prepare reads the live configuration and makes each family concrete on
// it.
func (r *Runner) Prepare(ctx context.Context, fams []Family) error {
	raw, err := r.Client.expect(ctx, http.MethodGet, configurationBase+"/raw", nil)
	if err != nil {
		return err
	}
	d, err := config.Parse(raw.body)
	if err != nil {
		return fmt.Errorf("parse the live configuration: %w", err)
	}
	r.fams = nil
	r.targets = map[string]target{}
	for _, f := range fams {
		t, err := prepare(ctx, r.Client, d, f)
		if err != nil {
			if r.Tolerant {
				r.logf("%d backends: %s left out of this run: %v", r.Size, f.Name, err)
				continue
			}
			return err
		}
		r.fams = append(r.fams, f)
		r.targets[f.Name] = t
	}
	return nil
}

func (r *Runner) logf(format string, args ...any) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}

func has(ops []string, op string) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

// Staged runs rounds of every operation but commit, family after family
// in each round (so a slow moment of the machine slows all rows alike),
// the configuration ones in one transaction that is then deleted. only,
// when not nil, limits the families.
func (r *Runner) Staged(ctx context.Context, rounds int, only map[string]bool, res Results) error {
	tx, err := r.Client.begin(ctx)
	if err != nil {
		return err
	}
	for range rounds {
		i := r.stagedDone
		r.stagedDone++
		rep, err := r.Client.expect(ctx, http.MethodGet, configurationBase+"/version", nil)
		if err != nil {
			return err
		}
		res.add(Row{Calibration, OpGet, r.Size}, rep.took)
		for _, f := range r.fams {
			if only != nil && !only[f.Name] {
				continue
			}
			t := r.targets[f.Name]
			in := ""
			if f.Staged() {
				in = tx
			}
			for _, op := range f.Ops {
				if op == OpCommit {
					continue
				}
				q := t.request(op, i, in)
				rep, err := r.Client.expect(ctx, q.method, q.path, q.body)
				if err != nil {
					return fmt.Errorf("%s %s: %w", f.Name, op, err)
				}
				res.add(Row{f.Name, op, r.Size}, rep.took)
			}
		}
	}
	_, err = r.Client.expect(ctx, http.MethodDelete, "/services/haproxy/transactions/"+tx, nil)
	return err
}

// Commits runs rounds of commits: for each family, a transaction with a
// new item committed, then one with its removal (global: a value, then
// the value before). Each commit's reload is waited for, untimed.
func (r *Runner) Commits(ctx context.Context, rounds int, only map[string]bool, res Results) error {
	for range rounds {
		k := r.commitsDone
		r.commitsDone++
		r.logf("%d backends: commits, round %d", r.Size, k+1)
		for _, f := range r.fams {
			if !has(f.Ops, OpCommit) || (only != nil && !only[f.Name]) {
				continue
			}
			a, b := r.targets[f.Name].commitPair(k)
			for _, q := range []request{a, b} {
				took, err := r.commit(ctx, q)
				if err != nil {
					return fmt.Errorf("%s commit: %w", f.Name, err)
				}
				res.add(Row{f.Name, OpCommit, r.Size}, took)
			}
		}
	}
	return nil
}

// commit stages q (a path without transaction) in a new transaction,
// commits it and waits for its reload; it returns how long the commit
// took to answer.
func (r *Runner) commit(ctx context.Context, q request) (time.Duration, error) {
	tx, err := r.Client.begin(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := r.Client.expect(ctx, q.method, inTx(q.path, tx), q.body); err != nil {
		return 0, err
	}
	rep, err := r.Client.expect(ctx, http.MethodPut, "/services/haproxy/transactions/"+tx, nil)
	if err != nil {
		return 0, err
	}
	timeout := r.ReloadTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	return rep.took, r.Client.waitReload(ctx, rep, timeout)
}

// CommitAll commits, in one transaction, a new item of every family that
// has commit (global: a new value), and waits for the reload: every
// family's commit path once, for one `haproxy -c` of the whole file.
func (r *Runner) CommitAll(ctx context.Context) (time.Duration, error) {
	tx, err := r.Client.begin(ctx)
	if err != nil {
		return 0, err
	}
	for _, f := range r.fams {
		if !has(f.Ops, OpCommit) {
			continue
		}
		q, _ := r.targets[f.Name].commitPair(0)
		if _, err := r.Client.expect(ctx, q.method, inTx(q.path, tx), q.body); err != nil {
			return 0, fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	rep, err := r.Client.expect(ctx, http.MethodPut, "/services/haproxy/transactions/"+tx, nil)
	if err != nil {
		return 0, err
	}
	timeout := r.ReloadTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	return rep.took, r.Client.waitReload(ctx, rep, timeout)
}
