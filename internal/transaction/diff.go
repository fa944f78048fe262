package transaction

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"dataplane/internal/audit"
	"dataplane/internal/config"
)

// UnifiedDiff returns a unified diff (3 lines of context) from a to b, or
// "" when they are equal. The common prefix and suffix are cut first, so
// a small change in a 40,000-line file costs little.
func UnifiedDiff(aName, bName string, a, b []byte) string {
	al, bl := splitLines(string(a)), splitLines(string(b))
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	if pre == len(al) && pre == len(bl) {
		return ""
	}
	ma, mb := al[pre:len(al)-suf], bl[pre:len(bl)-suf]
	ops, ok := myers(ma, mb)
	if !ok {
		ops = coarse(ma, mb)
	}
	// Full edit script over whole files: equal prefix, ops, equal suffix.
	var script []edit
	for i := 0; i < pre; i++ {
		script = append(script, edit{op: ' ', a: i, b: i})
	}
	for _, e := range ops {
		e.a += pre
		e.b += pre
		script = append(script, e)
	}
	for i := 0; i < suf; i++ {
		script = append(script, edit{op: ' ', a: len(al) - suf + i, b: len(bl) - suf + i})
	}
	return formatUnified(aName, bName, al, bl, script)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// edit is one step of an edit script: ' ' keep a[a] (== b[b]), '-' delete
// a[a], '+' insert b[b].
type edit struct {
	op   byte
	a, b int
}

// maxEdits bounds the edit distance the exact diff searches. Each step keeps
// a window of 2d+1 ints, so the search costs O(d²) memory: at most ~32 MB.
// Larger changes get a coarse diff (the whole changed region removed and
// added), which is still a correct patch.
const maxEdits = 2000

// myers computes a shortest edit script (Myers' O(ND) algorithm), or
// reports false when the distance is above maxEdits.
func myers(a, b []string) ([]edit, bool) {
	n, m := len(a), len(b)
	if n+m == 0 {
		return nil, true
	}
	limit := min(n+m, maxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3)
	// trace[d] holds v[-d..d] as it was before step d.
	trace := make([][]int, 0, 16)
	for d := 0; d <= limit; d++ {
		snap := make([]int, 2*d+1)
		copy(snap, v[off-d:off+d+1])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, d), true
			}
		}
	}
	return nil, false
}

// at reads v[k] from a window snapshot of step d (k in -d..d).
func at(snap []int, d, k int) int { return snap[k+d] }

