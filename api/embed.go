// Package api holds dataplane's HTTP contract, api/openapi.yaml, embedded in
// the binary (go:embed cannot reach a parent directory, hence this package).
// openapi.yaml is generated from api/spec (see api/spec/README.md) and
// committed, so that it can be read, diffed and served as is. openapi.json,
// generated from it, is the same document: the one loaded, in a third of
// the time the YAML takes.
package api

//go:generate go run ./gen

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var specYAML []byte

//go:embed openapi.json
var specJSON []byte

// SpecYAML returns the contract as written.
func SpecYAML() []byte { return specYAML }

// SpecJSON returns the contract as JSON (api/openapi.json).
func SpecJSON() []byte { return specJSON }

// Load parses and validates the embedded contract.
func Load(ctx context.Context) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	doc, err := l.LoadFromData(specJSON)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.json: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validate api/openapi.json: %w", err)
	}
	return doc, nil
}

// TakesNoInput reports whether the request with method and URL path (the
// server's /v3 included) is to an operation that takes no input: its
// validation checks nothing, and it may be served before the contract is
// loaded. Any other request is validated (api/noinput.go is generated
// from the contract, and tests keep it current).
func TakesNoInput(method, path string) bool { return noInput[method+" "+path] }

// Contract is the contract, loaded in the background.
type Contract struct {
	done chan struct{}
	doc  *openapi3.T
	err  error
}

// Background runs load in the background and returns at once: the
// contract is what load returns.
func Background(load func(context.Context) (*openapi3.T, error)) *Contract {
	c := &Contract{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.doc, c.err = load(context.Background())
	}()
	return c
}

// Loaded returns a contract already loaded.
func Loaded(doc *openapi3.T) *Contract {
	c := &Contract{done: make(chan struct{}), doc: doc}
	close(c.done)
	return c
}

// Done is closed once the contract is loaded, or failed to load.
func (c *Contract) Done() <-chan struct{} { return c.done }

// Wait waits until the contract is loaded, or ctx ends.
func (c *Contract) Wait(ctx context.Context) (*openapi3.T, error) {
	select {
	case <-c.done:
		return c.doc, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
