package api_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
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
// strategy while `Connection: close` requests go through HAProxy, and
// prints failed/total requests per strategy and mode (the goal is 0
// failed):
//
//   - quiet: the machine does nothing else;
//   - hog: a busy loop keeps one core busy, as on the busy 2-core machine
//     where requests were seen failing (BENCH_RELOAD_HOGS=2: two cores).
//
// Two load generators run side by side, 10 connections each: wrk (the
// reference the developers used: C, its own timeouts) and loadGen
// (loadgen_test.go), which records every request, so each failure is
// printed with its class (refused, reset, EOF, timeout, status) and its
// time from the nearest reload phase. The kernel's TCP counters (accept
// queue overflows, resets sent, SYN retransmissions) are printed as they
// moved during the run. Select one mode or strategy with -bench, e.g.
// make bench-reload BENCH_RELOAD='BenchmarkReloadUnderLoad/.*/hog'.
func BenchmarkReloadUnderLoad(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Fatalf("wrk is not installed (apt-get install -y wrk, or make deps): %v", err)
	}
	for _, strategy := range []string{"master", "standalone", "custom"} {
		b.Run(strategy, func(b *testing.B) {
			for _, mode := range []string{"quiet", "hog"} {
				b.Run(mode, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						reloadUnderLoad(b, strategy, mode == "hog")
					}
				})
			}
		})
	}
}

// benchEnvInt reads a positive number from the environment, def if unset.
func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// The load: wrk's -c10 of the developers' benchmark, and as many loadGen
// connections. BENCH_RELOAD_CONNS changes the loadGen's, to look for what
// a heavier load breaks (an accept queue that fills, say).
func benchConns(b *testing.B) int { return benchEnvInt(b, "BENCH_RELOAD_CONNS", 10) }

func reloadUnderLoad(b *testing.B, strategy string, hog bool) {
	const reloads = 100
	mode := "quiet"
	if hog {
		mode = "hog"
	}
	e, port := startStrategy(b, strategy)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	gen := newLoadGen(addr, benchConns(b))
	sink := startSyslog(b, gen.since)
	applyBenchConfig(b, e, sink.port())
	if r := gen.one(); r.class != classOK || r.pid == 0 {
		b.Fatalf("first request after the bench configuration: %s, pid %d: %s", r.class, r.pid, r.err)
	}

	var h *cpuHog
	if hog {
		h = startCPUHog(b, benchEnvInt(b, "BENCH_RELOAD_HOGS", 1))
		time.Sleep(200 * time.Millisecond) // let the scheduler see it
	}

	var out bytes.Buffer
	wrk := exec.Command("wrk", "-t2", "-c10", "-d600s", "-H", "Connection: close", "http://"+addr+"/")
	wrk.Stdout, wrk.Stderr = &out, &out
	wrk.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := wrk.Start(); err != nil {
		b.Fatal(err)
	}
	stopWrk := func() {
		_ = wrk.Process.Signal(syscall.SIGINT) // wrk prints its summary on SIGINT
		_ = wrk.Wait()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gen.run(ctx); close(done) }()
	stopGen := func() { cancel(); <-done }
	b.Cleanup(func() {
		if wrk.ProcessState == nil {
			_ = syscall.Kill(-wrk.Process.Pid, syscall.SIGKILL)
			_ = wrk.Wait()
		}
		if ctx.Err() == nil {
			stopGen()
		}
	})

	time.Sleep(500 * time.Millisecond)
	// The counters from here on: wrk's start (it opens and closes a
	// connection to check the address, which HAProxy logs as CR-- BADREQ)
	// is left out.
	before := tcpCounters()
	listeners := watchListeners(port, gen.since)
	defer listeners.close()
	phases := make([]reloadPhase, 0, reloads)
	// What HAProxy said while reloading: the new process's output (the
	// standalone strategy's answer) and the master's log. A new process
	// that could not take the sockets over (-x) says so there, and then
	// binds new sockets beside the old ones: the known way to lose
	// connections queued on the old ones.
	var said strings.Builder
	start := time.Now()
	for r := 0; r < reloads; r++ {
		p := reloadPhase{sent: gen.since()}
		resp := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
		p.answered = gen.since()
		phases = append(phases, p)
		if resp.Status != 200 {
			b.Fatalf("reload %d: %d %s", r, resp.Status, resp.Body)
		}
		var rec struct{ Response string }
		resp.JSON(b, &rec)
		said.WriteString(rec.Response + "\n")
	}
	took := time.Since(start)
	// The old process finishes its last requests after the last reload:
	// failures there belong to the run too.
	time.Sleep(300 * time.Millisecond)
	after := tcpCounters()
	listeners.close()
	stopWrk()
	stopGen()
	// Stopping the load resets the connections wrk has open: those
	// counters are told apart from the run's.
	stopped := tcpCounters()
	hogShare := ""
	if h != nil {
		h.stop()
		hogShare = ", " + h.String()
	}
	time.Sleep(100 * time.Millisecond) // the last log lines
	logs := sink.all()

	wrkTotal, wrkFailed, wrkErrors := parseWrk(b, out.String())
	recs := gen.records()
	s := summarize(gen, recs)
	b.ReportMetric(float64(wrkFailed+s.failed), "failed")
	b.ReportMetric(float64(wrkTotal+s.total), "requests")
	b.ReportMetric(float64(took.Milliseconds())/reloads, "ms/reload")
	fmt.Printf("bench-reload %-10s %-5s %d reloads in %s: wrk %d failed / %d requests; loadgen %d failed / %d requests\n",
		strategy, mode, reloads, took.Round(time.Millisecond), wrkFailed, wrkTotal, s.failed, s.total)
	fmt.Printf("    wrk errors: %s; loadgen failures: %s; loadgen connects >= %s: %d, requests >= %s: %d; %d HAProxy PIDs answered%s\n",
		wrkErrors, s.classes(), gen.slowConnect, s.slowConnects, gen.slowRequest, s.slow, s.pids, hogShare)
	fmt.Printf("    listening sockets on the port during the reloads: %s\n", listeners)
	fmt.Printf("    TCP counters during the reloads: %s; while stopping the load: %s\n", counterDelta(before, after), counterDelta(after, stopped))
	if s.pids < reloads+1 {
		fmt.Printf("    note: %d PIDs answered for %d reloads: some processes served no loadgen request\n", s.pids, reloads)
	}
	if log, err := os.ReadFile(e.HAProxy.LogFile); err == nil {
		said.Write(log)
	}
	fmt.Printf("    HAProxy's warnings and alerts while reloading: %s\n", haproxyWarnings(said.String()))
	ev := timeline(phases, recs, logs, listeners)
	shown := 0
	for _, r := range recs {
		if r.class == classOK && r.connected-r.start < gen.slowConnect {
			continue
		}
		if shown++; shown > 50 {
			fmt.Printf("    ... (%d shown)\n", shown-1)
			break
		}
		kind := "FAILED"
		if r.class == classOK {
			kind = "slow connect"
		}
		fmt.Printf("    %s %s\n", kind, describe(r, ev, logs))
	}
	// HAProxy's own view: the sessions it logged in error (option
	// dontlog-normal) while the reloads ran. Those before the load started
	// or after it was stopped are the load generators' connections cut by
	// their own stop (CR: client aborted), not failures.
	var errLogs []string
	stopping := 0
	from, to := phases[0].sent, phases[len(phases)-1].answered+250*time.Millisecond
	for _, l := range logs {
		switch {
		case strings.Contains(l.msg, "Stopping") || strings.Contains(l.msg, "stopped"):
			stopping++
		case l.at >= from && l.at <= to:
			errLogs = append(errLogs, fmt.Sprintf("%.3fs pid %d: %s", l.at.Seconds(), l.pid, l.msg))
		}
	}
	fmt.Printf("    HAProxy logged %d stop messages and %d sessions in error during the reloads\n", stopping, len(errLogs))
	if len(errLogs) > 20 {
		errLogs = append(errLogs[:20], fmt.Sprintf("... %d more", len(errLogs)-20))
	}
	for _, l := range errLogs {
		fmt.Printf("      %s\n", l)
	}
}

