package config

import (
	"fmt"
	"strconv"
	"strings"
)

// parseDuration reads an HAProxy time value into milliseconds: a bare
// number is in defaultUnit ("ms" or "s"); suffixes us, ms, s, m, h, d.
// Microseconds round up to 1 ms.
func parseDuration(v, defaultUnit string) (int64, bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	unit := v[i:]
	if unit == "" {
		unit = defaultUnit
	}
	switch unit {
	case "us":
		if n == 0 {
			return 0, true
		}
		return (n + 999) / 1000, true
	case "ms":
		return n, true
	case "s":
		return n * 1000, true
	case "m":
		return n * 60_000, true
	case "h":
		return n * 3_600_000, true
	case "d":
		return n * 86_400_000, true
	}
	return 0, false
}

// formatDuration writes milliseconds with the largest unit that divides
// them exactly (2000 -> "2s", 1500 -> "1500ms"), as the Data Plane API's
// default "nearest" suffix does.
func formatDuration(ms int64) string {
	if ms == 0 {
		return "0"
	}
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"d", 86_400_000}, {"h", 3_600_000}, {"m", 60_000}, {"s", 1000}} {
		if ms%u.n == 0 {
			return strconv.FormatInt(ms/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// formatSeconds writes a value whose unit is seconds (clitcpka-idle...).
func formatSeconds(s int64) string {
	return formatDuration(s*1000) + ""
}

// parseSize reads a size with an optional k/m/g suffix (powers of 1024).
func parseSize(v string) (int64, bool) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(v, "k"), strings.HasSuffix(v, "K"):
		mult, v = 1024, v[:len(v)-1]
	case strings.HasSuffix(v, "m"), strings.HasSuffix(v, "M"):
		mult, v = 1024*1024, v[:len(v)-1]
	case strings.HasSuffix(v, "g"), strings.HasSuffix(v, "G"):
		mult, v = 1024*1024*1024, v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return n * mult, true
}

// splitAddress splits a server or bind address token the way HAProxy does:
// the port follows the last colon. "[v6]:port" keeps the brackets out of
// the address; a token with no numeric port part (unix socket, fqdn, a
// range on a server) has no port.
func splitAddress(tok string) (addr string, port, portEnd *int64) {
	if strings.HasPrefix(tok, "/") || strings.HasPrefix(tok, "unix@") || strings.HasPrefix(tok, "abns@") ||
		strings.HasPrefix(tok, "fd@") || strings.HasPrefix(tok, "sockpair@") {
		return tok, nil, nil
	}
	// A family prefix before a bracketed IPv6 address (`ipv6@[::1]:53`,
	// as joinAddress writes it): the brackets go, the prefix stays.
	if prefix, rest, ok := strings.Cut(tok, "@"); ok && strings.HasPrefix(rest, "[") {
		if addr, port, end := splitAddress(rest); addr != rest {
			return prefix + "@" + addr, port, end
		}
		return tok, nil, nil
	}
	if strings.HasPrefix(tok, "[") {
		if end := strings.Index(tok, "]"); end > 0 {
			rest := tok[end+1:]
			if strings.HasPrefix(rest, ":") {
				if p, e, ok := parsePort(rest[1:]); ok {
					return tok[1:end], p, e
				}
			}
			if rest == "" {
				return tok[1:end], nil, nil
			}
		}
		return tok, nil, nil
	}
	i := strings.LastIndexByte(tok, ':')
	if i < 0 {
		return tok, nil, nil
	}
	if p, e, ok := parsePort(tok[i+1:]); ok {
		return tok[:i], p, e
	}
	return tok, nil, nil
}

// parsePort reads "80" or "8000-8010".
func parsePort(s string) (port, end *int64, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	p, err := strconv.ParseInt(a, 10, 64)
	if err != nil || p < 0 || p > 65535 || a == "" || a[0] == '+' {
		return nil, nil, false
	}
	port = &p
	if isRange {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e <= p || e > 65535 {
			return nil, nil, false
		}
		end = &e
	}
	return port, end, true
}

// joinAddress writes an address and optional port (and range end) back as
// one token; a bare IPv6 address with a port gets brackets.
func joinAddress(addr string, port, portEnd *int64) string {
	if port == nil {
		return addr
	}
	host := addr
	if strings.Contains(addr, ":") && !strings.Contains(addr, "@") && !strings.HasPrefix(addr, "[") {
		host = "[" + addr + "]"
	} else if prefix, rest, ok := strings.Cut(addr, "@"); ok && strings.Contains(rest, ":") && !strings.HasPrefix(rest, "[") {
		host = prefix + "@[" + rest + "]"
	}
	s := fmt.Sprintf("%s:%d", host, *port)
	if portEnd != nil {
		s += fmt.Sprintf("-%d", *portEnd)
	}
	return s
}
