package auth

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Three defences against clients that guess passwords, on top of the
// constant-time comparisons:
//
//   - A failed check takes as long as a check of the costliest user's hash
//     (failFloor), whatever the user's own hash: an unknown name, a plain
//     password and a bcrypt hash fail in the same time, so timing does not
//     tell which names exist or how they are protected.
//   - A client (address and user name) that keeps failing is refused
//     without hashing for a time that doubles with each failure (backoff):
//     a flood costs it 429s, not our CPU.
//   - Hash verifications run in two pools of slots: users with no recent
//     failure use their own pool, so a flood against one name does not
//     queue the logins of the others.

// failFloor is the duration of the costliest user's verification, as
// measured (exponential moving average, ns).
type failFloor struct{ ns atomic.Int64 }

func (f *failFloor) observe(d time.Duration) {
	for {
		old := f.ns.Load()
		next := int64(d)
		if old > 0 {
			next = (old*7 + int64(d)) / 8
		}
		if f.ns.CompareAndSwap(old, next) {
			return
		}
	}
}

func (f *failFloor) get() time.Duration { return time.Duration(f.ns.Load()) }

// Backoff limits.
const (
	// freeFailures is how many failures a client (address and user name)
	// has before it is made to wait.
	freeFailures = 5
	// firstBlock is the first wait; each further failure doubles it, up to
	// maxBlock.
	firstBlock = time.Second
	maxBlock   = 5 * time.Minute
	// failureMemory is how long a client's failures are remembered
	// without a new one.
	failureMemory = 15 * time.Minute
	// maxClients bounds the table; the oldest entries go first.
	maxClients = 10000
)

type clientKey struct{ addr, user string }

type clientState struct {
	failures int
	until    time.Time // refused before this
	last     time.Time
}

// backoff remembers the failures of clients.
type backoff struct {
	mu      sync.Mutex
	clients map[clientKey]*clientState
	// users counts recent failures per user name, whatever the address:
	// a name under attack uses the shared pool of hashing slots.
	users map[string]int
}

func newBackoff() *backoff {
	return &backoff{clients: map[clientKey]*clientState{}, users: map[string]int{}}
}

// blocked returns how long the client must still wait (0: it may try).
func (b *backoff) blocked(k clientKey, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.clients[k]
	if !ok || !now.Before(st.until) {
		return 0
	}
	return st.until.Sub(now)
}

// failed records a failure of the client.
func (b *backoff) failed(k clientKey, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.clients[k]
	if !ok || now.Sub(st.last) > failureMemory {
		if len(b.clients) >= maxClients {
			b.evictLocked()
		}
		st = &clientState{}
		b.clients[k] = st
	}
	st.failures++
	st.last = now
	b.users[k.user]++
	if n := st.failures - freeFailures; n > 0 {
		wait := maxBlock
		if n < 20 && firstBlock<<(n-1) < maxBlock {
			wait = firstBlock << (n - 1)
		}
		st.until = now.Add(wait)
	}
}

// succeeded forgets the client's failures.
func (b *backoff) succeeded(k clientKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.clients[k]; ok {
		b.users[k.user] -= st.failures
		if b.users[k.user] <= 0 {
			delete(b.users, k.user)
		}
		delete(b.clients, k)
	}
}

// underAttack reports whether the name has recent failures beyond the
// free ones.
func (b *backoff) underAttack(user string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.users[user] > freeFailures
}

// evictLocked drops the entries not seen for longest (a tenth of the
// table), and the user counts that go with them.
func (b *backoff) evictLocked() {
	// One sort instead of a scan per entry: the lock is held, and every
	// login waits for it.
	keys := make([]clientKey, 0, len(b.clients))
	for k := range b.clients {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y clientKey) int { return b.clients[x].last.Compare(b.clients[y].last) })
	for _, k := range keys[:max(len(keys)/10, 1)] {
		st := b.clients[k]
		b.users[k.user] -= st.failures
		if b.users[k.user] <= 0 {
			delete(b.users, k.user)
		}
		delete(b.clients, k)
	}
}
