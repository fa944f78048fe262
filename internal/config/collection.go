package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
)

// Collection is the declaration of one kind of child line of sections
// (servers, binds, ACLs, and later every rule list), and the one lossless
// implementation of their reads and edits. Untouched lines stay byte for
// byte as they are; a replaced line keeps its indentation and the words
// the model does not hold, and its trailing comment is the model's
// metadata (metadata.go); a line that moves (a
// reordering replace-all) takes the comment lines directly above it along.
type Collection[T any] struct {
	Name    string // singular, for messages: "server"
	Path    string // API path segment: "servers"
	OpName  string // operationId infix: "Server"
	Tag     string // the spec's tag: "Server"
	Schema  string // the spec's schema of one item: "server"
	Keyword string // first word of the lines
	// Prefixes, when set, are the word sequences the lines start with
	// (`declare capture`; `log` and `no log`), the first one used to place
	// a new line after the last of its kind. Default: Keyword alone.
	Prefixes [][]string
	// Parents are the section kinds that may hold the lines.
	Parents []string
	// Positional: an ordered list addressed by index; else keyed by name.
	Positional bool
	// PluralListOps: the operationIds name no parent kind and the list
	// operations are plural (getBackendSwitchingRules), as the Data Plane
	// API names the lists that live on one parent kind only.
	PluralListOps bool
	// OpPlural and QueryParent: see CollectionInfo.
	OpPlural    string
	QueryParent string
	PathKey     string
	// ParentParam and AppendOnly: see CollectionInfo.
	ParentParam string
	AppendOnly  bool
	// FullSection is the parent model's property that holds the items
	// with full_section=true.
	FullSection string
	// FullSectionIn: see CollectionInfo.
	FullSectionIn map[string]string
	// Filters are list query parameters: an item is listed when the
	// field the function returns equals the parameter's value.
	Filters map[string]func(m *T) string

	// Parse reads a line that starts with Keyword; false when the line is
	// not a complete item (HAProxy would refuse it), which is then not
	// part of the collection.
	Parse func(l Line) (T, bool)
	// Render returns the words of m. old is the line m replaces (nil for
	// a new line): words the model does not hold stay as written there.
	Render func(m *T, old *Line) []string
	// Verbatim, when set, makes a line Parse cannot read an item all the
	// same, its model holding the line as written: HAProxy may accept
	// what config-parser does not know (a newer action, an option it does
	// not model), and such a line must stay readable, addressable by its
	// index, and untouched by the edits of its neighbours. Render writes
	// a verbatim model back as it was.
	Verbatim func(l Line) T
	// Complete, when set, tells whether a line is an item without building
	// its model: the same answer as Parse's ok, cheaper. Positional edits
	// then parse only the items they return.
	Complete func(l Line) bool
	// Check validates m before it becomes configuration text.
	Check func(m *T) error
	// Normalize, when set, fills what a body may leave out (a bind is
	// named after its address) before Check.
	Normalize func(m *T)

	// Key and SetKey give the name of an item of a keyed collection.
	Key    func(m *T) string
	SetKey func(m *T, name string)

	// FirstBefore places the first line of the collection in a section
	// that has none: before the first line it is true for (ACLs go before
	// the rules that use them). Without it, or when no line matches, the
	// line goes after the last keyword line of the section.
	FirstBefore func(l Line) bool
}

func (c *Collection[T]) validate() error {
	switch {
	case c.Name == "" || c.Path == "" || c.OpName == "" || c.Keyword == "" || c.Schema == "" || c.Tag == "":
		return fmt.Errorf("collection %q: Name, Path, OpName, Tag, Schema and Keyword are required", c.Path)
	case c.Parse == nil || c.Render == nil || c.Check == nil:
		return fmt.Errorf("collection %s: Parse, Render and Check are required", c.Path)
	case !c.Positional && (c.Key == nil || c.SetKey == nil):
		return fmt.Errorf("collection %s: keyed collections need Key and SetKey", c.Path)
	case len(c.Parents) == 0 || c.FullSection == "":
		return fmt.Errorf("collection %s: Parents and FullSection are required", c.Path)
	case c.AppendOnly && !c.Positional:
		return fmt.Errorf("collection %s: AppendOnly is for positional collections", c.Path)
	case c.QueryParent != "" && len(c.Parents) != 1:
		return fmt.Errorf("collection %s: a collection addressed with ?%s= has one parent kind", c.Path, c.QueryParent)
	}
	for _, k := range c.Parents {
		if _, ok := parentKinds[k]; !ok {
			return fmt.Errorf("collection %s: parent kind %q has no API naming", c.Path, k)
		}
	}
	return nil
}

