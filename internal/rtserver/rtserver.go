// Package rtserver changes the servers of a running HAProxy through its
// runtime socket, never through the configuration file: reads, ordered
// multi-field updates that say what was applied when one step fails, adding
// and deleting servers with the follow-up commands they need, and
// drain-and-wait.
package rtserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"dataplane/internal/fault"
	"dataplane/internal/runtime"
)

// Server is the Data Plane API `runtime_server` model: a server as `show
// servers state` reports it. Only AdminState, OperationalState, Weight,
// Address and Port can be written.
type Server struct {
	ID               string `json:"id,omitempty"` // a string, as in the Data Plane API
	Name             string `json:"name,omitempty"`
	Address          string `json:"address,omitempty"`
	Port             *int64 `json:"port,omitempty"`
	Weight           *int64 `json:"weight,omitempty"`
	AdminState       string `json:"admin_state,omitempty"`       // ready | maint | drain
	OperationalState string `json:"operational_state,omitempty"` // up | down | stopping

	AgentAddr       string `json:"agent_addr,omitempty"`
	AgentPort       *int64 `json:"agent_port,omitempty"`
	AgentState      *int64 `json:"agent_state,omitempty"`
	BackendForcedID *int64 `json:"backend_forced_id,omitempty"`
	BackendID       *int64 `json:"backend_id,omitempty"`
	BackendName     string `json:"backend_name,omitempty"`
	CheckAddr       string `json:"check_addr,omitempty"`
	CheckHealth     *int64 `json:"check_health,omitempty"`
	CheckPort       *int64 `json:"check_port,omitempty"`
	CheckResult     *int64 `json:"check_result,omitempty"`
	CheckState      *int64 `json:"check_state,omitempty"`
	CheckStatus     *int64 `json:"check_status,omitempty"`
	ForcedID        *int64 `json:"forced_id,omitempty"`
	FQDN            string `json:"fqdn,omitempty"`
	IWeight         *int64 `json:"iweight,omitempty"`
	UWeight         *int64 `json:"uweight,omitempty"`
	LastTimeChange  *int64 `json:"last_time_change,omitempty"` // seconds since the last state change
	SRVRecord       string `json:"srvrecord,omitempty"`
	UseSSL          *bool  `json:"use_ssl,omitempty"`
}

func i64(n int) *int64 { v := int64(n); return &v }

// FromState turns a `show servers state` row into the API model; Weight is
// the current (user) weight.
func FromState(s runtime.ServerState) Server {
	ssl := s.UseSSL != 0
	out := Server{
		ID:               strconv.Itoa(s.ID),
		Name:             s.Name,
		Address:          s.Addr,
		Weight:           i64(s.UWeight),
		AdminState:       s.Admin(),
		OperationalState: s.Operational(),
		AgentAddr:        s.AgentAddr,
		AgentPort:        i64(s.AgentPort),
		AgentState:       i64(s.AgentState),
		BackendForcedID:  i64(s.BackendForcedID),
		BackendID:        i64(s.BackendID),
		BackendName:      s.BackendName,
		CheckAddr:        s.CheckAddr,
		CheckHealth:      i64(s.CheckHealth),
		CheckPort:        i64(s.CheckPort),
		CheckResult:      i64(s.CheckResult),
		CheckState:       i64(s.CheckState),
		CheckStatus:      i64(s.CheckStatus),
		ForcedID:         i64(s.ForcedID),
		FQDN:             s.FQDN,
		IWeight:          i64(s.IWeight),
		UWeight:          i64(s.UWeight),
		LastTimeChange:   &s.TimeSinceLastChange,
		SRVRecord:        s.SRVRecord,
		UseSSL:           &ssl,
	}
	if s.Port != 0 {
		out.Port = i64(s.Port)
	}
	return out
}

