package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"dataplane/internal/runtime"
)

// nativeStats is the Data Plane API `native_stats` model. The same shape
// answers a socket failure (500), with Error set, and with the code and
// message every dataplane error carries.
type nativeStats struct {
	RuntimeAPI string       `json:"runtimeAPI,omitempty"`
	Error      string       `json:"error,omitempty"`
	Stats      []nativeStat `json:"stats"`
	Code       int          `json:"code,omitempty"`
	Message    string       `json:"message,omitempty"`
}

// failed turns b into the 500 answer for err.
func (b nativeStats) failed(err error) *response {
	b.Error, b.Message, b.Code, b.Stats = err.Error(), err.Error(), http.StatusInternalServerError, []nativeStat{}
	return jsonResponse(http.StatusInternalServerError, b)
}

type nativeStat struct {
	Type        string         `json:"type"`
	Name        string         `json:"name"`
	BackendName string         `json:"backend_name,omitempty"`
	Stats       map[string]any `json:"stats"`
}

// Columns of `show stat` in native_stat_stats, by JSON type. The names are
// HAProxy's CSV column names.
var (
	nativeIntColumns = []string{
		"act", "agent_code", "agent_duration", "agent_fall", "agent_health", "agent_rise", "bck", "bin", "bout",
		"check_code", "check_duration", "check_fall", "check_health", "check_rise", "chkdown", "chkfail", "cli_abrt",
		"comp_byp", "comp_in", "comp_out", "comp_rsp", "conn_rate", "conn_rate_max", "conn_tot", "ctime", "dcon",
		"downtime", "dreq", "dresp", "dses", "econ", "ereq", "eresp", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
		"hrsp_5xx", "hrsp_other", "iid", "intercepted", "lastchg", "lastsess", "lbtot", "pid", "qcur", "qlimit",
		"qmax", "qtime", "rate", "rate_lim", "rate_max", "req_rate", "req_rate_max", "req_tot", "rtime", "scur",
		"sid", "slim", "smax", "srv_abrt", "stot", "throttle", "ttime", "weight", "wredis", "wretr",
	}
	// Strings, including status, mode, check_status and agent_status:
	// HAProxy reports values such as "UP 1/3", "MAINT (via be/s1)" or
	// "* L4CON" (check in progress) that a strict enum would refuse.
	nativeStringColumns = []string{
		"addr", "agent_desc", "agent_status", "algo", "check_desc", "check_status", "cookie", "hanafail",
		"last_agt", "last_chk", "mode", "status", "tracked",
	}
)

// statTypeMasks maps the `type` query parameter to the `show stat` type mask.
var statTypeMasks = map[string]runtime.StatType{
	runtime.TypeFrontend: runtime.StatFrontends,
	runtime.TypeBackend:  runtime.StatBackends,
	runtime.TypeServer:   runtime.StatServers,
}

// getNativeStats answers GET /services/haproxy/stats/native: type narrows
// to frontends, backends or servers; name to one of them; parent to the
// servers of one backend.
func (s *Server) getNativeStats(r *http.Request) (*response, error) {
	q := r.URL.Query()
	typ, name, parent := q.Get("type"), q.Get("name"), q.Get("parent")
	switch {
	case name != "" && typ == "":
		return nil, badRequest("name needs type")
	case typ == runtime.TypeServer && name != "" && parent == "":
		return nil, badRequest("a server name needs parent (its backend)")
	case parent != "" && typ != runtime.TypeServer:
		return nil, badRequest("parent applies to type=server only")
	}
	body := nativeStats{Stats: []nativeStat{}}
	if s.d.Runtime != nil {
		body.RuntimeAPI = s.d.Runtime.Socket()
	} else if s.d.Master != nil {
		body.RuntimeAPI = s.d.Master.Socket()
	}
	c := s.runtimeClient()
	if c == nil {
		return body.failed(errNoRuntime), nil
	}
	filter := runtime.StatFilter{Type: runtime.StatFrontends | runtime.StatBackends | runtime.StatServers}
	if typ != "" {
		filter.Type = statTypeMasks[typ]
	}
	switch {
	case parent != "":
		filter.Proxy = parent
	case name != "":
		filter.Proxy = name
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var ints, strs []int
	var hdr *runtime.StatHeader
	err := c.ScanStat(ctx, filter, func(row *runtime.StatRow) error {
		if row.Type == runtime.TypeListener || (typ != "" && row.Type != typ) {
			return nil
		}
		if typ == runtime.TypeServer && name != "" && string(row.Server()) != name {
			return nil
		}
		if row.Header != hdr {
			hdr, ints, strs = row.Header, columnIndexes(row.Header, nativeIntColumns), columnIndexes(row.Header, nativeStringColumns)
		}
		st := nativeStat{Type: row.Type, Name: string(row.Proxy()), Stats: make(map[string]any, 64)}
		if row.Type == runtime.TypeServer {
			st.Name, st.BackendName = string(row.Server()), string(row.Proxy())
		}
		for i, col := range ints {
			if n, ok := row.Int(col); ok {
				st.Stats[nativeIntColumns[i]] = n
			}
		}
		for i, col := range strs {
			if v := row.Field(col); len(v) > 0 {
				st.Stats[nativeStringColumns[i]] = string(v)
			}
		}
		body.Stats = append(body.Stats, st)
		return nil
	})
	switch {
	case errors.Is(err, runtime.ErrInvalidArgument):
		return nil, badRequest("%v", err)
	case errors.Is(err, runtime.ErrNotFound):
		return nil, notFound("%v", err)
	case err != nil:
		return body.failed(err), nil
	}
	if name != "" && len(body.Stats) == 0 {
		return nil, notFound("no %s named %q", typ, name)
	}
	return jsonResponse(http.StatusOK, body), nil
}

// columnIndexes returns the position of each column in the header (-1 when
// absent).
func columnIndexes(h *runtime.StatHeader, cols []string) []int {
	out := make([]int, len(cols))
	for i, c := range cols {
		out[i] = h.Index(c)
	}
	return out
}
