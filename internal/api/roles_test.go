package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/role"
	"dataplane/internal/settings"
)

// The users of the role tests, besides apitest's admin (no role set: an
// admin, as every user was before roles).
const (
	viewerUser, viewerPass     = "viewer", "viewerpwd"
	operatorUser, operatorPass = "ops", "opspwd"
)

func withRoleUsers(st *settings.Settings) {
	st.API.Users = append(st.API.Users,
		settings.User{Name: viewerUser, Password: viewerPass, Insecure: true, Role: "read-only"},
		settings.User{Name: operatorUser, Password: operatorPass, Insecure: true, Role: "operator"})
}

// roleCall is one operation of the contract, as a request that reaches it
// with placeholder parameters and no body: it is refused for its role
// (403), or refused for its input or a missing object (4xx), which is
// enough to show the role let it through.
type roleCall struct {
	method, path, concrete string
	action                 role.Action
}

// contractCalls lists every operation of the loaded contract, failing the
// test for one without a declared action.
func contractCalls(t *testing.T, spec *openapi3.T) []roleCall {
	t.Helper()
	param := regexp.MustCompile(`\{([^}/]+)\}`)
	var calls []roleCall
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			action, ok := role.Of(method, path)
			if !ok {
				t.Errorf("%s %s has no declared action: add its area or an override in internal/role", method, path)
				continue
			}
			concrete := param.ReplaceAllStringFunc(path, func(p string) string {
				// An index far past any list, a name nothing has: the
				// operations that go through change nothing.
				if isInteger(strings.Trim(p, "{}"), op.Parameters, item.Parameters) {
					return "999"
				}
				return "rolecheck"
			})
			calls = append(calls, roleCall{method: method, path: path, concrete: concrete, action: action})
		}
	}
	sort.Slice(calls, func(i, j int) bool {
		return calls[i].path+calls[i].method < calls[j].path+calls[j].method
	})
	return calls
}

// isInteger reports whether the parameter name is an integer in lists.
func isInteger(name string, lists ...openapi3.Parameters) bool {
	for _, l := range lists {
		for _, p := range l {
			if p.Value != nil && p.Value.Name == name && p.Value.Schema != nil && p.Value.Schema.Value != nil &&
				p.Value.Schema.Value.Type.Is("integer") {
				return true
			}
		}
	}
	return false
}

