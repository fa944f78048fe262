package apply

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"dataplane/internal/config"
	"dataplane/internal/reload"
	"dataplane/internal/runtime"
)

// StateFile returns the global server-state-file of doc, resolved against
// server-state-base or dir (HAProxy's working directory), or "".
func StateFile(doc *config.Document, dir string) string {
	g, err := doc.Global()
	if err != nil || g.PerformanceOptions == nil || g.PerformanceOptions.ServerStateFile == "" {
		return ""
	}
	p := g.PerformanceOptions.ServerStateFile
	if !filepath.IsAbs(p) {
		base := g.PerformanceOptions.ServerStateBase
		if base == "" {
			base = dir
		} else if !filepath.IsAbs(base) {
			base = filepath.Join(dir, base)
		}
		p = filepath.Join(base, p)
	}
	return p
}

// SaveServerState writes HAProxy's current server states (`show servers
// state`) to the server-state-file next names, just before a reload, so
// maintenance, drain, weights and health survive it. One HAProxy quirk is
// handled: an address in the state file wins over the one in the
// configuration, so servers whose address or port the new configuration
// changes get the new values in the file. It does nothing when the
// configuration names no state file. The file gets the mode and owner of
// like (the live configuration file).
func SaveServerState(ctx context.Context, c *runtime.Client, running, next *config.Document, dir, like string) (string, error) {
	path := StateFile(next, dir)
	if path == "" || c == nil {
		return "", nil
	}
	raw, err := c.ServersStateRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("save server state: %w", err)
	}
	patched := patchAddresses(raw, changedAddresses(running, next))
	if err := reload.WriteFileLike(path, []byte(patched), like); err != nil {
		return "", fmt.Errorf("save server state: %w", err)
	}
	return path, nil
}

type srvKey struct{ backend, server string }

type addrPort struct {
	addr string
	port string
}

// changedAddresses lists the servers whose address or port differ between
// the two documents, with their new values.
func changedAddresses(running, next *config.Document) map[srvKey]addrPort {
	out := map[srvKey]addrPort{}
	if running == nil || running == next {
		return out
	}
	for _, s := range next.SectionsOf(config.KindBackend) {
		if o, ok := running.Section(config.KindBackend, s.Name); ok && o == s {
			continue
		}
		newSrv, err := config.Servers.At(config.KindBackend, s.Name).List(next)
		if err != nil {
			continue
		}
		oldSrv, _ := config.Servers.At(config.KindBackend, s.Name).List(running)
		old := map[string]config.Server{}
		for _, sv := range oldSrv {
			old[sv.Name] = sv
		}
		for _, sv := range newSrv {
			o, ok := old[sv.Name]
			if !ok || (o.Address == sv.Address && eqInt(o.Port, sv.Port)) {
				continue
			}
			port := "0"
			if sv.Port != nil {
				port = fmt.Sprint(*sv.Port)
			}
			out[srvKey{s.Name, sv.Name}] = addrPort{sv.Address, port}
		}
	}
	return out
}

// patchAddresses rewrites srv_addr and srv_port of the given servers in a
// `show servers state` dump (format version 1: the "#" header names the
// columns).
func patchAddresses(raw string, changes map[srvKey]addrPort) string {
	if len(changes) == 0 {
		return raw
	}
	lines := strings.Split(raw, "\n")
	col := map[string]int{}
	for i, l := range lines {
		if strings.HasPrefix(l, "# ") {
			for j, name := range strings.Fields(strings.TrimPrefix(l, "# ")) {
				col[name] = j
			}
			continue
		}
		if len(col) == 0 || l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		be, srv := col["be_name"], col["srv_name"]
		addr, port := col["srv_addr"], col["srv_port"]
		if be >= len(f) || srv >= len(f) || addr >= len(f) || port >= len(f) {
			continue
		}
		ch, ok := changes[srvKey{f[be], f[srv]}]
		if !ok {
			continue
		}
		f[addr], f[port] = ch.addr, ch.port
		lines[i] = strings.Join(f, " ")
	}
	return strings.Join(lines, "\n")
}
