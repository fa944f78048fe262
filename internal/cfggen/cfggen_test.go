package cfggen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dataplane/internal/haproxytest"
	"dataplane/internal/reload"
)

func TestGenerateShape(t *testing.T) {
	cfg := string(Generate(3, Options{StatsSocket: "/run/x.sock", FrontendPort: 9000, ServerPortBase: 30000, ServerPortCount: 4}))
	for _, want := range []string{
		"# _version=1\nglobal\n",
		"stats socket /run/x.sock ",
		"bind 127.0.0.1:9000\n",
		"use_backend %[req.hdr(host),lower]\n",
		"default_backend be_0\n",
		"server s1 127.0.0.1:30000 check weight 10 inter 2s\n",
		// ports wrap around the range
		"backend be_2\n    balance roundrobin\n    option httpchk GET /health\n    server s1 127.0.0.5:30000 check weight 10 inter 2s\n    server s2 127.0.0.6:30001 check weight 10 inter 2s\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("missing %q in:\n%s", want, cfg)
		}
	}
	if got := strings.Count(cfg, "\nbackend "); got != 3 {
		t.Errorf("%d backends, want 3", got)
	}
	if !bytes.Equal(Generate(3, Options{}), Generate(3, Options{})) {
		t.Error("Generate is not deterministic")
	}
}

func TestRealisticShape(t *testing.T) {
	cfg := string(Generate(4, Realistic(Options{FrontendPort: 9000})))
	for want, count := range map[string]int{
		"\nbackend ":                      4,
		"\n    server s3 ":                4,
		"\n    server s4 ":                0,
		"\n    balance leastconn\n":       2,
		"\n    acl blocked_0 ":            4,
		"\n    http-request deny if ":     4,
		"\n    acl host_":                 100,
		"\n    bind ":                     4 + 2 + 2, // fe_main, fe_<i>, log-forwards
		" name bind_3\n":                  1,
		"\nfrontend ":                     3,
		"\ndefaults tcp_defaults\n":       1,
		"\nring r_1\n":                    1,
		"\n    dgram-bind ":               4,
		"\n    table t_b ":                2,
		"\n    bind 127.2.0.2:9000\n":     1,
		"\n    bind 127.1.0.4:9000 name ": 1,
	} {
		if got := strings.Count(cfg, want); got != count {
			t.Errorf("%q %d times, want %d", want, got, count)
		}
	}
	if strings.Contains(cfg, " check") {
		t.Error("health checks in a Realistic file")
	}
	if !bytes.Equal(Generate(3, Options{}), Generate(3, Options{ServersPerBackend: 2, Binds: 1, Balances: []string{"roundrobin"}})) {
		t.Error("the defaults of the new options change the default file")
	}
}

// TestGeneratedFilesPassHAProxyCheck runs `haproxy -c` on the files the
// benchmarks use.
func TestGeneratedFilesPassHAProxyCheck(t *testing.T) {
	bin := haproxytest.Binary(t)
	dir := t.TempDir()
	for _, c := range []struct {
		n    int
		opts Options
	}{{10, Options{}}, {1000, Options{}}, {10, Realistic(Options{})}, {1000, Realistic(Options{})}} {
		n := c.n
		path := filepath.Join(dir, "haproxy.cfg")
		opts := c.opts
		opts.StatsSocket = filepath.Join(dir, "stats.sock")
		cfg := Generate(n, opts)
		if err := os.WriteFile(path, cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		c := &reload.Checker{Bin: bin, Dir: dir}
		res, err := c.Check(context.Background(), path, "haproxy.cfg")
		if err != nil {
			t.Fatalf("n=%d: haproxy -c: %v", n, err)
		}
		if res.Warnings != "" {
			t.Errorf("n=%d: haproxy -c warnings: %s", n, res.Warnings)
		}
	}
}
