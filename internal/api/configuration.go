package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/config"
	"dataplane/internal/transaction"
)

// writeTarget reads version, transaction_id and force_reload, with the Data
// Plane API's rules: one of version and transaction_id, not both, and no
// force_reload inside a transaction.
func writeTarget(r *http.Request) (transaction.Target, transaction.CommitOptions, error) {
	q := r.URL.Query()
	tx := q.Get("transaction_id")
	version, hasVersion := queryInt(r, "version")
	force := queryBool(r, "force_reload")
	switch {
	case tx == "" && !hasVersion:
		return transaction.Target{}, transaction.CommitOptions{}, badRequest("version or transaction not specified")
	case tx != "" && hasVersion:
		return transaction.Target{}, transaction.CommitOptions{}, badRequest("both version and transaction specified, specify only one")
	case tx != "" && force:
		return transaction.Target{}, transaction.CommitOptions{}, badRequest("both force_reload and transaction specified, specify only one")
	}
	return transaction.Target{Version: version, TransactionID: tx}, transaction.CommitOptions{ForceReload: force}, nil
}

// decodeBody decodes the (already schema-validated) JSON body.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("decode body: %v", err)
	}
	return nil
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

// write runs one configuration change and answers with the Data Plane API's
// codes: created is the status of a synchronous success (201 for POST, 200
// for PUT, 204 for DELETE); without force_reload a change that needs a
// reload answers 202 with its Reload-ID, a change staged in a transaction
// 202, a change that changed nothing 200.
func (s *Server) write(r *http.Request, created int, edit transaction.EditFunc, body func(*config.Document) (any, error)) (*response, error) {
	target, opts, err := writeTarget(r)
	if err != nil {
		return nil, err
	}
	res, err := s.d.Store.Write(r.Context(), target, edit, opts)
	if err != nil {
		return nil, err
	}
	status := http.StatusAccepted
	switch {
	case res.InTransaction:
	case res.Reloaded || res.Runtime:
		status = created
	case res.Unchanged && !opts.ForceReload:
		status = http.StatusOK
	}
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
	s.commitHeaders(resp, res)
	return resp, nil
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
	return versioned(doc, g), nil
}

func (s *Server) replaceGlobal(r *http.Request) (*response, error) {
	var g config.Global
	if err := decodeBody(r, &g); err != nil {
		return nil, err
	}
	cfgDir := s.configDir()
	var result *config.Document
	resp, err := s.write(r, http.StatusOK, func(d *config.Document) (*config.Document, error) {
		next, err := d.ReplaceGlobal(g)
		if err != nil {
			return nil, err
		}
		if config.AdminSocketRemoved(d, next, cfgDir) {
			return nil, conflict("this change removes the admin stats socket dataplane uses to talk to HAProxy; keep it in runtime_apis")
		}
		return next, nil
	}, func(d *config.Document) (any, error) {
		result = d
		return d.Global()
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

// --- frontends, backends, defaults ------------------------------------------

// sectionAPI serves one section kind with the same handlers.
type sectionAPI[T any] struct {
	list    func(*config.Document) []T
	get     func(*config.Document, string) (T, error)
	create  func(*config.Document, T) (*config.Document, error)
	replace func(*config.Document, string, T) (*config.Document, error)
	del     func(*config.Document, string) (*config.Document, error)
	name    func(*T) string
	// children, when set, fills (full_section read) and applies
	// (full_section write) the section's child objects.
	fill     func(*config.Document, *T) error
	children func(d *config.Document, name string, m *T) (*config.Document, error)
}

func (a sectionAPI[T]) fullSection(r *http.Request) bool { return queryBool(r, "full_section") }

func (a sectionAPI[T]) readOne(r *http.Request, doc *config.Document, name string) (T, error) {
	m, err := a.get(doc, name)
	if err != nil {
		return m, err
	}
	if a.fill != nil && a.fullSection(r) {
		err = a.fill(doc, &m)
	}
	return m, err
}

// sectionAPIHandlers lets routes hold sectionAPIs of different types.
type sectionAPIHandlers interface {
	listH(*Server) handlerFunc
	getH(*Server) handlerFunc
	createH(*Server) handlerFunc
	replaceH(*Server) handlerFunc
	deleteH(*Server) handlerFunc
}

func (a sectionAPI[T]) listH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		doc, err := s.readDoc(r)
		if err != nil {
			return nil, err
		}
		items := a.list(doc)
		if items == nil {
			items = []T{}
		}
		if a.fill != nil && a.fullSection(r) {
			for i := range items {
				if err := a.fill(doc, &items[i]); err != nil {
					return nil, err
				}
			}
		}
		return versioned(doc, items), nil
	}
}

func (a sectionAPI[T]) getH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		doc, err := s.readDoc(r)
		if err != nil {
			return nil, err
		}
		m, err := a.readOne(r, doc, pathParam(r, "name"))
		if err != nil {
			return nil, err
		}
		return versioned(doc, m), nil
	}
}

