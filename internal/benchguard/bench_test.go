package benchguard

// BenchmarkResources is `make bench`'s table: every family × operation at
// 10 and 10,000 backends (a cfggen.Realistic file, real HAProxy, the
// dataplane binary in its own process), compared with
// testdata/baseline.tsv, then the dataplane process's RSS at 100,000
// backends after every family ran. The environment tunes it:
//
//	BENCHGUARD_CHECK=1     fail when a row is >10% slower than the baseline
//	                       (after measuring it again twice), or the RSS is
//	                       over BENCHGUARD_RSS_LIMIT MiB (default 400)
//	BENCHGUARD_UPDATE=1    write the figures to testdata/baseline.tsv
//	BENCHGUARD_SIZES=10    sizes of the table (default 10,10000)
//	BENCHGUARD_RSS_SIZE=0  skip the memory run (default 100000)
//	BENCHGUARD_FAMILIES=re only the families matching re
//	BENCHGUARD_REF=rev     compare with the dataplane of git revision rev
//	                       (`baseline`: the commit the baseline file names)
//	                       measured in the same run, round for round
//	                       alternating with this tree's, instead of with
//	                       the baseline's figures: a 2-CPU VM's speed moves
//	                       by more than 10% from one day to the next, so
//	                       only figures taken side by side tell a code
//	                       change from the machine's
//
//	go test -run '^$' -bench Resources -benchtime 1x ./internal/benchguard

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/cfggen"
	"dataplane/internal/haproxytest"
)

