package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// binary returns the path of a tool the tests need; a missing tool fails
// the test (`make test` installs the prometheus package, which has both).
func binary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (apt-get install -y prometheus, or run `make test`): %v", name, err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestRulesAndConfigPassPromtool(t *testing.T) {
	run(t, "promtool", "check", "rules", "alerts.yml")
	out := run(t, "promtool", "test", "rules", "alerts_test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: %s", out)
	}
	run(t, "promtool", "check", "config", "prometheus.yml")
}

var (
	alertRE     = regexp.MustCompile(`(?m)^\s*- alert: (\S+)`)
	alertnameRE = regexp.MustCompile(`(?m)^\s*alertname: (\S+)`)
	metricRE    = regexp.MustCompile(`\b(?:haproxy|dataplane)_[a-z0-9_]+`)
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEveryAlertHasAUnitTest: each alert of each rule file is evaluated by
// its promtool test file, both firing and quiet.
func TestEveryAlertHasAUnitTest(t *testing.T) {
	for _, c := range []struct {
		rules, tests string
		min          int
	}{
		{"alerts.yml", "alerts_test.yml", 5},
		{"cert-alerts.yml", "cert-alerts_test.yml", 1},
		{"fleet-alerts.yml", "fleet-alerts_test.yml", 4},
	} {
		t.Run(c.rules, func(t *testing.T) {
			rules := read(t, c.rules)
			alerts := alertRE.FindAllStringSubmatch(rules, -1)
			if len(alerts) < c.min {
				t.Fatalf("only %d alerts", len(alerts))
			}
			tests := read(t, c.tests)
			for _, a := range alerts {
				name := a[1]
				blocks := strings.Split(tests, "alertname: "+name+"\n")
				if len(blocks) < 3 {
					t.Errorf("alert %s is evaluated %d times in %s, want a quiet and a firing case", name, len(blocks)-1, c.tests)
					continue
				}
				fires, quiet := false, false
				for _, b := range blocks[1:] {
					b = strings.TrimSpace(b)
					switch {
					case strings.HasPrefix(b, "exp_alerts: []"):
						quiet = true
					case strings.HasPrefix(b, "exp_alerts:"):
						fires = true
					}
				}
				if !fires || !quiet {
					t.Errorf("alert %s: firing case %t, quiet case %t", name, fires, quiet)
				}
			}
			for _, m := range alertnameRE.FindAllStringSubmatch(tests, -1) {
				if !strings.Contains(rules, "- alert: "+m[1]+"\n") {
					t.Errorf("%s tests an unknown alert %s", c.tests, m[1])
				}
			}
		})
	}
}

// startDataplane runs HAProxy with nBackends HTTP backends and dataplane in
// front of it, and sends a little traffic so every counter exists.
func startDataplane(t *testing.T, nBackends int) (*apitest.Env, []string) {
	t.Helper()
	app := haproxytest.StartBackend(t, "app", nil)
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	cfg := in.Global() + fmt.Sprintf("\nfrontend fe\n    bind 127.0.0.1:%d\n    default_backend be_0\n", port)
	var backends []string
	for i := 0; i < nBackends; i++ {
		name := fmt.Sprintf("be_%d", i)
		backends = append(backends, name)
		cfg += fmt.Sprintf("\nbackend %s\n    server s1 %s\n", name, app.Addr())
	}
	e := apitest.Start(t, in, cfg, apitest.Options{})
	for i := 0; i < 3; i++ {
		if _, _, err := haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil {
			t.Fatal(err)
		}
	}
	e.Get("/health")
	e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
	return e, backends
}

// families scrapes dataplane's /metrics and returns the metric names on
// it, histograms with their _bucket, _sum and _count series.
func families(t *testing.T, e *apitest.Env) map[string]bool {
	t.Helper()
	var names map[string]bool
	for i := 0; i < 2; i++ { // the second scrape sees the first one's commands
		req, _ := http.NewRequest("GET", e.Server.URL+"/metrics", nil)
		req.SetBasicAuth(apitest.User, apitest.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		p := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := p.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = map[string]bool{}
		for name, f := range fams {
			names[name] = true
			if f.GetType().String() == "HISTOGRAM" {
				names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
			}
		}
	}
	return names
}

// exprs returns every "expr" of the dashboard.
func exprs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "expr" {
				*out = append(*out, s)
			} else {
				exprs(val, out)
			}
		}
	case []any:
		for _, val := range x {
			exprs(val, out)
		}
	}
}

