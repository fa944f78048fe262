package config

import (
	"fmt"
	"reflect"
	"strings"
)

// The typed view of the `global` section. Like the proxy sections it is a
// table of fields; the nested objects of the Data Plane API
// (performance_options, ssl_options, ...) are lifted through pointers, and
// the `stats socket` lines (runtime_apis) have their own writer, which keeps
// the params the model does not know on the line they were on.

const maxInt31 = 1 << 31

var globalTopFields = fieldSet[Global]{
	flagField("daemon", []string{"daemon"}, func(m *Global) *bool { return &m.Daemon }),
	flagField("master-worker", []string{"master-worker"}, func(m *Global) *bool { return &m.MasterWorker }),
	intField("mworker_max_reloads", []string{"mworker-max-reloads"}, 0, maxInt31, func(m *Global) **int64 { return &m.MworkerMaxReloads }),
	intField("nbthread", []string{"nbthread"}, 1, 4096, func(m *Global) **int64 { return &m.Nbthread }),
	intField("thread_groups", []string{"thread-groups"}, 1, 64, func(m *Global) **int64 { return &m.ThreadGroups }),
	wordField("pidfile", []string{"pidfile"}, nil, func(m *Global) *string { return &m.Pidfile }),
	wordField("user", []string{"user"}, nil, func(m *Global) *string { return &m.User }),
	wordField("group", []string{"group"}, nil, func(m *Global) *string { return &m.Group }),
	intField("uid", []string{"uid"}, 0, 1<<32-1, func(m *Global) **int64 { return &m.UID }),
	intField("gid", []string{"gid"}, 0, 1<<32-1, func(m *Global) **int64 { return &m.GID }),
	wordField("chroot", []string{"chroot"}, nil, func(m *Global) *string { return &m.Chroot }),
	textField("description", []string{"description"}, func(m *Global) *string { return &m.Description }),
	wordField("node", []string{"node"}, nil, func(m *Global) *string { return &m.Node }),
	wordField("localpeer", []string{"localpeer"}, nil, func(m *Global) *string { return &m.Localpeer }),
	durationField("stats_timeout", []string{"stats", "timeout"}, "ms", func(m *Global) **int64 { return &m.StatsTimeout }),
	intField("stats_maxconn", []string{"stats", "maxconn"}, 0, maxInt31, func(m *Global) **int64 { return &m.StatsMaxconn }),
	durationField("hard_stop_after", []string{"hard-stop-after"}, "ms", func(m *Global) **int64 { return &m.HardStopAfter }),
	durationField("grace", []string{"grace"}, "ms", func(m *Global) **int64 { return &m.Grace }),
	durationField("close_spread_time", []string{"close-spread-time"}, "ms", func(m *Global) **int64 { return &m.CloseSpreadTime }),
	intField("ulimit_n", []string{"ulimit-n"}, 0, maxInt31, func(m *Global) **int64 { return &m.UlimitN }),
	flagField("external_check", []string{"external-check"}, func(m *Global) *bool { return &m.ExternalCheck }),
	logSendHostnameField(),
	defaultPathField(),
	cpuMapsField(),
}

var performanceFields = fieldSet[PerformanceOptions]{
	intField("performance_options.maxconn", []string{"maxconn"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxconn }),
	intField("performance_options.maxconnrate", []string{"maxconnrate"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxconnrate }),
	intField("performance_options.maxsessrate", []string{"maxsessrate"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxsessrate }),
	intField("performance_options.maxcomprate", []string{"maxcomprate"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxcomprate }),
	intField("performance_options.maxcompcpuusage", []string{"maxcompcpuusage"}, 0, 100, func(m *PerformanceOptions) **int64 { return &m.Maxcompcpuusage }),
	intField("performance_options.maxpipes", []string{"maxpipes"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxpipes }),
	intField("performance_options.maxzlibmem", []string{"maxzlibmem"}, 0, maxInt31, func(m *PerformanceOptions) **int64 { return &m.Maxzlibmem }),
	intField("performance_options.spread_checks", []string{"spread-checks"}, 0, 50, func(m *PerformanceOptions) **int64 { return &m.SpreadChecks }),
	durationField("performance_options.max_spread_checks", []string{"max-spread-checks"}, "ms", func(m *PerformanceOptions) **int64 { return &m.MaxSpreadChecks }),
	flagField("performance_options.busy_polling", []string{"busy-polling"}, func(m *PerformanceOptions) *bool { return &m.BusyPolling }),
	flagField("performance_options.noepoll", []string{"noepoll"}, func(m *PerformanceOptions) *bool { return &m.Noepoll }),
	flagField("performance_options.nopoll", []string{"nopoll"}, func(m *PerformanceOptions) *bool { return &m.Nopoll }),
	flagField("performance_options.nosplice", []string{"nosplice"}, func(m *PerformanceOptions) *bool { return &m.Nosplice }),
	flagField("performance_options.nogetaddrinfo", []string{"nogetaddrinfo"}, func(m *PerformanceOptions) *bool { return &m.Nogetaddrinfo }),
	flagField("performance_options.noreuseport", []string{"noreuseport"}, func(m *PerformanceOptions) *bool { return &m.Noreuseport }),
	wordField("performance_options.server_state_file", []string{"server-state-file"}, nil, func(m *PerformanceOptions) *string { return &m.ServerStateFile }),
	wordField("performance_options.server_state_base", []string{"server-state-base"}, nil, func(m *PerformanceOptions) *string { return &m.ServerStateBase }),
	intField("performance_options.fd_hard_limit", []string{"fd-hard-limit"}, 0, 2147483648, func(m *PerformanceOptions) **int64 { return &m.FDHardLimit }),
	flagField("performance_options.noevports", []string{"noevports"}, func(m *PerformanceOptions) *bool { return &m.Noevports }),
	flagField("performance_options.nokqueue", []string{"nokqueue"}, func(m *PerformanceOptions) *bool { return &m.Nokqueue }),
	flagField("performance_options.noktls", []string{"noktls"}, func(m *PerformanceOptions) *bool { return &m.Noktls }),
	onOffField("performance_options.profiling_memory", []string{"profiling.memory"}, func(m *PerformanceOptions) *string { return &m.ProfilingMemory }),
	mappedWordField("performance_options.profiling_tasks", []string{"profiling.tasks"}, [][2]string{{"auto", "auto"}, {"enabled", "on"}, {"disabled", "off"}}, func(m *PerformanceOptions) *string { return &m.ProfilingTasks }),
	intField("performance_options.thread_hard_limit", []string{"thread-hard-limit"}, 0, 2147483648, func(m *PerformanceOptions) **int64 { return &m.ThreadHardLimit }),
}

