package config

import (
	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// LogTarget is a `log` line (`log <address> [len <n>] [format <f>]
// [sample <range>:<size>] <facility> [<level> [<minlevel>]]`, `log global`)
// or a `no log` line, the Data Plane API v3 `log_target` model.
type LogTarget struct {
	Address     string `json:"address,omitempty"`
	Facility    string `json:"facility,omitempty"`
	Format      string `json:"format,omitempty"`
	Global      bool   `json:"global,omitempty"`
	Length      int64  `json:"length,omitempty"`
	Level       string `json:"level,omitempty"`
	Minlevel    string `json:"minlevel,omitempty"`
	Nolog       bool   `json:"nolog,omitempty"`
	SampleRange string `json:"sample_range,omitempty"`
	SampleSize  int64  `json:"sample_size,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// LogTargets are the `log` and `no log` lines of the global section,
// frontends, backends, defaults, peers and log-forward sections, in order.
var LogTargets = ruleList(&Collection[LogTarget]{
	Name: "log target", Path: "log_targets", OpName: "LogTarget", Tag: "LogTarget", Schema: "log_target", Keyword: "log",
	Prefixes:    [][]string{{"log"}, {"no", "log"}},
	Parents:     []string{KindFrontend, KindBackend, KindDefaults, KindGlobal, KindPeers, KindLogForward},
	FullSection: "log_target_list",
	Parse: func(l Line) (LogTarget, bool) {
		t, ok := cpParse[types.Log](&parsers.Log{}, l)
		return LogTarget{Address: t.Address, Facility: t.Facility, Format: t.Format, Global: t.Global,
			Length: t.Length, Level: t.Level, Minlevel: t.MinLevel, Nolog: t.NoLog,
			SampleRange: t.SampleRange, SampleSize: t.SampleSize}, ok
	},
	Render: func(m *LogTarget, _ *Line) []string {
		return cpWords(&parsers.Log{}, &types.Log{Address: m.Address, Facility: m.Facility, Format: m.Format,
			Global: m.Global, Length: m.Length, Level: m.Level, MinLevel: m.Minlevel, NoLog: m.Nolog,
			SampleRange: m.SampleRange, SampleSize: m.SampleSize})
	},
	Check: checkLogTarget,
}, func(m *LogTarget) *Unmodelled { return &m.Unmodelled })

var (
	logFacilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
		"auth2", "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
		"local5", "local6", "local7"}
	logLevels  = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
	logFormats = []string{"local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"}
)

func checkLogTarget(m *LogTarget) error {
	switch {
	case m.Global && m.Nolog:
		return invalid("global", "a log target is `log global` or `no log`, not both")
	case m.Global:
		return onlyFields(m, "`log global`", "global")
	case m.Nolog:
		return onlyFields(m, "`no log`", "nolog")
	}
	if err := checkOneWord("address", m.Address); err != nil {
		return err
	}
	if err := checkEnum("facility", m.Facility, logFacilities...); err != nil {
		return err
	}
	if m.Format != "" {
		if err := checkEnum("format", m.Format, logFormats...); err != nil {
			return err
		}
	}
	if m.Level != "" {
		if err := checkEnum("level", m.Level, logLevels...); err != nil {
			return err
		}
	}
	if m.Minlevel != "" {
		if m.Level == "" {
			return invalid("minlevel", "needs level (the line is `<facility> <level> <minlevel>`)")
		}
		if err := checkEnum("minlevel", m.Minlevel, logLevels...); err != nil {
			return err
		}
	}
	if m.Length != 0 {
		if err := checkRange("length", m.Length, 80, 65535); err != nil {
			return err
		}
	}
	if (m.SampleRange == "") != (m.SampleSize == 0) {
		return invalid("sample_range", "sample_range and sample_size go together (`sample <range>:<size>`)")
	}
	if m.SampleRange != "" {
		if err := checkOneWord("sample_range", m.SampleRange); err != nil {
			return err
		}
		if err := checkRange("sample_size", m.SampleSize, 1, 1<<31-1); err != nil {
			return err
		}
	}
	return nil
}
