package apply

import "dataplane/internal/config"

// Overridden says which of a server's runtime-settable fields a
// configuration change sets anew. A runtime change kept beside the
// configuration (fleet mode replays them after every reload) must give
// way to a later configuration change of the same field, or the old
// runtime value would come back at the next reload and undo it.
type Overridden struct {
	// Gone: the server is not in next (removed, its backend removed or
	// renamed), or is new there: nothing set at runtime applies to it.
	Gone    bool
	Weight  bool // its effective weight differs
	Address bool // its address or port differs
	Maint   bool // `disabled`/`enabled` differ (the admin state)
}

// Any says whether anything was overridden.
func (o Overridden) Any() bool { return o.Gone || o.Weight || o.Address || o.Maint }

// ServerOverridden compares server srv of backend be in old and next, with
// the params HAProxy gives it (default-server lines included).
func ServerOverridden(old, next *config.Document, be, srv string) Overridden {
	oe, okOld := findServer(old, be, srv)
	ne, okNext := findServer(next, be, srv)
	if !okOld || !okNext {
		return Overridden{Gone: true}
	}
	a, b := effectiveOf(oe.units), effectiveOf(ne.units)
	return Overridden{
		Weight:  a.weightSet != b.weightSet || a.weight != b.weight,
		Address: oe.srv.Address != ne.srv.Address || !eqInt(oe.srv.Port, ne.srv.Port),
		Maint:   a.maint != b.maint,
	}
}

// findServer is srv of backend be in doc, false when there is none (or the
// backend cannot be read, which counts as none: the change replaced it).
func findServer(doc *config.Document, be, srv string) (serverEntry, bool) {
	sec, ok := doc.Section(config.KindBackend, be)
	if !ok {
		return serverEntry{}, false
	}
	entries, err := backendServers(doc, sec)
	if err != nil {
		return serverEntry{}, false
	}
	for _, e := range entries {
		if e.srv.Name == srv {
			return e, true
		}
	}
	return serverEntry{}, false
}