// Info describes the collection without its model type.
func (c *Collection[T]) Info() CollectionInfo {
	info := CollectionInfo{
		Name: c.Name, Path: c.Path, OpName: c.OpName, Tag: c.Tag, Schema: c.Schema, Keyword: c.Keyword,
		Positional: c.Positional, FullSection: c.FullSection, FullSectionIn: c.FullSectionIn, PluralListOps: c.PluralListOps,
		OpPlural: c.OpPlural, QueryParent: c.QueryParent, PathKey: c.PathKey,
		ParentParam: c.ParentParam, AppendOnly: c.AppendOnly,
	}
	for _, k := range c.Parents {
		info.Parents = append(info.Parents, parentKinds[k])
	}
	for f := range c.Filters {
		info.Filters = append(info.Filters, f)
	}
	sort.Strings(info.Filters)
	return info
}

// item is one line of the collection and its model.
type item[T any] struct {
	line Line
	m    T
}

// section finds the parent section; kinds that cannot hold the
// collection and missing sections are not found.
func (c *Collection[T]) section(d *Document, p Parent) (int, *Section, error) {
	if !c.hasParent(p.Kind) {
		return 0, nil, fmt.Errorf("%s sections hold no %s lines: %w", p.Kind, c.Name, ErrNotFound)
	}
	pos, ok := d.sectionPos(p.Kind, p.Name)
	if !ok {
		return 0, nil, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	return pos, d.sections[pos], nil
}

func (c *Collection[T]) hasParent(kind string) bool {
	for _, k := range c.Parents {
		if k == kind {
			return true
		}
	}
	return false
}

// items returns the items of a section in file order.
func (c *Collection[T]) items(s *Section) []item[T] {
	p := s.parsedLines()
	if !p.mayHaveAny(c.prefixes()) {
		return nil
	}
	n := 0
	for _, l := range p.lines {
		if c.matches(l) {
			n++
		}
	}
	if n >= parallelItems {
		return c.parseParallel(p.lines, n)
	}
	out := make([]item[T], 0, n) // models may be large: no regrowth
	for _, l := range p.lines {
		if !c.matches(l) {
			continue
		}
		if m, ok := c.parse(l); ok {
			out = append(out, item[T]{line: l, m: m})
		}
	}
	return out
}

// parallelItems is the length from which a list is parsed on every CPU:
// the first read of 1,000 rules after their section changed costs
// ~7 ms on one core (config-parser's parse plus the round-trip render of
// each line), and lines parse independently of each other.
const parallelItems = 256

// parseParallel parses the n matching lines of lines in chunks, one per
// CPU, keeping file order.
func (c *Collection[T]) parseParallel(lines []Line, n int) []item[T] {
	matching := make([]Line, 0, n)
	for _, l := range lines {
		if c.matches(l) {
			matching = append(matching, l)
		}
	}
	parsed := make([]item[T], len(matching))
	ok := make([]bool, len(matching))
	workers := min(runtime.GOMAXPROCS(0), len(matching)/(parallelItems/4))
	chunk := (len(matching) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(matching); start += chunk {
		end := min(start+chunk, len(matching))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start; i < end; i++ {
				parsed[i].line = matching[i]
				parsed[i].m, ok[i] = c.parse(matching[i])
			}
		}()
	}
	wg.Wait()
	out := parsed[:0]
	for i := range parsed {
		if ok[i] {
			out = append(out, parsed[i])
		}
	}
	return out
}

// prefixes returns the word sequences the lines start with.
func (c *Collection[T]) prefixes() [][]string {
	if len(c.Prefixes) > 0 {
		return c.Prefixes
	}
	return [][]string{{c.Keyword}}
}

// matches reports whether l starts like a line of the collection.
func (c *Collection[T]) matches(l Line) bool {
	if len(c.Prefixes) == 0 {
		return l.Words[0] == c.Keyword
	}
	for _, p := range c.Prefixes {
		if l.Keyword(p...) {
			return true
		}
	}
	return false
}

// parse reads l as an item: with Parse, else verbatim when declared. Its
// metadata is the line's trailing comment.
func (c *Collection[T]) parse(l Line) (T, bool) {
	m, ok := c.Parse(l)
	if !ok && c.Verbatim != nil {
		m, ok = c.Verbatim(l), true
	}
	if ok && l.Comment != "" {
		setMetadata(&m, l.Comment)
	}
	return m, ok
}

// render returns the words of m and its line's trailing comment (its
// metadata; "" for none). old is the line m replaces, nil for a new one.
func (c *Collection[T]) render(m *T, old *Line) ([]string, string, error) {
	comment, err := lineComment(m, old)
	if err != nil {
		return nil, "", err
	}
	return c.Render(m, old), comment, nil
}

// itemLines returns the lines of the items of a section in file order,
// without their models when the declaration says how (Complete).
func (c *Collection[T]) itemLines(s *Section) []Line {
	if c.Complete == nil && c.Verbatim == nil {
		return lines(c.items(s))
	}
	p := s.parsedLines()
	if !p.mayHaveAny(c.prefixes()) {
		return nil
	}
	var out []Line
	for _, l := range p.lines {
		// With Verbatim, every line of the keyword is an item.
		if c.matches(l) && (c.Verbatim != nil || c.Complete(l)) {
			out = append(out, l)
		}
	}
	return out
}

// unique drops the later lines of a name (a keyed item repeated in
// .if/.else branches is listed once, as Get returns it: the first line).
func (c *Collection[T]) unique(items []item[T]) []item[T] {
	if c.Positional {
		return items
	}
	seen := make(map[string]bool, len(items))
	out := items[:0:0]
	for _, it := range items {
		k := c.Key(&it.m)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, it)
	}
	return out
}

