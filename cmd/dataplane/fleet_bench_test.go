package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/haproxytest"
)

// BenchmarkFleetCommitToAllApplied measures, on three nodes and a
// 3-member etcd on loopback, the time from a write's answer on one node
// to every node reporting that its HAProxy runs the new version: a new
// backend (a reload on every node) and a server weight (the runtime
// socket on every node), on files of 10 and 10,000 backends.
func BenchmarkFleetCommitToAllApplied(b *testing.B) {
	for _, size := range []int{10, 10000} {
		b.Run(fmt.Sprintf("backends=%d", size), func(b *testing.B) {
			etcd := etcdtest.StartCluster(b, 3)
			srv := haproxytest.StartBackend(b, "old", nil)
			var extra strings.Builder
			for i := range size {
				fmt.Fprintf(&extra, "\nbackend be_%d\n    server s1 %s weight 10\n", i, srv.Addr())
			}
			cfg := fleetConfig(srv.Addr(), extra.String())
			f := &testFleet{etcd: etcd}
			for i := range 3 {
				f.nodes = append(f.nodes, startFleetNode(b, fmt.Sprintf("n%d", i), cfg, etcd.Endpoints(), nil))
			}
			n0 := f.nodes[0]
			haproxytest.WaitFor(b, 120*time.Second, "every node in sync", func() bool {
				v, err := n0.cluster()
				return err == nil && v.Desired != nil && allApplied(v, v.Desired.Version, f.names()...)
			})
			b.Run("reload", func(b *testing.B) {
				var total time.Duration
				for i := 0; b.Loop(); i++ {
					v := n0.version()
					mustAPI(b, n0, "POST", fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v),
						fmt.Sprintf(`{"name":"be_bench_%d_%d"}`, size, i), 201, 202)
					total += f.waitApplied(b, n0, v+1, 120*time.Second)
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-all-applied")
			})
			b.Run("runtime", func(b *testing.B) {
				var total time.Duration
				for i := 0; b.Loop(); i++ {
					v := n0.version()
					mustAPI(b, n0, "PUT", fmt.Sprintf("/services/haproxy/configuration/backends/be_1/servers/s1?version=%d", v),
						fmt.Sprintf(`{"name":"s1","address":"127.0.0.1","port":%d,"weight":%d}`, srv.Port, 11+i%50), 200, 202)
					total += f.waitApplied(b, n0, v+1, 120*time.Second)
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-all-applied")
			})
		})
	}
}
