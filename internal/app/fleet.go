package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"dataplane/internal/fleet"
	"dataplane/internal/metrics"
	"dataplane/internal/settings"
	"dataplane/internal/tlsconfig"
)

// newFleet joins the fleet the settings name (nil when fleet mode is
// off): every commit is published to etcd before it is applied, and what
// the others publish is applied here (see internal/fleet).
func (a *App) newFleet(st *settings.Settings) (*fleet.Node, error) {
	f := st.Fleet
	if !f.Enabled() {
		return nil, nil
	}
	name := f.Node
	if name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("fleet_node: not set, and the host name is unknown: %w", err)
		}
		name = h
	}
	opts := fleet.Options{
		Endpoints: f.Endpoints, Prefix: f.Prefix, Name: name,
		APIAddress: net.JoinHostPort(st.API.Host, strconv.Itoa(st.API.Port)),
		Username:   f.Username, Password: f.Password,
		RequestTimeout: f.RequestTimeout, Resync: f.Resync, RetryFailed: f.RetryFailed, Logger: a.Log,
	}
	if f.TLSCA != "" || f.TLSCertificate != "" || anyHTTPS(f.Endpoints) {
		cfg, err := tlsconfig.Client(f.TLSCA, f.TLSCertificate, f.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		opts.TLS = cfg
	}
	node, err := fleet.New(opts, a.Pipeline)
	if err != nil {
		return nil, err
	}
	a.Pipeline.SetPublisher(node)
	a.Pipeline.SetAppliedObserver(node.Observe)
	return node, nil
}

func anyHTTPS(endpoints []string) bool {
	for _, e := range endpoints {
		if strings.HasPrefix(e, "https://") {
			return true
		}
	}
	return false
}

// fleetMetrics is the fleet as /metrics exports it.
func (a *App) fleetMetrics(ctx context.Context) metrics.Fleet {
	v := a.Fleet.View(ctx)
	out := metrics.Fleet{StoreReachable: v.Store.Reachable, Refused: v.Refused != ""}
	if v.Desired != nil {
		out.Desired = v.Desired.Version
	}
	for _, n := range v.Nodes {
		out.Nodes = append(out.Nodes, metrics.FleetNode{
			Node: n.Node, Applied: n.AppliedVersion, Lag: n.Lag, BehindSeconds: n.BehindSeconds,
			InSync: n.State == fleet.StateInSync, Failed: n.State == fleet.StateFailed, Up: !n.Stale,
		})
	}
	return out
}

// fleetView is what GET /v3/cluster reads: nil in single-node mode (a
// typed nil would not compare equal to nil in the handler).
func fleetView(n *fleet.Node) func(context.Context) fleet.View {
	if n == nil {
		return nil
	}
	return n.View
}

// fleetRuntime stores runtime records for the fleet (nil in single-node
// mode).
func fleetRuntime(n *fleet.Node) func(context.Context, string, string, func([]byte) ([]byte, error)) error {
	if n == nil {
		return nil
	}
	return n.UpdateRuntime
}
