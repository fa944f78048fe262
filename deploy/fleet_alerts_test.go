package deploy

import (
	"os/exec"
	"testing"
)

// TestFleetAlertRules runs promtool on the fleet-mode alert rules: they
// load (`check rules`) and their unit tests pass (`test rules`: etcd
// silent for a minute, a node that failed, one stuck behind and one no
// longer reporting fire; a short blip, views of a node cut off from etcd
// and a node cut off but scraped do not). A missing promtool fails:
// `make deps` installs it.
func TestFleetAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (make deps, or apt-get install prometheus): %v", err)
	}
	for _, args := range [][]string{
		{"check", "rules", "fleet-alerts.yml"},
		{"test", "rules", "fleet-alerts_test.yml"},
	} {
		out, err := exec.CommandContext(t.Context(), promtool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
