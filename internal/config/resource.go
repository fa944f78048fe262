package config

import (
	"fmt"
	"sort"
)

// A resource of the API is declared once, here in internal/config, and
// everything else follows from the declaration: the HTTP routes for every
// parent kind (internal/api), the spec's path items (api/gen), the
// full_section children of the parents, and the generic golden tests. A
// declaration says what the lines are (keyword, model, codec) and where
// they may be (parent kinds); it holds no HTTP code.

// ParentKind is a section kind as the API addresses it.
type ParentKind struct {
	Kind   string // section keyword: "frontend"
	Path   string // API path segment: "frontends"
	OpName string // operationId suffix, as in the Data Plane API: "Frontend"
	// Singleton kinds have one section, addressed without a name:
	// /services/haproxy/configuration/global/log_targets.
	Singleton bool
	// Needs is the HAProxy version the kind needs when it is newer than
	// 2.6 ("3.4"): the spec says so in the operations of its children.
	Needs string
}

// parentKinds are the section kinds the Data Plane API v3 hangs child
// resources on, with its path segments and operationId suffixes.
var parentKinds = map[string]ParentKind{
	KindFrontend:   {KindFrontend, "frontends", "Frontend", false, ""},
	KindBackend:    {KindBackend, "backends", "Backend", false, ""},
	KindDefaults:   {KindDefaults, "defaults", "Defaults", false, ""},
	KindFCGIApp:    {KindFCGIApp, "fcgi_apps", "FCGIApp", false, ""},
	KindPeers:      {KindPeers, "peers", "Peer", false, ""},
	KindRing:       {KindRing, "rings", "Ring", false, ""},
	KindLogForward: {KindLogForward, "log_forwards", "LogForward", false, ""},
	KindGlobal:     {KindGlobal, "global", "Global", true, ""},
	KindUserlist:   {KindUserlist, "userlists", "Userlist", false, ""},
	KindResolvers:  {KindResolvers, "resolvers", "Resolver", false, ""},
	KindMailers:    {KindMailers, "mailers_section", "MailersSection", false, ""},
	// Newer than HAProxy 2.6 (newkinds.go).
	KindCrtStore:    {KindCrtStore, "crt_stores", "CrtStore", false, "3.0"},
	KindHealthcheck: {KindHealthcheck, "healthchecks", "Healthcheck", false, "3.4"},
}

// ParentKindOf returns the API naming of a section kind.
func ParentKindOf(kind string) (ParentKind, bool) {
	p, ok := parentKinds[kind]
	return p, ok
}

// CollectionInfo is what routes, the spec generator and tests need to know
// about a child collection, without its model type.
type CollectionInfo struct {
	Name    string // singular, for messages: "server", "acl"
	Path    string // API path segment: "servers", "acls"
	OpName  string // operationId infix: getAll<OpName><Parent>: "Server", "Acl"
	Tag     string // the spec's tag: "Server", "ACL"
	Schema  string // the spec's schema of one item: "server", "acl"
	Keyword string // first word of its lines
	// Positional collections are ordered lists addressed by index (ACLs,
	// rules); the others are keyed by name (servers, binds).
	Positional bool
	Parents    []ParentKind
	// FullSection is the property of the parent's model that holds the
	// collection with full_section=true: a map by name for keyed
	// collections ("servers"), a list for positional ones ("acl_list").
	FullSection string
	// FullSectionIn names the property for the parent kinds where the
	// contract calls it otherwise (healthcheck: tcp_check_list, where
	// backends and defaults have tcp_check_rule_list).
	FullSectionIn map[string]string
	// Filters are the query parameters the list operation filters on.
	Filters []string
	// PluralListOps: operationIds without the parent kind, plural for the
	// list operations (see OpID).
	PluralListOps bool
	// OpPlural, when set, is the plural operationId infix of the list
	// operations with PluralListOps: "PeerEntries" (default OpName+"s").
	OpPlural string
	// QueryParent, when set, is the query parameter naming the parent
	// section: the items live at /services/haproxy/configuration/<Path>
	// (users?userlist=..., nameservers?resolver=...), as the Data Plane
	// API addresses the children of userlists, resolvers, peers and
	// mailers sections. Such a collection has one parent kind.
	QueryParent string
	// PathKey is the path parameter of a keyed item when it is not
	// {name}: users are /users/{username}.
	PathKey string
	// ParentParam is the path parameter naming the parent when it is not
	// {parent_name}: /crt_stores/{crt_store}/crt_loads.
	ParentParam string
	// AppendOnly: a positional collection whose items are added at the
	// end by a POST on the list, and which has no insert at an index and
	// no replace-all (the Data Plane API's ssl_front_uses and
	// force_be_switches).
	AppendOnly bool
}

