package transaction

import "dataplane/internal/config"

// Outcome says where a change stands when its request is answered. The
// HTTP layer turns it into a status and headers in one place.
type Outcome int

// Outcomes, from "nothing happened" to "running".
const (
	// Unchanged: the change was a no-op; nothing was written.
	Unchanged Outcome = iota
	// Staged: the change is in a transaction; nothing is applied yet.
	Staged
	// Written: the file holds the change, which is not applied
	// (skip_reload, or no way to reload).
	Written
	// AppliedLive: HAProxy took the change through its runtime socket;
	// no reload was needed.
	AppliedLive
	// ReloadScheduled: a reload will apply the change (Result.ReloadID).
	ReloadScheduled
	// Reloaded: the reload that applied the change succeeded
	// (force_reload waited for it).
	Reloaded
	// RolledBack: the reload failed and the previous configuration was
	// put back; the commit's error says why.
	RolledBack
)

var outcomeNames = [...]string{"unchanged", "staged", "written", "applied_live", "reload_scheduled", "reloaded", "rolled_back"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Result describes a change.
type Result struct {
	Outcome Outcome
	Doc     *config.Document // the live document after the change (the staged one in a transaction)
	Version int64
	// ReloadID is the reload that applies the change, when one does.
	ReloadID string
	Warnings string // haproxy -c warnings
	// Notes say what the client should know about how the change was
	// applied (a runtime apply that fell back to a reload, and why).
	Notes []string
	// Plan is what the change would do, for a dry run (nothing was done).
	Plan *DryRun
}
