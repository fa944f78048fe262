// Package api holds dataplane's HTTP contract, api/openapi.yaml, embedded in
// the binary (go:embed cannot reach a parent directory, hence this package).
// openapi.yaml is generated from api/spec (see api/spec/README.md) and
// committed, so that it can be read, diffed and served as is.
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

// SpecYAML returns the contract as written.
func SpecYAML() []byte { return specYAML }

// Load parses and validates the embedded contract.
func Load(ctx context.Context) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	doc, err := l.LoadFromData(specYAML)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validate api/openapi.yaml: %w", err)
	}
	return doc, nil
}
