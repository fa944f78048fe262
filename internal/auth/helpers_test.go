package auth

import (
	"bufio"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// vector is one line of testdata/vectors.tsv, made by testdata/gen.sh with
// OpenSSL and libxcrypt on the build machine.
type vector struct {
	name, password, hash string
}

func loadVectors(tb testing.TB) map[string]vector {
	tb.Helper()
	f, err := os.Open("testdata/vectors.tsv")
	if err != nil {
		tb.Fatalf("opening vectors: %v", err)
	}
	defer f.Close()
	vs := make(map[string]vector)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			tb.Fatalf("bad vector line %q", sc.Text())
		}
		vs[fields[0]] = vector{fields[0], fields[1], fields[2]}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("reading vectors: %v", err)
	}
	return vs
}

func vec(tb testing.TB, name string) vector {
	tb.Helper()
	v, ok := loadVectors(tb)[name]
	if !ok {
		tb.Fatalf("no vector %q in testdata/vectors.tsv", name)
	}
	return v
}

func mustNew(tb testing.TB, users []User, opts Options) *Authenticator {
	tb.Helper()
	a, err := New(users, opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return a
}

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
