package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/audit"
	"dataplane/internal/transaction"
)

// backupModel is a kept version of the configuration (backup in the
// contract).
type backupModel struct {
	Version int64     `json:"version"`
	Time    time.Time `json:"time"`
	Size    int64     `json:"size"`
	// User made this version, from the audit trail ("" when it does not
	// say: made by hand, before the trail, or rotated out of it).
	User string `json:"user,omitempty"`
}

// restoreModel answers a restore.
type restoreModel struct {
	Restored int64  `json:"restored_version"`
	Version  int64  `json:"version"`
	ReloadID string `json:"reload_id,omitempty"`
}

func (s *Server) routeBackups(r chi.Router) {
	r.Get("/services/haproxy/configuration/backups", s.wrap(s.listBackups))
	r.Post("/services/haproxy/configuration/backups/{version}/restore", s.wrap(s.restoreBackup))
	r.Get("/audit", s.wrap(s.getAudit))
	s.routeCluster(r)
}

// listBackups is GET .../configuration/backups: the kept versions, oldest
// first, each with who made it.
func (s *Server) listBackups(r *http.Request) (*response, error) {
	kept, err := s.d.Pipeline.Backups()
	if err != nil {
		return nil, err
	}
	authors := map[int64]string{}
	if s.d.Audit != nil && len(kept) > 0 {
		recs, err := s.d.Audit.Query(audit.Filter{Outcome: audit.OK})
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			if rec.Version != 0 {
				authors[rec.Version] = rec.User
			}
		}
	}
	out := make([]backupModel, 0, len(kept))
	for _, b := range kept {
		out = append(out, backupModel{Version: b.Version, Time: b.Time, Size: b.Size, User: authors[b.Version]})
	}
	return jsonResponse(http.StatusOK, out), nil
}

// restoreBackup is POST .../backups/{version}/restore: the kept file of
// that version becomes the live one through the commit path every change
// takes (haproxy -c, a new version, runtime or reload, rollback when the
// reload fails).
func (s *Server) restoreBackup(r *http.Request) (*response, error) {
	v, err := strconv.ParseInt(pathParam(r, "version"), 10, 64)
	if err != nil || v < 1 {
		return nil, badRequest("version must be a positive integer")
	}
	res, err := s.d.Pipeline.Restore(r.Context(), v, transaction.CommitOptions{ForceReload: queryBool(r, "force_reload")})
	if err != nil {
		return nil, err
	}
	status, header := answer(res, http.StatusCreated)
	resp := jsonResponse(status, restoreModel{Restored: v, Version: res.Version, ReloadID: res.ReloadID})
	for k, vs := range header {
		resp.header[k] = vs
	}
	return resp, nil
}
