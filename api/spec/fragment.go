package spec

import (
	"fmt"
	"regexp"
	"strings"
)

// fragment is what api/spec/collections/<path>.yaml says about one
// collection. Fragments are YAML, but only a fixed layout is read (see
// README.md), and their blocks are copied as text, never re-encoded, so
// that the output reads as it was written.
type fragment struct {
	file string

	noun, nouns, article string // how descriptions name the items
	keyParameter         string // path parameter component of a keyed item

	// schemas and parameters are components, as written (indented by 2).
	schemas, parameters string

	// notes are paragraphs added to an operation's description, before
	// the write rules (op -> text without indentation).
	notes map[string]string
	// responses replace the template's description of one response
	// ("op code" -> a one-line YAML scalar, copied as written).
	responses map[string]string

	// used records the notes and responses the templates asked for, so
	// that a misspelt key is an error rather than silently ignored.
	used map[string]bool
}

var (
	topKey   = regexp.MustCompile(`^([a-z_]+):(?: +(.*))?$`)
	entryKey = regexp.MustCompile(`^  ([A-Za-z]+(?: [0-9]{3})?):(?: +(.*))?$`)
)

// entry is one top-level key of a fragment or part file.
type entry struct {
	line       int
	key, value string
	body       []string
}

// splitEntries reads top-level keys at column 0, each either `key: value`
// or `key:` followed by lines indented by two or more. Comment lines at
// column 0 and blank lines between keys are skipped.
func splitEntries(file, text string) ([]*entry, error) {
	var entries []*entry
	for i, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "#"):
		case l == "" || strings.HasPrefix(l, " "):
			if len(entries) == 0 {
				if strings.TrimSpace(l) == "" {
					continue
				}
				return nil, fmt.Errorf("%s:%d: indented line before the first key", file, i+1)
			}
			e := entries[len(entries)-1]
			e.body = append(e.body, l)
		default:
			m := topKey.FindStringSubmatch(l)
			if m == nil {
				return nil, fmt.Errorf("%s:%d: want `key:` or `key: value` at column 0, got %q", file, i+1, l)
			}
			entries = append(entries, &entry{line: i + 1, key: m[1], value: m[2]})
		}
	}
	for _, e := range entries {
		for len(e.body) > 0 && strings.TrimSpace(e.body[len(e.body)-1]) == "" {
			e.body = e.body[:len(e.body)-1]
		}
	}
	return entries, nil
}

// parseFragment reads a fragment (see splitEntries for the layout).
func parseFragment(file, text string) (*fragment, error) {
	f := &fragment{file: file, notes: map[string]string{}, responses: map[string]string{}, used: map[string]bool{}}
	entries, err := splitEntries(file, text)
	if err != nil {
		return nil, err
	}
	scalar := map[string]*string{"noun": &f.noun, "nouns": &f.nouns, "article": &f.article, "key_parameter": &f.keyParameter}
	blocks := map[string]*string{"schemas": &f.schemas, "parameters": &f.parameters}
	texts := map[string]map[string]string{"notes": f.notes, "responses": f.responses}
	seen := map[string]bool{}
	for _, e := range entries {
		where := fmt.Sprintf("%s:%d: %s", file, e.line, e.key)
		if seen[e.key] {
			return nil, fmt.Errorf("%s: given twice", where)
		}
		seen[e.key] = true
		switch {
		case scalar[e.key] != nil:
			if e.value == "" || len(e.body) > 0 {
				return nil, fmt.Errorf("%s: want a one-line value", where)
			}
			*scalar[e.key] = e.value
		case blocks[e.key] != nil:
			if e.value != "" || len(e.body) == 0 {
				return nil, fmt.Errorf("%s: want a block of YAML indented by 2 below the key", where)
			}
			*blocks[e.key] = strings.Join(e.body, "\n")
		case texts[e.key] != nil:
			if e.value != "" {
				return nil, fmt.Errorf("%s: want entries indented by 2 below the key", where)
			}
			if err := parseTexts(where, e.key == "notes", e.body, texts[e.key]); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: unknown key (want noun, nouns, article, key_parameter, schemas, parameters, notes or responses)", where)
		}
	}
	if f.schemas == "" {
		return nil, fmt.Errorf("%s: no schemas", file)
	}
	return f, nil
}

