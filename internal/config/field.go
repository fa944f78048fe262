package config

import (
	"strconv"
	"strings"
)

// A section model (Frontend, Backend, Defaults, Global) is read from and
// written to a section through a table of fields. Each field knows the
// lines it owns: it reads its value from them and, on write, makes them
// hold the model's value, touching nothing when the value is already there
// (so `timeout client 30000` is not rewritten to `30s` by a PUT that did not
// change it). Lines no field owns are never touched.

// sectionField maps one JSON field of model T to the lines that hold it.
type sectionField[T any] struct {
	name  string // JSON name, for messages and tests
	read  func(s *Section, m *T)
	check func(m *T) error
	// words returns the lines the field wants (nil: none); matchers are
	// the keywords of the lines the field owns.
	words    func(m *T) [][]string
	matchers [][]string
	// same reports whether the section already holds m's value.
	same func(s *Section, m *T) bool
	// reads are the keywords of every line read looks at, when known (nil:
	// unknown). A section with none of them cannot change the model, so
	// fieldSet.read skips the field without calling read: most fields are
	// absent from most sections (this took ~15% off building the views of
	// a 10,000-backend file).
	reads [][]string
	// mask is reads as keyword bits (see withMasks): testing it costs two
	// ANDs, where mayHaveAny hashes the words of every matcher again.
	mask readMask
	// refuse, when set, is asked before the field's lines change (never
	// when the section already holds m's value): an error means they
	// cannot be written without losing words the model does not hold, and
	// fails the edit.
	refuse func(s *Section, m *T) error
	// write, when set, replaces setLines(e, matchers, words(m)) for a field
	// whose value changes.
	write func(e *lineEdit, m *T)
}

type fieldSet[T any] []sectionField[T]

// lift turns the fields of an embedded group into fields of the model that
// embeds it.
func lift[Outer, Inner any](fs fieldSet[Inner], get func(*Outer) *Inner) fieldSet[Outer] {
	out := make(fieldSet[Outer], len(fs))
	for i, f := range fs {
		f := f
		out[i] = sectionField[Outer]{
			name:     f.name,
			matchers: f.matchers,
			reads:    f.reads,
			read:     func(s *Section, m *Outer) { f.read(s, get(m)) },
			check: func(m *Outer) error {
				if f.check == nil {
					return nil
				}
				return f.check(get(m))
			},
			words: func(m *Outer) [][]string { return f.words(get(m)) },
			same: func(s *Section, m *Outer) bool {
				return f.same(s, get(m))
			},
		}
		if f.refuse != nil {
			out[i].refuse = func(s *Section, m *Outer) error { return f.refuse(s, get(m)) }
		}
		if f.write != nil {
			out[i].write = func(e *lineEdit, m *Outer) { f.write(e, get(m)) }
		}
	}
	return out
}

func (fs fieldSet[T]) read(s *Section, m *T) {
	p := s.parsedLines()
	for i := range fs {
		f := &fs[i]
		switch {
		case f.reads == nil:
		case f.mask.set:
			if p.first&f.mask.first == 0 && p.second&f.mask.second == 0 {
				continue
			}
		case !p.mayHaveAny(f.reads):
			continue
		}
		f.read(s, m)
	}
}

// readMask holds the keyword bits of a field's reads: a section whose
// summary has none of them cannot hold the field.
type readMask struct {
	first, second uint64
	set           bool
}

// withMasks returns fs with the keyword bits of every field's reads
// computed once. Building the typed views of a 10,000-backend file asks
// each section about every field (~90 for a backend), most of them absent.
func withMasks[T any](fs fieldSet[T]) fieldSet[T] {
	out := append(fieldSet[T](nil), fs...)
	for i := range out {
		r := out[i].reads
		if r == nil {
			continue
		}
		m := readMask{set: true}
		for _, w := range r {
			switch len(w) {
			case 0:
				m.set = false // matches every section: leave it to mayHaveAny
			case 1:
				m.first |= keywordBit(w[0])
			default:
				m.second |= keywordBit2(w[0], w[1])
			}
		}
		out[i].mask = m
	}
	return out
}

