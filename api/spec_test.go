package api

// These tests keep api/openapi.yaml what api/spec generates, and check the
// generated part against the collection registry of internal/config (the
// one the HTTP routes are built from) on the parsed document, so that a
// hand edit of openapi.yaml or a template mistake shows up here.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/yaml"

	"dataplane/api/spec"
	"dataplane/internal/config"
)

func TestSpecIsGenerated(t *testing.T) {
	want, err := spec.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got := SpecYAML()
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < len(gl) && line < len(wl) && gl[line] == wl[line] {
		line++
	}
	at := func(l []string) string {
		if line < len(l) {
			return l[line]
		}
		return "(end of file)"
	}
	t.Fatalf("api/openapi.yaml is not what api/spec generates: run `go generate ./api`.\n"+
		"First difference at line %d:\n  openapi.yaml: %q\n  generated:    %q", line+1, at(gl), at(wl))
}

// TestSpecJSONIsGenerated keeps api/openapi.json the conversion of
// api/openapi.yaml.
func TestSpecJSONIsGenerated(t *testing.T) {
	want, err := spec.JSON(SpecYAML())
	if err != nil {
		t.Fatal(err)
	}
	if got := SpecJSON(); !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("api/openapi.json is not api/openapi.yaml as JSON: run `go generate ./api`.\n"+
			"First difference at byte %d:\n  openapi.json: %q\n  generated:    %q", i, excerpt(string(got), i), excerpt(string(want), i))
	}
}

// TestSpecJSONIsTheYAML: the JSON loaded is the YAML as kin-openapi reads
// it, value for value (the YAML goes through kin-openapi's own YAML to
// JSON conversion here, not through spec.JSON).
func TestSpecJSONIsTheYAML(t *testing.T) {
	var fromYAML, fromJSON any
	if _, err := yaml.Unmarshal(SpecYAML(), &fromYAML, yaml.DecodeOpts{DisableTimestamps: true}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(SpecJSON(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromYAML, fromJSON) {
		t.Fatal("api/openapi.json and api/openapi.yaml hold different documents: run `go generate ./api`")
	}
	// And the loaded documents agree.
	l := openapi3.NewLoader()
	y, err := l.LoadFromData(SpecYAML())
	if err != nil {
		t.Fatal(err)
	}
	j, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	yb, _ := json.Marshal(y)
	jb, _ := json.Marshal(j)
	if !bytes.Equal(yb, jb) {
		t.Fatal("the contract loaded from openapi.json differs from the one loaded from openapi.yaml")
	}
}

const configPath = "/services/haproxy/configuration/"

// collectionOp is one operation every parent of a collection has.
type collectionOp struct {
	item   bool // on /{name} or /{index}, else on the list
	method string
	prefix string // operationId: <prefix><OpName><Parent.OpName>
}

func collectionOps(info config.CollectionInfo) []collectionOp {
	if info.AppendOnly {
		return []collectionOp{
			{false, "GET", "getAll"}, {false, "POST", "create"},
			{true, "GET", "get"}, {true, "PUT", "replace"}, {true, "DELETE", "delete"},
		}
	}
	if info.Positional {
		return []collectionOp{
			{false, "GET", "getAll"}, {false, "PUT", "replaceAll"},
			{true, "GET", "get"}, {true, "POST", "create"}, {true, "PUT", "replace"}, {true, "DELETE", "delete"},
		}
	}
	return []collectionOp{
		{false, "GET", "getAll"}, {false, "POST", "create"},
		{true, "GET", "get"}, {true, "PUT", "replace"}, {true, "DELETE", "delete"},
	}
}

func collectionPaths(info config.CollectionInfo, p config.ParentKind) (list, item string) {
	list = configPath + p.Path + "/{" + info.ParentPathParam() + "}/" + info.Path
	switch {
	case info.QueryParent != "":
		list = configPath + info.Path
	case p.Singleton:
		list = configPath + p.Path + "/" + info.Path
	}
	if info.Positional {
		return list, list + "/{index}"
	}
	return list, list + "/{" + info.KeyName() + "}"
}

func refs(ps openapi3.Parameters) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Ref)
	}
	return out
}

func contentRef(c openapi3.Content) string {
	if mt := c.Get("application/json"); mt != nil && mt.Schema != nil {
		return mt.Schema.Ref
	}
	return ""
}

