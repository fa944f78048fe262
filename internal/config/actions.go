package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/common"
	"github.com/haproxytech/config-parser/v5/types"
)

// The action rule lists (http-request, http-response, http-after-response,
// http-error, tcp-request, tcp-response, http-check, tcp-check) hold one
// flat Data Plane API model per keyword, with a `type` naming the action
// and the fields of every action side by side. config-parser reads each
// action into a struct of its own (actions.SetHeader{Name, Fmt, ...}). An
// actionTable maps the two, declaratively: for each type, the
// config-parser action and which of its fields is which model field. The
// line is parsed by the keyword's config-parser parser (which picks the
// action) and written by the action's own String; no action grammar is
// written here.

// actionSpec is one action of a rule list.
type actionSpec struct {
	// Type is the model's type value ("set-header").
	Type string
	// New returns a new config-parser action of this type.
	New func() types.Action
	// Item, instead of New, for a line config-parser reads as an item of
	// its own rather than an action (tcp-request inspect-delay <time>):
	// a new such item. Its fields map as an action's do.
	Item func() fmt.Stringer
	// In, for a keyword whose config-parser items wrap the action (see
	// actionTable.Wrappers), are the wrappers whose lines take it
	// ("connection", "content", "session").
	In []string
	// Fields maps config-parser struct fields to the model's JSON field
	// names: {"Name": "hdr_name", "Fmt": "hdr_format"}. Cond and CondTest
	// are mapped for every action that has them.
	Fields map[string]string
	// Words are the model fields whose value may be several words (a
	// condition-like expression, Lua parameters); every other string
	// field is one word, quoted if it holds spaces.
	Words []string
	// Durations are the model fields, integers in milliseconds, that the
	// action holds as an HAProxy time ("5s"): read with any unit, written
	// with the largest exact one (5000 -> "5s").
	Durations []string
	// Match, when set, tells the actions of one config-parser type apart
	// (sc-inc-gpc0 and sc-inc-gpc1 may share one): true when a is this one.
	Match func(a types.Action) bool
	// ToModel and FromModel, when set, carry what the field copy cannot
	// (a counter number inside a keyword: track-sc0).
	ToModel   func(a types.Action, m reflect.Value) bool
	FromModel func(m reflect.Value, a types.Action)

	all atomic.Value // the field map with the condition (allFields)
}

// actionWrapper is a config-parser item that holds an action in its
// Action field, after a word of its own: tcp-request's `content <action>`
// is a tcptypes.Content{Action}.
type actionWrapper struct {
	// Key is that word, the value of the model's first key field.
	Key string
	// New returns a new config-parser item of this kind.
	New func() any
}

// actionTable is the actions of one keyword, for model type T.
type actionTable[T any] struct {
	Keyword string
	// Parser returns a new config-parser parser of the keyword.
	Parser func() parser.ParserInterface
	// Key are the model fields that name the action ({"type"} when
	// empty; tcp-check's is {"action"}). With two (tcp-request's {"type",
	// "action"}), an action in a wrapper is keyed by the wrapper's word
	// and its Type ("content accept"), and an action of no wrapper by its
	// Type alone, the second field empty (inspect-delay).
	Key []string
	// Wrappers are the config-parser items that wrap the actions of the
	// keyword, if any.
	Wrappers []actionWrapper
	Actions  []actionSpec
	// Enums and Ranges are the model fields whose values the spec
	// bounds (a log level, a port): checked on writes, and a line with
	// another value reads verbatim, so that what is read is what the
	// schema describes.
	Enums  map[string][]string
	Ranges map[string][2]int64

	once   sync.Once
	byKey  map[string]*actionKey
	keys   []string // in declared order
	byCP   map[cpKey][]*actionKey
	fields map[string]int // model JSON name -> field index path (top level)
}

// actionKey is an action as a model's key selects it: in one wrapper, or
// in none.
type actionKey struct {
	*actionSpec
	wrapper string   // the wrapper's word, "" for none
	values  []string // the key fields' values
}

// cpKey is how a parsed line finds its action: the wrapper and the Go type
// of the action (or item).
type cpKey struct {
	wrapper string
	t       reflect.Type
}

func (k *actionKey) new() fmt.Stringer {
	if k.Item != nil {
		return k.Item()
	}
	return k.New()
}

func (t *actionTable[T]) keyFields() []string {
	if len(t.Key) == 0 {
		return []string{"type"}
	}
	return t.Key
}