// TestDashboardAndAlertsUseExportedMetrics: every metric the dashboard and
// the alerts query is one dataplane really exports.
func TestDashboardAndAlertsUseExportedMetrics(t *testing.T) {
	e, _ := startDataplane(t, 2)
	have := families(t, e)
	var dash any
	if err := json.Unmarshal([]byte(read(t, "grafana-dashboard.json")), &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	var queries []string
	exprs(dash, &queries)
	if len(queries) < 15 {
		t.Fatalf("the dashboard has only %d queries", len(queries))
	}
	check := func(file string, texts []string) {
		used := map[string]bool{}
		for _, q := range texts {
			for _, m := range metricRE.FindAllString(q, -1) {
				used[m] = true
			}
		}
		var missing []string
		for m := range used {
			if !have[m] {
				missing = append(missing, m)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s queries metrics dataplane does not export: %v", file, missing)
		}
		if len(used) < 5 {
			t.Errorf("%s uses only %d metrics", file, len(used))
		}
	}
	check("grafana-dashboard.json", queries)
	check("alerts.yml", []string{read(t, "alerts.yml")})
}

// TestPrometheusScrapesDataplane runs Debian's real prometheus against the
// in-process dataplane (loopback, basic auth, our alert rules, 1 s scrape
// interval) and reads haproxy_backend_up of every backend back from its
// query API.
func TestPrometheusScrapesDataplane(t *testing.T) {
	bin := binary(t, "prometheus")
	e, backends := startDataplane(t, 3)
	target, err := url.Parse(e.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rules, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte(apitest.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %s
scrape_configs:
  - job_name: dataplane
    metrics_path: /metrics
    basic_auth:
      username: %s
      password_file: %s
    static_configs:
      - targets: ["%s"]
`, rules, apitest.User, filepath.Join(dir, "password"), target.Host)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	port := haproxytest.FreePort(t)
	logs := &strings.Builder{}
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	type result struct {
		Metric map[string]string `json:"metric"`
		Value  []any             `json:"value"`
	}
	query := func(q string) ([]result, error) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", port, url.QueryEscape(q)))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		var body struct {
			Status string `json:"status"`
			Data   struct {
				Result []result `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &body); err != nil || body.Status != "success" {
			return nil, fmt.Errorf("query %s: %v %s", q, err, b)
		}
		return body.Data.Result, nil
	}
	deadline := time.Now().Add(60 * time.Second)
	var got []result
	for {
		select {
		case <-exited:
			t.Fatalf("prometheus exited:\n%s", logs)
		default:
		}
		got, err = query("haproxy_backend_up")
		if err == nil && len(got) == len(backends) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no haproxy_backend_up for %d backends after 60 s: %v %+v\nprometheus log:\n%s", len(backends), err, got, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	seen := map[string]bool{}
	for _, r := range got {
		if r.Metric["job"] != "dataplane" || len(r.Value) != 2 || r.Value[1] != "1" {
			t.Errorf("haproxy_backend_up series %+v", r)
		}
		seen[r.Metric["backend"]] = true
	}
	for _, b := range backends {
		if !seen[b] {
			t.Errorf("no haproxy_backend_up{backend=%q}: %+v", b, got)
		}
	}
	if up, err := query(`up{job="dataplane"}`); err != nil || len(up) != 1 || up[0].Value[1] != "1" {
		t.Errorf("up: %+v %v", up, err)
	}
	// The rules loaded, and none fires against a healthy HAProxy.
	if alerts, err := query("ALERTS"); err != nil || len(alerts) != 0 {
		t.Errorf("alerts against a healthy HAProxy: %+v %v", alerts, err)
	}
}
