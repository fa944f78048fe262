package settings

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a setting's value, which says how each source spells
// it: a flag or an environment variable is text, the file has HCL types.
type Kind int

// The kinds of settings.
const (
	KindString   Kind = iota // text
	KindPath                 // a path: relative ones resolve against the file's directory (file) or the working directory (flag, environment)
	KindInt                  // an integer
	KindBool                 // true or false; a flag without a value is true
	KindDuration             // a Go duration such as "30s" or "5m"
	KindSize                 // a byte size: a whole number of bytes, or with a unit such as "512KiB" or "1MiB"
	// KindList is a list of words: comma-separated in a flag (which may
	// also be repeated, as the anchor's --scheme is) or an environment
	// variable; a list of strings or one string in the file.
	KindList
)

// EnvPrefix starts the name of every setting's environment variable: the
// setting's name in capitals after it (DATAPLANEAPI_TRANSACTION_DIR).
const EnvPrefix = "DATAPLANEAPI_"

// Setting declares one setting and every way to give it: the file (Block and
// Attr), the command line (Short, Long) and the environment (Env). The help
// text, the README's table and the tests are made from Table, so a setting
// cannot miss one of its forms.
type Setting struct {
	// Name is unique: the environment variable's name (see Env) and the
	// name in messages and in the start-up log.
	Name string
	// Block is the file block holding the attribute, dotted
	// ("dataplaneapi.transaction").
	Block string
	// Attr is the attribute's name in Block; Name when empty.
	Attr  string
	Short string // the short flag without its dash ("t"), or ""
	Long  string // the long flag without its dashes ("transaction-dir")
	Arg   string // the flag's argument as the help shows it; "" for booleans
	Kind  Kind
	// Default is the default as the help shows it ("" when none).
	Default string
	Usage   string // what it does, one line
	// Field returns the setting's field in s: a *string, *int, *int64,
	// *bool or *time.Duration matching Kind. Nil when NotBuilt is set.
	Field func(s *Settings) any
	// NotBuilt, when set, says why the setting is accepted and has no
	// effect: the anchor has it and dataplane does not do that yet (or
	// has nothing to switch). Its value is checked for its kind, kept in
	// Settings.NotBuilt, and a warning is logged at start when it is set.
	NotBuilt string
}

// Env is the setting's environment variable.
func (st Setting) Env() string { return EnvPrefix + strings.ToUpper(st.Name) }

// AttrName is the setting's attribute name in its file block.
func (st Setting) AttrName() string {
	if st.Attr != "" {
		return st.Attr
	}
	return st.Name
}

// FileKey is where the setting lives in the file, in HCL's form:
// "dataplaneapi { transaction { transaction_dir } }".
func (st Setting) FileKey() string {
	parts := strings.Split(st.Block, ".")
	return strings.Join(parts, " { ") + " { " + st.AttrName() + strings.Repeat(" }", len(parts))
}

// Flags is the setting's flags as the help shows them: "-t, --transaction-dir".
func (st Setting) Flags() string {
	if st.Short == "" {
		return "--" + st.Long
	}
	return "-" + st.Short + ", --" + st.Long
}

// Why each group of unbuilt settings does nothing.
const (
	noCluster  = "no cluster mode"
	noSPOE     = "no SPOE API yet"
	noSyslog   = "no syslog output yet: log_to stdout, stderr or file"
	noMapSync  = "no map file sync yet"
	noInotify  = "there is no watcher to disable: an edit of the file by hand is noticed (size, time and hash) at the next request"
	noSocket   = "dataplane listens on TCP only"
	alwaysInfo = "/v3/info always carries the system block"
)

func str(f func(s *Settings) *string) func(*Settings) any {
	return func(s *Settings) any { return f(s) }
}
func num(f func(s *Settings) *int) func(*Settings) any { return func(s *Settings) any { return f(s) } }
func num64(f func(s *Settings) *int64) func(*Settings) any {
	return func(s *Settings) any { return f(s) }
}
func flag1(f func(s *Settings) *bool) func(*Settings) any {
	return func(s *Settings) any { return f(s) }
}
func dur(f func(s *Settings) *time.Duration) func(*Settings) any {
	return func(s *Settings) any { return f(s) }
}
func list(f func(s *Settings) *[]string) func(*Settings) any {
	return func(s *Settings) any { return f(s) }
}

