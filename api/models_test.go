package api

// These tests tie the JSON schemas of api/openapi.yaml to the Go models of
// internal/config, so that neither can change without the other:
//
//   - every JSON field of a Go model is a property of its schema, with the
//     matching type, and every property is a field of the model (encoding/json
//     names, embedded structs flattened; schema-required fields are never
//     omitempty);
//   - a fully populated value of each model (every field set, checked by
//     reflection) marshals to JSON the schema accepts, and the Go code
//     accepts it too;
//   - every enum value and integer bound of the schema is accepted by the Go
//     validation;
//   - the schemas reject unknown properties and control characters in every
//     string field;
//   - what the Go code reads from a haproxy.cfg validates against the schemas.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"dataplane/internal/config"
)

func i64(n int64) *int64 { return &n }

func fullServerParams() config.ServerParams {
	return config.ServerParams{
		AgentCheck: "enabled", AgentAddr: "10.0.0.9", AgentInter: i64(5000), AgentPort: i64(5555), AgentSend: "hello",
		Alpn: "h2,http/1.1", Backup: "disabled", Check: "enabled", CheckSSL: "enabled", Cookie: "web1",
		CheckAlpn: "h2", CheckProto: "h2", CheckSNI: "health.example.com", ErrorLimit: i64(10), OnError: "mark-down",
		OnMarkedUp: "shutdown-backup-sessions",
		Downinter:  i64(10000), Fall: i64(3), Fastinter: i64(1000), HealthCheckAddress: "10.0.0.2", HealthCheckPort: i64(8081),
		InitAddr: "last,libc,none", Inter: i64(2000), Maintenance: "disabled", Maxconn: i64(100), Maxqueue: i64(50),
		Minconn: i64(10), Observe: "layer7", OnMarkedDown: "shutdown-sessions", Proto: "h2", ResolveNet: "10.0.0.0/8",
		ResolveOpts: "allow-dup-ip,ignore-weight", ResolvePrefer: "ipv4", Resolvers: "dns", Rise: i64(2),
		SendProxy: "disabled", SendProxyV2: "enabled", Slowstart: i64(30000), SNI: "req.hdr(host)", SSL: "enabled",
		SSLCafile: "/etc/ssl/ca.pem", SSLCertificate: "/etc/ssl/client.pem", Track: "be_other/web1", Verify: "required",
		Weight: i64(10), Ws: "auto",
		Allow0rtt: true, Cc: "cubic", CheckPoolConnName: "chk", CheckReusePool: "enabled", CheckSendProxy: "enabled",
		CheckSNIAuto: "disabled", CheckViaSocks4: "enabled", Ciphers: "ECDHE+AESGCM:!aNULL", Ciphersuites: "TLS_AES_128_GCM_SHA256",
		ClientSigalgs: "RSA+SHA256", CrlFile: "/etc/ssl/crl.pem", Curves: "X25519:P-256", ForceSslv3: "disabled",
		ForceTlsv10: "disabled", ForceTlsv11: "disabled", ForceTlsv12: "enabled", ForceTlsv13: "disabled", GUID: "srv-web1",
		HashKey: "addr-port", IdlePing: i64(5000), InitState: "fully-up", Ktls: "on", LogBufsize: i64(1024),
		LogProto: "octet-count", MaxReuse: i64(-1), Namespace: "ns1", NoSslv3: "enabled", NoTlsv10: "enabled",
		NoTlsv11: "enabled", NoTlsv12: "disabled", NoTlsv13: "disabled", NoVerifyhost: "disabled", Npn: "http/1.1",
		PoolConnName: "req.hdr(host)", PoolLowConn: i64(2), PoolMaxConn: i64(-1), PoolPurgeDelay: i64(5000),
		ProxyV2Options: []string{"ssl", "cert-cn", "unique-id"}, QuicCcAlgo: "cubic", QuicCcAlgoMaxWindow: i64(4096),
		Redir: "http://backup.example.com", Renegotiate: "disabled", SendProxyV2SSL: "enabled", SendProxyV2SSLCN: "disabled",
		SetProxyV2TLVFmt: &config.TLVFmt{ID: "0x20", Value: "%[fc_pp_tlv(0x20)]"}, Shard: i64(1), Sigalgs: "RSA+SHA256",
		SNIAuto: "enabled", Socks4: "127.0.0.1:1080", Source: "10.0.0.254", SSLMaxVer: "TLSv1.3", SSLMinVer: "TLSv1.2",
		SSLReuse: "enabled", Sslv3: "disabled", Stick: "enabled", StrictMaxconn: true, TCPMd5sig: "secret",
		TCPUt: i64(20000), Tfo: "disabled", TLSTickets: "enabled", Tlsv10: "disabled", Tlsv11: "disabled",
		Tlsv12: "enabled", Tlsv13: "enabled", Verifyhost: "web1.example.com",
	}
}

func fullServer() config.Server {
	return config.Server{Name: "web1", Address: "10.0.0.1", Port: i64(8080), ID: i64(1), ServerParams: fullServerParams()}
}

func fullBindParams() config.BindParams {
	return config.BindParams{
		AcceptProxy: true, Allow0rtt: true, Alpn: "h2,http/1.1", Backlog: "1024", CrtList: "/etc/haproxy/crt-list.txt",
		DeferAccept: true, ExposeFdListeners: true, Group: "haproxy", Interface: "eth0", Level: "admin", Maxconn: i64(1000),
		Mode: "660", Namespace: "ns1", SSL: true, SSLCafile: "/etc/haproxy/ca.pem", SSLCertificate: "/etc/haproxy/certs/",
		SSLMaxVer: "TLSv1.3", SSLMinVer: "TLSv1.2", StrictSNI: true, Tfo: true, Thread: "1-4", Transparent: true,
		User: "haproxy", V4v6: true, V6only: true, Verify: "optional",
		AcceptNetscalerCip: i64(1234), CaIgnoreErr: "all", CaSignFile: "/etc/haproxy/sign.pem", CaSignPass: "secret",
		CaVerifyFile: "/etc/haproxy/verify.pem", Cc: "bbr", Ciphers: "ECDHE+AESGCM:!aNULL", Ciphersuites: "TLS_AES_256_GCM_SHA384",
		ClientSigalgs: "ECDSA+SHA256", CrlFile: "/etc/haproxy/crl.pem", CrtIgnoreErr: "10,12", Curves: "X25519:P-256",
		DefaultCrtList: []string{"/etc/haproxy/rsa.pem", "/etc/haproxy/ecdsa.pem"}, Ecdhe: "prime256v1", ForceSslv3: true,
		ForceStrictSNI: "enabled", ForceTlsv10: true, ForceTlsv11: true, ForceTlsv12: true, ForceTlsv13: true,
		GenerateCertificates: true, Gid: i64(99), GUIDPrefix: "fe-https", ID: "10", IdlePing: i64(10000), Ktls: "off",
		Label: "public", Mss: "1400", Nbconn: i64(4), Nice: i64(-10), NoAlpn: true, NoCaNames: true, NoSslv3: true,
		NoStrictSNI: true, NoTLSTickets: true, NoTlsv10: true, NoTlsv11: true, NoTlsv12: true, NoTlsv13: true, Npn: "http/1.1",
		PreferClientCiphers: true, Proto: "h2", QuicCcAlgo: "bbr", QuicCcAlgoBurstSize: i64(10), QuicCcAlgoMaxWindow: i64(8192),
		QuicForceRetry: true, QuicSocket: "listener", SeverityOutput: "string", Shards: "by-thread", Sigalgs: "RSA+SHA256",
		Sslv3: "disabled", TCPMd5sig: "secret", TCPSs: i64(2), TCPUserTimeout: i64(30000),
		TLSTicketKeys: "/etc/haproxy/tickets.key", TLSTickets: "enabled", Tlsv10: "disabled", Tlsv11: "disabled",
		Tlsv12: "enabled", Tlsv13: "enabled", UID: "99",
	}
}

func fullBind() config.Bind {
	return config.Bind{Name: "https", Address: "0.0.0.0", Port: i64(8443), PortRangeEnd: i64(8444), BindParams: fullBindParams()}
}

func fullProxyCommon() config.ProxyCommon {
	return config.ProxyCommon{
		Mode: "http", HTTPConnectionMode: "http-keep-alive", HTTPKeepAliveTimeout: i64(1000), HTTPRequestTimeout: i64(5000),
		TarpitTimeout: i64(2000),
		Forwardfor:    &config.Forwardfor{Enabled: "enabled", Except: "127.0.0.0/8", Header: "X-Client-IP", Ifnone: true},
		LogTag:        "edge", Tcpka: "enabled", Enabled: true, Disabled: true,
		CommonMore: fullCommonMore(),
	}
}

