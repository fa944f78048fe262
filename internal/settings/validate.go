package settings

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Accepted values of the enumerated settings.
var (
	logLevels        = []string{"trace", "debug", "verbose", "info", "warning", "warn", "error"}
	logFormats       = []string{"text", "json"}
	logTargets       = []string{"stdout", "stderr", "file"}
	reloadStrategies = []string{StrategyDefault, StrategyMaster, StrategyStandalone, StrategyCustom}
	schemes          = []string{SchemeHTTP, SchemeHTTPS}
	clientAuths      = []string{ClientAuthRequired, ClientAuthOptional}
	userFroms        = []string{"", UserFromCN}
)

// validate checks the merged settings. Each problem points at the attribute
// or flag that set the offending value (origins, keyed by attribute name).
// The users are checked while decoding the file, their only source.
func validate(s *Settings, origins map[string]origin) []problem {
	var probs problems
	bad := func(key, format string, args ...any) {
		probs.addf(origins[key], format, args...)
	}
	rangeCheck := func(key string, v, lo, hi int64) {
		if msg := checkRange(key, v, lo, hi); msg != "" {
			bad(key, "Invalid value: %s", msg)
		}
	}
	nonEmpty := func(key, v string) {
		if v == "" {
			bad(key, "Invalid value: %s must not be empty", key)
		}
	}
	oneOf := func(key, v string, allowed []string) {
		if !slices.Contains(allowed, v) {
			bad(key, "Invalid value: %s must be one of %s, got %q", key, quoteList(allowed), v)
		}
	}
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, "Invalid value: %s must be positive, got %s", key, d)
		}
	}

	rangeCheck("port", int64(s.API.Port), 1, 65535)
	rangeCheck("max_body_size", s.API.MaxBodySize, 1, maxInt64)
	rangeCheck("audit_max_size", s.API.Audit.MaxSize, 64<<10, maxInt64)
	positive("read_timeout", s.API.ReadTimeout)
	positive("write_timeout", s.API.WriteTimeout)
	positive("cleanup_timeout", s.API.CleanupTimeout)
	positive("graceful_timeout", s.API.GracefulTimeout)
	if s.API.KeepAlive < 0 {
		bad("keep_alive", "Invalid value: keep_alive must not be negative, got %s", s.API.KeepAlive)
	}
	rangeCheck("max_header_size", s.API.MaxHeaderSize, 1, maxInt64)
	rangeCheck("listen_limit", int64(s.API.ListenLimit), 0, maxInt64)
	validateTLS(s.API, bad, rangeCheck, oneOf)
	nonEmpty("transaction_dir", s.API.Transaction.TransactionDir)
	rangeCheck("backups_number", int64(s.API.Transaction.BackupsNumber), 0, maxInt64)
	rangeCheck("max_open_transactions", int64(s.API.Transaction.MaxOpenTransactions), 1, maxInt64)

	nonEmpty("config_file", s.HAProxy.ConfigFile)
	nonEmpty("haproxy_bin", s.HAProxy.HAProxyBin)
	r := s.HAProxy.Reload
	rangeCheck("reload_delay", int64(r.ReloadDelay), 0, maxInt64)
	positive("reload_timeout", r.ReloadTimeout)
	oneOf("reload_strategy", r.ReloadStrategy, reloadStrategies)
	if r.ReloadStrategy == StrategyCustom && strings.TrimSpace(r.ReloadCmd) == "" {
		bad("reload_strategy", "Invalid value: reload_strategy %q requires reload_cmd", StrategyCustom)
	}

	oneOf("log_level", s.Log.Level, logLevels)
	oneOf("log_format", strings.ToLower(s.Log.Format), logFormats)
	oneOf("log_to", s.Log.To, logTargets)
	if s.Log.To == "file" && s.Log.File == "" {
		bad("log_file", "Invalid value: log_to \"file\" requires log_file")
	}
	validateFleet(s.Fleet, bad, positive)
	return probs
}

// validateTLS checks scheme and the tls block. What the https listener
// needs is required only when scheme lists https: without it the tls
// settings are read and unused (dataplane warns at start), as in the
// anchor.
func validateTLS(a API, bad func(key, format string, args ...any),
	rangeCheck func(key string, v, lo, hi int64), oneOf func(key, v string, allowed []string)) {
	if len(a.Scheme) == 0 {
		bad("scheme", "Invalid value: scheme must list http, https or both")
	}
	for i, sc := range a.Scheme {
		oneOf("scheme", sc, schemes)
		if slices.Contains(a.Scheme[:i], sc) {
			bad("scheme", "Invalid value: scheme lists %q twice", sc)
		}
	}
	t := a.TLS
	rangeCheck("tls_port", int64(t.Port), 0, 65535)
	rangeCheck("tls_listen_limit", int64(t.ListenLimit), 0, maxInt64)
	for _, c := range []struct {
		key string
		d   time.Duration
	}{{"tls_keep_alive", t.KeepAlive}, {"tls_read_timeout", t.ReadTimeout}, {"tls_write_timeout", t.WriteTimeout}} {
		if c.d < 0 {
			bad(c.key, "Invalid value: %s must not be negative, got %s", c.key, c.d)
		}
	}
	oneOf("tls_client_auth", t.ClientAuth, clientAuths)
	oneOf("tls_client_user_from", t.ClientUserFrom, userFroms)
	if !a.HasScheme(SchemeHTTPS) {
		return
	}
	if t.Port == 0 {
		bad("scheme", "Invalid value: scheme https requires tls_port")
	}
	if t.Certificate == "" || t.Key == "" {
		bad("scheme", "Invalid value: scheme https requires tls_certificate and tls_key")
	}
	if t.ClientUserFrom != "" && t.CA == "" {
		bad("tls_client_user_from", "Invalid value: tls_client_user_from requires tls_ca: only a certificate verified against it names a user")
	}
	host := t.Host
	if host == "" {
		host = a.Host
	}
	if a.HasScheme(SchemeHTTP) && t.Port == a.Port && host == a.Host {
		bad("tls_port", "Invalid value: tls_port %d is port too: http and https need a port each", t.Port)
	}
}

// quoteList formats allowed values as `"a", "b" or "c"`.
func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// validateFleet checks the fleet block; only its durations matter when
// fleet mode is off.
func validateFleet(f Fleet, bad func(key, format string, args ...any), positive func(key string, d time.Duration)) {
	positive("fleet_request_timeout", f.RequestTimeout)
	positive("fleet_resync", f.Resync)
	positive("fleet_retry_failed", f.RetryFailed)
	if !f.Enabled() {
		return
	}
	for _, e := range f.Endpoints {
		if !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
			bad("fleet_endpoints", "Invalid value: fleet_endpoints: %q is not an http:// or https:// URL", e)
		}
	}
	if !strings.HasPrefix(f.Prefix, "/") || strings.ContainsAny(f.Prefix, " \t\r\n") {
		bad("fleet_prefix", "Invalid value: fleet_prefix must start with / and hold no space, got %q", f.Prefix)
	}
	if strings.ContainsAny(f.Node, "/ \t\r\n") {
		bad("fleet_node", "Invalid value: fleet_node must hold no slash or space, got %q", f.Node)
	}
	if (f.TLSCertificate == "") != (f.TLSKey == "") {
		bad("fleet_tls_certificate", "Invalid value: fleet_tls_certificate and fleet_tls_key go together")
	}
}