func (t *actionTable[T]) init() {
	t.once.Do(func() {
		t.byKey = map[string]*actionKey{}
		t.byCP = map[cpKey][]*actionKey{}
		t.fields = map[string]int{}
		mt := reflect.TypeOf((*T)(nil)).Elem()
		for i := 0; i < mt.NumField(); i++ {
			if name, _, _ := strings.Cut(mt.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
				t.fields[name] = i
			}
		}
		kf := t.keyFields()
		for _, f := range kf {
			if _, ok := t.fields[f]; !ok {
				panic(fmt.Sprintf("%s: the model has no key field %s", t.Keyword, f))
			}
		}
		add := func(a *actionSpec, wrapper string) {
			values := make([]string, len(kf))
			if wrapper != "" {
				if len(kf) != 2 {
					panic(fmt.Sprintf("%s %s: an action in a wrapper needs two key fields", t.Keyword, a.Type))
				}
				values[0], values[1] = wrapper, a.Type
			} else {
				values[0] = a.Type
			}
			k := &actionKey{actionSpec: a, wrapper: wrapper, values: values}
			key := strings.Join(values, " ")
			if _, dup := t.byKey[key]; dup {
				panic(fmt.Sprintf("%s: action %q declared twice", t.Keyword, key))
			}
			t.byKey[key] = k
			t.keys = append(t.keys, strings.TrimSpace(key))
			ct := reflect.TypeOf(k.new())
			t.byCP[cpKey{wrapper, ct}] = append(t.byCP[cpKey{wrapper, ct}], k)
		}
		for i := range t.Actions {
			a := &t.Actions[i]
			if (a.New == nil) == (a.Item == nil) {
				panic(fmt.Sprintf("%s %s: set one of New and Item", t.Keyword, a.Type))
			}
			if len(a.In) == 0 {
				add(a, "")
			}
			for _, w := range a.In {
				if !slices.ContainsFunc(t.Wrappers, func(x actionWrapper) bool { return x.Key == w }) {
					panic(fmt.Sprintf("%s %s: no wrapper %s", t.Keyword, a.Type, w))
				}
				add(a, w)
			}
			ct := reflect.TypeOf((&actionKey{actionSpec: a}).new())
			for cpField, model := range a.Fields {
				if _, ok := ct.Elem().FieldByName(cpField); !ok {
					panic(fmt.Sprintf("%s %s: config-parser's %s has no field %s", t.Keyword, a.Type, ct.Elem().Name(), cpField))
				}
				if _, ok := t.fields[model]; !ok {
					panic(fmt.Sprintf("%s %s: the model has no field %s", t.Keyword, a.Type, model))
				}
			}
		}
	})
}

// Types returns the action keys of the table, in declared order: the
// types ("set-header"), or with two key fields, "content accept".
func (t *actionTable[T]) Types() []string {
	t.init()
	return slices.Clone(t.keys)
}

// keyOf returns the key of a model: its key fields' values.
func (t *actionTable[T]) keyOf(m *T) string {
	mv := reflect.ValueOf(m).Elem()
	var vs []string
	for _, f := range t.keyFields() {
		vs = append(vs, mv.Field(t.fields[f]).String())
	}
	return strings.Join(vs, " ")
}

// spec returns the action a model's key selects.
func (t *actionTable[T]) spec(m *T) (*actionKey, bool) {
	t.init()
	a, ok := t.byKey[t.keyOf(m)]
	return a, ok
}

// parse reads a line into the model: config-parser's keyword parser picks
// and reads the action, the table maps its fields.
func (t *actionTable[T]) parse(l Line) (T, bool) {
	t.init()
	var m T
	item, ok := cpParse[any](t.Parser(), l)
	if !ok || item == nil {
		return m, false
	}
	wrapper, a := "", item
	for _, w := range t.Wrappers {
		if reflect.TypeOf(item) == reflect.TypeOf(w.New()) {
			wrapper = w.Key
			a = reflect.ValueOf(item).Elem().FieldByName("Action").Interface()
			break
		}
	}
	if a == nil {
		return m, false
	}
	var spec *actionKey
	for _, s := range t.byCP[cpKey{wrapper, reflect.TypeOf(a)}] {
		if s.Match == nil || s.Match(a.(types.Action)) {
			spec = s
			break
		}
	}
	if spec == nil {
		return m, false
	}
	mv := reflect.ValueOf(&m).Elem()
	for i, f := range t.keyFields() {
		mv.Field(t.fields[f]).SetString(spec.values[i])
	}
	av := reflect.ValueOf(a).Elem()
	for _, p := range t.allFields(spec.actionSpec, av) {
		if !spec.copyField(p.model, mv.Field(t.fields[p.model]), p.value(av)) {
			return m, false
		}
	}
	if spec.ToModel != nil && !spec.ToModel(a.(types.Action), mv) {
		return m, false
	}
	return m, true
}

