package fleet

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataplane/internal/etcdtest"
	"dataplane/internal/fault"
	"dataplane/internal/haproxytest"
	"dataplane/internal/tlsconfig"
)

// TestTLSRefusalSaysWhy runs nodes against an etcd with mutual TLS. The
// one with a client certificate writes. The one without has its writes
// refused with 503, and once its probe has run, its view and its next
// refusal say etcd refuses its TLS connection rather than only "no
// answer". probeTLS finds nothing to say of the right certificate or of
// a port where nothing listens.
func TestTLSRefusalSaysWhy(t *testing.T) {
	certs := etcdtest.MakeCerts(t)
	etcd := etcdtest.StartClusterWith(t, 1, etcdtest.Options{TLS: certs})
	withCert, err := tlsconfig.Client(certs.CA, certs.ClientCert, certs.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	noCert, err := tlsconfig.Client(certs.CA, "", "")
	if err != nil {
		t.Fatal(err)
	}
	// b's requests can only end at their deadline: a short one keeps
	// the test short.
	node := func(name string, cfg *tls.Config, local Local) *Node {
		t.Helper()
		n, err := New(Options{Endpoints: etcd.Endpoints(), Prefix: "/unit", Name: name, TLS: cfg,
			RequestTimeout: 700 * time.Millisecond, Resync: 200 * time.Millisecond}, local)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	ctx := context.Background()
	la := newFakeLocal(t, 1, "be_a")
	a := node("a", withCert, la)
	a.sync(ctx)
	if err := la.commit(t, a, "be_a2"); err != nil {
		t.Fatalf("write with a client certificate: %v", err)
	}

	lb := newFakeLocal(t, 2, "be_a2")
	b := node("b", noCert, lb)
	if err := lb.commit(t, b, "be_refused"); fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), "etcd") {
		t.Fatalf("write without a client certificate: %v, want unavailable naming etcd", err)
	}
	const want = "refuses this node's TLS connection"
	haproxytest.WaitFor(t, 15*time.Second, "the view to say etcd refuses b's TLS", func() bool {
		v := b.View(ctx)
		return !v.Store.Reachable && strings.Contains(v.Store.Error, want)
	})
	err = lb.commit(t, b, "be_refused")
	if fault.Of(err) != fault.Unavailable || !strings.Contains(err.Error(), want) {
		t.Fatalf("write without a client certificate, after the probe: %v, want unavailable saying %q", err, want)
	}
	t.Logf("refusal: %v", err)
	if lb.live.Version() != 2 {
		t.Fatalf("b's file moved to %d", lb.live.Version())
	}

	for _, tc := range []struct {
		name      string
		endpoints []string
		cfg       *tls.Config
	}{
		{"the right certificate", etcd.Endpoints(), withCert},
		{"nothing listening", []string{fmt.Sprintf("https://127.0.0.1:%d", haproxytest.FreePort(t))}, noCert},
	} {
		if ep, err := probeTLS(tc.endpoints, tc.cfg); err != nil {
			t.Errorf("%s: probeTLS says %s refuses: %v", tc.name, ep, err)
		}
	}
}
