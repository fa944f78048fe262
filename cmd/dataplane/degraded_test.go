package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// TestProgramSectionSurvivesBadSettings: launched from a `program` section
// with settings it refuses, dataplane does not exit (the master would stop
// HAProxy with it): it answers its health and info with the problem and
// writes with 503, HAProxy keeps serving, and once the settings are fixed
// dataplane starts for real, without HAProxy being touched.
func TestProgramSectionSurvivesBadSettings(t *testing.T) {
	in := haproxytest.New(t)
	apiPort, fePort := haproxytest.FreePort(t), haproxytest.FreePort(t)
	good := writeHCL(t, in.Dir, apiPort, "", "")
	goodText, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// A setting dataplane refuses (the settings do not load), then a
	// configuration file that does not exist (the program does not start).
	badSetting := strings.Replace(string(goodText), "reload_delay = 0", "reload_delay = -3", 1)
	missingFile := strings.Replace(string(goodText), `config_file = "haproxy.cfg"`, `config_file = "missing.cfg"`, 1)
	if badSetting == string(goodText) || missingFile == string(goodText) {
		t.Fatal("could not break the settings")
	}
	if err := os.WriteFile(good, []byte(badSetting), 0o644); err != nil {
		t.Fatal(err)
	}
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"

program api
    command %s -f %s
    no option start-on-reload
`, fePort, binary, good))
	base := fmt.Sprintf("http://127.0.0.1:%d/v3", apiPort)
	degraded := func(what, reason string) {
		t.Helper()
		haproxytest.WaitFor(t, 30*time.Second, "dataplane answers its health, degraded by "+what, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			code, body, err := haproxytest.HTTPGet(ctx, base+"/health")
			return err == nil && code == 200 && strings.Contains(body, `"degraded"`) && strings.Contains(body, reason)
		})
	}
	degraded("a setting", "reload_delay")
	pid := programPID(t, in)
	if err := os.WriteFile(good, []byte(missingFile), 0o644); err != nil {
		t.Fatal(err)
	}
	degraded("a missing configuration file", "missing.cfg")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if code, body, _ := post(ctx, base+"/services/haproxy/reloads"); code != 503 || !strings.Contains(body, "missing.cfg") {
		t.Errorf("a write while degraded: %d %s", code, body)
	}
	if code, body, err := haproxytest.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", fePort)); err != nil || code != 200 || body != "ok\n" {
		t.Fatalf("HAProxy stopped serving: %d %q %v\n%s", code, body, err, in.Logs())
	}
	if !in.Running() || !alive(pid) {
		t.Fatalf("HAProxy running %v, dataplane alive %v\n%s", in.Running(), alive(pid), in.Logs())
	}

	// Fixed: dataplane starts for real on its next try, same process.
	if err := os.WriteFile(good, goodText, 0o644); err != nil {
		t.Fatal(err)
	}
	haproxytest.WaitFor(t, 30*time.Second, "dataplane serves for real", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		code, body, err := get(ctx, base+"/health")
		return err == nil && code == 200 && strings.Contains(body, `"up"`) && !strings.Contains(body, "degraded")
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if code, body, err := post(ctx2, base+"/services/haproxy/reloads?force_reload=true"); err != nil || code != 200 {
		t.Fatalf("reload after recovery: %d %s %v", code, body, err)
	}
	if got := programPID(t, in); got != pid {
		t.Errorf("dataplane is pid %d, was %d", got, pid)
	}
}
