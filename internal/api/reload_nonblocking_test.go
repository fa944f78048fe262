package api_test

import (
	"bytes"
	"encoding/json"
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

// TestReloadDoesNotBlockWrites: while HAProxy reloads (here, a reload
// command that waits at a gate the test opens), reads, transactions and
// skip_reload writes are answered; a change that must be applied waits
// for the reload and then goes through.
func TestReloadDoesNotBlockWrites(t *testing.T) {
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	gate := filepath.Join(in.Dir, "gate")
	in.Start(hitlessConfig(in, port))
	e := apitest.Start(t, in, "", apitest.Options{Settings: func(st *settings.Settings) {
		st.HAProxy.MasterRuntime = ""
		st.HAProxy.Reload.ReloadStrategy = "custom"
		st.HAProxy.Reload.ReloadCmd = fmt.Sprintf("while [ ! -e %s ]; do sleep 0.02; done; kill -USR2 $(cat %s)", gate, in.PIDFile)
	}})

	// A reload that waits at the gate.
	reloaded := make(chan int, 1)
	go func() {
		reloaded <- rawStatus(e, http.MethodPost, "/services/haproxy/reloads?force_reload=true", "", nil)
	}()
	haproxytest.WaitFor(t, 10*time.Second, "the reload is in progress", func() bool {
		var recs []struct{ Status string }
		e.Get("/services/haproxy/reloads").JSON(t, &recs)
		return len(recs) > 0 && recs[len(recs)-1].Status == "in_progress"
	})

	// A change to apply starts waiting behind it.
	applied := make(chan int, 1)
	v := version(t, e)
	go func() {
		applied <- rawStatus(e, http.MethodPost, fmt.Sprintf("/services/haproxy/configuration/backends?version=%d&force_reload=true", v),
			"application/json", map[string]any{"name": "be_after"})
	}()

	// Reads, transactions and skip_reload writes are answered meanwhile.
	mustStatus(t, e.Get("/services/haproxy/configuration/backends"), 200, "read during the reload")
	var tx struct{ ID string }
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/transactions" + vq(t, e)})
	mustStatus(t, r, 201, "begin a transaction during the reload")
	r.JSON(t, &tx)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends?transaction_id=" + tx.ID,
		Body: map[string]any{"name": "be_tx"}}), 202, "stage in the transaction during the reload")
	raw := strings.Replace(string(e.ReadConfig()), "\nfrontend ", "\nbackend be_skip\n\nfrontend ", 1)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?skip_reload=true&version=" + fmt.Sprint(version(t, e)),
		Body: raw}), 201, "skip_reload write during the reload")
	if !strings.Contains(string(e.ReadConfig()), "backend be_skip") {
		t.Fatal("the skip_reload write is not in the file")
	}
	// The gate is still closed: all of the above was answered while the
	// reload was in progress.
	select {
	case s := <-reloaded:
		t.Fatalf("the reload ended (%d) before the gate opened", s)
	case s := <-applied:
		t.Fatalf("the change to apply was answered (%d) during the reload", s)
	default:
	}

	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		ch   chan int
		want []int
		// It waited for the reload, then found the version moved on by
		// the skip_reload write.
	}{{"the reload", reloaded, []int{200}}, {"the change to apply", applied, []int{409}}} {
		select {
		case s := <-c.ch:
			if !contains(c.want, s) {
				t.Fatalf("%s answered %d, want one of %v", c.what, s, c.want)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s did not answer after the gate opened", c.what)
		}
	}
	// The next change reloads (HAProxy does not run the skip_reload
	// write yet) and goes live.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e) + "&force_reload=true",
		Body: map[string]any{"name": "be_after"}}), 201, "a change after the reload")
}

func contains(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// rawStatus sends a request from any goroutine and returns its status (0
// when it could not be sent).
func rawStatus(e *apitest.Env, method, path, contentType string, body any) int {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(method, e.Server.URL+"/v3"+path, bytes.NewReader(b))
	if err != nil {
		return 0
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.SetBasicAuth(apitest.User, apitest.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