// TestCollectionOperations: every collection has every operation of its
// style on every parent kind, with the Data Plane API operationIds,
// parameters and bodies, and nothing else lives under a parent's path.
func TestCollectionOperations(t *testing.T) {
	doc := loadSpec(t)
	if len(config.Collections()) == 0 {
		t.Fatal("no collection is registered")
	}
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	owned := map[string]bool{}
	for _, c := range config.Collections() {
		info := c.Info()
		if !tags[info.Tag] {
			t.Errorf("%s: tag %q is not in the tag list", info.Path, info.Tag)
		}
		schemaRef := "#/components/schemas/" + info.Schema
		listRef := "#/components/schemas/" + info.ListSchema()
		keyParam := map[bool]string{true: "index", false: "name"}[info.Positional]
		for _, p := range info.Parents {
			listPath, itemPath := collectionPaths(info, p)
			owned[listPath], owned[itemPath] = true, true
			ops := collectionOps(info)
			want := map[string]int{listPath: 0, itemPath: 0}
			for _, o := range ops {
				path := listPath
				if o.item {
					path = itemPath
				}
				want[path]++
				where := fmt.Sprintf("%s %s", o.method, path)
				pi := doc.Paths.Value(path)
				if pi == nil {
					t.Errorf("%s: path missing", where)
					continue
				}
				op := pi.GetOperation(o.method)
				if op == nil {
					t.Errorf("%s: operation missing", where)
					continue
				}
				if id := info.OpID(o.prefix, p); op.OperationID != id {
					t.Errorf("%s: operationId %q, want %q", where, op.OperationID, id)
				}
				if len(op.Tags) != 1 || op.Tags[0] != info.Tag {
					t.Errorf("%s: tags %v, want [%s]", where, op.Tags, info.Tag)
				}
				checkCollectionParams(t, where, op, o, info, p, keyParam)
				var body string
				if op.RequestBody != nil {
					body = contentRef(op.RequestBody.Value.Content)
				}
				wantBody := map[string]string{"create": schemaRef, "replace": schemaRef, "replaceAll": listRef}[o.prefix]
				if body != wantBody {
					t.Errorf("%s: request body %q, want %q", where, body, wantBody)
				}
				if o.prefix == "getAll" {
					if r := op.Responses.Value("200"); r == nil || contentRef(r.Value.Content) != listRef {
						t.Errorf("%s: 200 is not the list schema %s", where, listRef)
					}
				}
			}
			for path, n := range want {
				if pi := doc.Paths.Value(path); pi != nil && len(pi.Operations()) != n {
					t.Errorf("%s: %d operations, want %d", path, len(pi.Operations()), n)
				}
			}
		}
	}
	// A path item under a parent that no collection declares would be
	// served by nothing.
	for _, path := range doc.Paths.InMatchingOrder() {
		if strings.HasPrefix(path, configPath) && strings.Contains(path, "/{parent_name}/") && !owned[path] {
			t.Errorf("%s: no collection of internal/config declares it", path)
		}
	}
}

func checkCollectionParams(t *testing.T, where string, op *openapi3.Operation, o collectionOp, info config.CollectionInfo, p config.ParentKind, keyParam string) {
	t.Helper()
	var path, query []string
	for _, p := range op.Parameters {
		if p.Value.In == "path" {
			path = append(path, p.Value.Name)
		} else {
			query = append(query, p.Value.Name)
		}
	}
	wantPath := []string{info.ParentPathParam()}
	wantQuery := []string{"transaction_id"}
	switch {
	case info.QueryParent != "":
		wantPath = nil
		wantQuery = append(wantQuery, info.QueryParent)
	case p.Singleton:
		wantPath = nil
	}
	if o.item {
		if !info.Positional {
			keyParam = info.KeyName()
		}
		wantPath = append(wantPath, keyParam)
	}
	if o.method != "GET" {
		wantQuery = append(wantQuery, "version", "force_reload", "dry_run")
	}
	if o.prefix == "getAll" {
		wantQuery = append(wantQuery, info.Filters...)
	}
	sort.Strings(query)
	sort.Strings(wantQuery)
	if fmt.Sprint(path) != fmt.Sprint(wantPath) || fmt.Sprint(query) != fmt.Sprint(wantQuery) {
		t.Errorf("%s: path parameters %v and query parameters %v, want %v and %v", where, path, query, wantPath, wantQuery)
	}
	if o.item && info.Positional && !strings.Contains(fmt.Sprint(refs(op.Parameters)), "#/components/parameters/index") {
		t.Errorf("%s: the index parameter is not the index component", where)
	}
}

// TestCollectionParentsAgree: the path items of a collection are the same
// on every parent kind once the parent's path, operationId suffix and
// name are replaced by placeholders, so the copies cannot drift apart.
func TestCollectionParentsAgree(t *testing.T) {
	doc := loadSpec(t)
	for _, c := range config.Collections() {
		info := c.Info()
		var first, firstKind string
		for _, p := range info.Parents {
			got, err := normalizedPathItems(doc, info, p)
			if err != nil {
				t.Errorf("%s of %s: %v", info.Path, p.Path, err)
				continue
			}
			if first == "" {
				first, firstKind = got, p.Kind
				continue
			}
			if got != first {
				i := 0
				for i < len(got) && i < len(first) && got[i] == first[i] {
					i++
				}
				t.Errorf("%s: the path items of %s differ from those of %s from byte %d:\n  %s: %s\n  %s: %s",
					info.Path, p.Kind, firstKind, i, p.Kind, excerpt(got, i), firstKind, excerpt(first, i))
			}
		}
	}
}

