package api

import (
	"net/http"

	"dataplane/internal/transaction"
)

// transactionBody is the Data Plane API's transaction model.
type transactionBody struct {
	Version int64  `json:"_version"`
	ID      string `json:"id"`
	Status  string `json:"status"`
}

func txBody(t transaction.Transaction) transactionBody {
	return transactionBody{Version: t.Version, ID: t.ID, Status: t.Status}
}

func (s *Server) transactions() (*transaction.Manager, error) {
	if s.d.Transactions == nil {
		return nil, notFound("transactions are not enabled")
	}
	return s.d.Transactions, nil
}

func (s *Server) startTransaction(r *http.Request) (*response, error) {
	m, err := s.transactions()
	if err != nil {
		return nil, err
	}
	version, _ := queryInt(r, "version")
	t, err := m.Begin(r.Context(), version)
	if err != nil {
		return nil, err
	}
	resp := jsonResponse(http.StatusCreated, txBody(t))
	setVersion(resp.header, t.Version)
	return resp, nil
}

func (s *Server) listTransactions(r *http.Request) (*response, error) {
	m, err := s.transactions()
	if err != nil {
		return nil, err
	}
	out := []transactionBody{}
	for _, t := range m.List(r.URL.Query().Get("status")) {
		out = append(out, txBody(t))
	}
	return jsonResponse(http.StatusOK, out), nil
}

func (s *Server) getTransaction(r *http.Request) (*response, error) {
	m, err := s.transactions()
	if err != nil {
		return nil, err
	}
	t, err := m.Get(pathParam(r, "id"))
	if err != nil {
		return nil, err
	}
	resp := jsonResponse(http.StatusOK, txBody(t))
	setVersion(resp.header, t.Version)
	return resp, nil
}

func (s *Server) deleteTransaction(r *http.Request) (*response, error) {
	m, err := s.transactions()
	if err != nil {
		return nil, err
	}
	if err := m.Delete(pathParam(r, "id")); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}

// commitTransaction answers 202 with the Reload-ID of the reload that will
// apply it, or 200 once applied (force_reload, or runtime-only changes).
func (s *Server) commitTransaction(r *http.Request) (*response, error) {
	m, err := s.transactions()
	if err != nil {
		return nil, err
	}
	force, dry := queryBool(r, "force_reload"), queryBool(r, "dry_run")
	t, res, err := m.Commit(r.Context(), pathParam(r, "id"), transaction.CommitOptions{ForceReload: force && !dry, DryRun: dry})
	if err != nil {
		return nil, err
	}
	if res.Plan != nil {
		return planResponse(res), nil
	}
	status, header := answer(res, http.StatusOK)
	resp := jsonResponse(status, txBody(t))
	resp.header = header
	return resp, nil
}

// diffTransaction shows what committing would change: a unified diff of
// the live file against the staged one.
func (s *Server) diffTransaction(r *http.Request) (*response, error) {
	m, err := s.transactions()
	if err != nil {
		return nil, err
	}
	id := pathParam(r, "id")
	staged, err := m.Doc(id)
	if err != nil {
		return nil, err
	}
	live, err := s.d.Pipeline.Live().Doc()
	if err != nil {
		return nil, err
	}
	name := "haproxy.cfg"
	d := transaction.UnifiedDiff(name+" (live, version "+itoa(live.Version())+")", name+" (transaction "+id+")", live.Render(), staged.Render())
	resp := textResponse(http.StatusOK, []byte(d))
	setVersion(resp.header, live.Version())
	return resp, nil
}