// parseTexts reads the entries of notes (block scalars: `op: |` and the
// text indented by 4) or responses (`op code: one-line scalar`).
func parseTexts(where string, block bool, body []string, into map[string]string) error {
	var key string
	var text []string
	flush := func() {
		if key != "" {
			for len(text) > 0 && text[len(text)-1] == "" {
				text = text[:len(text)-1]
			}
			into[key] = strings.Join(text, "\n")
		}
		key, text = "", nil
	}
	for _, l := range body {
		if m := entryKey.FindStringSubmatch(l); m != nil {
			flush()
			if _, dup := into[m[1]]; dup {
				return fmt.Errorf("%s.%s: given twice", where, m[1])
			}
			switch {
			case block && m[2] != "|":
				return fmt.Errorf("%s.%s: want a block scalar (`|`)", where, m[1])
			case !block && (m[2] == "" || strings.HasPrefix(m[2], "|") || strings.HasPrefix(m[2], ">")):
				return fmt.Errorf("%s.%s: want a one-line value", where, m[1])
			}
			key = m[1]
			if !block {
				into[key] = m[2]
				key = ""
			}
			continue
		}
		switch {
		case strings.TrimSpace(l) == "" && key != "":
			text = append(text, "")
		case strings.HasPrefix(l, "    ") && key != "":
			text = append(text, l[4:])
		default:
			return fmt.Errorf("%s: unexpected line %q", where, l)
		}
	}
	flush()
	return nil
}

// note returns the paragraphs added to op's description, indented for a
// description block, or "".
func (f *fragment) note(op string) string {
	f.used["notes."+op] = true
	return indent(f.notes[op], 8)
}

// response returns the description of op's response code: the
// fragment's, else def.
func (f *fragment) response(op, code, def string) string {
	k := op + " " + code
	f.used["responses."+k] = true
	if d, ok := f.responses[k]; ok {
		return d
	}
	return def
}

// unused returns the notes and responses no template asked for.
func (f *fragment) unused() []string {
	var out []string
	for op := range f.notes {
		if !f.used["notes."+op] {
			out = append(out, "notes."+op)
		}
	}
	for k := range f.responses {
		if !f.used["responses."+k] {
			out = append(out, "responses."+k)
		}
	}
	return out
}

// defines reports whether a components block (schemas, parameters)
// defines name.
func defines(block, name string) bool {
	for _, l := range strings.Split(block, "\n") {
		if l == "  "+name+":" {
			return true
		}
	}
	return false
}

// indent prefixes every non-empty line of text with n spaces.
func indent(text string, n int) string {
	if text == "" {
		return ""
	}
	pad := strings.Repeat(" ", n)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// part is a file of api/spec/parts: hand-written path items, parameters
// and schemas of one area (storage, runtime maps, ...), kept out of
// base.yaml so that areas grow without touching each other's text.
type part struct {
	file                       string
	paths, parameters, schemas string
}

// parsePart reads a part: keys paths, parameters and schemas, each a block
// indented by 2 (paths as under `paths:`, the others as under
// `components.parameters` and `components.schemas`).
func parsePart(file, text string) (*part, error) {
	entries, err := splitEntries(file, text)
	if err != nil {
		return nil, err
	}
	p := &part{file: file}
	blocks := map[string]*string{"paths": &p.paths, "parameters": &p.parameters, "schemas": &p.schemas}
	for _, e := range entries {
		where := fmt.Sprintf("%s:%d: %s", file, e.line, e.key)
		b := blocks[e.key]
		switch {
		case b == nil:
			return nil, fmt.Errorf("%s: unknown key (want paths, parameters or schemas)", where)
		case *b != "":
			return nil, fmt.Errorf("%s: given twice", where)
		case e.value != "" || len(e.body) == 0:
			return nil, fmt.Errorf("%s: want a block of YAML indented by 2 below the key", where)
		}
		*b = strings.Join(e.body, "\n")
	}
	return p, nil
}
