package api_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

type txJSON struct {
	Version int64  `json:"_version"`
	ID      string `json:"id"`
	Status  string `json:"status"`
}

func begin(t *testing.T, e *apitest.Env) txJSON {
	t.Helper()
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/transactions" + vq(t, e)})
	mustStatus(t, r, 201, "start transaction")
	var tx txJSON
	r.JSON(t, &tx)
	if tx.Status != "in_progress" || tx.ID == "" || tx.Version != version(t, e) {
		t.Fatalf("transaction %+v", tx)
	}
	return tx
}

func TestTransactionLifecycle(t *testing.T) {
	e, _ := start(t)
	app := haproxytest.StartBackend(t, "txapp", nil)
	port := haproxytest.FreePort(t)
	base := "/services/haproxy/configuration"
	before := e.ReadConfig()
	v0 := version(t, e)
	reloads0, _ := e.HAProxy.Reloads()

	tx := begin(t, e)
	q := "?transaction_id=" + tx.ID
	r := e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + q, Body: map[string]any{"name": "be_tx"}})
	mustStatus(t, r, 202, "staged backend")
	if r.Header.Get("Reload-ID") != "" {
		t.Fatal("a staged write scheduled a reload")
	}
	if got := r.Header.Get("Configuration-Version"); got != fmt.Sprint(tx.Version) {
		t.Fatalf("Configuration-Version %s inside the transaction, want %d", got, tx.Version)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_tx/servers" + q, Body: map[string]any{"name": "s1", "address": "127.0.0.1", "port": app.Port}}), 202, "staged server")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/frontends" + q, Body: map[string]any{"name": "fe_tx", "default_backend": "be_tx"}}), 202, "staged frontend")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/frontends/fe_tx/binds" + q, Body: map[string]any{"address": "127.0.0.1", "port": port}}), 202, "staged bind")

	// Reads inside the transaction see the staged state; outside they do not.
	mustStatus(t, e.Get(base+"/backends/be_tx"+q), 200, "staged read")
	mustStatus(t, e.Get(base+"/backends/be_tx"), 404, "live read")
	if !bytes.Equal(before, e.ReadConfig()) {
		t.Fatal("staged writes touched the live file")
	}
	d := e.Get("/services/haproxy/transactions/" + tx.ID + "/diff")
	mustStatus(t, d, 200, "diff")
	for _, want := range []string{"--- haproxy.cfg (live", "+backend be_tx", "+    server s1 127.0.0.1:", "+    default_backend be_tx", fmt.Sprintf("+    bind 127.0.0.1:%d", port)} {
		if !strings.Contains(string(d.Body), want) {
			t.Fatalf("diff lacks %q:\n%s", want, d.Body)
		}
	}

	r = e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"})
	mustStatus(t, r, 200, "commit")
	var done txJSON
	r.JSON(t, &done)
	if done.Status != "success" || version(t, e) != v0+1 {
		t.Fatalf("after commit: %+v, version %d", done, version(t, e))
	}
	if n, _ := e.HAProxy.Reloads(); n != reloads0+1 {
		t.Fatalf("one commit gave %d reloads", n-reloads0)
	}
	code, body, err := haproxytest.HTTPGet(t.Context(), fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil || code != 200 || body != "txapp" {
		t.Fatalf("traffic after the commit: %d %q %v", code, body, err)
	}
	// A finished transaction cannot be committed again.
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID}), 406, "commit twice")
	mustStatus(t, e.Get("/services/haproxy/transactions/nope-1"), 404, "unknown transaction")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: "/services/haproxy/transactions/nope-1"}), 404, "delete unknown")
}

