package etcdtest

import (
	"context"
	"testing"
	"time"
)

// Auth is who EnableAuth creates: a root user (etcd refuses to enable
// auth without one), and User, whose role may read and write the keys
// under Prefix and nothing else.
type Auth struct {
	RootPassword string
	User         string
	Password     string
	Prefix       string
}

// EnableAuth creates Auth's users and roles and enables authentication,
// through the JSON gateway (no etcdctl needed). From then on every
// request needs a token; c.Client() authenticates as root. It fails the
// test after 15 s.
func (c *Cluster) EnableAuth(t testing.TB, a Auth) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cli := c.Client()
	role := a.User + "-role"
	// The permission's range is [Prefix, Prefix with its last byte
	// incremented): every key that starts with Prefix.
	steps := []struct {
		path string
		body any
	}{
		{"/v3/auth/role/add", map[string]string{"name": "root"}},
		{"/v3/auth/user/add", map[string]string{"name": "root", "password": a.RootPassword}},
		{"/v3/auth/user/grant", map[string]string{"user": "root", "role": "root"}},
		{"/v3/auth/role/add", map[string]string{"name": role}},
		{"/v3/auth/role/grant", map[string]any{"name": role, "perm": map[string]string{
			"permType":  "READWRITE",
			"key":       b64(a.Prefix),
			"range_end": b64(prefixEnd(a.Prefix)),
		}}},
		{"/v3/auth/user/add", map[string]string{"name": a.User, "password": a.Password}},
		{"/v3/auth/user/grant", map[string]string{"user": a.User, "role": role}},
		{"/v3/auth/enable", map[string]string{}},
	}
	for _, s := range steps {
		if err := cli.Do(ctx, s.path, s.body, nil); err != nil {
			t.Fatalf("enable etcd auth: %s: %v", s.path, err)
		}
	}
	c.user, c.password = "root", a.RootPassword
}

// prefixEnd is the end of the range of keys that start with p.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	// All 0xff (or empty): to the end of the keyspace.
	return "\x00"
}
