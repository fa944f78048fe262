// Command gen writes api/openapi.yaml from the sources in api/spec and the
// collection registry of internal/config. Run it with `go generate ./api`
// (see the go:generate line in api/embed.go).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"dataplane/api/spec"
)

func main() {
	out := flag.String("o", "openapi.yaml", "file to write, relative to the current directory (api/ under go generate)")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "api/gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	b, err := spec.Generate()
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	// Leave an up-to-date file alone, so that its mtime (and make) only
	// see real changes.
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