var sslFields = fieldSet[SSLOptions]{
	wordField("ssl_options.default_bind_ciphers", []string{"ssl-default-bind-ciphers"}, nil, func(m *SSLOptions) *string { return &m.DefaultBindCiphers }),
	wordField("ssl_options.default_bind_ciphersuites", []string{"ssl-default-bind-ciphersuites"}, nil, func(m *SSLOptions) *string { return &m.DefaultBindCiphersuites }),
	textField("ssl_options.default_bind_options", []string{"ssl-default-bind-options"}, func(m *SSLOptions) *string { return &m.DefaultBindOptions }),
	wordField("ssl_options.default_server_ciphers", []string{"ssl-default-server-ciphers"}, nil, func(m *SSLOptions) *string { return &m.DefaultServerCiphers }),
	wordField("ssl_options.default_server_ciphersuites", []string{"ssl-default-server-ciphersuites"}, nil, func(m *SSLOptions) *string { return &m.DefaultServerCiphersuites }),
	textField("ssl_options.default_server_options", []string{"ssl-default-server-options"}, func(m *SSLOptions) *string { return &m.DefaultServerOptions }),
	wordField("ssl_options.ca_base", []string{"ca-base"}, nil, func(m *SSLOptions) *string { return &m.CaBase }),
	wordField("ssl_options.crt_base", []string{"crt-base"}, nil, func(m *SSLOptions) *string { return &m.CrtBase }),
	wordField("ssl_options.dh_param_file", []string{"ssl-dh-param-file"}, nil, func(m *SSLOptions) *string { return &m.DhParamFile }),
	wordField("ssl_options.server_verify", []string{"ssl-server-verify"}, []string{"none", "required"}, func(m *SSLOptions) *string { return &m.ServerVerify }),
	intField("ssl_options.maxsslconn", []string{"maxsslconn"}, 0, maxInt31, func(m *SSLOptions) **int64 { return &m.Maxsslconn }),
	intField("ssl_options.maxsslrate", []string{"maxsslrate"}, 0, maxInt31, func(m *SSLOptions) **int64 { return &m.Maxsslrate }),
	wordField("ssl_options.acme_scheduler", []string{"acme.scheduler"}, []string{"auto", "off"}, func(m *SSLOptions) *string { return &m.AcmeScheduler }),
	wordField("ssl_options.default_bind_client_sigalgs", []string{"ssl-default-bind-client-sigalgs"}, nil, func(m *SSLOptions) *string { return &m.DefaultBindClientSigalgs }),
	wordField("ssl_options.default_bind_curves", []string{"ssl-default-bind-curves"}, nil, func(m *SSLOptions) *string { return &m.DefaultBindCurves }),
	wordField("ssl_options.default_bind_sigalgs", []string{"ssl-default-bind-sigalgs"}, nil, func(m *SSLOptions) *string { return &m.DefaultBindSigalgs }),
	wordField("ssl_options.default_server_client_sigalgs", []string{"ssl-default-server-client-sigalgs"}, nil, func(m *SSLOptions) *string { return &m.DefaultServerClientSigalgs }),
	wordField("ssl_options.default_server_curves", []string{"ssl-default-server-curves"}, nil, func(m *SSLOptions) *string { return &m.DefaultServerCurves }),
	wordField("ssl_options.default_server_sigalgs", []string{"ssl-default-server-sigalgs"}, nil, func(m *SSLOptions) *string { return &m.DefaultServerSigalgs }),
	linesField("ssl_options.engines", []string{"ssl-engine"}, func(m *SSLOptions) *[]SSLEngine { return &m.Engines }, parseSSLEngine, renderSSLEngine, checkSSLEngine),
	wordField("ssl_options.issuers_chain_path", []string{"issuers-chain-path"}, nil, func(m *SSLOptions) *string { return &m.IssuersChainPath }),
	textField("ssl_options.load_extra_files", []string{"ssl-load-extra-files"}, func(m *SSLOptions) *string { return &m.LoadExtraFiles }),
	flagEnumField("ssl_options.mode_async", []string{"ssl-mode-async"}, func(m *SSLOptions) *string { return &m.ModeAsync }),
	textField("ssl_options.passphrase_cmd", []string{"ssl-passphrase-cmd"}, func(m *SSLOptions) *string { return &m.PassphraseCmd }),
	wordField("ssl_options.propquery", []string{"ssl-propquery"}, nil, func(m *SSLOptions) *string { return &m.Propquery }),
	wordField("ssl_options.provider", []string{"ssl-provider"}, nil, func(m *SSLOptions) *string { return &m.Provider }),
	wordField("ssl_options.provider_path", []string{"ssl-provider-path"}, nil, func(m *SSLOptions) *string { return &m.ProviderPath }),
	intField("ssl_options.security_level", []string{"ssl-security-level"}, 0, 5, func(m *SSLOptions) **int64 { return &m.SecurityLevel }),
	flagField("ssl_options.skip_self_issued_ca", []string{"ssl-skip-self-issued-ca"}, func(m *SSLOptions) *bool { return &m.SkipSelfIssuedCA }),
}

