package api

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/routers/legacy"

	"dataplane/api/spec"
)

// TestNoInputIsGenerated keeps api/noinput.go what the contract gives.
func TestNoInputIsGenerated(t *testing.T) {
	doc, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := spec.NoInputGo(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("noinput.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("api/noinput.go is not what the contract gives: run `go generate ./api`.\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestNoInputOperations: a request to each operation TakesNoInput names
// reaches that very operation through the validator's router, and the
// operation declares no parameter and no body; and an operation that
// takes input is not named.
func TestNoInputOperations(t *testing.T) {
	doc, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(noInput) == 0 || !TakesNoInput("GET", "/v3/info") {
		t.Fatalf("GET /v3/info takes no input; noInput = %v", noInput)
	}
	for op := range noInput {
		method, path, _ := strings.Cut(op, " ")
		route, params, err := router.FindRoute(httptest.NewRequest(method, path+"?x=1", nil))
		if err != nil {
			t.Errorf("%s: %v", op, err)
			continue
		}
		if "/v3"+route.Path != path || route.Method != method || len(params) != 0 {
			t.Errorf("%s reaches %s %s (params %v)", op, route.Method, route.Path, params)
		}
		if len(route.Operation.Parameters) > 0 || len(route.PathItem.Parameters) > 0 || route.Operation.RequestBody != nil {
			t.Errorf("%s takes input", op)
		}
	}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if len(op.Parameters)+len(item.Parameters) > 0 || op.RequestBody != nil {
				n++
				if TakesNoInput(method, "/v3"+path) {
					t.Errorf("%s %s takes input, but TakesNoInput says it does not", method, path)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no operation takes input?")
	}
}
