package config

import (
	"fmt"
	"strconv"
	"strings"
)

// The objects of the Data Plane API v3 global model that group keywords
// by area (debug, device detection, environment, HTTP client, Lua, OCSP
// updates, the tune.* families) and the rarer CPU and hardening settings.
// Each is a table of fields over its keywords, lifted into Global through a
// pointer (liftPtr): absent when none of its lines is in the section. Many
// keywords are newer than HAProxy 2.6, or need a build option it lacks
// (QUIC, 51Degrees, DeviceAtlas, WURFL): they are written, and
// `haproxy -c` refuses them with its message. The spec says which.

// DebugOptions is the `debug_options` object of the global section.
type DebugOptions struct {
	Anonkey     *int64 `json:"anonkey,omitempty"`
	Quiet       bool   `json:"quiet,omitempty"`
	StressLevel *int64 `json:"stress_level,omitempty"`
	ZeroWarning bool   `json:"zero_warning,omitempty"`
}

// DeviceAtlasOptions is the `device_atlas_options` object of the global section.
type DeviceAtlasOptions struct {
	JSONFile         string `json:"json_file,omitempty"`
	LogLevel         string `json:"log_level,omitempty"`
	PropertiesCookie string `json:"properties_cookie,omitempty"`
	Separator        string `json:"separator,omitempty"`
}

// EnvironmentOptions is the `environment_options` object of the global section.
type EnvironmentOptions struct {
	Presetenv []EnvVar `json:"presetenv,omitempty"`
	Resetenv  string   `json:"resetenv,omitempty"`
	Setenv    []EnvVar `json:"setenv,omitempty"`
	Unsetenv  string   `json:"unsetenv,omitempty"`
}

// FiftyOneDegreesOptions is the `fifty_one_degrees_options` object of the global section.
type FiftyOneDegreesOptions struct {
	CacheSize         *int64 `json:"cache_size,omitempty"`
	DataFile          string `json:"data_file,omitempty"`
	PropertyNameList  string `json:"property_name_list,omitempty"`
	PropertySeparator string `json:"property_separator,omitempty"`
}

// HTTPClientOptions is the `http_client_options` object of the global section.
type HTTPClientOptions struct {
	ResolversDisabled string `json:"resolvers_disabled,omitempty"`
	ResolversID       string `json:"resolvers_id,omitempty"`
	ResolversPrefer   string `json:"resolvers_prefer,omitempty"`
	Retries           *int64 `json:"retries,omitempty"`
	SSLCAFile         string `json:"ssl_ca_file,omitempty"`
	SSLVerify         string `json:"ssl_verify,omitempty"`
	TimeoutConnect    *int64 `json:"timeout_connect,omitempty"`
}

// LuaOptions is the `lua_options` object of the global section.
type LuaOptions struct {
	LoadPerThread string           `json:"load_per_thread,omitempty"`
	Loads         []LuaLoad        `json:"loads,omitempty"`
	PrependPath   []LuaPrependPath `json:"prepend_path,omitempty"`
}

// OCSPUpdateOptions is the `ocsp_update_options` object of the global section.
type OCSPUpdateOptions struct {
	Disable   *bool          `json:"disable,omitempty"`
	Httpproxy *OCSPHTTPProxy `json:"httpproxy,omitempty"`
	Maxdelay  *int64         `json:"maxdelay,omitempty"`
	Mindelay  *int64         `json:"mindelay,omitempty"`
	Mode      string         `json:"mode,omitempty"`
}

// TuneLuaOptions is the `tune_lua_options` object of the global section.
type TuneLuaOptions struct {
	BoolSampleConversion string `json:"bool_sample_conversion,omitempty"`
	BurstTimeout         *int64 `json:"burst_timeout,omitempty"`
	ForcedYield          *int64 `json:"forced_yield,omitempty"`
	LogLoggers           string `json:"log_loggers,omitempty"`
	LogStderr            string `json:"log_stderr,omitempty"`
	Maxmem               *int64 `json:"maxmem,omitempty"`
	Openlibs             string `json:"openlibs,omitempty"`
	ServiceTimeout       *int64 `json:"service_timeout,omitempty"`
	SessionTimeout       *int64 `json:"session_timeout,omitempty"`
	TaskTimeout          *int64 `json:"task_timeout,omitempty"`
}