func excerpt(s string, i int) string {
	lo, hi := max(0, i-60), min(len(s), i+60)
	return s[lo:hi]
}

// normalizedPathItems returns the JSON of the list and item path items of
// a collection on a parent, the parent's names replaced by placeholders.
func normalizedPathItems(doc *openapi3.T, info config.CollectionInfo, p config.ParentKind) (string, error) {
	listPath, itemPath := collectionPaths(info, p)
	items := map[string]*openapi3.PathItem{"list": doc.Paths.Value(listPath), "item": doc.Paths.Value(itemPath)}
	for k, v := range items {
		if v == nil {
			return "", fmt.Errorf("no %s path item", k)
		}
	}
	b, err := json.Marshal(items)
	if err != nil {
		return "", err
	}
	// JSON writes a newline as \n: keep the word after it a word.
	s := strings.ReplaceAll(string(b), `\n`, `\n `)
	// A parent kind newer than HAProxy 2.6 says which version it needs.
	s = regexp.MustCompile(`\\n \\n Needs HAProxy [0-9.]+\+ \(the [^)]*\): an older HAProxy, 2\.6 included, refuses it at `+
		"`haproxy -c`"+`, with a 400 carrying its message and nothing written\.`).ReplaceAllString(s, "")
	// A singleton parent (global) has no name parameter.
	s = strings.ReplaceAll(s, `{"$ref":"#/components/parameters/parent_name"},`, "")
	s = regexp.MustCompile(`("operationId":"[A-Za-z]+)`+regexp.QuoteMeta(p.OpName)+`"`).ReplaceAllString(s, `$1<PARENT>"`)
	noun, withArticle, ok := spec.SectionNoun(p.Kind)
	if !ok {
		return "", fmt.Errorf("parent kind %s has no noun", p.Kind)
	}
	// The prose names win over the kind they often equal ("frontend").
	names := map[string]string{p.Path: "<PATH>", p.Kind: "<KIND>"}
	names[noun] = "<SECTION>"
	names[withArticle], names[upperFirst(withArticle)] = "<A SECTION>", "<A SECTION>"
	// Longest first, so that "a defaults section" is not read as "defaults".
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, regexp.QuoteMeta(k))
	}
	sort.Slice(keys, func(i, j int) bool {
		return len(keys[i]) > len(keys[j]) || len(keys[i]) == len(keys[j]) && keys[i] < keys[j]
	})
	re := regexp.MustCompile(`\b(?:` + strings.Join(keys, "|") + `)\b`)
	return re.ReplaceAllStringFunc(s, func(m string) string { return names[m] }), nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// TestFullSectionProperties: the schema of every section kind served as a
// resource holds its collections, as full_section=true returns them.
func TestFullSectionProperties(t *testing.T) {
	doc := loadSpec(t)
	for _, sr := range config.SectionResources() {
		sec := sr.Info()
		s := schemaOf(t, doc, sec.Schema)
		for _, c := range config.CollectionsOf(sec.Kind) {
			info := c.Info()
			info.FullSection = info.FullSectionOf(sec.Kind)
			p, ok := s.Properties[info.FullSection]
			if !ok {
				t.Errorf("%s: no property %s for its %s", sec.Schema, info.FullSection, info.Path)
				continue
			}
			if info.Positional {
				if p.Ref != "#/components/schemas/"+info.ListSchema() {
					t.Errorf("%s.%s: want a $ref to %s, got %q", sec.Schema, info.FullSection, info.ListSchema(), p.Ref)
				}
				continue
			}
			ap := p.Value.AdditionalProperties.Schema
			if !p.Value.Type.Is("object") || ap == nil || ap.Ref != "#/components/schemas/"+info.Schema {
				t.Errorf("%s.%s: want an object of %s by name", sec.Schema, info.FullSection, info.Schema)
			}
		}
	}
}

// TestWriteRulesAreOneText: the "Write rules" paragraph, hand-written in
// base.yaml and in the templates, says the same everywhere.
func TestWriteRulesAreOneText(t *testing.T) {
	doc := loadSpec(t)
	texts := map[string][]string{}
	for path, pi := range doc.Paths.Map() {
		for method, op := range pi.Operations() {
			if _, rules, ok := strings.Cut(op.Description, "Write rules:"); ok {
				texts[rules] = append(texts[rules], method+" "+path)
			}
		}
	}
	if len(texts) > 1 {
		var variants []string
		for text, ops := range texts {
			sort.Strings(ops)
			variants = append(variants, fmt.Sprintf("%d operations (%s...):%s", len(ops), ops[0], text))
		}
		sort.Strings(variants)
		t.Errorf("%d variants of the write rules:\n%s", len(variants), strings.Join(variants, "\n"))
	}
}
