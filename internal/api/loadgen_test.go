package api_test

// The instruments of BenchmarkReloadUnderLoad (make bench-reload). wrk
// only gives totals; to know which requests fail and when, this file has
// a load generator that records every request (start, connect, end,
// outcome class, the PID of the HAProxy process that answered), a
// syslog sink for HAProxy's own messages, a CPU hog, and the kernel's TCP
// counters. Nothing here is used by `make test`.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// reqClass is the outcome of one request.
type reqClass uint8

const (
	classOK             reqClass = iota
	classRefused                 // connect: refused (no listening socket)
	classConnectTimeout          // connect: no SYN-ACK within dialTimeout
	classConnectReset            // connect: reset
	classNoLocalPort             // connect: EADDRNOTAVAIL, the client ran out of ephemeral ports
	classReset                   // reset by the peer after connect (write or read)
	classEOF                     // closed by the peer before a complete response
	classTimeout                 // no complete response within ioTimeout
	classStatus                  // a response other than 200
	classOther
	numClasses
)

var classNames = [numClasses]string{"ok", "connect-refused", "connect-timeout", "connect-reset",
	"connect-no-local-port", "reset", "eof-before-response", "timeout", "bad-status", "other"}

func (c reqClass) String() string { return classNames[c] }

// reqRecord is one request. Times are offsets from the generator's t0.
type reqRecord struct {
	start, connected, end time.Duration
	class                 reqClass
	status                int
	pid                   int    // X-PID of the answer, 0 if none
	got                   int    // response bytes read before a failure
	port                  int    // client's local port, 0 if connect failed
	err                   string // failures only
}

// loadGen sends `Connection: close` requests, one new TCP connection per
// request, from workers goroutines, as wrk -H 'Connection: close' does.
// Nothing is retried. The timeouts are those of runLoad (hitless_test.go).
type loadGen struct {
	addr                     string
	workers                  int
	dialTimeout, ioTimeout   time.Duration
	t0                       time.Time
	mu                       sync.Mutex
	recs                     [][]reqRecord // one slice per worker, merged by records()
	slowConnect, slowRequest time.Duration // thresholds for "slow" in the report
}

func newLoadGen(addr string, workers int) *loadGen {
	return &loadGen{addr: addr, workers: workers, dialTimeout: 2 * time.Second, ioTimeout: 5 * time.Second,
		t0: time.Now(), slowConnect: 900 * time.Millisecond, slowRequest: 900 * time.Millisecond}
}

// since is the offset of now from t0, the clock every record and phase uses.
func (g *loadGen) since() time.Duration { return time.Since(g.t0) }

// run sends requests until ctx ends and returns when every worker is done
// (at most ioTimeout after ctx ends).
func (g *loadGen) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := 0; i < g.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []reqRecord
			for ctx.Err() == nil {
				mine = append(mine, g.one())
			}
			g.mu.Lock()
			g.recs = append(g.recs, mine)
			g.mu.Unlock()
		}()
	}
	wg.Wait()
}

// records returns every request, by start time.
func (g *loadGen) records() []reqRecord {
	g.mu.Lock()
	defer g.mu.Unlock()
	var all []reqRecord
	for _, r := range g.recs {
		all = append(all, r...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].start < all[j].start })
	return all
}

const benchRequest = "GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench-reload\r\nConnection: close\r\n\r\n"

func (g *loadGen) one() (r reqRecord) {
	r.start = g.since()
	conn, err := net.DialTimeout("tcp", g.addr, g.dialTimeout)
	r.connected = g.since()
	if err != nil {
		r.end, r.class, r.err = r.connected, classifyDial(err), err.Error()
		return r
	}
	defer conn.Close()
	r.port = conn.LocalAddr().(*net.TCPAddr).Port
	fail := func(err error, n int) reqRecord {
		r.end, r.class, r.got, r.err = g.since(), classifyIO(err, n), n, err.Error()
		return r
	}
	_ = conn.SetDeadline(time.Now().Add(g.ioTimeout))
	if _, err := io.WriteString(conn, benchRequest); err != nil {
		return fail(err, 0)
	}
	cr := &countingReader{r: conn}
	resp, err := http.ReadResponse(bufio.NewReader(cr), nil)
	if err != nil {
		return fail(err, cr.n)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r.status = resp.StatusCode
	r.pid, _ = strconv.Atoi(resp.Header.Get("X-PID"))
	if err != nil {
		return fail(err, cr.n)
	}
	r.end = g.since()
	if resp.StatusCode != 200 {
		r.class, r.err = classStatus, resp.Status
	}
	return r
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func classifyDial(err error) reqClass {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return classRefused
	case errors.Is(err, syscall.ECONNRESET):
		return classConnectReset
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return classNoLocalPort
	case errors.As(err, &ne) && ne.Timeout():
		return classConnectTimeout
	}
	return classOther
}

func classifyIO(err error, got int) reqClass {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return classReset
	case errors.As(err, &ne) && ne.Timeout():
		return classTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return classEOF
	}
	return classOther
}

