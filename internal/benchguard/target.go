package benchguard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"dataplane/internal/config"
)

// request is one request of an operation.
type request struct {
	method, path string
	body         []byte
}

// target is a family made concrete on one configuration: the items its
// operations address. Round i of the staged operations creates an item,
// replaces it (a real change) and deletes it, so that every round leaves
// the configuration as it found it.
type target interface {
	// request returns the request of op (not commit) for round i, in
	// transaction tx ("" for none).
	request(op string, i int, tx string) request
	// commitPair returns the changes of commit round k, outside any
	// transaction: the first is committed, then the second, which undoes
	// it.
	commitPair(k int) (request, request)
}

func inTx(path, tx string) string {
	if tx == "" {
		return path
	}
	if strings.Contains(path, "?") {
		return path + "&transaction_id=" + tx
	}
	return path + "?transaction_id=" + tx
}

// prepare builds the target of f on the live configuration d, reading the
// items it copies through the API.
func prepare(ctx context.Context, c *Client, d *config.Document, f Family) (target, error) {
	switch f.kind {
	case kindSection:
		names := sectionNames(f.sec, d)
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: the configuration has none", f.Name)
		}
		return newItemTarget(ctx, c, configurationBase+"/"+f.sec.Info().Path, "", false, names)
	case kindCollection:
		return prepareCollection(ctx, c, d, f)
	case kindGlobal:
		return newGlobalTarget(ctx, c)
	case kindRuntime:
		return newRuntimeTarget(d)
	}
	return nil, fmt.Errorf("family %s of unknown kind %q", f.Name, f.kind)
}

func sectionNames(sec config.SectionResource, d *config.Document) []string {
	v := reflect.ValueOf(sec.List(d))
	names := make([]string, v.Len())
	for i := range names {
		names[i] = sec.NameOf(v.Index(i).Addr().Interface())
	}
	return names
}

// MeasuredParent returns the section a collection is measured in: of its
// first parent kind, the one that holds the most items (the middle one of
// those that tie), and how many it holds.
func MeasuredParent(d *config.Document, c config.ChildResource) (config.Parent, int, error) {
	pk := c.Info().Parents[0]
	var best []string
	most := 0
	for _, s := range d.SectionsOf(pk.Kind) {
		name := d.APIName(s)
		items, err := c.List(d, config.Parent{Kind: pk.Kind, Name: name}, nil)
		if err != nil {
			return config.Parent{}, 0, err
		}
		switch n := reflect.ValueOf(items).Len(); {
		case n > most:
			most, best = n, []string{name}
		case n == most && n > 0:
			best = append(best, name)
		}
	}
	if most == 0 {
		return config.Parent{}, 0, fmt.Errorf("no %s section of the configuration holds %s lines (give cfggen.Realistic some)", pk.Kind, c.Info().Keyword)
	}
	return config.Parent{Kind: pk.Kind, Name: best[len(best)/2]}, most, nil
}

// prepareCollection measures a collection in its MeasuredParent.
func prepareCollection(ctx context.Context, c *Client, d *config.Document, f Family) (target, error) {
	info := f.coll.Info()
	pk := info.Parents[0]
	p, most, err := MeasuredParent(d, f.coll)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	list := configurationBase + "/" + pk.Path + "/" + p.Name + "/" + info.Path
	query := ""
	if info.QueryParent != "" {
		list = configurationBase + "/" + info.Path
		query = "?" + info.QueryParent + "=" + url.QueryEscape(p.Name)
	}
	if info.Positional {
		keys := make([]string, most)
		for i := range keys {
			keys[i] = strconv.Itoa(i)
		}
		return newItemTarget(ctx, c, list, query, true, keys)
	}
	all, err := f.coll.ListAll(d, p)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range reflect.ValueOf(all).MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	return newItemTarget(ctx, c, list, query, false, keys)
}

// itemTarget serves sections and collections: copies of the middle item
// are created, replaced with the body of another item and deleted.
type itemTarget struct {
	list       string
	query      string // "?userlist=<name>" for items addressed so, else ""
	positional bool
	mid        string // key (or index) of the item read and copied
	keyField   string // keyed: the JSON property that holds the key
	orig       map[string]any
	other      map[string]any
}

func newItemTarget(ctx context.Context, c *Client, list, query string, positional bool, keys []string) (*itemTarget, error) {
	t := &itemTarget{list: list, query: query, positional: positional, mid: keys[len(keys)/2]}
	if err := c.getJSON(ctx, t.path("/"+t.mid), &t.orig); err != nil {
		return nil, err
	}
	if !positional {
		for k, v := range t.orig {
			if s, ok := v.(string); ok && s == t.mid {
				t.keyField = k
				break
			}
		}
		if t.keyField == "" {
			return nil, fmt.Errorf("%s/%s: no property of the item holds its key", list, t.mid)
		}
	}
	// Another item whose body differs, so that a replace changes the
	// copy; the item itself when all are alike.
	t.other = t.orig
	want, _ := json.Marshal(t.orig)
	for j := 1; j < len(keys) && j <= 20; j++ {
		k := keys[(len(keys)/2+j)%len(keys)]
		var m map[string]any
		if err := c.getJSON(ctx, t.path("/"+k), &m); err != nil {
			return nil, err
		}
		if !positional {
			m[t.keyField] = t.mid
		}
		if got, _ := json.Marshal(m); string(got) != string(want) {
			t.other = m
			break
		}
	}
	return t, nil
}