func fullACL() config.ACL {
	return config.ACL{ACLName: "is_api", Criterion: "path_beg", Value: `-i /api "/v2 beta"`}
}

func fullFrontendOptions() config.FrontendOptions {
	return config.FrontendOptions{
		DefaultBackend: "be_app", Maxconn: i64(2000), Backlog: i64(1024), ClientTimeout: i64(30000),
		ClientFinTimeout: i64(1000), Httplog: true, Clflog: true, Tcplog: true,
		LogFormat:      "%ci:%cp [%tr] %ft %b/%s %ST %B",
		LogFormatSd:    "[exampleSDID@1234 bytes=%B status=%ST]",
		ErrorLogFormat: "%ci:%cp [%tr] %ft %ac/%fc",
		Dontlognull:    "enabled", Logasap: "disabled", MonitorURI: "/healthz",
		UniqueIDFormat: "%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid", UniqueIDHeader: "X-Unique-ID",
		Clitcpka: "enabled", ClitcpkaIdle: i64(60), ClitcpkaIntvl: i64(10), ClitcpkaCnt: i64(5),
		IdleCloseOnResponse: "enabled", FrontendMore: fullFrontendMore(),
	}
}

func fullBackendOptions() config.BackendOptions {
	sp := fullServerParams()
	return config.BackendOptions{
		Balance: &config.Balance{
			Algorithm: "roundrobin", HashExpression: "req.hdr(host)", HdrName: "host", HdrUseDomainOnly: true,
			RandomDraws: i64(2), RdpCookieName: "mstshash", URIDepth: i64(3), URILen: i64(64), URIPathOnly: true,
			URIWhole: true, URLParam: "userid", URLParamCheckPost: i64(64), URLParamMaxWait: i64(100),
		},
		DefaultServer: &sp,
		AdvCheck:      "httpchk",
		HttpchkParams: &config.HttpchkParams{Method: "GET", URI: "/health", Version: "HTTP/1.1", Host: "app.example.com"},
		CheckTimeout:  i64(2000), ConnectTimeout: i64(5000), ServerTimeout: i64(30000), ServerFinTimeout: i64(1000),
		QueueTimeout: i64(10000), TunnelTimeout: i64(3600000), Retries: i64(3),
		Redispatch: &config.Redispatch{Enabled: "enabled", Interval: i64(-1)},
		Cookie: &config.Cookie{
			Name: "SRVID", Type: "insert", Domain: []config.CookieValue{{Value: ".example.com"}},
			Attr: []config.CookieValue{{Value: "SameSite=Lax"}}, Dynamic: true, Httponly: true, Indirect: true,
			Maxidle: i64(3600), Maxlife: i64(86400), Nocache: true, Postonly: true, Preserve: true, Secure: true,
		},
		HashType:   &config.HashType{Method: "consistent", Function: "sdbm", Modifier: "avalanche"},
		Allbackups: "enabled", HTTPReuse: "safe", Srvtcpka: "enabled",
		HTTPPretendKeepalive: "enabled", PreferLastServer: "enabled", Persist: "enabled", Fullconn: i64(1000),
		LoadServerStateFromFile: "local", ExternalCheck: "disabled", LogHealthChecks: "enabled",
		BackendMore: fullBackendMore(),
	}
}

// fullItems are fully populated items of every collection, by item schema.
func fullItems() map[string]any {
	items := map[string]any{"server": fullServer(), "bind": fullBind(), "acl": fullACL(),
		"server_template": config.ServerTemplate{Prefix: "web", NumOrRange: "1-3", FQDN: "app.example.com", Port: i64(8080),
			ID: i64(1), ServerParams: fullServerParams()}}
	for _, r := range ruleModels {
		items[r.schema] = r.full
	}
	items["nameserver"], items["mailer_entry"] = fullNameserver(), fullMailerEntry()
	items["crt_load"] = fullCrtLoad()
	return items
}

// sectionKinds are the schemas of section kinds that hold collections.
var sectionKinds = map[string]string{"frontend": config.KindFrontend, "backend": config.KindBackend, "defaults": config.KindDefaults, "global": config.KindGlobal,
	"resolver": config.KindResolvers, "mailers_section": config.KindMailers,
	"crt_store": config.KindCrtStore, "healthcheck": config.KindHealthcheck}

// fullSectionJSON is the JSON of a section model as a full_section read
// answers it: the model's fields, and one fully populated item of each of
// its kind's collections under the collection's property.
func fullSectionJSON(m any, kind string) map[string]any {
	out := toJSONValue(m).(map[string]any)
	for _, c := range config.CollectionsOf(kind) {
		info := c.Info()
		item, ok := fullItems()[info.Schema]
		if !ok {
			panic("fullItems has no " + info.Schema + ": add a fully populated one")
		}
		if info.Positional {
			out[info.FullSectionOf(kind)] = []any{toJSONValue(item)}
			continue
		}
		name, _ := toJSONValue(item).(map[string]any)["name"].(string)
		out[info.FullSectionOf(kind)] = map[string]any{name: toJSONValue(item)}
	}
	return out
}

// withoutChildren is schema s without the full_section properties of the
// collections of kind: the Go model of a section does not hold them, the
// handlers add them (TestFullSectionChildren checks those properties).
func withoutChildren(s *openapi3.Schema, kind string) *openapi3.Schema {
	c := *s
	c.Properties = openapi3.Schemas{}
	for k, v := range s.Properties {
		c.Properties[k] = v
	}
	for _, coll := range config.CollectionsOf(kind) {
		delete(c.Properties, coll.Info().FullSectionOf(kind))
	}
	return &c
}

