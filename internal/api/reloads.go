package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

func (s *Server) listReloads(r *http.Request) (*response, error) {
	if s.d.Reloads == nil {
		return jsonResponse(http.StatusOK, []any{}), nil
	}
	return jsonResponse(http.StatusOK, s.d.Reloads.List()), nil
}

func (s *Server) getReload(r *http.Request) (*response, error) {
	if s.d.Reloads == nil {
		return nil, notFound("reload %s does not exist", chi.URLParam(r, "id"))
	}
	rec, err := s.d.Reloads.Get(chi.URLParam(r, "id"))
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, rec), nil
}

// triggerReload validates the live file and reloads HAProxy: at once in the
// background (202 + Reload-ID), or before answering with force_reload.
func (s *Server) triggerReload(r *http.Request) (*response, error) {
	force := queryBool(r, "force_reload")
	rec, err := s.d.Pipeline.Reload(r.Context(), force)
	if err != nil {
		return nil, err
	}
	if force {
		return jsonResponse(http.StatusOK, rec), nil
	}
	resp := jsonResponse(http.StatusAccepted, rec)
	resp.header.Set(headerReloadID, rec.ID)
	return resp, nil
}