// fieldPair is one field the table copies between a config-parser action
// and the model: the action's field, found by index (looked up by name
// once per action, not once per line read), and the model's JSON name.
type fieldPair struct {
	cp    []int // nil when the action type has no such field
	model string
}

// value returns the action's field, or the zero Value when it has none.
func (p fieldPair) value(av reflect.Value) reflect.Value {
	if p.cp == nil {
		return reflect.Value{}
	}
	f, err := av.FieldByIndexErr(p.cp)
	if err != nil {
		return reflect.Value{}
	}
	return f
}

// allFields is the action's field map plus its condition.
func (t *actionTable[T]) allFields(spec *actionSpec, av reflect.Value) []fieldPair {
	// Built once per action: this runs for every line read.
	if all, ok := spec.all.Load().([]fieldPair); ok {
		return all
	}
	names := make(map[string]string, len(spec.Fields)+2)
	for k, v := range spec.Fields {
		names[k] = v
	}
	if av.FieldByName("Cond").IsValid() {
		names["Cond"], names["CondTest"] = "cond", "cond_test"
	}
	out := make([]fieldPair, 0, len(names))
	for cp, model := range names {
		p := fieldPair{model: model}
		if f, ok := av.Type().FieldByName(cp); ok {
			p.cp = f.Index
		}
		out = append(out, p)
	}
	spec.all.Store(out)
	return out
}

// render writes the model with its action's String, after its wrapper's
// word.
func (t *actionTable[T]) render(m *T) []string {
	spec, ok := t.spec(m)
	if !ok {
		return nil
	}
	a := spec.new()
	av := reflect.ValueOf(a).Elem()
	mv := reflect.ValueOf(m).Elem()
	for _, p := range t.allFields(spec.actionSpec, av) {
		spec.copyField(p.model, p.value(av), mv.Field(t.fields[p.model]))
	}
	if spec.FromModel != nil {
		spec.FromModel(mv, a.(types.Action))
	}
	words, _ := splitWords(a.String())
	out := strings.Fields(t.Keyword)
	if spec.wrapper != "" {
		out = append(out, spec.wrapper)
	}
	return append(out, words...)
}

// check validates a model: a known action, only the fields of that
// action, every string one word (quoted if it holds spaces) unless the
// action takes several, no comment or control characters, and the
// condition.
// bound checks one field against the table's Ranges and Enums.
func (t *actionTable[T]) bound(name string, f reflect.Value) error {
	if r, ok := t.Ranges[name]; ok && f.Kind() == reflect.Int64 {
		if err := checkRange(name, f.Int(), r[0], r[1]); err != nil {
			return err
		}
	}
	if e, ok := t.Enums[name]; ok && f.Kind() == reflect.String && f.String() != "" {
		if err := checkEnum(name, f.String(), e...); err != nil {
			return err
		}
	}
	return nil
}

// inBounds checks a model read from a line against the table's Ranges
// and Enums only: what a write would refuse reads verbatim.
func (t *actionTable[T]) inBounds(m *T) error {
	if len(t.Ranges) == 0 && len(t.Enums) == 0 {
		return nil
	}
	spec, ok := t.spec(m)
	if !ok {
		return nil
	}
	mv := reflect.ValueOf(m).Elem()
	all, ok := spec.all.Load().([]fieldPair)
	if !ok {
		all = t.allFields(spec.actionSpec, reflect.ValueOf(spec.new()).Elem())
	}
	for _, p := range all {
		name := p.model
		f := mv.Field(t.fields[name])
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		if err := t.bound(name, f); err != nil {
			return err
		}
	}
	return nil
}

