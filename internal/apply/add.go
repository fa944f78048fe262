package apply

import (
	"net/netip"
	"strings"

	"dataplane/internal/config"
)

// dynamicParams are the server keywords HAProxy 2.6 accepts on `add
// server` (its manual marks them as usable on dynamic servers). A server
// whose effective params fall outside this set is added by a reload.
var dynamicParams = map[string]bool{
	"agent-addr": true, "agent-check": true, "agent-inter": true, "agent-port": true, "agent-send": true,
	"allow-0rtt": true, "alpn": true, "addr": true, "backup": true, "ca-file": true, "check": true,
	"check-alpn": true, "check-proto": true, "check-send-proxy": true, "check-sni": true, "check-ssl": true,
	"check-via-socks4": true, "ciphers": true, "ciphersuites": true, "crl-file": true, "crt": true,
	"downinter": true, "error-limit": true, "fall": true, "fastinter": true, "force-sslv3": true,
	"force-tlsv10": true, "force-tlsv11": true, "force-tlsv12": true, "force-tlsv13": true, "id": true,
	"inter": true, "maxconn": true, "maxqueue": true, "minconn": true, "no-agent-check": true,
	"no-backup": true, "no-check": true, "no-check-ssl": true, "no-send-proxy": true, "no-send-proxy-v2": true,
	"no-send-proxy-v2-ssl": true, "no-send-proxy-v2-ssl-cn": true, "no-ssl": true, "no-ssl-reuse": true,
	"no-sslv3": true, "no-tls-tickets": true, "no-tlsv10": true, "no-tlsv11": true, "no-tlsv12": true,
	"no-tlsv13": true, "no-verifyhost": true, "no-tfo": true, "npn": true, "observe": true, "on-error": true,
	"on-marked-down": true, "on-marked-up": true, "pool-low-conn": true, "pool-max-conn": true,
	"pool-purge-delay": true, "port": true, "proto": true, "proxy-v2-options": true, "rise": true,
	"send-proxy": true, "send-proxy-v2": true, "send-proxy-v2-ssl": true, "send-proxy-v2-ssl-cn": true,
	"slowstart": true, "sni": true, "source": true, "ssl": true, "ssl-max-ver": true, "ssl-min-ver": true,
	"ssl-reuse": true, "tfo": true, "tls-tickets": true, "track": true, "verify": true, "verifyhost": true,
	"weight": true, "ws": true,
}

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
		if !dynamicParams[kw] {
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
