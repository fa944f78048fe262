package api

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"dataplane/api"
	"dataplane/internal/role"
)

// TestEveryOperationHasAnAction: every operation of api/openapi.yaml has a
// declared action (role.Of), and the route that serves it, as
// Server.authorize finds it, has the same: a new operation in an area
// role.Of does not know fails here (and TestRoleMatrix).
func TestEveryOperationHasAnAction(t *testing.T) {
	spec, err := api.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Spec: api.Loaded(spec), Auth: func(h http.Handler) http.Handler { return h }})
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}/]+\}`)
	n := 0
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			n++
			want, ok := role.Of(method, path)
			if !ok {
				t.Errorf("%s %s has no declared action: add its area or an override in internal/role", method, path)
				continue
			}
			r, _ := http.NewRequest(method, "/v3"+param.ReplaceAllString(path, "x"), nil)
			r.URL.Path = param.ReplaceAllString(path, "x")
			pattern, found := s.routePattern(r)
			if !found {
				t.Errorf("%s %s: no route", method, path)
				continue
			}
			if got, _ := role.Of(method, pattern); got != want {
				t.Errorf("%s %s: the route %s has action %v, the contract's path %v", method, path, pattern, got, want)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d operations in the contract", n)
	}
}

// BenchmarkAuthorize: the role check of an operator's runtime write (a
// route lookup) and of an admin's (none), handler excluded.
func BenchmarkAuthorize(b *testing.B) {
	spec, err := api.Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, who := range []role.Role{role.Operator, role.Admin} {
		s, err := New(Deps{Spec: api.Loaded(spec), Auth: func(h http.Handler) http.Handler { return h },
			RoleOf: func(context.Context) role.Role { return who }})
		if err != nil {
			b.Fatal(err)
		}
		h := s.authorize(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		r, _ := http.NewRequest("PUT", "/services/haproxy/runtime/backends/be/servers/s1", nil)
		b.Run(who.String(), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				h.ServeHTTP(nil, r)
			}
		})
	}
}
