package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// scrape GETs /metrics and parses it with the Prometheus text parser; a
// page that does not parse fails the test.
func scrapeMetrics(t *testing.T, e *apitest.Env, auth bool) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, err := http.NewRequest("GET", e.Server.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth(apitest.User, apitest.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics content type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return 200, fams
}

// value returns the value of the series of name whose labels include
// labels; -1 when there is none.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, lp := range m.Label {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func TestMetricsMoveWithTraffic(t *testing.T) {
	l := startRuntimeLab(t, stayDown)
	e := l.e
	if status, _ := scrapeMetrics(t, e, false); status != http.StatusUnauthorized {
		t.Fatalf("/metrics without credentials: %d, want 401", status)
	}
	_, before := scrapeMetrics(t, e, true)
	for _, name := range []string{"haproxy_up", "haproxy_frontend_http_requests_total", "haproxy_backend_up",
		"haproxy_server_up", "dataplane_up", "dataplane_configuration_version", "dataplane_transactions_open",
		"dataplane_build_info", "go_goroutines"} {
		if before[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v := metricValue(before, "haproxy_up", nil); v != 1 {
		t.Fatalf("haproxy_up %v", v)
	}
	if f := before["haproxy_server_http_responses_total"]; f == nil || f.GetType() != dto.MetricType_COUNTER ||
		f.GetHelp() != "Total of HTTP responses." {
		t.Fatalf("haproxy_server_http_responses_total: %v", f)
	}
	if f := before["haproxy_backend_current_queue"]; f == nil || f.GetType() != dto.MetricType_GAUGE {
		t.Fatalf("haproxy_backend_current_queue: %v", f)
	}
	if v := metricValue(before, "haproxy_backend_up", map[string]string{"backend": "be_app"}); v != 1 {
		t.Fatalf("haproxy_backend_up{backend=be_app} %v", v)
	}
	if v := metricValue(before, "haproxy_server_up", map[string]string{"backend": "be_app", "server": "s1"}); v != 1 {
		t.Fatalf("haproxy_server_up{be_app/s1} (no check) %v", v)
	}

	// Real traffic through HAProxy, and a few API calls.
	const n = 7
	for i := 0; i < n; i++ {
		if st, _, err := haproxytest.HTTPGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", l.fePort)); err != nil || st != 200 {
			t.Fatalf("request %d: %d %v", i, st, err)
		}
	}
	for i := 0; i < 3; i++ {
		l.e.Get(rtPath + "be_app/servers")
	}
	_, after := scrapeMetrics(t, e, true)
	fe := map[string]string{"frontend": "fe"}
	rise := func(name string, labels map[string]string, atLeast float64) {
		t.Helper()
		b, a := metricValue(before, name, labels), metricValue(after, name, labels)
		if a-b < atLeast {
			t.Errorf("%s%v went from %v to %v, want +%v", name, labels, b, a, atLeast)
		}
	}
	rise("haproxy_frontend_http_requests_total", fe, n)
	rise("haproxy_frontend_http_responses_total", map[string]string{"frontend": "fe", "code": "2xx"}, n)
	rise("haproxy_frontend_bytes_in_total", fe, 1)
	rise("haproxy_frontend_bytes_out_total", fe, 1)
	rise("haproxy_backend_http_responses_total", map[string]string{"backend": "be_app", "code": "2xx"}, n)
	rise("haproxy_backend_bytes_out_total", map[string]string{"backend": "be_app"}, 1)
	srvResp := func(fams map[string]*dto.MetricFamily) float64 {
		return metricValue(fams, "haproxy_server_http_responses_total", map[string]string{"backend": "be_app", "server": "s1", "code": "2xx"}) +
			metricValue(fams, "haproxy_server_http_responses_total", map[string]string{"backend": "be_app", "server": "s2", "code": "2xx"})
	}
	if srvResp(after)-srvResp(before) < n {
		t.Errorf("server 2xx responses went from %v to %v", srvResp(before), srvResp(after))
	}
	route := map[string]string{"route": "/v3/services/haproxy/runtime/backends/{parent_name}/servers", "code": "200"}
	if v := metricValue(after, "dataplane_http_requests_total", route); v < 3 {
		t.Errorf("dataplane_http_requests_total%v = %v", route, v)
	}
	if v := metricValue(after, "dataplane_http_request_duration_seconds", map[string]string{"route": route["route"]}); v < 3 {
		t.Errorf("request duration histogram count %v", v)
	}
	rise("dataplane_runtime_commands_total", map[string]string{"command": "show servers", "outcome": "ok"}, 3)
	rise("dataplane_runtime_commands_total", map[string]string{"command": "show stat", "outcome": "ok"}, 1)
	// Route labels are patterns, never raw paths.
	for _, m := range after["dataplane_http_requests_total"].Metric {
		for _, lp := range m.Label {
			if lp.GetName() == "route" && strings.Contains(lp.GetValue(), "be_app") {
				t.Errorf("raw path in a route label: %s", lp.GetValue())
			}
		}
	}

	// A commit and its reload, and a commit HAProxy refuses.
	raw := e.Get("/services/haproxy/configuration/raw")
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw" + vq(t, e) + "&force_reload=true", Body: string(raw.Body) + "\nbackend be_new\n"})
	mustStatus(t, r, 201, "raw POST")
	r = e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw" + vq(t, e), Body: string(raw.Body) + "\nbackend be_bad\n    bogus_keyword\n"})
	mustStatus(t, r, 400, "raw POST of a bad file")
	// A reload's outcome is recorded once it finished.
	var last map[string]*dto.MetricFamily
	haproxytest.WaitFor(t, 10*time.Second, "reload counted", func() bool {
		_, last = scrapeMetrics(t, e, true)
		return metricValue(last, "dataplane_reloads_total", map[string]string{"outcome": "succeeded"}) >= 1
	})
	if v := metricValue(last, "dataplane_commits_total", map[string]string{"outcome": "ok"}); v < 1 {
		t.Errorf("commits ok %v", v)
	}
	if v := metricValue(last, "dataplane_commits_total", map[string]string{"outcome": "invalid"}); v != 1 {
		t.Errorf("commits invalid %v", v)
	}
	if v := metricValue(last, "dataplane_reload_duration_seconds", map[string]string{"outcome": "succeeded"}); v < 1 {
		t.Errorf("reload duration count %v", v)
	}
	if v := metricValue(last, "dataplane_last_reload_successful", nil); v != 1 {
		t.Errorf("last reload successful %v", v)
	}
	if v := metricValue(last, "dataplane_configuration_version", nil); v < 2 {
		t.Errorf("configuration version %v", v)
	}
	// HAProxy 2.6 reports a backend without servers as UP.
	if v := metricValue(last, "haproxy_backend_up", map[string]string{"backend": "be_new"}); v != 1 {
		t.Errorf("be_new after the reload: haproxy_backend_up %v, want 1", v)
	}

	// HAProxy gone: haproxy_up 0, nothing else from HAProxy, dataplane's
	// own metrics still there.
	e.HAProxy.Stop()
	_, down := scrapeMetrics(t, e, true)
	if v := metricValue(down, "haproxy_up", nil); v != 0 {
		t.Fatalf("haproxy_up with HAProxy stopped: %v", v)
	}
	if down["haproxy_backend_up"] != nil || down["dataplane_http_requests_total"] == nil {
		t.Fatal("HAProxy series left, or dataplane's own series missing, with HAProxy stopped")
	}
}

func TestMetricsWithoutAuth(t *testing.T) {
	e, _ := start(t, func(st *settings.Settings) { st.Metrics.Auth = false })
	status, fams := scrapeMetrics(t, e, false)
	if status != 200 || metricValue(fams, "haproxy_up", nil) != 1 {
		t.Fatalf("metrics { auth = false }: %d, haproxy_up %v", status, metricValue(fams, "haproxy_up", nil))
	}
}
