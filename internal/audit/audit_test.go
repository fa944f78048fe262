package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogStaysUnderItsBound appends 10,000 records (some with large
// diffs) and checks after each hundred that the file and its rotated one
// together stay under the bound, and that the newest records are kept.
func TestLogStaysUnderItsBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	const max = 256 << 10
	l, err := Open(path, max)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	big := strings.Repeat("+    server s 10.0.0.1:80 check\n", 10000) // ~320 KB: over the bound alone
	for i := range 10000 {
		rec := Record{Time: time.Now(), User: "u", Method: "POST", Path: fmt.Sprintf("/v3/x/%d", i), Status: 201, Outcome: OK,
			Diff: fmt.Sprintf("+backend b%d\n", i)}
		if i%1000 == 7 {
			rec.Diff = big
		}
		if err := l.Append(rec); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if i%100 == 0 || i == 9999 {
			if total := size(t, path) + size(t, path+".1"); total > max {
				t.Fatalf("after %d appends the audit files hold %d bytes, over %d", i+1, total, max)
			}
		}
	}
	recs, err := l.Query(Filter{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].Path != "/v3/x/9999" || recs[0].Path != "/v3/x/9997" {
		t.Fatalf("newest records: %+v", recs)
	}
}

func size(t *testing.T, p string) int64 {
	st, err := os.Stat(p)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestRedact(t *testing.T) {
	key := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
	cases := []struct {
		name, in, secret string
	}{
		{"hashed password in a diff", "+    user bob password $5$salt$hashhashhash groups g\n", "$5$salt$hashhashhash"},
		{"insecure password", "-  user alice insecure-password s3cret\n", "s3cret"},
		{"private key", "cert\n" + key, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"},
		{"ec private key cut short", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIAbc", "MHcCAQEEIAbc"},
		{"basic auth header", "Authorization: Basic YWRtaW46YWRtaW5wd2Q=", "YWRtaW46YWRtaW5wd2Q="},
		{"credentials in a URL", "http://admin:adminpwd@127.0.0.1/", "adminpwd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Redact(c.in)
			if strings.Contains(got, c.secret) || !strings.Contains(got, Redacted) {
				t.Fatalf("Redact(%q) = %q", c.in, got)
			}
		})
	}
	if got := Redact("+    server s1 10.0.0.1:80 weight 10\n"); got != "+    server s1 10.0.0.1:80 weight 10\n" {
		t.Fatalf("a line without secrets changed: %q", got)
	}
}

func TestQueryFilters(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "audit.log"), MinMaxSize)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i, r := range []Record{
		{User: "alice", Path: "/v3/services/haproxy/configuration/backends", Outcome: OK},
		{User: "bob", Path: "/v3/services/haproxy/runtime/backends/b/servers/s", Outcome: OK},
		{User: "alice", Path: "/v3/services/haproxy/configuration/raw", Outcome: Error},
		{User: "bob", Path: "/v3/services/haproxy/storage/maps", Outcome: OK},
	} {
		r.Time = t0.Add(time.Duration(i) * time.Minute)
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		f    Filter
		want []int // minutes of the records expected
	}{
		{"all", Filter{}, []int{0, 1, 2, 3}},
		{"user", Filter{User: "alice"}, []int{0, 2}},
		{"since", Filter{Since: t0.Add(2 * time.Minute)}, []int{2, 3}},
		{"until", Filter{Until: t0.Add(2 * time.Minute)}, []int{0, 1}},
		{"path prefix", Filter{PathPrefix: "/v3/services/haproxy/configuration/"}, []int{0, 2}},
		{"outcome", Filter{Outcome: Error}, []int{2}},
		{"limit keeps the newest", Filter{Limit: 1}, []int{3}},
		{"combined", Filter{User: "bob", Outcome: OK, Limit: 5}, []int{1, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, err := l.Query(c.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, r := range recs {
				got = append(got, int(r.Time.Sub(t0)/time.Minute))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// FuzzRedactGuards checks that Redact's literal guards never change its
// result: whatever the text, it is what the four patterns run on every
// text give.
func FuzzRedactGuards(f *testing.F) {
	for _, s := range []string{
		"+    user bob password $5$salt$hash groups g\n",
		"-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n",
		"AUTHORIZATION:basic Zm9vOmJhcg==", "authorization:\tBASIC x", "Authorization : Basic x",
		"https://u:p@h/", "ftp://u:p@h", "://a:b@", "set server be_1/s1 weight 7",
		"/v3/services/haproxy/runtime/backends/be/servers/s1", "set server be/s1 addr ::1 port 80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := userPassword.ReplaceAllString(s, "${1}"+Redacted)
		want = privateKey.ReplaceAllString(want, "-----BEGIN ${1}PRIVATE KEY----- "+Redacted)
		want = basicAuth.ReplaceAllString(want, "${1}"+Redacted)
		want = urlCreds.ReplaceAllString(want, "${1}"+Redacted+"@")
		if got := Redact(s); got != want {
			t.Fatalf("Redact(%q) = %q, want %q", s, got, want)
		}
	})
}
