package config

import (
	"fmt"
	"sort"
)

// A site is the Data Plane API v3 composite resource: a frontend (its
// "service": mode, maxconn, connection mode and binds) with the backends
// it switches to (its "farms": the default_backend and the use_backend
// targets) and their servers, as one object. It has no lines of its own:
// reads assemble it from the sections and collections, and writes are a
// sequence of the same section and collection edits the other resources
// make, on one document, so a site change is one commit (one haproxy -c,
// one version) and a failure anywhere leaves the file as it was.

// Site is the v3 `site` model.
type Site struct {
	Name    string       `json:"name"`
	Service *SiteService `json:"service,omitempty"`
	Farms   []SiteFarm   `json:"farms,omitempty"`
}

// SiteService is the frontend side of a site.
type SiteService struct {
	HTTPConnectionMode string `json:"http_connection_mode,omitempty"`
	Listeners          []Bind `json:"listeners,omitempty"`
	Maxconn            *int64 `json:"maxconn,omitempty"`
	Mode               string `json:"mode,omitempty"`
}

// SiteFarm is one backend of a site: the frontend's default_backend
// (use_as "default") or the target of a use_backend rule ("conditional",
// with the rule's condition).
type SiteFarm struct {
	Name       string      `json:"name"`
	UseAs      string      `json:"use_as"`
	Cond       string      `json:"cond,omitempty"`
	CondTest   string      `json:"cond_test,omitempty"`
	Balance    *Balance    `json:"balance,omitempty"`
	Forwardfor *Forwardfor `json:"forwardfor,omitempty"`
	Mode       string      `json:"mode,omitempty"`
	Servers    []Server    `json:"servers,omitempty"`
}

const (
	farmDefault     = "default"
	farmConditional = "conditional"
)

