package api

import (
	"os"
	"path/filepath"
	"testing"

	"dataplane/internal/config"
)

// TestGoldenReadsMatchSchemas: every list of every collection of every
// golden file (and of the shared corpus, when present) validates against
// its list schema, so what a read answers is what the contract says,
// whatever people wrote (quoted words, environment variables, lines kept
// verbatim).
func TestGoldenReadsMatchSchemas(t *testing.T) {
	doc := loadSpec(t)
	files, _ := filepath.Glob("../internal/config/testdata/golden/*.cfg")
	corpus, _ := filepath.Glob("/work/shared/corpus/haproxy-cfg/*.cfg")
	files = append(files, corpus...)
	if len(files) < 10 {
		t.Fatalf("only %d golden files", len(files))
	}
	lists := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := config.Parse(data)
		if err != nil {
			continue // the corpus holds files the document refuses; golden_test covers those
		}
		// The section kinds served from the template (resolvers, caches,
		// mailers...): their lists as a read answers them.
		for _, sec := range config.SectionResources() {
			info := sec.Info()
			if !info.Templated {
				continue
			}
			lists++
			if err := schemaOf(t, doc, info.ListSchema()).VisitJSON(toJSON(t, sec.List(d))); err != nil {
				t.Errorf("%s: %s: %v", filepath.Base(f), info.Path, err)
			}
		}
		for _, c := range config.Collections() {
			info := c.Info()
			for _, s := range d.Sections() {
				if !info.HasParent(s.Kind) {
					continue
				}
				items, err := c.List(d, config.Parent{Kind: s.Kind, Name: d.APIName(s)}, nil)
				if err != nil {
					continue // a section the API does not address (a repeated name)
				}
				lists++
				if err := schemaOf(t, doc, info.ListSchema()).VisitJSON(toJSON(t, items)); err != nil {
					t.Errorf("%s: %s of %s %q: %v", filepath.Base(f), info.Path, s.Kind, s.Name, err)
				}
			}
		}
	}
	t.Logf("%d files, %d lists", len(files), lists)
}