func (a sectionAPI[T]) createH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		var m T
		if err := decodeBody(r, &m); err != nil {
			return nil, err
		}
		name := a.name(&m)
		full := a.fullSection(r)
		return s.write(r, http.StatusCreated, func(d *config.Document) (*config.Document, error) {
			next, err := a.create(d, m)
			if err != nil {
				return nil, err
			}
			if full && a.children != nil {
				return a.children(next, name, &m)
			}
			return next, nil
		}, func(d *config.Document) (any, error) { return a.readOne(r, d, name) })
	}
}

func (a sectionAPI[T]) replaceH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		var m T
		if err := decodeBody(r, &m); err != nil {
			return nil, err
		}
		name := pathParam(r, "name")
		full := a.fullSection(r)
		return s.write(r, http.StatusOK, func(d *config.Document) (*config.Document, error) {
			next, err := a.replace(d, name, m)
			if err != nil {
				return nil, err
			}
			if full && a.children != nil {
				return a.children(next, name, &m)
			}
			return next, nil
		}, func(d *config.Document) (any, error) { return a.readOne(r, d, name) })
	}
}

func (a sectionAPI[T]) deleteH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		name := pathParam(r, "name")
		return s.write(r, http.StatusNoContent, func(d *config.Document) (*config.Document, error) {
			return a.del(d, name)
		}, nil)
	}
}

var frontendAPI = sectionAPI[config.Frontend]{
	list: (*config.Document).Frontends, get: (*config.Document).Frontend,
	create: (*config.Document).CreateFrontend, replace: (*config.Document).ReplaceFrontend,
	del:  (*config.Document).DeleteFrontend,
	name: func(m *config.Frontend) string { return m.Name },
	fill: func(d *config.Document, m *config.Frontend) error {
		binds, err := d.Binds(m.Name)
		if err != nil {
			return err
		}
		m.Binds = map[string]config.Bind{}
		for _, b := range binds {
			m.Binds[b.Name] = b
		}
		return nil
	},
	children: func(d *config.Document, name string, m *config.Frontend) (*config.Document, error) {
		return syncChildren(d, name, m.Binds, (*config.Document).Binds,
			func(b config.Bind) string { return b.Name },
			(*config.Document).CreateBind, (*config.Document).ReplaceBind, (*config.Document).DeleteBind)
	},
}

var backendAPI = sectionAPI[config.Backend]{
	list: (*config.Document).Backends, get: (*config.Document).Backend,
	create: (*config.Document).CreateBackend, replace: (*config.Document).ReplaceBackend,
	del:  (*config.Document).DeleteBackend,
	name: func(m *config.Backend) string { return m.Name },
	fill: func(d *config.Document, m *config.Backend) error {
		servers, err := d.Servers(m.Name)
		if err != nil {
			return err
		}
		m.Servers = map[string]config.Server{}
		for _, sv := range servers {
			m.Servers[sv.Name] = sv
		}
		return nil
	},
	children: func(d *config.Document, name string, m *config.Backend) (*config.Document, error) {
		return syncChildren(d, name, m.Servers, (*config.Document).Servers,
			func(sv config.Server) string { return sv.Name },
			(*config.Document).CreateServer, (*config.Document).ReplaceServer, (*config.Document).DeleteServer)
	},
}

var defaultsAPI = sectionAPI[config.Defaults]{
	list: (*config.Document).DefaultsSections, get: (*config.Document).Defaults,
	create: (*config.Document).CreateDefaults, replace: (*config.Document).ReplaceDefaults,
	del:  (*config.Document).DeleteDefaults,
	name: func(m *config.Defaults) string { return m.Name },
}

