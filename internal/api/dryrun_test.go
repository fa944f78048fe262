package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// planJSON is a dry run's answer (dry_run_plan).
type planJSON struct {
	DryRun   bool     `json:"dry_run"`
	Version  int64    `json:"version"`
	Valid    bool     `json:"valid"`
	Messages string   `json:"messages"`
	Diff     string   `json:"diff"`
	Apply    []string `json:"apply"`
	Deferred []string `json:"deferred"`
}

// untouched is what a dry run must leave as it was: the file, its
// version, HAProxy's reloads and the servers it runs.
type untouched struct {
	file    string
	version int64
	reloads int
	servers string
}

func snapshot(t *testing.T, l *runtimeLab) untouched {
	t.Helper()
	reloads, _ := l.e.HAProxy.Reloads()
	return untouched{string(l.e.ReadConfig()), version(t, l.e), reloads, serverNames(l, "be_app")}
}

// serverNames lists the servers HAProxy runs in be.
func serverNames(l *runtimeLab, be string) string {
	var names []string
	for _, line := range strings.Split(l.e.HAProxy.Stats("show servers state "+be), "\n")[2:] {
		if f := strings.Fields(line); len(f) > 3 {
			names = append(names, f[3])
		}
	}
	return strings.Join(names, ",")
}

func dryRun(t *testing.T, e *apitest.Env, id string) planJSON {
	t.Helper()
	r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + id + "?dry_run=true"})
	mustStatus(t, r, 200, "dry run")
	var p planJSON
	r.JSON(t, &p)
	if !p.DryRun {
		t.Fatalf("not a plan: %s", r.Body)
	}
	return p
}

// TestDryRunTransaction: the dry run of a transaction that adds a server
// and changes a bind says "add server ..." (live on its own, but taken by
// the reload) and "reload: ... bind changed", with the diff and haproxy
// -c's verdict, and leaves the file, the version, HAProxy and the
// transaction as they were. Without the bind change, the plan is the
// runtime commands, and the real commit then does just that: no reload,
// the server running.
func TestDryRunTransaction(t *testing.T) {
	l := startRuntimeLab(t)
	e := l.e
	base := "/services/haproxy/configuration"
	before := snapshot(t, l)

	var binds []struct {
		Name string `json:"name"`
		Port int    `json:"port"`
	}
	e.Get(base+"/frontends/fe/binds").JSON(t, &binds)
	if len(binds) != 1 {
		t.Fatalf("binds of fe: %+v", binds)
	}
	bind := binds[0]

	tx := begin(t, e)
	addS3 := func(tx txJSON) {
		t.Helper()
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_app/servers?transaction_id=" + tx.ID,
			Body: map[string]any{"name": "s3", "address": "127.0.0.1", "port": l.app.Port}}), 202, "staged server")
	}
	addS3(tx)
	newPort := haproxytest.FreePort(t)
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/frontends/fe/binds/" + bind.Name + "?transaction_id=" + tx.ID,
		Body: map[string]any{"name": bind.Name, "address": "127.0.0.1", "port": newPort}}), 202, "staged bind")

	p := dryRun(t, e, tx.ID)
	addServer := fmt.Sprintf("add server be_app/s3 127.0.0.1:%d", l.app.Port)
	if !p.Valid || p.Version != before.version+1 {
		t.Errorf("plan: valid %v, version %d; want valid, version %d: %s", p.Valid, p.Version, before.version+1, p.Messages)
	}
	if len(p.Apply) != 1 || !strings.HasPrefix(p.Apply[0], "reload: ") || !strings.Contains(p.Apply[0], "bind changed") {
		t.Errorf("apply %q, want one reload because the bind changed", p.Apply)
	}
	if !slices.ContainsFunc(p.Deferred, func(c string) bool { return strings.HasPrefix(c, addServer) }) {
		t.Errorf("deferred %q, want %q", p.Deferred, addServer)
	}
	for _, want := range []string{"+    server s3 127.0.0.1:", fmt.Sprintf("+    bind 127.0.0.1:%d", newPort), fmt.Sprintf("-    bind 127.0.0.1:%d", bind.Port)} {
		if !strings.Contains(p.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, p.Diff)
		}
	}
	if after := snapshot(t, l); after != before {
		t.Fatalf("the dry run changed something:\nbefore %+v\nafter  %+v", before, after)
	}
	var still txJSON
	e.Get("/services/haproxy/transactions/"+tx.ID).JSON(t, &still)
	if still.Status != "in_progress" {
		t.Fatalf("transaction %s after a dry run", still.Status)
	}

	// Without the bind change: the runtime commands, then the same for real.
	tx = begin(t, e)
	addS3(tx)
	p = dryRun(t, e, tx.ID)
	if len(p.Apply) == 0 || !strings.HasPrefix(p.Apply[0], addServer) || !slices.Contains(p.Apply, "set server be_app/s3 state ready") || len(p.Deferred) != 0 {
		t.Fatalf("plan %+v, want %q then its state ready", p, addServer)
	}
	if after := snapshot(t, l); after != before {
		t.Fatalf("the second dry run changed something:\nbefore %+v\nafter  %+v", before, after)
	}
	r := e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID})
	mustStatus(t, r, 200, "commit (live, as planned)")
	if got := serverNames(l, "be_app"); got != before.servers+",s3" {
		t.Fatalf("servers %s after the commit, want %s,s3", got, before.servers)
	}
	if reloads, _ := e.HAProxy.Reloads(); reloads != before.reloads {
		t.Fatalf("%d reloads after a commit planned live, was %d", reloads, before.reloads)
	}
	if v := version(t, e); v != p.Version {
		t.Fatalf("version %d after the commit, the plan said %d", v, p.Version)
	}
}