// Table is every setting, in the order of the help text. The flags and the
// file keys follow the HAProxy Data Plane API's (dataplaneapi) where it has
// the setting.
var Table = []Setting{
	// The HTTP server.
	{Name: "host", Block: "dataplaneapi", Long: "host", Arg: "address", Kind: KindString, Default: "127.0.0.1",
		Usage: "the address to listen on", Field: str(func(s *Settings) *string { return &s.API.Host })},
	{Name: "port", Block: "dataplaneapi", Long: "port", Arg: "port", Kind: KindInt, Default: "5555",
		Usage: "the port to listen on", Field: num(func(s *Settings) *int { return &s.API.Port })},
	{Name: "scheme", Block: "dataplaneapi", Long: "scheme", Arg: "schemes", Kind: KindList, Default: "http",
		Usage: "the listeners to enable: http (host, port), https (tls_host, tls_port) or both (\"http,https\", or the flag twice)",
		Field: list(func(s *Settings) *[]string { return &s.API.Scheme })},
	{Name: "socket_path", Block: "dataplaneapi", Long: "socket-path", Arg: "path", Kind: KindPath,
		Usage: "a unix socket to listen on", NotBuilt: noSocket},
	{Name: "listen_limit", Block: "dataplaneapi", Long: "listen-limit", Arg: "n", Kind: KindInt, Default: "0 (no limit)",
		Usage: "the most connections open at once; more wait to be accepted", Field: num(func(s *Settings) *int { return &s.API.ListenLimit })},
	{Name: "read_timeout", Block: "dataplaneapi", Long: "read-timeout", Arg: "duration", Kind: KindDuration, Default: "30s",
		Usage: "the longest time to read a request", Field: dur(func(s *Settings) *time.Duration { return &s.API.ReadTimeout })},
	{Name: "write_timeout", Block: "dataplaneapi", Long: "write-timeout", Arg: "duration", Kind: KindDuration, Default: "5m",
		Usage: "the longest time to write an answer (force_reload waits for a reload)", Field: dur(func(s *Settings) *time.Duration { return &s.API.WriteTimeout })},
	{Name: "cleanup_timeout", Block: "dataplaneapi", Long: "cleanup-timeout", Arg: "duration", Kind: KindDuration, Default: "2m",
		Usage: "how long an idle keep-alive connection stays open", Field: dur(func(s *Settings) *time.Duration { return &s.API.CleanupTimeout })},
	{Name: "graceful_timeout", Block: "dataplaneapi", Long: "graceful-timeout", Arg: "duration", Kind: KindDuration, Default: "15s",
		Usage: "how long requests in progress may finish on shutdown", Field: dur(func(s *Settings) *time.Duration { return &s.API.GracefulTimeout })},
	{Name: "keep_alive", Block: "dataplaneapi", Long: "keep-alive", Arg: "duration", Kind: KindDuration, Default: "3m",
		Usage: "the TCP keep-alive period of accepted connections", Field: dur(func(s *Settings) *time.Duration { return &s.API.KeepAlive })},
	{Name: "max_header_size", Block: "dataplaneapi", Long: "max-header-size", Arg: "size", Kind: KindSize, Default: "1MiB",
		Usage: "the largest request header", Field: num64(func(s *Settings) *int64 { return &s.API.MaxHeaderSize })},
	{Name: "max_body_size", Block: "dataplaneapi", Long: "max-body-size", Arg: "size", Kind: KindSize, Default: "64MiB",
		Usage: "the largest request body", Field: num64(func(s *Settings) *int64 { return &s.API.MaxBodySize })},
	{Name: "show_system_info", Block: "dataplaneapi", Short: "i", Long: "show-system-info", Kind: KindBool,
		Usage: "show system info on /v3/info", NotBuilt: alwaysInfo},
	{Name: "disable_inotify", Block: "dataplaneapi", Long: "disable-inotify", Kind: KindBool,
		Usage: "do not watch the configuration file", NotBuilt: noInotify},
	{Name: "pid_file", Block: "dataplaneapi", Long: "pid-file", Arg: "path", Kind: KindPath,
		Usage: "a file dataplane writes its own PID to (removed on exit)", Field: str(func(s *Settings) *string { return &s.API.PIDFile })},
	{Name: "uid", Block: "dataplaneapi", Long: "uid", Arg: "id", Kind: KindInt,
		Usage: "the user id to switch to at start", NotBuilt: "run dataplane as the user it should be"},
	{Name: "gid", Block: "dataplaneapi", Long: "gid", Arg: "id", Kind: KindInt,
		Usage: "the group id to switch to at start", NotBuilt: "run dataplane as the group it should be"},
	{Name: "debug_socket_path", Block: "dataplaneapi", Long: "debug-socket-path", Arg: "path", Kind: KindPath,
		Usage: "a unix socket for debugging commands", NotBuilt: "no debugging socket"},
	{Name: "tls_host", Block: "dataplaneapi.tls", Long: "tls-host", Arg: "address", Kind: KindString, Default: "same as host",
		Usage: "the address of the https listener", Field: str(func(s *Settings) *string { return &s.API.TLS.Host })},
	{Name: "tls_port", Block: "dataplaneapi.tls", Long: "tls-port", Arg: "port", Kind: KindInt, Default: "none: required with https",
		Usage: "the port of the https listener", Field: num(func(s *Settings) *int { return &s.API.TLS.Port })},
	{Name: "tls_certificate", Block: "dataplaneapi.tls", Long: "tls-certificate", Arg: "path", Kind: KindPath,
		Usage: "the server certificate (PEM, chain after it), read again when it changes", Field: str(func(s *Settings) *string { return &s.API.TLS.Certificate })},
	{Name: "tls_key", Block: "dataplaneapi.tls", Long: "tls-key", Arg: "path", Kind: KindPath,
		Usage: "the server certificate's private key (PEM)", Field: str(func(s *Settings) *string { return &s.API.TLS.Key })},
	{Name: "tls_ca", Block: "dataplaneapi.tls", Long: "tls-ca", Arg: "path", Kind: KindPath,
		Usage: "the CA certificates (PEM) client certificates are verified against: set, clients need a certificate (mTLS)", Field: str(func(s *Settings) *string { return &s.API.TLS.CA })},
	{Name: "tls_client_auth", Block: "dataplaneapi.tls", Long: "tls-client-auth", Arg: "mode", Kind: KindString, Default: "required",
		Usage: "with tls_ca: required (no certificate, no connection) or optional (a certificate given must verify; without one, basic auth)", Field: str(func(s *Settings) *string { return &s.API.TLS.ClientAuth })},
	{Name: "tls_client_user_from", Block: "dataplaneapi.tls", Long: "tls-client-user-from", Arg: "field", Kind: KindString,
		Usage: "cn: a verified client certificate's subject common name is the API user (its role applies) on requests without basic auth", Field: str(func(s *Settings) *string { return &s.API.TLS.ClientUserFrom })},
	{Name: "tls_listen_limit", Block: "dataplaneapi.tls", Long: "tls-listen-limit", Arg: "n", Kind: KindInt, Default: "same as listen_limit",
		Usage: "the most https connections open at once", Field: num(func(s *Settings) *int { return &s.API.TLS.ListenLimit })},
	{Name: "tls_keep_alive", Block: "dataplaneapi.tls", Long: "tls-keep-alive", Arg: "duration", Kind: KindDuration, Default: "same as keep_alive",
		Usage: "the TCP keep-alive period of https connections", Field: dur(func(s *Settings) *time.Duration { return &s.API.TLS.KeepAlive })},
	{Name: "tls_read_timeout", Block: "dataplaneapi.tls", Long: "tls-read-timeout", Arg: "duration", Kind: KindDuration, Default: "same as read_timeout",
		Usage: "the longest time to read an https request", Field: dur(func(s *Settings) *time.Duration { return &s.API.TLS.ReadTimeout })},
	{Name: "tls_write_timeout", Block: "dataplaneapi.tls", Long: "tls-write-timeout", Arg: "duration", Kind: KindDuration, Default: "same as write_timeout",
		Usage: "the longest time to write an https answer", Field: dur(func(s *Settings) *time.Duration { return &s.API.TLS.WriteTimeout })},

	// Users.
	{Name: "userlist", Block: "dataplaneapi.userlist", Short: "u", Long: "userlist", Arg: "name", Kind: KindString, Default: "controller",
		Usage: "the HAProxy userlist holding the API users (when the file has no user block)", Field: str(func(s *Settings) *string { return &s.API.Userlist.Userlist })},
	{Name: "userlist_file", Block: "dataplaneapi.userlist", Long: "userlist-file", Arg: "path", Kind: KindPath,
		Usage: "read the userlist from this file instead of haproxy.cfg", Field: str(func(s *Settings) *string { return &s.API.Userlist.UserlistFile })},

	// Transactions.
	{Name: "transaction_dir", Block: "dataplaneapi.transaction", Short: "t", Long: "transaction-dir", Arg: "dir", Kind: KindPath, Default: "/tmp/dataplane",
		Usage: "the transaction directory", Field: str(func(s *Settings) *string { return &s.API.Transaction.TransactionDir })},
	{Name: "backups_number", Block: "dataplaneapi.transaction", Short: "n", Long: "backups-number", Arg: "n", Kind: KindInt, Default: "0",
		Usage: "how many former versions of the configuration to keep", Field: num(func(s *Settings) *int { return &s.API.Transaction.BackupsNumber })},
	{Name: "backups_dir", Block: "dataplaneapi.transaction", Long: "backups-dir", Arg: "dir", Kind: KindPath, Default: "beside the configuration",
		Usage: "the directory of those backups", Field: str(func(s *Settings) *string { return &s.API.Transaction.BackupsDir })},
	{Name: "max_open_transactions", Block: "dataplaneapi.transaction", Long: "max-open-transactions", Arg: "n", Kind: KindInt, Default: "20",
		Usage: "the most transactions open at once", Field: num(func(s *Settings) *int { return &s.API.Transaction.MaxOpenTransactions })},

	// The audit trail.
	{Name: "audit_file", Block: "dataplaneapi.audit", Long: "audit-file", Arg: "path", Kind: KindPath, Default: "<transaction_dir>/audit.log",
		Usage: "the audit trail of changes (JSON lines)", Field: str(func(s *Settings) *string { return &s.API.Audit.File })},
	{Name: "audit_max_size", Block: "dataplaneapi.audit", Long: "audit-max-size", Arg: "size", Kind: KindSize, Default: "16MiB",
		Usage: "the most bytes the audit file and its one rotated file hold together (at least 64KiB)", Field: num64(func(s *Settings) *int64 { return &s.API.Audit.MaxSize })},

	// Storage.
	{Name: "maps_dir", Block: "dataplaneapi.resources", Short: "p", Long: "maps-dir", Arg: "dir", Kind: KindPath, Default: "<transaction_dir>/maps",
		Usage: "the directory of the storage API's map files", Field: str(func(s *Settings) *string { return &s.API.Resources.MapsDir })},
	{Name: "ssl_certs_dir", Block: "dataplaneapi.resources", Long: "ssl-certs-dir", Arg: "dir", Kind: KindPath, Default: "<transaction_dir>/ssl",
		Usage: "the directory of the storage API's certificates", Field: str(func(s *Settings) *string { return &s.API.Resources.SSLCertsDir })},
	{Name: "general_storage_dir", Block: "dataplaneapi.resources", Long: "general-storage-dir", Arg: "dir", Kind: KindPath, Default: "<transaction_dir>/general",
		Usage: "the directory of the storage API's general files", Field: str(func(s *Settings) *string { return &s.API.Resources.GeneralStorageDir })},
	{Name: "update_map_files", Block: "dataplaneapi.resources", Long: "update-map-files", Kind: KindBool,
		Usage: "write runtime map changes back to the map files", NotBuilt: noMapSync},
	{Name: "update_map_files_period", Block: "dataplaneapi.resources", Long: "update-map-files-period", Arg: "seconds", Kind: KindInt,
		Usage: "how often map files are synced", NotBuilt: noMapSync},
	{Name: "spoe_dir", Block: "dataplaneapi.resources", Long: "spoe-dir", Arg: "dir", Kind: KindPath, Usage: "the SPOE directory", NotBuilt: noSPOE},
	{Name: "spoe_transaction_dir", Block: "dataplaneapi.resources", Long: "spoe-transaction-dir", Arg: "dir", Kind: KindPath, Usage: "the SPOE transaction directory", NotBuilt: noSPOE},
	{Name: "api_address", Block: "dataplaneapi.advertised", Long: "api-address", Arg: "address", Kind: KindString, Usage: "the address advertised to a cluster", NotBuilt: noCluster},
	{Name: "api_port", Block: "dataplaneapi.advertised", Long: "api-port", Arg: "port", Kind: KindInt, Usage: "the port advertised to a cluster", NotBuilt: noCluster},
	{Name: "cluster_tls_dir", Block: "cluster", Long: "cluster-tls-dir", Arg: "dir", Kind: KindPath, Usage: "where cluster certificates are kept", NotBuilt: noCluster},

	// HAProxy.
	{Name: "config_file", Block: "haproxy", Short: "c", Long: "config-file", Arg: "path", Kind: KindPath, Default: "/etc/haproxy/haproxy.cfg",
		Usage: "the HAProxy configuration file", Field: str(func(s *Settings) *string { return &s.HAProxy.ConfigFile })},
	{Name: "haproxy_bin", Block: "haproxy", Short: "b", Long: "haproxy-bin", Arg: "path", Kind: KindString, Default: "haproxy",
		Usage: "the HAProxy binary", Field: str(func(s *Settings) *string { return &s.HAProxy.HAProxyBin })},
	{Name: "master_runtime", Block: "haproxy", Short: "m", Long: "master-runtime", Arg: "path", Kind: KindPath, Default: "from HAPROXY_MASTER_CLI",
		Usage: "the master CLI socket", Field: str(func(s *Settings) *string { return &s.HAProxy.MasterRuntime })},
	{Name: "master_worker_mode", Block: "haproxy", Long: "master-worker-mode", Kind: KindBool,
		Usage: "running under HAProxy's master", NotBuilt: "dataplane finds it out by itself (HAPROXY_MWORKER)"},
	{Name: "fid", Block: "haproxy", Long: "fid", Arg: "path", Kind: KindPath, Usage: "a file for the cluster node id", NotBuilt: noCluster},
	{Name: "delayed_start_max", Block: "haproxy", Long: "delayed-start-max", Arg: "duration", Kind: KindDuration,
		Usage: "how long to wait for HAProxy's socket at start", NotBuilt: "dataplane serves at once and finds HAProxy when it comes"},
	{Name: "delayed_start_tick", Block: "haproxy", Long: "delayed-start-tick", Arg: "duration", Kind: KindDuration,
		Usage: "how often to look for HAProxy's socket at start", NotBuilt: "dataplane serves at once and finds HAProxy when it comes"},

	// Reloads.
	{Name: "reload_delay", Block: "haproxy.reload", Short: "d", Long: "reload-delay", Arg: "seconds", Kind: KindInt, Default: "5",
		Usage: "the least time between two reloads", Field: num(func(s *Settings) *int { return &s.HAProxy.Reload.ReloadDelay })},
	{Name: "reload_timeout", Block: "haproxy.reload", Long: "reload-timeout", Arg: "duration", Kind: KindDuration, Default: "60s",
		Usage: "the longest time one reload (or start) may take", Field: dur(func(s *Settings) *time.Duration { return &s.HAProxy.Reload.ReloadTimeout })},
	{Name: "reload_cmd", Block: "haproxy.reload", Short: "r", Long: "reload-cmd", Arg: "command", Kind: KindString,
		Usage: "the command that reloads HAProxy; when set it always reloads, master CLI or not", Field: str(func(s *Settings) *string { return &s.HAProxy.Reload.ReloadCmd })},
	{Name: "restart_cmd", Block: "haproxy.reload", Short: "s", Long: "restart-cmd", Arg: "command", Kind: KindString,
		Usage: "the command that starts HAProxy when it is not running", Field: str(func(s *Settings) *string { return &s.HAProxy.Reload.RestartCmd })},
	{Name: "restart_when_down", Block: "haproxy.reload", Long: "restart-when-down", Kind: KindBool, Default: "true",
		Usage: "start HAProxy again when it is gone", Field: flag1(func(s *Settings) *bool { return &s.HAProxy.Reload.RestartWhenDown })},
	{Name: "reload_strategy", Block: "haproxy.reload", Long: "reload-strategy", Arg: "strategy", Kind: KindString, Default: "chosen",
		Usage: "master, standalone or custom (reload_cmd); chosen from what is set when empty", Field: str(func(s *Settings) *string { return &s.HAProxy.Reload.ReloadStrategy })},
	{Name: "haproxy_pid_file", Block: "haproxy.reload", Attr: "pid_file", Long: "haproxy-pid-file", Arg: "path", Kind: KindPath, Default: "pidfile of global",
		Usage: "HAProxy's pid file, for the standalone strategy", Field: str(func(s *Settings) *string { return &s.HAProxy.Reload.PIDFile })},
	{Name: "master_log", Block: "haproxy.reload", Long: "master-log", Arg: "path", Kind: KindPath,
		Usage: "the file HAProxy's master writes its stderr to (quoted when a reload fails)", Field: str(func(s *Settings) *string { return &s.HAProxy.Reload.MasterLog })},
	{Name: "reload_retention", Block: "haproxy.reload", Long: "reload-retention", Arg: "days", Kind: KindInt,
		Usage: "how long reload records are kept", NotBuilt: "the last 100 reloads are kept"},
	{Name: "validate_cmd", Block: "haproxy.reload", Long: "validate-cmd", Arg: "command", Kind: KindString,
		Usage: "a command that checks the configuration", NotBuilt: "the check is haproxy -c with the running HAProxy's flags"},
	{Name: "status_cmd", Block: "haproxy.reload", Long: "status-cmd", Arg: "command", Kind: KindString,
		Usage: "a command that tells whether HAProxy runs", NotBuilt: "dataplane watches HAProxy's process itself"},
	{Name: "service_name", Block: "haproxy.reload", Long: "service", Arg: "name", Kind: KindString,
		Usage: "the name of HAProxy's service", NotBuilt: "no systemd or s6 strategy: use reload_cmd"},

	// Fleet mode: nodes that converge on one configuration kept in etcd.
	{Name: "fleet_endpoints", Block: "fleet", Attr: "endpoints", Long: "fleet-endpoints", Arg: "urls", Kind: KindList,
		Usage: "etcd client URLs; given, fleet mode is on (see README, Fleet mode)", Field: list(func(s *Settings) *[]string { return &s.Fleet.Endpoints })},
	{Name: "fleet_prefix", Block: "fleet", Attr: "prefix", Long: "fleet-prefix", Arg: "prefix", Kind: KindString, Default: "/dataplane",
		Usage: "the etcd key prefix of this fleet", Field: str(func(s *Settings) *string { return &s.Fleet.Prefix })},
	{Name: "fleet_node", Block: "fleet", Attr: "node", Long: "fleet-node", Arg: "name", Kind: KindString, Default: "the host name",
		Usage: "this node's name in the fleet, unique", Field: str(func(s *Settings) *string { return &s.Fleet.Node })},
	{Name: "fleet_tls_ca", Block: "fleet", Attr: "tls_ca", Long: "fleet-tls-ca", Arg: "path", Kind: KindPath,
		Usage: "PEM CA certificates etcd's certificate is verified against (https endpoints)", Field: str(func(s *Settings) *string { return &s.Fleet.TLSCA })},
	{Name: "fleet_tls_certificate", Block: "fleet", Attr: "tls_certificate", Long: "fleet-tls-certificate", Arg: "path", Kind: KindPath,
		Usage: "PEM client certificate for etcd", Field: str(func(s *Settings) *string { return &s.Fleet.TLSCertificate })},
	{Name: "fleet_tls_key", Block: "fleet", Attr: "tls_key", Long: "fleet-tls-key", Arg: "path", Kind: KindPath,
		Usage: "PEM key of the client certificate", Field: str(func(s *Settings) *string { return &s.Fleet.TLSKey })},
	{Name: "fleet_username", Block: "fleet", Attr: "username", Long: "fleet-username", Arg: "user", Kind: KindString,
		Usage: "etcd user (etcd authentication)", Field: str(func(s *Settings) *string { return &s.Fleet.Username })},
	{Name: "fleet_password", Block: "fleet", Attr: "password", Long: "fleet-password", Arg: "password", Kind: KindString,
		Usage: "etcd user's password", Field: str(func(s *Settings) *string { return &s.Fleet.Password })},
	{Name: "fleet_request_timeout", Block: "fleet", Attr: "request_timeout", Long: "fleet-request-timeout", Arg: "duration", Kind: KindDuration, Default: "5s",
		Usage: "how long a write waits for etcd before it is refused with 503", Field: dur(func(s *Settings) *time.Duration { return &s.Fleet.RequestTimeout })},
	{Name: "fleet_resync", Block: "fleet", Attr: "resync", Long: "fleet-resync", Arg: "duration", Kind: KindDuration, Default: "2s",
		Usage: "how often a node reads the desired version and reports, besides the watch", Field: dur(func(s *Settings) *time.Duration { return &s.Fleet.Resync })},
	{Name: "fleet_retry_failed", Block: "fleet", Attr: "retry_failed", Long: "fleet-retry-failed", Arg: "duration", Kind: KindDuration, Default: "30s",
		Usage: "how long a node waits before it tries again a version it could not apply", Field: dur(func(s *Settings) *time.Duration { return &s.Fleet.RetryFailed })},

	// Logging.
	{Name: "log_to", Block: "log", Long: "log-to", Arg: "target", Kind: KindString, Default: "stderr",
		Usage: "where the log goes: stdout, stderr or file", Field: str(func(s *Settings) *string { return &s.Log.To })},
	{Name: "log_file", Block: "log", Long: "log-file", Arg: "path", Kind: KindPath, Default: "/var/log/dataplaneapi/dataplaneapi.log",
		Usage: "the log file, with log_to file", Field: str(func(s *Settings) *string { return &s.Log.File })},
	{Name: "log_level", Block: "log", Long: "log-level", Arg: "level", Kind: KindString, Default: "info",
		Usage: "trace, debug, verbose (= debug), info, warning (or warn) or error", Field: str(func(s *Settings) *string { return &s.Log.Level })},
	{Name: "log_format", Block: "log", Long: "log-format", Arg: "format", Kind: KindString, Default: "text",
		Usage: "text or json", Field: str(func(s *Settings) *string { return &s.Log.Format })},
	{Name: "apache_common_log_format", Block: "log", Long: "apache-common-log-format", Arg: "format", Kind: KindString,
		Usage: "the access log's format", NotBuilt: "the access log has one format"},
	{Name: "syslog_address", Block: "log.syslog", Long: "syslog-address", Arg: "address", Kind: KindString, Usage: "the syslog server", NotBuilt: noSyslog},
	{Name: "syslog_protocol", Block: "log.syslog", Long: "syslog-protocol", Arg: "protocol", Kind: KindString, Usage: "the syslog protocol", NotBuilt: noSyslog},
	{Name: "syslog_tag", Block: "log.syslog", Long: "syslog-tag", Arg: "tag", Kind: KindString, Usage: "the syslog tag", NotBuilt: noSyslog},
	{Name: "syslog_level", Block: "log.syslog", Long: "syslog-level", Arg: "level", Kind: KindString, Usage: "the syslog level", NotBuilt: noSyslog},
	{Name: "syslog_facility", Block: "log.syslog", Long: "syslog-facility", Arg: "facility", Kind: KindString, Usage: "the syslog facility", NotBuilt: noSyslog},

	// Metrics.
	{Name: "metrics_auth", Block: "metrics", Attr: "auth", Long: "metrics-auth", Kind: KindBool, Default: "true",
		Usage: "/metrics asks for basic auth", Field: flag1(func(s *Settings) *bool { return &s.Metrics.Auth })},
}

