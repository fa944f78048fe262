// Package settings loads dataplane's own configuration from its defaults,
// an HCL file, the environment and the command line.
//
// # One table
//
// Every setting is declared once, in Table: its name, its flags (the
// HAProxy Data Plane API's where it has them), its file attribute and
// block, its environment variable (DATAPLANEAPI_<NAME>), its default and
// what it does. The file's schema, the flags, the environment, the help
// text (Usage) and the README's table come from it. Settings the Data
// Plane API has and dataplane does not do yet are declared with NotBuilt:
// accepted, checked for their type, kept in Settings.NotBuilt, and
// reported (Settings.Sources) so that the caller warns.
//
// # Sources and precedence
//
// Load starts from the defaults (see Defaults), applies the HCL file named by
// -f when that flag is given (no file is read otherwise), then the
// environment variables that are set and not empty, then the flags that
// were actually given on the command line: flag > environment > file >
// default. Every block and attribute of the file is optional. When
// haproxy.master_runtime is still empty afterwards it is taken from the
// HAPROXY_MASTER_CLI environment variable, which HAProxy sets for programs
// it starts in master-worker mode. Settings.Sources says where each
// effective value came from.
//
// Relative paths in the file are resolved against the directory of the
// file; relative paths given by flags or the environment are resolved
// against the working directory. "~" is never expanded.
//
// # Environment variables and passwords
//
// In HCL a quoted string is a template: "${NAME}" is a reference to a variable
// NAME, not literal text. Load evaluates expressions with exactly one
// variable, env, an object holding the environment variables that the file
// itself names (and only those: the settings' own DATAPLANEAPI_ variables
// are read separately, see above). So the user
// chooses explicitly:
//
//	password = env.ADMIN_PASSWORD      # read now from the environment
//	password = "${env.ADMIN_PASSWORD}" # the same, as a template
//	password = "$${ADMIN_PASSWORD}"    # the literal text ${ADMIN_PASSWORD}, left for later
//
// A password may also be written "${ADMIN_PASSWORD}", the Data Plane API's
// convention: in a password attribute, and only there, a bare name is an
// environment variable. Anywhere else a bare name is rejected (unknown
// variable, with a hint naming the forms above): top-level names stay free,
// a typo cannot silently pick up an unrelated variable, and the file says
// what it reads. An unset variable reads as "", so an empty password
// is reported as a problem. env can be used in any attribute, not only in
// passwords. "%{" also starts a template directive; write "%%{" for the
// literal text. A null value counts as absent and leaves the default.
//
// A file whose name ends in ".json" is read as HCL's JSON syntax; any other
// name is read as HCL native syntax.
//
// # Errors
//
// Every problem found (syntax errors, unknown blocks or attributes, wrong
// types, bad values, bad flags) is reported, one per line, as
// "file:line:col: message" for the file and "flag --name: message" for flags,
// in a single *LoadError.
package settings

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Settings is dataplane's complete configuration.
type Settings struct {
	API     API     // the `dataplaneapi` block
	HAProxy HAProxy // the `haproxy` block
	Log     Log     // the `log` block
	Metrics Metrics // the `metrics` block
	Fleet   Fleet   // the `fleet` block
	File    string  // absolute path of the HCL file that was loaded ("" when none)
	// NotBuilt holds the settings that were given and do nothing yet
	// (Setting.NotBuilt), by name, as text; nil when none was given.
	NotBuilt map[string]string

	// from records where each value that is not a default came from.
	from map[string]origin
}

// API configures the HTTP API itself (the `dataplaneapi` block).
type API struct {
	Host string // `host`, default "127.0.0.1"
	Port int    // `port`, default 5555, 1..65535
	// Scheme is `scheme`: the listeners to open, "http" (Host, Port)
	// and/or "https" (TLS), default ["http"].
	Scheme       []string
	TLS          TLS           // the `tls` block: the https listener
	Users        []User        // repeatable `user "<name>" { password = "...", insecure = bool, role = "..." }`
	Userlist     Userlist      // the `userlist` block
	Transaction  Transaction   // the `transaction` block
	Audit        Audit         // the `audit` block
	Resources    Resources     // the `resources` block
	MaxBodySize  int64         // `max_body_size` in bytes, default 64 MiB, > 0
	ReadTimeout  time.Duration // `read_timeout` such as "30s", default 30s, > 0
	WriteTimeout time.Duration // `write_timeout`, default 5m (force_reload requests wait for a reload), > 0
	// CleanupTimeout is `cleanup_timeout`: how long an idle keep-alive
	// connection stays open, default 2m, > 0.
	CleanupTimeout time.Duration
	// GracefulTimeout is `graceful_timeout`: how long requests in
	// progress may finish on shutdown, default 15s, > 0.
	GracefulTimeout time.Duration
	KeepAlive       time.Duration // `keep_alive`: TCP keep-alive period, default 3m, >= 0 (0: Go's 15s)
	MaxHeaderSize   int64         // `max_header_size` in bytes, default 1 MiB, > 0
	ListenLimit     int           // `listen_limit`: the most connections open at once, default 0 (no limit), >= 0
	PIDFile         string        // `pid_file`: dataplane writes its PID there, default ""
}