// List returns the servers of backend be. An unknown backend is
// runtime.ErrNotFound.
func List(ctx context.Context, c *runtime.Client, be string) ([]runtime.ServerState, error) {
	states, err := c.ShowServersState(ctx, be)
	if err != nil {
		return nil, classify(fmt.Errorf("backend %s: %w", be, err))
	}
	return states, nil
}

// Get returns server srv of backend be (runtime.ErrNotFound when either is
// unknown).
func Get(ctx context.Context, c *runtime.Client, be, srv string) (runtime.ServerState, error) {
	states, err := List(ctx, c, be)
	if err != nil {
		return runtime.ServerState{}, err
	}
	for _, s := range states {
		if s.Name == srv {
			return s, nil
		}
	}
	return runtime.ServerState{}, fmt.Errorf("server %s/%s: %w", be, srv, runtime.ErrNotFound)
}

// Change lists the fields an update sets; zero values leave a field as it
// is.
type Change struct {
	AdminState       string `json:"admin_state,omitempty"`       // ready | maint | drain
	OperationalState string `json:"operational_state,omitempty"` // up | down | stopping
	Weight           *int64 `json:"weight,omitempty"`            // 0..256
	Address          string `json:"address,omitempty"`           // an IP address
	Port             *int64 `json:"port,omitempty"`              // 1..65535
}

// Merge is c followed by later: the fields later sets win, the others
// stay as c has them.
func (c Change) Merge(later Change) Change {
	if later.AdminState != "" {
		c.AdminState = later.AdminState
	}
	if later.OperationalState != "" {
		c.OperationalState = later.OperationalState
	}
	if later.Weight != nil {
		c.Weight = later.Weight
	}
	if later.Address != "" {
		c.Address = later.Address
	}
	if later.Port != nil {
		c.Port = later.Port
	}
	return c
}

// Unmet names the fields of c that st, a server's state read back after
// applying c, does not show. The operational state is left out: health
// checks own it and may have moved it since.
func (c Change) Unmet(st runtime.ServerState) []string {
	var out []string
	if c.AdminState != "" && st.Admin() != c.AdminState {
		out = append(out, fmt.Sprintf("admin_state %s (HAProxy: %s)", c.AdminState, st.Admin()))
	}
	if c.Weight != nil && int64(st.UWeight) != *c.Weight {
		out = append(out, fmt.Sprintf("weight %d (HAProxy: %d)", *c.Weight, st.UWeight))
	}
	if c.Address != "" {
		want, err1 := netip.ParseAddr(c.Address)
		got, err2 := netip.ParseAddr(st.Addr)
		if err1 != nil || err2 != nil || want.Unmap() != got.Unmap() {
			out = append(out, fmt.Sprintf("address %s (HAProxy: %s)", c.Address, st.Addr))
		}
	}
	if c.Port != nil && int64(st.Port) != *c.Port {
		out = append(out, fmt.Sprintf("port %d (HAProxy: %d)", *c.Port, st.Port))
	}
	return out
}

// PartialError says how far an update got before a step failed. HAProxy has
// no transactions for server changes, so the fields in Applied stay
// applied.
type PartialError struct {
	Server  string   // backend/server
	Applied []string // fields applied, in order
	Failed  string   // the field whose command failed
	Skipped []string // fields not attempted
	Err     error
}

