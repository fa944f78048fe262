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
	return probs
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
