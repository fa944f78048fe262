package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/config"
)

// The traces section (HAProxy 3.1+) has no name, so it is not served by
// the section handlers of resources.go: one resource at /traces, and its
// entries added or removed one at a time at /traces/entries (the body
// names the entry). HAProxy 2.6 refuses the section at `haproxy -c`, so on
// 2.6 every write of it is a 400 carrying HAProxy's message.

func (s *Server) routeTraces(r chi.Router) {
	base := configurationBase + "/traces"
	r.Get(base, s.wrap(s.getTraces))
	r.Post(base, s.wrap(s.writeTraces(http.StatusCreated, (*config.Document).CreateTraces)))
	r.Put(base, s.wrap(s.writeTraces(http.StatusOK, (*config.Document).ReplaceTraces)))
	r.Delete(base, s.wrap(s.deleteTraces))
	r.Post(base+"/entries", s.wrap(s.traceEntry(http.StatusCreated, (*config.Document).AddTraceEntry)))
	r.Delete(base+"/entries", s.wrap(s.traceEntry(http.StatusNoContent, (*config.Document).DeleteTraceEntry)))
}

func readTraces(d *config.Document) (any, error) { return d.TracesSection() }

func (s *Server) getTraces(r *http.Request) (*response, error) { return s.read(r, readTraces) }

func (s *Server) writeTraces(applied int, op func(*config.Document, config.Traces) (*config.Document, error)) handlerFunc {
	return func(r *http.Request) (*response, error) {
		var m config.Traces
		if err := decodeBody(r, &m); err != nil {
			return nil, err
		}
		return s.write(r, applied, func(d *config.Document) (*config.Document, error) { return op(d, m) }, readTraces)
	}
}

func (s *Server) deleteTraces(r *http.Request) (*response, error) {
	return s.write(r, http.StatusNoContent, (*config.Document).DeleteTraces, nil)
}

// traceEntry serves the add and the removal of one entry; the answer of
// an add is the entry.
func (s *Server) traceEntry(applied int, op func(*config.Document, config.TraceEntry) (*config.Document, error)) handlerFunc {
	return func(r *http.Request) (*response, error) {
		var e config.TraceEntry
		if err := decodeBody(r, &e); err != nil {
			return nil, err
		}
		var body func(*config.Document) (any, error)
		if applied != http.StatusNoContent {
			body = func(*config.Document) (any, error) { return e, nil }
		}
		return s.write(r, applied, func(d *config.Document) (*config.Document, error) { return op(d, e) }, body)
	}
}
