// Package auth checks HTTP basic credentials against users from dataplane's
// config or an HAProxy userlist.
//
// Passwords are either plain text (users marked Insecure, HAProxy's
// "insecure-password") or crypt(3) hashes of the kinds HAProxy itself accepts
// on Debian through libxcrypt: $1$ md5-crypt, $5$/$6$ sha-crypt (with or
// without rounds=), $2a$/$2b$/$2y$ bcrypt and $y$ yescrypt. Every hash is
// decoded and its cost checked in New, so a typo or a hostile hash stops the
// program at start rather than failing, or burning CPU, at request time.
//
// Because basic auth sends the password with every request and a bcrypt or
// yescrypt check takes tens to hundreds of milliseconds, successful checks
// are remembered for Options.CacheTTL. The cache holds SHA-256 digests only,
// never a password.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	goruntime "runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"dataplane/internal/role"
)

// User is one configured account, as read from the dataplaneapi section of
// the HCL file or from an HAProxy userlist.
type User struct {
	Name     string
	Password string // a crypt(3)/bcrypt hash, or the plain password when Insecure
	Insecure bool
	// Role is what the user may do once authenticated (RoleFrom); the
	// zero value may do nothing.
	Role role.Role
}

// Options tunes an Authenticator. The zero value is ready to use.
type Options struct {
	Getenv   func(string) string // for "${NAME}" password values; nil = os.Getenv
	CacheTTL time.Duration       // default 5m; negative disables the cache
	Now      func() time.Time    // for tests; nil = time.Now
	Logger   *slog.Logger        // may be nil
	// CertUser, when set, names the user a request's client certificate
	// stands for ("" when none, see CertCommonName). It is asked only for
	// requests without an Authorization header: credentials sent
	// explicitly win over the connection's certificate.
	CertUser func(r *http.Request) string
}

const (
	// DefaultCacheTTL is how long a successful check is trusted without
	// hashing again. The cache belongs to one Authenticator, so a change of
	// users or passwords, which builds a new one, takes effect at once
	// whatever the TTL.
	DefaultCacheTTL = 5 * time.Minute

	// MaxPasswordLen is the longest password Verify will hash, in bytes.
	// sha-crypt hashes the whole password in every round, so a megabyte
	// password (HTTP allows that much header) against a 1,000,000-round hash
	// would mean hashing about a terabyte. At 256 bytes that worst case is
	// under a second (0.87 s measured, against 0.24 s for a short password).
	// Longer passwords are rejected without hashing, for known and unknown
	// users alike.
	MaxPasswordLen = 256
)

// Authenticator verifies user names and passwords. It is safe for
// concurrent use; it never changes after New except for its cache.
type Authenticator struct {
	users  map[string]*credential
	roles  map[string]role.Role
	names  []string    // sorted, for Users
	dummy  *credential // checked for unknown user names, result discarded
	cache  *cache      // nil when disabled
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger
	// certUser is Options.CertUser.
	certUser func(r *http.Request) string

	// slowChecks counts password checks that reached the hash library or
	// the plain comparison: all but cache hits and input rejected up front.
	// Tests use it to prove cache hits without relying on timing.
	slowChecks atomic.Int64
	// slots bounds concurrent hash verifications (see match): the shared
	// pool, and the pool of users with no recent failure (guard.go).
	slots, calmSlots chan struct{}
	// floor is how long the costliest user's verification takes: every
	// failed login takes at least that long (guard.go).
	floor failFloor
	// guard remembers failing clients (guard.go).
	guard *backoff
}