// reloadPhase is what the benchmark saw of one reload, on the generator's
// clock: the reload request sent to dataplane and its answer (dataplane
// answers once HAProxy shows the new process). The PIDs come from the
// responses: the first request served by a PID not seen before.
type reloadPhase struct {
	sent, answered time.Duration
}

// phaseEvent is a point in time a failure is placed against.
type phaseEvent struct {
	at     time.Duration
	reload int // index of the reload it belongs to
	what   string
}

// timeline builds the phase events: each reload's sent and answered, the
// first and last request served by each HAProxy process (from X-PID, by
// end time), and HAProxy's messages about stopping its frontend (from
// syslog), and the moments the port had not exactly one listening socket
// (w). An event is attached to the last reload sent before it.
func timeline(phases []reloadPhase, recs []reqRecord, logs []logLine, w *listenerWatch) []phaseEvent {
	reloadAt := func(at time.Duration) int {
		i := sort.Search(len(phases), func(i int) bool { return phases[i].sent > at })
		return i - 1 // -1: before the first reload
	}
	ev := w.events(reloadAt)
	for i, p := range phases {
		ev = append(ev, phaseEvent{p.sent, i, "reload sent"}, phaseEvent{p.answered, i, "reload answered"})
	}
	first, last := map[int]time.Duration{}, map[int]time.Duration{}
	for _, r := range recs {
		if r.pid == 0 {
			continue
		}
		if f, ok := first[r.pid]; !ok || r.end < f {
			first[r.pid] = r.end
		}
		if r.end > last[r.pid] {
			last[r.pid] = r.end
		}
	}
	for pid, at := range first {
		ev = append(ev, phaseEvent{at, reloadAt(at), fmt.Sprintf("first answer from new pid %d", pid)})
	}
	for pid, at := range last {
		ev = append(ev, phaseEvent{at, reloadAt(at), fmt.Sprintf("last answer from pid %d", pid)})
	}
	for _, l := range logs {
		if strings.Contains(l.msg, "Stopping frontend") || strings.Contains(l.msg, "Proxy fe stopped") || strings.Contains(l.msg, "stopped") {
			ev = append(ev, phaseEvent{l.at, reloadAt(l.at), fmt.Sprintf("log pid %d: %s", l.pid, l.msg)})
		}
	}
	sort.Slice(ev, func(i, j int) bool { return ev[i].at < ev[j].at })
	return ev
}