var tuneBufferFields = fieldSet[TuneBufferOptions]{
	sizeField("tune_buffer_options.bufsize", []string{"tune.bufsize"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.Bufsize }),
	intField("tune_buffer_options.buffers_limit", []string{"tune.buffers.limit"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.BuffersLimit }),
	intField("tune_buffer_options.buffers_reserve", []string{"tune.buffers.reserve"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.BuffersReserve }),
	sizeField("tune_buffer_options.pipesize", []string{"tune.pipesize"}, 0, maxInt31, func(m *TuneBufferOptions) **int64 { return &m.Pipesize }),
	sizeField("tune_buffer_options.bufsize_large", []string{"tune.bufsize.large"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.BufsizeLarge }),
	sizeField("tune_buffer_options.bufsize_small", []string{"tune.bufsize.small"}, 1, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.BufsizeSmall }),
	sizeField("tune_buffer_options.rcvbuf_backend", []string{"tune.rcvbuf.backend"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.RcvbufBackend }),
	sizeField("tune_buffer_options.sndbuf_backend", []string{"tune.sndbuf.backend"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.SndbufBackend }),
	sizeField("tune_buffer_options.rcvbuf_client", []string{"tune.rcvbuf.client"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.RcvbufClient }),
	sizeField("tune_buffer_options.sndbuf_client", []string{"tune.sndbuf.client"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.SndbufClient }),
	sizeField("tune_buffer_options.rcvbuf_frontend", []string{"tune.rcvbuf.frontend"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.RcvbufFrontend }),
	sizeField("tune_buffer_options.sndbuf_frontend", []string{"tune.sndbuf.frontend"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.SndbufFrontend }),
	sizeField("tune_buffer_options.rcvbuf_server", []string{"tune.rcvbuf.server"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.RcvbufServer }),
	sizeField("tune_buffer_options.sndbuf_server", []string{"tune.sndbuf.server"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.SndbufServer }),
	sizeField("tune_buffer_options.recv_enough", []string{"tune.recv_enough"}, 0, 2147483648, func(m *TuneBufferOptions) **int64 { return &m.RecvEnough }),
}

