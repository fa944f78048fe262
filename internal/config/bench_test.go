package config_test

// Benchmarks of the document model on generated files of 10, 1,000 and
// 10,000 backends (internal/cfggen). Targets at 10,000 backends: load
// <= 100 ms, one server edit + render <= 5 ms, <= 50 MiB heap per published
// document (typed views included), <= 1 MiB per edited copy.
//
//	go test -run '^$' -bench . -benchmem ./internal/config

import (
	"runtime"
	"strconv"
	"sync"
	"testing"

	"dataplane/internal/cfggen"
	"dataplane/internal/config"
)

var benchSizes = []int{10, 1000, 10000}

var (
	genMu    sync.Mutex
	genFiles = map[int][]byte{}
)

// generated returns the generated file of n backends, built once.
func generated(n int) []byte {
	genMu.Lock()
	defer genMu.Unlock()
	if b, ok := genFiles[n]; ok {
		return b
	}
	b := cfggen.Generate(n, cfggen.Options{StatsSocket: "/tmp/dp-bench.sock"})
	genFiles[n] = b
	return b
}

func parse(b *testing.B, n int) *config.Document {
	b.Helper()
	d, err := config.Parse(generated(n))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func forSizes(b *testing.B, f func(b *testing.B, n int)) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) { f(b, n) })
	}
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLoad is config.Parse of the whole file.
func BenchmarkLoad(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		data := generated(n)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := config.Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListBackends is the model part of GET all backends, without
// HTTP: cold builds every section's typed view (first read of a published
// version), warm serves them from the per-section cache.
func BenchmarkListBackends(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		b.Run("cold", func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer() // set-up is not timed
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				d := parse(b, n)
				b.StartTimer()
				if got := len(d.Backends()); got != n {
					b.Fatalf("%d backends", got)
				}
			}
		})
		b.Run("warm", func(b *testing.B) {
			d := parse(b, n)
			d.Backends()
			b.ReportAllocs()
			for b.Loop() {
				if got := len(d.Backends()); got != n {
					b.Fatalf("%d backends", got)
				}
			}
		})
	})
}

// weightEdit returns s1 of backend be with a new weight.
func weightEdit(b *testing.B, d *config.Document, be string, w int64) config.Server {
	b.Helper()
	srv, err := config.Servers.At(config.KindBackend, be).Get(d, "s1")
	if err != nil {
		b.Fatal(err)
	}
	srv.Weight = &w
	return srv
}

// BenchmarkServerEdit is one server edit (a weight change) plus the render
// of the file a commit would write; `haproxy -c` is not included.
func BenchmarkServerEdit(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		d := parse(b, n)
		d.Backends() // the published document is warm
		be := cfggen.BackendName(n / 2)
		srv := [2]config.Server{weightEdit(b, d, be, 20), weightEdit(b, d, be, 30)}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			nd, err := config.Servers.At(config.KindBackend, be).Replace(d, "s1", srv[i%2])
			if err != nil {
				b.Fatal(err)
			}
			if out := nd.WithVersion(d.Version() + 1).Render(); len(out) == 0 {
				b.Fatal("empty render")
			}
			i++
		}
	})
}

// BenchmarkRender is Render alone.
func BenchmarkRender(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		d := parse(b, n)
		b.ReportAllocs()
		for b.Loop() {
			_ = d.Render()
		}
	})
}

var sink any

// BenchmarkDocHeap reports the live heap of one published document after a
// GET of all backends built its typed views (MiB/doc).
func BenchmarkDocHeap(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		data := generated(n)
		var total float64
		b.ResetTimer() // set-up is not timed
		for i := 0; i < b.N; i++ {
			sink = nil
			before := heapInUse()
			d, err := config.Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			_ = d.Backends()
			_ = d.Frontends()
			if _, err := d.Global(); err != nil {
				b.Fatal(err)
			}
			sink = d
			total += float64(heapInUse() - before)
		}
		sink = nil
		b.ReportMetric(total/float64(b.N)/(1<<20), "MiB/doc")
	})
}

// BenchmarkEditedCopyHeap keeps 100 successive single-server edits of one
// base document and reports the extra heap of each copy (KiB/copy).
func BenchmarkEditedCopyHeap(b *testing.B) {
	const copies = 100
	forSizes(b, func(b *testing.B, n int) {
		base := parse(b, n)
		base.Backends()
		var total float64
		b.ResetTimer() // set-up is not timed
		for i := 0; i < b.N; i++ {
			sink = nil
			before := heapInUse()
			docs := make([]*config.Document, 0, copies)
			d := base
			for k := 0; k < copies; k++ {
				be := cfggen.BackendName(k * 7919 % n)
				nd, err := config.Servers.At(config.KindBackend, be).Replace(d, "s1", weightEdit(b, d, be, int64(11+k%200)))
				if err != nil {
					b.Fatal(err)
				}
				docs = append(docs, nd)
				d = nd
			}
			sink = docs
			total += float64(heapInUse() - before)
		}
		sink = nil
		b.ReportMetric(total/float64(b.N)/copies/1024, "KiB/copy")
	})
}
