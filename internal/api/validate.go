package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"dataplane/internal/apierror"
)

// validator checks requests against api/openapi.yaml before their
// handler runs (Server.validate).
type validator struct {
	spec   *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
	// paramsOnly validates all but the body (the fast path).
	paramsOnly *openapi3filter.Options
	// fast are the scanners of fastBodies, by operation.
	fast map[*openapi3.Operation]fastBody
	// noSec holds the copy of each route withoutSecurity made.
	noSec sync.Map // *routers.Route -> *routers.Route
}

func newValidator(spec *openapi3.T) (*validator, error) {
	// The legacy router is several times cheaper than the gorilla one and
	// needs no extra dependency (GO-LIBS.md §2.4).
	router, err := legacy.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	v := &validator{
		spec:   spec,
		router: router,
		fast:   map[*openapi3.Operation]fastBody{},
		opts: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				// Keep schema dumps and the offending value out of messages.
				openapi3.DisableSchemaErrorDetails(),
				// A client may PUT back what it got from a GET, read-only
				// fields included (generated clients send the whole model);
				// handlers ignore those fields.
				openapi3.DisableReadOnlyValidation(),
			},
		},
	}
	o := *v.opts
	o.ExcludeRequestBody = true
	v.paramsOnly = &o
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			if f, ok := fastBodies[op.OperationID]; ok {
				v.fast[op] = f
			}
		}
	}
	return v, nil
}

// check validates r and runs next when it matches the contract; else it
// answers with the contract's status for what does not match.
func (v *validator) check(w http.ResponseWriter, r *http.Request, next http.Handler, log *slog.Logger) {
	route, params, err := v.router.FindRoute(r)
	// The legacy router returns fresh RouteErrors: compare reasons.
	var re *routers.RouteError
	if errors.As(err, &re) {
		switch re.Reason {
		case routers.ErrPathNotFound.Error():
			err = routers.ErrPathNotFound
		case routers.ErrMethodNotAllowed.Error():
			err = routers.ErrMethodNotAllowed
		}
	}
	if err == nil {
		if info := infoOf(r); info != nil {
			info.operation = route.Operation.OperationID
		}
	}
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		apierror.Write(w, http.StatusNotFound, fmt.Sprintf("path %s was not found", r.URL.Path))
		return
	case errors.Is(err, routers.ErrMethodNotAllowed):
		w.Header().Set("Allow", v.allowed(r))
		apierror.Write(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path))
		return
	case err != nil:
		apierror.Write(w, http.StatusBadRequest, err.Error())
		return
	}
	// Credentials were checked before (internal/auth): the
	// validator's own check of the security requirements only
	// calls a no-op, but reads the whole body into memory first,
	// and keeps it there for the handler.
	if fast := v.fast[route.Operation]; fast != nil {
		if b, ok := readSmallBody(r); ok {
			if body, ok := fast(b); ok {
				// The body is valid: the rest of the request is checked
				// as always. Any refusal is left to the general path,
				// which says all that is wrong.
				in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: v.withoutSecurity(route), Options: v.paramsOnly}
				if openapi3filter.ValidateRequest(r.Context(), in) == nil {
					next.ServeHTTP(w, withPrevalidated(r, body))
					return
				}
			}
		}
	}
	route = v.withoutSecurity(route)
	opts := v.opts
	if ct := r.Header.Get("Content-Type"); r.ContentLength != 0 && (strings.HasPrefix(ct, "text/plain") || strings.HasPrefix(ct, "multipart/form-data")) {
		// A text body (a whole configuration, up to
		// max_body_size) has no schema beyond being a string:
		// the validator would only hold another copy of it. Its
		// handler checks it; an empty one is still refused here.
		// So is a multipart upload (a file of the storage), which
		// its handler reads part by part, bounded.
		o := *v.opts
		o.ExcludeRequestBody = true
		opts = &o
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		status, msg := requestErrorStatus(err)
		log.Debug("request does not match the contract", "method", r.Method, "path", r.URL.Path, "status", status, "error", msg)
		apierror.Write(w, status, msg)
		return
	}
	next.ServeHTTP(w, r)
}

// noSecurity is an empty list of security requirements: none to check.
var noSecurity = openapi3.SecurityRequirements{}

// withoutSecurity returns a copy of route whose operation has no security
// requirements (the spec's own route is shared, and served as it is). The
// copy is made once per route and kept: the legacy router returns the
// same route for every request to an operation, and validation only
// reads it.
func (v *validator) withoutSecurity(route *routers.Route) *routers.Route {
	if rt, ok := v.noSec.Load(route); ok {
		return rt.(*routers.Route)
	}
	rt, op := *route, *route.Operation
	op.Security = &noSecurity
	rt.Operation = &op
	v.noSec.Store(route, &rt)
	return &rt
}

// allowed lists the methods the spec declares for the request's path.
func (v *validator) allowed(r *http.Request) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, _, err := v.router.FindRoute(probe); err == nil {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// requestErrorStatus maps kin-openapi's validation errors to the statuses
// of the contract: bad parameter 400, body schema 422, wrong content type
// 415, body over the limit 413, unreadable body 400.
func requestErrorStatus(err error) (int, string) {
	errs := []error{err}
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		errs = multi
	}
	status := 0
	var msgs []string
	for _, e := range errs {
		st := oneStatus(e)
		if st > status {
			status = st
		}
		msgs = append(msgs, e.Error())
	}
	if status == 0 {
		status = http.StatusBadRequest
	}
	msgs = append(msgs, unknownPropertyNotes(err)...)
	return status, strings.Join(msgs, " | ")
}

func oneStatus(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return http.StatusBadRequest
	}
	if re.RequestBody == nil {
		return http.StatusBadRequest // a parameter
	}
	if strings.HasPrefix(re.Reason, "header Content-Type has unexpected value") {
		return http.StatusUnsupportedMediaType
	}
	var se *openapi3.SchemaError
	var multi openapi3.MultiError
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return http.StatusUnprocessableEntity
	case errors.As(re.Err, &se), errors.As(re.Err, &multi):
		return http.StatusUnprocessableEntity
	}
	return http.StatusBadRequest // a body that does not parse
}
