package api

import (
	"net/http"

	"dataplane/internal/transaction"
)

// planBody is the JSON of a dry run's plan (dry_run_plan in the contract).
type planBody struct {
	DryRun   bool     `json:"dry_run"`
	Version  int64    `json:"version"`
	Valid    bool     `json:"valid"`
	Messages string   `json:"messages,omitempty"`
	Diff     string   `json:"diff"`
	Apply    []string `json:"apply"`
	Deferred []string `json:"deferred,omitempty"`
}

// planResponse answers a dry run: 200 with what the change would do. The
// Configuration-Version is the live one, which the dry run left as it was.
func planResponse(res transaction.Result) *response {
	p := res.Plan
	resp := jsonResponse(http.StatusOK, planBody{
		DryRun: true, Version: p.Version, Valid: p.Valid, Messages: p.Messages,
		Diff: p.Diff, Apply: p.Apply, Deferred: p.Deferred,
	})
	setVersion(resp.header, res.Version)
	return resp
}
