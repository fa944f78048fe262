package auth

import (
	"crypto/sha256"
	"testing"
	"time"
)

func TestCacheHitSkipsHash(t *testing.T) {
	v := vec(t, "bcrypt-2y-cost10")
	clock := newFakeClock()
	a := mustNew(t, []User{{Name: "admin", Password: v.hash}}, Options{Now: clock.Now})

	steps := []struct {
		name      string
		advance   time.Duration
		password  string
		want      bool
		wantSlow  int64 // hash checks this step must cost
		wantCache int
	}{
		{"first check hashes", 0, v.password, true, 1, 1},
		{"second is cached", time.Second, v.password, true, 0, 1},
		{"wrong password still hashes", 0, "wrong", false, 1, 1},
		{"failures are not cached", 0, "wrong", false, 1, 1},
		{"still cached just before expiry", DefaultCacheTTL - time.Second - time.Nanosecond, v.password, true, 0, 1},
		{"expired entry re-verifies", time.Nanosecond, v.password, true, 1, 1},
		{"and is cached again", time.Minute, v.password, true, 0, 1},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		before := a.slowChecks.Load()
		if got := a.Verify("admin", s.password); got != s.want {
			t.Fatalf("%s: Verify = %v, want %v", s.name, got, s.want)
		}
		if n := a.slowChecks.Load() - before; n != s.wantSlow {
			t.Fatalf("%s: %d hash checks, want %d", s.name, n, s.wantSlow)
		}
		if n := a.cache.len(); n != s.wantCache {
			t.Fatalf("%s: %d cache entries, want %d", s.name, n, s.wantCache)
		}
	}
}

func TestCacheNotReusedAfterPasswordChange(t *testing.T) {
	oldV, newV := vec(t, "bcrypt-2y-cost10"), vec(t, "sha512crypt-rounds")
	clock := newFakeClock()
	oldA := mustNew(t, []User{{Name: "admin", Password: oldV.hash}}, Options{Now: clock.Now})
	if !oldA.Verify("admin", oldV.password) {
		t.Fatal("old password rejected")
	}

	// Both vectors share a password, so only the hash tells them apart:
	// the new Authenticator must check it rather than trust old results.
	newA := mustNew(t, []User{{Name: "admin", Password: newV.hash}}, Options{Now: clock.Now})
	before := newA.slowChecks.Load()
	if !newA.Verify("admin", newV.password) {
		t.Fatal("new password rejected")
	}
	if newA.slowChecks.Load() != before+1 {
		t.Fatal("new Authenticator answered from a cache")
	}

	// Were a cache ever shared, the stored hash in the key would keep the
	// old entry from matching.
	if cacheKey("admin", oldV.password, oldV.hash) == cacheKey("admin", newV.password, newV.hash) {
		t.Fatal("cache key ignores the stored hash")
	}
}

func TestCacheKeySeparatesFields(t *testing.T) {
	tests := []struct {
		a, b [3]string
	}{
		{[3]string{"ab", "c", "h"}, [3]string{"a", "bc", "h"}},
		{[3]string{"a", "bc", "h"}, [3]string{"a", "b", "ch"}},
		{[3]string{"a", "b", "h1"}, [3]string{"a", "b", "h2"}},
		{[3]string{"a", "b", "h"}, [3]string{"b", "b", "h"}},
	}
	for _, tt := range tests {
		if cacheKey(tt.a[0], tt.a[1], tt.a[2]) == cacheKey(tt.b[0], tt.b[1], tt.b[2]) {
			t.Errorf("cacheKey%q == cacheKey%q", tt.a, tt.b)
		}
	}
}

func TestCacheDisabled(t *testing.T) {
	v := vec(t, "bcrypt-2b-cost4")
	a := mustNew(t, []User{{Name: "admin", Password: v.hash}}, Options{CacheTTL: -1})
	for range 2 {
		before := a.slowChecks.Load()
		if !a.Verify("admin", v.password) || a.slowChecks.Load() != before+1 {
			t.Fatal("with CacheTTL < 0 every check must hash")
		}
	}
	if a.cache != nil {
		t.Fatal("cache allocated although disabled")
	}
}

func TestInsecureUsersAreNotCached(t *testing.T) {
	a := mustNew(t, []User{{Name: "ops", Password: "pw", Insecure: true}}, Options{})
	if !a.Verify("ops", "pw") || a.cache.len() != 0 {
		t.Fatal("plain-password success was cached")
	}
}

func TestCacheBounded(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key := func(i int) [sha256.Size]byte { return cacheKey("u", string(rune('a'+i)), "h") }

	tests := []struct {
		name     string
		fill     []time.Duration // expiry offsets of existing entries
		now      time.Duration
		wantLen  int
		evicted  []int // indexes into fill that must be gone
		retained []int
	}{
		{"evicts the oldest when none expired", []time.Duration{3, 1, 2}, 0, 3, []int{1}, []int{0, 2}},
		{"drops every expired entry", []time.Duration{1, 5, 2}, 3, 2, []int{0, 2}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(len(tt.fill))
			for i, d := range tt.fill {
				c.put(key(i), base, base.Add(d*time.Minute))
			}
			now := base.Add(tt.now * time.Minute)
			c.put(key(99), now, now.Add(10*time.Minute))
			if c.len() != tt.wantLen {
				t.Fatalf("len = %d, want %d", c.len(), tt.wantLen)
			}
			for _, i := range tt.evicted {
				if c.valid(key(i), base) {
					t.Errorf("entry %d survived", i)
				}
			}
			for _, i := range tt.retained {
				if !c.valid(key(i), base) {
					t.Errorf("entry %d was evicted", i)
				}
			}
			if !c.valid(key(99), now) {
				t.Error("new entry missing")
			}
		})
	}
}

func TestCacheSizeLimit(t *testing.T) {
	c := newCache(cacheSize)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 * cacheSize {
		c.put(cacheKey("u", string(rune(0x100+i)), "h"), now, now.Add(time.Hour+time.Duration(i)))
	}
	if c.len() != cacheSize {
		t.Fatalf("len = %d, want %d", c.len(), cacheSize)
	}
}
