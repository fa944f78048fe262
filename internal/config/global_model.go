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

	DebugOptions           *DebugOptions           `json:"debug_options,omitempty"`
	DeviceAtlasOptions     *DeviceAtlasOptions     `json:"device_atlas_options,omitempty"`
	EnvironmentOptions     *EnvironmentOptions     `json:"environment_options,omitempty"`
	FiftyOneDegreesOptions *FiftyOneDegreesOptions `json:"fifty_one_degrees_options,omitempty"`
	Harden                 *Harden                 `json:"harden,omitempty"`
	HTTPClientOptions      *HTTPClientOptions      `json:"http_client_options,omitempty"`
	LuaOptions             *LuaOptions             `json:"lua_options,omitempty"`
	OCSPUpdateOptions      *OCSPUpdateOptions      `json:"ocsp_update_options,omitempty"`
	TuneLuaOptions         *TuneLuaOptions         `json:"tune_lua_options,omitempty"`
	TuneQuicOptions        *TuneQuicOptions        `json:"tune_quic_options,omitempty"`
	TuneSSLOptions         *TuneSSLOptions         `json:"tune_ssl_options,omitempty"`
	TuneVarsOptions        *TuneVarsOptions        `json:"tune_vars_options,omitempty"`
	TuneZlibOptions        *TuneZlibOptions        `json:"tune_zlib_options,omitempty"`
	WurflOptions           *WurflOptions           `json:"wurfl_options,omitempty"`

	*GlobalMore
	Meta // metadata: the trailing comment of the header line (metadata.go)
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
	FDHardLimit     *int64 `json:"fd_hard_limit,omitempty"`
	Noevports       bool   `json:"noevports,omitempty"`
	Nokqueue        bool   `json:"nokqueue,omitempty"`
	Noktls          bool   `json:"noktls,omitempty"`
	ProfilingMemory string `json:"profiling_memory,omitempty"`
	ProfilingTasks  string `json:"profiling_tasks,omitempty"`
	ThreadHardLimit *int64 `json:"thread_hard_limit,omitempty"`
}

// SSLOptions are the global TLS defaults.
type SSLOptions struct {
	DefaultBindCiphers         string      `json:"default_bind_ciphers,omitempty"`
	DefaultBindCiphersuites    string      `json:"default_bind_ciphersuites,omitempty"`
	DefaultBindOptions         string      `json:"default_bind_options,omitempty"`
	DefaultServerCiphers       string      `json:"default_server_ciphers,omitempty"`
	DefaultServerCiphersuites  string      `json:"default_server_ciphersuites,omitempty"`
	DefaultServerOptions       string      `json:"default_server_options,omitempty"`
	CaBase                     string      `json:"ca_base,omitempty"`
	CrtBase                    string      `json:"crt_base,omitempty"`
	DhParamFile                string      `json:"dh_param_file,omitempty"`
	ServerVerify               string      `json:"server_verify,omitempty"` // none, required
	Maxsslconn                 *int64      `json:"maxsslconn,omitempty"`
	Maxsslrate                 *int64      `json:"maxsslrate,omitempty"`
	AcmeScheduler              string      `json:"acme_scheduler,omitempty"`
	DefaultBindClientSigalgs   string      `json:"default_bind_client_sigalgs,omitempty"`
	DefaultBindCurves          string      `json:"default_bind_curves,omitempty"`
	DefaultBindSigalgs         string      `json:"default_bind_sigalgs,omitempty"`
	DefaultServerClientSigalgs string      `json:"default_server_client_sigalgs,omitempty"`
	DefaultServerCurves        string      `json:"default_server_curves,omitempty"`
	DefaultServerSigalgs       string      `json:"default_server_sigalgs,omitempty"`
	Engines                    []SSLEngine `json:"engines,omitempty"`
	IssuersChainPath           string      `json:"issuers_chain_path,omitempty"`
	LoadExtraFiles             string      `json:"load_extra_files,omitempty"`
	ModeAsync                  string      `json:"mode_async,omitempty"`
	PassphraseCmd              string      `json:"passphrase_cmd,omitempty"`
	Propquery                  string      `json:"propquery,omitempty"`
	Provider                   string      `json:"provider,omitempty"`
	ProviderPath               string      `json:"provider_path,omitempty"`
	SecurityLevel              *int64      `json:"security_level,omitempty"`
	SkipSelfIssuedCA           bool        `json:"skip_self_issued_ca,omitempty"`
}

// TuneBufferOptions are the tune.buffers/bufsize settings.
type TuneBufferOptions struct {
	Bufsize        *int64 `json:"bufsize,omitempty"` // bytes
	BuffersLimit   *int64 `json:"buffers_limit,omitempty"`
	BuffersReserve *int64 `json:"buffers_reserve,omitempty"`
	Pipesize       *int64 `json:"pipesize,omitempty"` // bytes
	BufsizeLarge   *int64 `json:"bufsize_large,omitempty"`
	BufsizeSmall   *int64 `json:"bufsize_small,omitempty"`
	RcvbufBackend  *int64 `json:"rcvbuf_backend,omitempty"`
	SndbufBackend  *int64 `json:"sndbuf_backend,omitempty"`
	RcvbufClient   *int64 `json:"rcvbuf_client,omitempty"`
	SndbufClient   *int64 `json:"sndbuf_client,omitempty"`
	RcvbufFrontend *int64 `json:"rcvbuf_frontend,omitempty"`
	SndbufFrontend *int64 `json:"sndbuf_frontend,omitempty"`
	RcvbufServer   *int64 `json:"rcvbuf_server,omitempty"`
	SndbufServer   *int64 `json:"sndbuf_server,omitempty"`
	RecvEnough     *int64 `json:"recv_enough,omitempty"`
}

