// Package deploy holds what operators deploy beside dataplane (Prometheus
// rules); its tests check them with the tools that load them.
package deploy

import (
	"os/exec"
	"testing"
)

// TestPrometheusRules runs promtool on the alerting rules: they load
// (`check rules`) and their unit tests pass (`test rules`: a certificate
// expiring in under 14 days fires, others do not). A missing promtool
// fails: `make deps` installs it.
func TestPrometheusRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (make deps, or apt-get install prometheus): %v", err)
	}
	for _, args := range [][]string{
		{"check", "rules", "prometheus/dataplane-alerts.yml"},
		{"test", "rules", "prometheus/dataplane-alerts_test.yml"},
	} {
		out, err := exec.CommandContext(t.Context(), promtool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
