package patfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkAppend: the file part of a runtime add, at 100,000 entries:
// one line appended, with fsync (force_sync=true) or without.
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("sync=%v", sync), func(b *testing.B) { benchAppend(b, sync) })
	}
}

func benchAppend(b *testing.B, sync bool) {
	p := filepath.Join(b.TempDir(), "big.map")
	var text strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&text, "host-%d.example be_a\n", i)
	}
	if err := os.WriteFile(p, []byte(text.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if err := appendLines(p, []string{fmt.Sprintf("new-%d.example be_b", i)}, sync); err != nil {
			b.Fatal(err)
		}
	}
}
