package config

import (
	"strings"
	"sync"

	"github.com/haproxytech/config-parser/v5/params"
)

// A server or bind line is a list of params: a keyword alone (`check`), a
// keyword and its value (`weight 10`), or `expose-fd listeners`. We need to
// know how many words each param takes to edit one without disturbing the
// others; config-parser knows that grammar, so we ask it once per keyword
// and remember the answer. Words it does not know (params newer than it)
// stay on the line as they are.

type paramArity int

const (
	arityUnknown paramArity = iota // not a param config-parser knows: kept as one word
	arityWord                      // `check`
	arityValue                     // `weight 10`
	arityDouble                    // `expose-fd listeners`
)

type arityKey struct {
	bind bool
	word string
}

var arityCache sync.Map // arityKey -> paramArity

// paramUnit is one param and its words as written.
type paramUnit struct {
	name  string
	words []string
}

// The params the models own have the arity of their table entry, whether
// or not config-parser knows them (it does not know the newer ones).

func serverArity(word, next string) paramArity {
	if sp, ok := serverSlotOf(word); ok {
		if sp.kind == kindToggle || sp.kind == kindFlag {
			return arityWord
		}
		return arityValue
	}
	return arity(false, word, next)
}

func bindArity(word, next string) paramArity {
	if bp, ok := bindSlots[word]; ok && bp.second == "" {
		if bp.flag != nil || bp.on != "" {
			return arityWord
		}
		return arityValue
	}
	return arity(true, word, next)
}

func arity(bind bool, word, next string) paramArity {
	k := arityKey{bind, word}
	if a, ok := arityCache.Load(k); ok {
		return a.(paramArity)
	}
	a := probeArity(bind, word, next)
	if a == arityDouble {
		// Only valid with this exact second word; do not cache.
		return a
	}
	arityCache.Store(k, a)
	return a
}

// probeArity asks config-parser how it reads word followed by a value.
func probeArity(bind bool, word, next string) paramArity {
	if next == "" {
		next = "x"
	}
	if bind {
		opts, err := params.ParseBindOptions([]string{word, next})
		if err != nil {
			// Its only error is a value outside an allowed set: the
			// keyword takes a value.
			return arityValue
		}
		if len(opts) == 0 {
			return arityUnknown
		}
		switch opts[0].(type) {
		case *params.BindOptionWord:
			return arityWord
		case *params.BindOptionDoubleWord:
			return arityDouble
		default:
			return arityValue
		}
	}
	opts := params.ParseServerOptions([]string{word, next})
	if len(opts) == 0 {
		return arityUnknown
	}
	switch o := opts[0].(type) {
	case *params.ServerOptionWord:
		if o.Name != word {
			return arityUnknown
		}
		return arityWord
	case *params.ServerOptionDoubleWord:
		return arityDouble
	default:
		return arityValue
	}
}

// splitParams cuts words into params.
func splitParams(words []string, arityOf func(word, next string) paramArity) []paramUnit {
	out := make([]paramUnit, 0, len(words))
	for i := 0; i < len(words); {
		w := words[i]
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		n := 1
		switch arityOf(w, next) {
		case arityValue, arityDouble:
			if next != "" {
				n = 2
			}
		}
		out = append(out, paramUnit{name: w, words: words[i : i+n]})
		i += n
	}
	return out
}

// paramEdit rewrites a param list: modelled params are replaced in place
// (or removed, or appended at the end); every other word stays where it was.
type paramEdit struct {
	units []paramUnit
	owned map[string]bool // param names the model owns
	want  map[string][]string
	order []string // names in the order new params are appended
	// opaque are the units kept as written whatever the model says.
	opaque map[int]bool
	// unchanged are the slots whose value the model leaves as it is: every
	// occurrence stays as written (`crt a.pem crt b.pem`).
	unchanged map[string]bool
}

func newParamEdit(units []paramUnit, owned map[string]bool) *paramEdit {
	return &paramEdit{units: units, owned: owned, want: map[string][]string{}}
}

// keepAll marks a slot whose value does not change: all its occurrences
// stay as they are.
func (p *paramEdit) keepAll(slot string) {
	if p.unchanged == nil {
		p.unchanged = map[string]bool{}
	}
	p.unchanged[slot] = true
}

// set asks for param name to be written as words (the name included).
// Several names may share one slot (check / no-check): pass the slot key.
func (p *paramEdit) set(slot string, words ...string) {
	if _, ok := p.want[slot]; !ok {
		p.order = append(p.order, slot)
	}
	p.want[slot] = words
}

// render returns the new words. slotOf maps a param name to its slot ("" =
// not modelled).
func (p *paramEdit) render(slotOf func(name string) string) []string {
	// The last occurrence of a slot is the one HAProxy uses: that is where
	// the new value goes; earlier duplicates are dropped.
	slot := func(i int, u paramUnit) string {
		if p.opaque[i] {
			return ""
		}
		return slotOf(u.name)
	}
	last := map[string]int{}
	for i, u := range p.units {
		if s := slot(i, u); s != "" {
			last[s] = i
		}
	}
	var out []string
	done := map[string]bool{}
	for i, u := range p.units {
		s := slot(i, u)
		if s == "" || p.unchanged[s] {
			out = append(out, u.words...)
			done[s] = done[s] || s != ""
			continue
		}
		if last[s] != i {
			continue
		}
		if w, ok := p.want[s]; ok {
			if sameWords(w, u.words) {
				out = append(out, u.words...)
			} else {
				out = append(out, w...)
			}
			done[s] = true
		}
	}
	for _, s := range p.order {
		if !done[s] {
			out = append(out, p.want[s]...)
		}
	}
	return out
}

func sameWords(a, b []string) bool { return equalWords(a, b) }

// joinWords is for messages.
func joinWords(w []string) string { return strings.Join(w, " ") }