func (fs fieldSet[T]) check(m *T) error {
	for _, f := range fs {
		if f.check != nil {
			if err := f.check(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// write makes the section hold m, field by field. A field whose value
// changes but whose lines cannot be rewritten without loss (see refusal)
// fails the edit through e.err.
func (fs fieldSet[T]) write(e *lineEdit, m *T) {
	for _, f := range fs {
		if f.same(e.s, m) {
			continue
		}
		if err := f.refusal(e.s, m); err != nil {
			e.fail(err)
			continue
		}
		if f.write != nil {
			f.write(e, m)
			continue
		}
		setLines(e, f.matchers, f.words(m))
	}
}

// refusal says why the field's lines cannot change: one of them sits in a
// conditional block, or the field's own refuse hook objects.
func (f *sectionField[T]) refusal(s *Section, m *T) error {
	if err := refuseConditional(s, f.name, f.matchers, f.reads); err != nil {
		return err
	}
	if f.refuse != nil {
		return f.refuse(s, m)
	}
	return nil
}

var conditionalDirectives = [][]string{{".if"}, {".elif"}, {".else"}, {".endif"}}

// refuseConditional refuses to change a field when one of the lines it
// owns or reads sits in a conditional block (.if/.elif/.else/.endif):
// which of them HAProxy uses depends on the run, and rewriting the last
// one while removing the others (what setLines does) would change the
// other branches too.
func refuseConditional(s *Section, field string, groups ...[][]string) error {
	p := s.parsedLines()
	if !p.mayHaveAny(conditionalDirectives) {
		return nil
	}
	var lines []Line
	for _, l := range p.lines {
		for _, g := range groups {
			if matchesAny(l, g) {
				lines = append(lines, l)
				break
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	st := structureOf(s)
	for _, l := range lines {
		if st.conditional(l.Index) {
			return invalid(field, "its value is set inside .if/.elif/.else blocks (`%s` in %s), so it differs from run to run; "+
				"the API cannot change it without changing every branch: edit it with the raw configuration endpoint",
				joinWords(l.Words), s)
		}
	}
	return nil
}

func matchesAny(l Line, matchers [][]string) bool {
	for _, m := range matchers {
		if l.Keyword(m...) {
			return true
		}
	}
	return false
}

// refuseUnmodelled builds a refuse hook for a field held on one line whose
// reader skips what it does not understand (unknown words, values the
// model cannot hold): when the line written back from what was read would
// not hold the same words as the line in the file, changing the field
// would drop words, so the edit is refused.
func refuseUnmodelled[T any](field string, matchers [][]string, read func(s *Section, m *T), words func(m *T) [][]string) func(s *Section, m *T) error {
	return func(s *Section, m *T) error {
		l, ok := lastMatch(s, matchers...)
		if !ok {
			return nil
		}
		var cur T
		read(s, &cur)
		if w := words(&cur); len(w) == 1 && sameWordBag(w[0], l.Words) {
			return nil
		}
		return unmodelledLine(field, l)
	}
}

func unmodelledLine(field string, l Line) error {
	return invalid(field, "the line `%s` holds words or values the API does not model; "+
		"changing %s would drop them: edit it with the raw configuration endpoint", joinWords(l.Words), field)
}

// sameWordBag reports whether a and b hold the same words, in any order.
func sameWordBag(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	n := map[string]int{}
	for _, w := range a {
		n[w]++
	}
	for _, w := range b {
		if n[w] == 0 {
			return false
		}
		n[w]--
	}
	return true
}

// sectionWords returns the lines a new section needs for m.
func (fs fieldSet[T]) sectionWords(m *T) [][]string {
	var out [][]string
	for _, f := range fs {
		out = append(out, f.words(m)...)
	}
	return out
}

// setLines makes the lines matched by any of matchers be exactly want:
// existing lines are rewritten in place (the last ones, which HAProxy
// uses), extra ones removed, missing ones added after the last line of
// the same keyword. It does not look at conditional blocks: fieldSet.write
// refuses first when one of the lines sits in one (see refuseConditional).
func setLines(e *lineEdit, matchers [][]string, want [][]string) {
	var found []Line
	for _, l := range e.s.Lines() {
		for _, m := range matchers {
			if l.Keyword(m...) {
				found = append(found, l)
				break
			}
		}
	}
	// Pair the last len(want) found lines with want, in order.
	keep := len(found) - len(want)
	if keep < 0 {
		keep = 0
	}
	for _, l := range found[:keep] {
		e.delete(l.Index)
	}
	reuse := found[keep:]
	for i, w := range want {
		if i < len(reuse) {
			if !equalWords(reuse[i].Words, w) {
				e.replaceWords(reuse[i].Index, w)
			}
			continue
		}
		e.add(matchers[0], w)
	}
}

// lastMatch returns the last line matching any of the matchers.
//
// Most fields are absent from most sections: the keyword summary of the
// section answers those without scanning its lines (building the typed
// view of a backend asks for ~100 keywords).
func lastMatch(s *Section, matchers ...[]string) (Line, bool) {
	p := s.parsedLines()
	any := false
	for _, m := range matchers {
		if p.mayHave(m) {
			any = true
			break
		}
	}
	if !any {
		return Line{}, false
	}
	lines := p.lines
	for i := len(lines) - 1; i >= 0; i-- {
		for _, m := range matchers {
			if lines[i].Keyword(m...) {
				return lines[i], true
			}
		}
	}
	return Line{}, false
}

// sameAsRead builds a `same` function from read: the section holds m's
// value when reading it into a fresh model gives the same value.
func sameAsRead[T any, V comparable](read func(s *Section, m *T), get func(*T) V) func(s *Section, m *T) bool {
	return func(s *Section, m *T) bool {
		var cur T
		read(s, &cur)
		return get(&cur) == get(m)
	}
}

func samePtr[T any](read func(s *Section, m *T), get func(*T) **int64) func(s *Section, m *T) bool {
	return func(s *Section, m *T) bool {
		var cur T
		read(s, &cur)
		return eqInt(*get(&cur), *get(m))
	}
}

// intField: `<keyword...> N`.
func intField[T any](json string, kw []string, lo, hi int64, get func(*T) **int64) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok {
			if n, err := strconv.ParseInt(l.Arg(len(kw)), 10, 64); err == nil {
				*get(m) = &n
			}
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *T) error {
			if n := *get(m); n != nil {
				return checkRange(json, *n, lo, hi)
			}
			return nil
		},
		words: func(m *T) [][]string {
			if n := *get(m); n != nil {
				return [][]string{append(cloneWords(kw), strconv.FormatInt(*n, 10))}
			}
			return nil
		},
		same: samePtr(read, get),
	}
}

// durationField: `<keyword...> <time>`, in ms (unit "ms") or s (unit "s").
func durationField[T any](json string, kw []string, unit string, get func(*T) **int64) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok {
			if ms, ok := parseDuration(l.Arg(len(kw)), unit); ok {
				if unit == "s" {
					ms /= 1000
				}
				*get(m) = &ms
			}
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *T) error {
			if n := *get(m); n != nil {
				return checkRange(json, *n, 0, 1<<40)
			}
			return nil
		},
		words: func(m *T) [][]string {
			n := *get(m)
			if n == nil {
				return nil
			}
			v := *n
			if unit == "s" {
				v *= 1000
			}
			return [][]string{append(cloneWords(kw), formatDuration(v))}
		},
		same: samePtr(read, get),
	}
}

// timeoutField: `timeout <name> <time>`.
func timeoutField[T any](json, name string, get func(*T) **int64) sectionField[T] {
	return durationField(json, []string{"timeout", name}, "ms", get)
}

// wordField: `<keyword...> <one word>`; values is the allowed set, if any.
func wordField[T any](json string, kw []string, values []string, get func(*T) *string) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok && len(l.Words) > len(kw) {
			*get(m) = l.Words[len(kw)]
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *T) error {
			v := *get(m)
			switch {
			case v == "":
				return nil
			case len(values) > 0:
				return checkEnum(json, v, values...)
			default:
				return checkWord(json, v)
			}
		},
		words: func(m *T) [][]string {
			if v := *get(m); v != "" {
				return [][]string{append(cloneWords(kw), v)}
			}
			return nil
		},
		same: sameAsRead(read, func(m *T) string { return *get(m) }),
	}
}

// nameRefField is a wordField whose value names a section.
func nameRefField[T any](json string, kw []string, get func(*T) *string) sectionField[T] {
	f := wordField(json, kw, nil, get)
	f.check = func(m *T) error {
		if v := *get(m); v != "" {
			return CheckName(json, v)
		}
		return nil
	}
	return f
}

// textField: `<keyword...> <rest of the line, verbatim>` (description,
// log-format). Quotes are part of the value, as the Data Plane API has it.
func textField[T any](json string, kw []string, get func(*T) *string) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok && len(l.Words) > len(kw) {
			*get(m) = strings.Join(l.Words[len(kw):], " ")
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *T) error {
			if v := *get(m); v != "" {
				return checkText(json, v)
			}
			return nil
		},
		words: func(m *T) [][]string {
			if v := *get(m); v != "" {
				words, _ := splitWords(v)
				return [][]string{append(cloneWords(kw), words...)}
			}
			return nil
		},
		same: sameAsRead(read, func(m *T) string { return *get(m) }),
	}
}

