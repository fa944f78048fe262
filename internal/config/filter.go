package config

import (
	"github.com/haproxytech/config-parser/v5/parsers/filters"
	"github.com/haproxytech/config-parser/v5/types"
)

// Filter is a `filter <type> ...` line of a frontend or backend, the Data
// Plane API v3 `filter` model: which fields it takes depends on its type.
type Filter struct {
	Type               string `json:"type,omitempty"`
	AppName            string `json:"app_name,omitempty"`
	BandwidthLimitName string `json:"bandwidth_limit_name,omitempty"`
	CacheName          string `json:"cache_name,omitempty"`
	DefaultLimit       int64  `json:"default_limit,omitempty"`
	DefaultPeriod      int64  `json:"default_period,omitempty"`
	Key                string `json:"key,omitempty"`
	Limit              int64  `json:"limit,omitempty"`
	MinSize            int64  `json:"min_size,omitempty"`
	SpoeConfig         string `json:"spoe_config,omitempty"`
	SpoeEngine         string `json:"spoe_engine,omitempty"`
	Table              string `json:"table,omitempty"`
	TraceHexdump       bool   `json:"trace_hexdump,omitempty"`
	TraceName          string `json:"trace_name,omitempty"`
	TraceRndForwarding bool   `json:"trace_rnd_forwarding,omitempty"`
	TraceRndParsing    bool   `json:"trace_rnd_parsing,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// Filters are the `filter` lines of frontends and backends, in order
// (HAProxy runs filters in declaration order).
var Filters = ruleList(&Collection[Filter]{
	Name: "filter", Path: "filters", OpName: "Filter", Tag: "Filter", Schema: "filter", Keyword: "filter",
	Parents:     []string{KindFrontend, KindBackend},
	FullSection: "filter_list",
	Parse:       parseFilter,
	Render:      renderFilter,
	Check:       checkFilter,
}, func(m *Filter) *Unmodelled { return &m.Unmodelled })

func parseFilter(l Line) (Filter, bool) {
	// HAProxy 3.2's comp-req and comp-res, which config-parser does not know.
	if len(l.Words) == 2 && (l.Words[1] == "comp-req" || l.Words[1] == "comp-res") {
		return Filter{Type: l.Words[1]}, true
	}
	f, ok := cpParse[types.Filter](&filters.Filters{}, l)
	if !ok {
		return Filter{}, false
	}
	switch v := f.(type) {
	case *filters.Trace:
		return Filter{Type: "trace", TraceName: v.Name, TraceHexdump: v.Hexdump, TraceRndForwarding: v.RandomForwarding, TraceRndParsing: v.RandomParsing}, true
	case *filters.Compression:
		return Filter{Type: "compression"}, true
	case *filters.Cache:
		return Filter{Type: "cache", CacheName: v.Name}, true
	case *filters.Spoe:
		return Filter{Type: "spoe", SpoeEngine: v.Engine, SpoeConfig: v.Config}, true
	case *filters.FcgiApp:
		return Filter{Type: "fcgi-app", AppName: v.Name}, true
	case *filters.BandwidthLimit:
		m := Filter{Type: v.Attribute, BandwidthLimitName: v.Name, Key: v.Key}
		var ok bool
		if v.Limit != "" {
			if m.Limit, ok = parseSize(v.Limit); !ok {
				return Filter{}, false
			}
		}
		if v.DefaultLimit != "" {
			if m.DefaultLimit, ok = parseSize(v.DefaultLimit); !ok {
				return Filter{}, false
			}
		}
		if v.DefaultPeriod != "" {
			if m.DefaultPeriod, ok = parseDuration(v.DefaultPeriod, "ms"); !ok {
				return Filter{}, false
			}
		}
		if v.MinSize != nil {
			if m.MinSize, ok = parseSize(*v.MinSize); !ok {
				return Filter{}, false
			}
		}
		if v.Table != nil {
			m.Table = *v.Table
		}
		return m, true
	}
	// opentracing, which the v3 model does not hold: verbatim.
	return Filter{}, false
}

func renderFilter(m *Filter, old *Line) []string {
	var f types.Filter
	switch m.Type {
	case "trace":
		f = &filters.Trace{Name: m.TraceName, Hexdump: m.TraceHexdump, RandomForwarding: m.TraceRndForwarding, RandomParsing: m.TraceRndParsing}
	case "compression":
		f = &filters.Compression{Enabled: true}
	case "cache":
		f = &filters.Cache{Name: m.CacheName}
	case "spoe":
		f = &filters.Spoe{Engine: m.SpoeEngine, Config: m.SpoeConfig}
	case "fcgi-app":
		f = &filters.FcgiApp{Name: m.AppName}
	case "bwlim-in", "bwlim-out":
		size := func(opt string, v int64) string { return writtenAs(old, opt, v, parseSize, formatInt) }
		b := &filters.BandwidthLimit{Attribute: m.Type, Name: m.BandwidthLimitName, Key: m.Key}
		if m.Limit != 0 {
			b.Limit = size("limit", m.Limit)
		}
		if m.DefaultLimit != 0 {
			b.DefaultLimit = size("default-limit", m.DefaultLimit)
		}
		if m.DefaultPeriod != 0 {
			b.DefaultPeriod = writtenAs(old, "default-period", m.DefaultPeriod, func(s string) (int64, bool) { return parseDuration(s, "ms") }, formatDuration)
		}
		if m.MinSize != 0 {
			v := size("min-size", m.MinSize)
			b.MinSize = &v
		}
		if m.Table != "" {
			b.Table = &m.Table
		}
		f = b
	default:
		// Types config-parser does not know (comp-req and comp-res, from
		// HAProxy 3.2): written as they are, for haproxy -c to judge.
		return []string{"filter", m.Type}
	}
	return cpWords(&filters.Filters{}, f)
}

// filterFields are the fields each filter type takes, besides type.
var filterFields = map[string][]string{
	"trace":       {"trace_name", "trace_hexdump", "trace_rnd_forwarding", "trace_rnd_parsing"},
	"compression": nil,
	"comp-req":    nil,
	"comp-res":    nil,
	"cache":       {"cache_name"},
	"spoe":        {"spoe_engine", "spoe_config"},
	"fcgi-app":    {"app_name"},
	"bwlim-in":    {"bandwidth_limit_name", "default_limit", "default_period", "limit", "key", "table", "min_size"},
	"bwlim-out":   {"bandwidth_limit_name", "default_limit", "default_period", "limit", "key", "table", "min_size"},
}

// FilterFields returns the fields a filter of type typ takes, besides type.
func FilterFields(typ string) []string { return filterFields[typ] }

func checkFilter(m *Filter) error {
	fields, ok := filterFields[m.Type]
	if !ok {
		return invalid("type", "%q is not a filter type (bwlim-in, bwlim-out, cache, compression, comp-req, comp-res, fcgi-app, spoe, trace)", m.Type)
	}
	if err := onlyFields(m, "a "+m.Type+" filter", append(fields, "type")...); err != nil {
		return err
	}
	words := map[string]string{"trace_name": m.TraceName, "cache_name": m.CacheName, "spoe_engine": m.SpoeEngine,
		"spoe_config": m.SpoeConfig, "app_name": m.AppName, "bandwidth_limit_name": m.BandwidthLimitName,
		"key": m.Key, "table": m.Table}
	for _, f := range []string{"trace_name", "cache_name", "spoe_engine", "spoe_config", "app_name", "bandwidth_limit_name", "key", "table"} {
		if v := words[f]; v != "" {
			if err := checkOneWord(f, v); err != nil {
				return err
			}
		}
	}
	switch m.Type {
	case "cache":
		if m.CacheName == "" {
			return invalid("cache_name", "a cache filter names its cache")
		}
	case "spoe":
		if m.SpoeConfig == "" {
			return invalid("spoe_config", "an spoe filter needs its configuration file")
		}
	case "fcgi-app":
		if m.AppName == "" {
			return invalid("app_name", "an fcgi-app filter names its application")
		}
	case "bwlim-in", "bwlim-out":
		return checkBandwidthLimit(m)
	}
	return nil
}

// checkBandwidthLimit: a named limit, either shared per key (limit + key
// [+ table]) or per stream (default-limit + default-period).
func checkBandwidthLimit(m *Filter) error {
	if m.BandwidthLimitName == "" {
		return invalid("bandwidth_limit_name", "a %s filter is named", m.Type)
	}
	perKey := m.Limit != 0 || m.Key != "" || m.Table != ""
	perStream := m.DefaultLimit != 0 || m.DefaultPeriod != 0
	switch {
	case perKey && perStream:
		return invalid("limit", "a %s filter limits either per key (limit, key, table) or per stream (default_limit, default_period), not both", m.Type)
	case perKey && (m.Limit <= 0 || m.Key == ""):
		return invalid("limit", "a per-key %s filter needs limit (> 0) and key", m.Type)
	case !perKey && (m.DefaultLimit <= 0 || m.DefaultPeriod <= 0):
		return invalid("default_limit", "a %s filter needs default_limit and default_period (> 0), or limit and key", m.Type)
	case m.MinSize < 0:
		return invalid("min_size", "%d is negative", m.MinSize)
	}
	return nil
}
