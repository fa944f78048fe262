package auth

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-crypt/crypt/algorithm"
	"golang.org/x/crypto/bcrypt"
)

func TestNewErrors(t *testing.T) {
	sha := vec(t, "sha512crypt").hash
	env := map[string]string{"SET": sha}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name  string
		users []User
		want  []string // all must appear in the message
	}{
		{"no users", nil, []string{"no users configured", `user "admin" { password = "<hash>" }`, `userlist "controller"`}},
		{"empty list", []User{}, []string{"no users configured"}},
		{"empty name", []User{{Name: "", Password: sha}}, []string{"user #1: empty user name"}},
		{"colon in name", []User{{Name: "a:b", Password: sha}}, []string{`"a:b" contains ':'`}},
		{"control char in name", []User{{Name: "a\x00b", Password: sha}}, []string{"control character"}},
		{"duplicate", []User{{Name: "a", Password: sha}, {Name: "a", Password: sha}}, []string{`user "a" is configured more than once`}},
		{"unset env", []User{{Name: "a", Password: "${UNSET_PW}"}}, []string{`user "a"`, "environment variable UNSET_PW", "unset or empty"}},
		{"unset env insecure", []User{{Name: "a", Password: "${UNSET_PW}", Insecure: true}}, []string{`user "a"`, "UNSET_PW"}},
		{"empty insecure", []User{{Name: "a", Insecure: true}}, []string{`user "a": empty insecure password`}},
		{"overlong insecure", []User{{Name: "a", Password: strings.Repeat("x", MaxPasswordLen+1), Insecure: true}}, []string{"longer than 256 bytes"}},
		{"all problems reported", []User{
			{Name: "a", Password: "nope"},
			{Name: "ok", Password: "${SET}"},
			{Name: "b", Password: "${UNSET_PW}"},
		}, []string{`user "a"`, `user "b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.users, Options{Getenv: getenv})
			if err == nil {
				t.Fatalf("New succeeded with users %v", a.Users())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestHashErrorUnwraps(t *testing.T) {
	// bcrypt is read by golang.org/x/crypto, the other forms by go-crypt:
	// each library's own error stays reachable.
	_, err := New([]User{{Name: "a", Password: "$2b$05$short"}}, Options{})
	if !errors.Is(err, bcrypt.ErrHashTooShort) {
		t.Fatalf("x/crypto's error not reachable through %v", err)
	}
	if _, err := New([]User{{Name: "b", Password: "$6$rounds=notanumber$salt$" + strings.Repeat("a", 86)}}, Options{}); !errors.Is(err, algorithm.ErrEncodedHashInvalidOptionValue) {
		t.Fatalf("go-crypt's error not reachable through %v", err)
	}
	var he *hashError
	if !errors.As(err, &he) || he.user != "a" {
		t.Fatalf("errors.As(*hashError) failed for %v", err)
	}
}

func TestEnvPassword(t *testing.T) {
	v := vec(t, "sha256crypt")
	env := map[string]string{"ADMIN_HASH": v.hash, "OPS_PW": "from env"}
	tests := []struct {
		name     string
		user     User
		password string
		want     bool
	}{
		{"hash from env", User{Name: "admin", Password: "${ADMIN_HASH}"}, v.password, true},
		{"hash from env, wrong", User{Name: "admin", Password: "${ADMIN_HASH}"}, "nope", false},
		{"plain from env", User{Name: "ops", Password: "${OPS_PW}", Insecure: true}, "from env", true},
		{"reference itself is not the password", User{Name: "ops", Password: "${OPS_PW}", Insecure: true}, "${OPS_PW}", false},
		// Only the exact "${NAME}" form is a reference; anything else is
		// taken literally, as upstream does.
		{"embedded reference is literal", User{Name: "ops", Password: "x${OPS_PW}", Insecure: true}, "x${OPS_PW}", true},
		{"bare $NAME is literal", User{Name: "ops", Password: "$OPS_PW", Insecure: true}, "$OPS_PW", true},
		{"invalid name is literal", User{Name: "ops", Password: "${1X}", Insecure: true}, "${1X}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			getenv := func(k string) string { asked = append(asked, k); return env[k] }
			a := mustNew(t, []User{tt.user}, Options{Getenv: getenv})
			if got := a.Verify(tt.user.Name, tt.password); got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v (getenv asked %v)", tt.password, got, tt.want, asked)
			}
		})
	}
}

func TestEnvDefaultsToOSGetenv(t *testing.T) {
	t.Setenv("DATAPLANE_AUTH_TEST_PW", "pw-from-os")
	a := mustNew(t, []User{{Name: "u", Password: "${DATAPLANE_AUTH_TEST_PW}", Insecure: true}}, Options{})
	if !a.Verify("u", "pw-from-os") {
		t.Fatal("os environment not used when Options.Getenv is nil")
	}
}

func TestUsers(t *testing.T) {
	a := mustNew(t, []User{
		{Name: "zed", Password: "z", Insecure: true},
		{Name: "amy", Password: vec(t, "md5crypt").hash},
	}, Options{})
	got := a.Users()
	if want := []string{"amy", "zed"}; !slices.Equal(got, want) {
		t.Fatalf("Users() = %v, want %v", got, want)
	}
	got[0] = "mallory"
	if a.Users()[0] != "amy" {
		t.Fatal("Users() exposed internal state")
	}
}

func TestRejectedInputIsNotHashed(t *testing.T) {
	v := vec(t, "sha512crypt")
	a := mustNew(t, []User{{Name: "admin", Password: v.hash}}, Options{})
	tests := []struct {
		name, user, password string
	}{
		{"empty password", "admin", ""},
		{"overlong password", "admin", strings.Repeat("p", MaxPasswordLen+1)},
		{"overlong password, unknown user", "nobody", strings.Repeat("p", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := a.slowChecks.Load()
			if a.Verify(tt.user, tt.password) {
				t.Fatal("accepted")
			}
			if n := a.slowChecks.Load() - before; n != 0 {
				t.Fatalf("%d hash checks for input rejected up front", n)
			}
		})
	}
}

func TestUnknownUserChecksDummy(t *testing.T) {
	cheap, costly := vec(t, "sha512crypt"), vec(t, "bcrypt-2y-cost10")
	a := mustNew(t, []User{
		{Name: "plain", Password: "pw", Insecure: true},
		{Name: "cheap", Password: cheap.hash},
		{Name: "costly", Password: costly.hash},
	}, Options{})
	if a.dummy != a.users["costly"] {
		t.Fatal("the dummy is not the costliest user's verifier")
	}
	// Even the costly user's real password must not get an unknown name in.
	before := a.slowChecks.Load()
	if a.Verify("nobody", costly.password) {
		t.Fatal("unknown user accepted")
	}
	if a.slowChecks.Load() != before+1 {
		t.Fatal("unknown user did not go through a full hash check")
	}
	// Nor can a known name borrow another user's password.
	if a.Verify("plain", costly.password) {
		t.Fatal("user accepted with another user's password")
	}
}

func TestVerifyConcurrent(t *testing.T) {
	sha, bc := vec(t, "sha256crypt"), vec(t, "bcrypt-2b-cost4")
	clock := newFakeClock()
	a := mustNew(t, []User{
		{Name: "s", Password: sha.hash},
		{Name: "b", Password: bc.hash},
		{Name: "p", Password: "plain", Insecure: true},
	}, Options{Now: clock.Now})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				if i%4 == 0 {
					clock.Advance(DefaultCacheTTL / 7)
				}
				for _, c := range []struct {
					user, pw string
					want     bool
				}{
					{"s", sha.password, true}, {"b", bc.password, true}, {"p", "plain", true},
					{"s", "wrong", false}, {"b", "wrong", false}, {"nobody", "x", false},
				} {
					if got := a.Verify(c.user, c.pw); got != c.want {
						t.Errorf("goroutine %d round %d: Verify(%s) = %v", i, j, c.user, got)
					}
				}
			}
		})
	}
	wg.Wait()
}