// applyBenchConfig replaces the running configuration with benchConfig's
// (X-PID header, logs to the sink) through the API, and checks that the
// answers carry the PID.
func applyBenchConfig(b *testing.B, e *apitest.Env, logPort int) {
	b.Helper()
	raw := e.Get("/services/haproxy/configuration/raw")
	if raw.Status != 200 {
		b.Fatalf("raw: %d %s", raw.Status, raw.Body)
	}
	cfg, err := benchConfig(raw.Body, logPort)
	if err != nil {
		b.Fatal(err)
	}
	v := raw.Header.Get("Configuration-Version")
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?force_reload=true&version=" + v, Body: cfg})
	if r.Status != 201 {
		b.Fatalf("bench configuration: %d %s", r.Status, r.Body)
	}
}

// parseWrk returns wrk's request count, its failures (socket errors and
// non-2xx responses) and its error line.
func parseWrk(b *testing.B, out string) (total, failed int, errs string) {
	m := wrkRequests.FindStringSubmatch(out)
	if m == nil {
		b.Fatalf("wrk output without a request count:\n%s", out)
	}
	total, _ = strconv.Atoi(m[1])
	errs = "none"
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, n := range m[1:] {
			v, _ := strconv.Atoi(n)
			failed += v
		}
		errs = strings.TrimSpace(m[0])
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		v, _ := strconv.Atoi(m[1])
		failed += v
		errs += "; " + m[0]
	}
	return total, failed, errs
}

var haproxyMessage = regexp.MustCompile(`^\[(WARNING|ALERT)\]\s+\(\d+\)\s*:\s*(.*)$`)

// haproxyWarnings counts HAProxy's [WARNING] and [ALERT] lines by message
// (without the PID), leaving out the soft-stop notices every reload
// prints.
func haproxyWarnings(out string) string {
	counts := map[string]int{}
	var order []string
	for _, l := range strings.Split(out, "\n") {
		m := haproxyMessage.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		msg := m[1] + " " + m[2]
		if strings.Contains(msg, "Stopping frontend") || strings.Contains(msg, "Proxy fe stopped") ||
			strings.Contains(msg, "Stopping proxy") || strings.Contains(msg, "exited with code") ||
			strings.Contains(msg, "Former worker") || strings.Contains(msg, "Reexecuting Master") ||
			strings.Contains(msg, "Loading success") || strings.Contains(msg, "<HTTPCLIENT> stopped") {
			continue
		}
		if counts[msg] == 0 {
			order = append(order, msg)
		}
		counts[msg]++
	}
	if len(order) == 0 {
		return "none"
	}
	var parts []string
	for _, m := range order {
		parts = append(parts, fmt.Sprintf("%dx %q", counts[m], m))
	}
	return strings.Join(parts, "; ")
}
