package config

import (
	"strings"
)

// GlobalMore are the rarer top-level fields of the global section, held
// by pointer like the proxies' rarer fields (see proxy_more.go): flat in
// JSON, one nil pointer when the section has none of them. Most are not
// known to HAProxy 2.6; they are written, and `haproxy -c` refuses them.
type GlobalMore struct {
	ClusterSecret                          string            `json:"cluster_secret,omitempty"`
	CPUAffinity                            *CPUAffinity      `json:"cpu_affinity,omitempty"`
	CPUSet                                 []CPUSetDirective `json:"cpu_set,omitempty"`
	CPUPolicy                              string            `json:"cpu_policy,omitempty"`
	DNSAcceptFamily                        string            `json:"dns_accept_family,omitempty"`
	ExposeDeprecatedDirectives             bool              `json:"expose_deprecated_directives,omitempty"`
	ExposeExperimentalDirectives           bool              `json:"expose_experimental_directives,omitempty"`
	ForceCfgParserPause                    *int64            `json:"force_cfg_parser_pause,omitempty"`
	H1AcceptPayloadWithAnyMethod           bool              `json:"h1_accept_payload_with_any_method,omitempty"`
	H1CaseAdjust                           []H1CaseAdjust    `json:"h1_case_adjust,omitempty"`
	H1CaseAdjustFile                       string            `json:"h1_case_adjust_file,omitempty"`
	H1DoNotCloseOnInsecureTransferEncoding bool              `json:"h1_do_not_close_on_insecure_transfer_encoding,omitempty"`
	H2WorkaroundBogusWebsocketClients      bool              `json:"h2_workaround_bogus_websocket_clients,omitempty"`
	HTTPErrCodes                           []HTTPCodes       `json:"http_err_codes,omitempty"`
	HTTPFailCodes                          []HTTPCodes       `json:"http_fail_codes,omitempty"`
	InsecureForkWanted                     bool              `json:"insecure_fork_wanted,omitempty"`
	InsecureSetuidWanted                   bool              `json:"insecure_setuid_wanted,omitempty"`
	LimitedQuic                            bool              `json:"limited_quic,omitempty"`
	MaxThreadsPerGroup                     *int64            `json:"max_threads_per_group,omitempty"`
	NoQuic                                 bool              `json:"no_quic,omitempty"`
	NumaCPUMapping                         string            `json:"numa_cpu_mapping,omitempty"`
	Pp2NeverSendLocal                      bool              `json:"pp2_never_send_local,omitempty"`
	PreallocFd                             bool              `json:"prealloc_fd,omitempty"`
	SetDumpable                            bool              `json:"set_dumpable,omitempty"`
	SetVar                                 []GlobalSetVar    `json:"set_var,omitempty"`
	SetVarFmt                              []GlobalSetVarFmt `json:"set_var_fmt,omitempty"`
	Setcap                                 string            `json:"setcap,omitempty"`
	ShmStatsFile                           string            `json:"shm_stats_file,omitempty"`
	ShmStatsFileMaxObjects                 *int64            `json:"shm_stats_file_max_objects,omitempty"`
	StatsCalculateMaxCounters              string            `json:"stats_calculate_max_counters,omitempty"`
	StatsFile                              string            `json:"stats_file,omitempty"`
	StrictLimits                           bool              `json:"strict_limits,omitempty"`
	ThreadGroupLines                       []ThreadGroup     `json:"thread_group_lines,omitempty"`
	WarnBlockedTrafficAfter                *int64            `json:"warn_blocked_traffic_after,omitempty"`
}

// H1CaseAdjust is `h1-case-adjust <from> <to>`.
type H1CaseAdjust struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// HTTPCodes is the value of `http-err-codes` or `http-fail-codes`
// (`400-499,+404 -405`), written verbatim.
type HTTPCodes struct {
	Value string `json:"value"`
}

// GlobalSetVar is `set-var <name> <expression>`.
type GlobalSetVar struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// GlobalSetVarFmt is `set-var-fmt <name> <format>`.
type GlobalSetVarFmt struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

// ThreadGroup is `thread-group <group> <num_or_range>`.
type ThreadGroup struct {
	Group      string `json:"group"`
	NumOrRange string `json:"num_or_range"`
}

var cpuPolicies = []string{"none", "efficiency", "first-usable-node", "group-by-2-ccx", "group-by-2-clusters", "group-by-3-ccx",
	"group-by-3-clusters", "group-by-4-ccx", "group-by-4-cluster", "group-by-ccx", "group-by-cluster", "performance", "resource"}

