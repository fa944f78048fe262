package benchguard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   []time.Duration
		want float64
	}{
		{nil, 0},
		{[]time.Duration{3 * ms}, 3},
		{[]time.Duration{9 * ms, 1 * ms, 2 * ms}, 2},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 100 * ms}, 3},
	} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestSlower(t *testing.T) {
	for _, c := range []struct {
		median, base float64
		want         bool
	}{
		{1.11, 1, true},
		{1.09, 1, false},
		{0.33, 0.30, false}, // 10% over, but within MinDelta
		{0.40, 0.30, true},
		{5, 0, false}, // no baseline
		{3300, 3000, false},
		{3301, 3000, true},
	} {
		if got := Slower(c.median, c.base); got != c.want {
			t.Errorf("Slower(%v, %v) = %v, want %v", c.median, c.base, got, c.want)
		}
	}
}

// TestTableKeepsTheBestPass: a row measured again keeps its lowest median.
func TestTableKeepsTheBestPass(t *testing.T) {
	row := Row{"backends", OpList, 10}
	tab := Table{}
	tab.Merge(Results{row: {5 * time.Millisecond, 6 * time.Millisecond, 7 * time.Millisecond}})
	tab.Merge(Results{row: {3 * time.Millisecond}})
	tab.Merge(Results{row: {9 * time.Millisecond}})
	if got := tab[row]; got != (Measure{Median: 3, Samples: 5, Passes: 3}) {
		t.Errorf("got %+v", got)
	}
}

func TestBaselineRoundTripAndRender(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline.tsv")
	rows := map[Row]float64{
		{"backends", OpCommit, 10}:    120,
		{"backends", OpList, 10000}:   40.5,
		{"backends", OpList, 10}:      0.5,
		{"global", OpGet, 10}:         0.4,
		{Calibration, OpGet, 10}:      0.3,
		{"frontends/acls", OpGet, 10}: 0.45,
	}
	if err := WriteBaseline(path, rows, "a comment\ncommit: 0123abc (with uncommitted changes)"); err != nil {
		t.Fatal(err)
	}
	if c := baselineCommit(path); c != "0123abc" {
		t.Errorf("baseline commit %q", c)
	}
	if c := baselineCommit(filepath.Join(t.TempDir(), "none.tsv")); c != "" {
		t.Errorf("commit %q of no file", c)
	}
	text, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(text), "# a comment\n# commit: 0123abc (with uncommitted changes)\n(calibration) version\tget\t10\t0.300\nbackends\tlist\t10\t0.500\nbackends\tlist\t10000\t40.500\nbackends\tcommit\t10\t120.000\n") {
		t.Errorf("baseline file:\n%s", text)
	}
	base, err := ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(base) != len(rows) || base[Row{"backends", OpList, 10000}] != 40.5 {
		t.Errorf("read back %v", base)
	}
	if b, err := ReadBaseline(filepath.Join(t.TempDir(), "none.tsv")); err != nil || len(b) != 0 {
		t.Errorf("missing baseline: %v %v", b, err)
	}
	if _, err := parseBaseline(strings.NewReader("backends\tlist\tten\t1\n"), "x"); err == nil {
		t.Error("a bad size was read")
	}

	tab := Table{}
	tab.Merge(Results{
		{"backends", OpList, 10}:    {time.Millisecond / 2},
		{"backends", OpList, 10000}: {50 * time.Millisecond},
		{"backends", OpCreate, 10}:  {2 * time.Millisecond},
		{"global", OpGet, 10}:       {time.Millisecond * 4 / 10},
	})
	lines := Compare(tab, base)
	var sb strings.Builder
	if err := Render(&sb, lines); err != nil {
		t.Fatal(err)
	}
	out := sb.String()
	for _, want := range []string{"10: ms", "10000: ms", "+23%", "SLOWER at 10000", "new"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the table:\n%s", want, out)
		}
	}
	if strings.Count(out, "SLOWER") != 1 {
		t.Errorf("one row is slower:\n%s", out)
	}
	staged, commits := SlowerAt(lines, 10000)
	if !staged["backends"] || len(staged) != 1 || len(commits) != 0 {
		t.Errorf("SlowerAt: %v %v", staged, commits)
	}
}