// TuneQuicOptions is the `tune_quic_options` object of the global section.
type TuneQuicOptions struct {
	FrontendConnTXBuffersLimit *int64 `json:"frontend_conn_tx_buffers_limit,omitempty"`
	FrontendMaxIdleTimeout     *int64 `json:"frontend_max_idle_timeout,omitempty"`
	FrontendMaxStreamsBidi     *int64 `json:"frontend_max_streams_bidi,omitempty"`
	FrontendMaxTXMemory        *int64 `json:"frontend_max_tx_memory,omitempty"`
	FrontendStreamMaxTotal     *int64 `json:"frontend_stream_max_total,omitempty"`
	MaxFrameLoss               *int64 `json:"max_frame_loss,omitempty"`
	ReorderRatio               *int64 `json:"reorder_ratio,omitempty"`
	RetryThreshold             *int64 `json:"retry_threshold,omitempty"`
	SocketOwner                string `json:"socket_owner,omitempty"`
	ZeroCopyFwdSend            string `json:"zero_copy_fwd_send,omitempty"`
}

// TuneSSLOptions is the `tune_ssl_options` object of the global section.
type TuneSSLOptions struct {
	Cachesize              *int64 `json:"cachesize,omitempty"`
	CaptureBufferSize      *int64 `json:"capture_buffer_size,omitempty"`
	CertificateCompression string `json:"certificate_compression,omitempty"`
	CtxCacheSize           *int64 `json:"ctx_cache_size,omitempty"`
	DefaultDHParam         *int64 `json:"default_dh_param,omitempty"`
	ForcePrivateCache      bool   `json:"force_private_cache,omitempty"`
	Keylog                 string `json:"keylog,omitempty"`
	Lifetime               *int64 `json:"lifetime,omitempty"`
	Maxrecord              *int64 `json:"maxrecord,omitempty"`
	OCSPUpdateMaxDelay     *int64 `json:"ocsp_update_max_delay,omitempty"`
	OCSPUpdateMinDelay     *int64 `json:"ocsp_update_min_delay,omitempty"`
}

// TuneVarsOptions is the `tune_vars_options` object of the global section.
type TuneVarsOptions struct {
	GlobalMaxSize *int64 `json:"global_max_size,omitempty"`
	ProcMaxSize   *int64 `json:"proc_max_size,omitempty"`
	ReqresMaxSize *int64 `json:"reqres_max_size,omitempty"`
	SessMaxSize   *int64 `json:"sess_max_size,omitempty"`
	TxnMaxSize    *int64 `json:"txn_max_size,omitempty"`
}

// TuneZlibOptions is the `tune_zlib_options` object of the global section.
type TuneZlibOptions struct {
	Memlevel   *int64 `json:"memlevel,omitempty"`
	Windowsize *int64 `json:"windowsize,omitempty"`
}

// WurflOptions is the `wurfl_options` object of the global section.
type WurflOptions struct {
	CacheSize                *int64 `json:"cache_size,omitempty"`
	DataFile                 string `json:"data_file,omitempty"`
	InformationList          string `json:"information_list,omitempty"`
	InformationListSeparator string `json:"information_list_separator,omitempty"`
	PatchFile                string `json:"patch_file,omitempty"`
}

var debugOptionsFields = fieldSet[DebugOptions]{
	intField("debug_options.anonkey", []string{"anonkey"}, 0, 4294967295, func(m *DebugOptions) **int64 { return &m.Anonkey }),
	flagField("debug_options.quiet", []string{"quiet"}, func(m *DebugOptions) *bool { return &m.Quiet }),
	intField("debug_options.stress_level", []string{"stress-level"}, 0, 9, func(m *DebugOptions) **int64 { return &m.StressLevel }),
	flagField("debug_options.zero_warning", []string{"zero-warning"}, func(m *DebugOptions) *bool { return &m.ZeroWarning }),
}

var deviceAtlasOptionsFields = fieldSet[DeviceAtlasOptions]{
	wordField("device_atlas_options.json_file", []string{"deviceatlas-json-file"}, nil, func(m *DeviceAtlasOptions) *string { return &m.JSONFile }),
	wordField("device_atlas_options.log_level", []string{"deviceatlas-log-level"}, nil, func(m *DeviceAtlasOptions) *string { return &m.LogLevel }),
	wordField("device_atlas_options.properties_cookie", []string{"deviceatlas-properties-cookie"}, nil, func(m *DeviceAtlasOptions) *string { return &m.PropertiesCookie }),
	wordField("device_atlas_options.separator", []string{"deviceatlas-separator"}, nil, func(m *DeviceAtlasOptions) *string { return &m.Separator }),
}

