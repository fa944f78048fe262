package spec

import (
	"fmt"
	"sort"
	"strings"

	"dataplane/internal/config"
)

// metadataProperty is the property every schema of a model with metadata
// gets (config.HasMetadata): the schema `metadata` of base.yaml, the
// trailing comment of the item's line or of the section's header line.
const metadataProperty = `        metadata:
          $ref: "#/components/schemas/metadata"
`

// metadataSchemas returns the schemas whose models carry metadata: the
// item schema of every collection, the schema of every section kind.
func metadataSchemas(colls []config.ChildResource, sections []config.SectionResource) []string {
	var out []string
	for _, c := range colls {
		if config.HasMetadata(c.NewModel()) {
			out = append(out, c.Info().Schema)
		}
	}
	for _, s := range sections {
		if config.HasMetadata(s.NewModel()) {
			out = append(out, s.Info().Schema)
		}
	}
	if config.HasMetadata(&config.Global{}) {
		out = append(out, "global") // served by its own handlers
	}
	sort.Strings(out)
	return out
}

// addMetadata puts the metadata property first in the properties of each
// named schema of components.schemas, so that no schema declares it by
// hand and none can forget it. A schema that is missing, has no
// properties of its own, or declares metadata itself is an error.
func addMetadata(doc string, schemas []string) (string, error) {
	lines := strings.SplitAfter(doc, "\n")
	start := -1
	for i, l := range lines {
		if l == "  schemas:\n" {
			start = i
			break
		}
	}
	if start < 0 {
		return "", fmt.Errorf("metadata: no components.schemas")
	}
	at := map[int]bool{}
	for _, name := range schemas {
		i, err := metadataSlot(lines, start, name)
		if err != nil {
			return "", err
		}
		at[i] = true
	}
	var b strings.Builder
	b.Grow(len(doc) + len(at)*len(metadataProperty))
	for i, l := range lines {
		b.WriteString(l)
		if at[i] {
			b.WriteString(metadataProperty)
		}
	}
	return b.String(), nil
}

// metadataSlot returns the index of the `properties:` line of schema
// name (at indentation 4 below the line start).
func metadataSlot(lines []string, start int, name string) (int, error) {
	head := "    " + name + ":\n"
	i := start + 1
	for i < len(lines) && lines[i] != head {
		i++
	}
	if i == len(lines) {
		return 0, fmt.Errorf("metadata: schema %s not found", name)
	}
	props := -1
	for j := i + 1; j < len(lines); j++ {
		l := lines[j]
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "     ") {
			break // the next schema
		}
		switch {
		case l == "      properties:\n" && props < 0:
			props = j
		case l == "        metadata:\n":
			return 0, fmt.Errorf("metadata: schema %s declares metadata itself; it is added to every model that has it", name)
		}
	}
	if props < 0 {
		return 0, fmt.Errorf("metadata: schema %s has no properties of its own", name)
	}
	return props, nil
}
