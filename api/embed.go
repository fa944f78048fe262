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
