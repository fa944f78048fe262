package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/config"
)

// Sites (/services/haproxy/sites) are the v3 composite resource: a
// frontend with its farms (backends) and their servers as one object.
// A write is one edit function made of the section and collection edits
// (config.Document.CreateSite and friends), so it goes through the same
// write path as any other resource: one commit or one staged change,
// version/transaction_id/force_reload as everywhere.

const sitesBase = "/services/haproxy/sites"

func (s *Server) routeSites(r chi.Router) {
	r.Get(sitesBase, s.wrap(s.listSites))
	r.Post(sitesBase, s.wrap(s.createSite))
	r.Get(sitesBase+"/{name}", s.wrap(s.getSite))
	r.Put(sitesBase+"/{name}", s.wrap(s.replaceSite))
	r.Delete(sitesBase+"/{name}", s.wrap(s.deleteSite))
}

func (s *Server) listSites(r *http.Request) (*response, error) {
	return s.read(r, func(d *config.Document) (any, error) { return d.Sites() })
}

func (s *Server) getSite(r *http.Request) (*response, error) {
	name := pathParam(r, "name")
	return s.read(r, func(d *config.Document) (any, error) { return d.Site(name) })
}

func (s *Server) createSite(r *http.Request) (*response, error) {
	var site config.Site
	if err := decodeBody(r, &site); err != nil {
		return nil, err
	}
	return s.write(r, http.StatusCreated, func(d *config.Document) (*config.Document, error) {
		return d.CreateSite(site)
	}, func(d *config.Document) (any, error) { return d.Site(site.Name) })
}

func (s *Server) replaceSite(r *http.Request) (*response, error) {
	name := pathParam(r, "name")
	var site config.Site
	if err := decodeBody(r, &site); err != nil {
		return nil, err
	}
	return s.write(r, http.StatusOK, func(d *config.Document) (*config.Document, error) {
		return d.ReplaceSite(name, site)
	}, func(d *config.Document) (any, error) { return d.Site(name) })
}

func (s *Server) deleteSite(r *http.Request) (*response, error) {
	name := pathParam(r, "name")
	return s.write(r, http.StatusNoContent, func(d *config.Document) (*config.Document, error) {
		return d.DeleteSite(name)
	}, nil)
}
