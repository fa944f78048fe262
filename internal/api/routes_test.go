package api

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"dataplane/api"
)

// TestRoutesMatchSpec: every operation of api/openapi.yaml has a route, and
// every route under /v3 is an operation of the contract, so a resource
// declared in internal/config without its spec fragment (or the other way
// round) is caught.
func TestRoutesMatchSpec(t *testing.T) {
	spec, err := api.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Spec: api.Loaded(spec), Auth: func(h http.Handler) http.Handler { return h }})
	if err != nil {
		t.Fatal(err)
	}
	routed := map[string]bool{}
	err = chi.Walk(s.mux.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if p, ok := strings.CutPrefix(route, "/v3"); ok && p != "/*" {
			if p = strings.TrimSuffix(p, "/"); p == "" {
				p = "/" // the discovery root
			}
			routed[method+" "+p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]bool{}
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			inSpec[method+" "+path] = true
		}
	}
	var missing, extra []string
	for op := range inSpec {
		if !routed[op] {
			missing = append(missing, op)
		}
	}
	for op := range routed {
		if !inSpec[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("operations of the contract without a route:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("routes that are not operations of the contract:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(inSpec) < 70 {
		t.Errorf("only %d operations in the contract", len(inSpec))
	}
}
