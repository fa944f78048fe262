package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/go-crypt/crypt"
	"github.com/go-crypt/crypt/algorithm"
	"github.com/go-crypt/crypt/algorithm/md5crypt"
	"github.com/go-crypt/crypt/algorithm/scrypt"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
	"github.com/go-crypt/x/yescrypt"
	"golang.org/x/crypto/bcrypt"
)

// Cost caps, checked in New. Basic auth re-verifies on every cache miss and
// on every wrong password, so a hash's cost is paid per request; these keep
// one check under about a second of CPU on current hardware (measured on
// amd64: bcrypt 10 ≈ 57 ms, sha512-crypt 5000 rounds ≈ 1.5 ms, yescrypt j9T
// ≈ 45 ms).
const (
	// MaxBcryptCost allows 16× the cost-10 default of most tools (≈ 0.9 s).
	MaxBcryptCost = 14
	// MaxSHACryptRounds allows 200× the implicit 5000 rounds (≈ 0.25 s).
	MaxSHACryptRounds = 1_000_000
	// MaxYescryptLogN caps yescrypt's N at 2^18. Debian's default j9T is
	// 2^12.
	MaxYescryptLogN = 18
	// MaxYescryptMemory caps yescrypt's memory, 128·N·r bytes, at 64 MiB
	// (mkpasswd -R 7, ≈ 0.17 s; the default j9T is 16 MiB). With the usual
	// r=32 this is the tighter limit, on purpose: every concurrent
	// wrong-password request allocates that much.
	MaxYescryptMemory = 64 << 20
)

// scheme describes one accepted crypt(3) identifier, the text between the
// first two '$'.
type scheme struct {
	name   string
	keyLen int // length of the encoded key for md5/sha-crypt; 0 = the decoder checks it
}

// schemes is the allowlist. The library decodes more (argon2, pbkdf2, its
// own scrypt format, $2$/$2x$ bcrypt, Sun md5, "$plaintext$"), but those are
// not what HAProxy users paste, $2x$ exists only to reproduce an old bug, and
// "$plaintext$" would bypass the Insecure flag. Anything else fails in New
// rather than quietly widening what is accepted.
var schemes = map[string]scheme{
	"1":  {name: "md5-crypt", keyLen: 22},
	"5":  {name: "sha256-crypt", keyLen: 43},
	"6":  {name: "sha512-crypt", keyLen: 86},
	"2a": {name: "bcrypt"},
	"2b": {name: "bcrypt"},
	"2y": {name: "bcrypt"},
	"y":  {name: "yescrypt"},
}

const supportedList = "$1$, $5$, $6$ (with or without rounds=), $2a$, $2b$, $2y$ or $y$"

// decoder registers only the decoders for the schemes above, as the library
// recommends, rather than crypt.NewDecoderAll: that one also decodes
// "$plaintext$<password>", which would let a "hash" be a plain password.
//
// bcrypt is verified by golang.org/x/crypto/bcrypt, the project's library
// for it (constant-time comparison); go-crypt covers the md5-crypt,
// sha-crypt and yescrypt forms x/crypto lacks. x/crypto's bcrypt.Cost reads
// only the prefix, so checkBcrypt checks the rest of the hash at load: a
// corrupt salt fails there, not as a login that can never succeed.
var decoder = sync.OnceValues(func() (*crypt.Decoder, error) {
	d := crypt.NewDecoder()
	for _, register := range []func(algorithm.DecoderRegister) error{
		md5crypt.RegisterDecoderCommon,
		shacrypt.RegisterDecoder,
		scrypt.RegisterDecoderYescrypt,
	} {
		if err := register(d); err != nil {
			return nil, fmt.Errorf("building the password hash decoder: %w", err)
		}
	}
	return d, nil
})

