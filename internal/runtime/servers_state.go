package runtime

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// Admin state bits of srv_admin_state (HAProxy's enum srv_admin).
const (
	AdminForcedMaint    = 0x01 // set server ... state maint
	AdminInheritedMaint = 0x02 // tracked server is in maintenance
	AdminConfigMaint    = 0x04 // "disabled" in the configuration
	AdminForcedDrain    = 0x08 // set server ... state drain
	AdminInheritedDrain = 0x10 // tracked server is draining
	AdminResolveMaint   = 0x20 // address resolution failed
	AdminFQDNSet        = 0x40 // FQDN set from the runtime API (not a maintenance)

	adminMaintMask = AdminForcedMaint | AdminInheritedMaint | AdminConfigMaint | AdminResolveMaint
	adminDrainMask = AdminForcedDrain | AdminInheritedDrain
)

// Operational states of srv_op_state (HAProxy's enum srv_state).
const (
	OpStopped  = 0
	OpStarting = 1
	OpRunning  = 2
	OpStopping = 3
)

// ServerState is one row of `show servers state` (format version 1). "-"
// columns (no FQDN, SRV record, check or agent address) become "".
type ServerState struct {
	BackendID           int    // be_id
	BackendName         string // be_name
	ID                  int    // srv_id
	Name                string // srv_name
	Addr                string // srv_addr
	OpState             int    // srv_op_state, one of Op*
	AdminState          int    // srv_admin_state, Admin* bits
	UWeight             int    // srv_uweight (current, user-set)
	IWeight             int    // srv_iweight (initial, from config)
	TimeSinceLastChange int64  // srv_time_since_last_change, seconds
	CheckStatus         int    // srv_check_status
	CheckResult         int    // srv_check_result
	CheckHealth         int    // srv_check_health
	CheckState          int    // srv_check_state
	AgentState          int    // srv_agent_state
	BackendForcedID     int    // bk_f_forced_id
	ForcedID            int    // srv_f_forced_id
	FQDN                string // srv_fqdn
	Port                int    // srv_port
	SRVRecord           string // srvrecord
	UseSSL              int    // srv_use_ssl
	CheckPort           int    // srv_check_port
	CheckAddr           string // srv_check_addr
	AgentAddr           string // srv_agent_addr
	AgentPort           int    // srv_agent_port
}

// Admin returns "maint", "drain" or "ready" (maintenance wins over drain,
// as in HAProxy).
func (s ServerState) Admin() string {
	switch {
	case s.AdminState&adminMaintMask != 0:
		return "maint"
	case s.AdminState&adminDrainMask != 0:
		return "drain"
	}
	return "ready"
}

// Operational returns "down", "up" (running or starting) or "stopping".
func (s ServerState) Operational() string {
	switch s.OpState {
	case OpRunning, OpStarting:
		return "up"
	case OpStopping:
		return "stopping"
	}
	return "down"
}

// ServersStateRaw returns the unparsed `show servers state` of all
// backends, suitable for HAProxy's server-state-file. A reply that does not
// start with a format version line is a *CommandError.
func (c *Client) ServersStateRaw(ctx context.Context) (string, error) {
	return c.do(ctx, "show servers state", isServersState)
}

// ShowServersState parses `show servers state [backend]` ("" for all). An
// unknown backend is ErrNotFound.
func (c *Client) ShowServersState(ctx context.Context, backend string) ([]ServerState, error) {
	cmd := "show servers state"
	if backend != "" {
		if err := checkNames("backend", backend); err != nil {
			return nil, fmt.Errorf("show servers state: %w", err)
		}
		cmd += " " + backend
	}
	reply, err := c.do(ctx, cmd, isServersState)
	if err != nil {
		return nil, err
	}
	states, err := parseServersState(reply)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return states, nil
}

func isServersState(reply string) bool { return strings.HasPrefix(reply, "1\n# be_id ") }