func TestTransactionOutdatedAndFailed(t *testing.T) {
	e, _ := start(t)
	base := "/services/haproxy/configuration"
	a, b := begin(t, e), begin(t, e)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends?transaction_id=" + a.ID, Body: map[string]any{"name": "be_a"}}), 202, "stage a")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends?transaction_id=" + b.ID, Body: map[string]any{"name": "be_b"}}), 202, "stage b")
	// A plain write moves the version: both transactions are outdated.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e), Body: map[string]any{"name": "be_c"}}), 202, "plain write")
	r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + a.ID})
	if r.Status != 406 && r.Status != 409 {
		t.Fatalf("commit of an outdated transaction: %d %s", r.Status, r.Body)
	}
	var st txJSON
	e.Get("/services/haproxy/transactions/"+b.ID).JSON(t, &st)
	if st.Status != "outdated" {
		t.Fatalf("b is %s after a newer commit, want outdated", st.Status)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + b.ID}), 406, "commit outdated")

	// A staged file HAProxy rejects fails the commit and the transaction.
	f := begin(t, e)
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/frontends/fe?transaction_id=" + f.ID, Body: map[string]any{"name": "fe", "default_backend": "missing_backend"}}), 202, "stage bad")
	before := e.ReadConfig()
	r = e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + f.ID})
	if r.Status != 400 || !strings.Contains(string(r.Body), "missing_backend") {
		t.Fatalf("commit of an invalid transaction: %d %s", r.Status, r.Body)
	}
	if !bytes.Equal(before, e.ReadConfig()) {
		t.Fatal("a failed commit changed the live file")
	}
	var failed []txJSON
	e.Get("/services/haproxy/transactions?status=failed").JSON(t, &failed)
	if len(failed) != 1 || failed[0].ID != f.ID {
		t.Fatalf("failed list %+v", failed)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + f.ID}), 406, "commit failed")
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: "/services/haproxy/transactions/" + f.ID}), 204, "delete")
}

func TestTransactionLimit(t *testing.T) {
	e, _ := start(t)
	var ids []string
	for i := 0; i < 20; i++ {
		ids = append(ids, begin(t, e).ID)
	}
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/transactions" + vq(t, e)})
	if r.Status != 429 || !strings.Contains(string(r.Body), "maximum amount of 20") {
		t.Fatalf("21st transaction: %d %s", r.Status, r.Body)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "DELETE", Path: "/services/haproxy/transactions/" + ids[0]}), 204, "delete one")
	begin(t, e)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/transactions?version=99"}), 409, "stale version")
}

// TestTransactionRace: 50 transactions on the same version, each adding a
// distinct server, committed at once: exactly one wins.
func TestTransactionRace(t *testing.T) {
	e, _ := start(t, func(st *settings.Settings) { st.API.Transaction.MaxOpenTransactions = 100 })
	base := "/services/haproxy/configuration"
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e), Body: map[string]any{"name": "be_race"}}), 202, "backend")
	v := vq(t, e)
	const n = 50
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/transactions" + v})
			if r.Status != 201 {
				codes[i] = r.Status
				return
			}
			var tx txJSON
			r.JSON(t, &tx)
			r = e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_race/servers?transaction_id=" + tx.ID,
				Body: map[string]any{"name": fmt.Sprintf("s%d", i), "address": "127.0.0.1", "port": 10000 + i}})
			if r.Status != 202 {
				codes[i] = r.Status
				return
			}
			codes[i] = e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID}).Status
		}(i)
	}
	close(start)
	wg.Wait()
	won := 0
	for i, c := range codes {
		switch c {
		case 202, 200:
			won++
		case 406, 409:
		default:
			t.Errorf("goroutine %d ended with %d", i, c)
		}
	}
	if won != 1 {
		t.Fatalf("%d commits succeeded, want exactly 1 (codes %v)", won, codes)
	}
	servers := strings.Count(string(e.ReadConfig()), "\n    server s")
	if servers != 1 {
		t.Fatalf("the file holds %d race servers, want 1:\n%s", servers, e.ReadConfig())
	}
	out, err := exec.Command("haproxy", "-c", "-q", "-f", e.Settings.HAProxy.ConfigFile).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy -c on the result: %v %s", err, out)
	}
}

