package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"dataplane/internal/apply"
	"dataplane/internal/config"
	"dataplane/internal/rtserver"
)

// Fleet-wide runtime state (fleet mode): a runtime server change (admin
// and operational state, weight, address) made on one node is stored in
// the fleet's store, merged with the earlier ones of that server, before
// it is applied here; every other node applies it, and every node applies
// them all again after each reload. The record of a server is the state
// it was last set to at runtime, field by field, until a configuration
// change sets the same field (ResetFleetRuntime).

// fleetServerKind is the record kind of runtime server changes.
const fleetServerKind = "servers"

// publishServerChange stores ch for be/srv in the fleet (when in fleet
// mode) once the server is known here.
func (s *Server) publishServerChange(ctx context.Context, be, srv string, ch rtserver.Change) error {
	if s.d.FleetRuntime == nil {
		return nil
	}
	if _, err := rtserver.Get(ctx, s.runtimeClient(), be, srv); err != nil {
		return err
	}
	return s.d.FleetRuntime(ctx, fleetServerKind, be+"/"+srv, func(old []byte) ([]byte, error) {
		var cur rtserver.Change
		if len(old) > 0 {
			if err := json.Unmarshal(old, &cur); err != nil {
				cur = rtserver.Change{} // unreadable: this change replaces it
			}
		}
		return json.Marshal(cur.Merge(ch))
	})
}

// ApplyFleetRuntime applies one of the fleet's runtime records here (the
// fleet node's RuntimeApplier). A change while a reload is due is also
// journaled, as a local one is, so the reload does not undo it.
func (s *Server) ApplyFleetRuntime(ctx context.Context, kind, key string, value []byte) error {
	if kind != fleetServerKind {
		return fmt.Errorf("unknown runtime record kind %q", kind)
	}
	be, srv, ok := strings.Cut(key, "/")
	if !ok {
		return fmt.Errorf("runtime record %q: want <backend>/<server>", key)
	}
	var ch rtserver.Change
	if err := json.Unmarshal(value, &ch); err != nil {
		return fmt.Errorf("runtime record %s: %w", key, err)
	}
	c, err := s.requireRuntime()
	if err != nil {
		return err
	}
	st, err := rtserver.Update(ctx, c, be, srv, ch)
	if err != nil {
		return err
	}
	// Never report what did not happen: the node's report says a record
	// is applied only when HAProxy shows it.
	if unmet := ch.Unmet(st); len(unmet) > 0 {
		return fmt.Errorf("server %s/%s: applied, but HAProxy does not show %s", be, srv, strings.Join(unmet, ", "))
	}
	if _, busy := s.reloadBusy(); busy {
		s.journal.Record(be, srv, ch)
	}
	return nil
}

// ResetFleetRuntime is the fleet's RuntimeReset: a configuration change
// from old to next that sets a server's weight, address or port, or
// maintenance anew drops that field from the server's runtime record, and
// a change that removes the server drops the record, so a later reload
// does not bring back a runtime value the configuration replaced (a
// removed and re-added server starts from its configuration). The
// operational state (up/down), which the configuration does not set,
// stays.
func ResetFleetRuntime(old, next *config.Document, kind, key string, value []byte) (keep []byte, changed bool) {
	if kind != fleetServerKind {
		return value, false
	}
	be, srv, ok := strings.Cut(key, "/")
	var ch rtserver.Change
	if !ok || json.Unmarshal(value, &ch) != nil {
		return nil, true // unreadable: ApplyFleetRuntime would refuse it anyway
	}
	o := apply.ServerOverridden(old, next, be, srv)
	switch {
	case !o.Any():
		return value, false
	case o.Gone:
		return nil, true
	}
	if o.Weight {
		ch.Weight = nil
	}
	if o.Address {
		ch.Address, ch.Port = "", nil
	}
	if o.Maint {
		ch.AdminState = ""
	}
	if ch == (rtserver.Change{}) {
		return nil, true
	}
	b, err := json.Marshal(ch)
	if err != nil {
		return nil, true
	}
	return b, !bytes.Equal(b, value)
}