// credential is one user's verifier. It keeps no plain password: insecure
// users are held as a SHA-256 digest.
type credential struct {
	insecure bool
	plainSum [sha256.Size]byte // insecure only
	stored   string            // the hash, part of the cache key
	digest   algorithm.Digest  // md5-crypt, sha-crypt, yescrypt
	bcrypt   []byte            // bcrypt: the hash, for x/crypto
	// work is a rough cost estimate in microseconds, only compared with
	// other users' to pick the dummy for unknown names.
	work int64
}

// cacheable is false for plain passwords: comparing them is cheaper than a
// cache lookup, and caching would gain nothing.
func (c *credential) cacheable() bool { return !c.insecure }

// match verifies password in constant time with respect to its content.
func (c *credential) match(password string) bool {
	if c.insecure {
		return plainEqual(password, c.plainSum)
	}
	if c.bcrypt != nil {
		// x/crypto refuses passwords over 72 bytes (bcrypt reads only
		// those): such a password is simply not a match.
		return bcrypt.CompareHashAndPassword(c.bcrypt, []byte(password)) == nil
	}
	// Decoding in New already rejected every parameter the library could
	// fail on, so an error here is not expected; either way it is not a
	// match.
	ok, err := c.digest.MatchAdvanced(password)
	return ok && err == nil
}

// hashError reports a rejected hash without printing it: a hash is an
// offline-crackable secret and these errors end up in logs. The library's
// error stays available to errors.Is/As through Unwrap but is left out of
// the message because some of its messages quote parts of the hash.
type hashError struct {
	user   string
	reason string
	err    error
}

func (e *hashError) Error() string {
	return fmt.Sprintf("unsupported password hash for user %q: %s", e.user, e.reason)
}

func (e *hashError) Unwrap() error { return e.err }

// newCredential builds the verifier for one user, validating the hash and
// its cost.
func newCredential(user, password string, insecure bool) (*credential, error) {
	if insecure {
		if password == "" {
			return nil, fmt.Errorf("user %q: empty insecure password", user)
		}
		if len(password) > MaxPasswordLen {
			return nil, fmt.Errorf("user %q: insecure password longer than %d bytes could never be accepted", user, MaxPasswordLen)
		}
		return &credential{insecure: true, plainSum: sha256.Sum256([]byte(password)), work: 1}, nil
	}

	id, params, ok := splitHash(password)
	sch, known := schemes[id]
	if !ok || !known {
		return nil, &hashError{user: user, reason: "not a supported hash; use " + supportedList +
			", or mark the user insecure for a plain-text password"}
	}
	if sch.name == "bcrypt" {
		if err := checkBcrypt(password); err != nil {
			return nil, &hashError{user: user, reason: "malformed bcrypt hash: " + err.Error(), err: err}
		}
		work, err := cost(id, params)
		if err != nil {
			return nil, fmt.Errorf("password hash for user %q: %w", user, err)
		}
		return &credential{stored: password, bcrypt: []byte(password), work: work}, nil
	}
	d, err := decoder()
	if err != nil {
		return nil, err
	}
	digest, err := d.Decode(password)
	if err != nil {
		return nil, &hashError{user: user, reason: "malformed " + sch.name + " hash", err: err}
	}
	if err := checkShape(sch, digest); err != nil {
		return nil, &hashError{user: user, reason: "malformed " + sch.name + " hash: " + err.Error()}
	}
	work, err := cost(id, params)
	if err != nil {
		return nil, fmt.Errorf("password hash for user %q: %w", user, err)
	}
	return &credential{stored: password, digest: digest, work: work}, nil
}

// splitHash returns the identifier of a "$id$..." hash and its parameter
// field: the segment after the identifier when the hash has one more '$'
// segment than the scheme's bare form (sha-crypt "rounds=N"), or the
// bcrypt cost / yescrypt setting, which are always there.
func splitHash(h string) (id string, params string, ok bool) {
	if !strings.HasPrefix(h, "$") {
		return "", "", false
	}
	parts := strings.Split(h[1:], "$")
	if len(parts) < 2 {
		return "", "", false
	}
	id = parts[0]
	switch id {
	case "5", "6":
		// Same rule as the library's decoder: the parameter field exists
		// only in the 5-segment form.
		if len(parts) == 4 {
			params = parts[1]
		}
	default:
		params = parts[1]
	}
	return id, params, true
}

