package config

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"dataplane/internal/cfggen"
)

// TestWriteToMatchesRender checks that the streaming writer (used for
// staged transaction files) writes exactly the bytes Render returns.
func TestWriteToMatchesRender(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.cfg"))
	inputs := map[string][]byte{"generated": cfggen.Generate(50, cfggen.Options{StatsSocket: "/run/s.sock"})}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = b
	}
	for name, data := range inputs {
		d, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d = d.WithVersion(d.Version() + 1)
		var out bytes.Buffer
		w := bufio.NewWriterSize(&out, 64)
		n, err := d.WriteTo(w)
		if err != nil || w.Flush() != nil {
			t.Fatalf("%s: WriteTo: %v", name, err)
		}
		want := d.Render()
		if !bytes.Equal(out.Bytes(), want) || n != int64(len(want)) {
			t.Errorf("%s: WriteTo wrote %d bytes that differ from Render's %d", name, n, len(want))
		}
	}
	if len(inputs) < 3 {
		t.Fatalf("only %d inputs: golden files not found", len(inputs))
	}
}