// ParentPathParam is the path parameter naming the parent section:
// "parent_name" unless the collection names it otherwise.
func (i CollectionInfo) ParentPathParam() string {
	if i.ParentParam != "" {
		return i.ParentParam
	}
	return "parent_name"
}

// KeyName is the path parameter of one keyed item: "name", "username".
func (i CollectionInfo) KeyName() string {
	if i.PathKey != "" {
		return i.PathKey
	}
	return "name"
}

// OpID is the Data Plane API v3 operationId of one operation of the
// collection on parent kind p; prefix is getAll, replaceAll, get, create,
// replace or delete: getAllAclFrontend, or for the lists the Data Plane
// API names without their parent, getBackendSwitchingRules and
// createBackendSwitchingRule.
func (i CollectionInfo) OpID(prefix string, p ParentKind) string {
	if !i.PluralListOps {
		return prefix + i.OpName + p.OpName
	}
	plural := i.OpPlural
	if plural == "" {
		plural = i.OpName + "s"
	}
	switch prefix {
	case "getAll":
		return "get" + plural
	case "replaceAll":
		return "replace" + plural
	}
	return prefix + i.OpName
}

// ListSchema is the spec's schema of the whole list: "servers", "acls".
func (i CollectionInfo) ListSchema() string { return i.Path }

// FullSectionOf is the property of a parent of that kind that holds the
// collection with full_section=true.
func (i CollectionInfo) FullSectionOf(kind string) string {
	if p, ok := i.FullSectionIn[kind]; ok {
		return p
	}
	return i.FullSection
}

// HasParent reports whether sections of kind may hold the collection.
func (i CollectionInfo) HasParent(kind string) bool {
	for _, p := range i.Parents {
		if p.Kind == kind {
			return true
		}
	}
	return false
}

// Key addresses one item of a collection: by name, or by index for
// positional collections.
type Key struct {
	Name  string
	Index int
	// Append, for a positional collection, adds after the last item
	// (Index is ignored): the create of an AppendOnly collection.
	Append bool
}

func (k Key) String() string {
	if k.Name != "" {
		return fmt.Sprintf("%q", k.Name)
	}
	return fmt.Sprintf("#%d", k.Index)
}

// Parent addresses the section that holds a collection.
type Parent struct {
	Kind string
	Name string
}

func (p Parent) String() string { return p.Kind + " " + fmt.Sprintf("%q", p.Name) }

// ChildResource is a declared collection with its model type erased, for
// code that serves every collection the same way (HTTP handlers, the
// generic golden tests). Models travel as pointers to the declared type
// (NewModel) or as its slices and maps (NewList).
type ChildResource interface {
	Info() CollectionInfo
	// NewModel returns a pointer to a zero model, to decode a body into.
	NewModel() any
	// NewList returns a pointer to an empty list of models (a map by name
	// for keyed collections), to decode a replace-all body into.
	NewList() any
	// List returns every item of the parent ([]T, never nil), filtered by
	// the declared filters given in filter (nil: none).
	List(d *Document, p Parent, filter map[string]string) (any, error)
	// ListAll returns what full_section shows: []T or map[string]T.
	ListAll(d *Document, p Parent) (any, error)
	Get(d *Document, p Parent, k Key) (any, error)
	// Create adds m (a *T). Keyed collections take the key from m and
	// ignore k; positional ones insert at k.Index. It returns the key to
	// read the new item back with.
	Create(d *Document, p Parent, k Key, m any) (*Document, Key, error)
	Replace(d *Document, p Parent, k Key, m any) (*Document, error)
	Delete(d *Document, p Parent, k Key) (*Document, error)
	// ReplaceAll makes the parent hold exactly list (what NewList points
	// to, dereferenced or not).
	ReplaceAll(d *Document, p Parent, list any) (*Document, error)
}