// syncChildren makes a section's children (servers, binds) exactly want:
// children not in want are deleted, the others replaced (a no-op when
// unchanged), new ones created in name order.
func syncChildren[C any](d *config.Document, parent string, want map[string]C,
	list func(*config.Document, string) ([]C, error), name func(C) string,
	create func(*config.Document, string, C) (*config.Document, error),
	replace func(*config.Document, string, string, C) (*config.Document, error),
	del func(*config.Document, string, string) (*config.Document, error),
) (*config.Document, error) {
	have, err := list(d, parent)
	if err != nil {
		return nil, err
	}
	exists := map[string]bool{}
	for _, c := range have {
		n := name(c)
		exists[n] = true
		if w, ok := want[n]; ok {
			if d, err = replace(d, parent, n, w); err != nil {
				return nil, err
			}
		} else if d, err = del(d, parent, n); err != nil {
			return nil, err
		}
	}
	var added []string
	for n := range want {
		if !exists[n] {
			added = append(added, n)
		}
	}
	sort.Strings(added)
	for _, n := range added {
		c := want[n]
		if cn := name(c); cn != "" && cn != n {
			return nil, fmt.Errorf("%q is listed under the key %q: %w", cn, n, config.ErrInvalid)
		}
		if d, err = create(d, parent, c); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// --- servers and binds ------------------------------------------------------

// childAPI serves servers of backends and binds of frontends.
type childAPI[C any] struct {
	list    func(*config.Document, string) ([]C, error)
	get     func(*config.Document, string, string) (C, error)
	create  func(*config.Document, string, C) (*config.Document, error)
	replace func(*config.Document, string, string, C) (*config.Document, error)
	del     func(*config.Document, string, string) (*config.Document, error)
	name    func(*C) string
	// setName fills an empty name (binds are named after their address).
	setName func(*C)
}

func (a childAPI[C]) listH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		doc, err := s.readDoc(r)
		if err != nil {
			return nil, err
		}
		items, err := a.list(doc, pathParam(r, "parent_name"))
		if err != nil {
			return nil, err
		}
		if items == nil {
			items = []C{}
		}
		return versioned(doc, items), nil
	}
}

func (a childAPI[C]) getH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		doc, err := s.readDoc(r)
		if err != nil {
			return nil, err
		}
		c, err := a.get(doc, pathParam(r, "parent_name"), pathParam(r, "name"))
		if err != nil {
			return nil, err
		}
		return versioned(doc, c), nil
	}
}

func (a childAPI[C]) createH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		var c C
		if err := decodeBody(r, &c); err != nil {
			return nil, err
		}
		if a.setName != nil {
			a.setName(&c)
		}
		parent, name := pathParam(r, "parent_name"), a.name(&c)
		return s.write(r, http.StatusCreated, func(d *config.Document) (*config.Document, error) {
			return a.create(d, parent, c)
		}, func(d *config.Document) (any, error) { return a.get(d, parent, name) })
	}
}

func (a childAPI[C]) replaceH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		var c C
		if err := decodeBody(r, &c); err != nil {
			return nil, err
		}
		parent, name := pathParam(r, "parent_name"), pathParam(r, "name")
		return s.write(r, http.StatusOK, func(d *config.Document) (*config.Document, error) {
			return a.replace(d, parent, name, c)
		}, func(d *config.Document) (any, error) { return a.get(d, parent, name) })
	}
}

func (a childAPI[C]) deleteH(s *Server) handlerFunc {
	return func(r *http.Request) (*response, error) {
		parent, name := pathParam(r, "parent_name"), pathParam(r, "name")
		return s.write(r, http.StatusNoContent, func(d *config.Document) (*config.Document, error) {
			return a.del(d, parent, name)
		}, nil)
	}
}

var serverAPI = childAPI[config.Server]{
	list: (*config.Document).Servers, get: (*config.Document).Server,
	create: (*config.Document).CreateServer, replace: (*config.Document).ReplaceServer,
	del:  (*config.Document).DeleteServer,
	name: func(c *config.Server) string { return c.Name },
}

var bindAPI = childAPI[config.Bind]{
	list: (*config.Document).Binds, get: (*config.Document).Bind,
	create: (*config.Document).CreateBind, replace: (*config.Document).ReplaceBind,
	del:  (*config.Document).DeleteBind,
	name: func(c *config.Bind) string { return c.Name },
	setName: func(c *config.Bind) {
		if c.Name == "" {
			c.Name = config.BindAddressToken(c.Address, c.Port, c.PortRangeEnd)
		}
	},
}

// routeSection registers the five operations of a section kind.
func (s *Server) routeSection(r chi.Router, base string, a sectionAPIHandlers) {
	r.Get(base, s.wrap(a.listH(s)))
	r.Post(base, s.wrap(a.createH(s)))
	r.Get(base+"/{name}", s.wrap(a.getH(s)))
	r.Put(base+"/{name}", s.wrap(a.replaceH(s)))
	r.Delete(base+"/{name}", s.wrap(a.deleteH(s)))
}

func conflict(format string, args ...any) error {
	return apierror.New(http.StatusConflict, format, args...)
}