var tuneFields = fieldSet[TuneOptions]{
	intField("tune_options.maxrewrite", []string{"tune.maxrewrite"}, 0, maxInt31, func(m *TuneOptions) **int64 { return &m.Maxrewrite }),
	intField("tune_options.http_maxhdr", []string{"tune.http.maxhdr"}, 1, 32767, func(m *TuneOptions) **int64 { return &m.HTTPMaxhdr }),
	intField("tune_options.maxaccept", []string{"tune.maxaccept"}, -1, maxInt31, func(m *TuneOptions) **int64 { return &m.Maxaccept }),
	intField("tune_options.maxpollevents", []string{"tune.maxpollevents"}, 0, maxInt31, func(m *TuneOptions) **int64 { return &m.Maxpollevents }),
	onOffField("tune_options.applet_zero_copy_forwarding", []string{"tune.applet.zero-copy-forwarding"}, func(m *TuneOptions) *string { return &m.AppletZeroCopyForwarding }),
	sizeField("tune_options.cli_max_payload_size", []string{"tune.cli.max-payload-size"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.CliMaxPayloadSize }),
	intField("tune_options.comp_maxlevel", []string{"tune.comp.maxlevel"}, 1, 9, func(m *TuneOptions) **int64 { return &m.CompMaxlevel }),
	flagField("tune_options.defaults_purge", []string{"tune.defaults.purge"}, func(m *TuneOptions) *bool { return &m.DefaultsPurge }),
	flagField("tune_options.disable_fast_forward", []string{"tune.disable-fast-forward"}, func(m *TuneOptions) *bool { return &m.DisableFastForward }),
	flagField("tune_options.disable_zero_copy_forwarding", []string{"tune.disable-zero-copy-forwarding"}, func(m *TuneOptions) *bool { return &m.DisableZeroCopyForwarding }),
	commaListField("tune_options.epoll_mask_events", []string{"tune.epoll.mask-events"}, []string{"err", "hup", "rdhup"}, func(m *TuneOptions) *[]string { return &m.EpollMaskEvents }),
	intField("tune_options.events_max_events_at_once", []string{"tune.events.max-events-at-once"}, 1, 10000, func(m *TuneOptions) **int64 { return &m.EventsMaxEventsAtOnce }),
	flagField("tune_options.fail_alloc", []string{"tune.fail-alloc"}, func(m *TuneOptions) *bool { return &m.FailAlloc }),
	onOffField("tune_options.fd_edge_triggered", []string{"tune.fd.edge-triggered"}, func(m *TuneOptions) *string { return &m.FDEdgeTriggered }),
	intField("tune_options.glitches_kill_cpu_usage", []string{"tune.glitches.kill.cpu-usage"}, 0, 100, func(m *TuneOptions) **int64 { return &m.GlitchesKillCPUUsage }),
	intField("tune_options.h1_be_glitches_threshold", []string{"tune.h1.be.glitches-threshold"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H1BeGlitchesThreshold }),
	intField("tune_options.h1_fe_glitches_threshold", []string{"tune.h1.fe.glitches-threshold"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H1FeGlitchesThreshold }),
	onOffField("tune_options.h1_zero_copy_fwd_recv", []string{"tune.h1.zero-copy-fwd-recv"}, func(m *TuneOptions) *string { return &m.H1ZeroCopyFwdRecv }),
	onOffField("tune_options.h1_zero_copy_fwd_send", []string{"tune.h1.zero-copy-fwd-send"}, func(m *TuneOptions) *string { return &m.H1ZeroCopyFwdSend }),
	intField("tune_options.h2_be_glitches_threshold", []string{"tune.h2.be.glitches-threshold"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2BeGlitchesThreshold }),
	intField("tune_options.h2_be_initial_window_size", []string{"tune.h2.be.initial-window-size"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2BeInitialWindowSize }),
	intField("tune_options.h2_be_max_concurrent_streams", []string{"tune.h2.be.max-concurrent-streams"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2BeMaxConcurrentStreams }),
	intField("tune_options.h2_be_max_frames_at_once", []string{"tune.h2.be.max-frames-at-once"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2BeMaxFramesAtOnce }),
	sizeField("tune_options.h2_be_rxbuf", []string{"tune.h2.be.rxbuf"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2BeRxbuf }),
	intField("tune_options.h2_fe_glitches_threshold", []string{"tune.h2.fe.glitches-threshold"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2FeGlitchesThreshold }),
	intField("tune_options.h2_fe_initial_window_size", []string{"tune.h2.fe.initial-window-size"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2FeInitialWindowSize }),
	intField("tune_options.h2_fe_max_concurrent_streams", []string{"tune.h2.fe.max-concurrent-streams"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2FeMaxConcurrentStreams }),
	intField("tune_options.h2_fe_max_frames_at_once", []string{"tune.h2.fe.max-frames-at-once"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2FeMaxFramesAtOnce }),
	intField("tune_options.h2_fe_max_rst_at_once", []string{"tune.h2.fe.max-rst-at-once"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2FeMaxRstAtOnce }),
	intField("tune_options.h2_fe_max_total_streams", []string{"tune.h2.fe.max-total-streams"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2FeMaxTotalStreams }),
	sizeField("tune_options.h2_fe_rxbuf", []string{"tune.h2.fe.rxbuf"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2FeRxbuf }),
	intField("tune_options.h2_header_table_size", []string{"tune.h2.header-table-size"}, 0, 65535, func(m *TuneOptions) **int64 { return &m.H2HeaderTableSize }),
	intField("tune_options.h2_initial_window_size", []string{"tune.h2.initial-window-size"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2InitialWindowSize }),
	wordField("tune_options.h2_log_errors", []string{"tune.h2.log-errors"}, []string{"none", "connection", "stream"}, func(m *TuneOptions) *string { return &m.H2LogErrors }),
	intField("tune_options.h2_max_concurrent_streams", []string{"tune.h2.max-concurrent-streams"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2MaxConcurrentStreams }),
	intField("tune_options.h2_max_frame_size", []string{"tune.h2.max-frame-size"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.H2MaxFrameSize }),
	onOffField("tune_options.h2_zero_copy_fwd_send", []string{"tune.h2.zero-copy-fwd-send"}, func(m *TuneOptions) *string { return &m.H2ZeroCopyFwdSend }),
	intField("tune_options.http_cookielen", []string{"tune.http.cookielen"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.HTTPCookielen }),
	intField("tune_options.http_logurilen", []string{"tune.http.logurilen"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.HTTPLogurilen }),
	onOffField("tune_options.idle_pool_shared", []string{"tune.idle-pool.shared"}, func(m *TuneOptions) *string { return &m.IdlePoolShared }),
	intField("tune_options.idletimer", []string{"tune.idletimer"}, 0, 65535, func(m *TuneOptions) **int64 { return &m.Idletimer }),
	wordField("tune_options.listener_default_shards", []string{"tune.listener.default-shards"}, []string{"by-process", "by-thread", "by-group"}, func(m *TuneOptions) *string { return &m.ListenerDefaultShards }),
	onOffField("tune_options.listener_multi_queue", []string{"tune.listener.multi-queue"}, func(m *TuneOptions) *string { return &m.ListenerMultiQueue }),
	intField("tune_options.max_checks_per_thread", []string{"tune.max-checks-per-thread"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.MaxChecksPerThread }),
	intField("tune_options.max_rules_at_once", []string{"tune.max-rules-at-once"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.MaxRulesAtOnce }),
	sizeField("tune_options.memory_hot_size", []string{"tune.memory.hot-size"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.MemoryHotSize }),
	sizeField("tune_options.notsent_lowat_client", []string{"tune.notsent-lowat.client"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.NotsentLowatClient }),
	sizeField("tune_options.notsent_lowat_server", []string{"tune.notsent-lowat.server"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.NotsentLowatServer }),
	intField("tune_options.pattern_cache_size", []string{"tune.pattern.cache-size"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.PatternCacheSize }),
	intField("tune_options.peers_max_updates_at_once", []string{"tune.peers.max-updates-at-once"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.PeersMaxUpdatesAtOnce }),
	intField("tune_options.pool_high_fd_ratio", []string{"tune.pool-high-fd-ratio"}, 0, 10000, func(m *TuneOptions) **int64 { return &m.PoolHighFDRatio }),
	intField("tune_options.pool_low_fd_ratio", []string{"tune.pool-low-fd-ratio"}, 0, 10000, func(m *TuneOptions) **int64 { return &m.PoolLowFDRatio }),
	onOffField("tune_options.pt_zero_copy_forwarding", []string{"tune.pt.zero-copy-forwarding"}, func(m *TuneOptions) *string { return &m.PtZeroCopyForwarding }),
	intField("tune_options.renice_runtime", []string{"tune.renice.runtime"}, -20, 19, func(m *TuneOptions) **int64 { return &m.ReniceRuntime }),
	intField("tune_options.renice_startup", []string{"tune.renice.startup"}, -20, 19, func(m *TuneOptions) **int64 { return &m.ReniceStartup }),
	intField("tune_options.ring_queues", []string{"tune.ring.queues"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.RingQueues }),
	intField("tune_options.runqueue_depth", []string{"tune.runqueue-depth"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.RunqueueDepth }),
	onOffField("tune_options.sched_low_latency", []string{"tune.sched.low-latency"}, func(m *TuneOptions) *string { return &m.SchedLowLatency }),
	intField("tune_options.stick_counters", []string{"tune.stick-counters"}, 0, 2147483648, func(m *TuneOptions) **int64 { return &m.StickCounters }),
	wordField("tune_options.takeover_other_tg_connections", []string{"tune.takeover-other-tg-connections"}, []string{"none", "restricted", "full"}, func(m *TuneOptions) *string { return &m.TakeoverOtherTGConnections }),
}

