package runtime

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// nameRE is the only shape of proxy and server name we put on a command
// line: it excludes the space, ';', '#', '@', quotes and control characters
// that HAProxy's CLI parser would interpret.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// checkNames validates (what, name) pairs, e.g. checkNames("backend", be,
// "server", srv). It is the single gate for every name taken from callers.
func checkNames(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if !nameRE.MatchString(pairs[i+1]) {
			return fmt.Errorf("%w: %s name %q must match %s", ErrInvalidArgument, pairs[i], pairs[i+1], nameRE)
		}
	}
	return nil
}

// checkRange validates an integer argument.
func checkRange(what string, n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("%w: %s %d out of range %d..%d", ErrInvalidArgument, what, n, lo, hi)
	}
	return nil
}

// checkOneOf validates an enumerated argument.
func checkOneOf(what, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%w: %s %q must be one of %s", ErrInvalidArgument, what, v, strings.Join(allowed, "|"))
	}
	return nil
}

// checkIP validates an address and returns HAProxy's spelling of it. The
// canonical form is what gets sent, never the caller's string.
func checkIP(addr string) (string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return "", fmt.Errorf("%w: address %q is not an IP address", ErrInvalidArgument, addr)
	}
	return ip.String(), nil
}

// payloadMarker at the end of a command line makes HAProxy's CLI read a
// payload (until an empty line) before running the command; newer versions
// also take "<<PATTERN" as the last word. A command sent by this package
// never has a payload, so such a line would stall until the timeout.
const payloadMarker = "<<"

// checkParam validates one word of an `add server` parameter list: printable
// ASCII with no space and none of the characters the CLI parser treats
// specially (';' separates commands, '#' starts a comment, quotes and '\'
// change tokenization, "<<" asks for a payload).
func checkParam(p string) error {
	if p == "" {
		return fmt.Errorf("%w: empty server parameter", ErrInvalidArgument)
	}
	if strings.Contains(p, payloadMarker) {
		return fmt.Errorf("%w: server parameter %q contains %q, which makes the CLI wait for a payload", ErrInvalidArgument, p, payloadMarker)
	}
	for _, r := range p {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`;#'"\`, r) {
			return fmt.Errorf("%w: server parameter %q contains %q", ErrInvalidArgument, p, r)
		}
	}
	return nil
}

// checkLine validates a raw command line: exactly one non-blank command,
// with no payload marker at its end.
func checkLine(cmd string) error {
	if strings.ContainsAny(cmd, "\n\r;\x00") {
		return fmt.Errorf("%w: command %q contains a newline, ';' or NUL", ErrInvalidArgument, cmd)
	}
	line := strings.TrimRight(cmd, " \t\v\f")
	if strings.TrimSpace(line) == "" {
		return fmt.Errorf("%w: empty command", ErrInvalidArgument)
	}
	last := line[strings.LastIndexAny(line, " \t\v\f")+1:]
	if strings.HasPrefix(last, payloadMarker) || strings.HasSuffix(last, payloadMarker) {
		return fmt.Errorf("%w: command %q ends with %q, which makes the CLI wait for a payload", ErrInvalidArgument, cmd, payloadMarker)
	}
	return nil
}

// CheckParams validates the words of an `add server` parameter list (see
// checkParam), so a caller can refuse them before it sends anything.
func CheckParams(params []string) error {
	for _, p := range params {
		if err := checkParam(p); err != nil {
			return err
		}
	}
	return nil
}
