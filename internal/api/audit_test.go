package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/audit"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// The second user of the audit tests (an admin, like apitest's user).
const bobUser, bobPass = "bob", "bob-api-password"

// auditLab is HAProxy with a frontend, a backend of two servers and a
// userlist, and dataplane with the role users and bob, logging at Debug
// into logs.
type auditLab struct {
	e    *apitest.Env
	app  *haproxytest.Backend
	logs *lockedBuffer
}

func startAuditLab(t *testing.T, opts ...func(*settings.Settings)) *auditLab {
	t.Helper()
	l := &auditLab{app: haproxytest.StartBackend(t, "app", nil), logs: &lockedBuffer{}}
	in := haproxytest.New(t)
	cfg := in.Global() + fmt.Sprintf(`
userlist controller
    user keep insecure-password keep-plain-pw

frontend fe
    bind 127.0.0.1:%d
    default_backend be_app

backend be_app
    balance roundrobin
    server s1 %[2]s
    server s2 %[2]s
`, haproxytest.FreePort(t), l.app.Addr())
	l.e = apitest.Start(t, in, cfg, apitest.Options{LogLevel: slog.LevelDebug, Log: l.logs, Settings: func(st *settings.Settings) {
		withRoleUsers(st)
		st.API.Users = append(st.API.Users, settings.User{Name: bobUser, Password: bobPass, Insecure: true, Role: "admin"})
		for _, o := range opts {
			o(st)
		}
	}})
	return l
}

// records reads the audit trail through the API as the admin.
func (l *auditLab) records(t *testing.T, query string) []audit.Record {
	t.Helper()
	r := l.e.Get("/audit" + query)
	mustStatus(t, r, 200, "GET /audit"+query)
	var recs []audit.Record
	r.JSON(t, &recs)
	return recs
}

