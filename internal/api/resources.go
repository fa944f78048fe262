package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/config"
)

// Every section kind and child collection declared in internal/config is
// served by the handlers of this file: adding a resource adds no handler
// code. The routes of a collection are registered under every parent kind
// it declares, with the Data Plane API v3 shapes: keyed collections
// (servers, binds) by {name}, positional ones (ACLs, rules) by {index}.

const configurationBase = "/services/haproxy/configuration"

// routeResources registers the operations of every declared resource.
func (s *Server) routeResources(r chi.Router) {
	for _, sec := range config.SectionResources() {
		base := configurationBase + "/" + sec.Info().Path
		r.Get(base, s.wrap(s.listSections(sec)))
		r.Post(base, s.wrap(s.createSection(sec)))
		r.Get(base+"/{name}", s.wrap(s.getSection(sec)))
		if !sec.Info().NoReplace {
			r.Put(base+"/{name}", s.wrap(s.replaceSection(sec)))
		}
		r.Delete(base+"/{name}", s.wrap(s.deleteSection(sec)))
	}
	for _, c := range config.Collections() {
		info := c.Info()
		for _, p := range info.Parents {
			base := CollectionPath(p, info)
			r.Get(base, s.wrap(s.listChildren(c, p)))
			if info.Positional {
				if info.AppendOnly {
					r.Post(base, s.wrap(s.createChild(c, p)))
				} else {
					r.Put(base, s.wrap(s.replaceAllChildren(c, p)))
					r.Post(base+"/{index}", s.wrap(s.createChild(c, p)))
				}
				r.Get(base+"/{index}", s.wrap(s.getChild(c, p)))
				r.Put(base+"/{index}", s.wrap(s.replaceChild(c, p)))
				r.Delete(base+"/{index}", s.wrap(s.deleteChild(c, p)))
				continue
			}
			item := base + "/{" + info.KeyName() + "}"
			r.Post(base, s.wrap(s.createChild(c, p)))
			r.Get(item, s.wrap(s.getChild(c, p)))
			r.Put(item, s.wrap(s.replaceChild(c, p)))
			r.Delete(item, s.wrap(s.deleteChild(c, p)))
		}
	}
}

// CollectionPath is the path of a collection's list under one parent kind.
func CollectionPath(p config.ParentKind, info config.CollectionInfo) string {
	if p.Singleton || info.QueryParent != "" {
		if info.QueryParent != "" {
			return configurationBase + "/" + info.Path
		}
		return configurationBase + "/" + p.Path + "/" + info.Path
	}
	return configurationBase + "/" + p.Path + "/{" + info.ParentPathParam() + "}/" + info.Path
}

func fullSection(r *http.Request) bool { return queryBool(r, "full_section") }

// --- sections ---------------------------------------------------------------

func (s *Server) listSections(sec config.SectionResource) handlerFunc {
	return func(r *http.Request) (*response, error) {
		full := fullSection(r)
		redact := redactor(r)
		return s.read(r, func(d *config.Document) (any, error) {
			items := sec.List(d)
			if !full {
				return items, nil
			}
			v := reflect.ValueOf(items)
			out := make([]json.RawMessage, v.Len())
			for i := range out {
				m := v.Index(i).Addr().Interface()
				var err error
				if out[i], err = withChildren(d, sec.Info().Kind, sec.NameOf(m), m, redact); err != nil {
					return nil, err
				}
			}
			return out, nil
		})
	}
}

// readSection reads one section, with its children for full_section.
func readSection(r *http.Request, sec config.SectionResource, doc *config.Document, name string) (any, error) {
	m, err := sec.Get(doc, name)
	if err != nil || !fullSection(r) {
		return m, err
	}
	return withChildren(doc, sec.Info().Kind, name, m, redactor(r))
}

func (s *Server) getSection(sec config.SectionResource) handlerFunc {
	return func(r *http.Request) (*response, error) {
		name := pathParam(r, "name")
		return s.read(r, func(d *config.Document) (any, error) { return readSection(r, sec, d, name) })
	}
}

