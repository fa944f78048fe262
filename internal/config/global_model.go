package config

// Global is the `global` section, shaped as the Data Plane API v3 shapes it:
// process-wide flags at the top, performance, SSL and tuning settings in
// nested objects (an object is absent when none of its lines is in the
// file), stats sockets in runtime_apis.
type Global struct {
	Daemon            bool   `json:"daemon,omitempty"`
	MasterWorker      bool   `json:"master-worker,omitempty"`
	MworkerMaxReloads *int64 `json:"mworker_max_reloads,omitempty"`
	Nbthread          *int64 `json:"nbthread,omitempty"`
	ThreadGroups      *int64 `json:"thread_groups,omitempty"`
	Pidfile           string `json:"pidfile,omitempty"`
	User              string `json:"user,omitempty"`
	Group             string `json:"group,omitempty"`
	UID               *int64 `json:"uid,omitempty"`
	GID               *int64 `json:"gid,omitempty"`
	Chroot            string `json:"chroot,omitempty"`
	Description       string `json:"description,omitempty"`
	Node              string `json:"node,omitempty"`
	Localpeer         string `json:"localpeer,omitempty"`
	StatsTimeout      *int64 `json:"stats_timeout,omitempty"`     // ms
	StatsMaxconn      *int64 `json:"stats_maxconn,omitempty"`     //
	HardStopAfter     *int64 `json:"hard_stop_after,omitempty"`   // ms
	Grace             *int64 `json:"grace,omitempty"`             // ms
	CloseSpreadTime   *int64 `json:"close_spread_time,omitempty"` // ms
	UlimitN           *int64 `json:"ulimit_n,omitempty"`
	ExternalCheck     bool   `json:"external_check,omitempty"`

	LogSendHostname *LogSendHostname `json:"log_send_hostname,omitempty"`
	DefaultPath     *DefaultPath     `json:"default_path,omitempty"`
	CPUMaps         []CPUMap         `json:"cpu_maps,omitempty"`
	// RuntimeAPIs are the `stats socket` lines. dataplane refuses a change
	// that removes the admin socket it uses.
	RuntimeAPIs []RuntimeAPI `json:"runtime_apis,omitempty"`

	PerformanceOptions *PerformanceOptions `json:"performance_options,omitempty"`
	SSLOptions         *SSLOptions         `json:"ssl_options,omitempty"`
	TuneBufferOptions  *TuneBufferOptions  `json:"tune_buffer_options,omitempty"`
	TuneOptions        *TuneOptions        `json:"tune_options,omitempty"`

	*GlobalMore
}

// LogSendHostname is `log-send-hostname [<name>]`.
type LogSendHostname struct {
	Enabled string `json:"enabled"` // "enabled" (the line is there) or "disabled"
	Param   string `json:"param,omitempty"`
}

// DefaultPath is `default-path <type> [<path>]`.
type DefaultPath struct {
	Type string `json:"type"` // current, config, parent, origin
	Path string `json:"path,omitempty"`
}

// CPUMap is one `cpu-map <process> <cpu_set>` line.
type CPUMap struct {
	Process string `json:"process"`
	CPUSet  string `json:"cpu_set"`
}

// RuntimeAPI is one `stats socket <address> <params>` line.
type RuntimeAPI struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
	BindParams
}

// PerformanceOptions are the global limits and pollers.
type PerformanceOptions struct {
	Maxconn         *int64 `json:"maxconn,omitempty"`
	Maxconnrate     *int64 `json:"maxconnrate,omitempty"`
	Maxsessrate     *int64 `json:"maxsessrate,omitempty"`
	Maxcomprate     *int64 `json:"maxcomprate,omitempty"`
	Maxcompcpuusage *int64 `json:"maxcompcpuusage,omitempty"`
	Maxpipes        *int64 `json:"maxpipes,omitempty"`
	Maxzlibmem      *int64 `json:"maxzlibmem,omitempty"`
	SpreadChecks    *int64 `json:"spread_checks,omitempty"`
	MaxSpreadChecks *int64 `json:"max_spread_checks,omitempty"` // ms
	BusyPolling     bool   `json:"busy_polling,omitempty"`
	Noepoll         bool   `json:"noepoll,omitempty"`
	Nopoll          bool   `json:"nopoll,omitempty"`
	Nosplice        bool   `json:"nosplice,omitempty"`
	Nogetaddrinfo   bool   `json:"nogetaddrinfo,omitempty"`
	Noreuseport     bool   `json:"noreuseport,omitempty"`
	ServerStateFile string `json:"server_state_file,omitempty"`
	ServerStateBase string `json:"server_state_base,omitempty"`
}

// SSLOptions are the global TLS defaults.
type SSLOptions struct {
	DefaultBindCiphers        string `json:"default_bind_ciphers,omitempty"`
	DefaultBindCiphersuites   string `json:"default_bind_ciphersuites,omitempty"`
	DefaultBindOptions        string `json:"default_bind_options,omitempty"`
	DefaultServerCiphers      string `json:"default_server_ciphers,omitempty"`
	DefaultServerCiphersuites string `json:"default_server_ciphersuites,omitempty"`
	DefaultServerOptions      string `json:"default_server_options,omitempty"`
	CaBase                    string `json:"ca_base,omitempty"`
	CrtBase                   string `json:"crt_base,omitempty"`
	DhParamFile               string `json:"dh_param_file,omitempty"`
	ServerVerify              string `json:"server_verify,omitempty"` // none, required
	Maxsslconn                *int64 `json:"maxsslconn,omitempty"`
	Maxsslrate                *int64 `json:"maxsslrate,omitempty"`
}

// TuneBufferOptions are the tune.buffers/bufsize settings.
type TuneBufferOptions struct {
	Bufsize        *int64 `json:"bufsize,omitempty"` // bytes
	BuffersLimit   *int64 `json:"buffers_limit,omitempty"`
	BuffersReserve *int64 `json:"buffers_reserve,omitempty"`
	Pipesize       *int64 `json:"pipesize,omitempty"` // bytes
}

// TuneOptions are other tune.* settings.
type TuneOptions struct {
	Maxrewrite    *int64 `json:"maxrewrite,omitempty"`
	HTTPMaxhdr    *int64 `json:"http_maxhdr,omitempty"`
	Maxaccept     *int64 `json:"maxaccept,omitempty"`
	Maxpollevents *int64 `json:"maxpollevents,omitempty"`
}
