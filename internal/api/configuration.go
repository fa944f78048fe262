package api

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/config"
	"dataplane/internal/transaction"
)

// writeTarget reads version, transaction_id, force_reload and dry_run,
// with the Data Plane API's rules: one of version and transaction_id, not
// both, and no force_reload inside a transaction; and ours: no dry_run
// inside a transaction (a staged change does nothing yet: the dry run of
// the commit says what it would do).
func writeTarget(r *http.Request) (txID string, base transaction.Base, opts transaction.CommitOptions, err error) {
	q := r.URL.Query()
	txID = q.Get("transaction_id")
	version, hasVersion := queryInt(r, "version")
	force, dry := queryBool(r, "force_reload"), queryBool(r, "dry_run")
	switch {
	case txID == "" && !hasVersion:
		err = badRequest("version or transaction not specified")
	case txID != "" && hasVersion:
		err = badRequest("both version and transaction specified, specify only one")
	case txID != "" && force:
		err = badRequest("both force_reload and transaction specified, specify only one")
	case txID != "" && dry:
		err = badRequest("dry_run is for a change outside a transaction: stage the change, then dry-run the commit (PUT /services/haproxy/transactions/{id}?dry_run=true)")
	}
	return txID, transaction.Base{Version: version}, transaction.CommitOptions{ForceReload: force && !dry, DryRun: dry}, err
}

// pathParam returns a path parameter, unescaped. chi routes on RawPath
// when the path had escapes Path cannot keep (a bind named "/run/x.sock"
// arrives as %2Frun%2Fx.sock): only then is the value still escaped.
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return v
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// write runs one configuration change: staged in the transaction named by
// transaction_id, else committed on the version given. applied is the
// status of a change that is done when answered (201 for POST, 200 for
// PUT, 204 for DELETE); body, when set, reads the object back from the
// document the change made.
func (s *Server) write(r *http.Request, applied int, edit transaction.EditFunc, body func(*config.Document) (any, error)) (*response, error) {
	txID, base, opts, err := writeTarget(r)
	if err != nil {
		return nil, err
	}
	var res transaction.Result
	if txID != "" {
		m, err := s.transactions()
		if err != nil {
			return nil, err
		}
		res, err = m.Edit(r.Context(), txID, edit)
		if err != nil {
			return nil, err
		}
	} else if res, err = s.d.Pipeline.Edit(r.Context(), base, edit, opts); err != nil {
		return nil, err
	}
	if res.Plan != nil {
		return planResponse(res), nil
	}
	status, header := answer(res, applied)
	var out any
	if body != nil && status != http.StatusNoContent {
		if out, err = body(res.Doc); err != nil {
			return nil, err
		}
	}
	resp := jsonResponse(status, out)
	if out == nil {
		resp = emptyResponse(status)
	}
	resp.header = header
	return resp, nil
}

// answer is the one mapping of a change's outcome to its status and
// headers. applied is the operation's status for a change that is done
// when answered (nothing to do, written, taken live through the runtime
// socket, reloaded): 201 for a create, 200 for a replace, 204 for a
// delete. A change still on its way (staged in a transaction, waiting for
// a reload) is 202, with the Reload-ID of the reload that will apply it.
// A reload that failed and was rolled back is an error, answered by the
// error funnel.
func answer(res transaction.Result, applied int) (int, http.Header) {
	h := http.Header{}
	setVersion(h, res.Version)
	for _, n := range res.Notes {
		h.Add(headerWarning, oneLine(n))
	}
	switch res.Outcome {
	case transaction.Staged:
		return http.StatusAccepted, h
	case transaction.ReloadScheduled:
		h.Set(headerReloadID, res.ReloadID)
		return http.StatusAccepted, h
	case transaction.RolledBack:
		return http.StatusBadRequest, h
	}
	return applied, h
}

// --- global ---------------------------------------------------------------

func (s *Server) getGlobal(r *http.Request) (*response, error) {
	doc, err := s.readDoc(r)
	if err != nil {
		return nil, err
	}
	g, err := doc.Global()
	if err != nil {
		return nil, err
	}
	if fullSection(r) {
		full, err := withChildren(doc, config.KindGlobal, "", g, redactor(r))
		if err != nil {
			return nil, err
		}
		return versioned(doc, full), nil
	}
	return versioned(doc, g), nil
}

func (s *Server) replaceGlobal(r *http.Request) (*response, error) {
	var g config.Global
	children, err := decodeSection(r, config.KindGlobal, &g)
	if err != nil {
		return nil, err
	}
	cfgDir := s.configDir()
	var result *config.Document
	resp, err := s.write(r, http.StatusOK, func(d *config.Document) (*config.Document, error) {
		next, err := d.ReplaceGlobal(g)
		if err != nil {
			return nil, err
		}
		if next, err = children.apply(next, ""); err != nil {
			return nil, err
		}
		if config.AdminSocketRemoved(d, next, cfgDir) {
			return nil, conflict("this change removes the admin stats socket dataplane uses to talk to HAProxy; keep it in runtime_apis")
		}
		return next, nil
	}, func(d *config.Document) (any, error) {
		result = d
		g, err := d.Global()
		if err != nil || children == nil {
			return g, err
		}
		return withChildren(d, config.KindGlobal, "", g, redactor(r))
	})
	if err == nil && result != nil && !result.HasIdleCloseOnResponse() {
		resp.header.Add(headerWarning, idleCloseAdvice)
	}
	return resp, err
}

// versioned answers 200 with v and the document's version.
func versioned(doc *config.Document, v any) *response {
	resp := jsonResponse(http.StatusOK, v)
	setVersion(resp.header, doc.Version())
	return resp
}

func conflict(format string, args ...any) error {
	return apierror.New(http.StatusConflict, format, args...)
}
