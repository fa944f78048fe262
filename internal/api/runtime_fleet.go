package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"dataplane/internal/apply"
	"dataplane/internal/config"
	"dataplane/internal/patfile"
	"dataplane/internal/rtserver"
	"dataplane/internal/runtime"
)

// Fleet-wide runtime state (fleet mode): a runtime server change (admin
// and operational state, weight, address) made on one node is stored in
// the fleet's store, merged with the earlier ones of that server, before
// it is applied here; every other node applies it, and every node applies
// them all again after each reload. The record of a server is the state
// it was last set to at runtime, field by field, until a configuration
// change sets the same field (ResetFleetRuntime).

// The record kinds: runtime server changes, keyed <backend>/<server>;
// map and ACL entries, keyed <file>/<key> (the file's base name, the same
// on every node running the fleet's configuration; the entry's key or
// pattern may hold slashes).
const (
	fleetServerKind = "servers"
	fleetMapKind    = "maps"
	fleetACLKind    = "acls"
)

// patternRecord is the state a map or ACL entry was last set to at
// runtime: its value (maps), or gone. A deleted entry keeps its record,
// so that a node that missed the deletion still learns of it.
type patternRecord struct {
	Value   string `json:"value,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

func patternKind(kind runtime.PatternKind) string {
	if kind == runtime.KindACL {
		return fleetACLKind
	}
	return fleetMapKind
}

// lockFleetPatterns holds off this node's applying of the fleet's map and
// ACL records while a local change of an entry is stored and applied; a
// no-op outside fleet mode.
func (s *Server) lockFleetPatterns() func() {
	if s.d.FleetRuntime == nil {
		return func() {}
	}
	s.fleetPatterns.Lock()
	return s.fleetPatterns.Unlock
}

// publishPatternIf stores rec for the entry of t that id names (its key,
// or byID its entry id, which differs by node: the record names the key)
// when in fleet mode and the entry's presence here is want: a change the
// local operation refuses (an add of a key already here, a set or delete
// of one that is not) stores nothing.
func (s *Server) publishPatternIf(ctx context.Context, c *runtime.Client, t patfile.Target, id string, byID, want bool, rec patternRecord) error {
	if s.d.FleetRuntime == nil {
		return nil
	}
	cur, err := patfile.Find(ctx, c, t, id, byID)
	switch {
	case err != nil && !errors.Is(err, patfile.ErrNotFound):
		return err
	case (err == nil) != want:
		return nil
	case err == nil:
		id = cur.Key
	}
	return s.publishPatternChange(ctx, t, id, rec)
}

// publishPatternChange stores the state entry key of t is set to (when in
// fleet mode): the last one wins, whichever node it came from.
func (s *Server) publishPatternChange(ctx context.Context, t patfile.Target, key string, rec patternRecord) error {
	if s.d.FleetRuntime == nil {
		return nil
	}
	if t.File.File == "" {
		return fmt.Errorf("%s #%s has no file: its entries cannot be the fleet's", t.Kind, t.File.ID)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.d.FleetRuntime(ctx, patternKind(t.Kind), filepath.Base(t.File.File)+"/"+key, func([]byte) ([]byte, error) { return b, nil })
}

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
	switch kind {
	case fleetServerKind:
	case fleetMapKind:
		return s.applyFleetPattern(ctx, runtime.KindMap, key, value)
	case fleetACLKind:
		return s.applyFleetPattern(ctx, runtime.KindACL, key, value)
	default:
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

// FleetResetKinds are the record kinds a configuration change can
// override (ResetFleetRuntime): servers only.
var FleetResetKinds = []string{fleetServerKind}

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

// applyFleetPattern makes entry <file>/<key> of this node's HAProxy what
// the record says, through the same path as a local change (HAProxy, then
// its file, so a reload keeps it), and reads it back. An entry already as
// recorded is left alone, which makes the replay after a reload cheap.
func (s *Server) applyFleetPattern(ctx context.Context, kind runtime.PatternKind, key string, value []byte) error {
	file, entry, ok := strings.Cut(key, "/")
	if !ok {
		return fmt.Errorf("runtime record %q: want <file>/<key>", key)
	}
	var rec patternRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return fmt.Errorf("runtime record %s: %w", key, err)
	}
	c, err := s.requireRuntime()
	if err != nil {
		return err
	}
	defer s.lockFleetPatterns()()
	t, err := s.target(ctx, c, kind, file)
	if err != nil {
		return err
	}
	cur, err := patfile.Find(ctx, c, t, entry, false)
	found := err == nil
	if err != nil && !errors.Is(err, patfile.ErrNotFound) {
		return err
	}
	err = nil
	switch {
	case rec.Deleted && found:
		err = s.patterns().Delete(ctx, c, t, entry, false)
	case rec.Deleted:
	case !found:
		_, err = s.patterns().Add(ctx, c, t, entry, rec.Value, true)
	case kind == runtime.KindMap && cur.Value != rec.Value:
		_, err = s.patterns().Set(ctx, c, t, entry, rec.Value)
	}
	if err != nil {
		return err
	}
	// Read back: what the node reports applied is what HAProxy holds.
	cur, err = patfile.Find(ctx, c, t, entry, false)
	switch {
	case rec.Deleted && err == nil:
		return fmt.Errorf("%s %s: entry %q deleted, but HAProxy still holds it", kind, file, entry)
	case rec.Deleted && errors.Is(err, patfile.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("%s %s: entry %q: %w", kind, file, entry, err)
	case kind == runtime.KindMap && cur.Value != rec.Value:
		return fmt.Errorf("%s %s: entry %q set to %q, but HAProxy holds %q", kind, file, entry, rec.Value, cur.Value)
	}
	return nil
}
