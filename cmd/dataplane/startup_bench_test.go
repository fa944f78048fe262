package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/cfggen"
	"dataplane/internal/haproxytest"
)

// BenchmarkStartup starts the dataplane binary on a generated haproxy.cfg
// of 10 and 10,000 backends (and 100,000 with DATAPLANE_BENCH_100K set) and
// reports the time until GET /v3/info answers 200 (ms-to-first-answer), the
// time `haproxy -c` takes on the same file in the same run (haproxy-c-ms,
// one check before each start), their ratio (x-haproxy-c: the goal is at
// most 0.25 at 10,000 backends), and the resident memory once idle
// (RSS-MiB: VmRSS one second after the first answer). No HAProxy runs: the
// custom reload strategy with reload_cmd = "true" needs no master socket.
func BenchmarkStartup(b *testing.B) {
	sizes := []int{10, 10000}
	if os.Getenv("DATAPLANE_BENCH_100K") != "" {
		sizes = append(sizes, 100000)
	}
	bin, haveHAProxy := os.Getenv("HAPROXY_BIN"), true
	if bin == "" {
		bin = "haproxy"
	}
	if _, err := exec.LookPath(bin); err != nil {
		haveHAProxy = false
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			dir := haproxytest.TempDir(b)
			cfg := filepath.Join(dir, "haproxy.cfg")
			if err := os.WriteFile(cfg, cfggen.Generate(n, cfggen.Options{StatsSocket: filepath.Join(dir, "stats.sock")}), 0o644); err != nil {
				b.Fatal(err)
			}
			hcl := writeHCL(b, dir, 0, "", `reload_strategy = "custom"
    reload_cmd      = "true"`)
			var first, check time.Duration
			var rss float64
			b.ResetTimer() // set-up is not timed
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if haveHAProxy {
					c := exec.Command(bin, "-c", "-q", "-f", cfg)
					c.Dir = dir
					t0 := time.Now()
					if out, err := c.CombinedOutput(); err != nil {
						b.Fatalf("haproxy -c: %v\n%s", err, out)
					}
					check += time.Since(t0)
				}
				port := haproxytest.FreePort(b)
				cmd := exec.Command(binary, "-f", hcl, "--port", strconv.Itoa(port))
				var logs bytes.Buffer
				cmd.Stdout, cmd.Stderr = &logs, &logs
				url := fmt.Sprintf("http://127.0.0.1:%d/v3/info", port)
				b.StartTimer()
				start := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				for {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					code, _, err := get(ctx, url)
					cancel()
					if err == nil && code == 200 {
						break
					}
					if time.Since(start) > 30*time.Second {
						_ = cmd.Process.Kill()
						_ = cmd.Wait()
						b.Fatalf("no answer after 30s (last: %d %v):\n%s", code, err, logs.String())
					}
					time.Sleep(time.Millisecond)
				}
				first += time.Since(start)
				// The timer keeps running through the idle second, so that
				// `-benchtime 1s` means one start per size (ns/op is then
				// start + 1 s idle + stop; use the reported metrics).
				time.Sleep(time.Second)
				kib, err := vmRSS(cmd.Process.Pid)
				if err != nil {
					b.Fatal(err)
				}
				rss += float64(kib) / 1024
				_ = cmd.Process.Signal(syscall.SIGTERM)
				_ = cmd.Wait()
			}
			b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms-to-first-answer")
			b.ReportMetric(rss/float64(b.N), "RSS-MiB")
			if haveHAProxy {
				b.ReportMetric(float64(check.Microseconds())/1000/float64(b.N), "haproxy-c-ms")
				b.ReportMetric(float64(first)/float64(check), "x-haproxy-c")
			}
		})
	}
}

// vmRSS reads VmRSS (KiB) from /proc/<pid>/status.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
