package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CertExpiry is the end of validity of one certificate file.
type CertExpiry struct {
	File     string
	NotAfter time.Time
}

// certCollector exports, at scrape time, the not-after time of every
// certificate its source lists, one series per file: an alert compares
// it with time() (deploy/cert-alerts.yml).
type certCollector struct {
	source  func(ctx context.Context) []CertExpiry
	timeout time.Duration
	desc    *prometheus.Desc
}

func newCertCollector(source func(context.Context) []CertExpiry, timeout time.Duration) *certCollector {
	return &certCollector{source: source, timeout: timeout, desc: prometheus.NewDesc(
		"dataplane_ssl_certificate_not_after_timestamp_seconds",
		"The end of validity (notAfter, Unix seconds) of each certificate HAProxy holds or the certificate storage keeps, by file.",
		[]string{"file"}, nil)}
}

func (c *certCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *certCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	seen := map[string]bool{}
	for _, e := range c.source(ctx) {
		if seen[e.File] {
			continue // a file is one series, whatever lists it twice
		}
		seen[e.File] = true
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(e.NotAfter.Unix()), e.File)
	}
}
