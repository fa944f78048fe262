package preflight

import (
	"strings"
	"testing"

	"dataplane/internal/config"
)

// TestCheckExpandsVariables: the chroot, pid file and stats socket paths
// are checked where HAProxy will use them, environment variables inside
// double quotes expanded; an error names the expanded path and the word
// as written.
func TestCheckExpandsVariables(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PF_DIR", dir)
	t.Setenv("PF_MISSING", dir+"/missing")
	cases := []struct {
		global string
		want   string // "" for no error, else words of the error
	}{
		{`stats socket "${PF_DIR}/admin.sock" level admin`, ""},
		{`stats socket "$PF_DIR/admin.sock" level admin`, ""},
		{`pidfile "${PF_DIR}/haproxy.pid"`, ""},
		{`chroot "${PF_DIR}"`, ""},
		// Unquoted or single-quoted, HAProxy takes the name literally.
		{`stats socket ${PF_DIR}/admin.sock`, "${PF_DIR}"},
		{`pidfile '${PF_DIR}/haproxy.pid'`, "${PF_DIR}"},
		{`stats socket "${PF_MISSING}/admin.sock"`, dir + "/missing"},
		{`pidfile "${PF_MISSING}/haproxy.pid"`, `written "${PF_MISSING}/haproxy.pid"`},
		{`chroot "${PF_MISSING}"`, `written "${PF_MISSING}"`},
	}
	for _, c := range cases {
		doc, err := config.Parse([]byte("global\n    " + c.global + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		err = Check(doc, dir)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", c.global, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error naming %s", c.global, err, c.want)
		}
	}
}
