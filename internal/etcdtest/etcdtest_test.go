package etcdtest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// put writes key=value, retrying until it succeeds or 15 s pass: right
// after a member dies the cluster may be electing a leader, and the
// gateway answers "leader changed" or times out meanwhile.
func put(t *testing.T, endpoints []string, key, value string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := Put(ctx, endpoints, key, value)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("put %s=%s: %v", key, value, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t *testing.T, endpoints []string, key string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, found, err := Get(ctx, endpoints, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if !found {
		t.Fatalf("get %s: not found", key)
	}
	return v
}

func TestClusterQuorum(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3)
	eps := c.Endpoints()
	if len(eps) != 3 || eps[1] != c.ClientURL(1) {
		t.Fatalf("Endpoints() = %v, ClientURL(1) = %s", eps, c.ClientURL(1))
	}

	put(t, eps, "k", "v1")
	if v := get(t, eps, "k"); v != "v1" {
		t.Fatalf("get k = %q, want v1", v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if _, found, err := Get(ctx, eps, "absent"); err != nil || found {
		t.Fatalf("get absent = found %v, %v", found, err)
	}
	cancel()

	// Two of three keep a quorum. m0 goes first: whichever member
	// leads, the rest have to notice it is gone.
	c.Kill(0)
	if c.Running(0) {
		t.Fatalf("m0 still running after Kill")
	}
	put(t, eps, "k", "v2")

	// One of three does not: the write cannot commit before its timeout.
	c.Kill(1)
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	err := Put(ctx, eps, "k", "lost")
	cancel()
	if err == nil {
		t.Fatalf("put succeeded with one member of three alive")
	}
	t.Logf("put without quorum: %v", err)
	if c.Healthy(2) {
		t.Fatalf("m2 reports healthy without quorum")
	}

	c.Restart(0)
	c.Restart(1)
	c.WaitHealthy(t, 30*time.Second)
	put(t, eps, "k", "v3")
	// Each member, on its own, serves the latest value.
	for i := range c.Len() {
		if v := get(t, []string{c.ClientURL(i)}, "k"); v != "v3" {
			t.Fatalf("get k from m%d = %q, want v3", i, v)
		}
	}
}

// A client whose endpoints are proxies is cut off from the cluster by
// cutting them, while the cluster itself keeps serving other clients.
func TestProxyIsolatesClient(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 1)
	ps := ProxyAll(t, c)
	via := URLs(ps)
	put(t, via, "k", "through the proxy")

	for _, p := range ps {
		p.Cut()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := Put(ctx, via, "k", "lost")
	cancel()
	if err == nil {
		t.Fatalf("put through cut proxies succeeded")
	}
	put(t, c.Endpoints(), "k", "direct")

	for _, p := range ps {
		p.Restore()
	}
	if v := get(t, via, "k"); v != "direct" {
		t.Fatalf("get k through restored proxies = %q, want direct", v)
	}
	if got := fmt.Sprint(ps[0]); got == "" {
		t.Fatalf("proxy has no name")
	}
}