var environmentOptionsFields = fieldSet[EnvironmentOptions]{
	envField("environment_options.presetenv", "presetenv", func(m *EnvironmentOptions) *[]EnvVar { return &m.Presetenv }),
	textField("environment_options.resetenv", []string{"resetenv"}, func(m *EnvironmentOptions) *string { return &m.Resetenv }),
	envField("environment_options.setenv", "setenv", func(m *EnvironmentOptions) *[]EnvVar { return &m.Setenv }),
	textField("environment_options.unsetenv", []string{"unsetenv"}, func(m *EnvironmentOptions) *string { return &m.Unsetenv }),
}

var fiftyOneDegreesOptionsFields = fieldSet[FiftyOneDegreesOptions]{
	intField("fifty_one_degrees_options.cache_size", []string{"51degrees-cache-size"}, 0, 2147483648, func(m *FiftyOneDegreesOptions) **int64 { return &m.CacheSize }),
	wordField("fifty_one_degrees_options.data_file", []string{"51degrees-data-file"}, nil, func(m *FiftyOneDegreesOptions) *string { return &m.DataFile }),
	textField("fifty_one_degrees_options.property_name_list", []string{"51degrees-property-name-list"}, func(m *FiftyOneDegreesOptions) *string { return &m.PropertyNameList }),
	wordField("fifty_one_degrees_options.property_separator", []string{"51degrees-property-separator"}, nil, func(m *FiftyOneDegreesOptions) *string { return &m.PropertySeparator }),
}

var httpClientOptionsFields = fieldSet[HTTPClientOptions]{
	onOffField("http_client_options.resolvers_disabled", []string{"httpclient.resolvers.disabled"}, func(m *HTTPClientOptions) *string { return &m.ResolversDisabled }),
	wordField("http_client_options.resolvers_id", []string{"httpclient.resolvers.id"}, nil, func(m *HTTPClientOptions) *string { return &m.ResolversID }),
	wordField("http_client_options.resolvers_prefer", []string{"httpclient.resolvers.prefer"}, []string{"ipv4", "ipv6"}, func(m *HTTPClientOptions) *string { return &m.ResolversPrefer }),
	intField("http_client_options.retries", []string{"httpclient.retries"}, 0, 2147483648, func(m *HTTPClientOptions) **int64 { return &m.Retries }),
	wordField("http_client_options.ssl_ca_file", []string{"httpclient.ssl.ca-file"}, nil, func(m *HTTPClientOptions) *string { return &m.SSLCAFile }),
	wordField("http_client_options.ssl_verify", []string{"httpclient.ssl.verify"}, []string{"none", "required"}, func(m *HTTPClientOptions) *string { return &m.SSLVerify }),
	durationField("http_client_options.timeout_connect", []string{"httpclient.timeout.connect"}, "ms", func(m *HTTPClientOptions) **int64 { return &m.TimeoutConnect }),
}

var luaOptionsFields = fieldSet[LuaOptions]{
	textField("lua_options.load_per_thread", []string{"lua-load-per-thread"}, func(m *LuaOptions) *string { return &m.LoadPerThread }),
	linesField("lua_options.loads", []string{"lua-load"}, func(m *LuaOptions) *[]LuaLoad { return &m.Loads }, parseLuaLoad, renderLuaLoad, checkLuaLoad),
	linesField("lua_options.prepend_path", []string{"lua-prepend-path"}, func(m *LuaOptions) *[]LuaPrependPath { return &m.PrependPath }, parseLuaPrependPath, renderLuaPrependPath, checkLuaPrependPath),
}

var ocspUpdateOptionsFields = fieldSet[OCSPUpdateOptions]{
	onOffBoolField("ocsp_update_options.disable", []string{"ocsp-update.disable"}, func(m *OCSPUpdateOptions) **bool { return &m.Disable }),
	lineField("ocsp_update_options.httpproxy", []string{"ocsp-update.httpproxy"}, func(m *OCSPUpdateOptions) **OCSPHTTPProxy { return &m.Httpproxy }, parseOCSPHTTPProxy, renderOCSPHTTPProxy, checkOCSPHTTPProxy),
	intField("ocsp_update_options.maxdelay", []string{"ocsp-update.maxdelay"}, 0, 2147483648, func(m *OCSPUpdateOptions) **int64 { return &m.Maxdelay }),
	intField("ocsp_update_options.mindelay", []string{"ocsp-update.mindelay"}, 0, 2147483648, func(m *OCSPUpdateOptions) **int64 { return &m.Mindelay }),
	onOffField("ocsp_update_options.mode", []string{"ocsp-update.mode"}, func(m *OCSPUpdateOptions) *string { return &m.Mode }),
}

