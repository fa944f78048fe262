package metrics

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
)

func TestStatusUp(t *testing.T) {
	for status, want := range map[string]float64{
		"UP": 1, "UP 1/3": 1, "UP 2/3": 1, "OPEN": 1, "DRAIN": 1, "DRAIN (agent)": 1, "no check": 1,
		"DOWN": 0, "DOWN 1/2": 0, "NOLB": 0, "NOLB 1/2": 0, "MAINT": 0, "MAINT (via be/s1)": 0,
		"MAINT (resolution)": 0, "STOP": 0, "": 0,
	} {
		if got := statusUp([]byte(status)); got != want {
			t.Errorf("statusUp(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestCodedLabelsAreSorted(t *testing.T) {
	c := newHAProxyCollector(nil, 0, nil)
	name := func(s string) *string { return &s }
	for _, base := range [][]*dto.LabelPair{
		{{Name: name("frontend"), Value: name("fe")}},
		{{Name: name("backend"), Value: name("be")}},
		{{Name: name("backend"), Value: name("be")}, {Name: name("server"), Value: name("s1")}},
	} {
		for i, ls := range codedLabels(base, c.codePairs) {
			if len(ls) != len(base)+1 || cap(ls) != len(ls) {
				t.Fatalf("set %d: %d labels, cap %d", i, len(ls), cap(ls))
			}
			for j := 1; j < len(ls); j++ {
				if ls[j-1].GetName() >= ls[j].GetName() {
					t.Fatalf("set %d not sorted: %v", i, ls)
				}
			}
		}
	}
	// The code fields of each kind are in the order of codePairs.
	for _, fields := range [][]statField{frontendFields, backendFields, serverFields} {
		i := 0
		for _, f := range fields {
			if f.code != "" {
				if f.code != *c.codePairs[i].Value {
					t.Fatalf("code field %d is %q, want %q", i, f.code, *c.codePairs[i].Value)
				}
				i++
			}
		}
		if i != len(c.codePairs) {
			t.Fatalf("%d code fields", i)
		}
	}
}