// flagField: a bare keyword (`enabled`, `daemon`) present or not.
func flagField[T any](json string, kw []string, get func(*T) *bool) sectionField[T] {
	read := func(s *Section, m *T) {
		if _, ok := lastMatch(s, kw); ok {
			*get(m) = true
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		words: func(m *T) [][]string {
			if *get(m) {
				return [][]string{cloneWords(kw)}
			}
			return nil
		},
		same: sameAsRead(read, func(m *T) bool { return *get(m) }),
	}
}

// optionToggleField: `option X` -> "enabled", `no option X` -> "disabled".
func optionToggleField[T any](json, option string, get func(*T) *string) sectionField[T] {
	on, off := []string{"option", option}, []string{"no", "option", option}
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, on, off); ok {
			if l.Words[0] == "no" {
				*get(m) = "disabled"
			} else {
				*get(m) = "enabled"
			}
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{on, off}, reads: [][]string{on, off}, read: read,
		check: func(m *T) error {
			if v := *get(m); v != "" {
				return checkEnum(json, v, "enabled", "disabled")
			}
			return nil
		},
		words: func(m *T) [][]string {
			switch *get(m) {
			case "enabled":
				return [][]string{on}
			case "disabled":
				return [][]string{off}
			}
			return nil
		},
		same: sameAsRead(read, func(m *T) string { return *get(m) }),
	}
}

// optionBoolField: `option X` -> true (no JSON value for `no option X`,
// which is read as false and left alone unless the model turns X on).
func optionBoolField[T any](json, option string, get func(*T) *bool) sectionField[T] {
	on, off := []string{"option", option}, []string{"no", "option", option}
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, on, off); ok && l.Words[0] == "option" && len(l.Words) == 2 {
			*get(m) = true
		}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{on}, reads: [][]string{on, off}, read: read,
		words: func(m *T) [][]string {
			if *get(m) {
				return [][]string{on}
			}
			return nil
		},
		same: sameAsRead(read, func(m *T) bool { return *get(m) }),
	}
}

func cloneWords(w []string) []string { return append([]string(nil), w...) }
