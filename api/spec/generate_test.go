package spec

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"dataplane/internal/config"
)

// sourcesWith returns the embedded sources with file changed by edit.
func sourcesWith(t *testing.T, file string, edit func(string) string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(sources, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sources, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		old, ok := m[file]
		if !ok {
			old = &fstest.MapFile{}
		}
		m[file] = &fstest.MapFile{Data: []byte(edit(string(old.Data)))}
	}
	return m
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

// TestGenerateRefuses: mistakes in the sources are errors that say where,
// never a spec that silently lacks something.
func TestGenerateRefuses(t *testing.T) {
	for _, c := range []struct {
		name, file string
		edit       func(string) string
		want       string
	}{
		{"misspelt note", "collections/servers.yaml", replace("  create: |", "  craete: |"), "notes.craete"},
		{"misspelt response", "collections/servers.yaml", replace("  delete 204:", "  delete 200:"), "responses.delete 200"},
		{"no list schema", "collections/acls.yaml", replace("  acls:\n", "  acl_items:\n"), "schemas has no `acls:`"},
		{"no filter parameter", "collections/acls.yaml", replace("  acl_name:\n    name: acl_name", "  acl_nam:\n    name: acl_name"), "parameters has no `acl_name:`"},
		{"unknown key", "collections/binds.yaml", replace("noun: bind", "nuon: bind"), "unknown key"},
		{"key parameter on a positional collection", "collections/acls.yaml", replace("article: an", "article: an\nkey_parameter: x"), "key_parameter is for keyed"},
		{"stale fragment", "collections/nothing.yaml", func(string) string { return "schemas:\n  x:\n    type: string\n" }, "no collection"},
		{"missing fragment", "collections/binds.yaml", nil, "needs its fragment"},
		{"no paths marker", "base.yaml", replace("  # @generated paths\n", ""), "no `# @generated paths` line"},
		{"no full_section marker", "base.yaml", replace("        # @generated full_section backend\n", ""), "full_section backend"},
		{"marker in another schema", "base.yaml", replace("        # @generated full_section frontend\n", "        # @generated full_section backend\n"), `is in schema "frontend", want "backend"`},
		{"include of an unknown schema", "collections/servers.yaml", replace("# @include server_params properties", "# @include server_parms properties"), "no schema server_parms"},
		{"misindented marker", "base.yaml", replace("    # @generated schemas", "  # @generated schemas"), "indented by 2, want 4"},
		{"unknown marker", "base.yaml", replace("  # @generated paths", "  # @generated pahts"), `unknown marker "pahts"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := sourcesWith(t, c.file, c.edit)
			if c.edit == nil {
				delete(fsys, c.file)
			}
			_, err := generate(fsys, config.Collections(), config.SectionResources())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one that says %q", err, c.want)
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Fatal("two runs gave different output")
		}
	}
}

func TestParseFragment(t *testing.T) {
	f, err := parseFragment("x.yaml", `# comment
noun: rule
nouns: rules

schemas:
  rule:
    type: object

  rules:
    type: array
notes:
  create: |
    First paragraph.

    Second one.
responses:
  create 201: 'Created: now'
`)
	if err != nil {
		t.Fatal(err)
	}
	if f.noun != "rule" || f.nouns != "rules" {
		t.Errorf("nouns %q %q", f.noun, f.nouns)
	}
	if want := "  rule:\n    type: object\n\n  rules:\n    type: array"; f.schemas != want {
		t.Errorf("schemas %q, want %q", f.schemas, want)
	}
	if got, want := f.note("create"), "        First paragraph.\n\n        Second one."; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	if got := f.response("create", "201", "x"); got != "'Created: now'" {
		t.Errorf("response %q", got)
	}
	for _, bad := range []string{"  indented first\n", "noun:\n", "schemas: x\n", "notes:\n  create: one line\n", "responses:\n  create 201: |\n    x\n", "noun: a\nnoun: b\n"} {
		if _, err := parseFragment("bad.yaml", bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestDropIncludeOnly(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"unmarked schemas stay",
			"    a:\n      type: object\n    b:\n      type: string\n",
			"    a:\n      type: object\n    b:\n      type: string\n"},
		{"a marked schema goes, with its blank lines, up to the next schema",
			"    a:\n      type: object\n    # @include-only\n    more:\n      properties:\n\n        x:\n          type: string\n\n    b:\n      type: string\n",
			"    a:\n      type: object\n    b:\n      type: string\n"},
		{"the last schema of the block, followed by a new key",
			"    # @include-only\n    more:\n      properties:\n        x: {}\n  responses:\n",
			"  responses:\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := dropIncludeOnly(c.in); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
	// The published document keeps none of the include-only schemas.
	out, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "\n    rule_line:\n") || strings.Contains(string(out), "\n    global_more:\n") {
		t.Error("an include-only schema is in the document")
	}
}