// TLS configures the https listener (the `tls` block inside
// `dataplaneapi`), opened when Scheme lists "https". A zero limit, keep-alive
// or timeout takes the plain listener's.
type TLS struct {
	Host        string // `tls_host`, default "" (Host)
	Port        int    // `tls_port`, required with https, 1..65535
	Certificate string // `tls_certificate`: PEM, required with https
	Key         string // `tls_key`: PEM, required with https
	// CA is `tls_ca`: PEM CA certificates that client certificates are
	// verified against. Set, the listener asks for client certificates
	// (mTLS), as ClientAuth says.
	CA string
	// ClientAuth is `tls_client_auth`: ClientAuthRequired (default), a
	// connection without a certificate signed by CA fails its handshake,
	// or ClientAuthOptional, a certificate given must verify and one not
	// given leaves basic auth.
	ClientAuth string
	// ClientUserFrom is `tls_client_user_from`: "" (off) or "cn", the
	// verified client certificate's subject common name is the API user
	// of a request without an Authorization header. Requires CA.
	ClientUserFrom string
	ListenLimit    int           // `tls_listen_limit`, default 0 (listen_limit), >= 0
	KeepAlive      time.Duration // `tls_keep_alive`, default 0 (keep_alive), >= 0
	ReadTimeout    time.Duration // `tls_read_timeout`, default 0 (read_timeout), >= 0
	WriteTimeout   time.Duration // `tls_write_timeout`, default 0 (write_timeout), >= 0
}

// The schemes, TLS client authentication modes and certificate fields
// the settings accept.
const (
	SchemeHTTP         = "http"
	SchemeHTTPS        = "https"
	ClientAuthRequired = "required"
	ClientAuthOptional = "optional"
	UserFromCN         = "cn"
)

// HasScheme reports whether scheme lists name.
func (a API) HasScheme(name string) bool { return slices.Contains(a.Scheme, name) }

// User is one `user "<name>"` block: an API user defined in dataplane's own
// configuration rather than in an HAProxy userlist.
type User struct {
	Name     string // the block label, unique and non-empty
	Password string // `password`, required: a crypt(3) hash, or plain text when Insecure
	Insecure bool   // `insecure`: Password is plain text
	// Role is `role`: "read-only", "operator" or "admin"; "" (absent) is
	// admin, what every user could do before roles.
	Role string
}

// Userlist names the HAProxy userlist the API users may come from (the
// `userlist` block).
type Userlist struct {
	Userlist     string // `userlist`, default "controller"
	UserlistFile string // `userlist_file`, default "" (the userlist lives in the HAProxy configuration)
}

// Transaction configures configuration transactions (the `transaction` block).
type Transaction struct {
	TransactionDir      string // `transaction_dir`, default "/tmp/dataplane"
	BackupsNumber       int    // `backups_number`, default 0 (no backups), >= 0
	BackupsDir          string // `backups_dir`, default ""
	MaxOpenTransactions int    // `max_open_transactions`, default 20, >= 1
}

// Audit configures the audit trail (the `audit` block; an addition to
// the Data Plane API's settings).
type Audit struct {
	File    string // `audit_file`, default "<transaction_dir>/audit.log"
	MaxSize int64  // `audit_max_size` in bytes, the file and its rotated one together, default 16 MiB
}

// AuditFile is the audit file: audit_file, else audit.log in the
// transaction directory.
func (s *Settings) AuditFile() string {
	if s.API.Audit.File != "" {
		return s.API.Audit.File
	}
	return filepath.Join(s.API.Transaction.TransactionDir, "audit.log")
}

// Resources names the directories of the storage API (the `resources`
// block). An empty directory is a subdirectory of the transaction
// directory (see ResourceDir), so a default set-up keeps its files beside
// its transactions, in a directory dataplane owns.
type Resources struct {
	MapsDir           string // `maps_dir`, default "<transaction_dir>/maps"
	SSLCertsDir       string // `ssl_certs_dir`, default "<transaction_dir>/ssl"
	GeneralStorageDir string // `general_storage_dir`, default "<transaction_dir>/general"
}