func (e *PartialError) Error() string {
	applied, skipped := "none", "none"
	if len(e.Applied) > 0 {
		applied = strings.Join(e.Applied, ", ")
	}
	if len(e.Skipped) > 0 {
		skipped = strings.Join(e.Skipped, ", ")
	}
	return fmt.Sprintf("runtime server %s: setting %s failed; applied before it (and still in effect): %s; not attempted: %s: %v",
		e.Server, e.Failed, applied, skipped, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

type step struct {
	field string
	run   func() error
}

// Update applies ch to be/srv and returns the state read back afterwards.
// Every value is checked before anything is sent. The order keeps traffic
// safe: maint or drain first (the server leaves the rotation before its
// address or weight change), then address/port, weight and operational
// state, and ready last (it rejoins with its new address and weight). A
// failing step stops the update with a *PartialError.
//
// Its commands go over one connection reserved for the update: they wait
// for the socket once, and when too many wait (runtime.ErrBusy) nothing at
// all is applied. An update of one round trip (one change and its read
// back on one line) needs no reservation: its line holds it all.
func Update(ctx context.Context, c *runtime.Client, be, srv string, ch Change) (runtime.ServerState, error) {
	if err := ch.validate(); err != nil {
		return runtime.ServerState{}, err
	}
	if !ch.readsFirst() && len(ch.steps("")) == 1 {
		return update(ctx, c, be, srv, ch)
	}
	var st runtime.ServerState
	err := c.Session(ctx, func(c *runtime.Client) error {
		var err error
		st, err = update(ctx, c, be, srv, ch)
		return err
	})
	return st, err
}

// setting is one step of an update: the field it applies and its change.
type setting struct {
	field  string
	change runtime.ServerSetting
}

// update applies ch over c, in round trips: one per step, the last step
// sharing its round trip with the read back. The state is read first only
// when the current address is needed (a new port alone) or nothing is to
// be set; otherwise the first step finds out whether the server exists.
func update(ctx context.Context, c *runtime.Client, be, srv string, ch Change) (runtime.ServerState, error) {
	var cur runtime.ServerState
	if ch.readsFirst() {
		var err error
		if cur, err = Get(ctx, c, be, srv); err != nil || ch == (Change{}) {
			return cur, err
		}
	}
	steps := ch.steps(cur.Addr)
	fail := func(i int, err error) error {
		if i == 0 && errors.Is(err, runtime.ErrNotFound) {
			return fmt.Errorf("server %s/%s: %w", be, srv, err)
		}
		pe := &PartialError{Server: be + "/" + srv, Failed: steps[i].field, Err: err}
		for _, done := range steps[:i] {
			pe.Applied = append(pe.Applied, done.field)
		}
		for _, rest := range steps[i+1:] {
			pe.Skipped = append(pe.Skipped, rest.field)
		}
		return classify(pe)
	}
	last := len(steps) - 1
	for i, st := range steps[:last] {
		if err := c.SetServer(ctx, be, srv, st.change); err != nil {
			return runtime.ServerState{}, fail(i, err)
		}
	}
	st, found, err := c.SetServerAndShow(ctx, be, srv, steps[last].change)
	if err != nil {
		return runtime.ServerState{}, fail(last, err)
	}
	if !found {
		return runtime.ServerState{}, fmt.Errorf("server %s/%s: %w", be, srv, runtime.ErrNotFound)
	}
	return st, nil
}

// readsFirst reports whether update reads the server's state before it
// changes anything: a new port alone keeps the current address, and an
// empty change only reads.
func (ch Change) readsFirst() bool {
	return (ch.Port != nil && ch.Address == "") || ch == (Change{})
}

// steps orders the changes so that traffic stays safe: maint or drain
// first (the server leaves the rotation before its address or weight
// change), then address/port, weight and operational state, and ready
// last (it rejoins with its new address and weight). curAddr is the
// address kept when only the port changes.
func (ch Change) steps(curAddr string) []setting {
	var steps []setting
	if ch.AdminState == "maint" || ch.AdminState == "drain" {
		steps = append(steps, setting{"admin_state", runtime.ServerAdminState(ch.AdminState)})
	}
	if ch.Address != "" || ch.Port != nil {
		addr, port := ch.Address, 0
		if addr == "" {
			addr = curAddr
		}
		if ch.Port != nil {
			port = int(*ch.Port)
		}
		field := "address"
		switch {
		case ch.Address == "":
			field = "port"
		case ch.Port != nil:
			field = "address and port"
		}
		steps = append(steps, setting{field, runtime.ServerAddr(addr, port)})
	}
	if ch.Weight != nil {
		steps = append(steps, setting{"weight", runtime.ServerWeight(int(*ch.Weight))})
	}
	if ch.OperationalState != "" {
		steps = append(steps, setting{"operational_state", runtime.ServerHealth(ch.OperationalState)})
	}
	if ch.AdminState == "ready" {
		steps = append(steps, setting{"admin_state", runtime.ServerAdminState("ready")})
	}
	return steps
}

func (ch Change) validate() error {
	switch ch.AdminState {
	case "", "ready", "maint", "drain":
	default:
		return badRequest("admin_state %q must be ready, maint or drain", ch.AdminState)
	}
	switch ch.OperationalState {
	case "", "up", "down", "stopping":
	default:
		return badRequest("operational_state %q must be up, down or stopping", ch.OperationalState)
	}
	if ch.Weight != nil && (*ch.Weight < 0 || *ch.Weight > 256) {
		return badRequest("weight %d must be between 0 and 256", *ch.Weight)
	}
	if ch.Port != nil && (*ch.Port < 1 || *ch.Port > 65535) {
		return badRequest("port %d must be between 1 and 65535", *ch.Port)
	}
	if ch.Address != "" {
		if ip, err := netip.ParseAddr(ch.Address); err != nil || ip.Zone() != "" {
			return badRequest("address %q must be an IP address (HAProxy's `set server addr` takes no host names)", ch.Address)
		}
	}
	return nil
}

func badRequest(format string, args ...any) error {
	return fault.Errorf(fault.Invalid, format, args...)
}

// classify gives HAProxy's refusals a client-error status: a missing object
// is already 404 and a duplicate 409 (runtime sentinels); any other
// refusal (static algorithm, option not allowed for dynamic servers,
// server tracked by another, invalid value) is the request's problem, 400.
// Transport failures stay unclassified (500).
func classify(err error) error {
	var ce *runtime.CommandError
	if !errors.As(err, &ce) || errors.Is(err, runtime.ErrNotFound) || errors.Is(err, runtime.ErrExists) {
		return err
	}
	return fault.Wrap(fault.Invalid, err)
}

// Journal keeps the runtime server changes made while a reload is pending
// or in progress, to apply them again once it is done: the reload starts
// HAProxy from the file, so a change it did not see would silently be
// undone (a weight set 50 ms after a reload was asked for).
type Journal struct {
	mu      sync.Mutex
	changes map[string]journalEntry
	order   []string
}

type journalEntry struct {
	be, srv string
	ch      Change
}

// Record notes ch for be/srv; the fields of a later change of the same
// server win.
func (j *Journal) Record(be, srv string, ch Change) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.changes == nil {
		j.changes = map[string]journalEntry{}
	}
	k := be + "/" + srv
	e, ok := j.changes[k]
	if !ok {
		e = journalEntry{be: be, srv: srv}
		j.order = append(j.order, k)
	}
	e.ch = e.ch.Merge(ch)
	j.changes[k] = e
}

// Replay applies the recorded changes again, in the order they were first
// made, and forgets them. A server the reload removed is skipped; other
// failures are logged.
func (j *Journal) Replay(ctx context.Context, c *runtime.Client, log *slog.Logger) int {
	j.mu.Lock()
	entries := make([]journalEntry, 0, len(j.order))
	for _, k := range j.order {
		entries = append(entries, j.changes[k])
	}
	j.changes, j.order = nil, nil
	j.mu.Unlock()
	applied := 0
	for _, e := range entries {
		if _, err := Update(ctx, c, e.be, e.srv, e.ch); err != nil {
			if !errors.Is(err, runtime.ErrNotFound) {
				log.Warn("a runtime change made during a reload could not be applied again after it", "server", e.be+"/"+e.srv, "error", err)
			}
			continue
		}
		applied++
	}
	if applied > 0 {
		log.Info("runtime changes made during the reload applied again", "servers", applied)
	}
	return applied
}