var tuneLuaOptionsFields = fieldSet[TuneLuaOptions]{
	wordField("tune_lua_options.bool_sample_conversion", []string{"tune.lua.bool-sample-conversion"}, []string{"normal", "pre-3.1-bug"}, func(m *TuneLuaOptions) *string { return &m.BoolSampleConversion }),
	durationField("tune_lua_options.burst_timeout", []string{"tune.lua.burst-timeout"}, "ms", func(m *TuneLuaOptions) **int64 { return &m.BurstTimeout }),
	intField("tune_lua_options.forced_yield", []string{"tune.lua.forced-yield"}, 0, 2147483648, func(m *TuneLuaOptions) **int64 { return &m.ForcedYield }),
	onOffField("tune_lua_options.log_loggers", []string{"tune.lua.log.loggers"}, func(m *TuneLuaOptions) *string { return &m.LogLoggers }),
	mappedWordField("tune_lua_options.log_stderr", []string{"tune.lua.log.stderr"}, [][2]string{{"auto", "auto"}, {"enabled", "on"}, {"disabled", "off"}}, func(m *TuneLuaOptions) *string { return &m.LogStderr }),
	intField("tune_lua_options.maxmem", []string{"tune.lua.maxmem"}, 0, 2147483648, func(m *TuneLuaOptions) **int64 { return &m.Maxmem }),
	wordField("tune_lua_options.openlibs", []string{"tune.lua.openlibs"}, nil, func(m *TuneLuaOptions) *string { return &m.Openlibs }),
	durationField("tune_lua_options.service_timeout", []string{"tune.lua.service-timeout"}, "ms", func(m *TuneLuaOptions) **int64 { return &m.ServiceTimeout }),
	durationField("tune_lua_options.session_timeout", []string{"tune.lua.session-timeout"}, "ms", func(m *TuneLuaOptions) **int64 { return &m.SessionTimeout }),
	durationField("tune_lua_options.task_timeout", []string{"tune.lua.task-timeout"}, "ms", func(m *TuneLuaOptions) **int64 { return &m.TaskTimeout }),
}

var tuneQuicOptionsFields = fieldSet[TuneQuicOptions]{
	intField("tune_quic_options.frontend_conn_tx_buffers_limit", []string{"tune.quic.frontend.conn-tx-buffers.limit"}, 0, 2147483648, func(m *TuneQuicOptions) **int64 { return &m.FrontendConnTXBuffersLimit }),
	durationField("tune_quic_options.frontend_max_idle_timeout", []string{"tune.quic.frontend.max-idle-timeout"}, "ms", func(m *TuneQuicOptions) **int64 { return &m.FrontendMaxIdleTimeout }),
	intField("tune_quic_options.frontend_max_streams_bidi", []string{"tune.quic.frontend.max-streams-bidi"}, 0, 2147483648, func(m *TuneQuicOptions) **int64 { return &m.FrontendMaxStreamsBidi }),
	sizeField("tune_quic_options.frontend_max_tx_memory", []string{"tune.quic.frontend.max-tx-mem"}, 0, 2147483648, func(m *TuneQuicOptions) **int64 { return &m.FrontendMaxTXMemory }),
	intField("tune_quic_options.frontend_stream_max_total", []string{"tune.quic.frontend.max-total-streams"}, 0, 2147483648, func(m *TuneQuicOptions) **int64 { return &m.FrontendStreamMaxTotal }),
	intField("tune_quic_options.max_frame_loss", []string{"tune.quic.max-frame-loss"}, 0, 2147483648, func(m *TuneQuicOptions) **int64 { return &m.MaxFrameLoss }),
	intField("tune_quic_options.reorder_ratio", []string{"tune.quic.reorder-ratio"}, 0, 100, func(m *TuneQuicOptions) **int64 { return &m.ReorderRatio }),
	intField("tune_quic_options.retry_threshold", []string{"tune.quic.retry-threshold"}, 0, 2147483648, func(m *TuneQuicOptions) **int64 { return &m.RetryThreshold }),
	wordField("tune_quic_options.socket_owner", []string{"tune.quic.socket-owner"}, []string{"listener", "connection"}, func(m *TuneQuicOptions) *string { return &m.SocketOwner }),
	onOffField("tune_quic_options.zero_copy_fwd_send", []string{"tune.quic.zero-copy-fwd-send"}, func(m *TuneQuicOptions) *string { return &m.ZeroCopyFwdSend }),
}