// ResourceDir returns dir, or sub of the transaction directory when dir is
// empty.
func (s *Settings) ResourceDir(dir, sub string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(s.API.Transaction.TransactionDir, sub)
}

// HAProxy describes the managed HAProxy (the `haproxy` block).
type HAProxy struct {
	ConfigFile string // `config_file`, default "/etc/haproxy/haproxy.cfg"
	HAProxyBin string // `haproxy_bin`, default "haproxy"
	// MasterRuntime is `master_runtime`, the master CLI socket path. When
	// empty it is taken from the environment variable HAPROXY_MASTER_CLI
	// (first unix socket listed, without its "unix@" prefix).
	MasterRuntime string
	Reload        Reload // the `reload` block
}

// Reload strategies accepted by Reload.ReloadStrategy.
const (
	StrategyDefault    = ""           // let the reload package choose
	StrategyMaster     = "master"     // "reload" command on the master CLI
	StrategyStandalone = "standalone" // start a new process with -sf <old pids>
	StrategyCustom     = "custom"     // run Reload.ReloadCmd
)

// Reload configures how HAProxy is reloaded (the `reload` block inside
// `haproxy`).
type Reload struct {
	ReloadDelay int // `reload_delay` in seconds, default 5, >= 0
	// ReloadTimeout is `reload_timeout` such as "60s" (default), > 0: how
	// long one reload may take, the reload command (killed with what it
	// started when it runs past it) and the wait for HAProxy's new process.
	ReloadTimeout time.Duration
	ReloadCmd     string // `reload_cmd`
	RestartCmd    string // `restart_cmd`
	// RestartWhenDown is `restart_when_down`, default true: when HAProxy's
	// master is gone, dataplane starts HAProxy again with the last
	// configuration that ran (restart_cmd, else the master's recorded
	// command line).
	RestartWhenDown bool
	ReloadStrategy  string // `reload_strategy`: one of the Strategy constants; "custom" requires ReloadCmd
	PIDFile         string // `pid_file`, used by the "standalone" strategy, default ""
	// MasterLog is `master_log`: the file HAProxy's master writes its stderr
	// to. HAProxy 2.6 tells why a master reload failed only there.
	MasterLog string
}

// Log configures dataplane's own logging (the `log` block).
type Log struct {
	// Level is `log_level`: trace, debug, verbose (= debug), info,
	// warning (or warn) or error; default info.
	Level  string
	Format string // `log_format`: text or json (any case); default text
	To     string // `log_to`: stdout, stderr or file; default stderr
	File   string // `log_file`: the file for log_to "file"
}

// Fleet configures fleet mode (the `fleet` block): off unless Endpoints
// lists etcd's client URLs.
type Fleet struct {
	Endpoints      []string      // `endpoints`: etcd client URLs (http:// or https://)
	Prefix         string        // `prefix`, default "/dataplane": the keys of this fleet
	Node           string        // `node`, default the host name: this node's unique name
	TLSCA          string        // `tls_ca`: CA certificates for https endpoints
	TLSCertificate string        // `tls_certificate`: client certificate for etcd
	TLSKey         string        // `tls_key`: its key
	Username       string        // `username`: etcd user
	Password       string        // `password`
	RequestTimeout time.Duration // `request_timeout`, default 5s: a write etcd does not take by then is 503
	Resync         time.Duration // `resync`, default 2s: how often a node reads the store besides the watch
	RetryFailed    time.Duration // `retry_failed`, default 30s: when a node tries again a version it could not apply
}

// Enabled says whether fleet mode is on.
func (f Fleet) Enabled() bool { return len(f.Endpoints) > 0 }

// Metrics configures the /metrics endpoint (the `metrics` block).
type Metrics struct {
	Auth bool // `auth`, default true: /metrics requires basic auth
}

// Defaults returns the settings used when neither the file nor a flag says
// otherwise.
func Defaults() *Settings {
	return &Settings{
		API: API{
			Host:     "127.0.0.1",
			Port:     5555,
			Scheme:   []string{SchemeHTTP},
			TLS:      TLS{ClientAuth: ClientAuthRequired},
			Userlist: Userlist{Userlist: "controller"},
			Transaction: Transaction{
				TransactionDir:      "/tmp/dataplane",
				MaxOpenTransactions: 20,
			},
			Audit:           Audit{MaxSize: 16 << 20},
			MaxBodySize:     64 << 20,
			ReadTimeout:     30 * time.Second,
			WriteTimeout:    5 * time.Minute,
			CleanupTimeout:  2 * time.Minute,
			GracefulTimeout: 15 * time.Second,
			KeepAlive:       3 * time.Minute,
			MaxHeaderSize:   1 << 20,
		},
		HAProxy: HAProxy{
			ConfigFile: "/etc/haproxy/haproxy.cfg",
			HAProxyBin: "haproxy",
			Reload:     Reload{ReloadDelay: 5, ReloadTimeout: 60 * time.Second, RestartWhenDown: true},
		},
		Log:     Log{Level: "info", Format: "text", To: "stderr", File: "/var/log/dataplaneapi/dataplaneapi.log"},
		Metrics: Metrics{Auth: true},
		Fleet:   Fleet{Prefix: "/dataplane", RequestTimeout: 5 * time.Second, Resync: 2 * time.Second, RetryFailed: 30 * time.Second},
	}
}

