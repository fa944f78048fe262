package api_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// TestUserlistsDriveAuthentication: dataplane takes its API users from the
// userlist `controller`; a user created through /users?userlist= with a
// bcrypt hash authenticates at the next request, one with a $6$ hash too,
// a changed password takes over from the old one, and a deleted user gets
// 401. Groups and the userlist itself are served as the contract says.
func TestUserlistsDriveAuthentication(t *testing.T) {
	in := haproxytest.New(t)
	cfg := in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"

userlist controller
    group ops users admin
    user admin insecure-password adminpwd groups ops
`, haproxytest.FreePort(t))
	e := apitest.Start(t, in, cfg, apitest.Options{Settings: func(st *settings.Settings) { st.API.Users = nil }})
	const base = "/services/haproxy/configuration"
	write := func(method, path string, body any, want int) *apitest.Response {
		t.Helper()
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := e.Do(apitest.Request{Method: method, Path: base + path + sep + strings.TrimPrefix(vq(t, e), "?"), Body: body})
		mustStatus(t, r, want, method+" "+path)
		return r
	}
	login := func(user, pass string) int {
		return e.Do(apitest.Request{Method: "GET", Path: "/info", User: user, Pass: pass}).Status
	}

	hash, err := bcrypt.GenerateFromPassword([]byte("carol-secret"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if s := login("carol", "carol-secret"); s != 401 {
		t.Fatalf("carol before she exists: %d", s)
	}
	r := write("POST", "/users?userlist=controller", map[string]any{"username": "carol", "password": string(hash), "secure_password": true, "groups": "ops"}, 202)
	if strings.Contains(string(r.Body), "carol-secret") {
		t.Fatalf("the answer shows the password: %s", r.Body)
	}
	if s := login("carol", "carol-secret"); s != 200 {
		t.Fatalf("carol, created with a bcrypt hash: %d", s)
	}
	if !strings.Contains(string(e.ReadConfig()), "    user carol password "+string(hash)+" groups ops\n") {
		t.Fatalf("the file lacks carol's line:\n%s", e.ReadConfig())
	}

	// A $6$ hash (made by glibc's crypt, the format mkpasswd writes).
	const sha512 = "$6$saltsalt$NpvEyk8GBCWVvcAdQ43PeZnN/HCVmXT6Z3L.q2PfTWymyT4hNYnCWokmuQqktmmr0wyEqszIOH7i3IsE5iqmn." // "dave-secret", by openssl passwd -6
	write("PUT", "/users/carol?userlist=controller", map[string]any{"username": "carol", "password": sha512, "secure_password": true}, 202)
	if s := login("carol", "carol-secret"); s != 401 {
		t.Fatalf("carol's old password after the change: %d", s)
	}
	if s := login("carol", "dave-secret"); s != 200 {
		t.Fatalf("carol's new $6$ password: %d", s)
	}

	var users []map[string]any
	e.Get(base+"/users?userlist=controller").JSON(t, &users)
	if len(users) != 2 || users[1]["username"] != "carol" || users[1]["password"] != sha512 || users[1]["secure_password"] != true {
		t.Fatalf("users: %v", users)
	}
	var groups []map[string]any
	e.Get(base+"/groups?userlist=controller").JSON(t, &groups)
	if len(groups) != 1 || groups[0]["name"] != "ops" || groups[0]["users"] != "admin" {
		t.Fatalf("groups: %v", groups)
	}
	var ul map[string]any
	e.Get(base+"/userlists/controller?full_section=true").JSON(t, &ul)
	if u, ok := ul["users"].(map[string]any); !ok || len(u) != 2 || ul["groups"] == nil {
		t.Fatalf("full_section userlist: %v", ul)
	}

	write("DELETE", "/users/carol?userlist=controller", nil, 202)
	if s := login("carol", "dave-secret"); s != 401 {
		t.Fatalf("carol after her deletion: %d", s)
	}
	if s := login("admin", "adminpwd"); s != 200 {
		t.Fatalf("admin: %d", s)
	}

	// The parent is required; a missing userlist is a 404; bad input is a
	// 4xx that writes nothing.
	before := e.ReadConfig()
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", base + "/users", nil, 400},
		{"GET", base + "/users?userlist=nope", nil, 404},
		{"POST", base + "/users?userlist=nope" + "&" + strings.TrimPrefix(vq(t, e), "?"), map[string]any{"username": "x", "password": "p", "secure_password": false}, 404},
		{"POST", base + "/users?userlist=controller&" + strings.TrimPrefix(vq(t, e), "?"), map[string]any{"username": "x", "password": "p w", "secure_password": false}, 400},
		{"POST", base + "/users?userlist=controller&" + strings.TrimPrefix(vq(t, e), "?"), map[string]any{"username": "x\nuser y", "password": "p", "secure_password": false}, 400},
		{"POST", base + "/users?userlist=controller&" + strings.TrimPrefix(vq(t, e), "?"), map[string]any{"username": "x", "password": "plain", "secure_password": true}, 400},
		{"POST", base + "/users?userlist=controller&" + strings.TrimPrefix(vq(t, e), "?"), map[string]any{"username": "admin", "password": "p", "secure_password": false}, 409},
		{"POST", base + "/groups?userlist=controller&" + strings.TrimPrefix(vq(t, e), "?"), map[string]any{"name": "g", "users": "a b"}, 400},
		{"PUT", base + "/userlists/controller?" + strings.TrimPrefix(vq(t, e), "?"), map[string]any{"name": "controller"}, 404}, // no PUT in the contract
	} {
		r := e.Do(apitest.Request{Method: c.method, Path: c.path, Body: c.body})
		if r.Status != c.want && !(c.want == 400 && r.Status == 422) {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.want, r.Body)
		}
	}
	if string(e.ReadConfig()) != string(before) {
		t.Fatal("a refused request changed the file")
	}

	// Plain passwords are shown to admins only: a read-only user (group
	// read-only of the userlist) reads them redacted, hashes as they are.
	write("POST", "/groups?userlist=controller", map[string]any{"name": "read-only"}, 202)
	write("POST", "/users?userlist=controller", map[string]any{"username": "viewer", "password": "viewerpw", "secure_password": false, "groups": "read-only"}, 202)
	for _, path := range []string{base + "/users?userlist=controller", base + "/users/admin?userlist=controller", base + "/userlists/controller?full_section=true", base + "/userlists?full_section=true"} {
		asViewer := e.Do(apitest.Request{Method: "GET", Path: path, User: "viewer", Pass: "viewerpw"})
		mustStatus(t, asViewer, 200, "GET as read-only "+path)
		if strings.Contains(string(asViewer.Body), "adminpwd") || strings.Contains(string(asViewer.Body), "viewerpw") || !strings.Contains(string(asViewer.Body), "******") {
			t.Errorf("read-only GET %s shows a plain password or no redaction: %s", path, asViewer.Body)
		}
		if asAdmin := e.Get(path); !strings.Contains(string(asAdmin.Body), "adminpwd") {
			t.Errorf("admin GET %s does not show the plain password: %s", path, asAdmin.Body)
		}
	}
	write("DELETE", "/users/viewer?userlist=controller", nil, 202)

	// A userlist created and deleted through the API; HAProxy runs both.
	write("POST", "/userlists", map[string]any{"name": "extra"}, 202)
	write("POST", "/users?userlist=extra", map[string]any{"username": "eve", "password": "evepw", "secure_password": false}, 202)
	if !strings.Contains(string(e.ReadConfig()), "userlist extra\n    user eve insecure-password evepw\n") {
		t.Fatalf("new userlist:\n%s", e.ReadConfig())
	}
	write("DELETE", "/userlists/extra", nil, 202)
	if strings.Contains(string(e.ReadConfig()), "userlist extra") {
		t.Fatalf("deleted userlist still there:\n%s", e.ReadConfig())
	}
}
