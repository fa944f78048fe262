package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"dataplane/internal/etcdtest"
	"dataplane/internal/fault"
	"dataplane/internal/haproxytest"
)

// TestStoreErrorSaysWhy: a write etcd refused for who the node is says
// so in words (and is not called maybe-stored); one it did not answer
// says that. All are 503 and name etcd.
func TestStoreErrorSaysWhy(t *testing.T) {
	eps := []string{"http://127.0.0.1:2379"}
	for _, tc := range []struct {
		name      string
		err       error
		want      string
		maybeKept bool // the message warns the write may have been stored
	}{
		{"wrong password", rpctypes.ErrAuthFailed, "authentication failed", false},
		{"wrapped wrong password", fmt.Errorf("read version 3: %w", rpctypes.ErrAuthFailed), "authentication failed", false},
		{"no permission", rpctypes.ErrPermissionDenied, "permission denied", false},
		{"no user", rpctypes.ErrUserEmpty, "set the fleet username and password", false},
		{"deadline", context.DeadlineExceeded, "no answer before the deadline", true},
		{"other", errors.New("etcdserver: leader changed"), "leader changed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := storeError(eps, tc.err)
			msg := err.Error()
			if fault.Of(err) != fault.Unavailable || !strings.Contains(msg, "etcd [http://127.0.0.1:2379]") || !strings.Contains(msg, tc.want) {
				t.Fatalf("storeError(%v) = %q (%v), want unavailable naming etcd and %q", tc.err, msg, fault.Of(err), tc.want)
			}
			if got := strings.Contains(msg, "If etcd got it after all"); got != tc.maybeKept {
				t.Fatalf("storeError(%v) = %q: warns the write may be stored: %v, want %v", tc.err, msg, got, tc.maybeKept)
			}
		})
	}
}

func newAuthNode(t *testing.T, endpoints []string, prefix, name, user, password string, local Local) *Node {
	t.Helper()
	n, err := New(Options{Endpoints: endpoints, Prefix: prefix, Name: name, Username: user, Password: password,
		RequestTimeout: 2 * time.Second, Resync: 200 * time.Millisecond}, local)
	if err != nil {
		t.Fatalf("New as %s: %v", user, err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// TestAuthRefusalsStartAndSayWhy runs nodes against an etcd with
// authentication. The right password writes. A wrong password, or a user
// without permission on the prefix, still makes a node (it used to fail
// New, so dataplane did not start: clientv3 authenticates in New), whose
// writes are refused with 503 saying why, whose view says the store is
// unreachable and why; and a node given the right password once etcd
// accepts it works from the next use on.
func TestAuthRefusalsStartAndSayWhy(t *testing.T) {
	etcd := etcdtest.StartCluster(t, 1)
	etcd.EnableAuth(t, etcdtest.Auth{RootPassword: "rootpw", User: "fleet", Password: "fleetpw", Prefix: "/unit"})
	ctx := context.Background()

	la := newFakeLocal(t, 1, "be_a")
	a := newAuthNode(t, etcd.Endpoints(), "/unit", "a", "fleet", "fleetpw", la)
	a.sync(ctx) // seeds
	if err := la.commit(t, a, "be_a2"); err != nil {
		t.Fatalf("write with the right password: %v", err)
	}

	for _, tc := range []struct {
		name, prefix, password, want string
	}{
		{"wrong password", "/unit", "wrong", "authentication failed"},
		{"outside its permission", "/elsewhere", "fleetpw", "permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lb := newFakeLocal(t, 2, "be_a2")
			b := newAuthNode(t, etcd.Endpoints(), tc.prefix, "b", "fleet", tc.password, lb)
			err := lb.commit(t, b, "be_refused")
			if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("write: %v, want unavailable saying %q", err, tc.want)
			}
			if lb.live.Version() != 2 {
				t.Fatalf("the local file moved to %d", lb.live.Version())
			}
			v := b.View(ctx)
			if v.Store.Reachable || !strings.Contains(v.Store.Error, tc.want) {
				t.Fatalf("view: store %+v, want unreachable saying %q", v.Store, tc.want)
			}
		})
	}

	// The operator sets in etcd the password the node has: it gets in
	// at a later use, without a restart.
	lc := newFakeLocal(t, 2, "be_a2")
	c := newAuthNode(t, etcd.Endpoints(), "/unit", "c", "fleet", "newpw", lc)
	if err := lc.commit(t, c, "be_c"); !strings.Contains(fmt.Sprint(err), "authentication failed") {
		t.Fatalf("write before the password change: %v, want authentication failed", err)
	}
	if err := etcd.Client().Do(ctx, "/v3/auth/user/changepw", map[string]string{"name": "fleet", "password": "newpw"}, nil); err != nil {
		t.Fatalf("change the password: %v", err)
	}
	haproxytest.WaitFor(t, 10*time.Second, "a write with the new password", func() bool {
		return lc.commit(t, c, "be_c") == nil
	})
}

// TestAuthUnreachableAtStart: a node with a username starts while etcd
// does not answer (New does not wait for it) and refuses writes with 503.
func TestAuthUnreachableAtStart(t *testing.T) {
	port := haproxytest.FreePort(t) // nothing listens there
	la := newFakeLocal(t, 1, "be_a")
	a := newAuthNode(t, []string{fmt.Sprintf("http://127.0.0.1:%d", port)}, "/unit", "a", "fleet", "fleetpw", la)
	err := la.commit(t, a, "be_2")
	if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), "no answer before the deadline") {
		t.Fatalf("write with etcd unreachable: %v, want unavailable, no answer", err)
	}
	if v := a.View(context.Background()); v.Store.Reachable || v.Store.Error == "" {
		t.Fatalf("view with etcd unreachable: store %+v", v.Store)
	}
}
