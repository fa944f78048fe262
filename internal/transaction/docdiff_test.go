package transaction

import (
	"context"
	"strings"
	"testing"

	"dataplane/internal/audit"
	"dataplane/internal/cfggen"
	"dataplane/internal/config"
)

// TestDocDiffIsTheFileDiff: the diff made from the sections that differ
// is the diff of the two whole files, wherever the change is.
func TestDocDiffIsTheFileDiff(t *testing.T) {
	base := string(cfggen.Generate(30, cfggen.Options{}))
	cases := []struct {
		name string
		edit func(string) string
	}{
		{"version line", func(s string) string { return strings.Replace(s, "# _version=1", "# _version=2", 1) }},
		{"a middle backend", func(s string) string {
			return strings.Replace(s, "backend "+cfggen.BackendName(15)+"\n", "backend "+cfggen.BackendName(15)+"\n    timeout connect 5s\n", 1)
		}},
		{"the first section", func(s string) string { return strings.Replace(s, "global\n", "global\n    maxconn 999\n", 1) }},
		{"a section added at the end", func(s string) string { return s + "\nbackend be_last\n    balance roundrobin\n" }},
		{"a section removed", func(s string) string {
			i := strings.Index(s, "backend "+cfggen.BackendName(3)+"\n")
			j := strings.Index(s, "backend "+cfggen.BackendName(4)+"\n")
			return s[:i] + s[j:]
		}},
		{"two distant changes", func(s string) string {
			s = strings.Replace(s, "backend "+cfggen.BackendName(2)+"\n", "backend "+cfggen.BackendName(2)+"\n    retries 2\n", 1)
			return strings.Replace(s, "backend "+cfggen.BackendName(27)+"\n", "backend "+cfggen.BackendName(27)+"\n    retries 3\n", 1)
		}},
		{"nothing", func(s string) string { return s }},
	}
	if !strings.HasPrefix(base, "# _version=1") {
		base = "# _version=1\n" + base
	}
	old, err := config.ParseString(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, err := config.ParseString(c.edit(base))
			if err != nil {
				t.Fatal(err)
			}
			want := UnifiedDiff("a", "b", old.Render(), next.Render())
			if got := DocDiff("a", "b", old, next); got != want {
				t.Fatalf("DocDiff:\n%s\nwant the file diff:\n%s", got, want)
			}
			if c.name != "nothing" && want == "" {
				t.Fatal("the edit changed nothing: the case proves nothing")
			}
		})
	}
}

// BenchmarkAuditDiff10k is the cost of an audit record's diff of a
// commit that changes one backend of 10,000 (the Realistic file).
func BenchmarkAuditDiff10k(b *testing.B) {
	doc, err := config.Parse(cfggen.Generate(10000, cfggen.Realistic(cfggen.Options{})))
	if err != nil {
		b.Fatal(err)
	}
	name := cfggen.BackendName(5000)
	next, err := config.ParseString(strings.Replace(string(doc.Render()), "backend "+name+"\n", "backend "+name+"\n    retries 2\n", 1))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rec := &audit.Recorder{}
		auditConfig(audit.NewContext(context.Background(), rec), "/x/haproxy.cfg", doc, next, 2)
		var r audit.Record
		rec.Fill(&r)
		if !strings.Contains(r.Diff, "+    retries 2") {
			b.Fatalf("diff: %s", r.Diff)
		}
	}
}

// TestAuditDiffBound: a change over the bound is summed up, not diffed.
func TestAuditDiffBound(t *testing.T) {
	old, err := config.ParseString("global\n    maxconn 10\n\nbackend a\n    retries 1\n")
	if err != nil {
		t.Fatal(err)
	}
	next, err := config.ParseString("global\n    maxconn 10\n\nbackend a\n    retries 1\n\nbackend b\n" + strings.Repeat("    retries 2\n", 20))
	if err != nil {
		t.Fatal(err)
	}
	if d := docDiff("a", "b", old, next, 1<<10); !strings.Contains(d, "+backend b") {
		t.Fatalf("under the bound: %s", d)
	}
	d := docDiff("a", "b", old, next, 100)
	if strings.Contains(d, "retries 2") || !strings.Contains(d, "too many to diff") {
		t.Fatalf("over the bound: %s", d)
	}
}