const baselinePath = "testdata/baseline.tsv"

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envSizes() []int {
	v := os.Getenv("BENCHGUARD_SIZES")
	if v == "" {
		return []int{10, 10000}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// rounds are the rounds of staged operations and of commits at n
// backends: enough for a median, within ~2.5 minutes at 10,000 (where a
// commit and its reload take 1 to 5 s; a commit round is two commits per
// family).
func rounds(n int) (staged, commits int) {
	if n <= 1000 {
		// Commits at 10 backends take ~100-200 ms, mostly `haproxy -c`
		// (a fork and exec): their medians swing by 30% on a busy VM
		// with 6 samples, less with 12.
		return 15, 6
	}
	return 9, 2
}

var ran bool

func BenchmarkResources(b *testing.B) {
	if ran {
		return // one table per run, whatever b.N
	}
	ran = true
	fams := Measured()
	if re := os.Getenv("BENCHGUARD_FAMILIES"); re != "" {
		m := regexp.MustCompile(re)
		var keep []Family
		for _, f := range fams {
			if m.MatchString(f.Name) {
				keep = append(keep, f)
			}
		}
		fams = keep
	}
	base, err := ReadBaseline(baselinePath)
	if err != nil {
		b.Fatal(err)
	}
	bin := buildDataplane(b)
	ref := os.Getenv("BENCHGUARD_REF")
	if ref == "baseline" {
		if ref = baselineCommit(baselinePath); ref == "" {
			b.Fatalf("BENCHGUARD_REF=baseline: %s names no commit", baselinePath)
		}
	}
	var refBin string
	if ref != "" {
		refBin = buildRevision(b, ref)
	}
	ctx := context.Background()
	table, refTable := Table{}, Table{}
	for _, n := range envSizes() {
		measureSize(ctx, b, sides{bin, refBin}, n, fams, base, table, refTable)
	}
	against, what := base, "baseline "+baselinePath
	if ref != "" {
		against, what = Baseline(refTable.Medians()), "reference "+ref+" measured alongside"
	}
	lines := Compare(table, against)

	var rssLine string
	var rssOver bool
	if n := envInt("BENCHGUARD_RSS_SIZE", 100000); n > 0 {
		rss, peak, phases := measureRSS(ctx, b, bin, n, fams)
		limit := int64(envInt("BENCHGUARD_RSS_LIMIT", 400))
		rssOver = rss > limit
		verdict := "within"
		if rssOver {
			verdict = "OVER"
		}
		rssLine = fmt.Sprintf("RSS of dataplane at %d backends after every family ran: %d MiB (peak %d MiB), %s the %d MiB target\n%s",
			n, rss, peak, verdict, limit, phases)
		b.ReportMetric(float64(rss), "RSS-MiB")
	}

	fmt.Printf("\nResources at %v backends: median ms (samples), %s, Δ; SLOWER: >%.0f%% and >%.2f ms over it\n",
		envSizes(), what, 100*Threshold, MinDelta)
	if err := Render(os.Stdout, lines); err != nil {
		b.Fatal(err)
	}
	if rssLine != "" {
		fmt.Println(rssLine)
	}
	if os.Getenv("BENCHGUARD_UPDATE") == "1" {
		host, _ := os.Hostname()
		comment := fmt.Sprintf("Medians (ms) of BenchmarkResources (internal/benchguard), %s on %s, %d CPUs.\ncommit: %s\nRefresh: make bench-baseline. Columns: family, op, backends, ms.",
			time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), headCommit())
		if err := WriteBaseline(baselinePath, mergeBaseline(base, table), comment); err != nil {
			b.Fatal(err)
		}
		fmt.Println("baseline written to internal/benchguard/" + baselinePath)
	}
	if os.Getenv("BENCHGUARD_CHECK") == "1" {
		var slower []string
		for _, l := range lines {
			if l.Slower && l.Family != Calibration {
				slower = append(slower, fmt.Sprintf("%s %s at %d", l.Family, l.Op, l.Size))
			}
		}
		if len(slower) > 0 {
			b.Errorf("slower than the %s by more than %.0f%%: %s", what, 100*Threshold, strings.Join(slower, "; "))
		}
		if rssOver {
			b.Errorf("%s", rssLine)
		}
	}
}

// mergeBaseline keeps the baseline's rows that were not measured (other
// sizes, families filtered out) and takes the new figures of the others.
func mergeBaseline(base Baseline, t Table) map[Row]float64 {
	out := map[Row]float64{}
	for row, v := range base {
		out[row] = v
	}
	for row, v := range t.Medians() {
		out[row] = v
	}
	return out
}

// sides are the binaries measured: this tree's, and the reference's
// when there is one ("" otherwise).
type sides struct{ head, ref string }

// measureSize measures every family at n backends, this tree's binary
// and the reference's (when there is one) each on its own HAProxy,
// alternating one round of each; rows slower than what they are compared
// with (the reference's figures of this run, else the baseline) are
// measured again, twice at most.
func measureSize(ctx context.Context, b *testing.B, bins sides, n int, fams []Family, base Baseline, table, refTable Table) {
	head := startRunner(ctx, b, bins.head, n, fams, false)
	runners := []*Runner{head}
	tables := map[*Runner]Table{head: table}
	if bins.ref != "" {
		ref := startRunner(ctx, b, bins.ref, n, fams, true)
		runners = append(runners, ref)
		tables[ref] = refTable
	}
	staged, commits := rounds(n)
	for pass := 0; pass < 3; pass++ {
		onlyStaged, onlyCommits := map[string]bool(nil), map[string]bool(nil)
		if pass > 0 {
			against := base
			if bins.ref != "" {
				against = Baseline(refTable.Medians())
			}
			onlyStaged, onlyCommits = SlowerAt(Compare(table, against), n)
			delete(onlyStaged, Calibration)
			if len(onlyStaged) == 0 && len(onlyCommits) == 0 {
				return
			}
			b.Logf("%d backends: measuring again (pass %d): %v %v", n, pass+1, keys(onlyStaged), keys(onlyCommits))
		}
		res := map[*Runner]Results{}
		for _, r := range runners {
			res[r] = Results{}
		}
		// One round at a time, the two binaries taking turns (and turns
		// about going first), so that a slow moment of the machine falls
		// on both.
		turn := func(i int, run func(r *Runner) error) {
			order := runners
			if i%2 == 1 && len(runners) == 2 {
				order = []*Runner{runners[1], runners[0]}
			}
			for _, r := range order {
				if err := run(r); err != nil {
					b.Fatal(err)
				}
			}
		}
		if pass == 0 || len(onlyStaged) > 0 {
			for i := range staged {
				turn(i, func(r *Runner) error { return r.Staged(ctx, 1, onlyStaged, res[r]) })
			}
		}
		if pass == 0 || len(onlyCommits) > 0 {
			for i := range commits {
				turn(i, func(r *Runner) error { return r.Commits(ctx, 1, onlyCommits, res[r]) })
			}
		}
		for _, r := range runners {
			tables[r].Merge(res[r])
		}
	}
}

// startRunner starts HAProxy on a generated file of n backends and the
// dataplane binary bin on it (both stopped when the benchmark ends), and
// prepares fams on it; tolerant leaves out the families bin does not
// serve.
func startRunner(ctx context.Context, b *testing.B, bin string, n int, fams []Family, tolerant bool) *Runner {
	in := haproxytest.New(b)
	in.StartTimeout = 2 * time.Minute
	opts := cfggen.Realistic(cfggen.Options{StatsSocket: in.StatsSocket, FrontendPort: haproxytest.FreePort(b)})
	start := time.Now()
	in.Start(string(cfggen.Generate(n, opts)))
	b.Logf("%d backends: HAProxy up in %s", n, time.Since(start).Round(time.Millisecond))
	dp := startDataplane(b, bin, in.Dir, in.ConfigPath, fmt.Sprintf("master_runtime = %q", in.MasterSocket), "")
	b.Cleanup(dp.stop)
	r := &Runner{Client: dp.client, Size: n, Logf: b.Logf, Tolerant: tolerant}
	if err := r.Prepare(ctx, fams); err != nil {
		b.Fatal(err)
	}
	return r
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// measureRSS runs every family on n backends without HAProxy (a file of
// 100,000 backends takes HAProxy minutes to start): the custom reload
// strategy with `true` as command, no stats socket, so the runtime
// families are left out. It returns VmRSS and VmHWM of the dataplane
// process in MiB, after three staged rounds of every family and one
// commit of a new item of each.
func measureRSS(ctx context.Context, b *testing.B, bin string, n int, fams []Family) (rss, peak int64, phases string) {
	dir := haproxytest.TempDir(b)
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, cfggen.Generate(n, cfggen.Realistic(cfggen.Options{})), 0o644); err != nil {
		b.Fatal(err)
	}
	dp := startDataplane(b, bin, dir, cfg, "", `reload_strategy = "custom"
    reload_cmd = "true"`)
	defer dp.stop()
	var conf []Family
	for _, f := range fams {
		if f.Staged() {
			conf = append(conf, f)
		}
	}
	r := &Runner{Client: dp.client, Size: n, Logf: b.Logf, ReloadTimeout: 5 * time.Minute}
	started := dp.memory(ctx, b)
	if err := r.Prepare(ctx, conf); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d backends: read the file and an item of each family: %s", n, dp.memory(ctx, b))
	start := time.Now()
	// A first round family by family, to tell which one costs memory.
	for _, f := range conf {
		if err := r.Staged(ctx, 1, map[string]bool{f.Name: true}, Results{}); err != nil {
			b.Fatal(err)
		}
		b.Logf("%d backends: after a round of %s: %s", n, f.Name, dp.memory(ctx, b))
	}
	if err := r.Staged(ctx, 2, nil, Results{}); err != nil {
		b.Fatal(err)
	}
	staged := dp.memory(ctx, b)
	took, err := r.CommitAll(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d backends: every family in %s, the commit answered in %s", n, time.Since(start).Round(time.Millisecond), took.Round(time.Millisecond))
	phases = fmt.Sprintf("  started: %s\n  after 3 staged rounds of every family: %s\n  after a commit of every family: %s",
		started, staged, dp.memory(ctx, b))
	rss, peak = procKiB(b, dp.pid, "VmRSS")>>10, procKiB(b, dp.pid, "VmHWM")>>10
	return rss, peak, phases
}

// memory describes the process's memory: RSS, and the Go heap as its
// /metrics tells: in use, and the goal of the next collection (twice
// what was live after the last one, at the default GOGC).
func (dp *dataplane) memory(ctx context.Context, b *testing.B) string {
	out := fmt.Sprintf("RSS %d MiB", procKiB(b, dp.pid, "VmRSS")>>10)
	c := *dp.client
	c.Base = strings.TrimSuffix(c.Base, "/v3")
	r, err := c.do(ctx, http.MethodGet, "/metrics", nil)
	if err != nil || r.status != http.StatusOK {
		return out
	}
	for _, name := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_next_gc_bytes"} {
		for _, line := range strings.Split(string(r.body), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					out += fmt.Sprintf(", %s %.0f MiB", strings.TrimSuffix(strings.TrimPrefix(name, "go_memstats_"), "_bytes"), f/(1<<20))
				}
			}
		}
	}
	return out
}