func (c *Collection[T]) byKey(items []item[T], name string) []item[T] {
	var out []item[T]
	for _, it := range items {
		if c.Key(&it.m) == name {
			out = append(out, it)
		}
	}
	return out
}

func (c *Collection[T]) notFound(p Parent, k Key) error {
	return fmt.Errorf("%s %s in %s: %w", c.Name, k, p, ErrNotFound)
}

// Items returns the items of the parent, in file order.
func (c *Collection[T]) Items(d *Document, p Parent) ([]T, error) {
	_, s, err := c.section(d, p)
	if err != nil {
		return nil, err
	}
	items := c.unique(c.items(s))
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = it.m
	}
	return out, nil
}

// Item returns one item.
func (c *Collection[T]) Item(d *Document, p Parent, k Key) (T, error) {
	_, _, found, err := c.locate(d, p, k)
	if err != nil {
		var zero T
		return zero, err
	}
	return found[0].m, nil
}

// locate finds the parent section (at pos in d) and the lines k addresses.
func (c *Collection[T]) locate(d *Document, p Parent, k Key) (int, *Section, []item[T], error) {
	pos, s, err := c.section(d, p)
	if err != nil {
		return 0, nil, nil, err
	}
	found, err := c.find(s, p, k)
	return pos, s, found, err
}

// find returns the lines k addresses: one for a positional key, every
// line of the name for a keyed one (several when repeated).
func (c *Collection[T]) find(s *Section, p Parent, k Key) ([]item[T], error) {
	if c.Positional {
		ls := c.itemLines(s)
		if k.Index < 0 || k.Index >= len(ls) {
			return nil, c.notFound(p, k)
		}
		l := ls[k.Index]
		m, _ := c.parse(l)
		return []item[T]{{line: l, m: m}}, nil
	}
	found := c.byKey(c.items(s), k.Name)
	if len(found) == 0 {
		return nil, c.notFound(p, k)
	}
	return found, nil
}