var tuneSSLOptionsFields = fieldSet[TuneSSLOptions]{
	intField("tune_ssl_options.cachesize", []string{"tune.ssl.cachesize"}, 0, 2147483648, func(m *TuneSSLOptions) **int64 { return &m.Cachesize }),
	intField("tune_ssl_options.capture_buffer_size", []string{"tune.ssl.capture-buffer-size"}, 0, 2147483648, func(m *TuneSSLOptions) **int64 { return &m.CaptureBufferSize }),
	mappedWordField("tune_ssl_options.certificate_compression", []string{"tune.ssl.certificate-compression"}, [][2]string{{"auto", "auto"}, {"disabled", "off"}}, func(m *TuneSSLOptions) *string { return &m.CertificateCompression }),
	intField("tune_ssl_options.ctx_cache_size", []string{"tune.ssl.ssl-ctx-cache-size"}, 0, 2147483648, func(m *TuneSSLOptions) **int64 { return &m.CtxCacheSize }),
	intField("tune_ssl_options.default_dh_param", []string{"tune.ssl.default-dh-param"}, 0, 2147483648, func(m *TuneSSLOptions) **int64 { return &m.DefaultDHParam }),
	flagField("tune_ssl_options.force_private_cache", []string{"tune.ssl.force-private-cache"}, func(m *TuneSSLOptions) *bool { return &m.ForcePrivateCache }),
	onOffField("tune_ssl_options.keylog", []string{"tune.ssl.keylog"}, func(m *TuneSSLOptions) *string { return &m.Keylog }),
	durationField("tune_ssl_options.lifetime", []string{"tune.ssl.lifetime"}, "s", func(m *TuneSSLOptions) **int64 { return &m.Lifetime }),
	intField("tune_ssl_options.maxrecord", []string{"tune.ssl.maxrecord"}, 0, 2147483648, func(m *TuneSSLOptions) **int64 { return &m.Maxrecord }),
	intField("tune_ssl_options.ocsp_update_max_delay", []string{"tune.ssl.ocsp-update.maxdelay"}, 0, 2147483648, func(m *TuneSSLOptions) **int64 { return &m.OCSPUpdateMaxDelay }),
	intField("tune_ssl_options.ocsp_update_min_delay", []string{"tune.ssl.ocsp-update.mindelay"}, 0, 2147483648, func(m *TuneSSLOptions) **int64 { return &m.OCSPUpdateMinDelay }),
}

var tuneVarsOptionsFields = fieldSet[TuneVarsOptions]{
	sizeField("tune_vars_options.global_max_size", []string{"tune.vars.global-max-size"}, 0, 2147483648, func(m *TuneVarsOptions) **int64 { return &m.GlobalMaxSize }),
	sizeField("tune_vars_options.proc_max_size", []string{"tune.vars.proc-max-size"}, 0, 2147483648, func(m *TuneVarsOptions) **int64 { return &m.ProcMaxSize }),
	sizeField("tune_vars_options.reqres_max_size", []string{"tune.vars.reqres-max-size"}, 0, 2147483648, func(m *TuneVarsOptions) **int64 { return &m.ReqresMaxSize }),
	sizeField("tune_vars_options.sess_max_size", []string{"tune.vars.sess-max-size"}, 0, 2147483648, func(m *TuneVarsOptions) **int64 { return &m.SessMaxSize }),
	sizeField("tune_vars_options.txn_max_size", []string{"tune.vars.txn-max-size"}, 0, 2147483648, func(m *TuneVarsOptions) **int64 { return &m.TxnMaxSize }),
}

var tuneZlibOptionsFields = fieldSet[TuneZlibOptions]{
	intField("tune_zlib_options.memlevel", []string{"tune.zlib.memlevel"}, 1, 9, func(m *TuneZlibOptions) **int64 { return &m.Memlevel }),
	intField("tune_zlib_options.windowsize", []string{"tune.zlib.windowsize"}, 8, 15, func(m *TuneZlibOptions) **int64 { return &m.Windowsize }),
}

