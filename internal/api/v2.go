package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/config"
)

// The Data Plane API v2 paths that tutorials and old pipelines still call
// (/v2/services/haproxy/configuration/servers?backend=be, ...) are served
// by translating each request to its v3 operation and running that, with
// the same authentication, validation and handlers: nothing here knows
// what an operation does. Only the shape differs: a v2 GET of the
// configuration answers {"_version": N, "data": ...}, parents are query
// parameters (backend=, frontend=, parent_type= and parent_name=), and
// every answer says it is deprecated (Deprecation, and Link to the v3
// path).

const v2Prefix = "/v2"

// v2Request is a v2 request translated to v3.
type v2Request struct {
	path     string     // the v3 path, /v3/...
	query    url.Values // the v3 query
	envelope bool       // a configuration read: wrap the answer
}

// v2ParentKinds maps the v2 parent query parameters to section kinds.
var v2ParentKinds = map[string]string{"backend": config.KindBackend, "frontend": config.KindFrontend,
	"defaults": config.KindDefaults, "global": config.KindGlobal, "fcgi_app": config.KindFCGIApp}

// translateV2 returns the v3 form of a v2 request; false when the v2 path
// has none.
func translateV2(method, path string, query url.Values) (v2Request, bool) {
	rest, ok := strings.CutPrefix(path, v2Prefix)
	if !ok {
		return v2Request{}, false
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	out := v2Request{path: "/v3" + rest, query: q}
	const cfg = "/services/haproxy/configuration/"
	switch {
	case strings.HasPrefix(rest, "/services/haproxy/runtime/servers"):
		// /runtime/servers[/{name}]?backend=be -> /runtime/backends/be/servers[/{name}]
		be := q.Get("backend")
		if be == "" || strings.Contains(be, "/") {
			return v2Request{}, false
		}
		q.Del("backend")
		out.path = "/v3/services/haproxy/runtime/backends/" + url.PathEscape(be) + "/servers" +
			strings.TrimPrefix(rest, "/services/haproxy/runtime/servers")
	case strings.HasPrefix(rest, cfg):
		segs := strings.SplitN(strings.TrimPrefix(rest, cfg), "/", 2)
		if c, ok := config.CollectionByPath(segs[0]); ok {
			kind, name, ok := v2Parent(q, c.Info())
			if !ok {
				return v2Request{}, false
			}
			p, _ := config.ParentKindOf(kind)
			out.path = "/v3" + CollectionPath(p, c.Info())
			out.path = strings.Replace(out.path, "{parent_name}", url.PathEscape(name), 1)
			if len(segs) == 2 {
				out.path += "/" + segs[1]
			}
		}
		out.envelope = method == http.MethodGet && segs[0] != "version"
	}
	return out, true
}

// v2Parent reads the parent of a child resource from a v2 query:
// backend=, frontend= (and the other kinds), or parent_type= with
// parent_name=. The parameters are removed from q.
func v2Parent(q url.Values, info config.CollectionInfo) (kind, name string, ok bool) {
	if t := q.Get("parent_type"); t != "" {
		kind, name = v2ParentKinds[t], q.Get("parent_name")
		q.Del("parent_type")
		q.Del("parent_name")
	} else {
		for param, k := range v2ParentKinds {
			if v := q.Get(param); v != "" {
				kind, name = k, v
				q.Del(param)
				break
			}
		}
	}
	if kind == "" || !info.HasParent(kind) {
		return "", "", false
	}
	if p, _ := config.ParentKindOf(kind); !p.Singleton && (name == "" || strings.Contains(name, "/")) {
		return "", "", false
	}
	return kind, name, true
}

// serveV2 answers a /v2 request with its v3 operation.
func (s *Server) serveV2(w http.ResponseWriter, r *http.Request) {
	t, ok := translateV2(r.Method, r.URL.Path, r.URL.Query())
	if !ok {
		writeError(w, r, s.log, notFound("the Data Plane API v2 path %s is not served: child resources need their parent (backend=, frontend=, or parent_type= and parent_name=); see /v3/specification", r.URL.Path))
		return
	}
	v3 := r.Clone(r.Context())
	v3.URL.Path, v3.URL.RawPath = t.path, ""
	v3.URL.RawQuery = t.query.Encode()
	v3.RequestURI = v3.URL.RequestURI()
	rctx := chi.NewRouteContext()
	rctx.RoutePath = strings.TrimPrefix(t.path, "/v3")
	if !s.v3.Match(chi.NewRouteContext(), r.Method, rctx.RoutePath) {
		writeError(w, r, s.log, notFound("the Data Plane API v2 path %s has no v3 operation (%s %s); see /v3/specification", r.URL.Path, r.Method, t.path))
		return
	}
	v3 = v3.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rctx))

	w.Header().Set("Deprecation", "true")
	w.Header().Add("Link", "<"+v3.URL.RequestURI()+`>; rel="successor-version"`)
	if !t.envelope {
		s.v3.ServeHTTP(w, v3)
		return
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.v3.ServeHTTP(rec, v3)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	body := rec.body.Bytes()
	if rec.status == http.StatusOK {
		body = v2Envelope(rec.header, body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Del("Content-Length")
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(body)
}

// v2Envelope wraps a v3 read as v2 answered it: {"_version": N, "data":
// <the v3 answer>}; a text answer (the raw configuration) is a JSON string.
func v2Envelope(h http.Header, body []byte) []byte {
	version, _ := strconv.ParseInt(h.Get(headerConfigVersion), 10, 64)
	data := json.RawMessage(body)
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		data, _ = json.Marshal(string(body))
	}
	out, err := json.Marshal(struct {
		Version int64           `json:"_version"`
		Data    json.RawMessage `json:"data"`
	}{version, data})
	if err != nil {
		return body
	}
	return append(out, '\n')
}

// recorder keeps a v3 answer for serveV2 to reshape.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