var globalMoreFields = fieldSet[GlobalMore]{
	wordField("cluster_secret", []string{"cluster-secret"}, nil, func(m *GlobalMore) *string { return &m.ClusterSecret }),
	cpuAffinityField(),
	cpuSetField(),
	wordField("cpu_policy", []string{"cpu-policy"}, cpuPolicies, func(m *GlobalMore) *string { return &m.CPUPolicy }),
	wordField("dns_accept_family", []string{"dns-accept-family"}, nil, func(m *GlobalMore) *string { return &m.DNSAcceptFamily }),
	flagField("expose_deprecated_directives", []string{"expose-deprecated-directives"}, func(m *GlobalMore) *bool { return &m.ExposeDeprecatedDirectives }),
	flagField("expose_experimental_directives", []string{"expose-experimental-directives"}, func(m *GlobalMore) *bool { return &m.ExposeExperimentalDirectives }),
	durationField("force_cfg_parser_pause", []string{"force-cfg-parser-pause"}, "ms", func(m *GlobalMore) **int64 { return &m.ForceCfgParserPause }),
	flagField("h1_accept_payload_with_any_method", []string{"h1-accept-payload-with-any-method"}, func(m *GlobalMore) *bool { return &m.H1AcceptPayloadWithAnyMethod }),
	pairListField("h1_case_adjust", []string{"h1-case-adjust"}, func(m *GlobalMore) *[]H1CaseAdjust { return &m.H1CaseAdjust },
		func(a, b string) H1CaseAdjust { return H1CaseAdjust{a, b} }, func(v H1CaseAdjust) (string, string) { return v.From, v.To }, false),
	wordField("h1_case_adjust_file", []string{"h1-case-adjust-file"}, nil, func(m *GlobalMore) *string { return &m.H1CaseAdjustFile }),
	flagField("h1_do_not_close_on_insecure_transfer_encoding", []string{"h1-do-not-close-on-insecure-transfer-encoding"}, func(m *GlobalMore) *bool { return &m.H1DoNotCloseOnInsecureTransferEncoding }),
	flagField("h2_workaround_bogus_websocket_clients", []string{"h2-workaround-bogus-websocket-clients"}, func(m *GlobalMore) *bool { return &m.H2WorkaroundBogusWebsocketClients }),
	httpCodesField("http_err_codes", "http-err-codes", func(m *GlobalMore) *[]HTTPCodes { return &m.HTTPErrCodes }),
	httpCodesField("http_fail_codes", "http-fail-codes", func(m *GlobalMore) *[]HTTPCodes { return &m.HTTPFailCodes }),
	flagField("insecure_fork_wanted", []string{"insecure-fork-wanted"}, func(m *GlobalMore) *bool { return &m.InsecureForkWanted }),
	flagField("insecure_setuid_wanted", []string{"insecure-setuid-wanted"}, func(m *GlobalMore) *bool { return &m.InsecureSetuidWanted }),
	flagField("limited_quic", []string{"limited-quic"}, func(m *GlobalMore) *bool { return &m.LimitedQuic }),
	intField("max_threads_per_group", []string{"max-threads-per-group"}, 1, 4096, func(m *GlobalMore) **int64 { return &m.MaxThreadsPerGroup }),
	flagField("no_quic", []string{"no-quic"}, func(m *GlobalMore) *bool { return &m.NoQuic }),
	keywordToggleField("numa_cpu_mapping", []string{"numa-cpu-mapping"}, func(m *GlobalMore) *string { return &m.NumaCPUMapping }),
	flagField("pp2_never_send_local", []string{"pp2-never-send-local"}, func(m *GlobalMore) *bool { return &m.Pp2NeverSendLocal }),
	flagField("prealloc_fd", []string{"prealloc-fd"}, func(m *GlobalMore) *bool { return &m.PreallocFd }),
	flagField("set_dumpable", []string{"set-dumpable"}, func(m *GlobalMore) *bool { return &m.SetDumpable }),
	pairListField("set_var", []string{"set-var"}, func(m *GlobalMore) *[]GlobalSetVar { return &m.SetVar },
		func(a, b string) GlobalSetVar { return GlobalSetVar{a, b} }, func(v GlobalSetVar) (string, string) { return v.Name, v.Expr }, true),
	pairListField("set_var_fmt", []string{"set-var-fmt"}, func(m *GlobalMore) *[]GlobalSetVarFmt { return &m.SetVarFmt },
		func(a, b string) GlobalSetVarFmt { return GlobalSetVarFmt{a, b} }, func(v GlobalSetVarFmt) (string, string) { return v.Name, v.Format }, true),
	wordField("setcap", []string{"setcap"}, nil, func(m *GlobalMore) *string { return &m.Setcap }),
	wordField("shm_stats_file", []string{"shm-stats-file"}, nil, func(m *GlobalMore) *string { return &m.ShmStatsFile }),
	intField("shm_stats_file_max_objects", []string{"shm-stats-file-max-objects"}, 0, maxInt31, func(m *GlobalMore) **int64 { return &m.ShmStatsFileMaxObjects }),
	onOffField("stats_calculate_max_counters", []string{"stats", "calculate-max-counters"}, func(m *GlobalMore) *string { return &m.StatsCalculateMaxCounters }),
	wordField("stats_file", []string{"stats-file"}, nil, func(m *GlobalMore) *string { return &m.StatsFile }),
	flagField("strict_limits", []string{"strict-limits"}, func(m *GlobalMore) *bool { return &m.StrictLimits }),
	pairListField("thread_group_lines", []string{"thread-group"}, func(m *GlobalMore) *[]ThreadGroup { return &m.ThreadGroupLines },
		func(a, b string) ThreadGroup { return ThreadGroup{a, b} }, func(v ThreadGroup) (string, string) { return v.Group, v.NumOrRange }, false),
	durationField("warn_blocked_traffic_after", []string{"warn-blocked-traffic-after"}, "ms", func(m *GlobalMore) **int64 { return &m.WarnBlockedTrafficAfter }),
}

