package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Rule lists (use_backend, use-server, stick, filter, log, declare
// capture, and the http-/tcp- rule keywords) are positional collections
// with two things in common, declared once here:
//
//   - a condition, `if|unless <test>`, at the end of most of them;
//   - lines the model cannot hold exactly. HAProxy accepts more than
//     config-parser reads (a newer action, an option it does not model,
//     words it would drop), and a rule list that hid such a line would shift
//     every index after it, and one that rewrote it would change what
//     HAProxy does. So a line is modelled only when its model writes back to
//     the very same words (Render(Parse(l), l) == l.Words); any other line
//     is an item all the same, shown as {"verbatim": "<the line>"}, which a
//     client may send back (unchanged, moved, or as a new line it checked
//     itself with haproxy -c: it goes through the same checks as any text).

// Condition is the `if|unless <test>` that ends a rule line.
type Condition struct {
	Cond     string `json:"cond,omitempty"`
	CondTest string `json:"cond_test,omitempty"`
}

// words returns the condition's words: none without a condition.
func (c Condition) words() []string {
	if c.Cond == "" {
		return nil
	}
	ws, _ := splitWords(c.CondTest)
	return append([]string{c.Cond}, ws...)
}

func (c Condition) check() error {
	switch c.Cond {
	case "":
		if c.CondTest != "" {
			return invalid("cond", "cond_test %q needs cond (if or unless)", c.CondTest)
		}
		return nil
	case "if", "unless":
		if c.CondTest == "" {
			return invalid("cond_test", "the %s condition needs a test (ACL names, or an anonymous ACL in braces)", c.Cond)
		}
		return checkText("cond_test", c.CondTest)
	}
	return invalid("cond", "%q must be if or unless", c.Cond)
}

// Unmodelled carries a line of a rule list that its model cannot hold.
type Unmodelled struct {
	// Verbatim is the whole line as written (its words joined by single
	// spaces, without its trailing comment); when set, no other field is.
	Verbatim string `json:"verbatim,omitempty"`
}

// ruleList registers a rule list: a positional collection whose lines are
// modelled only when the model writes them back unchanged, and kept
// verbatim otherwise. unmodelled returns the model's Unmodelled.
func ruleList[T any](c *Collection[T], unmodelled func(*T) *Unmodelled) *Collection[T] {
	return registerRuleList(c, unmodelled, true)
}

// registerRuleList is ruleList; roundTrip says whether Parse must be
// checked by rendering the model (false when Parse checks it itself,
// cheaper).
func registerRuleList[T any](c *Collection[T], unmodelled func(*T) *Unmodelled, roundTrip bool) *Collection[T] {
	parse, render, check := c.Parse, c.Render, c.Check
	c.Positional = true
	if roundTrip {
		c.Parse = func(l Line) (T, bool) {
			m, ok := parse(l)
			if !ok || !equalWords(render(&m, &l), l.Words) {
				var zero T
				return zero, false
			}
			return m, true
		}
	}
	c.Verbatim = func(l Line) T {
		var m T
		unmodelled(&m).Verbatim = joinWords(l.Words)
		return m
	}
	c.Render = func(m *T, old *Line) []string {
		if v := unmodelled(m).Verbatim; v != "" {
			ws, _ := splitWords(v)
			return ws
		}
		return render(m, old)
	}
	c.Check = func(m *T) error {
		v := unmodelled(m).Verbatim
		if v == "" {
			return check(m)
		}
		if err := checkText("verbatim", v); err != nil {
			return err
		}
		rest := *m
		unmodelled(&rest).Verbatim = ""
		if modelKey(&rest) != modelKey(new(T)) {
			return invalid("verbatim", "a verbatim %s holds the whole line: no other field may be set", c.Name)
		}
		ws, _ := splitWords(v)
		if !c.matches(Line{Words: ws}) {
			return invalid("verbatim", "%q is not a %s line (it must start with %s)", v, c.Name, joinWords(c.prefixes()[0]))
		}
		return nil
	}
	return Register(c)
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

// onlyFields refuses a model with a field set (present in its JSON) that
// the kind of item it is does not take: a rule's fields depend on its type,
// and a field that would not be written must not be accepted silently.
func onlyFields(m any, kind string, allowed ...string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("fields of %s: %w", kind, err)
	}
	var set map[string]json.RawMessage
	if err := json.Unmarshal(b, &set); err != nil {
		return fmt.Errorf("fields of %s: %w", kind, err)
	}
	var extra []string
	for f := range set {
		// metadata is the line's comment, which every item takes.
		if f != "metadata" && !slices.Contains(allowed, f) {
			extra = append(extra, f)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return invalid(extra[0], "%s does not take %s", kind, strings.Join(extra, ", "))
}

// writtenAs returns how the value v of option opt is written: as in the
// old line when it reads as v there (`1m` stays `1m`), else format(v).
func writtenAs(old *Line, opt string, v int64, read func(string) (int64, bool), format func(int64) string) string {
	if old != nil {
		for i := 0; i+1 < len(old.Words); i++ {
			if old.Words[i] == opt {
				if n, ok := read(old.Words[i+1]); ok && n == v {
					return old.Words[i+1]
				}
				break
			}
		}
	}
	return format(v)
}

// checkOneWord checks a value written as one word of a rule line: text
// that reads back the same (checkText), and one word for HAProxy, so a
// value with spaces must be quoted ("${ADDR}:514", "a b"), never split
// into extra words.
func checkOneWord(field, v string) error {
	if err := checkText(field, v); err != nil {
		return err
	}
	if ws, _ := splitWords(v); len(ws) != 1 {
		return invalid(field, "%q is several words: quote it to make it one", v)
	}
	return nil
}

// beforeRouting places the first rule of a kind HAProxy runs before
// routing above the routing lines (use_backend, default_backend,
// use-server, server): HAProxy runs the rules first wherever they are,
// but warns about a rule written after them, and so would a reader.
func beforeRouting(l Line) bool {
	switch l.Words[0] {
	case "use_backend", "default_backend", "use-server", "server":
		return true
	}
	return false
}
