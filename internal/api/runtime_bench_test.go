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
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// runtimeBenchConfig is n backends of two servers (no health checks).
func runtimeBenchConfig(in *haproxytest.Instance, n, port int) string {
	var b strings.Builder
	b.WriteString(in.Global())
	fmt.Fprintf(&b, "\nfrontend fe\n    bind 127.0.0.1:%d\n    default_backend be_0\n", port)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\nbackend be_%d\n    balance roundrobin\n    server s1 127.0.0.1:%d weight 10\n    server s2 127.0.0.2:%d weight 10\n",
			i, 20000+i%1000, 20000+i%1000)
	}
	return b.String()
}

func BenchmarkRuntimePut(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("backends=%d", n), func(b *testing.B) {
			in := haproxytest.New(b)
			e := apitest.Start(b, in, runtimeBenchConfig(in, n, haproxytest.FreePort(b)), apitest.Options{})
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
