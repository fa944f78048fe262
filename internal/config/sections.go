package config

import (
	"fmt"
	"sort"
	"sync/atomic"

	"dataplane/internal/fault"
)

// ErrInUse marks a change refused because other configuration depends on
// the object (it maps to 409).
var ErrInUse = fault.Sentinel(fault.Conflict, "in use")

// Frontend is a `frontend` section. Its child lines (binds, ACLs, ...)
// are collections (see collection.go): the API adds them under their
// full_section property.
type Frontend struct {
	Name        string `json:"name"`
	From        string `json:"from,omitempty"`
	Description string `json:"description,omitempty"`
	ID          *int64 `json:"id,omitempty"`
	ProxyCommon
	FrontendOptions
	*FrontendOnly
	Meta // metadata: the trailing comment of its header line (metadata.go)
}

// Backend is a `backend` section.
type Backend struct {
	Name                string `json:"name"`
	From                string `json:"from,omitempty"`
	Description         string `json:"description,omitempty"`
	ID                  *int64 `json:"id,omitempty"`
	ServerStateFileName string `json:"server_state_file_name,omitempty"`
	ProxyCommon
	BackendOptions
	*BackendOnly
	Meta // metadata: the trailing comment of its header line (metadata.go)
}

// Defaults is a `defaults` section. Unnamed ones are called
// unnamed_defaults_N in the API and stay unnamed in the file.
type Defaults struct {
	Name string `json:"name"`
	From string `json:"from,omitempty"`
	ProxyCommon
	FrontendOptions
	BackendOptions
	Meta // metadata: the trailing comment of its header line (metadata.go)
}

var frontendFields = withMasks(concat(
	lift(proxyCommonFields, func(m *Frontend) *ProxyCommon { return &m.ProxyCommon }),
	lift(frontendOptionFields, func(m *Frontend) *FrontendOptions { return &m.FrontendOptions }),
	fieldSet[Frontend]{
		textField("description", []string{"description"}, func(m *Frontend) *string { return &m.Description }),
		intField("id", []string{"id"}, 1, 1<<31, func(m *Frontend) **int64 { return &m.ID }),
	},
	liftMore(frontendOnlyFields, func(m *Frontend) **FrontendOnly { return &m.FrontendOnly }),
))

var backendFields = withMasks(concat(
	lift(proxyCommonFields, func(m *Backend) *ProxyCommon { return &m.ProxyCommon }),
	lift(backendOptionFields, func(m *Backend) *BackendOptions { return &m.BackendOptions }),
	fieldSet[Backend]{
		textField("description", []string{"description"}, func(m *Backend) *string { return &m.Description }),
		intField("id", []string{"id"}, 1, 1<<31, func(m *Backend) **int64 { return &m.ID }),
		wordField("server_state_file_name", []string{"server-state-file-name"}, nil, func(m *Backend) *string { return &m.ServerStateFileName }),
	},
	liftMore(backendOnlyFields, func(m *Backend) **BackendOnly { return &m.BackendOnly }),
))

var defaultsFields = withMasks(concat(
	lift(proxyCommonFields, func(m *Defaults) *ProxyCommon { return &m.ProxyCommon }),
	lift(frontendOptionFields, func(m *Defaults) *FrontendOptions { return &m.FrontendOptions }),
	lift(backendOptionFields, func(m *Defaults) *BackendOptions { return &m.BackendOptions }),
))

func concat[T any](sets ...fieldSet[T]) fieldSet[T] {
	var out fieldSet[T]
	for _, s := range sets {
		out = append(out, s...)
	}
	return out
}

// sectionModel is the generic CRUD of one section kind.
type sectionModel[T any] struct {
	info   SectionInfo
	fields fieldSet[T]
	name   func(*T) *string
	from   func(*T) *string
	check  func(*T) error // model-specific checks beyond the fields'
	// atEnd: new sections go to the end of the file. A new defaults
	// section must not land between existing proxies and the defaults
	// they inherit.
	atEnd bool
	cache func(*Section) *atomic.Value
}

var frontendModel = registerSection(&sectionModel[Frontend]{
	info:   SectionInfo{Kind: KindFrontend, Path: "frontends", OpName: "Frontend", Tag: "Frontend", Schema: "frontend"},
	fields: frontendFields,
	name:   func(m *Frontend) *string { return &m.Name },
	from:   func(m *Frontend) *string { return &m.From },
	check:  func(m *Frontend) error { return checkMode(m.Mode, "http", "tcp") },
	cache:  func(s *Section) *atomic.Value { return &s.model },
})