// TestDryRunRefused: a transaction HAProxy refuses gets a plan with
// haproxy -c's verdict and messages, and stays in progress (a real commit
// would fail it).
func TestDryRunRefused(t *testing.T) {
	l := startRuntimeLab(t)
	e := l.e
	before := snapshot(t, l)
	tx := begin(t, e)
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/configuration/frontends/fe?transaction_id=" + tx.ID,
		Body: map[string]any{"name": "fe", "default_backend": "be_nosuch"}}), 202, "staged frontend")
	p := dryRun(t, e, tx.ID)
	if p.Valid || !strings.Contains(p.Messages, "be_nosuch") || len(p.Apply) != 1 || !strings.HasPrefix(p.Apply[0], "nothing") {
		t.Fatalf("plan %+v, want refused with HAProxy's message about be_nosuch", p)
	}
	if after := snapshot(t, l); after != before {
		t.Fatalf("the dry run changed something:\nbefore %+v\nafter  %+v", before, after)
	}
	var still txJSON
	e.Get("/services/haproxy/transactions/"+tx.ID).JSON(t, &still)
	if still.Status != "in_progress" {
		t.Fatalf("transaction %s after a dry run", still.Status)
	}
}

// TestDryRunWrites: dry_run=true on the writes (a collection's create,
// replace and delete, a section's delete, the raw file) answers 200 with
// the plan, each as the commit would go, and changes nothing; inside a
// transaction it is refused.
func TestDryRunWrites(t *testing.T) {
	l := startRuntimeLab(t)
	e := l.e
	base := "/services/haproxy/configuration"
	before := snapshot(t, l)
	v := fmt.Sprintf("?version=%d&dry_run=true", before.version)
	plan := func(method, path string, body any) planJSON {
		t.Helper()
		r := e.Do(apitest.Request{Method: method, Path: path + v, Body: body})
		mustStatus(t, r, 200, "dry run of "+method+" "+path)
		var p planJSON
		r.JSON(t, &p)
		if !p.DryRun || !p.Valid || p.Version != before.version+1 {
			t.Fatalf("%s %s: plan %+v", method, path, p)
		}
		if after := snapshot(t, l); after != before {
			t.Fatalf("the dry run of %s %s changed something:\nbefore %+v\nafter  %+v", method, path, before, after)
		}
		return p
	}

	p := plan("POST", base+"/backends/be_app/servers", map[string]any{"name": "s3", "address": "127.0.0.1", "port": l.app.Port})
	want := []string{fmt.Sprintf("add server be_app/s3 127.0.0.1:%d", l.app.Port), "set server be_app/s3 state ready"}
	if !slices.Equal(p.Apply, want) {
		t.Errorf("create server: apply %q, want %q", p.Apply, want)
	}
	p = plan("PUT", base+"/backends/be_app/servers/s1", map[string]any{"name": "s1", "address": "127.0.0.1", "port": l.app.Port, "weight": 9})
	if !slices.Equal(p.Apply, []string{"set server be_app/s1 weight 9"}) {
		t.Errorf("replace server: apply %q", p.Apply)
	}
	p = plan("DELETE", base+"/backends/be_src", nil)
	if len(p.Apply) != 1 || p.Apply[0] != "reload: backend be_src was removed" || !strings.Contains(p.Diff, "-backend be_src") {
		t.Errorf("delete backend: apply %q, diff:\n%s", p.Apply, p.Diff)
	}
	raw := strings.Replace(before.file, "balance source", "balance roundrobin", 1)
	p = plan("POST", base+"/raw", raw)
	if len(p.Apply) != 1 || !strings.Contains(p.Apply[0], "backend be_src changed beyond its servers: balance changed") {
		t.Errorf("raw: apply %q", p.Apply)
	}

	tx := begin(t, e)
	r := e.Do(apitest.Request{Method: "DELETE", Path: base + "/backends/be_src?dry_run=true&transaction_id=" + tx.ID})
	mustStatus(t, r, 400, "dry run inside a transaction")
	if !strings.Contains(string(r.Body), "dry-run the commit") {
		t.Errorf("400 message: %s", r.Body)
	}
}
