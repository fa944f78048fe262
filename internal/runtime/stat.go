package runtime

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// StatType is the `show stat` type mask; values can be ORed. Zero means all.
type StatType int

// Type mask bits understood by `show stat <proxy> <type> -1` (checked on 2.6).
const (
	StatFrontends StatType = 1
	StatBackends  StatType = 2
	StatServers   StatType = 4
	StatListeners StatType = 8 // listed only for frontends with "option socket-stats"
	statAllTypes  StatType = 15
)

// Values of Stat.Type.
const (
	TypeFrontend = "frontend"
	TypeBackend  = "backend"
	TypeServer   = "server"
	TypeListener = "listener"
)

// StatFilter selects `show stat` rows. An empty Proxy means all proxies.
type StatFilter struct {
	Proxy string
	Type  StatType
}

// Stat is one `show stat` row. Fields holds every CSV column by its header
// name with HAProxy's raw text (empty for columns not applicable to the row);
// typed conversion is the caller's job.
type Stat struct {
	Proxy  string // pxname
	Server string // svname: "FRONTEND", "BACKEND", a server or a listener name
	Type   string // TypeFrontend, TypeBackend, TypeServer or TypeListener
	Fields map[string]string
}

// Get returns the raw value of a column ("" when absent).
func (s Stat) Get(column string) string { return s.Fields[column] }

// ShowStat runs `show stat <proxy|-1> <typemask|-1> -1` and parses the CSV.
// An unknown proxy is ErrNotFound. Rows are filtered on the proxy name as
// well, because HAProxy reads an all-digit proxy argument as a proxy id.
func (c *Client) ShowStat(ctx context.Context, filter StatFilter) ([]Stat, error) {
	proxy, mask := "-1", "-1"
	if filter.Proxy != "" {
		if err := checkNames("proxy", filter.Proxy); err != nil {
			return nil, fmt.Errorf("show stat: %w", err)
		}
		proxy = filter.Proxy
	}
	if filter.Type != 0 {
		if err := checkRange("stat type mask", int(filter.Type), 1, int(statAllTypes)); err != nil {
			return nil, fmt.Errorf("show stat: %w", err)
		}
		mask = strconv.Itoa(int(filter.Type))
	}
	cmd := "show stat " + proxy + " " + mask + " -1"
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(reply, "# pxname,") {
		return nil, newCommandError(cmd, reply)
	}
	stats, err := parseStat(reply)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	if filter.Proxy == "" {
		return stats, nil
	}
	kept := stats[:0]
	for _, s := range stats {
		if s.Proxy == filter.Proxy {
			kept = append(kept, s)
		}
	}
	return kept, nil
}

// statTypes maps the CSV "type" column to Stat.Type.
var statTypes = map[string]string{"0": TypeFrontend, "1": TypeBackend, "2": TypeServer, "3": TypeListener}

// parseStat parses `show stat` CSV: a "# " prefixed header, then rows.
// HAProxy quotes string fields that need it, as RFC 4180 does.
func parseStat(reply string) ([]Stat, error) {
	header, body, _ := strings.Cut(reply, "\n")
	cols := strings.Split(strings.TrimPrefix(header, "# "), ",")
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse stat csv: %w", err)
	}
	stats := make([]Stat, 0, len(recs))
	for _, rec := range recs {
		s := Stat{Fields: make(map[string]string, len(cols))}
		for i, col := range cols {
			// Each line ends with a ',' so the last column name is empty.
			if col != "" && i < len(rec) {
				s.Fields[col] = rec[i]
			}
		}
		s.Proxy, s.Server = s.Fields["pxname"], s.Fields["svname"]
		if s.Proxy == "" || s.Server == "" {
			return nil, fmt.Errorf("parse stat csv: row without pxname/svname: %q", strings.Join(rec, ","))
		}
		s.Type = statTypes[s.Fields["type"]]
		if s.Type == "" {
			return nil, fmt.Errorf("parse stat csv: %s/%s: unknown type %q", s.Proxy, s.Server, s.Fields["type"])
		}
		stats = append(stats, s)
	}
	return stats, nil
}

// ServerSessions returns the current sessions (scur) and queued requests
// (qcur) of one server, for drain-and-wait. An unknown backend or server is
// ErrNotFound.
func (c *Client) ServerSessions(ctx context.Context, be, srv string) (cur, queued int64, err error) {
	if err := checkNames("backend", be, "server", srv); err != nil {
		return 0, 0, fmt.Errorf("server sessions %s/%s: %w", be, srv, err)
	}
	stats, err := c.ShowStat(ctx, StatFilter{Proxy: be, Type: StatServers})
	if err != nil {
		return 0, 0, fmt.Errorf("server sessions %s/%s: %w", be, srv, err)
	}
	for _, s := range stats {
		if s.Server != srv || s.Type != TypeServer {
			continue
		}
		if cur, err = statInt(s, "scur"); err == nil {
			queued, err = statInt(s, "qcur")
		}
		if err != nil {
			return 0, 0, fmt.Errorf("server sessions %s/%s: %w", be, srv, err)
		}
		return cur, queued, nil
	}
	return 0, 0, fmt.Errorf("server sessions %s/%s: %w", be, srv, ErrNotFound)
}

// statInt parses a numeric column; empty counts as 0.
func statInt(s Stat, col string) (int64, error) {
	v := s.Fields[col]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("column %s: %w", col, err)
	}
	return n, nil
}