var collections []ChildResource

// Register adds a collection to the registry. Declarations call it from
// package-level variables, so the registry is complete before main runs.
func Register[T any](c *Collection[T]) *Collection[T] {
	if err := c.validate(); err != nil {
		panic(err)
	}
	collections = append(collections, c)
	sort.SliceStable(collections, func(i, j int) bool { return collections[i].Info().Path < collections[j].Info().Path })
	return c
}

// Collections returns every declared child collection, sorted by path.
func Collections() []ChildResource { return collections }

// CollectionsOf returns the collections sections of kind may hold.
func CollectionsOf(kind string) []ChildResource {
	var out []ChildResource
	for _, c := range collections {
		if c.Info().HasParent(kind) {
			out = append(out, c)
		}
	}
	return out
}

// CollectionByPath returns the collection served at path segment p.
func CollectionByPath(p string) (ChildResource, bool) {
	for _, c := range collections {
		if c.Info().Path == p {
			return c, true
		}
	}
	return nil, false
}

// SectionInfo describes a section kind served as a resource.
type SectionInfo struct {
	Kind   string // section keyword: "backend"
	Path   string // API path segment: "backends"
	OpName string // operationId suffix: "Backend"
	Tag    string
	Schema string // the spec's schema of one section: "backend"
	// OpIDs are the operationIds that do not follow the usual naming
	// (see OpID), by operation: {"create": "createPeer"}.
	OpIDs map[string]string
	// NoReplace: the kind has no PUT (the Data Plane API replaces
	// neither userlists nor peers sections: their content is children).
	NoReplace bool
	// Templated: the spec's path items of the kind come from
	// api/spec/templates/section.yaml.tmpl and its schemas from
	// api/spec/sections/<Path>.yaml; the first kinds (frontends,
	// backends, defaults) are written out in api/spec/base.yaml.
	Templated bool
}

// OpID is the operationId of one operation on the kind: op is list,
// create, get, replace or delete (getBackends, createBackend, ...).
func (i SectionInfo) OpID(op string) string {
	if id, ok := i.OpIDs[op]; ok {
		return id
	}
	if op == "list" {
		return "get" + i.OpName + "s"
	}
	return op + i.OpName
}

// ListSchema is the spec's schema of a list of sections: "backends".
func (i SectionInfo) ListSchema() string { return i.Schema + "s" }

// SectionResource is a section kind with its model type erased, for code
// that serves every kind the same way.
type SectionResource interface {
	Info() SectionInfo
	NewModel() any
	// NameOf returns the name of a model (a *T).
	NameOf(m any) string
	// List returns every section of the kind ([]T, never nil).
	List(d *Document) any
	Get(d *Document, name string) (any, error)
	// Create adds the section m (a *T) and returns its name.
	Create(d *Document, m any) (*Document, string, error)
	Replace(d *Document, name string, m any) (*Document, error)
	Delete(d *Document, name string) (*Document, error)
}

var sectionResources []SectionResource

// registerSection adds a section kind to the registry.
func registerSection[T any](sm *sectionModel[T]) *sectionModel[T] {
	if sm.from == nil {
		// Kinds without `from` (userlists, rings...): every model reads
		// "" and a write goes nowhere.
		sm.from = func(*T) *string { return new(string) }
	}
	sectionResources = append(sectionResources, sm)
	return sm
}

// SectionResources returns the section kinds served as resources.
func SectionResources() []SectionResource { return sectionResources }
