package transaction_test

// Benchmarks of transactions and of the commit path on generated files of
// 10, 1,000 and 10,000 backends (internal/cfggen). The store has no reload
// scheduler, so a commit writes and validates the file and reloads nothing.
// Targets at 10,000 backends: open <= 1 ms, staged server add <= 5 ms,
// commit <= 1.2 x `haproxy -c` alone, <= 1 MiB heap per open transaction
// with a few edits.
//
//	go test -run '^$' -bench . -benchmem ./internal/transaction

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"dataplane/internal/cfggen"
	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
	"dataplane/internal/reload"
	"dataplane/internal/transaction"
)

var benchSizes = []int{10, 1000, 10000}

func forSizes(b *testing.B, f func(b *testing.B, n int)) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) { f(b, n) })
	}
}

type benchEnv struct {
	store   *transaction.Pipeline
	tx      *transaction.Manager
	checker *reload.Checker
	path    string
}

// newEnv opens a store on a generated file of n backends, with its
// transaction_dir in a temporary directory and the real `haproxy -c`.
func newEnv(b *testing.B, n int) *benchEnv { return newEnvWith(b, n, cfggen.Options{}) }

// newEnvWith is newEnv with more of the generator's options.
func newEnvWith(b *testing.B, n int, opts cfggen.Options) *benchEnv {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "haproxy.cfg")
	opts.StatsSocket = filepath.Join(dir, "stats.sock")
	cfg := cfggen.Generate(n, opts)
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		b.Fatal(err)
	}
	checker := &reload.Checker{Bin: haproxytest.Binary(b), Dir: dir}
	store, err := transaction.Open(transaction.Options{ConfigFile: path, Checker: checker})
	if err != nil {
		b.Fatal(err)
	}
	m, err := transaction.NewManager(store, transaction.ManagerOptions{Dir: filepath.Join(dir, "tx"), MaxOpen: 1000})
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{store: store, tx: m, checker: checker, path: path}
}

func (e *benchEnv) begin(b *testing.B) string {
	b.Helper()
	v, err := e.store.Live().Version()
	if err != nil {
		b.Fatal(err)
	}
	t, err := e.tx.Begin(context.Background(), v)
	if err != nil {
		b.Fatal(err)
	}
	return t.ID
}

// addServer adds server name to backend be inside transaction id.
func (e *benchEnv) addServer(b *testing.B, id, be, name string, port int64) {
	b.Helper()
	w := int64(10)
	srv := config.Server{Name: name, Address: "127.0.0.1", Port: &port, ServerParams: config.ServerParams{Check: "enabled", Weight: &w}}
	res, err := e.tx.Edit(context.Background(), id,
		func(d *config.Document) (*config.Document, error) {
			return config.Servers.At(config.KindBackend, be).Create(d, srv)
		})
	if err != nil {
		b.Fatal(err)
	}
	if res.Outcome != transaction.Staged {
		b.Fatalf("add server: %+v", res)
	}
}

// BenchmarkTxOpen is Manager.Begin (its sidecar file included).
func BenchmarkTxOpen(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		e := newEnv(b, n)
		b.ReportAllocs()
		b.ResetTimer() // set-up is not timed
		for i := 0; i < b.N; i++ {
			id := e.begin(b)
			b.StopTimer()
			if err := e.tx.Delete(id); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}

// BenchmarkTxStagedAdd is one server add inside an open transaction: the
// edit of the staged document and the write of the staged file.
func BenchmarkTxStagedAdd(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		e := newEnv(b, n)
		id := e.begin(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e.addServer(b, id, cfggen.BackendName(i*7919%n), "add"+strconv.Itoa(i), int64(30000+i%1000))
			i++
		}
	})
}

// BenchmarkCommit commits a transaction holding one server add through
// the real pipeline: render, temp file + fsync, `haproxy -c`, rename, fsync
// of the directory, publish. Each iteration also runs `haproxy -c` alone on
// the live file, outside the timer, and reports the ratio commit/check.
func BenchmarkCommit(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		e := newEnv(b, n)
		benchCommits(b, e, func(i int) string {
			id := e.begin(b)
			e.addServer(b, id, cfggen.BackendName(i*7919%n), "c"+strconv.Itoa(i), int64(30000+i%1000))
			return id
		})
	})
}

// benchCommits commits, b.N times, the transaction stage(i) opened and
// filled (not timed), and runs `haproxy -c` alone on the live file after
// each, outside the timer: it reports check-ms and the ratio commit/check.
func benchCommits(b *testing.B, e *benchEnv, stage func(i int) string) {
	ctx := context.Background()
	var commit, check time.Duration
	b.ResetTimer() // set-up is not timed
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := stage(i)
		start := time.Now()
		b.StartTimer()
		if _, _, err := e.tx.Commit(ctx, id, transaction.CommitOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		commit += time.Since(start)
		start = time.Now()
		if _, err := e.checker.Check(ctx, e.path, "haproxy.cfg"); err != nil {
			b.Fatal(err)
		}
		check += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(check)/float64(time.Millisecond)/float64(b.N), "check-ms")
	b.ReportMetric(float64(commit)/float64(check), "commit/check")
}

