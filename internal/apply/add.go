package apply

import (
	"net/netip"
	"strings"

	"dataplane/internal/config"
)

// dynamicAlgorithms can take servers at run time; hash-based algorithms
// only with consistent hashing (map-based hashing is static).
var dynamicAlgorithms = map[string]bool{"roundrobin": true, "leastconn": true, "first": true, "random": true}

// planAdd builds the `add server` operations for a new server. HAProxy
// does not apply default-server lines to `add server`, so the server's
// effective params (see serverEntry: the default-server lines above its
// line in the next document, then its own) are spelled out.
func planAdd(be, def *config.Section, e serverEntry) ([]Op, Plan) {
	sv := e.srv
	if algo, ok := dynamicAlgorithm(be, def); !ok {
		return nil, needsReload("backend %s balances with %s, which cannot take servers at run time", be.Name, algo)
	}
	addr, err := netip.ParseAddr(sv.Address)
	if err != nil || addr.Zone() != "" || sv.Port == nil || *sv.Port < 1 || *sv.Port > 65535 {
		return nil, needsReload("new server %s/%s: runtime add needs an IP address and a port", be.Name, sv.Name)
	}
	op := Op{Kind: OpAddServer, Backend: be.Name, Server: sv.Name, Addr: addr.String(), Port: int(*sv.Port)}
	for _, unit := range e.units {
		kw := unit[0]
		switch kw {
		case "disabled":
			op.StartMnt = true
			continue
		case "enabled":
			op.StartMnt = false
			continue
		case "check":
			op.Check = true
		case "no-check":
			op.Check = false
		case "agent-check":
			op.Agent = true
		case "no-agent-check":
			op.Agent = false
		}
		if !config.DynamicServerParam(kw) {
			return nil, needsReload("new server %s/%s: param %q cannot be set on `add server` in HAProxy 2.6", be.Name, sv.Name, kw)
		}
		for _, w := range unit {
			if strings.ContainsAny(w, "\"'${}\\") {
				return nil, needsReload("new server %s/%s: param %q holds quotes or variables", be.Name, sv.Name, kw)
			}
			// "<<" would make the CLI wait for a payload.
			if strings.Contains(w, "<<") {
				return nil, needsReload("new server %s/%s: param %q holds \"<<\"", be.Name, sv.Name, kw)
			}
		}
		op.Params = append(op.Params, unit...)
	}
	return []Op{op}, Plan{}
}

// dynamicAlgorithm returns the balance algorithm of a backend and whether
// it is dynamic: HAProxy refuses servers added at run time, and weights
// other than 0%/100%, in backends with a static one.
func dynamicAlgorithm(be, def *config.Section) (string, bool) {
	algo, hashType := "roundrobin", ""
	for _, s := range []*config.Section{def, be} {
		if s == nil {
			continue
		}
		if l, ok := s.Last("balance"); ok {
			algo = l.Arg(1)
		}
		if l, ok := s.Last("hash-type"); ok {
			hashType = l.Arg(1)
		}
	}
	base, _, _ := strings.Cut(algo, "(")
	return algo, dynamicAlgorithms[base] || hashType == "consistent" && base != "static-rr"
}
