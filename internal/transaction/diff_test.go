package transaction

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	cases := []struct{ name, b, want string }{
		{"equal", a, ""},
		{"change", strings.Replace(a, "f\n", "F\n", 1), "--- a\n+++ b\n@@ -3,7 +3,7 @@\n c\n d\n e\n-f\n+F\n g\n h\n i\n"},
		{"insert at start", "0\n" + a, "--- a\n+++ b\n@@ -1,3 +1,4 @@\n+0\n a\n b\n c\n"},
		{"delete at end", strings.TrimSuffix(a, "k\n"), "--- a\n+++ b\n@@ -8,4 +8,3 @@\n h\n i\n j\n-k\n"},
		{"no final newline", strings.TrimSuffix(a, "\n"), "--- a\n+++ b\n@@ -8,4 +8,4 @@\n h\n i\n j\n-k\n+k\n\\ No newline at end of file\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := UnifiedDiff("a", "b", []byte(a), []byte(c.b))
			if got != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestUnifiedDiffAppliesWithPatch checks our diffs with patch(1) when it
// is installed: applying the diff to a must give b.
func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		t.Log("patch(1) not installed; the table test above covers the format")
		return
	}
	var a, b strings.Builder
	for i := 0; i < 200; i++ {
		line := "line " + strings.Repeat("x", i%7) + "\n"
		a.WriteString(line)
		switch {
		case i%37 == 0:
			b.WriteString("changed " + line)
		case i%53 == 0:
		default:
			b.WriteString(line)
			if i%41 == 0 {
				b.WriteString("added\n")
			}
		}
	}
	dir := t.TempDir()
	af := filepath.Join(dir, "a.cfg")
	os.WriteFile(af, []byte(a.String()), 0o644)
	d := UnifiedDiff("a.cfg", "a.cfg", []byte(a.String()), []byte(b.String()))
	cmd := exec.Command(patch, af)
	cmd.Stdin = strings.NewReader(d)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v\n%s\n%s", err, out, d)
	}
	got, _ := os.ReadFile(af)
	if string(got) != b.String() {
		t.Fatal("patched file differs from b")
	}
}

// TestUnifiedDiffLargeChange: a change too large for the exact search
// falls back to a coarse but correct diff, in bounded memory.
func TestUnifiedDiffLargeChange(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&a, "line %d\n", i)
		if i%4 != 0 {
			fmt.Fprintf(&b, "line %d\n", i)
		} else {
			fmt.Fprintf(&b, "changed %d\n", i)
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := UnifiedDiff("a", "b", []byte(a.String()), []byte(b.String()))
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
		t.Fatalf("diff of a 20,000-line change allocated %d MiB", alloc>>20)
	}
	if !strings.Contains(d, "-line 0\n") || !strings.Contains(d, "+changed 19996\n") {
		t.Fatal("coarse diff lacks the changed lines")
	}
	if patch, err := exec.LookPath("patch"); err == nil {
		dir := t.TempDir()
		f := filepath.Join(dir, "a")
		os.WriteFile(f, []byte(a.String()), 0o644)
		cmd := exec.Command(patch, f)
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch: %v %s", err, out)
		}
		got, _ := os.ReadFile(f)
		if string(got) != b.String() {
			t.Fatal("the coarse diff does not patch a into b")
		}
	}
}
