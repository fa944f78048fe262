package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// formSetup is what a start-up form is built from.
type formSetup struct {
	in      *haproxytest.Instance
	port    int
	tx      string // transaction directory
	reload  string // reload command: counts its runs in count, then signals the master
	restart string
	pidFile string // dataplane's own pid file
}

// TestStartupForms starts the binary the ways the Data Plane API's README
// and tutorials do: short flags, long flags, an HCL file, the environment.
// Each form gets /v3/info with basic auth (users from the userlist the
// form names, or the file's user block), reloads HAProxy through the
// reload command the form gives (run once, though the master CLI is known
// in the short form), logs where that command came from, and stops
// cleanly on SIGTERM.
func TestStartupForms(t *testing.T) {
	forms := []struct {
		name string
		args func(f formSetup) []string
		env  func(f formSetup) []string
		from string // where the log says reload_cmd came from
	}{
		{
			name: "short flags",
			args: func(f formSetup) []string {
				return []string{"--port", strconv.Itoa(f.port), "-b", "haproxy", "-c", f.in.ConfigPath, "-d", "0",
					"-r", f.reload, "-s", f.restart, "-u", "dataplaneapi", "-t", f.tx, "-m", f.in.MasterSocket, "-n", "2", "-i"}
			},
			from: `from="flag -r"`,
		},
		{
			name: "long flags",
			args: func(f formSetup) []string {
				return []string{"--host", "127.0.0.1", "--port", strconv.Itoa(f.port), "--haproxy-bin", "haproxy",
					"--config-file", f.in.ConfigPath, "--reload-delay", "0", "--reload-cmd", f.reload, "--restart-cmd", f.restart,
					"--userlist", "dataplaneapi", "--transaction-dir", f.tx, "--pid-file", f.pidFile, "--log-level", "verbose",
					"--log-to", "stdout", "--graceful-timeout", "5s", "--max-header-size", "4KiB", "--listen-limit", "64"}
			},
			from: `from="flag --reload-cmd"`,
		},
		{
			name: "HCL file",
			args: func(f formSetup) []string {
				hcl := filepath.Join(f.in.Dir, "dataplaneapi.hcl")
				text := fmt.Sprintf(`name = "famous_condor"

dataplaneapi {
  host = "127.0.0.1"
  port = %d
  user "admin" {
    insecure = true
    password = "adminpwd"
  }
  transaction {
    transaction_dir = %q
  }
}
haproxy {
  config_file = %q
  haproxy_bin = "haproxy"
  reload {
    reload_delay = 0
    reload_cmd  = %q
    restart_cmd = %q
  }
}
`, f.port, f.tx, f.in.ConfigPath, f.reload, f.restart)
				if err := os.WriteFile(hcl, []byte(text), 0o644); err != nil {
					panic(err)
				}
				return []string{"-f", hcl}
			},
			from: `from="file ` + "", // followed by the file's path and line
		},
		{
			name: "environment",
			env: func(f formSetup) []string {
				return []string{
					"DATAPLANEAPI_PORT=" + strconv.Itoa(f.port),
					"DATAPLANEAPI_CONFIG_FILE=" + f.in.ConfigPath,
					"DATAPLANEAPI_HAPROXY_BIN=haproxy",
					"DATAPLANEAPI_RELOAD_DELAY=0",
					"DATAPLANEAPI_RELOAD_CMD=" + f.reload,
					"DATAPLANEAPI_RESTART_CMD=" + f.restart,
					"DATAPLANEAPI_USERLIST=dataplaneapi",
					"DATAPLANEAPI_TRANSACTION_DIR=" + f.tx,
					"DATAPLANEAPI_LOG_FORMAT=JSON",
					"DATAPLANEAPI_LOG_TO=file",
					"DATAPLANEAPI_LOG_FILE=" + filepath.Join(f.in.Dir, "dataplane.log"),
				}
			},
			from: `"from":"env DATAPLANEAPI_RELOAD_CMD"`,
		},
	}
	for _, form := range forms {
		t.Run(form.name, func(t *testing.T) {
			in := haproxytest.New(t)
			fePort := haproxytest.FreePort(t)
			in.Start(in.Global() + fmt.Sprintf(`
userlist dataplaneapi
    user admin insecure-password adminpwd

frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, fePort))
			count := filepath.Join(in.Dir, "count")
			f := formSetup{
				in: in, port: haproxytest.FreePort(t), tx: filepath.Join(in.Dir, "tx"),
				reload:  fmt.Sprintf("echo run >> %s; kill -USR2 %d", count, in.MasterPID()),
				restart: fmt.Sprintf("echo restart >> %s", count),
				pidFile: filepath.Join(in.Dir, "dataplane.pid"),
			}
			var args []string
			if form.args != nil {
				args = form.args(f)
			}
			cmd := exec.Command(binary, args...)
			cmd.Env = cleanEnv()
			if form.env != nil {
				cmd.Env = append(cmd.Env, form.env(f)...)
			}
			logs := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = logs, logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(done) }()
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
				}
			})
			base := fmt.Sprintf("http://127.0.0.1:%d/v3", f.port)
			haproxytest.WaitFor(t, 20*time.Second, "dataplane answers /v3/info", func() bool {
				select {
				case <-done:
					t.Fatalf("dataplane exited: %v\n%s", waitErr, logs)
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				code, _, err := get(ctx, base+"/info")
				return err == nil && code == 200
			})

			r0, _ := in.Reloads()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if code, body, err := post(ctx, base+"/services/haproxy/reloads?force_reload=true"); err != nil || code != 200 {
				t.Fatalf("reload: %d %s %v\n%s", code, body, err, logs)
			}
			b, _ := os.ReadFile(count)
			if runs := strings.Count(string(b), "run\n"); runs != 1 {
				t.Fatalf("the reload command ran %d times for one reload\n%s", runs, logs)
			}
			if n, failed := in.Reloads(); n-r0 != 1 || failed != 0 {
				t.Fatalf("the master counts %d reloads (%d failed), want 1", n-r0, failed)
			}
			logText := logs.String()
			if form.name == "environment" {
				b, _ := os.ReadFile(filepath.Join(in.Dir, "dataplane.log"))
				logText = string(b) // log_to file
			}
			if !logLine(logText, "reload_cmd", form.from) {
				t.Errorf("the log does not say reload_cmd came %s:\n%s", form.from, logText)
			}
			if strings.Contains(logText, "adminpwd") {
				t.Errorf("the log shows a password:\n%s", logText)
			}
			if form.name == "long flags" {
				// Go's server allows 4096 bytes over MaxHeaderBytes.
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/info", nil)
				req.SetBasicAuth("admin", "adminpwd")
				req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
					t.Errorf("a 16 KiB header with --max-header-size 4KiB: %d", resp.StatusCode)
				}
				pid, _ := os.ReadFile(f.pidFile)
				if strings.TrimSpace(string(pid)) != strconv.Itoa(cmd.Process.Pid) {
					t.Errorf("pid_file holds %q, dataplane is %d", pid, cmd.Process.Pid)
				}
			}
			if form.name == "short flags" && !logLine(logs.String(), "show_system_info", "not built") {
				t.Errorf("no warning for -i, which is not built:\n%s", logs)
			}

			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
				if waitErr != nil {
					t.Errorf("dataplane exited with %v on SIGTERM\n%s", waitErr, logs)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("dataplane did not stop on SIGTERM\n%s", logs)
			}
			if _, err := os.Stat(f.pidFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pid_file left behind: %v", err)
			}
		})
	}
}

// logLine reports whether a line of the log mentions the setting and holds
// want.
func logLine(logs, setting, want string) bool {
	for _, l := range strings.Split(logs, "\n") {
		if (strings.Contains(l, "setting="+setting+" ") || strings.Contains(l, `"setting":"`+setting+`"`)) && strings.Contains(l, want) {
			return true
		}
	}
	return false
}

// cleanEnv is the test's environment without what would tell dataplane
// about another HAProxy or give it settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HAPROXY_") || strings.HasPrefix(kv, settings.EnvPrefix) {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// TestVersionAndHelp: -v and --version print the version and exit 0;
// --help lists every flag of the settings table and exits 0.
func TestVersionAndHelp(t *testing.T) {
	for _, arg := range []string{"-v", "--version"} {
		out, err := exec.Command(binary, arg).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "dataplane "+version+" ") {
			t.Errorf("dataplane %s: %v %q", arg, err, out)
		}
	}
	out, err := exec.Command(binary, "--help").Output()
	if err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, st := range settings.Table {
		if !strings.Contains(string(out), "  "+st.Flags()) || !strings.Contains(string(out), st.Env()) {
			t.Errorf("--help lacks %s (%s)", st.Flags(), st.Env())
		}
	}
	for _, want := range []string{"-f file", "-v, --version", "-h, --help"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
