// Package preflight checks a configuration against the host before HAProxy
// runs it: what `haproxy -c` accepts but makes a starting HAProxy exit. A
// chroot that is not a directory makes the new worker fail, and HAProxy's
// master (exit-on-failure) then stops everything; a pid file or a unix
// socket in a directory that does not exist fails the reload.
package preflight

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"dataplane/internal/config"
	"dataplane/internal/fault"
)

// Check returns the first problem of doc, named by the keyword and value
// that cause it; dir is the directory relative paths resolve against
// (HAProxy's working directory).
func Check(doc *config.Document, dir string) error {
	g, ok := doc.GlobalSection()
	if !ok {
		return nil
	}
	resolve := func(p string) string {
		if !filepath.IsAbs(p) && dir != "" {
			return filepath.Join(dir, p)
		}
		return p
	}
	// The paths are read as HAProxy reads them: quotes removed, the
	// environment variables of double quotes expanded.
	if l, ok := g.Last("chroot"); ok {
		p := value(l)
		if st, err := os.Stat(resolve(p)); err != nil || !st.IsDir() {
			return fault.Errorf(fault.Invalid, "invalid chroot: %q%s is not an existing directory on this host; HAProxy's new process could not start and its master would stop HAProxy (%s)", p, from(l, p), why(err))
		}
	}
	if l, ok := g.Last("pidfile"); ok {
		p := value(l)
		if err := parentExists(resolve(p)); err != nil {
			return fault.Errorf(fault.Invalid, "invalid pidfile %q%s: %v", p, from(l, p), err)
		}
	}
	for _, s := range doc.StatsSockets(dir) {
		if !strings.HasPrefix(s.Path, "/") {
			continue // ipv4@, abns@, fd@...
		}
		if err := parentExists(s.Path); err != nil {
			return fault.Errorf(fault.Invalid, "invalid stats socket %q: %v", s.Path, err)
		}
	}
	return nil
}

// parentExists checks that the directory a file is to be created in
// exists.
func parentExists(path string) error {
	d := filepath.Dir(path)
	st, err := os.Stat(d)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("its directory %s does not exist on this host (%s)", d, why(err))
	}
	return nil
}

func why(err error) string {
	if err == nil {
		return "not a directory"
	}
	if os.IsNotExist(err) {
		return "no such directory"
	}
	return err.Error()
}

// value returns the first argument of a one-argument keyword, as HAProxy
// reads it.
func value(l config.Line) string {
	return config.Line{Words: l.Expanded()}.Arg(1)
}

// from names the word as written when HAProxy reads something else from
// it (a variable was expanded), so that an error shows both.
func from(l config.Line, v string) string {
	if raw := l.Arg(1); raw != v && raw != `"`+v+`"` && raw != "'"+v+"'" {
		return fmt.Sprintf(" (written %s)", raw)
	}
	return ""
}

// Binds checks that each TCP address a bind of next listens on, and that
// HAProxy does not hold already (no bind of running uses its port), can be
// bound on this host: a reload to a configuration whose listener cannot
// bind fails, and HAProxy pauses its listeners while it tries (~2 s
// without traffic). Only an address in use is refused: one dataplane may
// not bind (a privileged port, a foreign address HAProxy binds with
// `transparent`) is left to HAProxy; an address that is not the host's is
// refused unless the bind is `transparent` or in another namespace.
func Binds(running, next *config.Document) error {
	held := map[int64]bool{}
	if running != nil {
		for _, b := range allBinds(running) {
			for p := range ports(b) {
				held[p] = true
			}
		}
	}
	for _, b := range allBinds(next) {
		host, ok := tcpHost(b.Address)
		if !ok {
			continue
		}
		for p := range ports(b) {
			if held[p] {
				continue
			}
			addr := net.JoinHostPort(host, strconv.FormatInt(p, 10))
			ln, err := net.Listen("tcp", addr)
			if err == nil {
				ln.Close()
				continue
			}
			switch {
			case errors.Is(err, syscall.EADDRINUSE):
				return fault.Errorf(fault.Invalid, "invalid bind %q: %s is already in use on this host%s; HAProxy could not listen there, and its reload would fail",
					b.Name, addr, holderOf(p))
			case errors.Is(err, syscall.EADDRNOTAVAIL) && !b.Transparent && b.Namespace == "":
				return fault.Errorf(fault.Invalid, "invalid bind %q: %s is not an address of this host; HAProxy could not listen there (without `transparent`), and its reload would fail",
					b.Name, addr)
			}
		}
	}
	return nil
}

// allBinds returns the binds of every frontend.
func allBinds(d *config.Document) []config.Bind {
	var out []config.Bind
	for _, fe := range d.Frontends() {
		bs, err := config.Binds.At(config.KindFrontend, fe.Name).List(d)
		if err == nil {
			out = append(out, bs...)
		}
	}
	return out
}

// ports lists the ports of a bind (a range of up to 64 ports; none for a
// bind without a port).
func ports(b config.Bind) map[int64]bool {
	out := map[int64]bool{}
	if b.Port == nil {
		return out
	}
	last := *b.Port
	if b.PortRangeEnd != nil && *b.PortRangeEnd-*b.Port < 64 {
		last = *b.PortRangeEnd
	}
	for p := *b.Port; p <= last; p++ {
		out[p] = true
	}
	return out
}

// tcpHost returns the host to try for a bind address: "" for all
// addresses; false for what is not a plain TCP address (unix sockets,
// abns@, fd@, variables).
func tcpHost(addr string) (string, bool) {
	if strings.ContainsAny(addr, "$/") {
		return "", false
	}
	if rest, ok := strings.CutPrefix(addr, "ipv4@"); ok {
		addr = rest
	} else if rest, ok := strings.CutPrefix(addr, "ipv6@"); ok {
		addr = rest
	} else if strings.Contains(addr, "@") {
		return "", false
	}
	if addr == "*" {
		addr = ""
	}
	return addr, true
}

// holderOf names the process listening on a TCP port, when /proc tells
// (the socket's inode in /proc/net/tcp{,6}, then the process holding it).
func holderOf(port int64) string {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			// local_address is HEXADDR:HEXPORT; state 0A is LISTEN.
			if len(fields) < 10 || fields[3] != "0A" {
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 64); ok && err == nil && p == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		target, err := os.Readlink(fd)
		if err != nil || !inodes[target] {
			continue
		}
		pid := strings.Split(fd, "/")[2]
		comm, _ := os.ReadFile("/proc/" + pid + "/comm")
		return fmt.Sprintf(" (held by %s, pid %s)", strings.TrimSpace(string(comm)), pid)
	}
	return ""
}
