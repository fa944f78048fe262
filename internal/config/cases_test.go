package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"dataplane/internal/fault"
)

// Edit cases are files: testdata/cases/<name>.txtar, one API operation on
// one golden file with what it must do. A new case is a new file. The
// header says what to do, the sections give the body and the expectations:
//
//	# why the case exists (free text, lines starting with #)
//	file: 01-edge-proxy.cfg          the golden file in testdata/golden
//	op: patch                        get | create | replace | patch | delete | replace-all | set-version
//	path: backends/be_web/servers/web1
//	want: unchanged                  optional: unchanged | error <kind> (a fault kind: invalid, conflict, not found)
//	haproxy: refuses <text>          optional: HAProxy must refuse the result with this message (else,
//	                                 for the golden files HAProxy accepts, it must accept it)
//	-- body.json --                  the request body (patch: a JSON merge patch of what a GET returns)
//	-- want.diff --                  the exact change of the file (regenerate with -update, then review)
//	-- want.json --                  optional: fields the object at path (for a create, the new object) must have after the edit
//	                                 (objects: the fields given; lists: the whole list); for op get, what a read returns
//
// Paths are the API's, below /services/haproxy/configuration: a section
// kind (backends), a section (backends/be_web), a collection
// (frontends/fe/acls) or one of its items (by name, or by index for
// positional collections), and global. The operation goes through the
// same registry the HTTP handlers use, with the model decoded from JSON
// as a handler decodes it.

const casesDir = "testdata/cases"

type editCase struct {
	name    string
	comment string
	header  map[string]string
	files   map[string]string
	order   []string
}

// parseTxtar reads the txtar format: a comment, then `-- name --` lines
// each opening a file that runs to the next one.
func parseTxtar(data string) (comment string, files map[string]string, order []string) {
	files = map[string]string{}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur == "" {
			comment = b.String()
		} else {
			files[cur] = b.String()
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(data, "\n") {
		t := strings.TrimRight(line, "\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			flush()
			cur = strings.TrimSpace(t[3 : len(t)-3])
			order = append(order, cur)
			continue
		}
		b.WriteString(line)
	}
	flush()
	return comment, files, order
}

// formatTxtar is the inverse of parseTxtar.
func formatTxtar(comment string, files map[string]string, order []string) string {
	var b strings.Builder
	b.WriteString(comment)
	for _, name := range order {
		fmt.Fprintf(&b, "-- %s --\n", name)
		b.WriteString(files[name])
	}
	return b.String()
}

func loadEditCases(t *testing.T) []editCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(casesDir, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var out []editCase
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		comment, files, order := parseTxtar(string(data))
		c := editCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), comment: comment, header: map[string]string{}, files: files, order: order}
		for _, line := range strings.Split(comment, "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("%s: header line %q is not `key: value`", p, line)
			}
			c.header[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		out = append(out, c)
	}
	return out
}

// TestEditCases runs every case of testdata/cases.
func TestEditCases(t *testing.T) {
	cases := loadEditCases(t)
	if len(cases) < 60 {
		t.Fatalf("%d edit cases in %s, want at least 60", len(cases), casesDir)
	}
	var bin string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := c.header["file"]
			data, d := readGolden(t, file)
			if c.header["op"] == "get" {
				got, err := readPath(d, c.header["path"])
				if err != nil {
					if k := fault.Of(err); k != nil && c.header["want"] == "error "+k.Error() {
						return
					}
					t.Fatalf("get: %v", err)
				}
				checkSubset(t, got, c.files["want.json"])
				return
			}
			nd, readBack, err := runCase(d, c.header["op"], c.header["path"], c.files["body.json"])
			if !bytes.Equal(d.Render(), data) {
				t.Fatal("the edit modified the original document")
			}
			want := c.header["want"]
			switch {
			case strings.HasPrefix(want, "error "):
				kind := strings.TrimPrefix(want, "error ")
				if err == nil {
					t.Fatalf("the edit succeeded, want a %s error:\n%s", kind, goldenDiff(file, data, nd.Render()))
				}
				if k := fault.Of(err); k == nil || k.Error() != kind {
					t.Fatalf("err = %v (kind %v), want kind %q", err, k, kind)
				}
				if nd != nil {
					t.Fatal("a refused edit returned a document")
				}
				return
			case err != nil:
				t.Fatalf("edit failed: %v", err)
			case want == "unchanged":
				if nd != d {
					t.Fatalf("an edit that changes nothing returned a new document:\n%s", goldenDiff(file, data, nd.Render()))
				}
				return
			case want != "":
				t.Fatalf("want: %q is not unchanged or error <kind>", want)
			}
			out := nd.Render()
			got := goldenDiff(file, data, out)
			if *updateGolden {
				if _, ok := c.files["want.diff"]; !ok {
					c.order = append(c.order, "want.diff")
				}
				c.files["want.diff"] = got
				if err := os.WriteFile(filepath.Join(casesDir, c.name+".txtar"), []byte(formatTxtar(c.comment, c.files, c.order)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantDiff, ok := c.files["want.diff"]
			if !ok {
				t.Fatalf("no want.diff (run with -update to write it, then review it):\n%s", got)
			}
			if got != wantDiff {
				t.Errorf("the edit changed other lines than want.diff says.\n--- got:\n%s\n--- want:\n%s", got, wantDiff)
			}
			// A CRLF file stays CRLF, changed and new lines included.
			if !bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
				for i, l := range goldenSplitLines(string(out)) {
					if !strings.HasSuffix(l, "\r\n") {
						t.Errorf("line %d of the edited CRLF file does not end with CRLF: %q", i+1, l)
					}
				}
			}
			// The output must load again, to the same bytes.
			back, err := Parse(out)
			if err != nil {
				t.Fatalf("the edited file does not load: %v", err)
			}
			if !bytes.Equal(back.Render(), out) {
				t.Fatal("the edited file does not render back to the same bytes")
			}
			goldenReadAll(t, back)
			if w, ok := c.files["want.json"]; ok {
				got, err := readBack(back)
				if err != nil {
					t.Fatalf("read back: %v", err)
				}
				checkSubset(t, got, w)
			}
			// Edits of files HAProxy accepts must keep them acceptable.
			if env, ok := goldenChecked[file]; ok {
				if bin == "" {
					bin = goldenHAProxyBinary(t)
				}
				tmp := filepath.Join(t.TempDir(), file)
				if err := os.WriteFile(tmp, out, 0o644); err != nil {
					t.Fatal(err)
				}
				if refusal, ok := strings.CutPrefix(c.header["haproxy"], "refuses "); ok {
					goldenHAProxyRefuses(t, bin, tmp, env, refusal)
				} else {
					goldenHAProxyCheck(t, bin, tmp, env)
				}
			}
		})
	}
}