// path is the list's path with suffix ("/<key>"), and the query naming
// the parent when there is one.
func (t *itemTarget) path(suffix string) string { return t.list + suffix + t.query }

// key is the key of the item round i creates.
func (t *itemTarget) key(i int) string {
	if t.positional {
		return t.mid
	}
	// Named after the list: frontends, backends, log-forwards and peers
	// share HAProxy's proxy names, and the commit round creates items of
	// every family in one file.
	return path.Base(t.list) + "_" + strconv.Itoa(i)
}

func (t *itemTarget) body(m map[string]any, i int) []byte {
	if !t.positional {
		c := make(map[string]any, len(m))
		for k, v := range m {
			c[k] = v
		}
		c[t.keyField] = t.key(i)
		m = c
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // decoded from JSON: always encodes
	}
	return b
}

func (t *itemTarget) request(op string, i int, tx string) request {
	switch op {
	case OpList:
		return request{http.MethodGet, t.path(""), nil}
	case OpGet:
		return request{http.MethodGet, t.path("/" + t.mid), nil}
	case OpCreate:
		path := t.path("")
		if t.positional {
			path = t.path("/" + t.mid)
		}
		return request{http.MethodPost, inTx(path, tx), t.body(t.orig, i)}
	case OpReplace:
		return request{http.MethodPut, inTx(t.path("/"+t.key(i)), tx), t.body(t.other, i)}
	case OpDelete:
		return request{http.MethodDelete, inTx(t.path("/"+t.key(i)), tx), nil}
	}
	panic("no operation " + op)
}

func (t *itemTarget) commitPair(k int) (request, request) {
	return t.request(OpCreate, 1000+k, ""), t.request(OpDelete, 1000+k, "")
}

// globalTarget changes global's maxconn.
type globalTarget struct {
	orig    map[string]any
	maxconn float64
}

const globalPath = configurationBase + "/global"

func newGlobalTarget(ctx context.Context, c *Client) (*globalTarget, error) {
	t := &globalTarget{maxconn: 4096}
	if err := c.getJSON(ctx, globalPath, &t.orig); err != nil {
		return nil, err
	}
	if po, ok := t.orig["performance_options"].(map[string]any); ok {
		if v, ok := po["maxconn"].(float64); ok {
			t.maxconn = v
		}
	}
	return t, nil
}

func (t *globalTarget) withMaxconn(v float64) []byte {
	m := make(map[string]any, len(t.orig))
	for k, x := range t.orig {
		m[k] = x
	}
	po := map[string]any{}
	if old, ok := t.orig["performance_options"].(map[string]any); ok {
		for k, x := range old {
			po[k] = x
		}
	}
	po["maxconn"] = v
	m["performance_options"] = po
	b, _ := json.Marshal(m)
	return b
}

func (t *globalTarget) request(op string, i int, tx string) request {
	switch op {
	case OpGet:
		return request{http.MethodGet, globalPath, nil}
	case OpReplace:
		// Another value than the round before: always a change.
		return request{http.MethodPut, inTx(globalPath, tx), t.withMaxconn(t.maxconn + 1 + float64(i%2))}
	}
	panic("no operation " + op + " on global")
}

func (t *globalTarget) commitPair(int) (request, request) {
	return request{http.MethodPut, globalPath, t.withMaxconn(t.maxconn + 1)},
		request{http.MethodPut, globalPath, t.withMaxconn(t.maxconn)}
}

// runtimeTarget works on the servers of the middle backend as HAProxy
// runs them: weights, servers added and deleted through the socket.
type runtimeTarget struct {
	base   string
	server string
}

func newRuntimeTarget(d *config.Document) (*runtimeTarget, error) {
	backends := d.SectionsOf(config.KindBackend)
	for j := 0; j < len(backends); j++ {
		name := d.APIName(backends[(len(backends)/2+j)%len(backends)])
		servers, err := config.Servers.Items(d, config.Parent{Kind: config.KindBackend, Name: name})
		if err != nil {
			return nil, err
		}
		if len(servers) > 0 {
			return &runtimeTarget{base: "/services/haproxy/runtime/backends/" + name + "/servers", server: servers[0].Name}, nil
		}
	}
	return nil, fmt.Errorf("runtime servers: no backend of the configuration has servers")
}

func (t *runtimeTarget) request(op string, i int, _ string) request {
	name := "bench_" + strconv.Itoa(i)
	switch op {
	case OpList:
		return request{http.MethodGet, t.base, nil}
	case OpGet:
		return request{http.MethodGet, t.base + "/" + t.server, nil}
	case OpCreate:
		return request{http.MethodPost, t.base, fmt.Appendf(nil, `{"name": %q, "address": "127.0.0.1", "port": %d}`, name, 20000+i%1000)}
	case OpReplace:
		return request{http.MethodPut, t.base + "/" + t.server, fmt.Appendf(nil, `{"weight": %d}`, 11+i%2)}
	case OpDelete:
		return request{http.MethodDelete, t.base + "/" + name, nil}
	}
	panic("no operation " + op + " on runtime servers")
}

func (t *runtimeTarget) commitPair(int) (request, request) {
	panic("runtime servers are not committed")
}