// TuneOptions are other tune.* settings.
type TuneOptions struct {
	Maxrewrite                 *int64   `json:"maxrewrite,omitempty"`
	HTTPMaxhdr                 *int64   `json:"http_maxhdr,omitempty"`
	Maxaccept                  *int64   `json:"maxaccept,omitempty"`
	Maxpollevents              *int64   `json:"maxpollevents,omitempty"`
	AppletZeroCopyForwarding   string   `json:"applet_zero_copy_forwarding,omitempty"`
	CliMaxPayloadSize          *int64   `json:"cli_max_payload_size,omitempty"`
	CompMaxlevel               *int64   `json:"comp_maxlevel,omitempty"`
	DefaultsPurge              bool     `json:"defaults_purge,omitempty"`
	DisableFastForward         bool     `json:"disable_fast_forward,omitempty"`
	DisableZeroCopyForwarding  bool     `json:"disable_zero_copy_forwarding,omitempty"`
	EpollMaskEvents            []string `json:"epoll_mask_events,omitempty"`
	EventsMaxEventsAtOnce      *int64   `json:"events_max_events_at_once,omitempty"`
	FailAlloc                  bool     `json:"fail_alloc,omitempty"`
	FDEdgeTriggered            string   `json:"fd_edge_triggered,omitempty"`
	GlitchesKillCPUUsage       *int64   `json:"glitches_kill_cpu_usage,omitempty"`
	H1BeGlitchesThreshold      *int64   `json:"h1_be_glitches_threshold,omitempty"`
	H1FeGlitchesThreshold      *int64   `json:"h1_fe_glitches_threshold,omitempty"`
	H1ZeroCopyFwdRecv          string   `json:"h1_zero_copy_fwd_recv,omitempty"`
	H1ZeroCopyFwdSend          string   `json:"h1_zero_copy_fwd_send,omitempty"`
	H2BeGlitchesThreshold      *int64   `json:"h2_be_glitches_threshold,omitempty"`
	H2BeInitialWindowSize      *int64   `json:"h2_be_initial_window_size,omitempty"`
	H2BeMaxConcurrentStreams   *int64   `json:"h2_be_max_concurrent_streams,omitempty"`
	H2BeMaxFramesAtOnce        *int64   `json:"h2_be_max_frames_at_once,omitempty"`
	H2BeRxbuf                  *int64   `json:"h2_be_rxbuf,omitempty"`
	H2FeGlitchesThreshold      *int64   `json:"h2_fe_glitches_threshold,omitempty"`
	H2FeInitialWindowSize      *int64   `json:"h2_fe_initial_window_size,omitempty"`
	H2FeMaxConcurrentStreams   *int64   `json:"h2_fe_max_concurrent_streams,omitempty"`
	H2FeMaxFramesAtOnce        *int64   `json:"h2_fe_max_frames_at_once,omitempty"`
	H2FeMaxRstAtOnce           *int64   `json:"h2_fe_max_rst_at_once,omitempty"`
	H2FeMaxTotalStreams        *int64   `json:"h2_fe_max_total_streams,omitempty"`
	H2FeRxbuf                  *int64   `json:"h2_fe_rxbuf,omitempty"`
	H2HeaderTableSize          *int64   `json:"h2_header_table_size,omitempty"`
	H2InitialWindowSize        *int64   `json:"h2_initial_window_size,omitempty"`
	H2LogErrors                string   `json:"h2_log_errors,omitempty"`
	H2MaxConcurrentStreams     *int64   `json:"h2_max_concurrent_streams,omitempty"`
	H2MaxFrameSize             *int64   `json:"h2_max_frame_size,omitempty"`
	H2ZeroCopyFwdSend          string   `json:"h2_zero_copy_fwd_send,omitempty"`
	HTTPCookielen              *int64   `json:"http_cookielen,omitempty"`
	HTTPLogurilen              *int64   `json:"http_logurilen,omitempty"`
	IdlePoolShared             string   `json:"idle_pool_shared,omitempty"`
	Idletimer                  *int64   `json:"idletimer,omitempty"`
	ListenerDefaultShards      string   `json:"listener_default_shards,omitempty"`
	ListenerMultiQueue         string   `json:"listener_multi_queue,omitempty"`
	MaxChecksPerThread         *int64   `json:"max_checks_per_thread,omitempty"`
	MaxRulesAtOnce             *int64   `json:"max_rules_at_once,omitempty"`
	MemoryHotSize              *int64   `json:"memory_hot_size,omitempty"`
	NotsentLowatClient         *int64   `json:"notsent_lowat_client,omitempty"`
	NotsentLowatServer         *int64   `json:"notsent_lowat_server,omitempty"`
	PatternCacheSize           *int64   `json:"pattern_cache_size,omitempty"`
	PeersMaxUpdatesAtOnce      *int64   `json:"peers_max_updates_at_once,omitempty"`
	PoolHighFDRatio            *int64   `json:"pool_high_fd_ratio,omitempty"`
	PoolLowFDRatio             *int64   `json:"pool_low_fd_ratio,omitempty"`
	PtZeroCopyForwarding       string   `json:"pt_zero_copy_forwarding,omitempty"`
	ReniceRuntime              *int64   `json:"renice_runtime,omitempty"`
	ReniceStartup              *int64   `json:"renice_startup,omitempty"`
	RingQueues                 *int64   `json:"ring_queues,omitempty"`
	RunqueueDepth              *int64   `json:"runqueue_depth,omitempty"`
	SchedLowLatency            string   `json:"sched_low_latency,omitempty"`
	StickCounters              *int64   `json:"stick_counters,omitempty"`
	TakeoverOtherTGConnections string   `json:"takeover_other_tg_connections,omitempty"`
}
