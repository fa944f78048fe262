package config

import (
	"fmt"
	"strings"
	"testing"
)

// rulesFile is a frontend with n http-request rules of mixed actions, as
// a large rate-limiting and routing front would have.
func rulesFile(n int) string {
	var b strings.Builder
	b.WriteString("frontend fe\n    bind :80\n    acl is_api path_beg /api\n")
	for i := 0; i < n; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "    http-request set-header X-R%d %%[src] if is_api\n", i)
		case 1:
			fmt.Fprintf(&b, "    http-request deny deny_status 403 if { path /blocked/%d }\n", i)
		case 2:
			fmt.Fprintf(&b, "    http-request redirect location /new/%d code 301 if { path /old/%d }\n", i, i)
		case 3:
			fmt.Fprintf(&b, "    http-request set-var(txn.r%d) str(v%d),lower\n", i, i)
		case 4:
			fmt.Fprintf(&b, "    http-request return status 200 content-type text/plain string ok%d if { path /ping/%d }\n", i, i)
		}
	}
	b.WriteString("    default_backend be\nbackend be\n    server s1 127.0.0.1:80\n")
	return b.String()
}

// BenchmarkHTTPRequestRules: a frontend with 1,000 http-request rules
// (issue 10: list in at most 5 ms, insert at 0 in at most 5 ms).
func BenchmarkHTTPRequestRules(b *testing.B) {
	src := rulesFile(1000)
	fe := Parent{Kind: KindFrontend, Name: "fe"}
	b.Run("parse-file", func(b *testing.B) {
		for b.Loop() {
			d, _ := ParseString(src)
			s, _ := d.Section(KindFrontend, "fe")
			s.parsedLines()
		}
	})
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			d, _ := ParseString(src) // a fresh document: nothing cached
			items, err := HTTPRequestRules.Items(d, fe)
			if err != nil || len(items) != 1000 {
				b.Fatalf("%d items, %v", len(items), err)
			}
		}
	})
	b.Run("insert-at-0", func(b *testing.B) {
		d, _ := ParseString(src)
		m := HTTPRequestRule{Type: "set-header", HdrName: "X-First", HdrFormat: "1"}
		for b.Loop() {
			if _, _, err := HTTPRequestRules.Add(d, fe, Key{Index: 0}, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replace-all-unchanged", func(b *testing.B) {
		d, _ := ParseString(src)
		items, _ := HTTPRequestRules.Items(d, fe)
		for b.Loop() {
			if _, err := HTTPRequestRules.SetAll(d, fe, items); err != nil {
				b.Fatal(err)
			}
		}
	})
}
