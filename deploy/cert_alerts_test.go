package deploy

import (
	"os/exec"
	"testing"
)

// TestCertificateAlertRules runs promtool on the certificate alert rules: they load
// (`check rules`) and their unit tests pass (`test rules`: a certificate
// expiring in under 14 days fires, others do not). A missing promtool
// fails: `make deps` installs it.
func TestCertificateAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (make deps, or apt-get install prometheus): %v", err)
	}
	for _, args := range [][]string{
		{"check", "rules", "cert-alerts.yml"},
		{"test", "rules", "cert-alerts_test.yml"},
	} {
		out, err := exec.CommandContext(t.Context(), promtool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