var backendModel = registerSection(&sectionModel[Backend]{
	info:   SectionInfo{Kind: KindBackend, Path: "backends", OpName: "Backend", Tag: "Backend", Schema: "backend"},
	fields: backendFields,
	name:   func(m *Backend) *string { return &m.Name },
	from:   func(m *Backend) *string { return &m.From },
	check: func(m *Backend) error {
		if o := m.BackendOnly; o != nil {
			if err := foldSingleCond("force_persist", &o.ForcePersist, &o.ForcePersistList); err != nil {
				return err
			}
			if err := foldSingleCond("ignore_persist", &o.IgnorePersist, &o.IgnorePersistList); err != nil {
				return err
			}
		}
		return checkMode(m.Mode, "http", "tcp", "log")
	},
	cache: func(s *Section) *atomic.Value { return &s.model },
})

var defaultsModel = registerSection(&sectionModel[Defaults]{
	info:   SectionInfo{Kind: KindDefaults, Path: "defaults", OpName: "Defaults", Tag: "Defaults", Schema: "defaults"},
	fields: defaultsFields, atEnd: true,
	name:  func(m *Defaults) *string { return &m.Name },
	from:  func(m *Defaults) *string { return &m.From },
	check: func(m *Defaults) error { return checkMode(m.Mode, "http", "tcp", "log") },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

func checkMode(v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	return checkEnum("mode", v, allowed...)
}

// read builds the model of a section, once per section (sections are
// immutable, so the model can be shared by every document holding it).
func (sm *sectionModel[T]) read(d *Document, s *Section) T {
	m := *sm.cached(s)
	*sm.name(&m) = d.APIName(s)
	return m
}

// cached returns the shared model of a section (its name is the one in the
// file), building it on first use. It must not be modified.
func (sm *sectionModel[T]) cached(s *Section) *T {
	c := sm.cache(s)
	if v, ok := c.Load().(*T); ok {
		return v
	}
	split := s.parsed.Load() != nil
	m := new(T)
	*sm.name(m) = s.Name
	*sm.from(m) = s.From
	if _, comment := splitWords(s.header); comment != "" {
		setMetadata(m, comment)
	}
	sm.fields.read(s, m)
	c.Store(m)
	if !split && len(s.lines) <= keepSplitFrom {
		// The model is what reads use from now on: the split lines that
		// built it are dropped rather than kept beside it for every
		// section (a third of the heap at 100,000 backends). A read of a
		// child list or an edit splits the few lines again.
		s.parsed.Store(nil)
	}
	return m
}

// keepSplitFrom is the body length from which the split lines that built
// a section's model are kept: splitting a long section again costs more
// than its lines weigh.
const keepSplitFrom = 64

// list returns the models of every section of the kind. They share memory
// with the per-section cache (lists of 10,000 backends are served from it
// without copying): callers must treat them as read-only.
//
// The slice is sized up front and each model is copied straight into it:
// appending 10,000 Backends (~470 bytes each) grew the slice ~40 times and
// allocated ~23 MB per GET, and read's local copy escaped to the heap.
//
// A name used by two sections of the kind (HAProxy refuses such a file)
// addresses the first one only: the others are left out, so that what a
// list shows is what a GET, PUT or DELETE by that name reaches.
func (sm *sectionModel[T]) list(d *Document) []T {
	n := 0
	for i, s := range d.sections {
		if s.Kind == sm.info.Kind && d.reachable(i) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]T, n)
	i := 0
	for pos, s := range d.sections {
		if s.Kind == sm.info.Kind && d.reachable(pos) {
			out[i] = *sm.cached(s)
			*sm.name(&out[i]) = d.APIName(s)
			i++
		}
	}
	return out
}

// get returns a deep copy of one section's model: the caller may change it.
func (sm *sectionModel[T]) get(d *Document, name string) (T, error) {
	s, ok := d.Section(sm.info.Kind, name)
	if !ok {
		var zero T
		return zero, fmt.Errorf("%s %q: %w", sm.info.Kind, name, ErrNotFound)
	}
	return deepCopy(sm.read(d, s)), nil
}

func (sm *sectionModel[T]) validate(m *T) error {
	if err := CheckName("name", *sm.name(m)); err != nil {
		return err
	}
	if f := *sm.from(m); f != "" {
		if err := CheckName("from", f); err != nil {
			return err
		}
	}
	if err := sm.fields.check(m); err != nil {
		return err
	}
	if sm.check != nil {
		return sm.check(m)
	}
	return nil
}

func (sm *sectionModel[T]) header(m *T) []string {
	w := []string{sm.info.Kind, *sm.name(m)}
	if f := *sm.from(m); f != "" {
		w = append(w, "from", f)
	}
	return w
}

func (sm *sectionModel[T]) create(d *Document, m T) (*Document, error) {
	if _, ok := unnamedDefaultsNumber(*sm.name(&m)); ok && sm.info.Kind == KindDefaults {
		return nil, invalid("name", "%q is reserved for unnamed defaults sections", *sm.name(&m))
	}
	if err := sm.validate(&m); err != nil {
		return nil, err
	}
	if err := d.checkFrom(*sm.from(&m)); err != nil {
		return nil, err
	}
	comment, err := modelComment(&m)
	if err != nil {
		return nil, err
	}
	return d.addSectionWithComment(sm.info.Kind, *sm.name(&m), sm.header(&m), comment, sm.fields.sectionWords(&m), sm.atEnd)
}

// replace makes section name hold m: modelled lines change in place,
// everything else stays.
func (sm *sectionModel[T]) replace(d *Document, name string, m T) (*Document, error) {
	pos, ok := d.sectionPos(sm.info.Kind, name)
	if !ok {
		return nil, fmt.Errorf("%s %q: %w", sm.info.Kind, name, ErrNotFound)
	}
	s := d.sections[pos]
	if n := *sm.name(&m); n == "" {
		*sm.name(&m) = name
	} else if n != name {
		return nil, invalid("name", "%q differs from the %s being replaced (%q); renaming is not supported", n, sm.info.Kind, name)
	}
	// Validate with a name that passes the pattern even for unnamed
	// defaults, which keep no name in the file.
	if err := sm.validate(&m); err != nil {
		return nil, err
	}
	if *sm.from(&m) != s.From {
		if err := d.checkFrom(*sm.from(&m)); err != nil {
			return nil, err
		}
	}
	e := newLineEdit(s, d.nl)
	sm.fields.write(e, &m)
	if e.err != nil {
		return nil, e.err
	}
	ns := s
	if e.changed() {
		ns = e.build()
	}
	_, oldComment := splitWords(s.header)
	comment, err := sm.headerComment(&m, oldComment)
	if err != nil {
		return nil, err
	}
	if *sm.from(&m) != s.From || comment != oldComment {
		hw := []string{sm.info.Kind}
		if s.Name != "" {
			hw = append(hw, s.Name)
		}
		if f := *sm.from(&m); f != "" {
			hw = append(hw, "from", f)
		}
		if ns == s {
			ns = &Section{Kind: s.Kind, Name: s.Name, lines: s.lines}
		}
		ns.header = leadingBlank(s.header) + renderWords(hw, comment) + eolOf(s.header, d.nl)
		if err := lineTooLong(ns.header); err != nil {
			return nil, err
		}
		ns.From = *sm.from(&m)
	}
	if ns == s {
		return d, nil
	}
	return d.withSection(pos, ns), nil
}

// headerComment returns the trailing comment of the header line for m.
// A model without metadata keeps the comment there is (old), as the Data
// Plane API v3 sets a section's comment only when metadata is given
// (client-native: `if data.Metadata != nil { SectionCommentSet }`); an
// empty metadata object removes it.
func (sm *sectionModel[T]) headerComment(m *T, old string) (string, error) {
	mt := metaOf(m)
	if mt == nil || mt.Metadata == nil || sameMetadata(mt.Metadata, readMetadata(old)) {
		return old, nil // the bytes written stay while the metadata is the same
	}
	return mt.Metadata.comment()
}

// checkFrom checks that `from` names a named defaults section (an unnamed
// one cannot be referenced from a header).
func (d *Document) checkFrom(f string) error {
	if f == "" {
		return nil
	}
	s, ok := d.Section(KindDefaults, f)
	if !ok {
		return fmt.Errorf("from: defaults %q: %w", f, ErrNotFound)
	}
	if s.Name != f {
		return invalid("from", "%q is an unnamed defaults section, which cannot be named in `from`; name it first", f)
	}
	return nil
}

func eolOf(raw, nl string) string {
	switch {
	case len(raw) >= 2 && raw[len(raw)-2:] == "\r\n":
		return "\r\n"
	case len(raw) >= 1 && raw[len(raw)-1] == '\n':
		return "\n"
	}
	return nl
}

func (sm *sectionModel[T]) delete(d *Document, name string) (*Document, error) {
	if sm.info.Kind == KindDefaults {
		if err := d.checkDefaultsUnused(name); err != nil {
			return nil, err
		}
	}
	return d.deleteSection(sm.info.Kind, name)
}

// checkDefaultsUnused refuses to delete a defaults section other sections
// depend on: by `from`, or implicitly, as the last defaults section before
// a proxy that names none (deleting it would silently change that proxy's
// settings).
func (d *Document) checkDefaultsUnused(name string) error {
	pos, ok := d.sectionPos(KindDefaults, name)
	if !ok {
		return fmt.Errorf("defaults %q: %w", name, ErrNotFound)
	}
	target := d.sections[pos]
	var users []string
	for i, s := range d.sections {
		if s.From != "" && s.From == target.Name && target.Name != "" {
			users = append(users, s.String())
			continue
		}
		if i > pos && s.From == "" && isProxy(s.Kind) {
			// Implicit defaults: the last defaults section before it.
			if d.implicitDefaults(i) == pos {
				users = append(users, s.String())
			}
		}
	}
	if len(users) > 0 {
		sort.Strings(users)
		return fmt.Errorf("defaults %q is used by %v: %w", name, users, ErrInUse)
	}
	return nil
}

func isProxy(kind string) bool {
	return kind == KindFrontend || kind == KindBackend || kind == KindListen
}

// implicitDefaults returns the position of the defaults section a proxy at
// pos inherits without `from`, or -1.
func (d *Document) implicitDefaults(pos int) int {
	for i := pos - 1; i >= 0; i-- {
		if d.sections[i].Kind == KindDefaults {
			return i
		}
	}
	return -1
}

// Frontends returns every frontend, in file order.
func (d *Document) Frontends() []Frontend { return frontendModel.list(d) }

// Frontend returns one frontend.
func (d *Document) Frontend(name string) (Frontend, error) { return frontendModel.get(d, name) }

// CreateFrontend adds a frontend after the last one.
func (d *Document) CreateFrontend(m Frontend) (*Document, error) { return frontendModel.create(d, m) }

// ReplaceFrontend rewrites the modelled lines of a frontend.
func (d *Document) ReplaceFrontend(name string, m Frontend) (*Document, error) {
	return frontendModel.replace(d, name, m)
}

// DeleteFrontend removes a frontend.
func (d *Document) DeleteFrontend(name string) (*Document, error) {
	return frontendModel.delete(d, name)
}

// Backends returns every backend, in file order.
func (d *Document) Backends() []Backend { return backendModel.list(d) }

// Backend returns one backend.
func (d *Document) Backend(name string) (Backend, error) { return backendModel.get(d, name) }

// CreateBackend adds a backend after the last one.
func (d *Document) CreateBackend(m Backend) (*Document, error) { return backendModel.create(d, m) }

// ReplaceBackend rewrites the modelled lines of a backend.
func (d *Document) ReplaceBackend(name string, m Backend) (*Document, error) {
	return backendModel.replace(d, name, m)
}

// DeleteBackend removes a backend.
func (d *Document) DeleteBackend(name string) (*Document, error) {
	return backendModel.delete(d, name)
}

// DefaultsSections returns every defaults section, in file order.
func (d *Document) DefaultsSections() []Defaults { return defaultsModel.list(d) }

// Defaults returns one defaults section.
func (d *Document) Defaults(name string) (Defaults, error) { return defaultsModel.get(d, name) }

// CreateDefaults adds a named defaults section at the end of the file.
func (d *Document) CreateDefaults(m Defaults) (*Document, error) { return defaultsModel.create(d, m) }

// ReplaceDefaults rewrites the modelled lines of a defaults section.
func (d *Document) ReplaceDefaults(name string, m Defaults) (*Document, error) {
	return defaultsModel.replace(d, name, m)
}

// DeleteDefaults removes a defaults section no other section depends on.
func (d *Document) DeleteDefaults(name string) (*Document, error) {
	return defaultsModel.delete(d, name)
}

// --- SectionResource: the same operations with the model type erased. ---

func (sm *sectionModel[T]) Info() SectionInfo { return sm.info }

func (sm *sectionModel[T]) NewModel() any { return new(T) }

func (sm *sectionModel[T]) NameOf(m any) string {
	v, err := sectionValue[T](m)
	if err != nil {
		return ""
	}
	return *sm.name(&v)
}

func (sm *sectionModel[T]) List(d *Document) any {
	if l := sm.list(d); l != nil {
		return l
	}
	return []T{}
}

func (sm *sectionModel[T]) Get(d *Document, name string) (any, error) { return sm.get(d, name) }

func (sm *sectionModel[T]) Create(d *Document, m any) (*Document, string, error) {
	v, err := sectionValue[T](m)
	if err != nil {
		return nil, "", err
	}
	n, err := sm.create(d, v)
	return n, *sm.name(&v), err
}

func (sm *sectionModel[T]) Replace(d *Document, name string, m any) (*Document, error) {
	v, err := sectionValue[T](m)
	if err != nil {
		return nil, err
	}
	return sm.replace(d, name, v)
}

func (sm *sectionModel[T]) Delete(d *Document, name string) (*Document, error) {
	return sm.delete(d, name)
}

func sectionValue[T any](m any) (T, error) { return modelValue[T](m) }
