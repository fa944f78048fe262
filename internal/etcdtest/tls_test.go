package etcdtest

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

// TestTLSCluster starts a member with mutual TLS on its client URL: a
// client with the CA and the client certificate writes and reads, one
// with the CA but no certificate is refused at the handshake, and a
// plain http client gets no answer.
func TestTLSCluster(t *testing.T) {
	t.Parallel()
	certs := MakeCerts(t)
	c := StartClusterWith(t, 1, Options{TLS: certs})
	if u := c.ClientURL(0); !strings.HasPrefix(u, "https://127.0.0.1:") {
		t.Fatalf("ClientURL(0) = %s, want https", u)
	}
	cli := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cli.Put(ctx, "/k", "v"); err != nil {
		t.Fatalf("put with a client certificate: %v", err)
	}
	if v, found, err := cli.Get(ctx, "/k"); err != nil || !found || v != "v" {
		t.Fatalf("get /k = %q, %v, %v; want v", v, found, err)
	}

	noCert := cli.TLS.Clone()
	noCert.Certificates = nil
	for _, tc := range []struct {
		name string
		cli  *Client
		want string
	}{
		{"no client certificate", &Client{Endpoints: cli.Endpoints, TLS: noCert}, "certificate"},
		{"plain http", &Client{Endpoints: []string{"http://" + c.ClientAddr(0)}}, ""},
		{"unknown CA", &Client{Endpoints: cli.Endpoints, TLS: &tls.Config{Certificates: cli.TLS.Certificates}}, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cli.Put(ctx, "/k", "refused")
			if err == nil {
				t.Fatal("put accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("put: %v, want it to name %q", err, tc.want)
			}
			t.Logf("refused: %v", err)
		})
	}
	if v, _, err := cli.Get(ctx, "/k"); err != nil || v != "v" {
		t.Fatalf("get /k = %q, %v after the refused writes; want v", v, err)
	}
}

// TestEnableAuth enables authentication on a member: the user writes
// under its prefix and nowhere else, a wrong password and no token are
// refused, root (Client) still reads everything, and /health still
// answers without a token.
func TestEnableAuth(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Client().Put(ctx, "/outside", "before"); err != nil {
		t.Fatal(err)
	}
	c.EnableAuth(t, Auth{RootPassword: "rootpw", User: "fleet", Password: "fleetpw", Prefix: "/fleet"})
	user := &Client{Endpoints: c.Endpoints(), User: "fleet", Password: "fleetpw"}
	if err := user.Put(ctx, "/fleet/a", "1"); err != nil {
		t.Fatalf("user put under its prefix: %v", err)
	}
	if v, _, err := user.Get(ctx, "/fleet/a"); err != nil || v != "1" {
		t.Fatalf("user get /fleet/a = %q, %v", v, err)
	}
	for _, tc := range []struct {
		name string
		cli  *Client
		key  string
		want string
	}{
		{"outside the prefix", user, "/outside", "permission denied"},
		{"wrong password", &Client{Endpoints: c.Endpoints(), User: "fleet", Password: "nope"}, "/fleet/a", "authentication failed"},
		{"no token", &Client{Endpoints: c.Endpoints()}, "/fleet/a", "user name is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cli.Put(ctx, tc.key, "refused")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("put %s: %v, want an error naming %q", tc.key, err, tc.want)
			}
		})
	}
	if v, _, err := c.Client().Get(ctx, "/outside"); err != nil || v != "before" {
		t.Fatalf("root get /outside = %q, %v", v, err)
	}
	if !c.Healthy(0) {
		t.Fatal("/health is not healthy with auth enabled")
	}
}
