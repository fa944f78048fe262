package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Fleet is what fleet mode exports: the desired version, whether etcd
// answers this node, and every node's report.
type Fleet struct {
	Desired        int64
	StoreReachable bool
	// Refused: this node takes no part in the fleet, as another running
	// node reports under its name.
	Refused bool
	Nodes   []FleetNode
}

// FleetNode is one node's report.
type FleetNode struct {
	Node          string
	Applied       int64   // the version its HAProxy runs
	Lag           int64   // versions behind the desired one
	BehindSeconds float64 // how long the desired version has waited for it
	InSync        bool
	Failed        bool // it could not apply the desired version
	Up            bool // it reported within three resync periods
}

// fleetCollector exports the fleet at scrape time.
type fleetCollector struct {
	source                                                                func(context.Context) Fleet
	timeout                                                               time.Duration
	desired, reachable, refused, applied, lag, behind, inSync, failed, up *prometheus.Desc
}

func newFleetCollector(source func(context.Context) Fleet, timeout time.Duration) *fleetCollector {
	node := []string{"node"}
	return &fleetCollector{
		source: source, timeout: timeout,
		desired:   prometheus.NewDesc("dataplane_fleet_desired_version", "The fleet's desired configuration version, as this node last read it.", nil, nil),
		reachable: prometheus.NewDesc("dataplane_fleet_store_reachable", "1 when etcd answered this node's last request, else 0.", nil, nil),
		refused:   prometheus.NewDesc("dataplane_fleet_name_refused", "1 when this node takes no part in the fleet because another running node reports under its name.", nil, nil),
		applied:   prometheus.NewDesc("dataplane_fleet_node_applied_version", "The configuration version each node's HAProxy runs.", node, nil),
		lag:       prometheus.NewDesc("dataplane_fleet_node_lag_versions", "How many versions behind the desired one each node runs (0 in sync).", node, nil),
		behind:    prometheus.NewDesc("dataplane_fleet_node_behind_seconds", "How long the desired version has waited for each node (0 in sync).", node, nil),
		inSync:    prometheus.NewDesc("dataplane_fleet_node_in_sync", "1 when the node's HAProxy runs the desired configuration.", node, nil),
		failed:    prometheus.NewDesc("dataplane_fleet_node_failed", "1 when the node could not apply the desired configuration and runs its last good one.", node, nil),
		up:        prometheus.NewDesc("dataplane_fleet_node_up", "1 when the node reported within three resync periods.", node, nil),
	}
}

func (c *fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.desired, c.reachable, c.refused, c.applied, c.lag, c.behind, c.inSync, c.failed, c.up} {
		ch <- d
	}
}

func (c *fleetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	f := c.source(ctx)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.desired, float64(f.Desired))
	gauge(c.reachable, bit(f.StoreReachable))
	gauge(c.refused, bit(f.Refused))
	for _, n := range f.Nodes {
		gauge(c.applied, float64(n.Applied), n.Node)
		gauge(c.lag, float64(n.Lag), n.Node)
		gauge(c.behind, n.BehindSeconds, n.Node)
		gauge(c.inSync, bit(n.InSync), n.Node)
		gauge(c.failed, bit(n.Failed), n.Node)
		gauge(c.up, bit(n.Up), n.Node)
	}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
