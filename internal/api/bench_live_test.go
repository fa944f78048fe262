package api_test

import (
	"fmt"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/cfggen"
	"dataplane/internal/haproxytest"
)

// BenchmarkCommitToLive measures the time from a configuration write to
// HAProxy running it, on real HAProxy: a runtime-only change (a server
// weight, applied through the socket) and a change that needs a reload
// (force_reload: the answer comes when the new worker runs it). Both
// include the `haproxy -c` every commit runs before the file is replaced.
func BenchmarkCommitToLive(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("backends=%d", n), func(b *testing.B) {
			in := haproxytest.New(b)
			cfg := cfggen.Generate(n, cfggen.Options{StatsSocket: in.StatsSocket, FrontendPort: haproxytest.FreePort(b), NoChecks: true})
			e := apitest.Start(b, in, string(cfg), apitest.Options{})
			base := "/services/haproxy/configuration"
			b.Run("runtime", func(b *testing.B) {
				var total time.Duration
				for i := 0; i < b.N; i++ {
					w := 11 + i%50
					path := fmt.Sprintf("%s/backends/be_0/servers/s1?version=%d", base, versionB(b, e))
					start := time.Now()
					r := e.Do(apitest.Request{Method: "PUT", Path: path, Body: map[string]any{
						"name": "s1", "address": "127.0.0.1", "port": 20000, "weight": w, "inter": 2000}})
					total += time.Since(start)
					if r.Status != 200 {
						b.Fatalf("runtime change: %d %s", r.Status, r.Body)
					}
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-live")
			})
			b.Run("reload", func(b *testing.B) {
				var total time.Duration
				for i := 0; i < b.N; i++ {
					path := fmt.Sprintf("%s/backends/be_1?version=%d&force_reload=true", base, versionB(b, e))
					start := time.Now()
					r := e.Do(apitest.Request{Method: "PUT", Path: path, Body: map[string]any{
						"name": "be_1", "balance": map[string]any{"algorithm": "roundrobin"}, "retries": 1 + i%5}})
					total += time.Since(start)
					if r.Status != 200 {
						b.Fatalf("reload change: %d %s", r.Status, r.Body)
					}
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-live")
			})
		})
	}
}

func versionB(b *testing.B, e *apitest.Env) int64 {
	var v int64
	r := e.Get("/services/haproxy/configuration/version")
	r.JSON(b, &v)
	return v
}