// LoadError lists every problem that stopped Load, one per entry, each
// formatted as "file:line:col: message" or "flag --name: message".
type LoadError struct {
	Problems []string
	// Partial is what could be read despite the problems (defaults
	// elsewhere): where to listen, for a dataplane that must serve its
	// health even so (see cmd/dataplane).
	Partial *Settings
}

// Error returns the problems joined by newlines.
func (e *LoadError) Error() string {
	return strings.Join(e.Problems, "\n")
}

// Load builds the settings from args (the command line without the program
// name, e.g. os.Args[1:]) and getenv (normally os.Getenv; nil means
// os.Getenv). getenv is consulted only for the settings' variables
// (DATAPLANEAPI_*), HAPROXY_MASTER_CLI and the env.NAME references the file
// contains.
//
// -h or --help prints the usage to standard output and returns an error
// wrapping flag.ErrHelp; -v or --version returns ErrVersion. Any other
// problem yields a *LoadError listing all of them.
func Load(args []string, getenv func(string) string) (*Settings, error) {
	return load(args, getenv, os.Stdout)
}

// load is Load with the usage output as a parameter, for tests.
func load(args []string, getenv func(string) string, usage io.Writer) (*Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	fl, err := parseFlags(args, usage)
	if err != nil {
		return nil, err
	}

	s := Defaults()
	var probs problems
	probs.add(fl.problems...)
	origins := map[string]origin{}

	if fl.file.value != "" {
		probs.add(loadFile(fl.file.value, s, origins, getenv)...)
	}
	probs.add(applyEnv(s, origins, getenv)...)
	probs.add(fl.apply(s, origins)...)

	if s.HAProxy.MasterRuntime == "" {
		s.HAProxy.MasterRuntime = masterCLISocket(getenv("HAPROXY_MASTER_CLI"))
		if s.HAProxy.MasterRuntime != "" {
			origins["master_runtime"] = origin{env: "HAPROXY_MASTER_CLI"}
		}
	}
	probs.add(validate(s, origins)...)
	s.from = origins

	if len(probs) > 0 {
		return nil, &LoadError{Problems: probs.lines(), Partial: s}
	}
	return s, nil
}

// Source is where one effective setting came from.
type Source struct {
	Setting Setting
	Value   string // the effective value, as text
	From    string // "default", "file <path>:<line>", "env <NAME>" or "flag <--name>"
}

// Sources lists every setting of Table with its effective value and where
// it came from, in Table's order. There is no password among them: users
// come only from the file.
func (s *Settings) Sources() []Source {
	out := make([]Source, 0, len(Table))
	for _, st := range Table {
		from := "default"
		if o, ok := s.from[st.Name]; ok {
			from = o.String()
		}
		if st.Field == nil && from == "default" {
			continue // an unbuilt setting nobody gave
		}
		out = append(out, Source{Setting: st, Value: st.Value(s), From: from})
	}
	return out
}

// masterCLISocket extracts the master CLI socket path from the value of
// HAPROXY_MASTER_CLI: the first ';'-separated entry that is a unix socket,
// either "unix@/path" or a bare absolute path. It returns "" when there is
// none (for instance only "ipv4@127.0.0.1:9999" or "sockpair@4").
func masterCLISocket(v string) string {
	for entry := range strings.SplitSeq(v, ";") {
		entry = strings.TrimSpace(entry)
		switch {
		case strings.HasPrefix(entry, "unix@"):
			if p := strings.TrimPrefix(entry, "unix@"); p != "" {
				return p
			}
		case strings.HasPrefix(entry, "/"):
			return entry
		}
	}
	return ""
}

// checkRange returns a problem message when v is outside [lo, hi].
func checkRange(name string, v, lo, hi int64) string {
	if v < lo || v > hi {
		if hi == maxInt64 {
			return fmt.Sprintf("%s must be at least %d, got %d", name, lo, v)
		}
		return fmt.Sprintf("%s must be between %d and %d, got %d", name, lo, hi, v)
	}
	return ""
}

const maxInt64 = int64(^uint64(0) >> 1)