var wurflOptionsFields = fieldSet[WurflOptions]{
	intField("wurfl_options.cache_size", []string{"wurfl-cache-size"}, 0, 2147483648, func(m *WurflOptions) **int64 { return &m.CacheSize }),
	wordField("wurfl_options.data_file", []string{"wurfl-data-file"}, nil, func(m *WurflOptions) *string { return &m.DataFile }),
	textField("wurfl_options.information_list", []string{"wurfl-information-list"}, func(m *WurflOptions) *string { return &m.InformationList }),
	wordField("wurfl_options.information_list_separator", []string{"wurfl-information-list-separator"}, nil, func(m *WurflOptions) *string { return &m.InformationListSeparator }),
	wordField("wurfl_options.patch_file", []string{"wurfl-patch-file"}, nil, func(m *WurflOptions) *string { return &m.PatchFile }),
}

// Harden is the `harden` object: `harden.reject-privileged-ports.*`.
type Harden struct {
	RejectPrivilegedPorts *HardenRejectPrivilegedPorts `json:"reject_privileged_ports,omitempty"`
}

// HardenRejectPrivilegedPorts: `harden.reject-privileged-ports.tcp|quic on|off`.
type HardenRejectPrivilegedPorts struct {
	Quic string `json:"quic,omitempty"`
	TCP  string `json:"tcp,omitempty"`
}

var hardenFields = liftPtr(fieldSet[HardenRejectPrivilegedPorts]{
	onOffField("harden.reject_privileged_ports.quic", []string{"harden.reject-privileged-ports.quic"}, func(m *HardenRejectPrivilegedPorts) *string { return &m.Quic }),
	onOffField("harden.reject_privileged_ports.tcp", []string{"harden.reject-privileged-ports.tcp"}, func(m *HardenRejectPrivilegedPorts) *string { return &m.TCP }),
}, func(m *Harden) **HardenRejectPrivilegedPorts { return &m.RejectPrivilegedPorts })

// CPUAffinity is `cpu-affinity <affinity> [<argument>]`.
type CPUAffinity struct {
	Affinity string `json:"affinity"`
	Argument string `json:"argument,omitempty"`
}

// CPUSetDirective is one `cpu-set <directive> [<set>]` line.
type CPUSetDirective struct {
	Directive string `json:"directive"`
	Set       string `json:"set,omitempty"`
}

// SSLEngine is one `ssl-engine <name> [<algorithms>]` line.
type SSLEngine struct {
	Name       string `json:"name"`
	Algorithms string `json:"algorithms,omitempty"`
}

// EnvVar is one `setenv`/`presetenv <name> <value>` line; the value is
// the rest of the line, written verbatim.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LuaLoad is one `lua-load <file>` line.
type LuaLoad struct {
	File string `json:"file"`
}

// LuaPrependPath is one `lua-prepend-path <path> [path|cpath]` line.
type LuaPrependPath struct {
	Path string `json:"path"`
	Type string `json:"type,omitempty"`
}

// OCSPHTTPProxy is `ocsp-update.httpproxy <address>[:<port>]`.
type OCSPHTTPProxy struct {
	Address string `json:"address"`
	Port    *int64 `json:"port,omitempty"`
}

var cpuAffinities = []string{"per-core", "per-group", "auto", "per-thread", "per-ccx"}

var cpuSetDirectives = []string{"reset", "drop-cpu", "only-cpu", "drop-node", "only-node", "drop-cluster", "only-cluster",
	"drop-core", "only-core", "drop-thread", "only-thread"}

func cpuAffinityField() sectionField[GlobalMore] {
	return lineField("cpu_affinity", []string{"cpu-affinity"}, func(m *GlobalMore) **CPUAffinity { return &m.CPUAffinity },
		func(a []string) (CPUAffinity, bool) {
			switch len(a) {
			case 1:
				return CPUAffinity{Affinity: a[0]}, true
			case 2:
				return CPUAffinity{Affinity: a[0], Argument: a[1]}, true
			}
			return CPUAffinity{}, false
		},
		func(v CPUAffinity) []string { return appendIf([]string{v.Affinity}, v.Argument) },
		func(field string, v CPUAffinity) error {
			if err := checkEnum(field+".affinity", v.Affinity, cpuAffinities...); err != nil {
				return err
			}
			if v.Argument != "" {
				return checkEnum(field+".argument", v.Argument, "auto", "loose")
			}
			return nil
		})
}

