package benchguard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one line of the table at one size.
type Row struct {
	Family string
	Op     string
	Size   int // backends
}

// Results are the samples of each row.
type Results map[Row][]time.Duration

func (r Results) add(row Row, d time.Duration) { r[row] = append(r[row], d) }

// Median returns the median of ds in milliseconds (0 for none).
func Median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return float64(m.Microseconds()) / 1000
}

// Measure is a row's figure: the median of its samples, or, when the row
// was measured again (it looked slower), the lowest median of the passes:
// a busy machine only ever makes a pass slower.
type Measure struct {
	Median  float64 // ms
	Samples int     // of every pass
	Passes  int
}

// Table is the figure of every row measured.
type Table map[Row]Measure

// Merge adds a pass of samples.
func (t Table) Merge(r Results) {
	for row, ds := range r {
		m, ok := t[row]
		med := Median(ds)
		if !ok || med < m.Median {
			m.Median = med
		}
		m.Samples += len(ds)
		m.Passes++
		t[row] = m
	}
}

// Medians returns the figure of every row, in milliseconds.
func (t Table) Medians() map[Row]float64 {
	out := make(map[Row]float64, len(t))
	for row, m := range t {
		out[row] = m.Median
	}
	return out
}

// Threshold is how much slower than the baseline a row may be: 10%, and
// at least MinDelta milliseconds (below that, a loopback HTTP request's
// jitter on a busy machine is larger than any regression we could tell).
const (
	Threshold = 0.10
	MinDelta  = 0.05
)

// Slower reports whether a median (ms) is slower than its baseline.
func Slower(median, base float64) bool {
	return base > 0 && median > base*(1+Threshold) && median-base > MinDelta
}

// Baseline is the committed medians, in milliseconds.
type Baseline map[Row]float64

// ReadBaseline reads a baseline file: `family<TAB>op<TAB>backends<TAB>ms`
// lines, # comments. A missing file is an empty baseline.
func ReadBaseline(path string) (Baseline, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Baseline{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseBaseline(f, path)
}

// baselineCommit is the commit a baseline file says its figures were
// measured at (its `# commit: <rev>` comment), "" when it names none.
func baselineCommit(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# commit: "); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

func parseBaseline(r io.Reader, name string) (Baseline, error) {
	b := Baseline{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("%s:%d: want family, op, backends and ms separated by tabs", name, n)
		}
		size, err1 := strconv.Atoi(f[2])
		ms, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil || ms < 0 {
			return nil, fmt.Errorf("%s:%d: bad number in %q", name, n, line)
		}
		b[Row{f[0], f[1], size}] = ms
	}
	return b, sc.Err()
}

// WriteBaseline writes medians as a baseline file, rows sorted as the
// table sorts them, under a comment saying where they come from.
func WriteBaseline(path string, medians map[Row]float64, comment string) error {
	var sb strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(comment), "\n") {
		sb.WriteString("# " + l + "\n")
	}
	rows := make([]Row, 0, len(medians))
	for row := range medians {
		rows = append(rows, row)
	}
	sortRows(rows)
	for _, row := range rows {
		fmt.Fprintf(&sb, "%s\t%s\t%d\t%.3f\n", row.Family, row.Op, row.Size, medians[row])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

func opIndex(op string) int {
	if i := slices.Index(Ops, op); i >= 0 {
		return i
	}
	return len(Ops)
}

func sortRows(rows []Row) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		if a.Op != b.Op {
			return opIndex(a.Op) < opIndex(b.Op)
		}
		return a.Size < b.Size
	})
}

// Line is one row compared with the baseline.
type Line struct {
	Row
	Median  float64 // ms
	Samples int
	Base    float64 // ms; 0: no baseline
	Slower  bool
}

// Compare compares each row's figure with the baseline, rows in table
// order.
func Compare(t Table, base Baseline) []Line {
	rows := make([]Row, 0, len(t))
	for row := range t {
		rows = append(rows, row)
	}
	sortRows(rows)
	out := make([]Line, len(rows))
	for i, row := range rows {
		m := t[row]
		out[i] = Line{Row: row, Median: m.Median, Samples: m.Samples, Base: base[row], Slower: Slower(m.Median, base[row])}
	}
	return out
}

// SlowerAt returns the families with a slower row at size n, and which of
// them have it among their commits or among the other operations.
func SlowerAt(lines []Line, n int) (staged, commits map[string]bool) {
	staged, commits = map[string]bool{}, map[string]bool{}
	for _, l := range lines {
		switch {
		case !l.Slower || l.Size != n:
		case l.Op == OpCommit:
			commits[l.Family] = true
		default:
			staged[l.Family] = true
		}
	}
	return staged, commits
}

// Render writes the table: one line per family and operation, for each
// size its median (and number of samples), the baseline and the change;
// SLOWER at the end of a line more than 10% slower at some size.
func Render(w io.Writer, lines []Line) error {
	var sizes []int
	type key struct{ family, op string }
	var keys []key
	at := map[key]map[int]Line{}
	for _, l := range lines {
		if !slices.Contains(sizes, l.Size) {
			sizes = append(sizes, l.Size)
		}
		k := key{l.Family, l.Op}
		if at[k] == nil {
			at[k] = map[int]Line{}
			keys = append(keys, k)
		}
		at[k][l.Size] = l
	}
	slices.Sort(sizes)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "family\top\t")
	for _, n := range sizes {
		fmt.Fprintf(tw, "%d: ms\t(n)\tbase\tΔ\t", n)
	}
	fmt.Fprint(tw, "\t\n")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t", k.family, k.op)
		var slower []string
		for _, n := range sizes {
			l, ok := at[k][n]
			if !ok {
				fmt.Fprint(tw, "-\t\t\t\t")
				continue
			}
			fmt.Fprintf(tw, "%s\t(%d)\t", ms(l.Median), l.Samples)
			if l.Base == 0 {
				fmt.Fprint(tw, "new\t\t")
			} else {
				fmt.Fprintf(tw, "%s\t%+.0f%%\t", ms(l.Base), 100*(l.Median-l.Base)/l.Base)
			}
			if l.Slower {
				slower = append(slower, strconv.Itoa(n))
			}
		}
		flag := ""
		if len(slower) > 0 {
			flag = "SLOWER at " + strings.Join(slower, ", ")
		}
		fmt.Fprintf(tw, "%s\t\n", flag)
	}
	return tw.Flush()
}

func ms(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
