package api_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/apitest"
)

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// BenchmarkReloadUnderLoad (make bench-reload) runs 100 reloads per
// strategy while wrk sends `Connection: close` requests through HAProxy,
// and reports failed/total requests (the goal is 0 failed).
func BenchmarkReloadUnderLoad(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Fatalf("wrk is not installed (apt-get install -y wrk, or make deps): %v", err)
	}
	const reloads = 100
	for _, strategy := range []string{"master", "standalone", "custom"} {
		b.Run(strategy, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				e, port := startStrategy(b, strategy)
				var out bytes.Buffer
				wrk := exec.Command("wrk", "-t2", "-c10", "-d120s", "-H", "Connection: close", fmt.Sprintf("http://127.0.0.1:%d/", port))
				wrk.Stdout, wrk.Stderr = &out, &out
				if err := wrk.Start(); err != nil {
					b.Fatal(err)
				}
				time.Sleep(500 * time.Millisecond)
				start := time.Now()
				for r := 0; r < reloads; r++ {
					resp := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
					if resp.Status != 200 {
						_ = wrk.Process.Kill()
						b.Fatalf("reload %d: %d %s", r, resp.Status, resp.Body)
					}
				}
				took := time.Since(start)
				time.Sleep(300 * time.Millisecond)
				_ = wrk.Process.Signal(syscall.SIGINT) // wrk prints its summary on SIGINT
				_ = wrk.Wait()
				total, failed := parseWrk(b, out.String())
				b.ReportMetric(float64(failed), "failed")
				b.ReportMetric(float64(total), "requests")
				b.ReportMetric(float64(took.Milliseconds())/reloads, "ms/reload")
				fmt.Printf("bench-reload %-10s %d reloads in %s under wrk Connection: close: %d failed / %d requests\n",
					strategy, reloads, took.Round(time.Millisecond), failed, total)
			}
		})
	}
}

func parseWrk(b *testing.B, out string) (total, failed int) {
	m := wrkRequests.FindStringSubmatch(out)
	if m == nil {
		b.Fatalf("wrk output without a request count:\n%s", out)
	}
	total, _ = strconv.Atoi(m[1])
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, n := range m[1:] {
			v, _ := strconv.Atoi(n)
			failed += v
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		v, _ := strconv.Atoi(m[1])
		failed += v
	}
	return total, failed
}
