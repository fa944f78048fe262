// Package metrics serves dataplane's Prometheus metrics: its own (HTTP
// requests, commits, reloads, runtime commands, open transactions) and
// HAProxy's frontend, backend and server figures, read from `show stat` at
// scrape time under the names of the Prometheus project's haproxy_exporter.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dataplane/internal/reload"
	hapruntime "dataplane/internal/runtime"
)

// Options says where the scrape-time figures come from. Every field may be
// left empty: the matching metrics are then not exported.
type Options struct {
	// HAProxy returns the runtime client to read `show stat` from at each
	// scrape; when it is nil or returns nil, haproxy_up is 0.
	HAProxy func() *hapruntime.Client
	// HAProxyTimeout bounds one `show stat` read; default 5 s.
	HAProxyTimeout time.Duration
	// OpenTransactions counts the transactions in progress.
	OpenTransactions func() int
	// ConfigVersion returns the live configuration version.
	ConfigVersion func() (int64, error)
	// Certificates lists the certificates whose expiry is exported
	// (dataplane_ssl_certificate_not_after_timestamp_seconds), at scrape
	// time, within HAProxyTimeout.
	Certificates func(ctx context.Context) []CertExpiry
	// Fleet, in fleet mode, reports the fleet (dataplane_fleet_*) at
	// scrape time.
	Fleet func(ctx context.Context) Fleet
	// Version is the dataplane version, for dataplane_build_info.
	Version string
	Logger  *slog.Logger
}

// Metrics is dataplane's registry and the instruments fed by the hooks of
// the other packages. Its Observe methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	commits        *prometheus.CounterVec
	reloads        *prometheus.CounterVec
	reloadDuration *prometheus.HistogramVec
	lastReloadOK   prometheus.Gauge
	runtimeCmds    *prometheus.CounterVec
}

// New builds a registry of its own (never the global one, so tests and
// several instances stay apart) with every dataplane metric, the Go and
// process collectors, and the HAProxy collector.
func New(opts Options) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dataplane_http_requests_total",
		Help: "HTTP requests answered by dataplane, by route pattern and status code.",
	}, []string{"route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dataplane_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route"})
	m.commits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dataplane_commits_total",
		Help: "Configuration commits (validated writes of haproxy.cfg), by outcome: ok, invalid (refused by haproxy -c), error.",
	}, []string{"outcome"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dataplane_reloads_total",
		Help: "HAProxy reloads run by dataplane, by outcome: succeeded, failed.",
	}, []string{"outcome"})
	m.reloadDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dataplane_reload_duration_seconds",
		Help:    "Time from the start of a reload to its verified outcome, by outcome.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"outcome"})
	m.lastReloadOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dataplane_last_reload_successful",
		Help: "1 when the last reload succeeded (or none ran yet), 0 when it failed.",
	})
	m.lastReloadOK.Set(1)
	m.runtimeCmds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dataplane_runtime_commands_total",
		Help: "Commands sent to HAProxy's runtime socket, by command verb and outcome: ok, rejected (HAProxy answered with an error), error (no answer).",
	}, []string{"command", "outcome"})
	// Known outcomes start at 0, so that increase() sees the first one.
	for _, o := range []string{"ok", "invalid", "error"} {
		m.commits.WithLabelValues(o)
	}
	for _, o := range []string{reload.StatusSucceeded, reload.StatusFailed} {
		m.reloads.WithLabelValues(o)
	}
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "dataplane_up", Help: "1 while dataplane serves metrics."})
	up.Set(1)
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dataplane_build_info",
		Help: "dataplane's version and the Go version it was built with; the value is 1.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(opts.Version, runtime.Version()).Set(1)

	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.commits, m.reloads, m.reloadDuration,
		m.lastReloadOK, m.runtimeCmds, up, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.OpenTransactions != nil {
		f := opts.OpenTransactions
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dataplane_transactions_open",
			Help: "Transactions in progress.",
		}, func() float64 { return float64(f()) }))
	}
	if opts.ConfigVersion != nil {
		m.reg.MustRegister(&versionCollector{
			get:  opts.ConfigVersion,
			desc: prometheus.NewDesc("dataplane_configuration_version", "The `# _version` of the live haproxy.cfg.", nil, nil),
		})
	}
	timeout := opts.HAProxyTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	m.reg.MustRegister(newHAProxyCollector(opts.HAProxy, timeout, opts.Logger))
	if opts.Certificates != nil {
		m.reg.MustRegister(newCertCollector(opts.Certificates, timeout))
	}
	if opts.Fleet != nil {
		m.reg.MustRegister(newFleetCollector(opts.Fleet, timeout))
	}
	return m
}

// Registry returns the registry, e.g. to gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (or what the
// scraper negotiates). A failing collector does not hide the others.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		// Each scrape reads the whole `show stat` (one at a time): a
		// few waiting scrapes are plenty, more get 503 at once.
		MaxRequestsInFlight: 4,
	})
}

// ObserveHTTP counts one answered request. route must be a route pattern
// (bounded), never a raw path.
func (m *Metrics) ObserveHTTP(route string, status int, took time.Duration) {
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
}

// ObserveCommit counts one commit (transaction.Store.SetCommitObserver):
// outcome is "ok", "invalid" or "error".
func (m *Metrics) ObserveCommit(outcome string) {
	m.commits.WithLabelValues(outcome).Inc()
}

// ObserveReload counts one finished reload (reload.Scheduler.OnFinish).
func (m *Metrics) ObserveReload(rec reload.Record, took time.Duration) {
	outcome := rec.Status
	if outcome != reload.StatusSucceeded {
		outcome = reload.StatusFailed
	}
	m.reloads.WithLabelValues(outcome).Inc()
	m.reloadDuration.WithLabelValues(outcome).Observe(took.Seconds())
	if outcome == reload.StatusSucceeded {
		m.lastReloadOK.Set(1)
	} else {
		m.lastReloadOK.Set(0)
	}
}

// ObserveRuntime counts one runtime command (runtime.Client.SetObserver):
// cmd is its verb; a *runtime.CommandError is "rejected", any other error
// "error".
func (m *Metrics) ObserveRuntime(cmd string, err error) {
	outcome := "ok"
	var ce *hapruntime.CommandError
	switch {
	case errors.As(err, &ce):
		outcome = "rejected"
	case err != nil:
		outcome = "error"
	}
	m.runtimeCmds.WithLabelValues(cmd, outcome).Inc()
}

// versionCollector reads the configuration version at scrape time and
// exports nothing when it cannot be read.
type versionCollector struct {
	get  func() (int64, error)
	desc *prometheus.Desc
}

func (c *versionCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *versionCollector) Collect(ch chan<- prometheus.Metric) {
	if v, err := c.get(); err == nil {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(v))
	}
}
