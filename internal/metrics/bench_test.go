package metrics_test

// Scrape cost of /metrics against a real HAProxy with 10 and 10,000
// backends of 2 servers each (at 10,000, `show stat` is about 7 MB and the
// page about a million series):
//
//	go test -run '^$' -bench MetricsScrape -benchmem ./internal/metrics

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dataplane/internal/cfggen"
	"dataplane/internal/haproxytest"
	"dataplane/internal/metrics"
	"dataplane/internal/runtime"
)

type countingWriter struct {
	h http.Header
	n int64
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) WriteHeader(int)             {}
func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkMetricsScrape(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("backends=%d", n), func(b *testing.B) {
			in := haproxytest.New(b)
			in.Start(string(cfggen.Generate(n, cfggen.Options{StatsSocket: in.StatsSocket, FrontendPort: haproxytest.FreePort(b), NoChecks: true})))
			c := runtime.New(in.StatsSocket)
			m := metrics.New(metrics.Options{HAProxy: func() *runtime.Client { return c }})
			h := m.Handler()
			for _, enc := range []string{"identity", "gzip"} {
				b.Run("encoding="+enc, func(b *testing.B) {
					req := httptest.NewRequest("GET", "/metrics", nil)
					req.Header.Set("Accept-Encoding", enc)
					var w *countingWriter
					for b.Loop() {
						w = &countingWriter{h: http.Header{}}
						h.ServeHTTP(w, req)
					}
					b.ReportMetric(float64(w.n), "bytes/scrape")
					// After the timed loop: one scrape checked (it parses
					// and has every server), its size in series, and the
					// part spent reading `show stat`.
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
					b.ReportMetric(float64(countSeries(rec.Body)), "series")
					fams := scrape(b, m)
					if got := len(series(fams, "haproxy_server_up")); got != 2*n {
						b.Fatalf("haproxy_server_up has %d series, want %d", got, 2*n)
					}
					b.ReportMetric(series(fams, "dataplane_haproxy_stat_duration_seconds")[""]*1000, "show-stat-ms")
				})
			}
		})
	}
}

func countSeries(body *bytes.Buffer) int {
	n := 0
	for _, line := range strings.Split(body.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}
