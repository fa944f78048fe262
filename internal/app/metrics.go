package app

import (
	"context"

	"dataplane/internal/certstore"
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
	opts.Certificates = a.certificateExpiries
	if a.Fleet != nil {
		opts.Fleet = a.fleetMetrics
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

// certificateExpiries lists the not-after time of every certificate the
// running HAProxy holds (`show ssl cert`, which is what serves), then of
// every stored certificate file (parsed; kept even when HAProxy does not
// use it yet).
func (a *App) certificateExpiries(ctx context.Context) []metrics.CertExpiry {
	var out []metrics.CertExpiry
	if c := a.runtimeClient(); c != nil {
		if certs, err := c.ShowSSLCerts(ctx); err == nil {
			for _, f := range certs.Files {
				in, err := c.ShowSSLCert(ctx, f)
				if err == nil && in.NotAfter != nil {
					out = append(out, metrics.CertExpiry{File: f, NotAfter: *in.NotAfter})
				}
			}
		}
	}
	if a.SSLStore != nil {
		entries, _ := a.SSLStore.List()
		for _, e := range entries {
			data, err := a.SSLStore.Read(e.Name)
			if err != nil {
				continue
			}
			if b, err := certstore.Parse(data); err == nil {
				out = append(out, metrics.CertExpiry{File: e.Path, NotAfter: b.Certs[0].NotAfter})
			}
		}
	}
	return out
}