// envRef matches a password value that names an environment variable, the
// same "${NAME}" form upstream dataplaneapi accepts.
var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// New validates users and returns an Authenticator for them.
//
// It fails, naming the user, when the list is empty, a name is empty,
// duplicated or unusable in basic auth, a "${NAME}" password refers to an
// unset or empty variable, a hash is not one of the supported forms or is
// malformed, or a hash's cost is above the caps (bcrypt cost 14, sha-crypt
// 1,000,000 rounds, yescrypt N 2^18 and 64 MiB). All problems are reported
// together. Error messages never contain a password or a hash.
func New(users []User, opts Options) (*Authenticator, error) {
	if len(users) == 0 {
		return nil, errors.New(`no users configured: add a user block to the dataplaneapi section ` +
			`of the HCL file (user "admin" { password = "<hash>" }) or a userlist "controller" ` +
			`section to haproxy.cfg`)
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}

	a := &Authenticator{
		users:     make(map[string]*credential, len(users)),
		roles:     make(map[string]role.Role, len(users)),
		ttl:       opts.CacheTTL,
		now:       opts.Now,
		logger:    opts.Logger,
		certUser:  opts.CertUser,
		slots:     make(chan struct{}, 2*goruntime.GOMAXPROCS(0)),
		calmSlots: make(chan struct{}, goruntime.GOMAXPROCS(0)),
		guard:     newBackoff(),
	}
	if a.ttl == 0 {
		a.ttl = DefaultCacheTTL
	}
	if a.ttl > 0 {
		a.cache = newCache(cacheSize)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}

	var errs []error
	for i, u := range users {
		if err := checkName(u.Name); err != nil {
			errs = append(errs, fmt.Errorf("user #%d: %w", i+1, err))
			continue
		}
		if _, dup := a.users[u.Name]; dup {
			errs = append(errs, fmt.Errorf("user %q is configured more than once", u.Name))
			continue
		}
		password, err := resolveEnv(u, getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := newCredential(u.Name, password, u.Insecure)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.users[u.Name] = c
		a.roles[u.Name] = u.Role
		a.names = append(a.names, u.Name)
		// The dummy is the costliest user's own verifier, so that a request
		// for an unknown name takes as long as one for the slowest real
		// user and timing cannot tell the two apart. Reusing a real hash
		// instead of generating one costs nothing at start and matches the
		// scheme exactly; it is safe because the dummy's result is always
		// thrown away.
		if a.dummy == nil || c.work > a.dummy.work {
			a.dummy = c
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(a.names)
	// The floor of failed logins is measured once at start, in the
	// background (a bcrypt check takes up to half a second), and follows
	// the checks of the costliest hash afterwards.
	if a.dummy != nil {
		go a.match(context.Background(), a.dummy, "dataplane calibration", true)
	}
	return a, nil
}

// checkName rejects names that basic auth cannot carry (a colon ends the
// user part of the credentials) and control characters, which also keeps
// the NUL separators in the cache key unambiguous.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty user name")
	case strings.Contains(name, ":"):
		return fmt.Errorf("user name %q contains ':', which HTTP basic auth cannot carry", name)
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("user name %q contains a control character", name)
	}
	return nil
}

// resolveEnv returns u.Password, or the variable it names when it is exactly
// "${NAME}".
func resolveEnv(u User, getenv func(string) string) (string, error) {
	m := envRef.FindStringSubmatch(u.Password)
	if m == nil {
		return u.Password, nil
	}
	v := getenv(m[1])
	if v == "" {
		return "", fmt.Errorf("user %q: password refers to environment variable %s, which is unset or empty", u.Name, m[1])
	}
	return v, nil
}

// Verify reports whether password is right for user. It never returns true
// for an unknown user, an empty password or one longer than MaxPasswordLen.
// A success is cached for the configured TTL; failures are never cached, so
// every wrong guess pays the full hash cost.
func (a *Authenticator) Verify(user, password string) bool {
	return a.check(context.Background(), user, password) == outcomeOK
}

// outcome says why a check failed, for the debug log only: clients always
// get the same answer so they cannot enumerate user names.
type outcome int

const (
	outcomeOK outcome = iota
	outcomeBadInput
	outcomeUnknownUser
	outcomeWrongPassword
	// outcomeGone: the client went away while its check waited for a
	// hashing slot; nothing was checked.
	outcomeGone
)

func (o outcome) String() string {
	switch o {
	case outcomeOK:
		return "ok"
	case outcomeBadInput:
		return "empty or overlong password"
	case outcomeUnknownUser:
		return "unknown user"
	case outcomeGone:
		return "client gone before the check"
	default:
		return "wrong password"
	}
}

func (a *Authenticator) check(ctx context.Context, user, password string) outcome {
	// Decided before the user lookup so that it says nothing about which
	// names exist.
	if password == "" || len(password) > MaxPasswordLen {
		return outcomeBadInput
	}
	c, known := a.users[user]
	calm := !a.guard.underAttack(user)
	if !known {
		a.slowChecks.Add(1)
		if _, err := a.match(ctx, a.dummy, password, false); err != nil {
			return outcomeGone
		}
		return outcomeUnknownUser
	}
	if !c.cacheable() || a.cache == nil {
		a.slowChecks.Add(1)
		ok, err := a.match(ctx, c, password, calm)
		switch {
		case err != nil:
			return outcomeGone
		case ok:
			return outcomeOK
		}
		return outcomeWrongPassword
	}

	key := cacheKey(user, password, c.stored)
	if a.cache.valid(key, a.now()) {
		return outcomeOK
	}
	a.slowChecks.Add(1)
	ok, err := a.match(ctx, c, password, calm)
	if err != nil {
		return outcomeGone
	}
	if !ok {
		return outcomeWrongPassword
	}
	// Expiry is set from the time of the real check, and hits do not extend
	// it, so a cached success is never older than the TTL.
	now := a.now()
	a.cache.put(key, now, now.Add(a.ttl))
	return outcomeOK
}

// match verifies a password against a credential, with at most
// 2*GOMAXPROCS hash verifications at once in the shared pool (GOMAXPROCS
// more for calm users: those with no recent failure): a flood of wrong
// passwords against an expensive hash (yescrypt uses 16 MiB each) then
// queues instead of exhausting CPU and memory, and does not queue the
// logins of users it does not target. Checks of the costliest hash are
// timed: they set how long a failed login takes (floor). A client that
// goes away while waiting for a slot leaves the queue (ctx's error): a
// flood of clients that hang up does not keep the slots busy after them.
func (a *Authenticator) match(ctx context.Context, c *credential, password string, calm bool) (bool, error) {
	if c.insecure {
		return c.match(password), nil
	}
	pool := a.slots
	if calm {
		select {
		case a.calmSlots <- struct{}{}:
			pool = a.calmSlots
		default:
			// The calm pool is full: wait in the shared one.
		}
	}
	if pool == a.slots {
		select {
		case a.slots <- struct{}{}:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	defer func() { <-pool }()
	start := time.Now()
	ok := c.match(password)
	if c.work >= a.dummy.work {
		a.floor.observe(time.Since(start))
	}
	return ok, nil
}

// padFailure makes a failed login that started at start last as long as
// a check of the costliest hash, so that its duration does not tell an
// unknown name from a known one, nor one hash kind from another.
func (a *Authenticator) padFailure(ctx context.Context, start time.Time) {
	if rest := a.floor.get() - time.Since(start); rest > 0 {
		t := time.NewTimer(rest)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// cacheKey binds an entry to the user, the password and the exact stored
// hash. Users cannot contain NUL (checkName) and crypt hashes never do, so
// the separators make the encoding unambiguous.
func cacheKey(user, password, stored string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(password))
	h.Write([]byte{0})
	h.Write([]byte(stored))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// Users returns the configured user names, sorted, for logs.
func (a *Authenticator) Users() []string {
	return slices.Clone(a.names)
}

// plainEqual compares in constant time. Both sides are hashed first because
// subtle.ConstantTimeCompare returns at once when lengths differ, which would
// leak the stored password's length.
func plainEqual(password string, storedSum [sha256.Size]byte) bool {
	sum := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(sum[:], storedSum[:]) == 1
}