func (t *actionTable[T]) check(m *T) error {
	spec, ok := t.spec(m)
	kf := t.keyFields()
	if !ok && len(kf) == 2 {
		return t.unknownPair(m)
	}
	if !ok {
		field := kf[0]
		mv := reflect.ValueOf(m).Elem()
		for _, f := range kf {
			if mv.Field(t.fields[f]).String() != "" {
				field = f
			}
		}
		return invalid(field, "%q is not a %s action (%s)", strings.TrimSpace(t.keyOf(m)), t.Keyword, strings.Join(t.Types(), ", "))
	}
	typ := strings.TrimSpace(t.keyOf(m))
	av := reflect.ValueOf(spec.new()).Elem()
	allowed := slices.Clone(kf)
	for _, p := range t.allFields(spec.actionSpec, av) {
		allowed = append(allowed, p.model)
	}
	if err := onlyFields(m, t.Keyword+" "+typ, allowed...); err != nil {
		return err
	}
	mv := reflect.ValueOf(m).Elem()
	for _, p := range t.allFields(spec.actionSpec, av) {
		name := p.model
		f := mv.Field(t.fields[name])
		if name == "cond" || name == "cond_test" {
			continue
		}
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		if err := t.bound(name, f); err != nil {
			return err
		}
		if f.Kind() == reflect.Slice {
			// Lists of structs (headers): every string of every item is
			// one word.
			for i := 0; i < f.Len(); i++ {
				item := reflect.Indirect(f.Index(i))
				for j := 0; item.Kind() == reflect.Struct && j < item.NumField(); j++ {
					if item.Field(j).Kind() == reflect.String {
						sub, _, _ := strings.Cut(item.Type().Field(j).Tag.Get("json"), ",")
						if err := checkOneWord(fmt.Sprintf("%s[%d].%s", name, i, sub), item.Field(j).String()); err != nil {
							return err
						}
					}
				}
			}
			continue
		}
		if f.Kind() != reflect.String || f.String() == "" {
			continue
		}
		if err := checkWords(name, f.String(), contains(spec.Words, name)); err != nil {
			return err
		}
		// A string the action holds as a number must be one.
		if k := p.value(av).Kind(); k == reflect.Int64 || k == reflect.Int {
			if _, err := strconv.ParseInt(f.String(), 10, 64); err != nil {
				return invalid(name, "%q must be an integer", f.String())
			}
		}
	}
	var c Condition
	if i, ok := t.fields["cond"]; ok {
		c.Cond = mv.Field(i).String()
		c.CondTest = mv.Field(t.fields["cond_test"]).String()
	}
	if err := c.check(); err != nil {
		return err
	}
	return t.readsBack(m)
}

// unknownPair explains why a two-field key names no action: the first
// value is no wrapper nor unwrapped type, or the wrapper does not take the
// action.
func (t *actionTable[T]) unknownPair(m *T) error {
	kf := t.keyFields()
	mv := reflect.ValueOf(m).Elem()
	first, second := mv.Field(t.fields[kf[0]]).String(), mv.Field(t.fields[kf[1]]).String()
	var firsts, seconds []string
	for _, k := range t.keys {
		w, a, wrapped := strings.Cut(k, " ")
		if !slices.Contains(firsts, w) {
			firsts = append(firsts, w)
		}
		if wrapped && w == first {
			seconds = append(seconds, a)
		}
	}
	if len(seconds) == 0 {
		if slices.Contains(firsts, first) {
			return invalid(kf[1], "%s %q takes no %s", t.Keyword, first, kf[1])
		}
		return invalid(kf[0], "%q is not a %s %s (%s)", first, t.Keyword, kf[0], strings.Join(firsts, ", "))
	}
	return invalid(kf[1], "%q is not a %s %s action (%s)", second, t.Keyword, first, strings.Join(seconds, ", "))
}