func (s *Server) createSection(sec config.SectionResource) handlerFunc {
	return func(r *http.Request) (*response, error) {
		m := sec.NewModel()
		children, err := decodeSection(r, sec.Info().Kind, m)
		if err != nil {
			return nil, err
		}
		name := sec.NameOf(m)
		return s.write(r, http.StatusCreated, func(d *config.Document) (*config.Document, error) {
			next, created, err := sec.Create(d, m)
			if err != nil {
				return nil, err
			}
			name = created
			return children.apply(next, name)
		}, func(d *config.Document) (any, error) { return readSection(r, sec, d, name) })
	}
}

func (s *Server) replaceSection(sec config.SectionResource) handlerFunc {
	return func(r *http.Request) (*response, error) {
		m := sec.NewModel()
		children, err := decodeSection(r, sec.Info().Kind, m)
		if err != nil {
			return nil, err
		}
		name := pathParam(r, "name")
		return s.write(r, http.StatusOK, func(d *config.Document) (*config.Document, error) {
			next, err := sec.Replace(d, name, m)
			if err != nil {
				return nil, err
			}
			return children.apply(next, name)
		}, func(d *config.Document) (any, error) { return readSection(r, sec, d, name) })
	}
}

func (s *Server) deleteSection(sec config.SectionResource) handlerFunc {
	return func(r *http.Request) (*response, error) {
		name := pathParam(r, "name")
		return s.write(r, http.StatusNoContent, func(d *config.Document) (*config.Document, error) {
			return sec.Delete(d, name)
		}, nil)
	}
}

// withChildren is the JSON of section m with every collection its kind
// holds under the collection's full_section property (left out when
// empty).
func withChildren(doc *config.Document, kind, name string, m any, redact func(any) any) (json.RawMessage, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", kind, name, err)
	}
	for _, c := range config.CollectionsOf(kind) {
		v, err := c.ListAll(doc, config.Parent{Kind: kind, Name: name})
		if err != nil {
			return nil, err
		}
		if reflect.ValueOf(v).Len() == 0 {
			continue
		}
		cb, err := json.Marshal(redact(v))
		if err != nil {
			return nil, fmt.Errorf("encode %s of %s %s: %w", c.Info().Path, kind, name, err)
		}
		b = spliceProperty(b, c.Info().FullSectionOf(kind), cb)
	}
	return b, nil
}

// spliceProperty adds "key": value at the end of the JSON object obj.
func spliceProperty(obj []byte, key string, value []byte) []byte {
	k, _ := json.Marshal(key)
	out := make([]byte, 0, len(obj)+len(k)+len(value)+2)
	out = append(out, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, value...)
	return append(out, '}')
}

// sectionChildren are the children a full_section write gives, by
// collection (nil when the write is not full_section).
type sectionChildren struct {
	kind string
	raw  map[config.ChildResource]json.RawMessage
}

// decodeSection decodes a section body into m. The full_section
// properties of its collections are set apart (ignored unless
// full_section=true, as in the Data Plane API).
func decodeSection(r *http.Request, kind string, m any) (*sectionChildren, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, badRequest("read body: %v", err)
	}
	if err := checkJSON(body); err != nil {
		return nil, badRequest("body: %v", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, badRequest("decode body: %v", err)
	}
	children := &sectionChildren{kind: kind, raw: map[config.ChildResource]json.RawMessage{}}
	for _, c := range config.CollectionsOf(kind) {
		key := c.Info().FullSectionOf(kind)
		if v, ok := obj[key]; ok {
			children.raw[c] = v
			delete(obj, key)
		}
	}
	rest, err := json.Marshal(obj)
	if err != nil {
		return nil, badRequest("decode body: %v", err)
	}
	if err := decodeStrict(rest, m); err != nil {
		return nil, err
	}
	if !fullSection(r) {
		return nil, nil
	}
	return children, nil
}