// nearest returns the event closest to at.
func nearest(ev []phaseEvent, at time.Duration) (phaseEvent, bool) {
	if len(ev) == 0 {
		return phaseEvent{}, false
	}
	i := sort.Search(len(ev), func(i int) bool { return ev[i].at >= at })
	best := -1
	for _, j := range []int{i - 1, i} {
		if j >= 0 && j < len(ev) && (best < 0 || abs(ev[j].at-at) < abs(ev[best].at-at)) {
			best = j
		}
	}
	return ev[best], true
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// loadReport sums up the records: counts per class, and the slow requests
// (a connect of a second or more is a retransmitted SYN: the first one was
// dropped somewhere).
type loadReport struct {
	total, failed      int
	byClass            [numClasses]int
	slowConnects, slow int
	pids               int
}

func summarize(g *loadGen, recs []reqRecord) loadReport {
	var s loadReport
	pids := map[int]bool{}
	for _, r := range recs {
		s.total++
		s.byClass[r.class]++
		if r.class != classOK {
			s.failed++
		}
		if r.connected-r.start >= g.slowConnect {
			s.slowConnects++
		}
		if r.end-r.start >= g.slowRequest {
			s.slow++
		}
		if r.pid != 0 {
			pids[r.pid] = true
		}
	}
	s.pids = len(pids)
	return s
}

func (s loadReport) classes() string {
	var parts []string
	for c := reqClass(1); c < numClasses; c++ {
		if s.byClass[c] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c, s.byClass[c]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// describe places a failed or slow request against the nearest phase event
// and lists HAProxy's log lines within 250 ms of it.
func describe(r reqRecord, ev []phaseEvent, logs []logLine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-21s at %9.3fs (connect %s, total %s, port %d, got %d bytes, pid %d): %s",
		r.class, r.end.Seconds(), (r.connected - r.start).Round(time.Microsecond), (r.end - r.start).Round(time.Microsecond), r.port, r.got, r.pid, r.err)
	for _, at := range []struct {
		name string
		t    time.Duration
	}{{"started", r.start}, {"ended", r.end}} {
		if e, ok := nearest(ev, at.t); ok {
			fmt.Fprintf(&b, "\n      %s %+.1fms from reload %d's %q", at.name, float64(at.t-e.at)/1e6, e.reload, e.what)
		}
	}
	for _, l := range logs {
		if abs(l.at-r.end) <= 250*time.Millisecond || abs(l.at-r.start) <= 250*time.Millisecond {
			fmt.Fprintf(&b, "\n      log %+.1fms pid %d: %s", float64(l.at-r.end)/1e6, l.pid, l.msg)
		}
	}
	return b.String()
}

// logLine is one syslog message from HAProxy, stamped on receipt.
type logLine struct {
	at  time.Duration
	pid int
	msg string
}

var syslogHeader = regexp.MustCompile(`haproxy\[(\d+)\]: (.*)$`)

// syslogSink receives HAProxy's logs over UDP (global `log 127.0.0.1:port
// local0`): the messages about stopping the frontend, and, with option
// dontlog-normal, every session that ended in error on HAProxy's side.
type syslogSink struct {
	conn  *net.UDPConn
	since func() time.Duration
	mu    sync.Mutex
	lines []logLine
	done  chan struct{}
}

func startSyslog(t testing.TB, since func() time.Duration) *syslogSink {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("syslog sink: %v", err)
	}
	_ = conn.SetReadBuffer(4 << 20)
	s := &syslogSink{conn: conn, since: since, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 65536)
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			at := s.since()
			msg := strings.TrimSpace(string(buf[:n]))
			l := logLine{at: at, msg: msg}
			if m := syslogHeader.FindStringSubmatch(msg); m != nil {
				l.pid, _ = strconv.Atoi(m[1])
				l.msg = m[2]
			}
			s.mu.Lock()
			s.lines = append(s.lines, l)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *syslogSink) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

func (s *syslogSink) close() { s.conn.Close(); <-s.done }

func (s *syslogSink) all() []logLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]logLine(nil), s.lines...)
}

// cpuHog keeps cores busy with shell busy loops, each in its own process
// group, so that HAProxy, wrk, the load generator and dataplane share
// what is left of the machine (one core of two: the "busy machine" of the
// issue). A plain busy loop gets only its fair share, about a third of a
// core among the dozen busy threads of the benchmark; pinned to a CPU with
// nice -10 (the benchmark runs as root; without the right, nice leaves
// the priority as it is), it takes about all of that core, and the others
// move to the remaining ones. stop reports the share each got.
type cpuHog struct {
	cmds   []*exec.Cmd
	start  time.Time
	once   sync.Once
	shares []float64 // CPU time / wall time of each loop, measured by stop
}

// startCPUHog starts n busy loops, on the last n CPUs.
func startCPUHog(t testing.TB, n int) *cpuHog {
	t.Helper()
	h := &cpuHog{start: time.Now()}
	t.Cleanup(h.stop)
	for i := 0; i < n; i++ {
		cpu := strconv.Itoa((runtime.NumCPU() - 1 - i + runtime.NumCPU()) % runtime.NumCPU())
		cmd := exec.Command("nice", "-n", "-10", "taskset", "-c", cpu, "sh", "-c", "while :; do :; done")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("cpu hog: %v", err)
		}
		h.cmds = append(h.cmds, cmd)
	}
	return h
}