// cpuSetField: one `cpu-set <directive> [<set>]` line per item (whether a
// directive takes a set is HAProxy's to say, at haproxy -c). A line with
// several directives is not read into the model (changing cpu_set is then
// refused: use the raw endpoint), so it is never split or dropped.
func cpuSetField() sectionField[GlobalMore] {
	return linesField("cpu_set", []string{"cpu-set"}, func(m *GlobalMore) *[]CPUSetDirective { return &m.CPUSet },
		func(a []string) (CPUSetDirective, bool) {
			switch len(a) {
			case 1:
				return CPUSetDirective{Directive: a[0]}, true
			case 2:
				return CPUSetDirective{Directive: a[0], Set: a[1]}, true
			}
			return CPUSetDirective{}, false
		},
		func(v CPUSetDirective) []string { return appendIf([]string{v.Directive}, v.Set) },
		func(field string, v CPUSetDirective) error {
			if err := checkEnum(field+".directive", v.Directive, cpuSetDirectives...); err != nil {
				return err
			}
			if v.Set != "" {
				return checkWord(field+".set", v.Set)
			}
			return nil
		})
}

func parseSSLEngine(a []string) (SSLEngine, bool) {
	switch len(a) {
	case 1:
		return SSLEngine{Name: a[0]}, true
	case 2:
		return SSLEngine{Name: a[0], Algorithms: a[1]}, true
	}
	return SSLEngine{}, false
}

func renderSSLEngine(v SSLEngine) []string { return appendIf([]string{v.Name}, v.Algorithms) }

func checkSSLEngine(field string, v SSLEngine) error {
	if err := checkWord(field+".name", v.Name); err != nil {
		return err
	}
	if v.Algorithms != "" {
		return checkWord(field+".algorithms", v.Algorithms)
	}
	return nil
}

func envField(json, kw string, get func(*EnvironmentOptions) *[]EnvVar) sectionField[EnvironmentOptions] {
	return linesField(json, []string{kw}, get,
		func(a []string) (EnvVar, bool) {
			if len(a) < 2 {
				return EnvVar{}, false
			}
			return EnvVar{Name: a[0], Value: strings.Join(a[1:], " ")}, true
		},
		func(v EnvVar) []string {
			w, _ := splitWords(v.Value)
			return append([]string{v.Name}, w...)
		},
		func(field string, v EnvVar) error {
			if err := checkWord(field+".name", v.Name); err != nil {
				return err
			}
			return checkText(field+".value", v.Value)
		})
}

func parseLuaLoad(a []string) (LuaLoad, bool) {
	return LuaLoad{File: strings.Join(a, " ")}, len(a) == 1
}

func renderLuaLoad(v LuaLoad) []string { return []string{v.File} }

func checkLuaLoad(field string, v LuaLoad) error { return checkWord(field+".file", v.File) }

func parseLuaPrependPath(a []string) (LuaPrependPath, bool) {
	switch len(a) {
	case 1:
		return LuaPrependPath{Path: a[0]}, true
	case 2:
		return LuaPrependPath{Path: a[0], Type: a[1]}, true
	}
	return LuaPrependPath{}, false
}

func renderLuaPrependPath(v LuaPrependPath) []string { return appendIf([]string{v.Path}, v.Type) }

func checkLuaPrependPath(field string, v LuaPrependPath) error {
	if err := checkWord(field+".path", v.Path); err != nil {
		return err
	}
	if v.Type != "" {
		return checkEnum(field+".type", v.Type, "path", "cpath")
	}
	return nil
}

// parseOCSPHTTPProxy reads `<address>[:<port>]`; an address with more
// than one colon (IPv6) is held whole, without a port.
func parseOCSPHTTPProxy(a []string) (OCSPHTTPProxy, bool) {
	if len(a) != 1 {
		return OCSPHTTPProxy{}, false
	}
	addr := a[0]
	if i := strings.LastIndexByte(addr, ':'); i > 0 && strings.Count(addr, ":") == 1 {
		n, err := strconv.ParseInt(addr[i+1:], 10, 64)
		if err != nil {
			return OCSPHTTPProxy{}, false
		}
		return OCSPHTTPProxy{Address: addr[:i], Port: &n}, true
	}
	return OCSPHTTPProxy{Address: addr}, true
}

