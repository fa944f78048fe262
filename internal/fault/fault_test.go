package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	errExists := Sentinel(Conflict, "already exists")
	for _, c := range []struct {
		name string
		err  error
		want *Kind
	}{
		{"nil", nil, nil},
		{"no kind", errors.New("boom"), nil},
		{"a kind", NotFound, NotFound},
		{"a sentinel", errExists, Conflict},
		{"wrapped with context", fmt.Errorf("server %q: %w", "s1", errExists), Conflict},
		{"a kind given to an error", Wrap(Invalid, errors.New("bad")), Invalid},
		// The outermost kind wins: a refusal classified as a conflict
		// below, that the caller calls invalid, is invalid.
		{"kind over kind", Wrap(Invalid, fmt.Errorf("haproxy said: %w", errExists)), Invalid},
		{"formatted", fmt.Errorf("ctx: %w", Errorf(Timeout, "drain of %s", "be/s1")), Timeout},
	} {
		if got := Of(c.err); got != c.want {
			t.Errorf("%s: Of = %v, want %v", c.name, got, c.want)
		}
	}
	// Messages are the package's own words; errors.Is still reaches the kind.
	err := fmt.Errorf("backend %q: %w", "be", Sentinel(NotFound, "not found"))
	if err.Error() != `backend "be": not found` || !errors.Is(err, NotFound) {
		t.Errorf("%v, Is(NotFound) = %v", err, errors.Is(err, NotFound))
	}
	if w := Wrap(Invalid, errors.New("bad value")); w.Error() != "bad value" {
		t.Errorf("Wrap changed the message: %q", w.Error())
	}
}
