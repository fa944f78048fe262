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

// TestGeneratedFilesPassHAProxyCheck runs `haproxy -c` on the files the
// benchmarks use.
func TestGeneratedFilesPassHAProxyCheck(t *testing.T) {
	bin := haproxytest.Binary(t)
	dir := t.TempDir()
	for _, n := range []int{10, 1000} {
		path := filepath.Join(dir, "haproxy.cfg")
		cfg := Generate(n, Options{StatsSocket: filepath.Join(dir, "stats.sock")})
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