// lookup returns the setting named name.
func lookup(name string) (Setting, bool) {
	for _, st := range Table {
		if st.Name == name {
			return st, true
		}
	}
	return Setting{}, false
}

// target returns where a value of st goes: its field, or a scratch value
// of its kind for an unbuilt setting (see keep).
func (st Setting) target(s *Settings) any {
	if st.Field != nil {
		return st.Field(s)
	}
	switch st.Kind {
	case KindInt:
		return new(int)
	case KindBool:
		return new(bool)
	case KindDuration:
		return new(time.Duration)
	case KindSize:
		return new(int64)
	case KindList:
		return new([]string)
	}
	return new(string)
}

// keep records the value of an unbuilt setting in s.NotBuilt.
func (st Setting) keep(s *Settings, target any) {
	if st.Field != nil {
		return
	}
	if s.NotBuilt == nil {
		s.NotBuilt = map[string]string{}
	}
	s.NotBuilt[st.Name] = formatValue(target)
}

// Value is the setting's effective value in s, as text.
func (st Setting) Value(s *Settings) string {
	if st.Field == nil {
		return s.NotBuilt[st.Name]
	}
	return formatValue(st.Field(s))
}

// formatValue spells a pointer to a setting's value as text.
func formatValue(v any) string {
	switch x := v.(type) {
	case *string:
		return *x
	case *int:
		return strconv.Itoa(*x)
	case *int64:
		return strconv.FormatInt(*x, 10)
	case *bool:
		return strconv.FormatBool(*x)
	case *time.Duration:
		return x.String()
	case *[]string:
		return strings.Join(*x, ",")
	}
	return fmt.Sprint(v)
}

