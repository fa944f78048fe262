package api_test

// Benchmarks of the read path through the whole handler tree (access log,
// Configuration-Version, basic auth, body limit, OpenAPI request validation,
// handler, JSON encoding) on generated files of 10, 1,000 and 10,000
// backends. No HAProxy is needed: GETs only use the Store. Targets at
// 10,000 backends: GET all backends <= 30 ms, GET one <= 0.5 ms.
//
//	go test -run '^$' -bench . -benchmem ./internal/api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"dataplane/api"
	dpapi "dataplane/internal/api"
	"dataplane/internal/auth"
	"dataplane/internal/cfggen"
	"dataplane/internal/reload"
	"dataplane/internal/transaction"
)

var benchSizes = []int{10, 1000, 10000}

const backendsPath = "/v3/services/haproxy/configuration/backends"

var benchSpec = sync.OnceValues(func() (*dpapi.Deps, error) {
	spec, err := api.Load(context.Background())
	if err != nil {
		return nil, err
	}
	authn, err := auth.New([]auth.User{{Name: "admin", Password: "adminpwd", Insecure: true}}, auth.Options{})
	if err != nil {
		return nil, err
	}
	return &dpapi.Deps{Spec: api.Loaded(spec), Auth: authn.Middleware}, nil
})

// benchServer builds the handler on a store opened on a generated file of
// n backends.
func benchServer(b *testing.B, n int) (*dpapi.Server, *benchFile) {
	return benchServerWith(b, n, cfggen.Options{})
}

// benchServerWith is benchServer with more of the generator's options
// (the stats socket is always set).
func benchServerWith(b *testing.B, n int, opts cfggen.Options) (*dpapi.Server, *benchFile) {
	b.Helper()
	base, err := benchSpec()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	f := &benchFile{path: filepath.Join(dir, "haproxy.cfg"),
		data: cfggen.Generate(n, withSocket(opts, filepath.Join(dir, "stats.sock")))}
	if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
		b.Fatal(err)
	}
	pipeline, err := transaction.Open(transaction.Options{ConfigFile: f.path, Checker: &reload.Checker{Dir: dir}})
	if err != nil {
		b.Fatal(err)
	}
	f.pipeline = pipeline
	d := *base
	d.Pipeline = pipeline
	srv, err := dpapi.New(d)
	if err != nil {
		b.Fatal(err)
	}
	return srv, f
}

func withSocket(o cfggen.Options, sock string) cfggen.Options {
	o.StatsSocket = sock
	return o
}

type benchFile struct {
	path     string
	data     []byte
	pipeline *transaction.Pipeline
	edits    int
}

// reload rewrites the file as an edit made outside the API would (same
// backends, another `# _version`), and lets the store load it: the next
// GET reads a freshly parsed document whose typed views are not built.
func (f *benchFile) reload(b *testing.B) {
	b.Helper()
	old, err := f.pipeline.Live().Doc()
	if err != nil {
		b.Fatal(err)
	}
	f.edits++
	data := append([]byte("# edited outside the API "+strconv.Itoa(f.edits)+"\n"), f.data...)
	if err := os.WriteFile(f.path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	doc, err := f.pipeline.Live().Doc()
	if err != nil {
		b.Fatal(err)
	}
	if doc == old {
		b.Fatal("the store did not notice the new file")
	}
}

func serve(b *testing.B, srv http.Handler, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.SetBasicAuth("admin", "adminpwd")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %.300s", path, rec.Code, rec.Body.String())
	}
	return rec
}

func forSizes(b *testing.B, f func(b *testing.B, n int)) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) { f(b, n) })
	}
}

// BenchmarkGetAllBackends is GET .../backends. warm is the steady state
// (the typed view of every section is cached on the published document and
// shared with later versions for the sections they did not change); cold
// is the first GET after the file was (re)loaded (start, or an edit made
// outside the API), which builds every view.
func BenchmarkGetAllBackends(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		b.Run("warm", func(b *testing.B) {
			srv, _ := benchServer(b, n)
			serve(b, srv, backendsPath)
			b.ReportAllocs()
			var size int
			for b.Loop() {
				size = serve(b, srv, backendsPath).Body.Len()
			}
			b.ReportMetric(float64(size)/(1<<20), "MiB-body")
		})
		b.Run("cold", func(b *testing.B) {
			srv, f := benchServer(b, n)
			b.ReportAllocs()
			b.ResetTimer() // set-up is not timed
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f.reload(b)
				runtime.GC() // the load's garbage is not the GET's
				b.StartTimer()
				serve(b, srv, backendsPath)
			}
		})
	})
}

// BenchmarkGetOneBackend is GET .../backends/be_<n/2>.
func BenchmarkGetOneBackend(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		srv, _ := benchServer(b, n)
		path := backendsPath + "/" + cfggen.BackendName(n/2)
		serve(b, srv, path)
		b.ReportAllocs()
		for b.Loop() {
			serve(b, srv, path)
		}
	})
}

// BenchmarkGetACLs is GET .../frontends/fe_main/acls of a frontend with
// 1,000 acl lines, through the whole handler tree. Target: <= 5 ms.
func BenchmarkGetACLs(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			srv, _ := benchServerWith(b, n, cfggen.Options{ACLs: 1000})
			path := "/v3/services/haproxy/configuration/frontends/fe_main/acls"
			if size := serve(b, srv, path).Body.Len(); size < 1000*50 {
				b.Fatalf("%d bytes for 1,000 ACLs", size)
			}
			b.ReportAllocs()
			for b.Loop() {
				serve(b, srv, path)
			}
		})
	}
}

// BenchmarkGetHTTPRequestRules is GET .../frontends/fe_main/http_request_rules
// of a frontend with 1,000 http-request lines, through the whole handler
// tree: the first read after the section changed (parse) and the next ones.
// Target (issue 10): <= 5 ms.
func BenchmarkGetHTTPRequestRules(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			srv, _ := benchServerWith(b, n, cfggen.Options{HTTPRequestRules: 1000})
			path := "/v3/services/haproxy/configuration/frontends/fe_main/http_request_rules"
			if size := serve(b, srv, path).Body.Len(); size < 1000*50 {
				b.Fatalf("%d bytes for 1,000 rules", size)
			}
			b.ReportAllocs()
			for b.Loop() {
				serve(b, srv, path)
			}
		})
	}
}

// BenchmarkGetOneUser is GET .../users/u_50?userlist=ul_50 with 10,000
// backends and 100 userlists of 100 users each (issue 11: <= 0.5 ms).
func BenchmarkGetOneUser(b *testing.B) {
	srv, _ := benchServerWith(b, 10000, cfggen.Options{Userlists: 100, UsersPerUserlist: 100})
	path := "/v3/services/haproxy/configuration/users/u_50?userlist=ul_50"
	if body := serve(b, srv, path).Body.String(); !strings.Contains(body, `"username":"u_50"`) {
		b.Fatalf("GET %s: %s", path, body)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve(b, srv, path)
	}
}
