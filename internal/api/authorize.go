package api

import (
	"context"
	"net/http"
	"reflect"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/auth"
	"dataplane/internal/role"
)

// authorize lets a request through when the user's role may perform the
// action of the operation it routes to (role.Of, from the method and the
// route's pattern), and answers 403 naming the role it needs otherwise.
// It is the one place roles are enforced: every /v3 route (and every /v2
// request, served by its /v3 operation) passes here, after authentication
// and before anything reads the body. An operation without a declared
// action is an admin's only.
func (s *Server) authorize(next http.Handler) http.Handler {
	if s.d.RoleOf == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := s.d.RoleOf(r.Context())
		if who != role.Admin {
			r = r.WithContext(context.WithValue(r.Context(), notAdminKey{}, true))
		}
		if who == role.Admin || (who.May(role.Read) && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !role.GuardedRead(r.URL.Path)) {
			next.ServeHTTP(w, r) // the common cases, without a route lookup
			return
		}
		pattern, ok := s.routePattern(r)
		if !ok {
			next.ServeHTTP(w, r) // no such route: the 404 or 405 follows
			return
		}
		action, declared := role.Of(r.Method, pattern)
		if who.May(action) && declared {
			next.ServeHTTP(w, r)
			return
		}
		need := action.Needs()
		if !declared {
			need = role.Admin
		}
		writeError(w, r, s.log, apierror.New(http.StatusForbidden,
			"user %q has role %s; %s %s needs role %s", auth.UserFrom(r.Context()), who, r.Method, pattern, need))
	})
}

// routePattern is the pattern of the /v3 route r goes to (without /v3),
// found the way the router will find it.
func (s *Server) routePattern(r *http.Request) (string, bool) {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		path = rctx.RoutePath // under the /v3 mount, or a translated /v2 request
	}
	m := chi.NewRouteContext()
	if !s.v3.Match(m, r.Method, path) {
		return "", false
	}
	return m.RoutePattern(), true
}

// notAdminKey marks a request made by a user who is not an admin: its
// reads are redacted (see redactor).
type notAdminKey struct{}

// redactor returns what a read answers for r: the value itself for an
// admin (or when no roles are configured), else with the secrets of its
// items redacted (config models with a Redacted method: a user's plain
// password).
func redactor(r *http.Request) func(any) any {
	if notAdmin, _ := r.Context().Value(notAdminKey{}).(bool); !notAdmin {
		return func(v any) any { return v }
	}
	return redactValue
}

type redactable interface{ Redacted() any }

// redactValue redacts one model, or each element of a slice or map of
// models; other values are returned as they are.
func redactValue(v any) any {
	if m, ok := v.(redactable); ok {
		return m.Redacted()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		if _, ok := reflect.Zero(rv.Type().Elem()).Interface().(redactable); !ok {
			return v
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface().(redactable).Redacted()
		}
		return out
	case reflect.Map:
		if _, ok := reflect.Zero(rv.Type().Elem()).Interface().(redactable); !ok {
			return v
		}
		out := make(map[string]any, rv.Len())
		for _, k := range rv.MapKeys() {
			out[k.String()] = rv.MapIndex(k).Interface().(redactable).Redacted()
		}
		return out
	}
	return v
}
