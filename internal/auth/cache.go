package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// cacheSize bounds the cache. Entries exist only after a correct password,
// so there are about as many as users times the passwords they recently
// used; 1024 is generous. Eviction scans the map, but only when inserting
// into a full cache, which follows a slow hash check anyway.
const cacheSize = 1024

// cache remembers successful checks: key (see cacheKey) → expiry. It holds
// digests only, never a password, and is safe for concurrent use.
type cache struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]time.Time
}

func newCache(maxEntries int) *cache {
	return &cache{max: maxEntries, entries: make(map[[sha256.Size]byte]time.Time)}
}

// valid reports whether key was stored and has not expired at now. An
// expired entry is removed so the caller's full check replaces it.
func (c *cache) valid(key [sha256.Size]byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.entries[key]
	if !ok {
		return false
	}
	if !now.Before(exp) {
		delete(c.entries, key)
		return false
	}
	return true
}

// put stores key until exp. When the cache is full it first drops the
// entries expired at now and, if none had, the one closest to expiry, which
// with a fixed TTL is the oldest. The size never exceeds max.
func (c *cache) put(key [sha256.Size]byte, now, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = exp
}

// evict frees at least one slot. Called with mu held.
func (c *cache) evict(now time.Time) {
	var (
		oldestKey [sha256.Size]byte
		oldestExp time.Time
	)
	freed := false
	for k, exp := range c.entries {
		if !now.Before(exp) {
			delete(c.entries, k) // deleting during range is allowed in Go
			freed = true
			continue
		}
		if oldestExp.IsZero() || exp.Before(oldestExp) {
			oldestKey, oldestExp = k, exp
		}
	}
	if !freed && !oldestExp.IsZero() {
		delete(c.entries, oldestKey)
	}
}

// len returns the number of entries, for tests.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