func renderOCSPHTTPProxy(v OCSPHTTPProxy) []string {
	if v.Port != nil {
		return []string{v.Address + ":" + strconv.FormatInt(*v.Port, 10)}
	}
	return []string{v.Address}
}

func checkOCSPHTTPProxy(field string, v OCSPHTTPProxy) error {
	if err := checkWord(field+".address", v.Address); err != nil {
		return err
	}
	if v.Port != nil {
		if strings.Contains(v.Address, ":") {
			return invalid(field+".port", "cannot follow an IPv6 address")
		}
		return checkRange(field+".port", *v.Port, 1, 65535)
	}
	return nil
}

func appendIf(w []string, v string) []string {
	if v != "" {
		return append(w, v)
	}
	return w
}

// linesField: every `<kw> <args>` line as one item of a list, in order. A
// line parse cannot hold makes the field opaque: a change is refused
// rather than made by dropping it.
func linesField[T, V any](json string, kw []string, get func(*T) *[]V, parse func([]string) (V, bool),
	render func(V) []string, check func(string, V) error) sectionField[T] {
	return blockField(json, [][]string{kw}, get,
		func(lines []Line) ([]V, bool) {
			var out []V
			opaque := false
			for _, l := range lines {
				v, ok := parse(l.Words[len(kw):])
				if !ok {
					opaque = true
					continue
				}
				out = append(out, v)
			}
			return out, opaque
		},
		func(vs []V) [][]string {
			var out [][]string
			for _, v := range vs {
				out = append(out, append(cloneWords(kw), render(v)...))
			}
			return out
		},
		func(vs []V) error {
			for i, v := range vs {
				if err := check(fmt.Sprintf("%s[%d]", json, i), v); err != nil {
					return err
				}
			}
			return nil
		})
}

// lineField: the `<kw> <args>` line as one object (HAProxy keeps the last
// one; several lines make the field opaque).
func lineField[T, V any](json string, kw []string, get func(*T) **V, parse func([]string) (V, bool),
	render func(V) []string, check func(string, V) error) sectionField[T] {
	return blockField(json, [][]string{kw}, get,
		func(lines []Line) (*V, bool) {
			v, ok := parse(lines[len(lines)-1].Words[len(kw):])
			if !ok {
				return nil, true
			}
			return &v, len(lines) > 1
		},
		func(v *V) [][]string { return [][]string{append(cloneWords(kw), render(*v)...)} },
		func(v *V) error { return check(json, *v) })
}

// mappedWordField: `<kw> <word>`, each JSON value standing for one word
// (pairs of JSON value and word: "enabled" for `on`).
func mappedWordField[T any](json string, kw []string, pairs [][2]string, get func(*T) *string) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok && len(l.Words) == len(kw)+1 {
			for _, p := range pairs {
				if l.Words[len(kw)] == p[1] {
					*get(m) = p[0]
				}
			}
		}
	}
	var values []string
	for _, p := range pairs {
		values = append(values, p[0])
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *T) error {
			if v := *get(m); v != "" {
				return checkEnum(json, v, values...)
			}
			return nil
		},
		words: func(m *T) [][]string {
			for _, p := range pairs {
				if p[0] == *get(m) {
					return [][]string{append(cloneWords(kw), p[1])}
				}
			}
			return nil
		},
		same: sameAsRead(read, func(m *T) string { return *get(m) }),
	}
}

// flagEnumField: a bare keyword as "enabled"; "disabled" is no line (the
// keyword has no negative form).
func flagEnumField[T any](json string, kw []string, get func(*T) *string) sectionField[T] {
	var on bool
	f := flagField(json, kw, func(*T) *bool { return &on })
	read := func(s *Section, m *T) {
		if _, ok := lastMatch(s, kw); ok {
			*get(m) = "enabled"
		}
	}
	f.read = read
	f.check = func(m *T) error {
		if v := *get(m); v != "" {
			return checkEnum(json, v, onOff...)
		}
		return nil
	}
	f.words = func(m *T) [][]string {
		if *get(m) == "enabled" {
			return [][]string{cloneWords(kw)}
		}
		return nil
	}
	f.same = func(s *Section, m *T) bool {
		var cur T
		read(s, &cur)
		return (*get(&cur) == "enabled") == (*get(m) == "enabled")
	}
	return f
}
