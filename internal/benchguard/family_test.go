package benchguard

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dataplane/api"
	"dataplane/internal/apitest"
	"dataplane/internal/cfggen"
	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
)

func familyNamed(t *testing.T, name string) Family {
	t.Helper()
	for _, f := range Families() {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no bench family %q (families: %v)", name, familyNames())
	return Family{}
}

func familyNames() []string {
	var out []string
	for _, f := range Families() {
		out = append(out, f.Name)
	}
	return out
}

// TestEveryResourceHasRows: every section kind and collection of the
// registry is a family measured with every operation.
func TestEveryResourceHasRows(t *testing.T) {
	want := map[string][]string{}
	for _, s := range config.SectionResources() {
		want[s.Info().Path] = Ops
		if s.Info().NoReplace {
			// No PUT in the contract: every other operation.
			want[s.Info().Path] = slices.DeleteFunc(slices.Clone(Ops), func(op string) bool { return op == OpReplace })
		}
	}
	for _, c := range config.Collections() {
		info := c.Info()
		name := info.Parents[0].Path + "/" + info.Path
		want[name] = Ops
		if _, ok := ReadsOnly[name]; ok {
			want[name] = []string{OpList, OpGet}
		}
	}
	if len(want) < 6 {
		t.Fatalf("only %d resources in the registry", len(want))
	}
	for name, ops := range want {
		if f := familyNamed(t, name); !slices.Equal(f.Ops, ops) {
			t.Errorf("%s is measured with %v, want %v", name, f.Ops, ops)
		}
	}
}

// TestEverySpecPathHasAFamily: every path of api/openapi.yaml is reached
// by a family's operations or said not to be a resource; a resource added
// without a family (a runtime one, a section kind outside the registry)
// fails here.
func TestEverySpecPathHasAFamily(t *testing.T) {
	spec, err := api.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]string{}
	for _, f := range Families() {
		for _, p := range f.SpecPaths() {
			if spec.Paths.Find(p) == nil {
				t.Errorf("family %s measures %s, which is not in api/openapi.yaml", f.Name, p)
			}
			covered[p] = f.Name
		}
	}
	for p := range NotResources {
		if spec.Paths.Find(p) == nil {
			t.Errorf("NotResources lists %s, which is not in api/openapi.yaml", p)
		}
		if f, ok := covered[p]; ok {
			t.Errorf("%s is both in NotResources and measured by %s", p, f)
		}
	}
	for p := range spec.Paths.Map() {
		if _, ok := covered[p]; ok {
			continue
		}
		if _, ok := NotResources[p]; !ok {
			t.Errorf("%s has no bench family: declare it in the registry of internal/config, or add a family in internal/benchguard/family.go", p)
		}
	}
}

// TestBenchFileHoldsEveryFamily: the file the table is measured on has
// items of every family, two at least (a replace takes another item's
// body), that differ.
func TestBenchFileHoldsEveryFamily(t *testing.T) {
	d, err := config.Parse(cfggen.Generate(10, cfggen.Realistic(cfggen.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Measured() {
		var items []any
		switch f.kind {
		case kindSection:
			v := reflect.ValueOf(f.sec.List(d))
			for i := 0; i < v.Len(); i++ {
				m := v.Index(i).Addr().Interface()
				*reflectName(m) = ""
				items = append(items, m)
			}
		case kindCollection:
			p, n, err := MeasuredParent(d, f.coll)
			if err != nil {
				t.Errorf("%s: %v", f.Name, err)
				continue
			}
			v := reflect.ValueOf(must(t)(f.coll.List(d, p, nil)))
			for i := 0; i < n; i++ {
				items = append(items, v.Index(i).Interface())
			}
		default:
			continue
		}
		if len(items) < 2 {
			t.Errorf("%s: %d item(s) in the bench file, want 2 at least (cfggen.Realistic)", f.Name, len(items))
			continue
		}
		distinct := map[string]bool{}
		for _, it := range items {
			b, _ := json.Marshal(it)
			distinct[string(b)] = true
		}
		if len(distinct) < 2 && slices.Contains(f.Ops, OpReplace) {
			t.Errorf("%s: the items of the bench file are all alike (but for their names): a replace would change nothing", f.Name)
		}
	}
}

// reflectName returns the Name field of a section model.
func reflectName(m any) *string {
	return reflect.ValueOf(m).Elem().FieldByName("Name").Addr().Interface().(*string)
}

func must(t *testing.T) func(v any, err error) any {
	return func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestEveryFamilyRuns runs one round of every family's operations, and
// one commit round, on real HAProxy with a small file: a resource the
// generic operations cannot serve fails here rather than in `make bench`.
func TestEveryFamilyRuns(t *testing.T) {
	in := haproxytest.New(t)
	cfg := cfggen.Generate(10, cfggen.Realistic(cfggen.Options{StatsSocket: in.StatsSocket, FrontendPort: haproxytest.FreePort(t)}))
	e := apitest.Start(t, in, string(cfg), apitest.Options{})
	r := &Runner{Client: &Client{Base: e.Server.URL + "/v3", User: apitest.User, Pass: apitest.Password}, Size: 10}
	ctx := context.Background()
	if err := r.Prepare(ctx, Measured()); err != nil {
		t.Fatal(err)
	}
	res := Results{}
	if err := r.Staged(ctx, 2, nil, res); err != nil {
		t.Fatal(err)
	}
	if err := r.Commits(ctx, 1, nil, res); err != nil {
		t.Fatal(err)
	}
	for _, f := range Measured() {
		// Two staged rounds; one commit round is two commits (the new
		// item, then its removal).
		for _, op := range f.Ops {
			if got := len(res[Row{f.Name, op, 10}]); got != 2 {
				t.Errorf("%s %s: %d samples, want 2", f.Name, op, got)
			}
		}
	}
	// Every round undid itself: the file is the generated one, but for
	// its version line and blank lines (a section created, then deleted,
	// leaves the blank line written before it).
	got, want := contentLines(string(e.ReadConfig())), contentLines(string(cfg))
	for i := 0; i < len(got) || i < len(want); i++ {
		g, w := "(end)", "(end)"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("the rounds left the configuration changed: %q where the generated file has %q", g, w)
			break
		}
	}
}

func contentLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n")[1:] {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