// Sites reads every frontend as a site, in file order.
func (d *Document) Sites() ([]Site, error) {
	fes := d.Frontends()
	out := make([]Site, 0, len(fes))
	for i := range fes {
		s, err := d.siteOf(&fes[i])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Site reads the site of frontend name.
func (d *Document) Site(name string) (Site, error) {
	fe, err := d.Frontend(name)
	if err != nil {
		return Site{}, fmt.Errorf("site: %w", err)
	}
	return d.siteOf(&fe)
}

func (d *Document) siteOf(fe *Frontend) (Site, error) {
	site := Site{Name: fe.Name}
	binds, err := Binds.Items(d, Parent{KindFrontend, fe.Name})
	if err != nil {
		return Site{}, fmt.Errorf("site %q: %w", fe.Name, err)
	}
	svc := SiteService{Mode: fe.Mode, HTTPConnectionMode: fe.HTTPConnectionMode, Maxconn: fe.Maxconn, Listeners: binds}
	if svc.Mode != "" || svc.HTTPConnectionMode != "" || svc.Maxconn != nil || len(binds) > 0 {
		site.Service = &svc
	}
	farms, err := d.farmsOf(fe)
	if err != nil {
		return Site{}, err
	}
	for _, f := range farms {
		be, err := d.Backend(f.Name)
		if err != nil {
			// A target that is no backend of the file (a log-format
			// name, a typo HAProxy would refuse) is no farm.
			continue
		}
		f.Mode, f.Balance, f.Forwardfor = be.Mode, be.Balance, be.Forwardfor
		if f.Servers, err = Servers.Items(d, Parent{KindBackend, be.Name}); err != nil {
			return Site{}, fmt.Errorf("site %q: farm %q: %w", fe.Name, be.Name, err)
		}
		site.Farms = append(site.Farms, f)
	}
	return site, nil
}

// farmsOf lists the farms a frontend names, without their backend's
// fields: default_backend first, then the use_backend targets in rule
// order, each name once.
func (d *Document) farmsOf(fe *Frontend) ([]SiteFarm, error) {
	var farms []SiteFarm
	seen := map[string]bool{}
	if fe.DefaultBackend != "" {
		farms = append(farms, SiteFarm{Name: fe.DefaultBackend, UseAs: farmDefault})
		seen[fe.DefaultBackend] = true
	}
	rules, err := BackendSwitchingRules.Items(d, Parent{KindFrontend, fe.Name})
	if err != nil {
		return nil, fmt.Errorf("site %q: %w", fe.Name, err)
	}
	for _, r := range rules {
		if r.Verbatim != "" || r.Name == "" || seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		farms = append(farms, SiteFarm{Name: r.Name, UseAs: farmConditional, Cond: r.Cond, CondTest: r.CondTest})
	}
	return farms, nil
}

// checkSite checks what the sections and collections do not: the shape
// of the farms list. Every value that becomes text is checked by the
// section or collection that writes it.
func checkSite(s *Site) error {
	if err := CheckName("name", s.Name); err != nil {
		return err
	}
	defaults := 0
	names := map[string]bool{}
	for i, f := range s.Farms {
		field := fmt.Sprintf("farms[%d]", i)
		if err := CheckName(field+".name", f.Name); err != nil {
			return err
		}
		if names[f.Name] {
			return invalid(field+".name", "%q is listed twice", f.Name)
		}
		names[f.Name] = true
		switch f.UseAs {
		case farmDefault:
			if defaults++; defaults > 1 {
				return invalid(field+".use_as", "only one farm may be the default")
			}
			if f.Cond != "" || f.CondTest != "" {
				return invalid(field+".cond", "the default farm takes no condition")
			}
		case farmConditional:
			if f.Cond == "" || f.CondTest == "" {
				return invalid(field+".cond", "a conditional farm needs cond and cond_test")
			}
		default:
			return invalid(field+".use_as", "%q is not one of default, conditional", f.UseAs)
		}
		srvs := map[string]bool{}
		for j, srv := range f.Servers {
			if srvs[srv.Name] {
				return invalid(fmt.Sprintf("%s.servers[%d].name", field, j), "%q is listed twice", srv.Name)
			}
			srvs[srv.Name] = true
		}
	}
	if s.Service != nil {
		seen := map[string]bool{}
		for i := range s.Service.Listeners {
			b := &s.Service.Listeners[i]
			if Binds.Normalize != nil {
				Binds.Normalize(b)
			}
			if seen[b.Name] {
				return invalid(fmt.Sprintf("service.listeners[%d].name", i), "%q is listed twice", b.Name)
			}
			seen[b.Name] = true
		}
	}
	return nil
}

// CreateSite adds the frontend of s, its binds, a backend per farm with
// its servers, and the switching lines, in one document. A frontend or
// backend of those names that exists already is a conflict.
func (d *Document) CreateSite(s Site) (*Document, error) {
	if err := checkSite(&s); err != nil {
		return nil, err
	}
	for _, f := range s.Farms {
		if _, ok := d.Section(KindBackend, f.Name); ok {
			return nil, fmt.Errorf("site %q: farm %q: backend %q: %w", s.Name, f.Name, f.Name, ErrExists)
		}
	}
	fe := Frontend{Name: s.Name}
	s.setFrontend(&fe)
	d, err := d.CreateFrontend(fe)
	if err != nil {
		return nil, fmt.Errorf("site %q: %w", s.Name, err)
	}
	if s.Service != nil {
		for _, b := range s.Service.Listeners {
			if d, _, err = Binds.Add(d, Parent{KindFrontend, s.Name}, Key{}, b); err != nil {
				return nil, fmt.Errorf("site %q: listener %q: %w", s.Name, b.Name, err)
			}
		}
	}
	for _, f := range s.Farms {
		if d, err = d.createFarm(f); err != nil {
			return nil, fmt.Errorf("site %q: %w", s.Name, err)
		}
	}
	return d.setSwitching(s, nil)
}

// setFrontend writes the site's frontend fields into fe.
func (s *Site) setFrontend(fe *Frontend) {
	svc := SiteService{}
	if s.Service != nil {
		svc = *s.Service
	}
	fe.Mode, fe.HTTPConnectionMode, fe.Maxconn = svc.Mode, svc.HTTPConnectionMode, svc.Maxconn
	fe.DefaultBackend = ""
	for _, f := range s.Farms {
		if f.UseAs == farmDefault {
			fe.DefaultBackend = f.Name
		}
	}
}

func (f *SiteFarm) setBackend(be *Backend) {
	be.Mode, be.Balance, be.Forwardfor = f.Mode, f.Balance, f.Forwardfor
}

func (d *Document) createFarm(f SiteFarm) (*Document, error) {
	be := Backend{Name: f.Name}
	f.setBackend(&be)
	d, err := d.CreateBackend(be)
	if err != nil {
		return nil, fmt.Errorf("farm %q: %w", f.Name, err)
	}
	for _, srv := range f.Servers {
		if d, _, err = Servers.Add(d, Parent{KindBackend, f.Name}, Key{}, srv); err != nil {
			return nil, fmt.Errorf("farm %q: server %q: %w", f.Name, srv.Name, err)
		}
	}
	return d, nil
}

// setSwitching makes the frontend's use_backend lines hold the
// conditional farms of s, after the rules that are no farm of old (rules
// with a log-format target, or one that is no backend, stay first, as
// they were).
func (d *Document) setSwitching(s Site, old []SiteFarm) (*Document, error) {
	p := Parent{KindFrontend, s.Name}
	rules, err := BackendSwitchingRules.Items(d, p)
	if err != nil {
		return nil, fmt.Errorf("site %q: %w", s.Name, err)
	}
	wasFarm := map[string]bool{}
	for _, f := range old {
		wasFarm[f.Name] = true
	}
	want := make([]BackendSwitchingRule, 0, len(rules)+len(s.Farms))
	for _, r := range rules {
		if r.Verbatim != "" || !wasFarm[r.Name] {
			want = append(want, r)
		}
	}
	for _, f := range s.Farms {
		if f.UseAs == farmConditional {
			want = append(want, BackendSwitchingRule{Name: f.Name, Condition: Condition{Cond: f.Cond, CondTest: f.CondTest}})
		}
	}
	if d, err = BackendSwitchingRules.SetAll(d, p, want); err != nil {
		return nil, fmt.Errorf("site %q: switching rules: %w", s.Name, err)
	}
	return d, nil
}

// ReplaceSite makes site name hold s: the frontend's site fields, binds
// and switching lines; farms kept are edited in place (their other lines
// stay), new ones created, and the backends of farms left out deleted
// unless another section still switches to them.
func (d *Document) ReplaceSite(name string, s Site) (*Document, error) {
	if s.Name == "" {
		s.Name = name
	}
	if s.Name != name {
		return nil, invalid("name", "%q differs from the site being replaced (%q); renaming is not supported", s.Name, name)
	}
	if err := checkSite(&s); err != nil {
		return nil, err
	}
	fe, err := d.Frontend(name)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	old, err := d.Site(name)
	if err != nil {
		return nil, err
	}
	wasFarm := map[string]bool{}
	for _, f := range old.Farms {
		wasFarm[f.Name] = true
	}
	s.setFrontend(&fe)
	if d, err = d.ReplaceFrontend(name, fe); err != nil {
		return nil, fmt.Errorf("site %q: %w", name, err)
	}
	binds := map[string]Bind{}
	if s.Service != nil {
		for _, b := range s.Service.Listeners {
			binds[b.Name] = b
		}
	}
	if d, err = Binds.SetAllByName(d, Parent{KindFrontend, name}, binds); err != nil {
		return nil, fmt.Errorf("site %q: listeners: %w", name, err)
	}
	keep := map[string]bool{}
	for _, f := range s.Farms {
		keep[f.Name] = true
		if !wasFarm[f.Name] {
			if _, ok := d.Section(KindBackend, f.Name); ok {
				return nil, fmt.Errorf("site %q: farm %q: backend %q is not a farm of this site: %w", name, f.Name, f.Name, ErrExists)
			}
			if d, err = d.createFarm(f); err != nil {
				return nil, fmt.Errorf("site %q: %w", name, err)
			}
			continue
		}
		be, err := d.Backend(f.Name)
		if err != nil {
			return nil, fmt.Errorf("site %q: farm %q: %w", name, f.Name, err)
		}
		f.setBackend(&be)
		if d, err = d.ReplaceBackend(f.Name, be); err != nil {
			return nil, fmt.Errorf("site %q: farm %q: %w", name, f.Name, err)
		}
		servers := make(map[string]Server, len(f.Servers))
		for _, srv := range f.Servers {
			servers[srv.Name] = srv
		}
		if d, err = Servers.SetAllByName(d, Parent{KindBackend, f.Name}, servers); err != nil {
			return nil, fmt.Errorf("site %q: farm %q: servers: %w", name, f.Name, err)
		}
	}
	if d, err = d.setSwitching(s, old.Farms); err != nil {
		return nil, err
	}
	var gone []string
	for _, f := range old.Farms {
		if !keep[f.Name] {
			gone = append(gone, f.Name)
		}
	}
	return d.deleteFarms(gone)
}

// DeleteSite removes the frontend and the backends of its farms that no
// other section switches to.
func (d *Document) DeleteSite(name string) (*Document, error) {
	old, err := d.Site(name)
	if err != nil {
		return nil, err
	}
	if d, err = d.DeleteFrontend(name); err != nil {
		return nil, fmt.Errorf("site %q: %w", name, err)
	}
	farms := make([]string, len(old.Farms))
	for i, f := range old.Farms {
		farms[i] = f.Name
	}
	return d.deleteFarms(farms)
}

// deleteFarms deletes the backends names that no frontend or listen
// section of d names in default_backend or use_backend any more: a
// backend shared with another site stays.
func (d *Document) deleteFarms(names []string) (*Document, error) {
	if len(names) == 0 {
		return d, nil
	}
	used := map[string]bool{}
	for _, s := range d.Sections() {
		if s.Kind != KindFrontend && s.Kind != KindListen && s.Kind != KindDefaults {
			continue
		}
		for _, l := range s.Lines() {
			if (l.Keyword("default_backend") || l.Keyword("use_backend")) && len(l.Words) > 1 {
				used[l.Words[1]] = true
			}
		}
	}
	sort.Strings(names)
	var err error
	for _, n := range names {
		if used[n] {
			continue
		}
		if d, err = d.DeleteBackend(n); err != nil {
			return nil, fmt.Errorf("farm %q: %w", n, err)
		}
	}
	return d, nil
}
