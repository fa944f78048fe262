package api_test

// Latency of a runtime server PUT (validation, `show servers state`,
// `set server ... weight`, read back) through the whole HTTP stack against
// a real HAProxy, at 10 and 10,000 backends:
//
//	go test -run '^$' -bench RuntimePut ./internal/api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/cfggen"
	"dataplane/internal/haproxytest"
)

func BenchmarkRuntimePut(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("backends=%d", n), func(b *testing.B) {
			in := haproxytest.New(b)
			e := apitest.Start(b, in, string(cfggen.Generate(n, cfggen.Options{StatsSocket: in.StatsSocket, FrontendPort: haproxytest.FreePort(b), NoChecks: true})), apitest.Options{})
			url := fmt.Sprintf("%s/v3/services/haproxy/runtime/backends/be_%d/servers/s1", e.Server.URL, n/2)
			client := &http.Client{Timeout: 10 * time.Second}
			var took []time.Duration
			i := 0
			for b.Loop() {
				i++
				body := fmt.Appendf(nil, `{"weight": %d}`, 1+i%200)
				req, _ := http.NewRequest("PUT", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth(apitest.User, apitest.Password)
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took = append(took, time.Since(start))
				if resp.StatusCode != 200 {
					b.Fatalf("PUT: %d", resp.StatusCode)
				}
			}
			slices.Sort(took)
			pct := func(p float64) float64 {
				return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