// parseText converts the text of a flag or an environment variable into
// target (from st.target). Relative paths resolve against the working
// directory.
func (st Setting) parseText(target any, raw string) error {
	switch st.Kind {
	case KindPath:
		p := target.(*string)
		if raw == "" {
			*p = ""
			return nil
		}
		abs, err := filepath.Abs(raw)
		if err != nil {
			return fmt.Errorf("resolving %q: %w", raw, err)
		}
		*p = abs
	case KindInt:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid value %q: an integer is required", raw)
		}
		*target.(*int) = n
	case KindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid value %q: true or false is required", raw)
		}
		*target.(*bool) = b
	case KindDuration:
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid value %q: a duration such as \"30s\" or \"5m\" is required", raw)
		}
		*target.(*time.Duration) = d
	case KindSize:
		n, err := parseSize(raw)
		if err != nil {
			return err
		}
		*target.(*int64) = n
	case KindList:
		*target.(*[]string) = splitList(raw)
	default:
		*target.(*string) = raw
	}
	return nil
}

// splitList reads a list given as text: words separated by commas,
// spaces around them dropped, empty ones skipped.
func splitList(raw string) []string {
	out := []string{}
	for w := range strings.SplitSeq(raw, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// sizeUnits are the units parseSize accepts, lower case.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1000,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1000 * 1000,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1000 * 1000 * 1000,
}

// parseSize reads a byte size: "1048576", "512KiB", "1MiB", "1MB" (10^6).
func parseSize(raw string) (int64, error) {
	t := strings.TrimSpace(raw)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if i == 0 || !ok || err != nil || n > maxInt64/unit {
		return 0, fmt.Errorf("invalid size %q: a number of bytes, or one with a unit such as \"512KiB\" or \"1MiB\", is required", raw)
	}
	return n * unit, nil
}

// Markdown is the README's table of settings, made from Table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| flags | environment | file | default | meaning |\n|---|---|---|---|---|\n")
	for _, st := range Table {
		flags := "`" + st.Flags() + "`"
		meaning := st.Usage
		if st.NotBuilt != "" {
			meaning = "*accepted, not built* (" + st.NotBuilt + "): " + meaning
		}
		def := ""
		if st.Default != "" {
			def = "`" + st.Default + "`"
		}
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s | %s |\n", flags, st.Env(), st.FileKey(), def, strings.ReplaceAll(meaning, "|", `\|`))
	}
	return b.String()
}
