package api

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"testing"
)

// v3Operation is one operation of the Data Plane API v3 contract, from
// testdata/v3-operations.tsv (method, path, operationId, tag, parameters,
// status codes; a copy of the contract's facts).
type v3Operation struct {
	id    string
	codes map[string]bool
}

func loadV3Operations(t *testing.T) map[string]v3Operation {
	t.Helper()
	f, err := os.Open("testdata/v3-operations.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops := map[string]v3Operation{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan() // the header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 6 {
			t.Fatalf("v3-operations.tsv: %q has %d columns", sc.Text(), len(cols))
		}
		op := v3Operation{id: cols[2], codes: map[string]bool{}}
		for _, c := range strings.Split(cols[5], ",") {
			op.codes[c] = true
		}
		ops[cols[0]+" "+cols[1]] = op
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ops
}

// TestV3Compatibility: every operation we serve at a path of the Data
// Plane API v3 has its operationId, and answers only with status codes
// the v3 contract declares for it, so that a client generated from the v3
// contract meets no operation under another name and no code it does not
// know.
func TestV3Compatibility(t *testing.T) {
	v3 := loadV3Operations(t)
	doc := loadSpec(t)
	matched := 0
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			want, ok := v3[method+" "+path]
			if !ok {
				continue
			}
			matched++
			if op.OperationID != want.id {
				t.Errorf("%s %s: operationId %q, v3 has %q", method, path, op.OperationID, want.id)
			}
			var extra []string
			for code := range op.Responses.Map() {
				if !want.codes[code] && !want.codes["default"] {
					extra = append(extra, code)
				}
			}
			sort.Strings(extra)
			if len(extra) > 0 {
				t.Errorf("%s %s (%s): status codes %v are not in the v3 contract", method, path, op.OperationID, extra)
			}
		}
	}
	if matched < 70 {
		t.Errorf("only %d operations matched the v3 contract; is testdata/v3-operations.tsv current?", matched)
	}
	t.Logf("%d of the %d v3 operations are served", matched, len(v3))
}
