package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

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
	// Fields maps config-parser struct fields to the model's JSON field
	// names: {"Name": "hdr_name", "Fmt": "hdr_format"}. Cond and CondTest
	// are mapped for every action that has them.
	Fields map[string]string
	// Words are the model fields whose value may be several words (a
	// condition-like expression, Lua parameters); every other string
	// field is one word, quoted if it holds spaces.
	Words []string
	// Match, when set, tells the actions of one config-parser type apart
	// (sc-inc-gpc0 and sc-inc-gpc1 may share one): true when a is this one.
	Match func(a types.Action) bool
	// ToModel and FromModel, when set, carry what the field copy cannot
	// (a counter number inside a keyword: track-sc0).
	ToModel   func(a types.Action, m reflect.Value) bool
	FromModel func(m reflect.Value, a types.Action)
}

// actionTable is the actions of one keyword, for model type T.
type actionTable[T any] struct {
	Keyword string
	// Parser returns a new config-parser parser of the keyword.
	Parser  func() parser.ParserInterface
	Actions []actionSpec

	once   sync.Once
	byType map[string]*actionSpec
	byCP   map[reflect.Type][]*actionSpec
	fields map[string]int // model JSON name -> field index path (top level)
}

func (t *actionTable[T]) init() {
	t.once.Do(func() {
		t.byType = map[string]*actionSpec{}
		t.byCP = map[reflect.Type][]*actionSpec{}
		t.fields = map[string]int{}
		mt := reflect.TypeOf((*T)(nil)).Elem()
		for i := 0; i < mt.NumField(); i++ {
			if name, _, _ := strings.Cut(mt.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
				t.fields[name] = i
			}
		}
		for i := range t.Actions {
			a := &t.Actions[i]
			if _, dup := t.byType[a.Type]; dup {
				panic(fmt.Sprintf("%s: action %s declared twice", t.Keyword, a.Type))
			}
			t.byType[a.Type] = a
			ct := reflect.TypeOf(a.New())
			t.byCP[ct] = append(t.byCP[ct], a)
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

// Types returns the action types of the table, in declared order.
func (t *actionTable[T]) Types() []string {
	out := make([]string, len(t.Actions))
	for i, a := range t.Actions {
		out[i] = a.Type
	}
	return out
}

// spec returns the action of a model type.
func (t *actionTable[T]) spec(typ string) (*actionSpec, bool) {
	t.init()
	a, ok := t.byType[typ]
	return a, ok
}

// parse reads a line into the model: config-parser's keyword parser picks
// and reads the action, the table maps its fields.
func (t *actionTable[T]) parse(l Line) (T, bool) {
	t.init()
	var m T
	a, ok := cpParse[types.Action](t.Parser(), l)
	if !ok || a == nil {
		return m, false
	}
	var spec *actionSpec
	for _, s := range t.byCP[reflect.TypeOf(a)] {
		if s.Match == nil || s.Match(a) {
			spec = s
			break
		}
	}
	if spec == nil {
		return m, false
	}
	mv := reflect.ValueOf(&m).Elem()
	mv.Field(t.fields["type"]).SetString(spec.Type)
	av := reflect.ValueOf(a).Elem()
	for cpField, model := range t.allFields(spec, av) {
		if !copyField(mv.Field(t.fields[model]), av.FieldByName(cpField)) {
			return m, false
		}
	}
	if spec.ToModel != nil && !spec.ToModel(a, mv) {
		return m, false
	}
	return m, true
}

// allFields is the action's field map plus its condition.
func (t *actionTable[T]) allFields(spec *actionSpec, av reflect.Value) map[string]string {
	out := make(map[string]string, len(spec.Fields)+2)
	for k, v := range spec.Fields {
		out[k] = v
	}
	if av.FieldByName("Cond").IsValid() {
		out["Cond"], out["CondTest"] = "cond", "cond_test"
	}
	return out
}

// render writes the model with its action's String.
func (t *actionTable[T]) render(m *T) []string {
	spec, ok := t.spec(typeOf(m))
	if !ok {
		return nil
	}
	a := spec.New()
	av := reflect.ValueOf(a).Elem()
	mv := reflect.ValueOf(m).Elem()
	for cpField, model := range t.allFields(spec, av) {
		copyField(av.FieldByName(cpField), mv.Field(t.fields[model]))
	}
	if spec.FromModel != nil {
		spec.FromModel(mv, a)
	}
	words, _ := splitWords(a.String())
	return append(strings.Fields(t.Keyword), words...)
}

// typeOf returns the `type` field of a rule model.
func typeOf(m any) string {
	v := reflect.ValueOf(m).Elem()
	if f := v.FieldByName("Type"); f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}

// check validates a model: a known type, only the fields of that type,
// every string one word (quoted if it holds spaces) unless the action
// takes several, no comment or control characters, and the condition.
func (t *actionTable[T]) check(m *T) error {
	typ := typeOf(m)
	spec, ok := t.spec(typ)
	if !ok {
		return invalid("type", "%q is not a %s action (%s)", typ, t.Keyword, strings.Join(t.Types(), ", "))
	}
	av := reflect.ValueOf(spec.New()).Elem()
	allowed := []string{"type"}
	for _, f := range t.allFields(spec, av) {
		allowed = append(allowed, f)
	}
	if err := onlyFields(m, t.Keyword+" "+typ, allowed...); err != nil {
		return err
	}
	mv := reflect.ValueOf(m).Elem()
	for _, name := range allowed {
		f := mv.Field(t.fields[name])
		if name == "type" || name == "cond" || name == "cond_test" {
			continue
		}
		if err := checkWords(name, f, contains(spec.Words, name)); err != nil {
			return err
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
	// The line must read back, with every field set: a line config-parser
	// cannot read (a value missing or out of its range) would come back
	// verbatim, and a value the action's String leaves out (the hdr of an
	// errorfile answer) would be lost.
	words := t.render(m)
	back, ok := t.parse(Line{Words: words})
	if !ok {
		return invalid("type", "%q does not read back as a %s %s rule: a value is missing or not one it takes", joinWords(words), t.Keyword, typ)
	}
	if lost := lostFields(m, &back); len(lost) > 0 {
		return invalid(lost[0], "%s %s does not write %s with these values", t.Keyword, typ, strings.Join(lost, ", "))
	}
	return nil
}

// checkWords checks a string value of a model (one word unless several is
// true), and the string fields of the structs of a list (the name and
// format of each return_hdrs item), which are one word each.
func checkWords(name string, f reflect.Value, several bool) error {
	switch {
	case f.Kind() == reflect.String && f.String() != "":
		if err := checkText(name, f.String()); err != nil {
			return err
		}
		if ws, _ := splitWords(f.String()); len(ws) != 1 && !several {
			return invalid(name, "%q is several words: quote it to make it one", f.String())
		}
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
		for i := 0; i < f.Len(); i++ {
			e := f.Index(i)
			for j := 0; j < e.NumField(); j++ {
				sub, _, _ := strings.Cut(e.Type().Field(j).Tag.Get("json"), ",")
				path := fmt.Sprintf("%s[%d].%s", name, i, sub)
				if e.Field(j).Kind() == reflect.String && e.Field(j).String() == "" {
					return invalid(path, "must not be empty")
				}
				if err := checkWords(path, e.Field(j), false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// lostFields returns the JSON fields set in m that back (m written and
// read again) does not have.
func lostFields(m, back any) []string {
	set := func(v any) map[string]bool {
		b, _ := json.Marshal(v)
		var out map[string]json.RawMessage
		_ = json.Unmarshal(b, &out)
		keys := map[string]bool{}
		for k := range out {
			keys[k] = true
		}
		return keys
	}
	have := set(back)
	var lost []string
	for k := range set(m) {
		if !have[k] {
			lost = append(lost, k)
		}
	}
	sort.Strings(lost)
	return lost
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
	c.Parse = func(l Line) (T, bool) { return table.parse(l) }
	c.Render = func(m *T, _ *Line) []string { return table.render(m) }
	c.Check = table.check
	return ruleList(c, unmodelled)
}
