// Package preflight checks a configuration against the host before HAProxy
// runs it: what `haproxy -c` accepts but makes a starting HAProxy exit. A
// chroot that is not a directory makes the new worker fail, and HAProxy's
// master (exit-on-failure) then stops everything; a pid file or a unix
// socket in a directory that does not exist fails the reload.
package preflight

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	if l, ok := g.Last("chroot"); ok {
		p := unquote(l.Arg(1))
		if st, err := os.Stat(resolve(p)); err != nil || !st.IsDir() {
			return fault.Errorf(fault.Invalid, "invalid chroot: %q is not an existing directory on this host; HAProxy's new process could not start and its master would stop HAProxy (%s)", p, why(err))
		}
	}
	if l, ok := g.Last("pidfile"); ok {
		if err := parentExists(resolve(unquote(l.Arg(1)))); err != nil {
			return fault.Errorf(fault.Invalid, "invalid pidfile %q: %v", l.Arg(1), err)
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

func unquote(w string) string {
	if len(w) >= 2 && (w[0] == '"' || w[0] == '\'') && w[len(w)-1] == w[0] {
		return w[1 : len(w)-1]
	}
	return w
}