// keywordToggleField: `<kw>` -> "enabled", `no <kw>` -> "disabled".
func keywordToggleField[T any](json string, kw []string, get func(*T) *string) sectionField[T] {
	off := append([]string{"no"}, kw...)
	return blockField(json, [][]string{kw, off}, get,
		func(lines []Line) (string, bool) {
			l := lines[len(lines)-1]
			if l.Words[0] == "no" {
				return "disabled", len(l.Words) != len(off) || len(lines) > 1
			}
			return "enabled", len(l.Words) != len(kw) || len(lines) > 1
		},
		func(v string) [][]string {
			if v == "disabled" {
				return [][]string{off}
			}
			return [][]string{cloneWords(kw)}
		},
		func(v string) error { return checkEnum(json, v, onOff...) })
}

// onOffField: `<kw> on|off` as "enabled" or "disabled".
func onOffField[T any](json string, kw []string, get func(*T) *string) sectionField[T] {
	return blockField(json, [][]string{kw}, get,
		func(lines []Line) (string, bool) {
			l := lines[len(lines)-1]
			switch {
			case len(l.Words) != len(kw)+1:
			case l.Words[len(kw)] == "on":
				return "enabled", len(lines) > 1
			case l.Words[len(kw)] == "off":
				return "disabled", len(lines) > 1
			}
			return "", true
		},
		func(v string) [][]string {
			w := "off"
			if v == "enabled" {
				w = "on"
			}
			return [][]string{append(cloneWords(kw), w)}
		},
		func(v string) error { return checkEnum(json, v, onOff...) })
}

// pairListField: every `<kw> <a> <b>` line, in order; with rest, b is the
// rest of the line (an expression or a format), written verbatim.
func pairListField[T any, V any](json string, kw []string, get func(*T) *[]V, make func(a, b string) V, split func(V) (string, string), rest bool) sectionField[T] {
	return blockField(json, [][]string{kw}, get,
		func(lines []Line) ([]V, bool) {
			var out []V
			opaque := false
			for _, l := range lines {
				w := l.Words[len(kw):]
				if len(w) < 2 || (!rest && len(w) != 2) {
					opaque = true
					continue
				}
				out = append(out, make(w[0], strings.Join(w[1:], " ")))
			}
			return out, opaque
		},
		func(v []V) [][]string {
			var out [][]string
			for _, x := range v {
				a, b := split(x)
				bw := []string{b}
				if rest {
					bw, _ = splitWords(b)
				}
				out = append(out, append(append(cloneWords(kw), a), bw...))
			}
			return out
		},
		func(v []V) error {
			for _, x := range v {
				a, b := split(x)
				if err := checkWord(json, a); err != nil {
					return err
				}
				check := checkWord
				if rest {
					check = checkText
				}
				if err := check(json, b); err != nil {
					return err
				}
			}
			return nil
		})
}

// httpCodesField: every `<kw> <codes...>` line, each value the rest of
// its line.
func httpCodesField(json, kw string, get func(*GlobalMore) *[]HTTPCodes) sectionField[GlobalMore] {
	return blockField(json, [][]string{{kw}}, get,
		func(lines []Line) ([]HTTPCodes, bool) {
			var out []HTTPCodes
			opaque := false
			for _, l := range lines {
				if len(l.Words) < 2 {
					opaque = true
					continue
				}
				out = append(out, HTTPCodes{Value: strings.Join(l.Words[1:], " ")})
			}
			return out, opaque
		},
		func(v []HTTPCodes) [][]string {
			var out [][]string
			for _, c := range v {
				w, _ := splitWords(c.Value)
				out = append(out, append([]string{kw}, w...))
			}
			return out
		},
		func(v []HTTPCodes) error {
			for _, c := range v {
				if err := checkText(json, c.Value); err != nil {
					return err
				}
				if strings.Trim(c.Value, "0123456789 +-,") != "" {
					return invalid(json, "%q must hold status codes and ranges (digits, spaces, +, -, commas)", c.Value)
				}
			}
			return nil
		})
}
