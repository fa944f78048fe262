package patfile

import (
	"fmt"
	"slices"
	"testing"

	"dataplane/internal/runtime"
)

// TestSnapshotOverlay: a snapshot with dataplane's changes recorded lists
// what HAProxy would list after the same commands (modelled here as a
// plain list: del removes every entry of a key, set changes every entry
// of a key, add appends), and counts the same number of entries.
func TestSnapshotOverlay(t *testing.T) {
	base := []runtime.PatternEntry{
		{ID: "0x1", Key: "a", Value: "1"},
		{ID: "0x2", Key: "b", Value: "2"},
		{ID: "0x3", Key: "a", Value: "3"},
		{ID: "0x4", Key: "c", Value: "4"},
	}
	type op struct{ verb, key, value string }
	cases := []struct {
		name string
		ops  []op
	}{
		{"set every entry of a key", []op{{"set", "a", "9"}}},
		{"delete every entry of a key", []op{{"del", "a", ""}}},
		{"delete by id", []op{{"delid", "0x3", ""}, {"set", "a", "7"}}},
		{"add then set then delete", []op{{"add", "d", "5"}, {"set", "d", "6"}, {"del", "d", ""}}},
		{"delete then add again", []op{{"del", "b", ""}, {"add", "b", "8"}, {"set", "b", "10"}}},
		{"id deleted twice", []op{{"delid", "0x4", ""}, {"delid", "0x4", ""}}},
		{"key deleted then its id", []op{{"del", "c", ""}, {"delid", "0x4", ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &snapshot{count: int64(len(base)), entries: base}
			want := slices.Clone(base)
			for _, o := range tc.ops {
				switch o.verb {
				case "add":
					s = s.withAdded(o.key, o.value)
					want = append(want, runtime.PatternEntry{ID: "new", Key: o.key, Value: o.value})
				case "set":
					s = s.withSet(o.key, o.value)
					for i := range want {
						if want[i].Key == o.key {
							want[i].Value = o.value
						}
					}
				case "del":
					s = s.withDeleted(o.key)
					want = slices.DeleteFunc(want, func(e runtime.PatternEntry) bool { return e.Key == o.key })
				case "delid":
					s = s.withDeletedID(o.key)
					if s == nil {
						// Not recorded: the snapshot is dropped and the next
						// read goes to HAProxy, which is always right.
						return
					}
					want = slices.DeleteFunc(want, func(e runtime.PatternEntry) bool { return e.ID == o.key })
				}
			}
			var got []runtime.PatternEntry
			for _, e := range s.entries {
				if e, ok := s.visible(e); ok {
					got = append(got, e)
				}
			}
			for _, e := range s.added {
				e.ID = "new"
				got = append(got, e)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("lists\n%v\nwant\n%v", got, want)
			}
			if s.count != int64(len(want)) {
				t.Errorf("count %d, want %d", s.count, len(want))
			}
		})
	}
	// The stored snapshot is never changed by a later change.
	s := &snapshot{count: int64(len(base)), entries: base}
	_ = s.withSet("a", "x").withDeleted("b").withAdded("z", "1")
	if len(s.values) != 0 || len(s.deleted) != 0 || len(s.added) != 0 || s.count != int64(len(base)) {
		t.Errorf("the original snapshot changed: %+v", s)
	}
}