var globalNestedFields = concat(
	liftPtr(performanceFields, func(m *Global) **PerformanceOptions { return &m.PerformanceOptions }),
	liftPtr(sslFields, func(m *Global) **SSLOptions { return &m.SSLOptions }),
	liftPtr(tuneBufferFields, func(m *Global) **TuneBufferOptions { return &m.TuneBufferOptions }),
	liftPtr(tuneFields, func(m *Global) **TuneOptions { return &m.TuneOptions }),
	liftPtr(debugOptionsFields, func(m *Global) **DebugOptions { return &m.DebugOptions }),
	liftPtr(deviceAtlasOptionsFields, func(m *Global) **DeviceAtlasOptions { return &m.DeviceAtlasOptions }),
	liftPtr(environmentOptionsFields, func(m *Global) **EnvironmentOptions { return &m.EnvironmentOptions }),
	liftPtr(fiftyOneDegreesOptionsFields, func(m *Global) **FiftyOneDegreesOptions { return &m.FiftyOneDegreesOptions }),
	liftPtr(hardenFields, func(m *Global) **Harden { return &m.Harden }),
	liftPtr(httpClientOptionsFields, func(m *Global) **HTTPClientOptions { return &m.HTTPClientOptions }),
	liftPtr(luaOptionsFields, func(m *Global) **LuaOptions { return &m.LuaOptions }),
	liftPtr(ocspUpdateOptionsFields, func(m *Global) **OCSPUpdateOptions { return &m.OCSPUpdateOptions }),
	liftPtr(tuneLuaOptionsFields, func(m *Global) **TuneLuaOptions { return &m.TuneLuaOptions }),
	liftPtr(tuneQuicOptionsFields, func(m *Global) **TuneQuicOptions { return &m.TuneQuicOptions }),
	liftPtr(tuneSSLOptionsFields, func(m *Global) **TuneSSLOptions { return &m.TuneSSLOptions }),
	liftPtr(tuneVarsOptionsFields, func(m *Global) **TuneVarsOptions { return &m.TuneVarsOptions }),
	liftPtr(tuneZlibOptionsFields, func(m *Global) **TuneZlibOptions { return &m.TuneZlibOptions }),
	liftPtr(wurflOptionsFields, func(m *Global) **WurflOptions { return &m.WurflOptions }),
)

// globalFields writes expose-experimental-directives first: HAProxy only
// takes an experimental keyword (tune.fd.edge-triggered, ...) below it, and
// a new line goes at the end of the section in field order.
var globalFields = func() fieldSet[Global] {
	more := liftMore(globalMoreFields, func(m *Global) **GlobalMore { return &m.GlobalMore })
	var first, rest fieldSet[Global]
	for _, f := range more {
		if f.name == "expose_experimental_directives" {
			first = append(first, f)
		} else {
			rest = append(rest, f)
		}
	}
	return withMasks(concat(first, globalTopFields, globalNestedFields, rest))
}()