func toJSONValue(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func fullFrontend() config.Frontend {
	return config.Frontend{
		Name: "fe_main", From: "d1", Description: `Public "edge" entry point`, ID: i64(10),
		ProxyCommon: fullProxyCommon(), FrontendOptions: fullFrontendOptions(),
		FrontendOnly: &config.FrontendOnly{GUID: "fe-main", MonitorFail: &config.CondRule{Cond: "if", CondTest: "{ nbsrv(be_app) eq 0 }"},
			StickTable: fullStickTable()},
	}
}

func fullBackend() config.Backend {
	return config.Backend{
		Name: "be_app", From: "d1", Description: "Application servers", ID: i64(20), ServerStateFileName: "be_app",
		ProxyCommon: fullProxyCommon(), BackendOptions: fullBackendOptions(),
		BackendOnly: &config.BackendOnly{
			ForcePersist:      &config.CondRule{Cond: "if", CondTest: "is_admin"},
			ForcePersistList:  []config.CondRule{{Cond: "if", CondTest: "is_admin"}, {Cond: "unless", CondTest: "is_bot"}},
			GUID:              "be-app",
			HTTPNoDelay:       "enabled",
			IgnorePersist:     &config.CondRule{Cond: "unless", CondTest: "has_cookie"},
			IgnorePersistList: []config.CondRule{{Cond: "if", CondTest: "is_static"}, {Cond: "unless", CondTest: "has_cookie"}},
			SpopCheck:         "disabled",
			StickTable:        fullStickTable(),
			UseFcgiApp:        "php",
		},
	}
}

func fullDefaults() config.Defaults {
	return config.Defaults{
		Name: "d2", From: "d1", ProxyCommon: fullProxyCommon(), FrontendOptions: fullFrontendOptions(),
		BackendOptions: fullBackendOptions(),
	}
}

// sectionVariants are more valid proxy sections, for the fields that depend
// on another one (the arguments of each health check, the usesrc forms).
func sectionVariants() map[string][]any {
	withCheck := func(b config.BackendOptions) []config.BackendOptions {
		var out []config.BackendOptions
		for _, set := range []func(o *config.BackendOptions){
			func(o *config.BackendOptions) {
				o.AdvCheck, o.MysqlCheckParams = "mysql-check", &config.MysqlCheckParams{Username: "haproxy", ClientVersion: "post-41"}
			},
			func(o *config.BackendOptions) {
				o.AdvCheck, o.PgsqlCheckParams = "pgsql-check", &config.PgsqlCheckParams{Username: "haproxy"}
			},
			func(o *config.BackendOptions) {
				o.AdvCheck, o.SmtpchkParams = "smtpchk", &config.SmtpchkParams{Hello: "EHLO", Domain: "example.com"}
			},
			func(o *config.BackendOptions) {
				o.Source = &config.Source{Address: "10.0.0.1", Usesrc: "hdr_ip", Hdr: "X-Forwarded-For", Occ: "-1"}
			},
		} {
			o := b
			o.HttpchkParams = nil
			more := *o.BackendMore
			o.BackendMore = &more
			set(&o)
			if o.AdvCheck == "httpchk" {
				o.HttpchkParams = b.HttpchkParams
			}
			out = append(out, o)
		}
		return out
	}
	var backends, defaults []any
	for _, o := range withCheck(fullBackendOptions()) {
		b := fullBackend()
		b.BackendOptions = o
		backends = append(backends, b)
		d := fullDefaults()
		d.BackendOptions = o
		defaults = append(defaults, d)
	}
	return map[string][]any{"backend": backends, "defaults": defaults, "healthcheck": healthcheckVariants()}
}

func fullCommonMore() *config.CommonMore {
	desc, node, realm := "Edge stats", "lb1", "HAProxy"
	return &config.CommonMore{
		Abortonclose: "enabled", HTTPBufferRequest: "enabled",
		Compression: &config.Compression{
			AlgoReq: "gzip", Algorithms: []string{"gzip", "deflate"}, AlgosRes: []string{"gzip"}, Direction: "both",
			MinsizeReq: i64(1024), MinsizeRes: i64(2048), Offload: true, Types: []string{"text/html", "text/plain"},
			TypesReq: []string{"application/json"}, TypesRes: []string{"text/css"},
		},
		EmailAlert:               &config.EmailAlert{From: "haproxy@example.com", To: "ops@example.com", Mailers: "mta", Level: "alert", Myhostname: "lb1"},
		ErrorFiles:               []config.Errorfile{{Code: 503, File: "/etc/haproxy/errors/503.http"}, {Code: 404, File: "/etc/haproxy/errors/404.http"}},
		ErrorfilesFromHTTPErrors: []config.Errorfiles{{Name: "site_errors", Codes: []int64{500, 502}}, {Name: "other_errors", Codes: []int64{503}}},
		Errorloc302:              &config.Errorloc{Code: 403, URL: "https://example.com/forbidden"},
		Errorloc303:              &config.Errorloc{Code: 429, URL: "https://example.com/slow-down"},
		Forwarded: &config.Forwarded{Enabled: "enabled", Proto: true, Host: true, HostExpr: "req.hdr(host)", By: true,
			ByExpr: "str(lb1)", ByPort: true, ByPortExpr: "dst_port", For: true, ForExpr: "src", ForPort: true, ForPortExpr: "src_port"},
		HTTPRestrictReqHdrNames: "reject", IndependentStreams: "enabled", Nolinger: "disabled",
		Originalto: &config.Originalto{Enabled: "enabled", Except: "127.0.0.0/8", Header: "X-Original-To"},
		SpliceAuto: "enabled", SpliceRequest: "disabled", SpliceResponse: "enabled",
		StatsOptions: &config.StatsOptions{
			StatsAdmin: true, StatsAdminCond: "if", StatsAdminCondTest: "LOCALHOST",
			StatsAuths:  []config.StatsAuth{{User: "admin", Passwd: "secret"}, {User: "ops", Passwd: "s3cret"}},
			StatsEnable: true, StatsHideVersion: true,
			StatsHTTPRequests: []config.StatsHTTPRequest{{Type: "auth", Realm: "Stats", Cond: "unless", CondTest: "LOCALHOST"}},
			StatsMaxconn:      i64(10), StatsRealm: true, StatsRealmRealm: &realm, StatsRefreshDelay: i64(10),
			StatsShowDesc: &desc, StatsShowLegends: true, StatsShowModules: true, StatsShowNodeName: &node,
			StatsShowVersion: true, StatsURIPrefix: "/stats",
		},
	}
}

func fullFrontendMore() *config.FrontendMore {
	return &config.FrontendMore{
		AcceptInvalidHTTPRequest: "enabled", AcceptUnsafeViolationsInHTTPRequest: "disabled", Contstats: "enabled",
		DisableH2Upgrade: "enabled", DontlogNormal: "enabled", H1CaseAdjustBogusClient: "enabled",
		HTTPDropResponseTrailers: "enabled", HTTPIgnoreProbes: "enabled", HTTPNoDelay: "enabled",
		HTTPUseProxyHeader: "enabled", Httpslog: "enabled", LogSeparateErrors: "enabled",
		LogSteps: []string{"accept", "close"}, SocketStats: "enabled", TCPSmartAccept: "disabled",
	}
}

func fullBackendMore() *config.BackendMore {
	return &config.BackendMore{
		AcceptInvalidHTTPResponse: "enabled", AcceptUnsafeViolationsInHTTPResponse: "disabled", Checkcache: "enabled",
		DynamicCookieKey: "s3cr3t", ExternalCheckCommand: "/usr/local/bin/check.sh", ExternalCheckPath: "/usr/bin:/bin",
		H1CaseAdjustBogusServer: "enabled", HashBalanceFactor: i64(150), HashPreserveAffinity: "maxqueue",
		HTTPDropRequestTrailers: "enabled", HTTPSendNameHeader: "X-Server", MaxKeepAliveQueue: i64(5),
		PersistRule: &config.PersistRule{Type: "rdp-cookie", RdpCookieName: "msts"},
		RetryOn:     "conn-failure empty-response 503",
		Source: &config.Source{Address: "10.0.0.1", Port: i64(1025), Usesrc: "address", AddressSecond: "10.0.0.2",
			PortSecond: i64(2000), Interface: "eth0"},
		SrvtcpkaCnt: i64(3), SrvtcpkaIdle: i64(30), SrvtcpkaIntvl: i64(5), TCPSmartConnect: "enabled", Transparent: "disabled",
		UseSmallBuffers: &config.UseSmallBuffers{Enabled: "enabled", Queue: true, L7Retries: true, Check: true},
	}
}

func fullStickTable() *config.ConfigStickTable {
	return &config.ConfigStickTable{Type: "ip", Keylen: i64(16), Size: i64(1048576), Expire: i64(30000), Nopurge: true,
		Peers: "mypeers", Srvkey: "addr", WriteTo: "other_table", RecvOnly: true, Store: "http_req_rate(10s),conn_cnt"}
}

func fullGlobalMore() *config.GlobalMore {
	return &config.GlobalMore{
		CPUAffinity:   &config.CPUAffinity{Affinity: "per-core", Argument: "loose"},
		CPUSet:        []config.CPUSetDirective{{Directive: "drop-cpu", Set: "0-1"}, {Directive: "only-node", Set: "0"}},
		ClusterSecret: "s3cr3t", CPUPolicy: "performance", DNSAcceptFamily: "ipv4,ipv6", ExposeDeprecatedDirectives: true,
		ExposeExperimentalDirectives: true, ForceCfgParserPause: i64(1000), H1AcceptPayloadWithAnyMethod: true,
		H1CaseAdjust:     []config.H1CaseAdjust{{From: "content-length", To: "Content-Length"}},
		H1CaseAdjustFile: "/etc/haproxy/h1-case.txt", H1DoNotCloseOnInsecureTransferEncoding: true,
		H2WorkaroundBogusWebsocketClients: true, HTTPErrCodes: []config.HTTPCodes{{Value: "400-499 +500"}},
		HTTPFailCodes: []config.HTTPCodes{{Value: "500-599,-501"}}, InsecureForkWanted: true, InsecureSetuidWanted: true,
		LimitedQuic: true, MaxThreadsPerGroup: i64(32), NoQuic: true, NumaCPUMapping: "enabled", Pp2NeverSendLocal: true,
		PreallocFd: true, SetDumpable: true, SetVar: []config.GlobalSetVar{{Name: "proc.limit", Expr: "int(100)"}},
		SetVarFmt: []config.GlobalSetVarFmt{{Name: "proc.boot", Format: `"%[date]"`}}, Setcap: "cap_net_bind_service",
		ShmStatsFile: "/dev/shm/haproxy-stats", ShmStatsFileMaxObjects: i64(1000), StatsCalculateMaxCounters: "enabled",
		StatsFile: "/var/lib/haproxy/stats", StrictLimits: true,
		ThreadGroupLines: []config.ThreadGroup{{Group: "1", NumOrRange: "1-4"}}, WarnBlockedTrafficAfter: i64(100),
	}
}

func fullGlobal() config.Global {
	return config.Global{
		Daemon: true, MasterWorker: true, MworkerMaxReloads: i64(5), Nbthread: i64(4), ThreadGroups: i64(1),
		Pidfile: "/run/haproxy.pid", User: "haproxy", Group: "haproxy", UID: i64(99), GID: i64(99), Chroot: "/var/empty",
		Description: "Edge proxy", Node: "lb1", Localpeer: "lb1", StatsTimeout: i64(30000), StatsMaxconn: i64(10),
		HardStopAfter: i64(60000), Grace: i64(1000), CloseSpreadTime: i64(5000), UlimitN: i64(100000), ExternalCheck: true,
		LogSendHostname: &config.LogSendHostname{Enabled: "enabled", Param: "lb1"},
		DefaultPath:     &config.DefaultPath{Type: "origin", Path: "/etc/haproxy"},
		CPUMaps:         []config.CPUMap{{Process: "1/all", CPUSet: "0-3"}},
		RuntimeAPIs:     []config.RuntimeAPI{{Address: "/run/haproxy/admin.sock", Name: "admin", BindParams: fullBindParams()}},
		PerformanceOptions: &config.PerformanceOptions{
			Maxconn: i64(100000), Maxconnrate: i64(1000), Maxsessrate: i64(1000), Maxcomprate: i64(100),
			Maxcompcpuusage: i64(50), Maxpipes: i64(1000), Maxzlibmem: i64(64), SpreadChecks: i64(5),
			MaxSpreadChecks: i64(2000), BusyPolling: true, Noepoll: true, Nopoll: true, Nosplice: true,
			Nogetaddrinfo: true, Noreuseport: true, ServerStateFile: "/var/lib/haproxy/state", ServerStateBase: "/var/lib/haproxy",
			FDHardLimit: i64(50000), Noevports: true, Nokqueue: true, Noktls: true, ProfilingMemory: "disabled", ProfilingTasks: "auto", ThreadHardLimit: i64(64),
		},
		SSLOptions: &config.SSLOptions{
			DefaultBindCiphers:      "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
			DefaultBindCiphersuites: "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
			DefaultBindOptions:      "ssl-min-ver TLSv1.2 no-tls-tickets",
			DefaultServerCiphers:    "ECDHE-RSA-AES128-GCM-SHA256", DefaultServerCiphersuites: "TLS_AES_128_GCM_SHA256",
			DefaultServerOptions: "ssl-min-ver TLSv1.2", CaBase: "/etc/ssl/certs", CrtBase: "/etc/ssl/private",
			DhParamFile: "/etc/haproxy/dhparam.pem", ServerVerify: "required", Maxsslconn: i64(1000), Maxsslrate: i64(100),
			AcmeScheduler: "auto", DefaultBindClientSigalgs: "ECDSA+SHA256:RSA+SHA256", DefaultBindCurves: "X25519:P-256", DefaultBindSigalgs: "RSA+SHA256:ECDSA+SHA256", DefaultServerClientSigalgs: "ECDSA+SHA256:RSA+SHA256", DefaultServerCurves: "X25519:P-256", DefaultServerSigalgs: "RSA+SHA256:ECDSA+SHA256", Engines: []config.SSLEngine{{Name: "rdrand", Algorithms: "RAND"}}, IssuersChainPath: "/etc/ssl/issuers", LoadExtraFiles: "bundle sctl", ModeAsync: "enabled", PassphraseCmd: "/usr/local/bin/pass.sh", Propquery: "provider=default", Provider: "default", ProviderPath: "/usr/lib/ossl-modules", SecurityLevel: i64(2), SkipSelfIssuedCA: true,
		},
		TuneBufferOptions: &config.TuneBufferOptions{Bufsize: i64(16384), BuffersLimit: i64(1000), BuffersReserve: i64(10), Pipesize: i64(65536),
			BufsizeLarge: i64(65536), BufsizeSmall: i64(1024), RcvbufBackend: i64(65536), SndbufBackend: i64(65536), RcvbufClient: i64(65536), SndbufClient: i64(65536), RcvbufFrontend: i64(65536), SndbufFrontend: i64(65536), RcvbufServer: i64(65536), SndbufServer: i64(65536), RecvEnough: i64(10240)},
		TuneOptions: &config.TuneOptions{Maxrewrite: i64(1024), HTTPMaxhdr: i64(101), Maxaccept: i64(64), Maxpollevents: i64(200),
			AppletZeroCopyForwarding: "enabled", CliMaxPayloadSize: i64(65536), CompMaxlevel: i64(5), DefaultsPurge: true, DisableFastForward: true, DisableZeroCopyForwarding: true, EpollMaskEvents: []string{"err", "hup"}, EventsMaxEventsAtOnce: i64(100), FailAlloc: true, FDEdgeTriggered: "enabled", GlitchesKillCPUUsage: i64(50), H1BeGlitchesThreshold: i64(100), H1FeGlitchesThreshold: i64(100), H1ZeroCopyFwdRecv: "enabled", H1ZeroCopyFwdSend: "enabled", H2BeGlitchesThreshold: i64(100), H2BeInitialWindowSize: i64(65535), H2BeMaxConcurrentStreams: i64(100), H2BeMaxFramesAtOnce: i64(100), H2BeRxbuf: i64(65536), H2FeGlitchesThreshold: i64(100), H2FeInitialWindowSize: i64(65535), H2FeMaxConcurrentStreams: i64(100), H2FeMaxFramesAtOnce: i64(100), H2FeMaxRstAtOnce: i64(100), H2FeMaxTotalStreams: i64(1000), H2FeRxbuf: i64(65536), H2HeaderTableSize: i64(4096), H2InitialWindowSize: i64(65535), H2LogErrors: "connection", H2MaxConcurrentStreams: i64(100), H2MaxFrameSize: i64(16384), H2ZeroCopyFwdSend: "enabled", HTTPCookielen: i64(64), HTTPLogurilen: i64(1024), IdlePoolShared: "enabled", Idletimer: i64(1000), ListenerDefaultShards: "by-process", ListenerMultiQueue: "enabled", MaxChecksPerThread: i64(10), MaxRulesAtOnce: i64(100), MemoryHotSize: i64(524288), NotsentLowatClient: i64(16384), NotsentLowatServer: i64(16384), PatternCacheSize: i64(10000), PeersMaxUpdatesAtOnce: i64(200), PoolHighFDRatio: i64(25), PoolLowFDRatio: i64(20), PtZeroCopyForwarding: "enabled", ReniceRuntime: i64(5), ReniceStartup: i64(5), RingQueues: i64(4), RunqueueDepth: i64(200), SchedLowLatency: "enabled", StickCounters: i64(3), TakeoverOtherTGConnections: "restricted"},
		GlobalMore:             fullGlobalMore(),
		DebugOptions:           &config.DebugOptions{Anonkey: i64(25), Quiet: true, StressLevel: i64(1), ZeroWarning: true},
		DeviceAtlasOptions:     &config.DeviceAtlasOptions{JSONFile: "/etc/haproxy/atlas.json", LogLevel: "1", PropertiesCookie: "DAPROPS", Separator: "|"},
		EnvironmentOptions:     &config.EnvironmentOptions{Presetenv: []config.EnvVar{{Name: "TZ", Value: "UTC"}}, Resetenv: "HOME PATH", Setenv: []config.EnvVar{{Name: "APP_ENV", Value: `"production build"`}}, Unsetenv: "DEBUG TRACE"},
		FiftyOneDegreesOptions: &config.FiftyOneDegreesOptions{CacheSize: i64(10000), DataFile: "/etc/haproxy/51d.dat", PropertyNameList: "IsMobile DeviceType", PropertySeparator: ","},
		HTTPClientOptions:      &config.HTTPClientOptions{ResolversDisabled: "disabled", ResolversID: "dns", ResolversPrefer: "ipv4", Retries: i64(3), SSLCAFile: "/etc/ssl/certs/ca-certificates.crt", SSLVerify: "required", TimeoutConnect: i64(2000)},
		LuaOptions:             &config.LuaOptions{LoadPerThread: "/etc/haproxy/per-thread.lua", Loads: []config.LuaLoad{{File: "/etc/haproxy/a.lua"}}, PrependPath: []config.LuaPrependPath{{Path: "/usr/share/lua/?.lua", Type: "cpath"}}},
		OCSPUpdateOptions:      &config.OCSPUpdateOptions{Disable: boolPtr(true), Httpproxy: &config.OCSPHTTPProxy{Address: "127.0.0.1", Port: i64(3128)}, Maxdelay: i64(3600), Mindelay: i64(300), Mode: "enabled"},
		TuneLuaOptions:         &config.TuneLuaOptions{BoolSampleConversion: "normal", BurstTimeout: i64(1000), ForcedYield: i64(10000), LogLoggers: "enabled", LogStderr: "auto", Maxmem: i64(64), Openlibs: "string,math", ServiceTimeout: i64(4000), SessionTimeout: i64(4000), TaskTimeout: i64(4000)},
		TuneQuicOptions:        &config.TuneQuicOptions{FrontendConnTXBuffersLimit: i64(10), FrontendMaxIdleTimeout: i64(30000), FrontendMaxStreamsBidi: i64(100), FrontendMaxTXMemory: i64(1048576), FrontendStreamMaxTotal: i64(1000), MaxFrameLoss: i64(10), ReorderRatio: i64(50), RetryThreshold: i64(100), SocketOwner: "connection", ZeroCopyFwdSend: "enabled"},
		TuneSSLOptions:         &config.TuneSSLOptions{Cachesize: i64(20000), CaptureBufferSize: i64(96), CertificateCompression: "auto", CtxCacheSize: i64(1000), DefaultDHParam: i64(2048), ForcePrivateCache: true, Keylog: "enabled", Lifetime: i64(300), Maxrecord: i64(1419), OCSPUpdateMaxDelay: i64(3600), OCSPUpdateMinDelay: i64(300)},
		TuneVarsOptions:        &config.TuneVarsOptions{GlobalMaxSize: i64(1048576), ProcMaxSize: i64(1048576), ReqresMaxSize: i64(1048576), SessMaxSize: i64(1048576), TxnMaxSize: i64(1048576)},
		TuneZlibOptions:        &config.TuneZlibOptions{Memlevel: i64(8), Windowsize: i64(15)},
		WurflOptions:           &config.WurflOptions{CacheSize: i64(100000), DataFile: "/etc/haproxy/wurfl.zip", InformationList: "wurfl_id model_name", InformationListSeparator: ",", PatchFile: "/etc/haproxy/wurfl-patch.xml"},
		Harden:                 &config.Harden{RejectPrivilegedPorts: &config.HardenRejectPrivilegedPorts{Quic: "enabled", TCP: "disabled"}},
	}
}

// goCheck runs a model through the Go validation of its create operation.
type goCheck func(t *testing.T, v any) error

func parseDoc(t *testing.T, cfg string) *config.Document {
	t.Helper()
	d, err := config.Parse([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const baseConfig = "defaults d1\n    mode http\nfrontend fe\n    mode http\nbackend be\n    mode http\n"

type modelCase struct {
	schema string
	value  any // a fully populated model
	check  goCheck
	// fix drops the fields that are only valid together with a value
	// TestSchemaValuesAcceptedByGo changed.
	fix func(body map[string]any)
}

// addACL runs a through the Go validation of POST .../acls/{index} and
// reads it back: what the schema accepts must be written and read as is.
func addACL(t *testing.T, v any) error {
	a := *v.(*config.ACL)
	fe := config.Parent{Kind: config.KindFrontend, Name: "fe"}
	d, _, err := config.ACLs.Add(parseDoc(t, baseConfig), fe, config.Key{Index: 0}, a)
	if err != nil {
		return err
	}
	got, err := config.ACLs.Item(d, fe, config.Key{Index: 0})
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(got, a) {
		return fmt.Errorf("wrote %+v, read back %+v", a, got)
	}
	return nil
}

// replaceGlobal runs g through the Go validation of PUT global.
func replaceGlobal(t *testing.T, g config.Global) error {
	_, err := parseDoc(t, "global\n    daemon\n"+baseConfig).ReplaceGlobal(g)
	return err
}

// globalPart checks one nested object of global in a fully populated global.
func globalPart[T any](set func(g *config.Global, v T)) goCheck {
	return func(t *testing.T, v any) error {
		g := fullGlobal()
		set(&g, *v.(*T))
		return replaceGlobal(t, g)
	}
}

func fixHttpchk(body map[string]any) {
	// The arguments of a check go with their check.
	for check, params := range map[string]string{"mysql-check": "mysql_check_params", "pgsql-check": "pgsql_check_params", "smtpchk": "smtpchk_params"} {
		p, ok := body[params].(map[string]any)
		if !ok {
			continue
		}
		body["adv_check"] = check
		p["username"] = "haproxy" // client_version needs it
		if check == "smtpchk" {
			p["hello"], p["domain"] = "EHLO", "example.com"
		}
	}
	if body["adv_check"] != "httpchk" {
		delete(body, "httpchk_params") // needs adv_check httpchk
	}
	// The single forms are in their lists (they name the same lines).
	for _, f := range []string{"force_persist", "ignore_persist"} {
		if v, ok := body[f]; ok {
			body[f+"_list"] = []any{v}
		}
	}
	if u, ok := body["use_small_buffers"].(map[string]any); ok && u["enabled"] == "disabled" {
		body["use_small_buffers"] = map[string]any{"enabled": "disabled"}
	}
	if src, ok := body["source"].(map[string]any); ok {
		if src["usesrc"] != "address" {
			delete(src, "address_second")
			delete(src, "port_second")
		}
		if src["usesrc"] == "hdr_ip" {
			src["hdr"] = "X-Forwarded-For"
		}
	}
}

func fixDefaultPath(body map[string]any) {
	if body["type"] != "origin" {
		delete(body, "path") // only with type origin
	}
}

func modelCases() []modelCase {
	cases := allModelCases()
	for i := range cases {
		cases[i].value = withMetadata(cases[i].value)
	}
	return cases
}

func allModelCases() []modelCase {
	return append(append(ruleModelCases(), newKindModelCases()...), []modelCase{
		{"server", fullServer(), func(t *testing.T, v any) error {
			_, err := config.Servers.At(config.KindBackend, "be").Create(parseDoc(t, baseConfig), *v.(*config.Server))
			return err
		}, nil},
		{"server_params", fullServerParams(), func(t *testing.T, v any) error {
			s := fullServer()
			s.ServerParams = *v.(*config.ServerParams)
			_, err := config.Servers.At(config.KindBackend, "be").Create(parseDoc(t, baseConfig), s)
			return err
		}, nil},
		{"bind", fullBind(), func(t *testing.T, v any) error {
			_, err := config.Binds.At(config.KindFrontend, "fe").Create(parseDoc(t, baseConfig), *v.(*config.Bind))
			return err
		}, func(body map[string]any) {
			if fmt.Sprint(body["port"]) != fmt.Sprint(*fullBind().Port) {
				delete(body, "port-range-end") // must be above port
			}
		}},
		{"bind_params", fullBindParams(), func(t *testing.T, v any) error {
			b := fullBind()
			b.BindParams = *v.(*config.BindParams)
			_, err := config.Binds.At(config.KindFrontend, "fe").Create(parseDoc(t, baseConfig), b)
			return err
		}, nil},
		{"acl", fullACL(), addACL, nil},
		{"frontend", fullFrontend(), func(t *testing.T, v any) error {
			_, err := parseDoc(t, baseConfig).CreateFrontend(*v.(*config.Frontend))
			return err
		}, nil},
		{"backend", fullBackend(), func(t *testing.T, v any) error {
			_, err := parseDoc(t, baseConfig).CreateBackend(*v.(*config.Backend))
			return err
		}, fixHttpchk},
		{"defaults", fullDefaults(), func(t *testing.T, v any) error {
			_, err := parseDoc(t, baseConfig).CreateDefaults(*v.(*config.Defaults))
			return err
		}, fixHttpchk},
		{"global", fullGlobal(), func(t *testing.T, v any) error {
			return replaceGlobal(t, *v.(*config.Global))
		}, func(body map[string]any) { fixDefaultPath(body["default_path"].(map[string]any)) }},
		{"runtime_api", fullGlobal().RuntimeAPIs[0], globalPart(func(g *config.Global, v config.RuntimeAPI) { g.RuntimeAPIs[0] = v }), nil},
		{"log_send_hostname", *fullGlobal().LogSendHostname, globalPart(func(g *config.Global, v config.LogSendHostname) { g.LogSendHostname = &v }), nil},
		{"default_path", *fullGlobal().DefaultPath, globalPart(func(g *config.Global, v config.DefaultPath) { g.DefaultPath = &v }), fixDefaultPath},
		{"cpu_map", fullGlobal().CPUMaps[0], globalPart(func(g *config.Global, v config.CPUMap) { g.CPUMaps[0] = v }), nil},
		{"performance_options", *fullGlobal().PerformanceOptions, globalPart(func(g *config.Global, v config.PerformanceOptions) { g.PerformanceOptions = &v }), nil},
		{"ssl_options", *fullGlobal().SSLOptions, globalPart(func(g *config.Global, v config.SSLOptions) { g.SSLOptions = &v }), nil},
		{"tune_buffer_options", *fullGlobal().TuneBufferOptions, globalPart(func(g *config.Global, v config.TuneBufferOptions) { g.TuneBufferOptions = &v }), nil},
		{"tune_options", *fullGlobal().TuneOptions, globalPart(func(g *config.Global, v config.TuneOptions) { g.TuneOptions = &v }), nil},
		{"debug_options", *fullGlobal().DebugOptions, globalPart(func(g *config.Global, v config.DebugOptions) { g.DebugOptions = &v }), nil},
		{"device_atlas_options", *fullGlobal().DeviceAtlasOptions, globalPart(func(g *config.Global, v config.DeviceAtlasOptions) { g.DeviceAtlasOptions = &v }), nil},
		{"environment_options", *fullGlobal().EnvironmentOptions, globalPart(func(g *config.Global, v config.EnvironmentOptions) { g.EnvironmentOptions = &v }), nil},
		{"fifty_one_degrees_options", *fullGlobal().FiftyOneDegreesOptions, globalPart(func(g *config.Global, v config.FiftyOneDegreesOptions) { g.FiftyOneDegreesOptions = &v }), nil},
		{"http_client_options", *fullGlobal().HTTPClientOptions, globalPart(func(g *config.Global, v config.HTTPClientOptions) { g.HTTPClientOptions = &v }), nil},
		{"lua_options", *fullGlobal().LuaOptions, globalPart(func(g *config.Global, v config.LuaOptions) { g.LuaOptions = &v }), nil},
		{"ocsp_update_options", *fullGlobal().OCSPUpdateOptions, globalPart(func(g *config.Global, v config.OCSPUpdateOptions) { g.OCSPUpdateOptions = &v }), nil},
		{"tune_lua_options", *fullGlobal().TuneLuaOptions, globalPart(func(g *config.Global, v config.TuneLuaOptions) { g.TuneLuaOptions = &v }), nil},
		{"tune_quic_options", *fullGlobal().TuneQuicOptions, globalPart(func(g *config.Global, v config.TuneQuicOptions) { g.TuneQuicOptions = &v }), nil},
		{"tune_ssl_options", *fullGlobal().TuneSSLOptions, globalPart(func(g *config.Global, v config.TuneSSLOptions) { g.TuneSSLOptions = &v }), nil},
		{"tune_vars_options", *fullGlobal().TuneVarsOptions, globalPart(func(g *config.Global, v config.TuneVarsOptions) { g.TuneVarsOptions = &v }), nil},
		{"tune_zlib_options", *fullGlobal().TuneZlibOptions, globalPart(func(g *config.Global, v config.TuneZlibOptions) { g.TuneZlibOptions = &v }), nil},
		{"wurfl_options", *fullGlobal().WurflOptions, globalPart(func(g *config.Global, v config.WurflOptions) { g.WurflOptions = &v }), nil},
		{"harden", *fullGlobal().Harden, globalPart(func(g *config.Global, v config.Harden) { g.Harden = &v }), nil},
		{"harden_reject_privileged_ports", *fullGlobal().Harden.RejectPrivilegedPorts, globalPart(func(g *config.Global, v config.HardenRejectPrivilegedPorts) { g.Harden.RejectPrivilegedPorts = &v }), nil},
		{"cpu_affinity", *fullGlobalMore().CPUAffinity, globalPart(func(g *config.Global, v config.CPUAffinity) { g.CPUAffinity = &v }), nil},
		{"cpu_set_directive", fullGlobalMore().CPUSet[0], globalPart(func(g *config.Global, v config.CPUSetDirective) { g.CPUSet[0] = v }), nil},
		{"ssl_engine", fullGlobal().SSLOptions.Engines[0], globalPart(func(g *config.Global, v config.SSLEngine) { g.SSLOptions.Engines[0] = v }), nil},
		{"env_var", fullGlobal().EnvironmentOptions.Setenv[0], globalPart(func(g *config.Global, v config.EnvVar) { g.EnvironmentOptions.Setenv[0] = v }), nil},
		{"lua_load", fullGlobal().LuaOptions.Loads[0], globalPart(func(g *config.Global, v config.LuaLoad) { g.LuaOptions.Loads[0] = v }), nil},
		{"lua_prepend_path", fullGlobal().LuaOptions.PrependPath[0], globalPart(func(g *config.Global, v config.LuaPrependPath) { g.LuaOptions.PrependPath[0] = v }), nil},
		{"ocsp_update_httpproxy", *fullGlobal().OCSPUpdateOptions.Httpproxy, globalPart(func(g *config.Global, v config.OCSPHTTPProxy) { g.OCSPUpdateOptions.Httpproxy = &v }), nil},
		{"resolver", fullResolver(), func(t *testing.T, v any) error {
			return createSection(t, "resolvers", v)
		}, nil},
		{"nameserver", fullNameserver(), func(t *testing.T, v any) error {
			_, err := config.Nameservers.At(config.KindResolvers, "dns").Create(parseDoc(t, otherSectionsConfig), *v.(*config.Nameserver))
			return err
		}, nil},
		{"cache", config.Cache{Name: "c2", MaxAge: i64(60), MaxObjectSize: i64(10000), MaxSecondaryEntries: i64(10), ProcessVary: boolPtr(true), TotalMaxSize: i64(4)},
			func(t *testing.T, v any) error { return createSection(t, "caches", v) }, nil},
		{"http_errors_section", config.HTTPErrorsSection{Name: "he2", ErrorFiles: []config.ErrorFile{{Code: 503, File: "/e/503.http"}}},
			func(t *testing.T, v any) error { return createSection(t, "http_errors_sections", v) }, nil},
		{"errorfile", config.ErrorFile{Code: 404, File: "/e/404.http"}, func(t *testing.T, v any) error {
			return createSection(t, "http_errors_sections", &config.HTTPErrorsSection{Name: "he2", ErrorFiles: []config.ErrorFile{*v.(*config.ErrorFile)}})
		}, nil},
		{"mailers_section", config.MailersSection{Name: "ml2", Timeout: i64(10000)},
			func(t *testing.T, v any) error { return createSection(t, "mailers_section", v) }, nil},
		{"mailer_entry", fullMailerEntry(), func(t *testing.T, v any) error {
			_, err := config.MailerEntries.At(config.KindMailers, "ml").Create(parseDoc(t, otherSectionsConfig), *v.(*config.MailerEntry))
			return err
		}, nil},
		// Covered through backend and defaults by the Go checks.
		{"balance", *fullBackendOptions().Balance, nil, nil},
		{"httpchk_params", *fullBackendOptions().HttpchkParams, nil, nil},
		{"redispatch", *fullBackendOptions().Redispatch, nil, nil},
		{"forwardfor", *fullProxyCommon().Forwardfor, nil, nil},
		{"cookie", *fullBackendOptions().Cookie, nil, nil},
		{"cookie_value", fullBackendOptions().Cookie.Domain[0], nil, nil},
		{"hash_type", *fullBackendOptions().HashType, nil, nil},
	}...)
}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func schemaOf(t *testing.T, doc *openapi3.T, name string) *openapi3.Schema {
	t.Helper()
	ref, ok := doc.Components.Schemas[name]
	if !ok || ref.Value == nil {
		t.Fatalf("components.schemas.%s is missing", name)
	}
	return ref.Value
}

// toJSON marshals v with encoding/json and decodes it generically, as a
// request body is decoded before validation.
func toJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestModelsMatchSchemas(t *testing.T) {
	doc := loadSpec(t)
	for _, c := range modelCases() {
		t.Run(c.schema, func(t *testing.T) {
			s := schemaOf(t, doc, c.schema)
			body := toJSON(t, c.value)
			if kind, ok := sectionKinds[c.schema]; ok {
				compareShape(t, c.schema, reflect.TypeOf(c.value), withoutChildren(s, kind))
				body = fullSectionJSON(c.value, kind)
			} else {
				compareShape(t, c.schema, reflect.TypeOf(c.value), s)
			}
			var variants []reflect.Value
			for _, o := range variantsOf(c.schema) {
				variants = append(variants, reflect.ValueOf(o))
				if err := s.VisitJSON(toJSON(t, o)); err != nil {
					t.Errorf("the %s variant %+v does not match its schema: %v", c.schema, o, err)
				}
				if c.check != nil {
					v := reflect.New(reflect.TypeOf(o))
					v.Elem().Set(reflect.ValueOf(o))
					if err := c.check(t, v.Interface()); err != nil {
						t.Errorf("the Go code refuses the %s variant %+v: %v", c.schema, o, err)
					}
				}
			}
			assertFull(t, c.schema, reflect.ValueOf(c.value), variants...)
			if err := s.VisitJSON(body); err != nil {
				t.Fatalf("the fully populated %s does not match its schema: %v", c.schema, err)
			}
			if c.check != nil {
				v := reflect.New(reflect.TypeOf(c.value))
				v.Elem().Set(reflect.ValueOf(c.value))
				if err := c.check(t, v.Interface()); err != nil {
					t.Fatalf("the Go code refuses the fully populated %s: %v", c.schema, err)
				}
			}
		})
	}
}

func TestListSchemas(t *testing.T) {
	doc := loadSpec(t)
	for _, r := range ruleModels {
		list := append([]any{r.full}, r.variants...)
		if err := schemaOf(t, doc, r.list).VisitJSON(toJSON(t, list)); err != nil {
			t.Errorf("%s: %v", r.list, err)
		}
	}
	for name, v := range map[string]any{
		"frontends":         []any{fullSectionJSON(fullFrontend(), config.KindFrontend)},
		"backends":          []any{fullSectionJSON(fullBackend(), config.KindBackend)},
		"defaults_sections": []any{fullSectionJSON(fullDefaults(), config.KindDefaults)},
		"servers":           []config.Server{fullServer()},
		"binds":             []config.Bind{fullBind()},
		"acls":              []config.ACL{fullACL(), {ACLName: "is_api", Criterion: "src"}},
	} {
		if err := schemaOf(t, doc, name).VisitJSON(toJSON(t, v)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := schemaOf(t, doc, name).VisitJSON([]any{}); err != nil {
			t.Errorf("%s: empty list: %v", name, err)
		}
	}
}

// TestSchemasRejectBadBodies: unknown properties and control characters in
// string fields never get past the schema.
func TestSchemasRejectBadBodies(t *testing.T) {
	doc := loadSpec(t)
	for _, c := range modelCases() {
		t.Run(c.schema, func(t *testing.T) {
			s := schemaOf(t, doc, c.schema)
			body := toJSON(t, c.value).(map[string]any)
			body["no_such_field"] = "x"
			if err := s.VisitJSON(body); err == nil {
				t.Error("a body with an unknown property was accepted")
			}
			for _, name := range sortedKeys(s.Properties) {
				p := s.Properties[name].Value
				if !p.Type.Is("string") {
					continue
				}
				if p.Pattern == "" && len(p.Enum) == 0 {
					t.Errorf("%s: string without a pattern or an enum", name)
				}
				for _, bad := range []string{"a\nb", "a\rb", "a\x00b", "a\tb"} {
					body := toJSON(t, c.value).(map[string]any)
					body[name] = bad
					if err := s.VisitJSON(body); err == nil {
						t.Errorf("%s: %q was accepted", name, bad)
					}
				}
			}
		})
	}
	// Path parameters: names, and bind names that are address tokens.
	params := doc.Components.Parameters
	for _, p := range []string{"name", "parent_name", "bind_name"} {
		s := params[p].Value.Schema.Value
		for _, bad := range []string{"a\nb", "a b", ""} {
			if s.VisitJSON(bad) == nil {
				t.Errorf("parameter %s accepts %q", p, bad)
			}
		}
	}
	// kin-openapi checks path parameters percent-encoded: clients that
	// encode ':' (encodeURIComponent does) must get through.
	for _, p := range []string{"name", "parent_name"} {
		s := params[p].Value.Schema.Value
		for _, good := range []string{"be_app", "be:x", "be%3Ax", "be%3ax", "unnamed_defaults_1"} {
			if err := s.VisitJSON(good); err != nil {
				t.Errorf("parameter %s refuses %q: %v", p, good, err)
			}
		}
		for _, bad := range []string{"be%20x", "be%0Ax", "be/x"} {
			if s.VisitJSON(bad) == nil {
				t.Errorf("parameter %s accepts %q", p, bad)
			}
		}
	}
	bind := params["bind_name"].Value.Schema.Value
	for _, bad := range []string{"a%0Ab", "a%20b", "a%22b", "a%23b", "a%3Bb", "a%2Cb", "a%5Cb", "a%7Fb", "a%00b", "a;b"} {
		if bind.VisitJSON(bad) == nil {
			t.Errorf("parameter bind_name accepts %q", bad)
		}
	}
	for _, good := range []string{":443", "*:80", "[::]:443", "/run/x.sock", "127.0.0.1:8000-8010", "ipv4@0.0.0.0:80", "https", "%3A443", "%2Frun%2Fx.sock", "%5B%3A%3A%5D%3A443", "%2A%3A80", "caf%C3%A9"} {
		if err := bind.VisitJSON(good); err != nil {
			t.Errorf("parameter bind_name refuses %q: %v", good, err)
		}
	}
}

// TestSchemaValuesAcceptedByGo: each enum value and integer bound the schema
// allows is also accepted by the Go validation.
func TestSchemaValuesAcceptedByGo(t *testing.T) {
	doc := loadSpec(t)
	for _, c := range modelCases() {
		if c.check == nil {
			continue
		}
		t.Run(c.schema, func(t *testing.T) {
			s := schemaOf(t, doc, c.schema)
			for _, vc := range valueCases(s, nil) {
				body := toJSON(t, c.value).(map[string]any)
				setPath(body, vc.path, vc.value)
				if c.fix != nil {
					c.fix(body)
				}
				b, _ := json.Marshal(body)
				v := reflect.New(reflect.TypeOf(c.value))
				if err := json.Unmarshal(b, v.Interface()); err != nil {
					t.Fatal(err)
				}
				if err := s.VisitJSON(toJSON(t, v.Interface())); err != nil {
					t.Errorf("%s=%v: schema: %v", strings.Join(vc.path, "."), vc.value, err)
					continue
				}
				if err := c.check(t, v.Interface()); err != nil {
					t.Errorf("%s=%v is valid in the schema but the Go code refuses it: %v", strings.Join(vc.path, "."), vc.value, err)
				}
			}
		})
	}
}

// TestReadModelsMatchSchemas: what the Go code reads from a configuration
// file validates against the schemas (responses are validated in tests).
func TestReadModelsMatchSchemas(t *testing.T) {
	doc := loadSpec(t)
	d := parseDoc(t, `global
    daemon
    master-worker
    nbthread 4
    cpu-map 1/all 0-3
    cpu-map auto:1/1-4 0 1 2 3
    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners
    stats socket ipv4@127.0.0.1:9999 level operator
    stats timeout 30s
    log-send-hostname
    default-path config
    maxconn 4096
    tune.bufsize 32k
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384
defaults
    mode http
    timeout connect 5s
defaults d1
    mode tcp
    option redispatch
    balance uri depth 3 whole
    default-server inter 2s fall 3 check
frontend fe from d1
    mode http
    acl is_api path_beg -i /api
    acl is_api hdr(host) -m end .api.example.com
    acl local src 127.0.0.1 ::1
    acl has_body req.body_size gt 0
    acl bare always_true
    bind :443 ssl crt /etc/haproxy/site.pem alpn h2,http/1.1
    bind [::]:80 v6only
    bind *:8080
    bind /run/haproxy/fe.sock mode 600 user haproxy
    bind 127.0.0.1:8000-8010 name range
    option forwardfor except 127.0.0.0/8 if-none
    option httplog clf
    default_backend be
    timeout client 1m
backend be
    balance hdr(host) use_domain_only
    hash-type consistent sdbm avalanche
    cookie SRV insert indirect nocache domain .example.com
    option httpchk GET /health HTTP/1.1
    server s1 10.0.0.1:80 check inter 2s weight 10 disabled
    server s2 /run/app.sock
    server s3 [2001:db8::1]:8080 send-proxy-v2
`)
	check := func(name string, v any) {
		t.Helper()
		if err := schemaOf(t, doc, name).VisitJSON(toJSON(t, v)); err != nil {
			t.Errorf("%s read from the file: %v\n%s", name, err, mustJSON(v))
		}
	}
	binds, err := config.Binds.At(config.KindFrontend, "fe").List(d)
	if err != nil {
		t.Fatal(err)
	}
	servers, err := config.Servers.At(config.KindBackend, "be").List(d)
	if err != nil {
		t.Fatal(err)
	}
	acls, err := config.ACLs.Items(d, config.Parent{Kind: config.KindFrontend, Name: "fe"})
	if err != nil {
		t.Fatal(err)
	}
	if len(acls) != 5 {
		t.Fatalf("acls read back as %s", mustJSON(acls))
	}
	g, err := d.Global()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.RuntimeAPIs) != 2 || len(g.CPUMaps) != 2 || g.PerformanceOptions == nil {
		t.Fatalf("global read back as %s", mustJSON(g))
	}
	check("global", g)
	check("binds", binds)
	check("servers", servers)
	check("acls", acls)
	check("frontends", d.Frontends())
	check("backends", d.Backends())
	check("defaults_sections", d.DefaultsSections())
	fe := toJSONValue(d.Frontends()[0]).(map[string]any)
	byName := map[string]any{}
	for _, b := range binds {
		byName[b.Name] = b
	}
	fe["binds"], fe["acl_list"] = byName, acls
	check("frontend", fe)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type valueCase struct {
	path  []string
	value any
}

// valueCases lists, for every property of s (and of the objects it
// holds, but not of maps and arrays), each enum value and each integer
// bound.
func valueCases(s *openapi3.Schema, prefix []string) []valueCase {
	var out []valueCase
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name].Value
		path := append(append([]string(nil), prefix...), name)
		switch {
		case len(p.Enum) > 0:
			for _, e := range p.Enum {
				out = append(out, valueCase{path, e})
			}
		case p.Type.Is("integer"):
			if name == "port-range-end" {
				continue // bounded by port as well
			}
			if p.Min != nil {
				out = append(out, valueCase{path, int64(*p.Min)})
			}
			if p.Max != nil {
				out = append(out, valueCase{path, int64(*p.Max)})
			}
		case p.Type.Is("object") && len(p.Properties) > 0:
			out = append(out, valueCases(p, path)...)
		}
	}
	return out
}

func setPath(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{} // an object the full value leaves out (a variant has it)
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type goField struct {
	name      string
	typ       reflect.Type
	omitempty bool
}

// jsonFields lists the JSON fields of a struct as encoding/json writes
// them, embedded structs flattened.
func jsonFields(t reflect.Type) []goField {
	var out []goField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem() // a group of rarer fields, held by pointer
			}
			out = append(out, jsonFields(et)...)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, goField{name: name, typ: f.Type, omitempty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}

// compareShape checks that Go type typ and schema s describe the same JSON.
func compareShape(t *testing.T, path string, typ reflect.Type, s *openapi3.Schema) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := map[reflect.Kind]string{
		reflect.String: "string", reflect.Bool: "boolean", reflect.Int64: "integer",
		reflect.Struct: "object", reflect.Map: "object", reflect.Slice: "array",
	}[typ.Kind()]
	if typ.Kind() == reflect.Interface {
		return // any JSON value: the values of metadata
	}
	if want == "" {
		t.Errorf("%s: Go type %s has no JSON schema mapping in this test", path, typ)
		return
	}
	if !s.Type.Is(want) {
		t.Errorf("%s: Go %s is JSON %s, schema says %v", path, typ, want, s.Type.Slice())
		return
	}
	switch typ.Kind() {
	case reflect.Slice:
		compareShape(t, path+"[]", typ.Elem(), s.Items.Value)
	case reflect.Map:
		if s.AdditionalProperties.Schema == nil {
			t.Errorf("%s: Go map, schema has no additionalProperties schema", path)
			return
		}
		compareShape(t, path+"{}", typ.Elem(), s.AdditionalProperties.Schema.Value)
	case reflect.Struct:
		if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
			t.Errorf("%s: object schema without additionalProperties: false", path)
		}
		fields := jsonFields(typ)
		seen := map[string]bool{}
		for _, f := range fields {
			if seen[f.name] {
				t.Errorf("%s: Go JSON field %q is defined twice (encoding/json drops both)", path, f.name)
			}
			seen[f.name] = true
			p, ok := s.Properties[f.name]
			if !ok {
				t.Errorf("%s: Go field %q is not in the schema", path, f.name)
				continue
			}
			compareShape(t, path+"."+f.name, f.typ, p.Value)
		}
		for _, name := range sortedKeys(s.Properties) {
			if !seen[name] {
				t.Errorf("%s: schema property %q is not a field of Go %s", path, name, typ)
			}
		}
		for _, r := range s.Required {
			for _, f := range fields {
				if f.name == r && f.omitempty {
					t.Errorf("%s: %q is required in the schema but omitempty in Go", path, r)
				}
			}
		}
	}
}

// withMetadata returns v with metadata when its type carries it
// (config.Meta embedded), so that every model's metadata goes through its
// schema and the Go write and read like its other fields: a plain comment
// and an object whose text holds what a comment must not end on.
func withMetadata(v any) any {
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	if !config.HasMetadata(p.Interface()) {
		return v
	}
	p.Elem().FieldByName("Metadata").Set(reflect.ValueOf(config.Metadata{
		"comment": "rack A",
		"owner":   map[string]any{"team": "web # ops\nserver evil 1.2.3.4:80"},
	}))
	return p.Elem().Interface()
}

// assertFull fails on any zero field, so that a new Go field cannot be
// left out of the fully populated values (and so of the schema checks).
func assertFull(t *testing.T, path string, v reflect.Value, variants ...reflect.Value) {
	t.Helper()
	missing := map[string]bool{}
	unset(path, v, func(p string) { missing[p] = true })
	// A field set in one of the variants (a model whose fields depend on
	// its type has one fully populated value per type) is covered.
	for _, o := range variants {
		set := map[string]bool{}
		unset(path, o, func(p string) { set[p] = true })
		for p := range missing {
			if !set[p] {
				delete(missing, p)
			}
		}
	}
	for _, p := range sortedKeys(missing) {
		t.Errorf("%s is not set in the fully populated value", p)
	}
}

// unset reports the paths of the fields of v that are zero.
func unset(path string, v reflect.Value, report func(string)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			report(path)
			return
		}
		unset(path, v.Elem(), report)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" {
				name = tag
			}
			if f.Anonymous {
				unset(path, v.Field(i), report)
			} else {
				unset(path+"."+name, v.Field(i), report)
			}
		}
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			report(path)
			return
		}
		if v.Kind() == reflect.Slice {
			for i := 0; i < v.Len(); i++ {
				unset(fmt.Sprintf("%s[%d]", path, i), v.Index(i), report)
			}
		} else {
			for _, k := range v.MapKeys() {
				unset(fmt.Sprintf("%s[%v]", path, k), v.MapIndex(k), report)
			}
		}
	default:
		if v.IsZero() {
			report(path)
		}
	}
}