// apply makes the section hold the children of the body: with
// full_section, a collection left out of the body is emptied.
func (c *sectionChildren) apply(d *config.Document, name string) (*config.Document, error) {
	if c == nil {
		return d, nil
	}
	for _, coll := range config.CollectionsOf(c.kind) {
		list := coll.NewList()
		if raw, ok := c.raw[coll]; ok && string(raw) != "null" {
			if err := decodeStrict(raw, list); err != nil {
				return nil, fmt.Errorf("%s: %w", coll.Info().FullSectionOf(c.kind), err)
			}
		}
		var err error
		if d, err = coll.ReplaceAll(d, config.Parent{Kind: c.kind, Name: name}, list); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// --- child collections -------------------------------------------------------

// read answers a GET with what f reads from the document the request sees
// (the transaction's staged one with transaction_id, else the live one).
func (s *Server) read(r *http.Request, f func(*config.Document) (any, error)) (*response, error) {
	doc, err := s.readDoc(r)
	if err != nil {
		return nil, err
	}
	v, err := f(doc)
	if err != nil {
		return nil, err
	}
	return versioned(doc, v), nil
}

// childTarget is the parent and the item a request on one item addresses:
// {parent_name} (or the query parameter naming it), and {index} or
// {name}.
func childTarget(r *http.Request, c config.ChildResource, p config.ParentKind) (config.Parent, config.Key, error) {
	info := c.Info()
	parent := config.Parent{Kind: p.Kind, Name: pathParam(r, info.ParentPathParam())}
	if info.QueryParent != "" {
		// Required by the spec: the validator answers 400 without it.
		parent.Name = r.URL.Query().Get(info.QueryParent)
	}
	if !info.Positional {
		return parent, config.Key{Name: pathParam(r, info.KeyName())}, nil
	}
	if info.AppendOnly && r.Method == http.MethodPost {
		return parent, config.Key{Append: true}, nil
	}
	i, err := strconv.Atoi(pathParam(r, "index"))
	if err != nil {
		return parent, config.Key{}, badRequest("index %q is not an integer", pathParam(r, "index"))
	}
	return parent, config.Key{Index: i}, nil
}

func (s *Server) listChildren(c config.ChildResource, p config.ParentKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		parent, _, _ := childTarget(r, c, p)
		filter := map[string]string{}
		for _, f := range c.Info().Filters {
			filter[f] = r.URL.Query().Get(f)
		}
		redact := redactor(r)
		return s.read(r, func(d *config.Document) (any, error) {
			v, err := c.List(d, parent, filter)
			return redact(v), err
		})
	}
}

func (s *Server) getChild(c config.ChildResource, p config.ParentKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		parent, k, err := childTarget(r, c, p)
		if err != nil {
			return nil, err
		}
		redact := redactor(r)
		return s.read(r, func(d *config.Document) (any, error) {
			v, err := c.Get(d, parent, k)
			return redact(v), err
		})
	}
}

func (s *Server) createChild(c config.ChildResource, p config.ParentKind) handlerFunc {
	return s.writeChild(c, p, http.StatusCreated, c.Create)
}

func (s *Server) replaceChild(c config.ChildResource, p config.ParentKind) handlerFunc {
	return s.writeChild(c, p, http.StatusOK, func(d *config.Document, parent config.Parent, k config.Key, m any) (*config.Document, config.Key, error) {
		next, err := c.Replace(d, parent, k, m)
		return next, k, err
	})
}

// writeChild serves the writes that carry one item (create, replace): it
// decodes the item, applies op, and reads the item back at the key op
// returns.
func (s *Server) writeChild(c config.ChildResource, p config.ParentKind, applied int,
	op func(d *config.Document, parent config.Parent, k config.Key, m any) (*config.Document, config.Key, error)) handlerFunc {
	return func(r *http.Request) (*response, error) {
		parent, k, err := childTarget(r, c, p)
		if err != nil {
			return nil, err
		}
		m := c.NewModel()
		if err := decodeBody(r, m); err != nil {
			return nil, err
		}
		return s.write(r, applied, func(d *config.Document) (*config.Document, error) {
			next, at, err := op(d, parent, k, m)
			k = at
			return next, err
		}, func(d *config.Document) (any, error) { return c.Get(d, parent, k) })
	}
}

func (s *Server) deleteChild(c config.ChildResource, p config.ParentKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		parent, k, err := childTarget(r, c, p)
		if err != nil {
			return nil, err
		}
		return s.write(r, http.StatusNoContent, func(d *config.Document) (*config.Document, error) {
			return c.Delete(d, parent, k)
		}, nil)
	}
}

func (s *Server) replaceAllChildren(c config.ChildResource, p config.ParentKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		parent, _, _ := childTarget(r, c, p)
		list := c.NewList()
		if err := decodeBody(r, list); err != nil {
			return nil, err
		}
		return s.write(r, http.StatusOK, func(d *config.Document) (*config.Document, error) {
			return c.ReplaceAll(d, parent, list)
		}, func(d *config.Document) (any, error) { return c.List(d, parent, nil) })
	}
}