// liftPtr turns the fields of a nested object held through a pointer into
// fields of the outer model. On read the object is allocated as soon as one
// of its lines is in the section (so it stays nil when none is); on write
// and check a nil object means every one of its fields is absent.
func liftPtr[Outer, Inner any](fs fieldSet[Inner], get func(*Outer) **Inner) fieldSet[Outer] {
	inner := func(m *Outer) *Inner {
		if p := *get(m); p != nil {
			return p
		}
		return new(Inner)
	}
	out := make(fieldSet[Outer], len(fs))
	for i, f := range fs {
		out[i] = sectionField[Outer]{
			name:     f.name,
			matchers: f.matchers,
			read: func(s *Section, m *Outer) {
				if _, ok := lastMatch(s, f.matchers...); !ok {
					return
				}
				p := get(m)
				if *p == nil {
					*p = new(Inner)
				}
				f.read(s, *p)
			},
			check: func(m *Outer) error {
				if f.check == nil || *get(m) == nil {
					return nil
				}
				return f.check(*get(m))
			},
			words: func(m *Outer) [][]string { return f.words(inner(m)) },
			same:  func(s *Section, m *Outer) bool { return f.same(s, inner(m)) },
		}
		if f.refuse != nil {
			out[i].refuse = func(s *Section, m *Outer) error { return f.refuse(s, inner(m)) }
		}
		if f.write != nil {
			out[i].write = func(e *lineEdit, m *Outer) { f.write(e, inner(m)) }
		}
	}
	return out
}

// sizeField: `<keyword...> <size>`, in bytes; k/m/g suffixes are read,
// plain numbers written.
func sizeField[T any](json string, kw []string, lo, hi int64, get func(*T) **int64) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok {
			if n, ok := parseSize(l.Arg(len(kw))); ok {
				*get(m) = &n
			}
		}
	}
	f := intField(json, kw, lo, hi, get)
	f.read = read
	f.same = samePtr(read, get)
	return f
}

// sameRendered builds a `same` function for fields whose lines are written
// canonically from what is read: the section holds m's value when the
// lines read from it render as m's lines do.
func sameRendered[T any](read func(s *Section, m *T), words func(m *T) [][]string) func(s *Section, m *T) bool {
	return func(s *Section, m *T) bool {
		var cur T
		read(s, &cur)
		return reflect.DeepEqual(words(&cur), words(m))
	}
}

// logSendHostnameField: `log-send-hostname [<name>]`. A line reads as
// enabled; "disabled" is written as no line.
func logSendHostnameField() sectionField[Global] {
	kw := []string{"log-send-hostname"}
	read := func(s *Section, m *Global) {
		if l, ok := lastMatch(s, kw); ok {
			m.LogSendHostname = &LogSendHostname{Enabled: "enabled", Param: l.Arg(1)}
		}
	}
	words := func(m *Global) [][]string {
		h := m.LogSendHostname
		if h == nil || h.Enabled != "enabled" {
			return nil
		}
		w := cloneWords(kw)
		if h.Param != "" {
			w = append(w, h.Param)
		}
		return [][]string{w}
	}
	return sectionField[Global]{
		name: "log_send_hostname", matchers: [][]string{kw}, read: read, words: words,
		check: func(m *Global) error {
			h := m.LogSendHostname
			if h == nil {
				return nil
			}
			if err := checkEnum("log_send_hostname.enabled", h.Enabled, "enabled", "disabled"); err != nil {
				return err
			}
			if h.Param != "" {
				return checkWord("log_send_hostname.param", h.Param)
			}
			return nil
		},
		same: sameRendered(read, words),
	}
}

// defaultPathField: `default-path <type> [<path>]`, the path only (and
// always) with type origin.
func defaultPathField() sectionField[Global] {
	kw := []string{"default-path"}
	read := func(s *Section, m *Global) {
		if l, ok := lastMatch(s, kw); ok && len(l.Words) >= 2 {
			m.DefaultPath = &DefaultPath{Type: l.Words[1], Path: l.Arg(2)}
		}
	}
	words := func(m *Global) [][]string {
		p := m.DefaultPath
		if p == nil {
			return nil
		}
		w := []string{"default-path", p.Type}
		if p.Path != "" {
			w = append(w, p.Path)
		}
		return [][]string{w}
	}
	return sectionField[Global]{
		name: "default_path", matchers: [][]string{kw}, read: read, words: words,
		check: func(m *Global) error {
			p := m.DefaultPath
			if p == nil {
				return nil
			}
			if err := checkEnum("default_path.type", p.Type, "current", "config", "parent", "origin"); err != nil {
				return err
			}
			switch {
			case p.Type == "origin" && p.Path == "":
				return invalid("default_path.path", "is required with type origin")
			case p.Type != "origin" && p.Path != "":
				return invalid("default_path.path", "is only allowed with type origin")
			case p.Path != "":
				return checkWord("default_path.path", p.Path)
			}
			return nil
		},
		same: sameRendered(read, words),
	}
}

