package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// TestReloadCommandWinsOverMasterCLI: with the master CLI known and a
// reload_cmd set, every reload runs the command, once, whatever
// reload_strategy says; the master reloads once per reload (the command's
// signal), never a second time through its CLI.
func TestReloadCommandWinsOverMasterCLI(t *testing.T) {
	for _, strategy := range []string{settings.StrategyDefault, settings.StrategyMaster} {
		t.Run("reload_strategy="+strategy, func(t *testing.T) {
			in := haproxytest.New(t)
			port := haproxytest.FreePort(t)
			in.Start(hitlessConfig(in, port))
			count := filepath.Join(in.Dir, "count")
			e := apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
				if st.HAProxy.MasterRuntime == "" {
					t.Fatal("apitest gives no master CLI: this test needs one")
				}
				st.HAProxy.Reload.ReloadStrategy = strategy
				st.HAProxy.Reload.ReloadCmd = fmt.Sprintf("echo run >> %s; kill -USR2 %d", count, in.MasterPID())
				st.HAProxy.Reload.ReloadTimeout = 20 * time.Second
			}})
			r0, _ := in.Reloads()
			runs := func() int {
				b, _ := os.ReadFile(count)
				return strings.Count(string(b), "run\n")
			}

			r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"})
			mustStatus(t, r, http.StatusOK, "reload")
			if got := runs(); got != 1 {
				t.Fatalf("the reload command ran %d times for one reload", got)
			}
			if n, failed := in.Reloads(); n-r0 != 1 || failed != 0 {
				t.Fatalf("the master counts %d reloads (%d failed) for one reload", n-r0, failed)
			}

			// A change that needs a reload goes the same way.
			r = e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/backends?version=%d&force_reload=true", version(t, e)),
				Body: map[string]any{"name": "be_new"}})
			mustStatus(t, r, http.StatusCreated, "create a backend")
			if got := runs(); got != 2 {
				t.Fatalf("the reload command ran %d times for two reloads", got)
			}
			if n, failed := in.Reloads(); n-r0 != 2 || failed != 0 {
				t.Fatalf("the master counts %d reloads (%d failed) for two", n-r0, failed)
			}
			if !strings.Contains(in.Master("show proc"), "worker") {
				t.Fatalf("no worker after the reloads:\n%s", in.Master("show proc"))
			}
		})
	}
}
