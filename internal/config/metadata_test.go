package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMetadataComments: how a trailing comment reads as metadata, and how
// metadata is written as a comment that reads back the same.
func TestMetadataComments(t *testing.T) {
	for _, c := range []struct {
		name    string
		comment string // as the line holds it
		read    string // the metadata's JSON; "null" for none
		written string // how that metadata is written again
	}{
		{"none", "", `null`, ""},
		{"plain", "rack A", `{"comment":"rack A"}`, "rack A"},
		{"plain, trailing blanks", "x  y  ", `{"comment":"x  y  "}`, "x  y  "},
		{"plain with quotes and #", `'q' "x # y \`, `{"comment":"'q' \"x # y \\"}`, `'q' "x # y \`},
		{"JSON object of objects", `{"owner":{"team":"web"}}`, `{"owner":{"team":"web"}}`, `{"owner":{"team":"web"}}`},
		{"JSON, spaced, unsorted", `{ "b": {}, "a": {"n": 1.50} }`, `{"a":{"n":1.50},"b":{}}`, `{"a":{"n":1.50},"b":{}}`},
		{"JSON with a plain comment key", `{"comment":"x","o":{}}`, `{"comment":"x","o":{}}`, `{"comment":"x","o":{}}`},
		// JSON of another shape than the schema's: a plain comment.
		{"JSON, not objects", `{"a": 1}`, `{"comment":"{\"a\": 1}"}`, `{"a": 1}`},
		{"JSON array", `[1]`, `{"comment":"[1]"}`, `[1]`},
		{"empty object", `{}`, `{"comment":"{}"}`, `{}`},
		{"JSON comment alone", `{"comment":"x"}`, `{"comment":"x"}`, `x`},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := readMetadata(c.comment)
			got, _ := json.Marshal(m)
			if string(got) != c.read {
				t.Fatalf("read %q as %s, want %s", c.comment, got, c.read)
			}
			w, err := m.comment()
			if err != nil || w != c.written {
				t.Fatalf("wrote %s as %q (%v), want %q", got, w, err, c.written)
			}
			if back, _ := json.Marshal(readMetadata(w)); string(back) != c.read {
				t.Fatalf("%q reads back as %s, want %s", w, back, c.read)
			}
		})
	}
}

// TestMetadataWrittenOnOneLine: metadata is written as one line of JSON
// that reads back as sent, whatever its keys and texts hold; plain text
// that would not read back as itself is written as JSON.
func TestMetadataWrittenOnOneLine(t *testing.T) {
	for _, m := range []Metadata{
		{"comment": "two\nlines"},
		{"comment": "cr\rlf"},
		{"comment": " leading blank"},
		{"comment": `{"o":{}}`}, // would read as that object
		{"comment": "x", "o": map[string]any{"k\n#": "v\n    server evil 1.2.3.4:80 # \"'\\"}},
		{"k\u2028": map[string]any{"<&>": "\x00\x7f"}},
	} {
		w, err := m.comment()
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		if strings.ContainsAny(w, "\n\r\x00") || strings.Contains(w, "\u2028") {
			t.Errorf("%v written as %q: more than one line", m, w)
		}
		line := "    server s1 10.0.0.1:80 # " + w + "\n"
		words, comment := splitWords(line)
		if len(words) != 3 {
			t.Errorf("%q: the comment changed the words: %q", line, words)
		}
		want, _ := json.Marshal(m)
		if got, _ := json.Marshal(readMetadata(comment)); string(got) != string(want) {
			t.Errorf("%v written as %q reads back as %s", m, w, got)
		}
	}
	for _, bad := range []Metadata{
		{"owner": "web"},
		{"owner": []any{}},
		{"owner": nil},
		{"owner": 1.0},
		{"comment": map[string]any{}},
	} {
		if _, err := bad.comment(); err == nil {
			t.Errorf("%v was written", bad)
		}
	}
}

// TestSectionMetadata: the header's comment is the section's metadata. A
// replace without metadata keeps it (v3 sets the comment only when
// metadata is given); other metadata replaces it; {} removes it.
func TestSectionMetadata(t *testing.T) {
	const file = "frontend fe # the web front\n    mode http\n"
	d := parseDocString(t, file)
	fe, err := d.Frontend("fe")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(fe.Metadata); string(got) != `{"comment":"the web front"}` {
		t.Fatalf("metadata %s", got)
	}
	for _, c := range []struct {
		name   string
		meta   Metadata
		header string
	}{
		{"unchanged", Metadata{"comment": "the web front"}, "frontend fe # the web front\n"},
		{"none: kept", nil, "frontend fe # the web front\n"},
		{"new", Metadata{"owner": map[string]any{"team": "web"}}, `frontend fe # {"owner":{"team":"web"}}` + "\n"},
		{"empty: removed", Metadata{}, "frontend fe\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := fe
			m.Metadata = c.meta
			nd, err := d.ReplaceFrontend("fe", m)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.SplitAfter(string(nd.Render()), "\n")[0]; got != c.header {
				t.Fatalf("header %q, want %q", got, c.header)
			}
			if c.name == "unchanged" || c.name == "none: kept" {
				if nd != d {
					t.Error("an unchanged section made a new document")
				}
			}
		})
	}
	nd, err := d.CreateFrontend(Frontend{Name: "fe2", Meta: Meta{Metadata: Metadata{"comment": "new one"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(nd.Render()), "\nfrontend fe2 # new one\n") {
		t.Fatalf("created:\n%s", nd.Render())
	}
}

func parseDocString(t *testing.T, text string) *Document {
	t.Helper()
	d, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestGlobalMetadata: the global section's metadata is its header's
// comment, with the sections' rules.
func TestGlobalMetadata(t *testing.T) {
	d := parseDocString(t, "global # caf\xe9\n    daemon\n")
	g, err := d.Global()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(g.Metadata); string(got) != `{"comment":"caf`+"\uFFFD"+`"}` {
		t.Fatalf("metadata %s", got)
	}
	var back Global
	b, _ := json.Marshal(g)
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		meta   Metadata
		header string
	}{
		{"unchanged: the bytes stay", back.Metadata, "global # caf\xe9\n"},
		{"none: kept", nil, "global # caf\xe9\n"},
		{"new", Metadata{"o": map[string]any{}}, `global # {"o":{}}` + "\n"},
		{"empty: removed", Metadata{}, "global\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := back
			m.Metadata = c.meta
			nd, err := d.ReplaceGlobal(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.SplitAfter(string(nd.Render()), "\n")[0]; got != c.header {
				t.Fatalf("header %q, want %q", got, c.header)
			}
		})
	}
}
