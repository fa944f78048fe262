package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestScanStatMatchesShowStat: the streaming scanner and the map-based
// ShowStat read the same rows and values from a real 2.6 reply.
func TestScanStatMatchesShowStat(t *testing.T) {
	reply := fixture(t, "show_stat.txt")
	want, err := parseStat(reply)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fakeMode{replyOnLine, replyInChunks} {
		f := newFakeSocket(t, mode, reply)
		var got []Stat
		err := New(f.Path).ScanStat(context.Background(), StatFilter{}, func(r *StatRow) error {
			s := Stat{Proxy: string(r.Proxy()), Server: string(r.Server()), Type: r.Type, Fields: map[string]string{}}
			for i, col := range r.Header.Columns() {
				if col != "" {
					s.Fields[col] = string(r.Field(i))
				}
			}
			got = append(got, s)
			return nil
		})
		if err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("mode %d: ScanStat and ShowStat disagree:\n%+v\n%+v", mode, got, want)
		}
	}
}

func TestScanStatQuotingAndFilter(t *testing.T) {
	long := strings.Repeat("x", 70<<10) // longer than the read buffer
	reply := "# pxname,svname,type,check_desc,weight,\n" +
		"be,s1,2,\"a, \"\"quoted\"\" text\",10,\n" +
		"be,s2,2,\"two\nlines\",20,\n" +
		"other,s3,2," + long + ",30,\n" +
		"be,BACKEND,1,,30,\n\n"
	f := newFakeSocket(t, replyOnLine, reply)
	c := New(f.Path)
	type row struct{ px, sv, typ, desc string }
	var rows []row
	scan := func(filter StatFilter) error {
		rows = nil
		return c.ScanStat(context.Background(), filter, func(r *StatRow) error {
			if w, ok := r.Int(r.Header.Index("weight")); !ok || w%10 != 0 {
				t.Errorf("%s/%s weight %q", r.Proxy(), r.Server(), r.Field(r.Header.Index("weight")))
			}
			rows = append(rows, row{string(r.Proxy()), string(r.Server()), r.Type, string(r.Field(r.Header.Index("check_desc")))})
			return nil
		})
	}
	if err := scan(StatFilter{}); err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"be", "s1", TypeServer, `a, "quoted" text`},
		{"be", "s2", TypeServer, "two\nlines"},
		{"other", "s3", TypeServer, long},
		{"be", "BACKEND", TypeBackend, ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %.300v", rows)
	}
	if err := scan(StatFilter{Proxy: "be"}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[2].sv != "BACKEND" {
		t.Fatalf("filtered rows %.300v", rows)
	}
	if got := f.lines()[1]; got != "show stat be -1 -1\n" {
		t.Fatalf("sent %q", got)
	}
	stop := errors.New("stop")
	n := 0
	err := c.ScanStat(context.Background(), StatFilter{}, func(*StatRow) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("callback error: %v after %d rows", err, n)
	}
	if h := (&StatHeader{}); h.Index("x") != -1 {
		t.Fatal("Index of a missing column")
	}
}

func TestScanStatErrors(t *testing.T) {
	f := newFakeSocket(t, replyOnLine, "Can't find proxy.\n\n")
	err := New(f.Path).ScanStat(context.Background(), StatFilter{Proxy: "nope"}, func(*StatRow) error { return nil })
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reply, "find proxy") {
		t.Fatalf("non-CSV reply: %v", err)
	}
	f = newFakeSocket(t, replyOnLine, "")
	if err := New(f.Path).ScanStat(context.Background(), StatFilter{}, func(*StatRow) error { return nil }); !errors.As(err, &ce) {
		t.Fatalf("empty reply: %v", err)
	}
	f = newFakeSocket(t, replyOnLine, "# pxname,svname,type,\nbe,s1,9,\n")
	if err := New(f.Path).ScanStat(context.Background(), StatFilter{}, func(*StatRow) error { return nil }); err == nil || !strings.Contains(err.Error(), "unknown type") {
		t.Fatalf("bad type: %v", err)
	}
	f = newFakeSocket(t, replyOnLine, "# pxname,svname,type,\nbe,s1,2,\nbe,s2,2,\n")
	if err := New(f.Path).ScanStat(context.Background(), StatFilter{}, func(*StatRow) error { return nil }); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reply cut before its final empty line: %v", err)
	}
	f = newFakeSocket(t, replyOnLine, "# pxname,svname,type,\nbe,s1,2,\nbe,s2")
	if err := New(f.Path).ScanStat(context.Background(), StatFilter{}, func(*StatRow) error { return nil }); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reply cut inside a row: %v", err)
	}
	if err := New(f.Path).ScanStat(context.Background(), StatFilter{Proxy: "a b"}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad proxy name: %v", err)
	}
	f = newFakeSocket(t, neverAnswer, "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// Only the 100 ms deadline can end a scan of a socket that never
	// answers; the 30 s bound only catches a scan that never returns.
	err = returnsWithin(t, 30*time.Second, func() error {
		return New(f.Path).ScanStat(ctx, StatFilter{}, func(*StatRow) error { return nil })
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent socket: %v, want DeadlineExceeded", err)
	}
}

func TestParseDecimal(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "42": 42, "-1": -1, "9223372036854775807": 9223372036854775807} {
		if n, ok := parseDecimal([]byte(in)); !ok || n != want {
			t.Errorf("%q -> %d %v", in, n, ok)
		}
	}
	for _, bad := range []string{"", "-", "1.5", "x", "12345678901234567890"} {
		if _, ok := parseDecimal([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestObserver(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	obs := func(cmd string, err error) {
		mu.Lock()
		defer mu.Unlock()
		kind := "ok"
		var ce *CommandError
		switch {
		case errors.As(err, &ce):
			kind = "rejected"
		case err != nil:
			kind = "error"
		}
		seen = append(seen, cmd+"="+kind)
	}
	f := newFakeSocket(t, replyOnLine, "No such server.\n\n")
	c := New(f.Path)
	c.SetObserver(obs)
	_ = c.SetServerState(context.Background(), "be", "s1", "drain")
	ok := newFakeSocket(t, replyOnLine, "\n")
	c.SetSocket(ok.Path)
	_ = c.SetServerWeight(context.Background(), "be", "s1", 3)
	c.SetSocket(f.Path + ".missing")
	_, _ = c.Execute(context.Background(), "show info")
	_ = c.ScanStat(context.Background(), StatFilter{}, func(*StatRow) error { return nil })
	c.SetObserver(nil)
	_, _ = c.Execute(context.Background(), "show info")

	m := NewMaster(ok.Path)
	m.SetObserver(obs)
	_, _ = m.WorkerClient().Execute(context.Background(), "enable health be/s1")
	_, _ = m.Execute(context.Background(), "show proc") // master commands are not observed

	want := []string{"set server=rejected", "set server=ok", "show info=error", "show stat=error", "enable health=ok"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("observed %v, want %v", seen, want)
	}
}

func TestCommandVerb(t *testing.T) {
	for in, want := range map[string]string{
		"set server be/s1 state ready": "set server",
		"@1 show servers state be":     "show servers",
		"show stat -1 7 -1":            "show stat",
		"add server be/x 1.2.3.4:80":   "add server",
		"reload":                       "reload",
		"show":                         "show",
		"set be/s1":                    "set",
		"frobnicate all":               "other",
		"":                             "other",
	} {
		if got := commandVerb(in); got != want {
			t.Errorf("commandVerb(%q) = %q, want %q", in, got, want)
		}
	}
}
