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

// TestRead: a document read from a file of known size is the one Parse
// makes of the same bytes; a short file is an error, bytes beyond the
// size are not read.
func TestRead(t *testing.T) {
	data := cfggen.Generate(50, cfggen.Options{})
	for _, c := range []struct {
		name string
		src  []byte
		size int64
		want []byte // nil: an error
	}{
		{"whole", data, int64(len(data)), data},
		{"empty", nil, 0, []byte{}},
		{"more than the size", append(append([]byte{}, data...), "# more\n"...), int64(len(data)), data},
		{"short", data[:100], int64(len(data)), nil},
		{"bad size", data, -1, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Read(bytes.NewReader(c.src), c.size)
			if c.want == nil {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Render(); !bytes.Equal(got, c.want) {
				t.Fatalf("read %d bytes back, want %d", len(got), len(c.want))
			}
		})
	}
}

// TestSameBytes: documents compare by their bytes, whatever their
// sections and however an edit split them.
func TestSameBytes(t *testing.T) {
	parse := func(s string) *Document {
		d, err := ParseString(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	gen := string(cfggen.Generate(20, cfggen.Options{}))
	base := parse(gen)
	bumped := base.WithVersion(7) // a head built from lines, not the file's bytes
	for _, c := range []struct {
		name string
		a, b *Document
		want bool
	}{
		{"itself", base, base, true},
		{"parsed twice", base, parse(gen), true},
		{"same version again", base, base.WithVersion(base.Version()), true},
		{"an edit and its bytes parsed", bumped, parse(string(bumped.Render())), true},
		{"another version", base, bumped, false},
		{"a prefix", parse("global\n"), parse("global\n    maxconn 1\n"), false},
		{"one byte apart", parse("global\n    maxconn 1\n"), parse("global\n    maxconn 2\n"), false},
		{"empty", parse(""), parse(""), true},
		{"empty and not", parse(""), parse("# c\n"), false},
		{"no section and a section", parse("# c\nglobal\n"), parse("# c\n"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := bytes.Equal(c.a.Render(), c.b.Render())
			if want != c.want {
				t.Fatalf("the case is wrong: Render says %v", want)
			}
			if got := c.a.SameBytes(c.b); got != want {
				t.Fatalf("a.SameBytes(b) = %v, want %v", got, want)
			}
			if got := c.b.SameBytes(c.a); got != want {
				t.Fatalf("b.SameBytes(a) = %v, want %v", got, want)
			}
		})
	}
}