// TestRoleMatrix walks every operation of api/openapi.yaml with each role:
// allowed, the request is not refused for its role; denied, it is a 403
// whose message names the role needed, and nothing changed: the file, its
// version, the reloads. An operation without a declared action fails.
func TestRoleMatrix(t *testing.T) {
	l := startRuntimeLab(t, withRoleUsers)
	e := l.e
	calls := contractCalls(t, e.Spec())
	users := []struct {
		name, user, pass string
		role             role.Role
	}{
		{"read-only", viewerUser, viewerPass, role.ReadOnly},
		{"operator", operatorUser, operatorPass, role.Operator},
		{"admin", apitest.User, apitest.Password, role.Admin},
	}
	do := func(c roleCall, user, pass string) *apitest.Response {
		return e.Do(apitest.Request{Method: c.method, Path: c.concrete, User: user, Pass: pass})
	}

	// Denied first, while nothing else has changed anything.
	cfg, version := e.ReadConfig(), e.Get("/services/haproxy/configuration/version").Body
	reloads, _ := e.HAProxy.Reloads()
	denied := map[string]int{}
	for _, u := range users {
		for _, c := range calls {
			if u.role.May(c.action) {
				continue
			}
			denied[u.name]++
			r := do(c, u.user, u.pass)
			if r.Status != http.StatusForbidden {
				t.Errorf("%s: %s %s: status %d, want 403: %s", u.name, c.method, c.path, r.Status, r.Body)
				continue
			}
			var body struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			r.JSON(t, &body)
			want := fmt.Sprintf("has role %s; %s", u.name, c.method)
			need := "needs role " + c.action.Needs().String()
			if body.Code != 403 || !strings.Contains(body.Message, want) || !strings.HasSuffix(body.Message, need) {
				t.Errorf("%s: %s %s: %s, want a message with %q and %q", u.name, c.method, c.path, r.Body, want, need)
			}
		}
	}
	if got := e.ReadConfig(); string(got) != string(cfg) {
		t.Errorf("denied requests changed the file:\n%s", got)
	}
	if got := e.Get("/services/haproxy/configuration/version").Body; string(got) != string(version) {
		t.Errorf("denied requests changed the version: %s, was %s", got, version)
	}
	if now, _ := e.HAProxy.Reloads(); now != reloads {
		t.Errorf("denied requests reloaded HAProxy: %d reloads, was %d", now, reloads)
	}
	if denied["read-only"] == 0 || denied["operator"] == 0 || denied["admin"] != 0 ||
		denied["operator"] >= denied["read-only"] {
		t.Errorf("denied %v: want some for read-only, fewer for operator, none for admin", denied)
	}

	allowed := map[string]int{}
	for _, u := range users {
		for _, c := range calls {
			if !u.role.May(c.action) {
				continue
			}
			allowed[u.name]++
			if r := do(c, u.user, u.pass); r.Status == http.StatusForbidden {
				t.Errorf("%s: %s %s: 403, want it allowed: %s", u.name, c.method, c.path, r.Body)
			}
		}
	}
	t.Logf("%d operations; denied %v; allowed %v", len(calls), denied, allowed)
}

// TestOperatorOnRealHAProxy: an operator changes a server's weight (read
// back from HAProxy) and cannot add a backend; a read-only user cannot
// change the weight (unchanged in HAProxy); a /v2 write is refused the
// same way, by the same check.
func TestOperatorOnRealHAProxy(t *testing.T) {
	l := startRuntimeLab(t, withRoleUsers)
	e := l.e
	weight := func() string { return l.state(t, "be_app", "s1")["srv_uweight"] }
	put := func(user, pass string, w int) *apitest.Response {
		return e.Do(apitest.Request{Method: "PUT", Path: rtPath + "be_app/servers/s1", User: user, Pass: pass, Body: map[string]any{"weight": w}})
	}

	r := put(viewerUser, viewerPass, 7)
	mustStatus(t, r, 403, "read-only PUT weight")
	if !strings.Contains(string(r.Body), "needs role operator") {
		t.Errorf("403 without the role needed: %s", r.Body)
	}
	if w := weight(); w != "50" {
		t.Fatalf("weight %s after a refused change, want 50", w)
	}

	mustStatus(t, put(operatorUser, operatorPass, 7), 200, "operator PUT weight")
	if w := weight(); w != "7" {
		t.Fatalf("weight %s after the operator's change, want 7", w)
	}

	before := e.ReadConfig()
	add := apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/backends?version=1",
		Body: map[string]any{"name": "be_new"}, User: operatorUser, Pass: operatorPass}
	r = e.Do(add)
	mustStatus(t, r, 403, "operator POST backend")
	if !strings.Contains(string(r.Body), `user \"ops\" has role operator`) || !strings.HasSuffix(strings.TrimSpace(string(r.Body)), `needs role admin"}`) {
		t.Errorf("403 message: %s", r.Body)
	}
	if string(e.ReadConfig()) != string(before) {
		t.Fatal("a refused POST changed the file")
	}
	add.User, add.Pass = apitest.User, apitest.Password
	if r := e.Do(add); r.Status != 201 && r.Status != 202 {
		t.Fatalf("admin POST backend: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(e.ReadConfig()), "backend be_new") {
		t.Fatal("the admin's backend is not in the file")
	}

	// /v2 is served by the /v3 operations, through the same check.
	hr, _ := http.NewRequest("DELETE", e.Server.URL+"/v2/services/haproxy/configuration/backends/be_new?version=2", nil)
	hr.SetBasicAuth(operatorUser, operatorPass)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Message string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(body.Message, "needs role admin") {
		t.Errorf("/v2 DELETE as operator: %d %q", resp.StatusCode, body.Message)
	}
	if !strings.Contains(string(e.ReadConfig()), "backend be_new") {
		t.Fatal("a refused /v2 DELETE removed the backend")
	}
}