// runCase applies op at path to d through the registry. readBack reads the
// object the case is about from a document.
func runCase(d *Document, op, path, body string) (nd *Document, readBack func(*Document) (any, error), err error) {
	if op == "set-version" {
		v, err := strconv.ParseInt(strings.TrimSpace(body), 10, 64)
		if err != nil {
			return nil, nil, err
		}
		return d.WithVersion(v), func(d *Document) (any, error) { return d.Version(), nil }, nil
	}
	seg := strings.Split(path, "/")
	if seg[0] == "global" {
		read := func(d *Document) (any, error) { return d.Global() }
		switch op {
		case "replace", "patch":
			var g Global
			if err := caseModel(d, read, op, body, &g); err != nil {
				return nil, nil, err
			}
			nd, err := d.ReplaceGlobal(g)
			return nd, read, err
		}
		return nil, nil, fmt.Errorf("op %q on global", op)
	}
	if len(seg) >= 3 {
		return runCollectionCase(d, op, path, body)
	}
	var sec SectionResource
	for _, s := range SectionResources() {
		if s.Info().Path == seg[0] {
			sec = s
		}
	}
	if sec == nil {
		return nil, nil, fmt.Errorf("path %q: no section kind %q", path, seg[0])
	}
	switch len(seg) {
	case 1:
		if op != "create" {
			return nil, nil, fmt.Errorf("op %q on a section kind", op)
		}
		m := sec.NewModel()
		if err := decodeCase(body, m); err != nil {
			return nil, nil, err
		}
		nd, name, err := sec.Create(d, m)
		return nd, func(d *Document) (any, error) { return sec.Get(d, name) }, err
	case 2:
		name := seg[1]
		read := func(d *Document) (any, error) { return sec.Get(d, name) }
		switch op {
		case "delete":
			nd, err := sec.Delete(d, name)
			return nd, read, err
		case "replace", "patch":
			m := sec.NewModel()
			if err := caseModel(d, read, op, body, m); err != nil {
				return nil, nil, err
			}
			nd, err := sec.Replace(d, name, m)
			return nd, read, err
		}
		return nil, nil, fmt.Errorf("op %q on a section", op)
	}
	return nil, nil, fmt.Errorf("path %q: too short", path)
}

// collectionOf resolves <parent kind>/<parent>/<collection>[/<key>].
func collectionOf(path string) (ChildResource, Parent, []string, error) {
	seg := strings.Split(path, "/")
	coll, ok := CollectionByPath(seg[2])
	if !ok {
		return nil, Parent{}, nil, fmt.Errorf("path %q: no collection %q", path, seg[2])
	}
	for _, p := range coll.Info().Parents {
		if p.Path == seg[0] {
			return coll, Parent{Kind: p.Kind, Name: seg[1]}, seg, nil
		}
	}
	return nil, Parent{}, nil, fmt.Errorf("path %q: %s are not kept under %s", path, seg[2], seg[0])
}

