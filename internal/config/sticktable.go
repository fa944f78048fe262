package config

import (
	"strconv"
	"strings"

	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// StoredField is one data type a stick table stores, as the Data Plane
// API v3 `stick_table.fields` lists it: "http_req_rate(10s)" is
// {field: http_req_rate, type: rate, period: 10000}, "gpc(3)" is
// {field: gpc, type: counter, idx: 3}.
type StoredField struct {
	Field  string `json:"field"`
	Type   string `json:"type"`
	Period int64  `json:"period,omitempty"`
	Idx    int64  `json:"idx,omitempty"`
}

// StickTableFields returns what the `stick-table` line of the proxy named
// table stores; false when no frontend or backend of that name declares
// one (a peers table, or a table HAProxy made up).
func StickTableFields(d *Document, table string) ([]StoredField, bool) {
	for _, kind := range []string{KindBackend, KindFrontend} {
		s, ok := d.Section(kind, table)
		if !ok {
			continue
		}
		for _, l := range s.parsedLines().lines {
			if l.Words[0] != "stick-table" {
				continue
			}
			st, ok := cpParse[*types.StickTable](&parsers.StickTable{}, l)
			if !ok || st == nil {
				return nil, false
			}
			return parseStore(st.Store), true
		}
	}
	return nil, false
}

// parseStore reads a `store` list: "gpc0,http_req_rate(10s),gpc(3)".
func parseStore(store string) []StoredField {
	out := []StoredField{}
	for _, item := range strings.Split(store, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, arg, _ := strings.Cut(strings.TrimSuffix(item, ")"), "(")
		f := StoredField{Field: name, Type: "counter"}
		if strings.HasSuffix(name, "_rate") {
			f.Type = "rate"
			f.Period, _ = parseDuration(arg, "ms")
		} else if arg != "" {
			f.Idx, _ = strconv.ParseInt(arg, 10, 64)
		}
		out = append(out, f)
	}
	return out
}