// procKiB reads a field of /proc/<pid>/status, in KiB.
func procKiB(b *testing.B, pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				v, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return v
				}
			}
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// buildDataplane builds the dataplane binary for this run.
func buildDataplane(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "dataplane")
	if out, err := exec.Command("go", "build", "-o", bin, "dataplane/cmd/dataplane").CombinedOutput(); err != nil {
		b.Fatalf("build dataplane: %v\n%s", err, out)
	}
	return bin
}

// buildRevision builds the dataplane binary of git revision rev, from
// its tree exported to a temporary directory (the work tree is left
// alone).
func buildRevision(b *testing.B, rev string) string {
	src := b.TempDir()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		b.Fatalf("BENCHGUARD_REF needs the git repository: %v", err)
	}
	archive := exec.Command("git", "archive", "--format=tar", rev)
	archive.Dir = strings.TrimSpace(string(top)) // the whole tree, not this directory's
	untar := exec.Command("tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	untar.Stdin = pipe
	var stderr strings.Builder
	archive.Stderr = &stderr
	if err := untar.Start(); err != nil {
		b.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		b.Fatalf("git archive %s: %v %s", rev, err, stderr.String())
	}
	if err := untar.Wait(); err != nil {
		b.Fatalf("unpack %s: %v", rev, err)
	}
	bin := filepath.Join(b.TempDir(), "dataplane-"+rev)
	build := exec.Command("go", "build", "-o", bin, "./cmd/dataplane")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build dataplane at %s: %v\n%s", rev, err, out)
	}
	b.Logf("reference: dataplane at %s", rev)
	return bin
}

