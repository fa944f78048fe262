package api_test

// Runtime map latency at 100,000 entries, through the whole HTTP stack
// against a real HAProxy (issue 12 goals: an add at most 2 ms, a filtered
// show at most 50 ms). An add is a lookup, `add map` with its read back
// on one line, and the append to the map file (fsynced before the answer
// with force_sync=true, later without):
//
//	go test -run '^$' -bench MapEntries ./internal/api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

func BenchmarkMapEntries(b *testing.B) {
	const n = 100_000
	in := haproxytest.New(b)
	port := haproxytest.FreePort(b)
	dir := filepath.Join(in.Dir, "transactions", "maps")
	var text strings.Builder
	for i := range n {
		fmt.Fprintf(&text, "host-%d.example be_a\n", i)
	}
	file := filepath.Join(dir, "hosts.map")
	mkdirWrite(b, dir, file, text.String())
	e := apitest.Start(b, in, in.Global()+fmt.Sprintf(hostsConfig, port, file), apitest.Options{})
	client := &http.Client{Timeout: 10 * time.Second}
	entries := e.Server.URL + "/v3/services/haproxy/runtime/maps/hosts.map/entries"

	b.Run("add", func(b *testing.B) {
		var took []time.Duration
		i := 0
		for b.Loop() {
			i++
			body := fmt.Appendf(nil, `{"key": "new-%d-%d.example", "value": "be_b"}`, time.Now().UnixNano(), i)
			took = append(took, timeStatus(b, client, http.MethodPost, entries, body, http.StatusCreated))
		}
		b.ReportMetric(percentile(took, 0.50), "p50-ms")
		b.ReportMetric(percentile(took, 0.99), "p99-ms")
	})
	b.Run("add_force_sync", func(b *testing.B) {
		var took []time.Duration
		i := 0
		for b.Loop() {
			i++
			body := fmt.Appendf(nil, `{"key": "sync-%d-%d.example", "value": "be_b"}`, time.Now().UnixNano(), i)
			took = append(took, timeStatus(b, client, http.MethodPost, entries+"?force_sync=true", body, http.StatusCreated))
		}
		b.ReportMetric(percentile(took, 0.50), "p50-ms")
		b.ReportMetric(percentile(took, 0.99), "p99-ms")
	})
	b.Run("show_filter", func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			took = append(took, timeStatus(b, client, http.MethodGet, entries+"?filter=host-5000", nil, http.StatusOK))
		}
		b.ReportMetric(percentile(took, 0.50), "p50-ms")
		b.ReportMetric(percentile(took, 0.99), "p99-ms")
	})
	// A change through the API before each show: it is recorded on the
	// snapshot, which stays current.
	b.Run("show_filter_after_change", func(b *testing.B) {
		var took []time.Duration
		i := 0
		for b.Loop() {
			i++
			b.StopTimer()
			body := fmt.Appendf(nil, `{"key": "chg-%d-%d.example", "value": "be_b"}`, time.Now().UnixNano(), i)
			timeStatus(b, client, http.MethodPost, entries, body, http.StatusCreated)
			b.StartTimer()
			took = append(took, timeStatus(b, client, http.MethodGet, entries+"?filter=host-5000", nil, http.StatusOK))
		}
		b.ReportMetric(percentile(took, 0.50), "p50-ms")
		b.ReportMetric(percentile(took, 0.99), "p99-ms")
	})
	// The worst case: a change made by hand on the socket before each
	// show (the entry count moves), so that every show reads the whole
	// map from HAProxy (`show map`). haproxy-ms is that command
	// alone on a fresh socket connection, for comparison.
	b.Run("show_filter_cold", func(b *testing.B) {
		var took, bare []time.Duration
		i := 0
		for b.Loop() {
			i++
			b.StopTimer()
			in.Stats(fmt.Sprintf("add map %s hand-%d.example be_b", file, i))
			if i%4 == 0 {
				start := time.Now()
				in.Stats("show map " + file)
				bare = append(bare, time.Since(start))
				in.Stats(fmt.Sprintf("add map %s hand-%d-b.example be_b", file, i))
			}
			b.StartTimer()
			took = append(took, timeStatus(b, client, http.MethodGet, entries+"?filter=host-5000", nil, http.StatusOK))
		}
		b.ReportMetric(percentile(took, 0.50), "p50-ms")
		b.ReportMetric(percentile(took, 0.99), "p99-ms")
		if len(bare) > 0 {
			b.ReportMetric(percentile(bare, 0.50), "haproxy-ms")
		}
	})
}

// timeStatus sends one authenticated request, fails the benchmark unless
// it is answered want, and returns how long the answer took.
func timeStatus(b *testing.B, client *http.Client, method, url string, body []byte, want int) time.Duration {
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
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, out)
	}
	return took
}
