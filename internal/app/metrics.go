package app

import (
	"time"

	"dataplane/internal/metrics"
	"dataplane/internal/reload"
)

// wireMetrics builds the /metrics registry and connects it to the hooks of
// the pipeline (commits), the reload scheduler, the runtime clients and, via
// the returned registry's ObserveHTTP, the HTTP layer.
func (a *App) wireMetrics(build Build) *metrics.Metrics {
	opts := metrics.Options{
		HAProxy:       a.runtimeClient,
		ConfigVersion: a.Pipeline.Live().Version,
		Version:       build.Version,
		Logger:        a.Log,
	}
	if a.Transactions != nil {
		opts.OpenTransactions = a.Transactions.Open
	}
	m := metrics.New(opts)
	a.Pipeline.SetCommitObserver(m.ObserveCommit)
	prev := a.Reloads.OnFinish
	a.Reloads.OnFinish = func(rec reload.Record, took time.Duration) {
		if prev != nil {
			prev(rec, took)
		}
		m.ObserveReload(rec, took)
	}
	if a.Stats != nil {
		a.Stats.SetObserver(m.ObserveRuntime)
	}
	if a.Master != nil {
		a.Master.SetObserver(m.ObserveRuntime)
	}
	a.Metrics = m
	return m
}
