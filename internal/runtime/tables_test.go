package runtime

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseTableLines(t *testing.T) {
	h, ok := parseTableHeader("# table: st_src, type: ip, size:1024, used:2")
	if !ok || h != (Table{Name: "st_src", Type: "ip", Size: 1024, Used: 2}) {
		t.Fatalf("header: %+v %v", h, ok)
	}
	e, ok := parseTableEntry("0x55692818ad48: key=127.0.0.1 use=1 exp=59403 shard=0 gpc0=3 http_req_rate(10000)=7")
	want := TableEntry{ID: "0x55692818ad48", Key: "127.0.0.1", Use: 1, Exp: 59403,
		Data: map[string]string{"gpc0": "3", "http_req_rate(10000)": "7"}}
	if !ok || !reflect.DeepEqual(e, want) {
		t.Fatalf("entry: %+v %v", e, ok)
	}
	for _, bad := range []string{"", "No such table", "# tables: x", "key=1"} {
		if _, ok := parseTableEntry(bad); ok {
			t.Errorf("%q read as an entry", bad)
		}
	}
}

func TestTableCommandsRefuseWhatIsNotOneWord(t *testing.T) {
	c := New("/nonexistent.sock") // nothing may be sent
	for _, key := range []string{"", "a b", "a;b", "a\nb", `a"b`, "a#b", `a\b`} {
		err := c.SetTableEntry(t.Context(), "st", key, map[string]int64{"gpc0": 1})
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("key %q: %v, want ErrInvalidArgument", key, err)
		}
		if key != "" {
			if err := c.ClearTable(t.Context(), "st", key); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("clear key %q: %v, want ErrInvalidArgument", key, err)
			}
		}
	}
	if _, _, err := c.ShowTable(t.Context(), "st", TableFilter{Data: []TableCondition{{Type: "gpc0", Op: "like", Value: 1}}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a bad operator: %v", err)
	}
}