// readsBack refuses a model whose line config-parser would read as
// another one (a variable scope with a dot, a value ending in an escape):
// what is written must be what was sent.
func (t *actionTable[T]) readsBack(m *T) error {
	m = withoutMetadata(m) // the comment is not part of the words
	words := t.render(m)
	back, ok := t.parse(Line{Words: words})
	if ok && modelKey(&back) == modelKey(m) {
		return nil
	}
	field := t.keyFields()[0]
	var sent, got map[string]any
	_ = json.Unmarshal([]byte(modelKey(m)), &sent)
	_ = json.Unmarshal([]byte(modelKey(&back)), &got)
	var diff []string
	for k, v := range sent {
		if !ok || !reflect.DeepEqual(v, got[k]) {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		field = diff[0]
	}
	return invalid(field, "%q would not read back as sent (check %s)", joinWords(words), strings.Join(diff, ", "))
}

// checkWords checks a string written into a line: one word (quoted if it
// holds spaces, checkOneWord), or text of several words when allowed.
func checkWords(name, v string, several bool) error {
	if several {
		return checkText(name, v)
	}
	return checkOneWord(name, v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// copyField copies a field of model field model's: a duration between
// milliseconds and an HAProxy time, anything else by copyField.
func (s *actionSpec) copyField(model string, dst, src reflect.Value) bool {
	if !contains(s.Durations, model) {
		return copyField(dst, src)
	}
	if src.Kind() == reflect.String {
		if src.String() == "" {
			dst.SetZero()
			return true
		}
		ms, ok := parseDuration(src.String(), "ms")
		return ok && copyField(dst, reflect.ValueOf(ms))
	}
	if src.Kind() == reflect.Pointer {
		if src.IsNil() {
			dst.SetZero()
			return true
		}
		src = src.Elem()
	}
	return copyField(dst, reflect.ValueOf(formatDuration(src.Int())))
}

var expressionType = reflect.TypeOf(common.Expression{})

// copyField sets dst from src across the representations config-parser
// and the models use: equal kinds, pointers and values, numbers written
// as strings, expressions (word lists) as strings, and slices of structs
// field by field. false when src cannot be held by dst (a number that is
// not one), which makes the line verbatim.
func copyField(dst, src reflect.Value) bool {
	if !src.IsValid() || !dst.IsValid() {
		return false
	}
	switch {
	case src.Kind() == reflect.Pointer && dst.Kind() == reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return true
		}
		v := reflect.New(dst.Type().Elem())
		if !copyField(v.Elem(), src.Elem()) {
			return false
		}
		dst.Set(v)
		return true
	case src.Kind() == reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return true
		}
		return copyField(dst, src.Elem())
	case dst.Kind() == reflect.Pointer:
		// An empty string is no value; a number is one, 0 included (the
		// stick counter of track-sc0).
		if src.Kind() == reflect.String && src.String() == "" {
			dst.SetZero()
			return true
		}
		v := reflect.New(dst.Type().Elem())
		if !copyField(v.Elem(), src) {
			return false
		}
		dst.Set(v)
		return true
	case src.Type() == expressionType:
		return copyField(dst, reflect.ValueOf(strings.Join(src.Field(0).Interface().([]string), " ")))
	case dst.Type() == expressionType:
		words, _ := splitWords(src.String())
		dst.Set(reflect.ValueOf(common.Expression{Expr: words}))
		return true
	case src.Kind() == dst.Kind() && src.Kind() != reflect.Slice && src.Kind() != reflect.Struct:
		dst.Set(src.Convert(dst.Type()))
		return true
	case src.Kind() == reflect.String && dst.Kind() == reflect.Int64:
		if src.String() == "" {
			dst.SetInt(0)
			return true
		}
		n, err := strconv.ParseInt(src.String(), 10, 64)
		if err != nil {
			return false
		}
		dst.SetInt(n)
		return true
	case src.Kind() == reflect.Int64 && dst.Kind() == reflect.String:
		if src.Int() == 0 {
			dst.SetString("")
		} else {
			dst.SetString(strconv.FormatInt(src.Int(), 10))
		}
		return true
	case src.Kind() == reflect.Slice && dst.Kind() == reflect.Slice:
		if src.Len() == 0 {
			dst.SetZero()
			return true
		}
		out := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			if !copyField(out.Index(i), src.Index(i)) {
				return false
			}
		}
		dst.Set(out)
		return true
	case src.Kind() == reflect.Struct && dst.Kind() == reflect.Struct:
		// Field by field, by Go name (Hdr{Name, Fmt} and ReturnHeader{Name, Fmt}).
		for i := 0; i < dst.NumField(); i++ {
			if f := src.FieldByName(dst.Type().Field(i).Name); f.IsValid() {
				if !copyField(dst.Field(i), f) {
					return false
				}
			}
		}
		return true
	}
	return false
}

// actionList registers an action rule list: the collection reads and
// writes its lines through the table.
func actionList[T any](c *Collection[T], table *actionTable[T], unmodelled func(*T) *Unmodelled) *Collection[T] {
	c.Keyword = strings.Fields(table.Keyword)[0]
	c.Parse = func(l Line) (T, bool) {
		// A line the model holds but a write would refuse (a value out
		// of the spec's bounds) reads verbatim. The rest of check is
		// not needed here: ruleList renders the model and compares the
		// words with the line, which proves the line reads back as sent
		// (and check's own read-back costs a render and a parse more,
		// per line of every read).
		m, ok := table.parse(l)
		return m, ok && table.inBounds(&m) == nil
	}
	c.Render = func(m *T, _ *Line) []string { return table.render(m) }
	c.Check = table.check
	return ruleList(c, unmodelled)
}
