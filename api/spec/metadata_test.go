package spec

import (
	"strings"
	"testing"
)

func TestAddMetadata(t *testing.T) {
	const doc = "components:\n  schemas:\n    a:\n      type: object\n      properties:\n        x:\n          type: string\n    b:\n      type: object\n      properties:\n        metadata:\n          type: object\n    c:\n      type: array\n"
	out, err := addMetadata(doc, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "    a:\n      type: object\n      properties:\n"+metadataProperty+"        x:\n") {
		t.Fatalf("metadata not first in a's properties:\n%s", out)
	}
	for _, c := range []struct{ schema, says string }{
		{"b", "declares metadata itself"},
		{"c", "no properties of its own"},
		{"d", "not found"},
	} {
		if _, err := addMetadata(doc, []string{c.schema}); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error saying %q", c.schema, err, c.says)
		}
	}
}
