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

// TestLaunchForms starts dataplane from a `program` section of HAProxy
// launched the ways the tutorials show, each time first with a setting it
// refuses: HAProxy keeps serving and dataplane answers its health with the
// problem; once the setting is fixed dataplane serves for real and a
// reload through it gives HAProxy a new worker that serves.
func TestLaunchForms(t *testing.T) {
	for _, form := range []struct {
		name string
		// args is HAProxy's command line after the binary; MASTER is the
		// master socket, CFG the file, PID the pid file.
		args []string
		// reload is the reload block of dataplane's settings: none when
		// the master CLI is known (HAPROXY_MASTER_CLI), else the tutorial's
		// signal to the master.
		reload bool
	}{
		{name: "-W -S (master CLI)", args: []string{"-W", "-S", "MASTER", "-f", "CFG", "-p", "PID"}},
		{name: "-W without -S", args: []string{"-W", "-f", "CFG", "-p", "PID"}, reload: true},
		{name: "-Ws", args: []string{"-Ws", "-f", "CFG", "-p", "PID"}, reload: true},
	} {
		t.Run(form.name, func(t *testing.T) {
			in := haproxytest.New(t)
			apiPort, fePort := haproxytest.FreePort(t), haproxytest.FreePort(t)
			reload := ""
			if form.reload {
				// The tutorials' `kill -SIGUSR2 1` (HAProxy is PID 1 in its
				// container), with this test's master, spelled for Debian's
				// /bin/sh (dash's kill refuses -SIGUSR2: the reload fails
				// with that message, quoted in the answer).
				reload = fmt.Sprintf(`reload_strategy = "custom"
    reload_cmd = "kill -USR2 $(cat %s)"`, in.PIDFile)
			}
			hcl := writeHCL(t, in.Dir, apiPort, "", reload)
			good, err := os.ReadFile(hcl)
			if err != nil {
				t.Fatal(err)
			}
			bad := strings.Replace(string(good), "reload_delay = 0", "reload_delay = -3", 1)
			if err := os.WriteFile(hcl, []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			paths := strings.NewReplacer("MASTER", in.MasterSocket, "CFG", in.ConfigPath, "PID", in.PIDFile)
			var args []string
			for _, a := range form.args {
				args = append(args, paths.Replace(a))
			}
			in.StartArgs(in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"

program api
    command %s -f %s
    no option start-on-reload
`, fePort, binary, hcl), args...)
			base := fmt.Sprintf("http://127.0.0.1:%d/v3", apiPort)
			serves := func() bool {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				code, body, err := haproxytest.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", fePort))
				return err == nil && code == 200 && body == "ok\n"
			}

			haproxytest.WaitFor(t, 30*time.Second, "dataplane answers its health with the problem", func() bool {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				code, body, err := haproxytest.HTTPGet(ctx, base+"/health")
				return err == nil && code == 200 && strings.Contains(body, "reload_delay")
			})
			if !serves() || !in.Running() {
				t.Fatalf("HAProxy stopped with dataplane's bad setting:\n%s", in.Logs())
			}

			if err := os.WriteFile(hcl, good, 0o644); err != nil {
				t.Fatal(err)
			}
			haproxytest.WaitFor(t, 30*time.Second, "dataplane serves for real", func() bool {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				code, body, err := get(ctx, base+"/health")
				return err == nil && code == 200 && strings.Contains(body, `"up"`)
			})
			before := workerPID(t, in)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if code, body, err := post(ctx, base+"/services/haproxy/reloads?force_reload=true"); err != nil || code != 200 {
				t.Fatalf("reload: %d %s %v\n%s", code, body, err, in.Logs())
			}
			haproxytest.WaitFor(t, 30*time.Second, "a new worker serves", func() bool {
				return workerPID(t, in) != before && serves()
			})
			if !in.Running() {
				t.Fatalf("HAProxy stopped:\n%s", in.Logs())
			}
		})
	}
}

// workerPID is the PID the stats socket answers with (0 when it does not).
func workerPID(t *testing.T, in *haproxytest.Instance) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out, err := haproxytest.Command(ctx, in.StatsSocket, "show info")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "Pid: "); ok {
			var pid int
			fmt.Sscanf(v, "%d", &pid)
			return pid
		}
	}
	return 0
}
