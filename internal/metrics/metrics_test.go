package metrics_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"dataplane/internal/haproxytest"
	"dataplane/internal/metrics"
	"dataplane/internal/reload"
	"dataplane/internal/runtime"
)

// scrape serves m once and parses the page with the Prometheus text parser.
func scrape(t testing.TB, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

func series(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	f := fams[name]
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		var kv []string
		for _, lp := range m.Label {
			kv = append(kv, lp.GetName()+"="+lp.GetValue())
		}
		v := m.GetGauge().GetValue()
		if m.Counter != nil {
			v = m.Counter.GetValue()
		}
		out[strings.Join(kv, ",")] = v
	}
	return out
}

func TestHAProxyMetricsFollowTheExporter(t *testing.T) {
	app := haproxytest.StartBackend(t, "app", nil)
	in := haproxytest.New(t)
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
    server up1 %s
    server drained %s
    server off %s
    server dead 127.0.0.1:%d check inter 100ms fall 1

backend be_tcp
    mode tcp
    server t1 %s
`, haproxytest.FreePort(t), app.Addr(), app.Addr(), app.Addr(), haproxytest.FreePort(t), app.Addr()))
	in.Stats("set server be/drained state drain")
	in.Stats("set server be/off state maint")
	haproxytest.WaitFor(t, 5*time.Second, "be/dead marked down", func() bool {
		return strings.Contains(in.Stats("show stat be 4 -1"), "DOWN")
	})
	c := runtime.New(in.StatsSocket)
	m := metrics.New(metrics.Options{HAProxy: func() *runtime.Client { return c }})
	fams := scrape(t, m)

	if got := series(fams, "haproxy_up"); got[""] != 1 {
		t.Fatalf("haproxy_up %v", got)
	}
	up := series(fams, "haproxy_server_up")
	want := map[string]float64{
		"backend=be,server=up1": 1, "backend=be,server=drained": 1, "backend=be,server=off": 0,
		"backend=be,server=dead": 0, "backend=be_tcp,server=t1": 1,
	}
	if fmt.Sprint(up) != fmt.Sprint(want) {
		t.Fatalf("haproxy_server_up %v, want %v", up, want)
	}
	if got := series(fams, "haproxy_backend_up"); got["backend=be"] != 1 || len(got) != 2 {
		t.Fatalf("haproxy_backend_up %v", got)
	}
	if got := series(fams, "haproxy_server_weight"); got["backend=be,server=up1"] != 1 {
		t.Fatalf("haproxy_server_weight %v", got)
	}
	codes := series(fams, "haproxy_frontend_http_responses_total")
	for _, code := range []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"} {
		if _, ok := codes["code="+code+",frontend=fe"]; !ok {
			t.Errorf("no haproxy_frontend_http_responses_total{code=%q}: %v", code, codes)
		}
	}
	// A tcp backend has no HTTP response counters; an empty column makes
	// no series.
	for k := range series(fams, "haproxy_server_http_responses_total") {
		if strings.Contains(k, "be_tcp") {
			t.Errorf("tcp server with HTTP responses: %s", k)
		}
	}
	if _, ok := series(fams, "haproxy_server_check_duration_seconds")["backend=be,server=dead"]; !ok {
		t.Error("no check duration for the checked server")
	}

	// Names, label names, types and help texts of the exporter.
	labels := map[string]string{"frontend": "frontend", "backend": "backend", "server": "backend,server"}
	for name, f := range fams {
		if !strings.HasPrefix(name, "haproxy_") || name == "haproxy_up" {
			continue
		}
		kind := strings.SplitN(name, "_", 3)[1]
		wantType := dto.MetricType_GAUGE
		if strings.HasSuffix(name, "_total") {
			wantType = dto.MetricType_COUNTER
		}
		if f.GetType() != wantType {
			t.Errorf("%s is a %s", name, f.GetType())
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
		for _, mt := range f.Metric {
			var names []string
			for _, lp := range mt.Label {
				if lp.GetName() != "code" {
					names = append(names, lp.GetName())
				}
			}
			if strings.Join(names, ",") != labels[kind] {
				t.Errorf("%s has labels %v", name, names)
			}
		}
	}
	for _, name := range []string{
		"haproxy_frontend_current_sessions", "haproxy_frontend_bytes_in_total", "haproxy_frontend_http_requests_total",
		"haproxy_frontend_connections_total", "haproxy_frontend_requests_denied_total", "haproxy_backend_current_queue",
		"haproxy_backend_current_server", "haproxy_backend_http_total_time_average_seconds", "haproxy_server_current_queue",
		"haproxy_server_server_selected_total", "haproxy_server_downtime_seconds_total", "haproxy_server_check_failures_total",
	} {
		if fams[name] == nil {
			t.Errorf("%s is missing", name)
		}
	}
	if h := fams["haproxy_server_http_responses_total"].GetHelp(); h != "Total of HTTP responses." {
		t.Errorf("help %q", h)
	}
}

// cutSocket answers `show stat` with a header and one row, then closes the
// connection before HAProxy's final empty line.
func cutSocket(t *testing.T) string {
	t.Helper()
	path := filepath.Join(haproxytest.TempDir(t), "cut.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 256)
			_, _ = c.Read(buf)
			_, _ = io.WriteString(c, "# pxname,svname,scur,type,\nfe,FRONTEND,3,0,\n")
			c.Close()
		}
	}()
	return path
}

func TestHAProxyDownMeansUpZeroAndNothingElse(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for _, src := range []struct {
		name   string
		client func() *runtime.Client
	}{
		{"no client", func() *runtime.Client { return nil }},
		{"missing socket", func() *runtime.Client { return runtime.New("/nonexistent/haproxy.sock") }},
		{"reply cut short", func() *runtime.Client { return runtime.New(cutSocket(t)) }},
	} {
		logs.Reset()
		c := src.client()
		m := metrics.New(metrics.Options{HAProxy: func() *runtime.Client { return c }, Logger: log, HAProxyTimeout: time.Second})
		for i := 0; i < 3; i++ {
			fams := scrape(t, m)
			if got := series(fams, "haproxy_up"); got[""] != 0 {
				t.Fatalf("%s: haproxy_up %v", src.name, got)
			}
			for name := range fams {
				if strings.HasPrefix(name, "haproxy_") && name != "haproxy_up" {
					t.Fatalf("%s: %s exported while HAProxy cannot be read", src.name, name)
				}
			}
		}
		if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
			t.Errorf("%s: %d warnings for 3 failed scrapes, want 1:\n%s", src.name, n, logs.String())
		}
	}
}

func TestDataplaneMetrics(t *testing.T) {
	version := int64(7)
	open := 2
	m := metrics.New(metrics.Options{
		OpenTransactions: func() int { return open },
		ConfigVersion:    func() (int64, error) { return version, nil },
		Version:          "1.2.3",
	})
	m.ObserveHTTP("/v3/health", 200, 3*time.Millisecond)
	m.ObserveHTTP("/v3/health", 200, 2*time.Second)
	m.ObserveHTTP("unmatched", 404, time.Millisecond)
	m.ObserveCommit("ok")
	m.ObserveCommit("invalid")
	m.ObserveReload(reload.Record{Status: reload.StatusSucceeded}, 300*time.Millisecond)
	m.ObserveReload(reload.Record{Status: reload.StatusFailed}, time.Second)
	m.ObserveRuntime("set server", nil)
	m.ObserveRuntime("set server", &runtime.CommandError{Command: "set server x", Reply: "No such server."})
	m.ObserveRuntime("show stat", errors.New("dial: refused"))
	fams := scrape(t, m)

	check := func(name string, want map[string]float64) {
		t.Helper()
		got := series(fams, name)
		keys := make([]string, 0, len(want))
		for k := range want {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if got[k] != want[k] {
				t.Errorf("%s{%s} = %v, want %v (all: %v)", name, k, got[k], want[k], got)
			}
		}
	}
	check("dataplane_http_requests_total", map[string]float64{"code=200,route=/v3/health": 2, "code=404,route=unmatched": 1})
	check("dataplane_commits_total", map[string]float64{"outcome=ok": 1, "outcome=invalid": 1})
	check("dataplane_reloads_total", map[string]float64{"outcome=succeeded": 1, "outcome=failed": 1})
	check("dataplane_last_reload_successful", map[string]float64{"": 0})
	check("dataplane_runtime_commands_total", map[string]float64{
		"command=set server,outcome=ok": 1, "command=set server,outcome=rejected": 1, "command=show stat,outcome=error": 1})
	check("dataplane_transactions_open", map[string]float64{"": 2})
	check("dataplane_configuration_version", map[string]float64{"": 7})
	check("dataplane_up", map[string]float64{"": 1})
	check("haproxy_up", map[string]float64{"": 0})
	h := fams["dataplane_http_request_duration_seconds"].Metric[0].GetHistogram()
	if h.GetSampleCount() != 2 || h.GetSampleSum() < 2 {
		t.Errorf("duration histogram %v", h)
	}
	if fams["dataplane_build_info"] == nil || fams["process_open_fds"] == nil {
		t.Error("build info or process metrics missing")
	}
	// A reload that succeeds again clears the failure flag.
	m.ObserveReload(reload.Record{Status: reload.StatusSucceeded}, time.Second)
	if got := series(scrape(t, m), "dataplane_last_reload_successful"); got[""] != 1 {
		t.Errorf("last reload successful after a success: %v", got)
	}
	// Each instance has its own registry.
	other := metrics.New(metrics.Options{})
	if got := series(scrape(t, other), "dataplane_commits_total"); got["outcome=ok"] != 0 || len(got) != 3 {
		t.Errorf("registries are shared: %v", got)
	}
}