// cpuMapsField: one `cpu-map <process> <cpu_set>` line per entry, in
// order. HAProxy takes several CPU sets on one line; cpu_set holds them
// separated by single spaces.
func cpuMapsField() sectionField[Global] {
	kw := []string{"cpu-map"}
	read := func(s *Section, m *Global) {
		for _, l := range s.Find(kw...) {
			if len(l.Words) >= 3 {
				m.CPUMaps = append(m.CPUMaps, CPUMap{Process: l.Words[1], CPUSet: strings.Join(l.Words[2:], " ")})
			}
		}
	}
	words := func(m *Global) [][]string {
		var out [][]string
		for _, c := range m.CPUMaps {
			out = append(out, append([]string{"cpu-map", c.Process}, strings.Split(c.CPUSet, " ")...))
		}
		return out
	}
	return sectionField[Global]{
		name: "cpu_maps", matchers: [][]string{kw}, read: read, words: words,
		check: func(m *Global) error {
			for i, c := range m.CPUMaps {
				field := fmt.Sprintf("cpu_maps[%d]", i)
				if err := checkWord(field+".process", c.Process); err != nil {
					return err
				}
				if c.CPUSet == "" {
					return invalid(field+".cpu_set", "must not be empty")
				}
				for _, w := range strings.Split(c.CPUSet, " ") {
					if err := checkWord(field+".cpu_set", w); err != nil {
						return err
					}
				}
			}
			return nil
		},
		same: sameRendered(read, words),
	}
}

// --- runtime_apis: `stats socket <address> <bind params...>` -----------------

var statsSocketKeyword = []string{"stats", "socket"}

// statsSocketLine is one `stats socket` line as found in the section.
type statsSocketLine struct {
	line  Line
	addr  string // address token, unquoted
	units []paramUnit
}

func statsSocketLines(s *Section) []statsSocketLine {
	var out []statsSocketLine
	for _, l := range s.Find(statsSocketKeyword...) {
		if len(l.Words) < 3 {
			continue // no address: not something the model can hold
		}
		var units []paramUnit
		if len(l.Words) > 3 {
			units = splitParams(l.Words[3:], bindArity)
		}
		out = append(out, statsSocketLine{line: l, addr: unquote(l.Words[2]), units: units})
	}
	return out
}

func readRuntimeAPIs(s *Section) []RuntimeAPI {
	var out []RuntimeAPI
	for _, sl := range statsSocketLines(s) {
		r := RuntimeAPI{Address: sl.addr}
		r.Name = readBindParams(sl.units, &r.BindParams)
		out = append(out, r)
	}
	return out
}

func checkRuntimeAPIs(apis []RuntimeAPI) error {
	for i := range apis {
		r := &apis[i]
		prefix := fmt.Sprintf("runtime_apis[%d].", i)
		if err := checkWord(prefix+"address", r.Address); err != nil {
			return err
		}
		if r.Name != "" {
			if err := checkWord(prefix+"name", r.Name); err != nil {
				return err
			}
		}
		if err := checkBindParams(&r.BindParams); err != nil {
			if ie, ok := err.(*InvalidError); ok {
				ie.Field = prefix + ie.Field
			}
			return err
		}
	}
	return nil
}

// runtimeAPIWords renders the stats socket line for r. units are the params
// of the line it replaces (nil for a new line): the ones the model does not
// own stay where they were, and a modelled param whose value does not change
// keeps its spelling.
func runtimeAPIWords(r *RuntimeAPI, addrTok string, units []paramUnit) []string {
	old := &BindParams{}
	readBindParams(units, old)
	e := newParamEdit(units, nil)
	for i := range bindParams {
		bp := &bindParams[i]
		words := bindParamWords(bp, &r.BindParams)
		if words == nil {
			continue
		}
		if equalWords(bindParamWords(bp, old), words) {
			for _, u := range units {
				if u.name == bp.keyword {
					words = u.words
				}
			}
		}
		e.set(bp.json, words...)
	}
	if r.Name != "" {
		e.set("name", "name", r.Name)
	}
	params := e.render(func(name string) string {
		if name == "name" {
			return "name"
		}
		if bp, ok := bindSlots[name]; ok {
			return bp.json
		}
		return ""
	})
	return append(append(cloneWords(statsSocketKeyword), addrTok), params...)
}

// writeRuntimeAPIs makes the stats socket lines hold want. Entries are
// matched to existing lines by address, then by position, so a line keeps
// its unknown params. When the matched lines are in list order each entry
// is written on its own line (unchanged ones untouched, new ones inserted
// next to their neighbours); otherwise the list is written over the
// existing lines in file order.
func writeRuntimeAPIs(e *lineEdit, want []RuntimeAPI) {
	have := statsSocketLines(e.s)
	match := make([]int, len(want))
	used := make([]bool, len(have))
	for i := range want {
		match[i] = -1
		for j := range have {
			if !used[j] && have[j].addr == want[i].Address {
				match[i], used[j] = j, true
				break
			}
		}
	}
	next := 0
	for i := range want {
		if match[i] >= 0 {
			continue
		}
		for next < len(have) && used[next] {
			next++
		}
		if next < len(have) {
			match[i], used[next] = next, true
		}
	}
	render := func(i int) []string {
		r := &want[i]
		if j := match[i]; j >= 0 {
			tok := have[j].line.Words[2]
			if have[j].addr != r.Address {
				tok = r.Address
			}
			return runtimeAPIWords(r, tok, have[j].units)
		}
		return runtimeAPIWords(r, r.Address, nil)
	}
	replace := func(l Line, words []string) {
		if !equalWords(l.Words, words) {
			e.replaceWords(l.Index, words)
		}
	}

	inOrder := true
	last := -1
	for _, j := range match {
		if j >= 0 {
			if j < last {
				inOrder = false
				break
			}
			last = j
		}
	}

	if len(have) == 0 {
		for i := range want {
			e.add(statsSocketKeyword, render(i))
		}
		return
	}
	if inOrder {
		anchor := have[0].line.Index - 1
		for i := range want {
			if j := match[i]; j >= 0 {
				replace(have[j].line, render(i))
				anchor = have[j].line.Index
				continue
			}
			e.insertAfter(anchor, render(i))
		}
		for j := range have {
			if !used[j] {
				e.delete(have[j].line.Index)
			}
		}
		return
	}
	for i := range want {
		if i < len(have) {
			replace(have[i].line, render(i))
			continue
		}
		e.insertAfter(have[len(have)-1].line.Index, render(i))
	}
	for j := len(want); j < len(have); j++ {
		e.delete(have[j].line.Index)
	}
}

