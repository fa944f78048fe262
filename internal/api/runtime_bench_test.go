package api_test

// Latency of a runtime server PUT (validation, `show servers state`,
// `set server ... weight`, read back) through the whole HTTP stack against
// a real HAProxy, at 10 and 10,000 backends, next to the cheapest
// authenticated request (GET of the configuration version). The two
// alternate in one loop, so that a noisy machine slows both alike, and the
// ratio of their medians is reported (issue 18: at most 1.3). The client
// keeps its connection between requests (backends=N), or opens a new one
// for each request (backends=N,conns=new), as scripts running curl do:
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
	for _, c := range []struct {
		n    int
		conn string
	}{{10, ""}, {10000, ""}, {10, ",conns=new"}, {10000, ",conns=new"}} {
		n := c.n
		b.Run(fmt.Sprintf("backends=%d%s", n, c.conn), func(b *testing.B) {
			in := haproxytest.New(b)
			e := apitest.Start(b, in, string(cfggen.Generate(n, cfggen.Options{StatsSocket: in.StatsSocket, FrontendPort: haproxytest.FreePort(b), NoChecks: true})), apitest.Options{})
			put := fmt.Sprintf("%s/v3/services/haproxy/runtime/backends/be_%d/servers/s1", e.Server.URL, n/2)
			get := e.Server.URL + "/v3/services/haproxy/configuration/version"
			client := &http.Client{Timeout: 10 * time.Second}
			if c.conn != "" {
				client.Transport = &http.Transport{DisableKeepAlives: true}
			}
			var puts, gets []time.Duration
			i := 0
			for b.Loop() {
				i++
				body := fmt.Appendf(nil, `{"weight": %d}`, 1+i%200)
				puts = append(puts, timeRequest(b, client, http.MethodPut, put, body))
				gets = append(gets, timeRequest(b, client, http.MethodGet, get, nil))
			}
			p50 := percentile(puts, 0.50)
			b.ReportMetric(p50, "put-p50-ms")
			b.ReportMetric(percentile(puts, 0.99), "put-p99-ms")
			b.ReportMetric(percentile(gets, 0.50), "get-p50-ms")
			b.ReportMetric(p50/percentile(gets, 0.50), "put/get")
		})
	}
}

// timeRequest sends one authenticated request, fails the benchmark unless
// it is answered 200, and returns how long the answer took.
func timeRequest(b *testing.B, client *http.Client, method, url string, body []byte) time.Duration {
	b.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		b.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(apitest.User, apitest.Password)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
	return took
}

// percentile returns the p-th percentile of took in milliseconds (it
// sorts took).
func percentile(took []time.Duration, p float64) float64 {
	slices.Sort(took)
	return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
}
