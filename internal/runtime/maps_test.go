package runtime

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestPatternCommandsRefuseBeforeSending: every bad key, value or file
// reference is refused with ErrInvalidArgument by a client whose socket
// does not exist, so nothing was dialed, let alone sent.
func TestPatternCommandsRefuseBeforeSending(t *testing.T) {
	c := New(filepath.Join(t.TempDir(), "no.sock"))
	ctx := context.Background()
	const file = "/etc/haproxy/hosts.map"
	for _, tc := range []struct {
		what string
		run  func() error
	}{
		{"key with newline", func() error { return c.AddPattern(ctx, KindMap, file, "a\nshow info", "v") }},
		{"key with ;", func() error { return c.AddPattern(ctx, KindMap, file, "a;show info", "v") }},
		{"key with space", func() error { return c.AddPattern(ctx, KindMap, file, "a b", "v") }},
		{"key with quote", func() error { return c.AddPattern(ctx, KindMap, file, `a'`, "v") }},
		{"key with #", func() error { return c.AddPattern(ctx, KindACL, file, "#0x1", "") }},
		{"key asking for payload", func() error { return c.AddPattern(ctx, KindACL, file, "x<<", "") }},
		{"value with newline", func() error { return c.SetMapValue(ctx, file, "k", "v\nshow info") }},
		{"value with ;", func() error { return c.SetMapValue(ctx, file, "k", "v;show info") }},
		{"value with trailing blank", func() error { return c.SetMapValue(ctx, file, "k", "v ") }},
		{"value with backslash", func() error { return c.SetMapValue(ctx, file, "k", `v\`) }},
		{"empty value", func() error { return c.AddPattern(ctx, KindMap, file, "k", "") }},
		{"file with blank", func() error { return c.ClearPatterns(ctx, KindMap, "/a b.map") }},
		{"file ref not a number", func() error { return c.ClearPatterns(ctx, KindMap, "#1;show info") }},
		{"entry id not hex", func() error { return c.DelPattern(ctx, KindACL, file, "0xzz", true) }},
		{"lookup with newline", func() error { _, err := c.LookupPattern(ctx, KindMap, file, "a\nb"); return err }},
		{"one bad entry of many", func() error {
			return c.AddPatterns(ctx, KindMap, file, []PatternEntry{{Key: "a", Value: "b"}, {Key: "c d", Value: "e"}})
		}},
	} {
		if err := tc.run(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument (nothing sent)", tc.what, err)
		}
	}
}

func TestParsePatternReplies(t *testing.T) {
	f, ok := parsePatternFile("4 (/tmp/x/hosts.map) pattern loaded from file '/tmp/x/hosts.map' used by map at file 'h.cfg' line 11. curr_ver=0 next_ver=0 entry_cnt=2")
	if !ok || f.ID != "4" || f.File != "/tmp/x/hosts.map" || f.Count != 2 || f.Ref() != "/tmp/x/hosts.map" {
		t.Fatalf("map file: %+v %v", f, ok)
	}
	f, ok = parsePatternFile("1 () acl 'src' file 'h.cfg' line 10. curr_ver=0 next_ver=0 entry_cnt=0")
	if !ok || f.File != "" || f.Ref() != "#1" {
		t.Fatalf("anonymous acl: %+v %v", f, ok)
	}
	if _, ok := parsePatternFile("# id (file) description"); ok {
		t.Fatal("the header read as a file")
	}
	for _, tc := range []struct {
		reply string
		want  PatternLookup
	}{
		{`type=str, case=sensitive, found=yes, idx=tree, key="a.example", value="be a", type="str"`, PatternLookup{Found: true, Exact: true, Key: "a.example", Value: "be a"}},
		{`type=str, case=sensitive, found=no`, PatternLookup{Exact: true}},
		{`type=beg, case=sensitive, match=yes, idx=list, pattern="/admin"`, PatternLookup{Found: true, Key: "/admin"}},
		{`type=str, case=insensitive, found=no`, PatternLookup{}},
	} {
		got, ok := parseLookup(tc.reply + "\n\n")
		if !ok || got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.reply, got, tc.want)
		}
	}
}