// stop kills the loops' process groups and reaps them; it records the
// share of a core each used, the proof that it kept its core busy.
func (h *cpuHog) stop() {
	h.once.Do(func() {
		for _, cmd := range h.cmds {
			pid := cmd.Process.Pid
			if ticks, ok := procCPUTicks(pid); ok {
				h.shares = append(h.shares, float64(ticks)/100/time.Since(h.start).Seconds()) // USER_HZ is 100 on Linux
			}
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	})
}

func (h *cpuHog) String() string {
	var parts []string
	for _, s := range h.shares {
		parts = append(parts, fmt.Sprintf("%.0f%%", s*100))
	}
	return "hog used " + strings.Join(parts, ", ") + " of a core"
}

// procCPUTicks returns utime+stime of pid, in clock ticks.
func procCPUTicks(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is the state, field 3 of stat
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st, true
}

// tcpCounters reads the kernel's TCP counters (what `nstat -az` shows) of
// this network namespace, from /proc/net/netstat and /proc/net/snmp.
func tcpCounters() map[string]int64 {
	out := map[string]int64{}
	for _, path := range []string{"/proc/net/netstat", "/proc/net/snmp"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		for i := 0; i+1 < len(lines); i += 2 {
			names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
			if len(names) != len(values) || len(names) == 0 {
				continue
			}
			prefix := strings.TrimSuffix(names[0], ":")
			for j := 1; j < len(names); j++ {
				v, _ := strconv.ParseInt(values[j], 10, 64)
				out[prefix+names[j]] = v
			}
		}
	}
	return out
}

// watchedCounters are the counters that tell where a connection was lost:
// a full accept queue (ListenOverflows/ListenDrops), a full SYN queue
// (TCPReqQFullDrop), resets sent (OutRsts, EstabResets, AttemptFails).
var watchedCounters = []string{"TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop",
	"TcpExtTCPReqQFullDoCookies", "TcpExtTCPAbortOnClose", "TcpExtTCPAbortOnData", "TcpExtTCPBacklogDrop",
	"TcpAttemptFails", "TcpEstabResets", "TcpOutRsts", "TcpRetransSegs", "TcpExtTCPSynRetrans"}

func counterDelta(before, after map[string]int64) string {
	var parts []string
	for _, k := range watchedCounters {
		if d := after[k] - before[k]; d != 0 {
			parts = append(parts, fmt.Sprintf("%s +%d", k, d))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// benchConfig turns the running configuration (hitlessConfig) into the
// measured one: the same, plus the PID of the answering process in an
// X-PID header and HAProxy's logs sent to the sink. option dontlog-normal
// logs only the sessions that ended in error, so logging costs nothing
// while all goes well.
func benchConfig(raw []byte, logPort int) ([]byte, error) {
	const ret = `http-request return status 200 content-type text/plain string "ok\n"`
	if !bytes.Contains(raw, []byte(ret+"\n")) {
		return nil, fmt.Errorf("no %q line in the configuration", ret)
	}
	out := bytes.Replace(raw, []byte(ret+"\n"), []byte(ret+` hdr X-PID "%pid"`+"\n"), 1)
	out = bytes.Replace(out, []byte("global\n"), fmt.Appendf(nil, "global\n    log 127.0.0.1:%d local0\n", logPort), 1)
	out = bytes.Replace(out, []byte("defaults\n"), []byte("defaults\n    log global\n    option httplog\n    option dontlog-normal\n"), 1)
	return out, nil
}

// listenerWatch samples the listening sockets on HAProxy's port with ss,
// every 100 ms: with the sockets handed over (-x) there is always exactly
// one, shared by the old and the new process. Two would mean a new
// process bound its own socket beside the old one (SO_REUSEPORT), and
// the connections queued on the old one are reset when it closes; none
// means connections are refused. The accept queue (Recv-Q) against the
// backlog (Send-Q) tells whether it could overflow.
type listenerWatch struct {
	port   int
	since  func() time.Duration
	mu     sync.Mutex
	counts map[int]int      // number of listening sockets -> samples
	odd    []listenerSample // samples without exactly one socket
	maxQ   int
	backlg int
	stop   chan struct{}
	done   chan struct{}
}

type listenerSample struct {
	at time.Duration
	n  int
}

func watchListeners(port int, since func() time.Duration) *listenerWatch {
	w := &listenerWatch{port: port, since: since, counts: map[int]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			at := w.since()
			out, err := exec.Command("ss", "-Hltn", fmt.Sprintf("src 127.0.0.1:%d", port)).Output()
			if err != nil {
				continue
			}
			n := 0
			w.mu.Lock()
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(l)
				if len(f) < 4 || f[0] != "LISTEN" {
					continue
				}
				n++
				q, _ := strconv.Atoi(f[1])
				w.maxQ = max(w.maxQ, q)
				w.backlg, _ = strconv.Atoi(f[2])
			}
			w.counts[n]++
			if n != 1 {
				w.odd = append(w.odd, listenerSample{at, n})
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *listenerWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *listenerWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var parts []string
	for n := 0; n <= 4; n++ {
		if c := w.counts[n]; c != 0 {
			parts = append(parts, fmt.Sprintf("%d socket(s) in %d samples", n, c))
		}
	}
	return fmt.Sprintf("%s; accept queue at most %d of %d", strings.Join(parts, ", "), w.maxQ, w.backlg)
}

// events are the samples without exactly one listening socket.
func (w *listenerWatch) events(reloadAt func(time.Duration) int) []phaseEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ev []phaseEvent
	for _, s := range w.odd {
		ev = append(ev, phaseEvent{s.at, reloadAt(s.at), fmt.Sprintf("%d listening sockets on the port", s.n)})
	}
	return ev
}