// --- the Document API -------------------------------------------------------

// Global returns the typed view of the global section (the zero Global when
// the file has none). The model is read once per section and cached; the
// caller gets its own deep copy.
func (d *Document) Global() (Global, error) {
	s, ok := d.GlobalSection()
	if !ok {
		return Global{}, nil
	}
	return deepCopy(*globalOf(s)), nil
}

func globalOf(s *Section) *Global {
	if g, ok := s.model.Load().(*Global); ok {
		return g
	}
	g := &Global{}
	if _, comment := splitWords(s.header); comment != "" {
		setMetadata(g, comment)
	}
	globalFields.read(s, g)
	g.RuntimeAPIs = readRuntimeAPIs(s)
	s.model.Store(g)
	return g
}

// checkGlobal validates every value of g that becomes configuration text.
func checkGlobal(g *Global) error {
	if err := globalFields.check(g); err != nil {
		return err
	}
	return checkRuntimeAPIs(g.RuntimeAPIs)
}

// ReplaceGlobal makes the global section hold g (PUT semantics): modelled
// lines change in place, absent fields lose their lines, every other line
// stays byte for byte. A file without a global section gets one at the top,
// after the head comments. It returns d itself when nothing changes.
func (d *Document) ReplaceGlobal(g Global) (*Document, error) {
	if err := checkGlobal(&g); err != nil {
		return nil, err
	}
	pos, ok := d.sectionPos(KindGlobal, "")
	if !ok {
		return d.addGlobalSection(&g)
	}
	s := d.sections[pos]
	e := newLineEdit(s, d.nl)
	globalFields.write(e, &g)
	if !reflect.DeepEqual(nilIfEmpty(readRuntimeAPIs(s)), nilIfEmpty(g.RuntimeAPIs)) {
		// Entries are matched to lines across the whole section: lines
		// in different .if/.else branches would be mixed up.
		if err := refuseConditional(s, "runtime_apis", [][]string{statsSocketKeyword}); err != nil {
			e.fail(err)
		} else {
			writeRuntimeAPIs(e, g.RuntimeAPIs)
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	ns := s
	if e.changed() {
		ns = e.build()
	}
	ns, err := withHeaderMetadata(s, ns, g.Metadata, d.nl)
	if err != nil {
		return nil, err
	}
	if ns == s {
		return d, nil
	}
	return d.withSection(pos, ns), nil
}

func nilIfEmpty(r []RuntimeAPI) []RuntimeAPI {
	if len(r) == 0 {
		return nil
	}
	return r
}

// addGlobalSection puts a new global section holding g before the first
// section, below the lines that start the file (`# _version=N`, comments).
func (d *Document) addGlobalSection(g *Global) (*Document, error) {
	body := globalTopFields.sectionWords(g)
	for i := range g.RuntimeAPIs {
		body = append(body, runtimeAPIWords(&g.RuntimeAPIs[i], g.RuntimeAPIs[i].Address, nil))
	}
	body = append(body, globalNestedFields.sectionWords(g)...)
	if len(body) == 0 {
		return d, nil
	}
	indent := "    "
	if len(d.sections) > 0 {
		indent = d.sections[0].indent()
	} else if d.usesTabs() {
		indent = "\t"
	}
	comment, err := g.Metadata.comment()
	if err != nil {
		return nil, err
	}
	ns := &Section{Kind: KindGlobal, header: renderWords([]string{KindGlobal}, comment) + d.nl}
	for _, w := range body {
		ns.lines = append(ns.lines, indent+renderWords(w, "")+d.nl)
	}
	if len(d.sections) > 0 {
		ns.lines = append(ns.lines, d.nl)
	}
	h := &Section{lines: append([]string(nil), d.head.lines...)}
	if k := len(h.lines); k > 0 && !strings.HasSuffix(h.lines[k-1], "\n") {
		h.lines[k-1] += d.nl
	}
	n := d.shallowCopy()
	n.head = h
	n.sections = append([]*Section{ns}, d.sections...)
	n.index, err = buildIndex(n.sections)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// AdminSocketRemoved reports whether going from old to next loses the
// stats socket dataplane talks to HAProxy through: old has an admin-level
// unix stats socket (the one AdminSocket picks) and next has no admin-level
// stats socket with the same path. Relative paths resolve against dir.
func AdminSocketRemoved(old, next *Document, dir string) bool {
	sock, ok := old.AdminSocket(dir)
	if !ok || sock.Level != "admin" {
		return false
	}
	for _, s := range next.StatsSockets(dir) {
		if s.Path == sock.Path && s.Level == "admin" {
			return false
		}
	}
	return true
}
