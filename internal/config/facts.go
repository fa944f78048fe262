package config

import (
	"path/filepath"
	"slices"
	"strings"
)

// UserEntry is one `user` line of a userlist section.
type UserEntry struct {
	Name     string
	Password string   // hash, or plain text when Insecure
	Insecure bool     // insecure-password
	Groups   []string // from the user's `groups` and the `group ... users` lines naming it
}

// Userlist returns the users of `userlist <name>`.
func (d *Document) Userlist(name string) ([]UserEntry, error) {
	s, ok := d.Section(KindUserlist, name)
	if !ok {
		return nil, ErrNotFound
	}
	var out []UserEntry
	for _, l := range s.Find("user") {
		if len(l.Words) < 4 {
			continue
		}
		u := UserEntry{Name: l.Words[1]}
		switch l.Words[2] {
		case "password":
			u.Password = unquote(l.Words[3])
		case "insecure-password":
			u.Password = unquote(l.Words[3])
			u.Insecure = true
		default:
			continue
		}
		for i := 4; i+1 < len(l.Words); i++ {
			if l.Words[i] == "groups" {
				u.Groups = strings.Split(l.Words[i+1], ",")
			}
		}
		out = append(out, u)
	}
	// A user is also in every `group <name> users <a>,<b>` that lists it.
	for _, l := range s.Find("group") {
		if len(l.Words) < 2 {
			continue
		}
		for i := 2; i+1 < len(l.Words); i++ {
			if l.Words[i] != "users" {
				continue
			}
			for _, name := range strings.Split(l.Words[i+1], ",") {
				for j := range out {
					if out[j].Name == name && !slices.Contains(out[j].Groups, l.Words[1]) {
						out[j].Groups = append(out[j].Groups, l.Words[1])
					}
				}
			}
		}
	}
	return out, nil
}

// StatsSockets returns the unix socket paths of `stats socket` lines in
// global, in file order. Relative paths are resolved against dir (the
// directory HAProxy runs in). The words are read as HAProxy reads them,
// environment variables in double quotes expanded (Line.Expanded).
func (d *Document) StatsSockets(dir string) []Socket {
	g, ok := d.GlobalSection()
	if !ok {
		return nil
	}
	var out []Socket
	for _, raw := range g.Find("stats", "socket") {
		l := Line{Index: raw.Index, Words: raw.Expanded()}
		addr := l.Arg(2)
		switch {
		case strings.HasPrefix(addr, "unix@"):
			addr = strings.TrimPrefix(addr, "unix@")
		case strings.Contains(addr, "@"), strings.HasPrefix(addr, ":"), !strings.Contains(addr, "/") && strings.Contains(addr, ":"):
			continue // ipv4@, ipv6@, abns@, fd@, host:port: not a unix path
		}
		if addr == "" {
			continue
		}
		if !filepath.IsAbs(addr) && dir != "" {
			addr = filepath.Join(dir, addr)
		}
		s := Socket{Path: addr}
		for i := 3; i < len(l.Words); i++ {
			switch l.Words[i] {
			case "level":
				s.Level = l.Arg(i + 1)
			case "expose-fd":
				s.ExposeFD = l.Arg(i+1) == "listeners"
			}
		}
		out = append(out, s)
	}
	return out
}

// Socket is a unix `stats socket` of global.
type Socket struct {
	Path     string
	Level    string // "" (user), operator, admin
	ExposeFD bool   // expose-fd listeners: needed by `-x` reloads
}

// AdminSocket returns the first stats socket with level admin, else the
// first one.
func (d *Document) AdminSocket(dir string) (Socket, bool) {
	socks := d.StatsSockets(dir)
	for _, s := range socks {
		if s.Level == "admin" {
			return s, true
		}
	}
	if len(socks) > 0 {
		return socks[0], true
	}
	return Socket{}, false
}

// MasterWorker reports whether global declares master-worker mode.
func (d *Document) MasterWorker() bool {
	g, ok := d.GlobalSection()
	return ok && g.Has("master-worker")
}

// unquote removes one level of matching quotes around a word.
func unquote(w string) string {
	if len(w) >= 2 && (w[0] == '"' && w[len(w)-1] == '"' || w[0] == '\'' && w[len(w)-1] == '\'') {
		return w[1 : len(w)-1]
	}
	return w
}

// HasIdleCloseOnResponse reports whether every HTTP listener gets `option
// idle-close-on-response`, from a defaults section or its own. Without it
// HAProxy closes idle keep-alive connections during a reload and clients
// that reuse them see errors.
func (d *Document) HasIdleCloseOnResponse() bool {
	for _, s := range d.SectionsOf(KindDefaults) {
		if optionOn(s, "idle-close-on-response") {
			return true
		}
	}
	proxies := 0
	for _, s := range d.sections {
		if s.Kind != KindFrontend && s.Kind != KindListen {
			continue
		}
		proxies++
		if !optionOn(s, "idle-close-on-response") {
			return false
		}
	}
	return proxies > 0
}

// optionOn reports whether the last `option X` / `no option X` line of the
// section turns the option on.
func optionOn(s *Section, name string) bool {
	on := false
	for _, l := range s.Lines() {
		switch {
		case l.Keyword("option", name):
			on = true
		case l.Keyword("no", "option", name):
			on = false
		}
	}
	return on
}

// DefaultsOf returns the defaults section a proxy section inherits from:
// the one its `from` names, else the last defaults section before it.
func (d *Document) DefaultsOf(s *Section) (*Section, bool) {
	if s.From != "" {
		return d.Section(KindDefaults, s.From)
	}
	for i, x := range d.sections {
		if x == s {
			if j := d.implicitDefaults(i); j >= 0 {
				return d.sections[j], true
			}
			return nil, false
		}
	}
	return nil, false
}

// SplitServerParams cuts the words of a server or default-server line
// (after the address) into params, each with its value words, using
// config-parser's knowledge of which keywords take a value.
func SplitServerParams(words []string) [][]string {
	units := splitParams(words, serverArity)
	out := make([][]string, len(units))
	for i, u := range units {
		out[i] = u.words
	}
	return out
}

// PIDFile returns global's `pidfile`, as HAProxy reads it (variables
// expanded), resolved against dir, or "".
func (d *Document) PIDFile(dir string) string {
	g, ok := d.GlobalSection()
	if !ok {
		return ""
	}
	l, ok := g.Last("pidfile")
	if !ok {
		return ""
	}
	p := Line{Words: l.Expanded()}.Arg(1)
	if p == "" {
		return ""
	}
	if !filepath.IsAbs(p) && dir != "" {
		p = filepath.Join(dir, p)
	}
	return p
}
