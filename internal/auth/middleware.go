package auth

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"dataplane/internal/apierror"
	"dataplane/internal/role"
)

// challenge is sent with every 401 so that browsers and curl --anyauth know
// to retry with basic credentials.
const challenge = `Basic realm="dataplane"`

type userKey struct{}

// identity is who Middleware authenticated.
type identity struct {
	name string
	role role.Role
}

// UserFrom returns the name of the user that Middleware authenticated for
// the request carrying ctx, or "" when there is none.
func UserFrom(ctx context.Context) string {
	id, _ := ctx.Value(userKey{}).(identity)
	return id.name
}

// RoleFrom returns the role of the user that Middleware authenticated for
// the request carrying ctx, or 0 (no role: nothing allowed) when there is
// none.
func RoleFrom(ctx context.Context) role.Role {
	id, _ := ctx.Value(userKey{}).(identity)
	return id.role
}

// Middleware requires valid HTTP basic credentials on every request. Without
// them it answers 401 with a WWW-Authenticate challenge and the project's
// JSON error body, and next is not called. With them, next runs with the
// user name in the request context (see UserFrom).
//
// The response is the same for an unknown user and a wrong password, so it
// cannot be used to discover user names; the reason is logged at Debug with
// the user name, never the password.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if a.certUser != nil {
				if name := a.certUser(r); name != "" {
					a.serveCertUser(w, r, name, next)
					return
				}
			}
			a.logger.Debug("authentication failed", "reason", "no credentials",
				"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			unauthorized(w, "authentication required")
			return
		}
		// BasicAuth also rejects other schemes and bad base64 or a missing
		// colon, as RFC 7617 requires.
		user, password, ok := r.BasicAuth()
		if !ok {
			a.logger.Debug("authentication failed", "reason", "malformed basic credentials",
				"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			unauthorized(w, "authentication required: send HTTP basic credentials")
			return
		}
		client := clientKey{addr: remoteHost(r.RemoteAddr), user: user}
		if wait := a.guard.blocked(client, a.now()); wait > 0 {
			// Too many failures from this client for this name: refused
			// without hashing until the backoff has passed.
			secs := int(math.Ceil(wait.Seconds()))
			a.logger.Debug("authentication refused: too many failures", "user", logName(user),
				"remote", r.RemoteAddr, "retry_after_s", secs)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			apierror.Write(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed logins: try again in %d s", secs))
			return
		}
		start := time.Now()
		res := a.check(r.Context(), user, password)
		if res == outcomeGone {
			return
		}
		if res != outcomeOK {
			a.guard.failed(client, a.now())
			a.padFailure(r.Context(), start)
			a.logger.Debug("authentication failed", "reason", res.String(), "user", logName(user),
				"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			unauthorized(w, "invalid credentials")
			return
		}
		a.guard.succeeded(client)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, identity{name: user, role: a.roles[user]})))
	})
}

// serveCertUser serves a request whose verified client certificate names
// the user name: that user's role applies. A name that is no API user is
// refused as unknown credentials are, with the name in the debug log.
func (a *Authenticator) serveCertUser(w http.ResponseWriter, r *http.Request, name string, next http.Handler) {
	if _, ok := a.users[name]; !ok {
		a.logger.Debug("authentication failed", "reason", "client certificate names no API user", "user", logName(name),
			"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
		unauthorized(w, "the client certificate names no API user: send HTTP basic credentials")
		return
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, identity{name: name, role: a.roles[name]})))
}

// CertCommonName is the subject common name of the request's client
// certificate when the TLS handshake verified it against the listener's
// CA, else "". An unverified certificate (none asked for, or a listener
// without a CA) names nobody.
func CertCommonName(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	return r.TLS.VerifiedChains[0][0].Subject.CommonName
}

// remoteHost is the address part of a request's remote address.
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", challenge)
	apierror.Write(w, http.StatusUnauthorized, msg)
}

// logName shortens a client-supplied name before logging, since it can be
// as long as the request headers allow.
func logName(name string) string {
	const maxLogged = 128
	if len(name) <= maxLogged {
		return name
	}
	cut := maxLogged
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut-- // do not split a multi-byte character
	}
	return name[:cut] + "…"
}
