// Command gen writes the generated files of package api: openapi.yaml from
// the sources in api/spec and the collection registry of internal/config,
// openapi.json (the same document, which loads faster) and noinput.go (the
// operations that take no input). Run it with `go generate ./api` (see the
// go:generate line in api/embed.go).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"dataplane/api/spec"
)

func main() {
	out := flag.String("o", "openapi.yaml", "the YAML file to write, relative to the current directory (api/ under go generate); the others go beside it")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "api/gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	y, err := spec.Generate()
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	j, err := spec.JSON(y)
	if err != nil {
		return fmt.Errorf("convert to JSON: %w", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(j)
	if err != nil {
		return fmt.Errorf("load the contract: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return fmt.Errorf("validate the contract: %w", err)
	}
	g, err := spec.NoInputGo(doc)
	if err != nil {
		return fmt.Errorf("noinput.go: %w", err)
	}
	dir := filepath.Dir(out)
	if err := write(out, y); err != nil {
		return err
	}
	if err := write(strings.TrimSuffix(out, filepath.Ext(out))+".json", j); err != nil {
		return err
	}
	return write(filepath.Join(dir, "noinput.go"), g)
}

// write writes b to name, leaving an up-to-date file alone, so that its
// mtime (and make) only see real changes.
func write(name string, b []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