// headCommit names the commit the work tree is at, and says so when the
// tree has changes the commit does not hold.
func headCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

type dataplane struct {
	pid    int
	client *Client
	stop   func()
}

// startDataplane starts the binary on cfg with an HCL file in dir (extra
// goes into its haproxy block, reload into the reload block) and waits
// until it answers.
func startDataplane(b *testing.B, bin, dir, cfg, extra, reload string) *dataplane {
	port := haproxytest.FreePort(b)
	hcl := filepath.Join(dir, "dataplane.hcl")
	text := fmt.Sprintf(`dataplaneapi {
  port = %d
  user "admin" {
    password = "adminpwd"
    insecure = true
  }
  transaction {
    transaction_dir = %q
  }
}
haproxy {
  config_file = %q
  %s
  reload {
    reload_delay = 0
    %s
  }
}
log {
  log_level = "warn"
}
`, port, filepath.Join(dir, "tx"), cfg, extra, reload)
	if err := os.WriteFile(hcl, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "dataplane.log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", hcl)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	dp := &dataplane{
		pid:    cmd.Process.Pid,
		client: &Client{Base: fmt.Sprintf("http://127.0.0.1:%d/v3", port), User: "admin", Pass: "adminpwd", HTTP: &http.Client{Timeout: 10 * time.Minute}},
	}
	dp.stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		r, err := dp.client.do(cctx, http.MethodGet, "/info", nil)
		cancel()
		if err == nil && r.status == http.StatusOK {
			return dp
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "dataplane.log"))
			b.Fatalf("dataplane exited at start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			dp.stop()
			b.Fatalf("dataplane not answering after 2 minutes (last: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