// BenchmarkHaproxyCheck is `haproxy -c` alone on the generated file.
func BenchmarkHaproxyCheck(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		e := newEnv(b, n)
		for b.Loop() {
			if _, err := e.checker.Check(context.Background(), e.path, "haproxy.cfg"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkTxHeap reports the heap one open transaction with 5 server
// adds keeps (KiB/tx), averaged over 10 transactions open together.
func BenchmarkTxHeap(b *testing.B) {
	const txs, edits = 10, 5
	forSizes(b, func(b *testing.B, n int) {
		e := newEnv(b, n)
		if _, err := e.store.Live().Doc(); err != nil {
			b.Fatal(err)
		}
		var total float64
		b.ResetTimer() // set-up is not timed
		for i := 0; i < b.N; i++ {
			before := heapInUse()
			var ids []string
			for t := 0; t < txs; t++ {
				id := e.begin(b)
				ids = append(ids, id)
				for k := 0; k < edits; k++ {
					e.addServer(b, id, cfggen.BackendName((t*edits+k)*7919%n), fmt.Sprintf("h%d", k), 31000)
				}
			}
			total += float64(heapInUse()) - float64(before)
			b.StopTimer()
			for _, id := range ids {
				if err := e.tx.Delete(id); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		b.ReportMetric(total/float64(b.N)/txs/1024, "KiB/tx")
	})
}

// BenchmarkTxACLInsertFirst is an ACL inserted at index 0 of a frontend
// with 1,000 acl lines inside a transaction, the staged file written.
// Target: <= 5 ms.
func BenchmarkTxACLInsertFirst(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			e := newEnvWith(b, n, cfggen.Options{ACLs: 1000})
			id := e.begin(b)
			fe := config.Parent{Kind: config.KindFrontend, Name: "fe_main"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a := config.ACL{ACLName: "blocked", Criterion: "src", Value: fmt.Sprintf("10.0.%d.%d", i/250%250, i%250+1)}
				i++
				res, err := e.tx.Edit(context.Background(), id, func(d *config.Document) (*config.Document, error) {
					nd, _, err := config.ACLs.Add(d, fe, config.Key{Index: 0}, a)
					return nd, err
				})
				if err != nil || res.Outcome != transaction.Staged {
					b.Fatalf("insert: %+v %v", res, err)
				}
			}
			d, err := e.tx.Doc(id)
			if err != nil {
				b.Fatal(err)
			}
			if got, _ := config.ACLs.Items(d, fe); len(got) != 1000+i {
				b.Fatalf("%d ACLs after %d inserts", len(got), i)
			}
		})
	}
}

// BenchmarkTxHTTPRequestRuleInsertFirst is an http-request rule inserted
// at index 0 of a frontend with 1,000 of them inside a transaction, the
// staged file written. Target (issue 10): <= 5 ms.
func BenchmarkTxHTTPRequestRuleInsertFirst(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			e := newEnvWith(b, n, cfggen.Options{HTTPRequestRules: 1000})
			id := e.begin(b)
			fe := config.Parent{Kind: config.KindFrontend, Name: "fe_main"}
			d0, err := e.tx.Doc(id)
			if err != nil {
				b.Fatal(err)
			}
			before, _ := config.HTTPRequestRules.Items(d0, fe)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := config.HTTPRequestRule{Type: "set-header", HdrName: fmt.Sprintf("X-New-%d", i), HdrFormat: "%[src]"}
				i++
				res, err := e.tx.Edit(context.Background(), id, func(d *config.Document) (*config.Document, error) {
					nd, _, err := config.HTTPRequestRules.Add(d, fe, config.Key{Index: 0}, r)
					return nd, err
				})
				if err != nil || res.Outcome != transaction.Staged {
					b.Fatalf("insert: %+v %v", res, err)
				}
			}
			d, err := e.tx.Doc(id)
			if err != nil {
				b.Fatal(err)
			}
			if got, _ := config.HTTPRequestRules.Items(d, fe); len(before) < 1000 || len(got) != len(before)+i {
				b.Fatalf("%d rules after %d inserts", len(got), i)
			}
		})
	}
}

// BenchmarkCommitHTTPRequestRule commits a transaction holding one
// http-request rule inserted at index 0 of a frontend with 1,000 of them,
// and reports commit/check as BenchmarkCommit does. Target (issue 10):
// commit <= 1.2 x haproxy -c.
func BenchmarkCommitHTTPRequestRule(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			e := newEnvWith(b, n, cfggen.Options{HTTPRequestRules: 1000})
			fe := config.Parent{Kind: config.KindFrontend, Name: "fe_main"}
			benchCommits(b, e, func(i int) string {
				id := e.begin(b)
				r := config.HTTPRequestRule{Type: "set-header", HdrName: fmt.Sprintf("X-Commit-%d", i), HdrFormat: "%[src]"}
				if _, err := e.tx.Edit(context.Background(), id, func(d *config.Document) (*config.Document, error) {
					nd, _, err := config.HTTPRequestRules.Add(d, fe, config.Key{Index: 0}, r)
					return nd, err
				}); err != nil {
					b.Fatal(err)
				}
				return id
			})
		})
	}
}