func runCollectionCase(d *Document, op, path, body string) (nd *Document, readBack func(*Document) (any, error), err error) {
	coll, parent, seg, err := collectionOf(path)
	if err != nil {
		return nil, nil, err
	}
	positional := coll.Info().Positional
	if len(seg) == 3 {
		list := func(d *Document) (any, error) { return coll.List(d, parent, nil) }
		switch {
		case op == "create" && !positional:
			m := coll.NewModel()
			if err := decodeCase(body, m); err != nil {
				return nil, nil, err
			}
			nd, k, err := coll.Create(d, parent, Key{}, m)
			return nd, func(d *Document) (any, error) { return coll.Get(d, parent, k) }, err
		case op == "replace-all":
			l := coll.NewList()
			if err := decodeCase(body, l); err != nil {
				return nil, nil, err
			}
			nd, err := coll.ReplaceAll(d, parent, l)
			return nd, list, err
		}
		return nil, nil, fmt.Errorf("op %q on a collection", op)
	}
	k := Key{Name: seg[3]}
	if positional {
		if k.Index, err = strconv.Atoi(seg[3]); err != nil {
			return nil, nil, fmt.Errorf("path %q: index: %w", path, err)
		}
		k.Name = ""
	}
	read := func(d *Document) (any, error) { return coll.Get(d, parent, k) }
	switch op {
	case "create":
		m := coll.NewModel()
		if err := decodeCase(body, m); err != nil {
			return nil, nil, err
		}
		nd, _, err := coll.Create(d, parent, k, m)
		return nd, read, err
	case "delete":
		nd, err := coll.Delete(d, parent, k)
		return nd, read, err
	case "replace", "patch":
		m := coll.NewModel()
		if err := caseModel(d, read, op, body, m); err != nil {
			return nil, nil, err
		}
		nd, err := coll.Replace(d, parent, k, m)
		return nd, read, err
	}
	return nil, nil, fmt.Errorf("op %q on an item", op)
}

// caseModel decodes the model a replace (the body) or a patch (the body
// merged into what read returns) sends.
func caseModel(d *Document, read func(*Document) (any, error), op, body string, m any) error {
	if op == "replace" {
		return decodeCase(body, m)
	}
	cur, err := read(d)
	if err != nil {
		return err
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	var doc, patch any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(body), &patch); err != nil {
		return fmt.Errorf("body.json: %w", err)
	}
	merged, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return err
	}
	return decodeCase(string(merged), m)
}

// mergePatch applies a JSON merge patch (RFC 7386).
func mergePatch(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
			continue
		}
		d[k] = mergePatch(d[k], v)
	}
	return d
}

func decodeCase(body string, m any) error {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return fmt.Errorf("body.json: %w", err)
	}
	return nil
}

// checkSubset checks that got holds every field of want (recursively for
// objects; lists and other values compare whole).
func checkSubset(t *testing.T, got any, want string) {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want.json: %v", err)
	}
	if p := subsetMismatch(g, w, ""); p != "" {
		t.Errorf("after the edit, %s differs from want.json:\n got %s\nwant %s", p, b, strings.TrimSpace(want))
	}
}

func subsetMismatch(got, want any, path string) string {
	wm, ok := want.(map[string]any)
	if !ok {
		if !reflect.DeepEqual(got, want) {
			return "the value at " + path + "/"
		}
		return ""
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return path + "/ (not an object)"
	}
	for k, v := range wm {
		if p := subsetMismatch(gm[k], v, path+"/"+k); p != "" {
			return p
		}
	}
	return ""
}

// TestTxtarFormat: the format functions are each other's inverse.
func TestTxtarFormat(t *testing.T) {
	in := "# c\nfile: x\n-- a --\n1\n-- b.json --\n{}\n"
	c, f, o := parseTxtar(in)
	if c != "# c\nfile: x\n" || f["a"] != "1\n" || f["b.json"] != "{}\n" || len(o) != 2 {
		t.Fatalf("parse: %q %q %q", c, f, o)
	}
	if out := formatTxtar(c, f, o); out != in {
		t.Fatalf("format: %q", out)
	}
}

// readPath reads what a GET of path returns.
func readPath(d *Document, path string) (any, error) {
	seg := strings.Split(path, "/")
	if len(seg) < 3 {
		for _, s := range SectionResources() {
			if s.Info().Path == seg[0] {
				if len(seg) == 1 {
					return s.List(d), nil
				}
				return s.Get(d, seg[1])
			}
		}
		return nil, fmt.Errorf("path %q: no section kind %q", path, seg[0])
	}
	coll, parent, seg, err := collectionOf(path)
	if err != nil {
		return nil, err
	}
	if len(seg) == 3 {
		return coll.List(d, parent, nil)
	}
	k := Key{Name: seg[3]}
	if coll.Info().Positional {
		if k.Index, err = strconv.Atoi(seg[3]); err != nil {
			return nil, err
		}
		k.Name = ""
	}
	return coll.Get(d, parent, k)
}