// checkShape adds the checks the library's decoder skips for md5/sha-crypt,
// which take the salt and key as opaque text: a truncated or mangled paste
// (often a shell having expanded "$6$…" in double quotes) would otherwise
// load fine and then never match.
func checkShape(sch scheme, d algorithm.Digest) error {
	if len(d.Salt()) == 0 {
		return errors.New("empty salt")
	}
	if sch.keyLen == 0 {
		return nil
	}
	key := d.Key()
	if len(key) != sch.keyLen {
		return fmt.Errorf("hash part is %d characters, want %d", len(key), sch.keyLen)
	}
	for _, b := range key {
		if !isCryptB64(b) {
			return errors.New("hash part contains a character outside the crypt alphabet ./0-9A-Za-z")
		}
	}
	return nil
}

// checkBcrypt checks a whole bcrypt hash: `$2a$NN$` and 53 characters of
// the crypt alphabet (22 of salt, 31 of hash), with a cost x/crypto takes.
func checkBcrypt(h string) error {
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return err
	}
	const prefix = len("$2a$10$")
	if len(h) != prefix+53 || h[prefix-1] != '$' {
		return fmt.Errorf("%d characters, want %d", len(h), prefix+53)
	}
	for i := prefix; i < len(h); i++ {
		if !isCryptB64(h[i]) {
			return errors.New("salt or hash contains a character outside the crypt alphabet ./0-9A-Za-z")
		}
	}
	return nil
}

func isCryptB64(b byte) bool {
	return b == '.' || b == '/' || '0' <= b && b <= '9' || 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z'
}

// cost checks a decoded hash's parameters against the caps and returns its
// estimated verify time in microseconds. The library has already validated
// the syntax, so parsing here cannot disagree with what it will compute.
func cost(id, params string) (int64, error) {
	switch id {
	case "1":
		// Fixed 1000 MD5 iterations.
		return 150, nil
	case "5", "6":
		rounds := int64(5000) // implicit when "rounds=" is absent
		if params != "" {
			v, ok := strings.CutPrefix(params, "rounds=")
			if !ok {
				return 0, errors.New("sha-crypt parameter is not rounds=N")
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("unreadable sha-crypt rounds: %w", err)
			}
			rounds = n
		}
		if rounds > MaxSHACryptRounds {
			return 0, fmt.Errorf("sha-crypt rounds %d is above the cap of %d", rounds, MaxSHACryptRounds)
		}
		return rounds * 3 / 10, nil
	case "2a", "2b", "2y":
		c, err := strconv.Atoi(params)
		if err != nil {
			return 0, fmt.Errorf("unreadable bcrypt cost: %w", err)
		}
		if c > MaxBcryptCost {
			return 0, fmt.Errorf("bcrypt cost %d is above the cap of %d", c, MaxBcryptCost)
		}
		return 55 << c, nil
	case "y":
		// The same function the library's decoder and verifier use, so the
		// parameters capped are the ones that will be computed.
		_, logN, r, err := yescrypt.DecodeSetting([]byte(params))
		if err != nil {
			return 0, fmt.Errorf("unreadable yescrypt parameters: %w", err)
		}
		if logN > MaxYescryptLogN {
			return 0, fmt.Errorf("yescrypt N 2^%d is above the cap of 2^%d", logN, MaxYescryptLogN)
		}
		if mem := int64(128) << logN * int64(r); mem > MaxYescryptMemory {
			return 0, fmt.Errorf("yescrypt memory %d MiB (N=2^%d, r=%d) is above the cap of %d MiB",
				mem>>20, logN, r, MaxYescryptMemory>>20)
		}
		return (int64(1) << logN) * int64(r) / 3, nil
	}
	return 0, fmt.Errorf("no cost rule for hash identifier %q", id)
}