func backtrack(trace [][]int, a, b []string, d int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for ; d > 0; d-- {
		v := trace[d]
		k := x - y
		var prevK int
		if k == -d || (k != d && at(v, d, k-1) < at(v, d, k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(v, d, prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, edit{op: ' ', a: x, b: y})
		}
		if x == prevX {
			y--
			rev = append(rev, edit{op: '+', a: x, b: y})
		} else {
			x--
			rev = append(rev, edit{op: '-', a: x, b: y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, edit{op: ' ', a: x, b: y})
	}
	out := make([]edit, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	return out
}

// coarse is the fallback script: every line of a removed, every line of b
// added.
func coarse(a, b []string) []edit {
	out := make([]edit, 0, len(a)+len(b))
	for i := range a {
		out = append(out, edit{op: '-', a: i, b: 0})
	}
	for j := range b {
		out = append(out, edit{op: '+', a: len(a), b: j})
	}
	return out
}

func formatUnified(aName, bName string, al, bl []string, script []edit) string {
	const ctx = 3
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	i := 0
	for i < len(script) {
		// Find the next change.
		for i < len(script) && script[i].op == ' ' {
			i++
		}
		if i >= len(script) {
			break
		}
		start := max(i-ctx, 0)
		// Extend the hunk while changes are within 2*ctx of each other.
		end := i
		for {
			for end < len(script) && script[end].op != ' ' {
				end++
			}
			next := end
			for next < len(script) && script[next].op == ' ' {
				next++
			}
			if next < len(script) && next-end <= 2*ctx {
				end = next
				continue
			}
			end = min(end+ctx, len(script))
			break
		}
		hunk := script[start:end]
		aStart, bStart, aLen, bLen := -1, -1, 0, 0
		for _, e := range hunk {
			if e.op != '+' {
				if aStart < 0 {
					aStart = e.a
				}
				aLen++
			}
			if e.op != '-' {
				if bStart < 0 {
					bStart = e.b
				}
				bLen++
			}
		}
		if aStart < 0 {
			aStart = hunk[0].a
		}
		if bStart < 0 {
			bStart = hunk[0].b
		}
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, e := range hunk {
			var line string
			switch e.op {
			case ' ', '-':
				line = al[e.a]
			case '+':
				line = bl[e.b]
			}
			sb.WriteByte(e.op)
			sb.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return sb.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// auditConfig notes a change from old to next in the request's audit
// record (if it has one): the version it made (0 when staged) and its
// diff, rendered once the record is written, outside the commit lock
// (documents are immutable).
func auditConfig(ctx context.Context, path string, old, next *config.Document, version int64) {
	rec := audit.From(ctx)
	if rec == nil {
		return
	}
	name := filepath.Base(path)
	rec.Config(version, func() string {
		return docDiff(fmt.Sprintf("%s (version %d)", name, old.Version()), fmt.Sprintf("%s (version %d)", name, next.Version()), old, next, maxAuditDiff)
	})
}

// maxAuditDiff bounds the changed text (both sides) an audit record's
// diff is made from: a whole file of tens of MB replaced would cost
// several times its size to diff, for a record the audit file cuts short
// anyway. Beyond it the record says how much changed.
const maxAuditDiff = 2 << 20

// DocDiff is UnifiedDiff of two documents' files, made from the sections
// that differ (and enough neighbours for the context lines) rather than
// from both whole files: a commit that touches one backend of 10,000
// diffs a few lines, not two 25 MB files.
func DocDiff(aName, bName string, old, next *config.Document) string {
	return docDiff(aName, bName, old, next, 0)
}

// docDiff is DocDiff; with limit > 0, a change of more than limit bytes
// of text (both sides) is summed up instead.
func docDiff(aName, bName string, old, next *config.Document, limit int) string {
	na, nb := old.Pieces(), next.Pieces()
	// same compares by pointer first: shared sections cost nothing, and
	// only a section that was rebuilt has its text rendered.
	same := func(i, j int) bool {
		x, y := old.Piece(i), next.Piece(j)
		return x == y || x.Text() == y.Text()
	}
	pre := 0
	for pre < na && pre < nb && same(pre, pre) {
		pre++
	}
	if pre == na && pre == nb {
		return ""
	}
	suf := 0
	for suf < na-pre && suf < nb-pre && same(na-1-suf, nb-1-suf) {
		suf++
	}
	// Shared pieces around the change, enough for the context lines.
	from, ctxLines := pre, 0
	for from > 0 && ctxLines < diffContext {
		from--
		ctxLines += strings.Count(old.Piece(from).Text(), "\n")
	}
	to, ctxLines := suf, 0 // pieces of the shared suffix left out
	for to > 0 && ctxLines < diffContext {
		ctxLines += strings.Count(old.Piece(na-to).Text(), "\n")
		to--
	}
	window := func(d *config.Document, n int) []string {
		out := make([]string, 0, n-to-from)
		for i := from; i < n-to; i++ {
			out = append(out, d.Piece(i).Text())
		}
		return out
	}
	a, b := window(old, na), window(next, nb)
	if limit > 0 {
		size := 0
		for _, t := range a {
			size += len(t)
		}
		for _, t := range b {
			size += len(t)
		}
		if size > limit {
			return fmt.Sprintf("--- %s\n+++ %s\n(the change rewrites sections %d to %d of %d: %d bytes of text, too many to diff here)\n",
				aName, bName, pre, nb-suf-1, nb, size)
		}
	}
	offset := 0
	for i := 0; i < from; i++ {
		offset += strings.Count(old.Piece(i).Text(), "\n")
	}
	d := UnifiedDiff(aName, bName, []byte(strings.Join(a, "")), []byte(strings.Join(b, "")))
	if offset == 0 {
		return d
	}
	return shiftHunks(d, offset)
}

// diffContext is the context lines of a hunk (formatUnified's).
const diffContext = 3

var hunkHeader = regexp.MustCompile(`(?m)^@@ -(\d+)((?:,\d+)?) \+(\d+)((?:,\d+)?) @@$`)

// shiftHunks moves the line numbers of d's hunks by offset lines.
func shiftHunks(d string, offset int) string {
	return hunkHeader.ReplaceAllStringFunc(d, func(h string) string {
		m := hunkHeader.FindStringSubmatch(h)
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[3])
		return fmt.Sprintf("@@ -%d%s +%d%s @@", a+offset, m[2], b+offset, m[4])
	})
}