// prepare normalizes and checks a model before it is written.
func (c *Collection[T]) prepare(m *T) error {
	if c.Normalize != nil {
		c.Normalize(m)
	}
	return c.Check(m)
}

// Add creates an item: keyed ones after the last line of the collection,
// positional ones at k.Index (0..len; the items from there on move down).
func (c *Collection[T]) Add(d *Document, p Parent, k Key, m T) (*Document, Key, error) {
	if err := c.prepare(&m); err != nil {
		return nil, Key{}, err
	}
	pos, s, err := c.section(d, p)
	if err != nil {
		return nil, Key{}, err
	}
	items := c.itemLines(s)
	e := newLineEdit(s, d.nl)
	words, comment, err := c.render(&m, nil)
	if err != nil {
		return nil, Key{}, err
	}
	if !c.Positional {
		k = Key{Name: c.Key(&m)}
		if len(c.byKey(c.items(s), k.Name)) > 0 {
			return nil, Key{}, fmt.Errorf("%s %s in %s: %w", c.Name, k, p, ErrExists)
		}
		k.Index = len(items)
	}
	if k.Append {
		k = Key{Index: len(items)}
	}
	switch {
	case k.Index < 0 || k.Index > len(items):
		return nil, Key{}, fmt.Errorf("%s index %d in %s: there are %d, insert at 0..%d: %w", c.Name, k.Index, p, len(items), len(items), ErrNotFound)
	case len(items) == 0:
		slot, indent := c.firstSlot(e)
		e.insertRaw(slot, e.render(indent, words, comment))
	case k.Index == len(items):
		// After the last line of the keyword, and after the conditional
		// block it may sit in.
		e.addLine(c.prefixes()[0], words, comment)
	default:
		at := items[k.Index].Index
		e.insertRaw(attachedStart(s, at)-1, e.render(e.indentOf(at), words, comment))
	}
	return e.commit(d, pos, k)
}

// Put replaces one item in place: its line keeps its position, indentation
// and the words the model does not hold. Its trailing comment is the
// model's metadata: a model without metadata leaves the line without a
// comment, as the Data Plane API v3 writes the whole line from the model
// (client-native serializes nil metadata as no comment).
func (c *Collection[T]) Put(d *Document, p Parent, k Key, m T) (*Document, error) {
	if !c.Positional {
		if c.Key(&m) == "" {
			c.SetKey(&m, k.Name)
		}
		if n := c.Key(&m); n != k.Name {
			return nil, invalid("name", "%q differs from the %s being replaced (%q); renaming is not supported", n, c.Name, k.Name)
		}
	}
	if err := c.prepare(&m); err != nil {
		return nil, err
	}
	pos, s, found, err := c.locate(d, p, k)
	if err != nil {
		return nil, err
	}
	// The same model is the same line, however it is written (units,
	// spacing of a condition): nothing to do.
	if modelKey(&found[0].m) == modelKey(&m) {
		return d, nil
	}
	old := found[0].line
	words, comment, err := c.render(&m, &old)
	if err != nil {
		return nil, err
	}
	if equalWords(words, old.Words) && comment == old.Comment {
		return d, nil
	}
	if len(found) > 1 {
		return nil, duplicatedLines(c.Name, k.Name, s, lines(found))
	}
	e := newLineEdit(s, d.nl)
	e.replaceLine(old.Index, words, comment)
	doc, _, err := e.commit(d, pos, k)
	return doc, err
}

// Remove deletes one item's line. Comment lines above it stay: they may
// introduce more than the line.
func (c *Collection[T]) Remove(d *Document, p Parent, k Key) (*Document, error) {
	pos, s, found, err := c.locate(d, p, k)
	if err != nil {
		return nil, err
	}
	if len(found) > 1 {
		return nil, duplicatedLines(c.Name, k.Name, s, lines(found))
	}
	e := newLineEdit(s, d.nl)
	e.delete(found[0].line.Index)
	doc, _, err := e.commit(d, pos, k)
	return doc, err
}