// otherSectionsConfig holds one section of each kind the child models
// of resolvers and mailers sections are created in.
const otherSectionsConfig = `resolvers dns
    nameserver ns1 10.0.0.2:53

mailers ml
    mailer m1 10.0.0.25:25
`

func fullResolver() config.Resolver {
	return config.Resolver{Name: "dns2", AcceptedPayloadSize: i64(8192), HoldNx: i64(30000), HoldObsolete: i64(30000),
		HoldOther: i64(30000), HoldRefused: i64(30000), HoldTimeout: i64(30000), HoldValid: i64(10000),
		ParseResolvConf: true, ResolveRetries: i64(3), TimeoutResolve: i64(1000), TimeoutRetry: i64(1000)}
}

// createSection creates the section v (a *T of the kind at path) in a
// copy of otherSectionsConfig.
func createSection(t *testing.T, path string, v any) error {
	for _, sec := range config.SectionResources() {
		if sec.Info().Path == path {
			_, _, err := sec.Create(parseDoc(t, otherSectionsConfig), v)
			return err
		}
	}
	t.Fatalf("no section kind at %s", path)
	return nil
}

func boolPtr(b bool) *bool { return &b }

func fullNameserver() config.Nameserver {
	return config.Nameserver{Name: "ns2", Address: "10.0.0.3", Port: i64(53)}
}

func fullMailerEntry() config.MailerEntry {
	return config.MailerEntry{Name: "m2", Address: "10.0.0.26", Port: 587}
}