// TestTransactionSurvivesRestart: an in-progress transaction is loaded back
// by a new dataplane on the same transaction_dir and can be committed.
func TestTransactionSurvivesRestart(t *testing.T) {
	e, _ := start(t)
	tx := begin(t, e)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends?transaction_id=" + tx.ID, Body: map[string]any{"name": "be_restart"}}), 202, "stage")
	empty := begin(t, e) // nothing staged: comes back from the live file
	e.Server.Close()

	e2 := apitest.Start(t, e.HAProxy, "", apitest.Options{Settings: func(st *settings.Settings) {
		st.API.Transaction.TransactionDir = e.Settings.API.Transaction.TransactionDir
	}})
	var got txJSON
	e2.Get("/services/haproxy/transactions/"+tx.ID).JSON(t, &got)
	if got.Status != "in_progress" {
		t.Fatalf("after restart: %+v", got)
	}
	mustStatus(t, e2.Get("/services/haproxy/configuration/backends/be_restart?transaction_id="+tx.ID), 200, "staged backend after restart")
	mustStatus(t, e2.Get("/services/haproxy/transactions/"+empty.ID), 200, "empty transaction after restart")
	mustStatus(t, e2.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit after restart")
	if !strings.Contains(e2.HAProxy.Stats("show stat"), "be_restart,BACKEND") {
		t.Fatal("the committed backend is not running")
	}
	files, _ := filepath.Glob(filepath.Join(e.Settings.API.Transaction.TransactionDir, tx.ID+"*"))
	if len(files) != 0 {
		t.Fatalf("files of a committed transaction left behind: %v", files)
	}
	_ = os.Remove
	_ = time.Second
}

// TestExternalEdit: a file changed behind the server's back is noticed at
// the next request, re-read, and the version moves on, so a writer holding
// the old version gets 409.
func TestExternalEdit(t *testing.T) {
	e, _ := start(t)
	v := version(t, e)
	edited := strings.Replace(string(e.ReadConfig()), "frontend fe\n", "frontend fe\n    # edited by hand\n    maxconn 77\n", 1)
	if err := os.WriteFile(e.Settings.HAProxy.ConfigFile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := version(t, e); got != v+1 {
		t.Fatalf("version after an external edit %d, want %d", got, v+1)
	}
	var fe struct{ Maxconn int }
	e.Get("/services/haproxy/configuration/frontends/fe").JSON(t, &fe)
	if fe.Maxconn != 77 {
		t.Fatalf("the hand edit is not seen: maxconn %d", fe.Maxconn)
	}
	r := e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("/services/haproxy/configuration/backends?version=%d", v), Body: map[string]any{"name": "be_stale"}})
	mustStatus(t, r, 409, "stale writer after an external edit")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e), Body: map[string]any{"name": "be_fresh"}}), 202, "fresh writer")
	if !strings.Contains(string(e.ReadConfig()), "# edited by hand") {
		t.Fatal("the next write lost the hand edit")
	}
}

// TestBackups: with backups_number = 2 the pre-commit file of each version
// is kept, the oldest beyond two removed, and raw GET ?version= serves them.
func TestBackups(t *testing.T) {
	e, _ := start(t, func(st *settings.Settings) { st.API.Transaction.BackupsNumber = 2 })
	var bodies []string
	for i := 0; i < 4; i++ {
		bodies = append(bodies, string(e.ReadConfig()))
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends" + vq(t, e),
			Body: map[string]any{"name": fmt.Sprintf("be_b%d", i)}}), 202, "write")
	}
	// Versions 1..4 were committed over; 3 and 4 are kept, 1 and 2 removed.
	for v := 3; v <= 4; v++ {
		r := e.Get(fmt.Sprintf("/services/haproxy/configuration/raw?version=%d", v))
		mustStatus(t, r, 200, "backup")
		if string(r.Body) != bodies[v-1] {
			t.Fatalf("backup of version %d differs from what was live then", v)
		}
	}
	for v := 1; v <= 2; v++ {
		mustStatus(t, e.Get(fmt.Sprintf("/services/haproxy/configuration/raw?version=%d", v)), 404, "removed backup")
	}
	dir := filepath.Dir(e.Settings.HAProxy.ConfigFile)
	files, _ := filepath.Glob(filepath.Join(dir, "haproxy.cfg.*"))
	var kept []string
	for _, f := range files {
		if !strings.Contains(f, ".dp-tmp-") {
			kept = append(kept, filepath.Base(f))
		}
	}
	if len(kept) != 2 {
		t.Fatalf("backups on disk %v, want 2", kept)
	}
}
