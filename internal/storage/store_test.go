package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"hosts.map", true},
		{"a-b_c+1.map", true},
		{"", false},
		{".hidden", false},
		{"..", false},
		{"../etc/passwd", false},
		{"a/b", false},
		{"a b", false},
		{"a\nb", false},
		{strings.Repeat("x", MaxNameLen+1), false},
		{strings.Repeat("x", MaxNameLen), true},
	} {
		if err := CheckName(tc.name); (err == nil) != tc.ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "maps")
	s, err := New(dir, 16)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory: %v %v", fi, err)
	}
	if _, err := s.Create("a.map", strings.NewReader("k v\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("a.map", strings.NewReader("x y\n")); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := s.Replace("b.map", strings.NewReader("x y\n")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replace of a missing file: %v", err)
	}
	if _, err := s.Replace("a.map", strings.NewReader(strings.Repeat("x", 17))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if _, err := s.Create("../x", strings.NewReader("")); !errors.Is(err, ErrBadName) {
		t.Fatalf("traversal: %v", err)
	}
	if b, err := s.Read("a.map"); err != nil || string(b) != "k v\n" {
		t.Fatalf("read after refused writes: %q %v", b, err)
	}
	files, err := s.Names()
	if err != nil || len(files) != 1 || files[0].Name != "a.map" || files[0].Size != 4 {
		t.Fatalf("names (no temporary file left): %+v %v", files, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("leftovers: %v", entries)
	}
	if err := s.Delete("a.map"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("a.map"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