// TestRolesFromUserlist: without users in the settings, the users of the
// userlist have the role of the groups named after one (the highest; by
// `groups` or `group ... users`), else admin; the role follows an edit of
// the userlist at the next request.
func TestRolesFromUserlist(t *testing.T) {
	app := haproxytest.StartBackend(t, "app", nil)
	in := haproxytest.New(t)
	cfg := in.Global() + fmt.Sprintf(`
userlist controller
    group read-only
    group operator users ops
    user viewer insecure-password viewerpwd groups read-only
    user ops insecure-password opspwd
    user both insecure-password bothpwd groups read-only,operator
    user boss insecure-password bosspwd

frontend fe
    bind 127.0.0.1:%d
    default_backend be_app

backend be_app
    balance roundrobin
    server s1 %s weight 50
`, haproxytest.FreePort(t), app.Addr())
	e := apitest.Start(t, in, cfg, apitest.Options{Settings: func(st *settings.Settings) {
		st.API.Users = nil
		st.API.Userlist.Userlist = "controller"
	}})
	l := &runtimeLab{e: e, app: app}
	put := func(user string, w int) *apitest.Response {
		return e.Do(apitest.Request{Method: "PUT", Path: rtPath + "be_app/servers/s1", User: user, Pass: user + "pwd", Body: map[string]any{"weight": w}})
	}
	weight := func() string { return l.state(t, "be_app", "s1")["srv_uweight"] }

	if r := e.Do(apitest.Request{Method: "GET", Path: rtPath + "be_app/servers/s1", User: "viewer", Pass: "viewerpwd"}); r.Status != 200 {
		t.Fatalf("read-only GET: %d %s", r.Status, r.Body)
	}
	mustStatus(t, put("viewer", 5), 403, "read-only (groups) PUT weight")
	if w := weight(); w != "50" {
		t.Fatalf("weight %s after a refused change", w)
	}
	mustStatus(t, put("ops", 6), 200, "operator (group ... users) PUT weight")
	if w := weight(); w != "6" {
		t.Fatalf("weight %s, want 6", w)
	}
	mustStatus(t, put("both", 8), 200, "read-only and operator PUT weight")
	if w := weight(); w != "8" {
		t.Fatalf("weight %s, want 8", w)
	}

	// boss, in no role group, is an admin: it moves ops to read-only.
	raw := e.Do(apitest.Request{Method: "GET", Path: "/services/haproxy/configuration/raw", User: "viewer", Pass: "viewerpwd"})
	edited := strings.NewReplacer("group operator users ops\n", "group operator\n",
		"group read-only\n", "group read-only users ops\n").Replace(string(raw.Body))
	if strings.Count(edited, "users ops") != 1 || strings.Contains(edited, "operator users") {
		t.Fatalf("no group line in %s", raw.Body)
	}
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?version=" + raw.Header.Get("Configuration-Version"),
		Body: edited, User: "boss", Pass: "bosspwd"})
	if r.Status != 201 && r.Status != 202 {
		t.Fatalf("admin (no role group) POST raw: %d %s", r.Status, r.Body)
	}
	r = put("ops", 9)
	mustStatus(t, r, 403, "ops moved to read-only")
	if !strings.Contains(string(r.Body), "has role read-only") {
		t.Errorf("403 message: %s", r.Body)
	}
	if w := weight(); w != "8" {
		t.Fatalf("weight %s after a refused change, want 8", w)
	}
}