// TestAuditTrail: a script of mixed changes by two users (a configuration
// write, a transaction with a staged write and its commit, a runtime
// server state, a map and a certificate upload, a user created with a
// password) gives exactly one record per change request, each with its
// user, operation, outcome and what it changed; no password or private
// key reaches the audit file or the request log; the filters select what
// they say; other roles get 403.
func TestAuditTrail(t *testing.T) {
	l := startAuditLab(t)
	e := l.e
	base := "/services/haproxy/configuration"
	cert := makeCert(t, "audit.test", 4242, nil, time.Now().Add(24*time.Hour))
	mapContent := "a.example be_app\n"
	const userPlain = "carol-plain-secret"

	type step struct {
		name, user, pass string
		req              apitest.Request
		status           int
		operation        string
		check            func(t *testing.T, rec audit.Record)
	}
	diffHas := func(want ...string) func(*testing.T, audit.Record) {
		return func(t *testing.T, rec audit.Record) {
			for _, w := range want {
				if !strings.Contains(rec.Diff, w) {
					t.Errorf("%s: diff lacks %q:\n%s", rec.Operation, w, rec.Diff)
				}
			}
		}
	}
	var txID string
	mapBody, mapCT := multipartFile(t, "hosts.map", mapContent)
	certBody, certCT := multipartBody(t, "site.pem", cert.bundle())
	steps := []func() step{
		func() step {
			return step{"configuration write", apitest.User, apitest.Password,
				apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e) + "&force_reload=true", Body: map[string]any{"name": "be_new", "mode": "http"}},
				201, "createBackend", diffHas("+backend be_new", "+    mode http")}
		},
		func() step {
			return step{"transaction start", bobUser, bobPass,
				apitest.Request{Method: "POST", Path: "/services/haproxy/transactions" + vq(t, e)}, 201, "startTransaction",
				func(t *testing.T, rec audit.Record) {
					if rec.Diff != "" || rec.Version != 0 {
						t.Errorf("starting a transaction changed something: %+v", rec)
					}
				}}
		},
		func() step {
			return step{"staged write", bobUser, bobPass,
				apitest.Request{Method: "POST", Path: base + "/backends/be_app/servers?transaction_id=" + txID, Body: map[string]any{"name": "s3", "address": "127.0.0.1", "port": l.app.Port}},
				202, "createServerBackend", func(t *testing.T, rec audit.Record) {
					diffHas("+    server s3 127.0.0.1:")(t, rec)
					if rec.Transaction != txID || rec.Version != 0 {
						t.Errorf("staged write: transaction %q version %d, want %q and none", rec.Transaction, rec.Version, txID)
					}
				}}
		},
		func() step {
			return step{"transaction commit", bobUser, bobPass,
				apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + txID + "?force_reload=true"}, 200, "commitTransaction",
				func(t *testing.T, rec audit.Record) {
					diffHas("+    server s3 127.0.0.1:", "-# _version=")(t, rec)
					if rec.Version == 0 {
						t.Errorf("the commit's record has no version")
					}
				}}
		},
		func() step {
			return step{"runtime server state", apitest.User, apitest.Password,
				apitest.Request{Method: "PUT", Path: "/services/haproxy/runtime/backends/be_app/servers/s1", Body: map[string]any{"admin_state": "maint"}},
				200, "replaceRuntimeServer", func(t *testing.T, rec audit.Record) {
					if !strings.Contains(strings.Join(rec.Commands, "\n"), "set server be_app/s1 state maint") || rec.Diff != "" {
						t.Errorf("runtime change: commands %q, diff %q", rec.Commands, rec.Diff)
					}
				}}
		},
		func() step {
			return step{"map upload", bobUser, bobPass,
				apitest.Request{Method: "POST", Path: "/services/haproxy/storage/maps", Body: mapBody, ContentType: mapCT},
				201, "createStorageMapFile", fileIs("hosts.map", []byte(mapContent))}
		},
		func() step {
			return step{"certificate upload", bobUser, bobPass,
				apitest.Request{Method: "POST", Path: storageCerts, Body: certBody, ContentType: certCT},
				201, "createStorageSSLCertificate", fileIs("site.pem", cert.bundle())}
		},
		func() step {
			return step{"user with a password", apitest.User, apitest.Password,
				apitest.Request{Method: "POST", Path: base + "/users?userlist=controller&" + strings.TrimPrefix(vq(t, e), "?") + "&force_reload=true",
					Body: map[string]any{"username": "carol", "password": userPlain, "secure_password": false}},
				201, "createUser", diffHas("+    user carol insecure-password " + audit.Redacted)}
		},
	}

	var want []step
	ids := map[string]step{}
	for _, mk := range steps {
		s := mk()
		r := e.Do(apitest.Request{Method: s.req.Method, Path: s.req.Path, Body: s.req.Body, ContentType: s.req.ContentType, User: s.user, Pass: s.pass})
		mustStatus(t, r, s.status, s.name)
		if s.name == "transaction start" {
			var tx txJSON
			r.JSON(t, &tx)
			txID = tx.ID
		}
		id := r.Header.Get("X-Request-Id")
		if id == "" {
			t.Fatalf("%s: no X-Request-Id", s.name)
		}
		ids[id] = s
		want = append(want, s)
	}
	// Reads are not audited.
	e.Get(base + "/backends")
	e.Get("/services/haproxy/runtime/backends/be_app/servers")

	recs := l.records(t, "?limit=1000")
	if len(recs) != len(want) {
		for _, r := range recs {
			t.Logf("record: %s %s %d by %s", r.Method, r.Path, r.Status, r.User)
		}
		t.Fatalf("%d audit records, want %d (one per change)", len(recs), len(want))
	}
	for i, rec := range recs {
		s, ok := ids[rec.RequestID]
		if !ok || s.name != want[i].name {
			t.Fatalf("record %d (%s %s) is not the change %q made then", i, rec.Method, rec.Path, want[i].name)
		}
		if rec.User != s.user || rec.Operation != s.operation || rec.Status != s.status || rec.Outcome != audit.OK ||
			rec.Method != s.req.Method || !strings.HasPrefix(rec.Path, "/v3/") || !strings.HasPrefix(rec.Remote, "127.0.0.1:") || rec.Time.IsZero() {
			t.Errorf("%s: record %+v, want user %s, operation %s, status %d", s.name, rec, s.user, s.operation, s.status)
		}
		s.check(t, rec)
	}

	// No secret anywhere: the file (and its rotated one), the request log.
	st := e.Settings
	trail, _ := os.ReadFile(st.AuditFile())
	rotated, _ := os.ReadFile(st.AuditFile() + ".1")
	trail = append(trail, rotated...)
	keyBody := strings.Split(string(cert.keyPEM), "\n")[1] // a line of the key's base64
	secrets := map[string]string{
		"the new user's password":   userPlain,
		"a user's password":         "keep-plain-pw",
		"the private key":           keyBody,
		"an API password":           bobPass,
		"basic credentials":         base64.StdEncoding.EncodeToString([]byte(bobUser + ":" + bobPass)),
		"the admin's API password":  apitest.Password,
		"a private key block start": "PRIVATE KEY-----\n",
	}
	for what, secret := range secrets {
		if bytes.Contains(trail, []byte(secret)) {
			t.Errorf("the audit file holds %s", what)
		}
		if strings.Contains(l.logs.String(), secret) {
			t.Errorf("the request log holds %s", what)
		}
	}
	if !bytes.Contains(e.ReadConfig(), []byte("user carol insecure-password "+userPlain)) {
		t.Fatal("the user was not written as asked: the secrets test proves nothing")
	}
	if !strings.Contains(l.logs.String(), "user="+bobUser) {
		t.Fatal("the request log does not name bob: it was not captured")
	}

	// A refused change is recorded as an error.
	stale := e.Do(apitest.Request{Method: "POST", Path: base + "/backends?version=1", Body: map[string]any{"name": "be_stale"}})
	mustStatus(t, stale, 409, "a stale version")

	// Filters.
	t0 := recs[0].Time
	last := recs[len(recs)-1].Time
	cases := []struct {
		name, query string
		want        func(audit.Record) bool
		n           int
	}{
		{"user", "?user=" + bobUser, func(r audit.Record) bool { return r.User == bobUser }, 5},
		{"path prefix", "?path=" + url.QueryEscape("/v3/services/haproxy/runtime/"), func(r audit.Record) bool { return strings.HasPrefix(r.Path, "/v3/services/haproxy/runtime/") }, 1},
		{"outcome", "?outcome=error", func(r audit.Record) bool { return r.Status == 409 && r.Outcome == audit.Error }, 1},
		{"limit", "?limit=2", func(r audit.Record) bool { return true }, 2},
		{"since", "?since=" + url.QueryEscape(last.Format(time.RFC3339Nano)), func(r audit.Record) bool { return !r.Time.Before(last) }, 2},
		{"until", "?until=" + url.QueryEscape(t0.Add(time.Nanosecond).Format(time.RFC3339Nano)), func(r audit.Record) bool { return r.RequestID == recs[0].RequestID }, 1},
		{"combined", "?user=" + apitest.User + "&outcome=ok&limit=1", func(r audit.Record) bool { return r.Operation == "createUser" }, 1},
	}
	for _, c := range cases {
		got := l.records(t, c.query)
		if len(got) != c.n {
			t.Errorf("filter %s: %d records, want %d", c.name, len(got), c.n)
		}
		for _, r := range got {
			if !c.want(r) {
				t.Errorf("filter %s selected %s %s by %s (%d)", c.name, r.Method, r.Path, r.User, r.Status)
			}
		}
	}
	mustStatus(t, e.Get("/audit?since=yesterday"), 400, "a bad time")

	// Admins only.
	for _, u := range [][2]string{{viewerUser, viewerPass}, {operatorUser, operatorPass}} {
		r := e.Do(apitest.Request{Method: "GET", Path: "/audit", User: u[0], Pass: u[1]})
		mustStatus(t, r, 403, u[0]+" reads the audit trail")
		if !strings.Contains(string(r.Body), "needs role admin") {
			t.Errorf("%s: %s", u[0], r.Body)
		}
	}
}

