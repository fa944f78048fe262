package apply

import (
	"context"
	"slices"
	"strings"
	"testing"

	"dataplane/internal/config"
)

// TestExplain: where Compute stops at the first reason for a reload,
// Explain names every one, and keeps the operations of the differences
// that could have gone live; Preview turns them into the command lines
// Apply would send.
func TestExplain(t *testing.T) {
	running, err := config.Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	next, err := config.Parse([]byte(strings.NewReplacer(
		"    bind :80\n", "    bind :81\n",
		"    server s2 10.0.0.2:80 weight 10\n", "    server s2 10.0.0.2:80 weight 10\n    server s3 10.0.0.3:80 weight 5\n",
		"balance static-rr\n", "balance static-rr\n    timeout server 5s\n",
	).Replace(base)))
	if err != nil {
		t.Fatal(err)
	}
	c := Compute(running, next)
	e := Explain(running, next)
	if !c.Reload || !e.Reload || len(c.Ops) != 0 || len(e.Ops) != 0 {
		t.Fatalf("compute %+v, explain %+v: want reloads without ops", c, e)
	}
	for _, want := range []string{"frontend fe changed beyond maxconn: bind changed", "backend be_static changed beyond its servers: timeout changed"} {
		if !strings.Contains(e.Reason, want) {
			t.Errorf("explain: reason %q lacks %q", e.Reason, want)
		}
	}
	if strings.Contains(c.Reason, ";") {
		t.Errorf("compute went on past the first reason: %q", c.Reason)
	}

	cmds, reload, deferred, err := (&Runtime{}).Preview(context.Background(), running, next)
	if err != nil || len(cmds) != 0 || reload != e.Reason {
		t.Fatalf("preview: %q, %q, %v", cmds, reload, err)
	}
	want := []string{"add server be/s3 10.0.0.3:80 inter 2s weight 5", "set server be/s3 state ready"}
	if !slices.Equal(deferred, want) {
		t.Errorf("deferred %q, want %q", deferred, want)
	}
}