func lines[T any](items []item[T]) []Line {
	out := make([]Line, len(items))
	for i, it := range items {
		out[i] = it.line
	}
	return out
}

// SetAll makes a positional parent hold exactly want, in order, with as
// few line changes as possible: items that stay keep their lines, an item
// that moves takes its comment lines along, a changed item at the same
// place is rewritten in place, the rest is deleted or inserted.
func (c *Collection[T]) SetAll(d *Document, p Parent, want []T) (*Document, error) {
	if !c.Positional {
		return nil, fmt.Errorf("%s: SetAll is for positional collections; use SetAllByName", c.Name)
	}
	for i := range want {
		if err := c.prepare(&want[i]); err != nil {
			return nil, fmt.Errorf("%s #%d: %w", c.Name, i, err)
		}
	}
	pos, s, err := c.section(d, p)
	if err != nil {
		return nil, err
	}
	e := newLineEdit(s, d.nl)
	c.sync(e, c.items(s), want)
	doc, _, err := e.commit(d, pos, Key{})
	return doc, err
}

// SetAllByName makes a keyed parent hold exactly want (by name): items not
// in want are deleted, the others replaced (nothing happens to an
// unchanged one), new ones added in name order.
func (c *Collection[T]) SetAllByName(d *Document, p Parent, want map[string]T) (*Document, error) {
	if c.Positional {
		return nil, fmt.Errorf("%s: SetAllByName is for keyed collections; use SetAll", c.Name)
	}
	have, err := c.Items(d, p)
	if err != nil {
		return nil, err
	}
	exists := make(map[string]bool, len(have))
	for i := range have {
		n := c.Key(&have[i])
		exists[n] = true
		if m, ok := want[n]; ok {
			if d, err = c.Put(d, p, Key{Name: n}, m); err != nil {
				return nil, err
			}
		} else if d, err = c.Remove(d, p, Key{Name: n}); err != nil {
			return nil, err
		}
	}
	added := make([]string, 0, len(want))
	for n := range want {
		if !exists[n] {
			added = append(added, n)
		}
	}
	sort.Strings(added)
	for _, n := range added {
		m := want[n]
		if c.Key(&m) == "" {
			c.SetKey(&m, n)
		}
		if cn := c.Key(&m); cn != n {
			return nil, invalid("name", "%q is listed under the key %q", cn, n)
		}
		if d, _, err = c.Add(d, p, Key{}, m); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// --- ChildResource: the same operations with the model type erased. ---

// NewModel implements ChildResource.
func (c *Collection[T]) NewModel() any { return new(T) }

// NewList implements ChildResource.
func (c *Collection[T]) NewList() any {
	if c.Positional {
		return &[]T{}
	}
	return &map[string]T{}
}

// sharedListMin is the length from which a list read for the API is kept
// with its section: a frontend of 1,000 rules is read again at the cost of
// a lookup until that section changes (sections are immutable), while the
// short lists of 100,000 backends cost no memory.
const sharedListMin = 32

// shared returns the items of the parent for reading only: the slice (and
// what its items point to) may be shared with other readers and must not
// be changed. The HTTP reads use it; code that changes models uses Items.
func (c *Collection[T]) shared(d *Document, p Parent) ([]T, error) {
	_, s, err := c.section(d, p)
	if err != nil {
		return nil, err
	}
	if v, ok := s.lists.Load(c); ok {
		return v.([]T), nil
	}
	items := c.unique(c.items(s))
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = it.m
	}
	if len(out) >= sharedListMin {
		s.lists.Store(c, out)
	}
	return out, nil
}

// List implements ChildResource. The result is for reading only.
func (c *Collection[T]) List(d *Document, p Parent, filter map[string]string) (any, error) {
	items, err := c.shared(d, p)
	if err != nil {
		return nil, err
	}
	for name, want := range filter {
		get, ok := c.Filters[name]
		if !ok || want == "" {
			continue
		}
		var kept []T // a new slice: items may be shared
		for i := range items {
			if get(&items[i]) == want {
				kept = append(kept, items[i])
			}
		}
		items = kept
		if items == nil {
			items = []T{}
		}
	}
	return items, nil
}

// ListAll implements ChildResource. The result is for reading only.
func (c *Collection[T]) ListAll(d *Document, p Parent) (any, error) {
	items, err := c.shared(d, p)
	if err != nil {
		return nil, err
	}
	if c.Positional {
		return items, nil
	}
	out := make(map[string]T, len(items))
	for i := range items {
		out[c.Key(&items[i])] = items[i]
	}
	return out, nil
}

// Get implements ChildResource.
func (c *Collection[T]) Get(d *Document, p Parent, k Key) (any, error) { return c.Item(d, p, k) }

// Create implements ChildResource.
func (c *Collection[T]) Create(d *Document, p Parent, k Key, m any) (*Document, Key, error) {
	v, err := c.model(m)
	if err != nil {
		return nil, Key{}, err
	}
	return c.Add(d, p, k, v)
}

// Replace implements ChildResource.
func (c *Collection[T]) Replace(d *Document, p Parent, k Key, m any) (*Document, error) {
	v, err := c.model(m)
	if err != nil {
		return nil, err
	}
	return c.Put(d, p, k, v)
}

// Delete implements ChildResource.
func (c *Collection[T]) Delete(d *Document, p Parent, k Key) (*Document, error) {
	return c.Remove(d, p, k)
}

// ReplaceAll implements ChildResource.
func (c *Collection[T]) ReplaceAll(d *Document, p Parent, list any) (*Document, error) {
	switch v := list.(type) {
	case []T:
		return c.SetAll(d, p, v)
	case *[]T:
		return c.SetAll(d, p, *v)
	case map[string]T:
		return c.SetAllByName(d, p, v)
	case *map[string]T:
		return c.SetAllByName(d, p, *v)
	}
	return nil, fmt.Errorf("%s: replace all with a %T: %w", c.Name, list, errWrongType)
}

var errWrongType = errors.New("wrong model type")

func (c *Collection[T]) model(m any) (T, error) { return modelValue[T](m) }

// modelValue returns the T that m is or points to.
func modelValue[T any](m any) (T, error) {
	switch v := m.(type) {
	case T:
		return v, nil
	case *T:
		return *v, nil
	}
	var zero T
	return zero, fmt.Errorf("a %T is not a %T: %w", m, zero, errWrongType)
}

// At is the collection in one parent section, for code that knows the
// parent (a backend's servers) and addresses keyed items by name.
func (c *Collection[T]) At(kind, name string) Scoped[T] {
	return Scoped[T]{c: c, p: Parent{Kind: kind, Name: name}}
}

// Scoped is a collection in one parent section.
type Scoped[T any] struct {
	c *Collection[T]
	p Parent
}

// List returns the items, in file order.
func (s Scoped[T]) List(d *Document) ([]T, error) { return s.c.Items(d, s.p) }

// Get returns the item named name.
func (s Scoped[T]) Get(d *Document, name string) (T, error) {
	return s.c.Item(d, s.p, Key{Name: name})
}

// Create adds m.
func (s Scoped[T]) Create(d *Document, m T) (*Document, error) {
	n, _, err := s.c.Add(d, s.p, Key{}, m)
	return n, err
}

// Replace makes the item named name hold m.
func (s Scoped[T]) Replace(d *Document, name string, m T) (*Document, error) {
	return s.c.Put(d, s.p, Key{Name: name}, m)
}

// Delete removes the item named name.
func (s Scoped[T]) Delete(d *Document, name string) (*Document, error) {
	return s.c.Remove(d, s.p, Key{Name: name})
}

// modelKey is the identity of a model for replace-all: two items are the
// same when their JSON is.
func modelKey[T any](m *T) string {
	b, _ := json.Marshal(m)
	return string(b)
}