// fileIs checks that a record names one stored file with the SHA-256 of
// content.
func fileIs(name string, content []byte) func(*testing.T, audit.Record) {
	return func(t *testing.T, rec audit.Record) {
		sum := sha256.Sum256(content)
		if len(rec.Files) != 1 || rec.Files[0].Name != name || rec.Files[0].SHA256 != hex.EncodeToString(sum[:]) ||
			rec.Files[0].Size != int64(len(content)) {
			t.Errorf("%s: files %+v, want %s with sha256 %x", rec.Operation, rec.Files, name, sum)
		}
	}
}

// TestRestoreByVersion: five changes, then the version from five changes
// ago is restored: HAProxy runs it (the backends of `show backend`), under
// a new version; the list of kept versions names who made each. A kept
// file HAProxy rejects (corrupted on disk) is refused with HAProxy's
// messages, and the live file and version stay as they were.
func TestRestoreByVersion(t *testing.T) {
	l := startAuditLab(t, func(st *settings.Settings) { st.API.Transaction.BackupsNumber = 10 })
	e := l.e
	base := "/services/haproxy/configuration"
	v0 := version(t, e)
	for i := 1; i <= 5; i++ {
		user, pass := apitest.User, apitest.Password
		if i%2 == 0 {
			user, pass = bobUser, bobPass
		}
		r := e.Do(apitest.Request{Method: "POST", Path: base + "/backends" + vq(t, e) + "&force_reload=true", User: user, Pass: pass,
			Body: map[string]any{"name": fmt.Sprintf("be_%d", i)}})
		mustStatus(t, r, 201, fmt.Sprintf("change %d", i))
	}
	if !strings.Contains(e.HAProxy.Stats("show backend"), "be_5") {
		t.Fatal("HAProxy does not run the fifth change")
	}
	v5 := version(t, e)

	var kept []map[string]any
	e.Get(base+"/backups").JSON(t, &kept)
	if len(kept) != 5 || kept[0]["version"] != float64(v0) || kept[4]["version"] != float64(v5-1) {
		t.Fatalf("kept versions: %v, want %d to %d", kept, v0, v5-1)
	}
	for i, k := range kept[1:] {
		want := apitest.User
		if (i+1)%2 == 0 {
			want = bobUser
		}
		if k["user"] != want || k["size"].(float64) <= 0 {
			t.Errorf("kept version %v: made by %v, want %s: %v", k["version"], k["user"], want, k)
		}
	}

	r := e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("%s/backups/%d/restore?force_reload=true", base, v0), User: bobUser, Pass: bobPass})
	mustStatus(t, r, 201, "restore the version from five changes ago")
	var res map[string]any
	r.JSON(t, &res)
	if res["restored_version"] != float64(v0) || res["version"] != float64(v5+1) || version(t, e) != v5+1 {
		t.Fatalf("restore: %s, version now %d, want %d", r.Body, version(t, e), v5+1)
	}
	backends := e.HAProxy.Stats("show backend")
	for i := 1; i <= 5; i++ {
		if strings.Contains(backends, fmt.Sprintf("be_%d\n", i)) {
			t.Errorf("HAProxy still runs be_%d after the restore:\n%s", i, backends)
		}
	}
	if !strings.Contains(backends, "be_app") {
		t.Errorf("HAProxy does not run be_app after the restore:\n%s", backends)
	}
	for i := 1; i <= 5; i++ {
		if bytes.Contains(e.ReadConfig(), []byte(fmt.Sprintf("backend be_%d\n", i))) {
			t.Errorf("the file still has be_%d", i)
		}
	}
	recs := l.records(t, "?path="+url.QueryEscape("/v3"+base+"/backups"))
	if len(recs) != 1 || recs[0].User != bobUser || recs[0].Version != v5+1 || !strings.Contains(recs[0].Diff, "-backend be_5") {
		t.Errorf("the restore's audit record: %+v", recs)
	}

	// A kept file HAProxy rejects: refused, nothing changed.
	kept = nil
	e.Get(base+"/backups").JSON(t, &kept)
	bad := int64(kept[len(kept)-1]["version"].(float64))
	name := filepath.Join(filepath.Dir(e.Settings.HAProxy.ConfigFile), filepath.Base(e.Settings.HAProxy.ConfigFile)+"."+fmt.Sprint(bad))
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, append(b, []byte("backend be_broken\n    server x 127.0.0.1:1 no-such-keyword\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	before, vBefore := e.ReadConfig(), version(t, e)
	reloads, _ := e.HAProxy.Reloads()
	r = e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("%s/backups/%d/restore?force_reload=true", base, bad)})
	mustStatus(t, r, 400, "restore a file HAProxy rejects")
	if !strings.Contains(string(r.Body), "no-such-keyword") {
		t.Errorf("the refusal does not carry HAProxy's message: %s", r.Body)
	}
	if !bytes.Equal(e.ReadConfig(), before) || version(t, e) != vBefore {
		t.Fatal("a refused restore changed the file or its version")
	}
	if now, _ := e.HAProxy.Reloads(); now != reloads {
		t.Fatal("a refused restore reloaded HAProxy")
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backups/99999/restore"}), 404, "a version not kept")
	errs := l.records(t, "?outcome=error")
	if len(errs) != 2 || errs[0].Status != 400 || errs[1].Status != 404 {
		t.Errorf("the refused restores' records: %+v", errs)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: fmt.Sprintf("%s/backups/%d/restore", base, v0), User: operatorUser, Pass: operatorPass}), 403, "an operator restores")
}
