package audit

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkAppend is the audit trail's share of a change: redacting and
// encoding a record with a small diff, and writing it to the file.
func BenchmarkAppend(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.log"), 64<<20)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	diff := "--- haproxy.cfg (version 7)\n+++ haproxy.cfg (version 8)\n@@ -40,6 +40,10 @@\n" +
		strings.Repeat(" backend be_1\n  mode http\n  balance roundrobin\n", 2) +
		"+backend bench_w1\n+  mode http\n+  balance roundrobin\n+\n"
	rec := Record{Time: time.Now(), User: "admin", Remote: "127.0.0.1:4242", RequestID: "0123456789abcdef",
		Operation: "createBackend", Method: "POST", Path: "/v3/services/haproxy/configuration/backends",
		Status: 202, Outcome: OK, Diff: diff}
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
}