// parseServersState parses format version 1, locating columns by header
// name so that columns appended by later versions are ignored.
func parseServersState(reply string) ([]ServerState, error) {
	idx, rows, err := serversStateHeader(reply)
	if err != nil {
		return nil, err
	}
	var out []ServerState
	for n := 3; rows != ""; n++ {
		var line string
		line, rows, _ = strings.Cut(rows, "\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		s, err := parseServerRow(line, idx)
		if err != nil {
			return nil, fmt.Errorf("parse servers state line %d: %w", n, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// parseServerState returns the row of server srv of a `show servers state
// <backend>` reply (found is false when it has none). Only that row is
// parsed: a backend of hundreds of servers costs a scan of its lines.
func parseServerState(reply, srv string) (s ServerState, found bool, err error) {
	idx, rows, err := serversStateHeader(reply)
	if err != nil {
		return ServerState{}, false, err
	}
	name, ok := idx["srv_name"]
	if !ok {
		return ServerState{}, false, fmt.Errorf("parse servers state: missing column srv_name")
	}
	for n := 3; rows != ""; n++ {
		var line string
		line, rows, _ = strings.Cut(rows, "\n")
		if srv == "" || field(line, name) != srv {
			continue
		}
		s, err := parseServerRow(line, idx)
		if err != nil {
			return ServerState{}, false, fmt.Errorf("parse servers state line %d: %w", n, err)
		}
		if s.Name == srv {
			return s, true, nil
		}
	}
	return ServerState{}, false, nil
}

// serversStateHeader checks the format version line and returns the column
// index of the header line, and the rows after it.
func serversStateHeader(reply string) (idx map[string]int, rows string, err error) {
	version, rest, _ := strings.Cut(reply, "\n")
	header, rows, _ := strings.Cut(rest, "\n")
	if version != "1" || !strings.HasPrefix(header, "# ") {
		return nil, "", fmt.Errorf("parse servers state: not format version 1")
	}
	return columnIndex(header), rows, nil
}

// field returns the i-th field of a row (fields are separated by ASCII
// white space), "" past the last.
func field(line string, i int) string {
	const space = " \t\v\f\r"
	for {
		line = strings.TrimLeft(line, space)
		if line == "" {
			return ""
		}
		end := strings.IndexAny(line, space)
		if end < 0 {
			end = len(line)
		}
		if i == 0 {
			return line[:end]
		}
		line = line[end:]
		i--
	}
}

// parseServerRow parses one row of `show servers state`.
func parseServerRow(line string, idx map[string]int) (ServerState, error) {
	row := stateRow{fields: strings.Fields(line), idx: idx}
	s := ServerState{
		BackendID:           row.int("be_id"),
		BackendName:         row.str("be_name"),
		ID:                  row.int("srv_id"),
		Name:                row.str("srv_name"),
		Addr:                row.str("srv_addr"),
		OpState:             row.int("srv_op_state"),
		AdminState:          row.int("srv_admin_state"),
		UWeight:             row.int("srv_uweight"),
		IWeight:             row.int("srv_iweight"),
		TimeSinceLastChange: int64(row.int("srv_time_since_last_change")),
		CheckStatus:         row.int("srv_check_status"),
		CheckResult:         row.int("srv_check_result"),
		CheckHealth:         row.int("srv_check_health"),
		CheckState:          row.int("srv_check_state"),
		AgentState:          row.int("srv_agent_state"),
		BackendForcedID:     row.int("bk_f_forced_id"),
		ForcedID:            row.int("srv_f_forced_id"),
		FQDN:                row.str("srv_fqdn"),
		Port:                row.int("srv_port"),
		SRVRecord:           row.str("srvrecord"),
		UseSSL:              row.int("srv_use_ssl"),
		CheckPort:           row.int("srv_check_port"),
		CheckAddr:           row.str("srv_check_addr"),
		AgentAddr:           row.str("srv_agent_addr"),
		AgentPort:           row.int("srv_agent_port"),
	}
	return s, row.err
}

// lastHeader is the last column header parsed: HAProxy prints the same
// one every time, and a runtime PUT reads it once, so its index is built
// once rather than per reply.
var lastHeader atomic.Pointer[header]

type header struct {
	line string
	idx  map[string]int // column name -> position; read-only once built
}

// columnIndex returns the position of each column of a header line.
func columnIndex(line string) map[string]int {
	if h := lastHeader.Load(); h != nil && h.line == line {
		return h.idx
	}
	idx := map[string]int{}
	for i, col := range strings.Fields(strings.TrimPrefix(line, "# ")) {
		idx[col] = i
	}
	lastHeader.Store(&header{line: line, idx: idx})
	return idx
}

// stateRow reads named columns of one row, remembering the first error so
// that the struct literal above stays flat.
type stateRow struct {
	fields []string
	idx    map[string]int
	err    error
}

func (r *stateRow) str(col string) string {
	i, ok := r.idx[col]
	if !ok || i >= len(r.fields) {
		if r.err == nil {
			r.err = fmt.Errorf("missing column %s", col)
		}
		return ""
	}
	if v := r.fields[i]; v != "-" {
		return v
	}
	return ""
}

func (r *stateRow) int(col string) int {
	v := r.str(col)
	n, err := strconv.Atoi(v)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("column %s: %w", col, err)
	}
	return n
}

// ShowBackends lists backend names from `show backend` (frontends are not
// listed by HAProxy).
func (c *Client) ShowBackends(ctx context.Context) ([]string, error) {
	const cmd = "show backend"
	reply, err := c.do(ctx, cmd, replyHasPrefix("# name\n"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(reply, "\n")[1:] {
		if line = strings.TrimSpace(line); line != "" {
			names = append(names, line)
		}
	}
	return names, nil
}
