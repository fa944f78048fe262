package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Metadata is the Data Plane API v3 `metadata` of a section or of a child
// line (server, bind, rule, user, ...): the trailing comment of the
// section's header line or of the item's line (dataplaneapi#71).
//
// How v3 maps a comment (client-native's misc.ParseMetadata and
// SerializeMetadata): a comment that is a JSON object reads as that
// object; any other comment reads as {"comment": "<the text>"}; metadata is
// written back as its JSON (keys sorted, one line). A plain comment read
// and written back by v3 thus becomes `# {"comment":"..."}`. Here it
// stays as it was: metadata that is exactly {"comment": <text>}, where the
// text would read back as itself, is written as the plain text, so a GET
// then an unchanged PUT leaves the file byte for byte.
//
// The contract types metadata as an object of objects; v3 itself answers
// a string under "comment" for a plain comment, so the schema declares
// that one key a string (api/spec/base.yaml, schema metadata). A JSON
// comment that is not of that shape (`# {"a": 1}`) reads as a plain
// comment, so every answer is one the schema describes.
type Metadata map[string]any

// Meta is embedded in every model that carries metadata; the collection
// and section frameworks read and write it, no model does.
type Meta struct {
	Metadata Metadata `json:"metadata,omitempty"`
}

func (m *Meta) meta() *Meta { return m }

// metaHolder is a model (pointer) that embeds Meta.
type metaHolder interface{ meta() *Meta }

// metaOf returns the Meta of a model pointer, or nil when its type has no
// metadata.
func metaOf(m any) *Meta {
	if h, ok := m.(metaHolder); ok {
		return h.meta()
	}
	return nil
}

// HasMetadata reports whether models of m's type (m a pointer to one, as
// NewModel returns) carry metadata: the spec generator gives their schemas
// the metadata property.
func HasMetadata(m any) bool {
	_, ok := m.(metaHolder)
	return ok
}

// plainKey is the key a comment that is not a JSON object reads under.
const plainKey = "comment"

// readMetadata returns the metadata a line's trailing comment holds (the
// comment as splitWords returns it: without the '#' and the blanks after
// it); nil for none.
func readMetadata(comment string) Metadata {
	if comment == "" {
		return nil
	}
	// JSON carries text: a byte that is not UTF-8 (an old Latin-1
	// comment) reads as U+FFFD, and the line keeps its bytes as long as
	// the metadata stays the same (lineComment).
	comment = strings.ToValidUTF8(comment, "\uFFFD")
	if strings.HasPrefix(comment, "{") {
		if m, ok := jsonMetadata(comment); ok {
			return m
		}
	}
	return Metadata{plainKey: comment}
}

// jsonMetadata decodes a comment that is a JSON object of the schema's
// shape; numbers keep their digits (json.Number), so they write back the
// same.
func jsonMetadata(comment string) (Metadata, bool) {
	dec := json.NewDecoder(strings.NewReader(comment))
	dec.UseNumber()
	var m Metadata
	if err := dec.Decode(&m); err != nil || dec.More() || len(m) == 0 {
		return nil, false
	}
	if m.check() != nil {
		return nil, false
	}
	return m, true
}

// check refuses metadata the schema does not describe: every value an
// object, but the plain comment's key, a string.
func (m Metadata) check() error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case map[string]any:
			if k == plainKey {
				return invalid("metadata", "%q: want a string, the plain comment", k)
			}
		case string:
			if k != plainKey {
				return invalid("metadata", "%q: want an object, got a string (only %q may be one)", k, plainKey)
			}
		default:
			return invalid("metadata", "%q: want an object, got %s", k, jsonKind(v))
		}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case float64, json.Number:
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// comment returns the trailing comment a line carries for m ("" for
// none): the plain text when m is a plain comment that reads back as
// itself, else m's JSON. JSON escapes every control character, so the
// comment is one line and nothing in it can end the line or start
// another; HAProxy ignores everything after the '#'.
func (m Metadata) comment() (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	if err := m.check(); err != nil {
		return "", err
	}
	if s, ok := m[plainKey].(string); ok && len(m) == 1 && readsBackPlain(s) {
		return s, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any(m)); err != nil { // maps encode with sorted keys
		return "", invalid("metadata", "%v", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// readsBackPlain reports whether s, written as a trailing comment, reads
// back as {"comment": s}: one line of printable text, which the splitter
// returns unchanged and which is not a JSON object of metadata.
func readsBackPlain(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	if _, got := splitWords("x # " + s); got != s {
		return false
	}
	if strings.HasPrefix(s, "{") {
		if _, ok := jsonMetadata(s); ok {
			return false
		}
	}
	return true
}

// modelComment returns the trailing comment of m's line (m a model
// pointer): "" for a model without metadata, or with none.
func modelComment(m any) (string, error) {
	if mt := metaOf(m); mt != nil {
		return mt.Metadata.comment()
	}
	return "", nil
}

// lineComment returns the trailing comment of m's line (m a model
// pointer) in place of old (nil for a new line): old's own comment, as
// written, when it holds the same metadata (a GET then an unchanged PUT
// leaves the bytes of the comment alone, even those JSON cannot carry);
// else the comment of m's metadata.
func lineComment(m any, old *Line) (string, error) {
	mt := metaOf(m)
	if mt == nil {
		return "", nil
	}
	if old != nil && sameMetadata(mt.Metadata, readMetadata(old.Comment)) {
		return old.Comment, nil
	}
	return mt.Metadata.comment()
}

// sameMetadata compares two metadata as their JSON (numbers as written,
// strings as JSON carries them).
func sameMetadata(a, b Metadata) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// withHeaderMetadata returns ns (the edited s, or s itself) with the
// header line's comment set from m: nil keeps the comment there is, as
// the Data Plane API v3 sets a section's comment only when metadata is
// given; an empty object removes it. The header's words stay as written.
func withHeaderMetadata(s, ns *Section, m Metadata, nl string) (*Section, error) {
	if m == nil {
		return ns, nil
	}
	words, old := splitWords(s.header)
	if sameMetadata(m, readMetadata(old)) {
		return ns, nil
	}
	comment, err := m.comment()
	if err != nil {
		return nil, err
	}
	if ns == s {
		ns = &Section{Kind: s.Kind, Name: s.Name, From: s.From, lines: s.lines}
	}
	ns.header = leadingBlank(s.header) + renderWords(words, comment) + eolOf(s.header, nl)
	if err := lineTooLong(ns.header); err != nil {
		return nil, err
	}
	return ns, nil
}

// setMetadata fills m's metadata (m a model pointer) from its line's
// trailing comment.
func setMetadata(m any, comment string) {
	if mt := metaOf(m); mt != nil {
		mt.Metadata = readMetadata(comment)
	}
}

// withoutMetadata returns m, or a copy of it without metadata when it has
// some: for the checks that compare a model with the one its words read
// back as, which know nothing of the comment.
func withoutMetadata[T any](m *T) *T {
	if mt := metaOf(m); mt == nil || mt.Metadata == nil {
		return m
	}
	c := *m
	metaOf(&c).Metadata = nil
	return &c
}
