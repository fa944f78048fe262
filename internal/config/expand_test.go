package config

import (
	"reflect"
	"testing"
)

// TestExpandWord: a word is read the way HAProxy 2.6 reads it (each case
// was checked with `haproxy -c` and a `.notice` line): variables expand
// inside double quotes only, unset ones to nothing, defaults only for
// unset ones, [*] splits a value into words, escapes are decoded.
func TestExpandWord(t *testing.T) {
	env := map[string]string{
		"DIR":   "/run/n1",
		"EMPTY": "",
		"MULTI": "a  b",
		"A_B":   "ab",
	}
	lookup := func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	cases := []struct {
		raw     string
		want    []string
		wantErr bool
	}{
		{raw: `/run/admin.sock`, want: []string{"/run/admin.sock"}},
		{raw: `${DIR}/admin.sock`, want: []string{"${DIR}/admin.sock"}}, // unquoted: literal
		{raw: `"${DIR}/admin.sock"`, want: []string{"/run/n1/admin.sock"}},
		{raw: `"$DIR/admin.sock"`, want: []string{"/run/n1/admin.sock"}},
		{raw: `"$A_B.c"`, want: []string{"ab.c"}},
		{raw: `"${DIR}"/admin.sock`, want: []string{"/run/n1/admin.sock"}},
		{raw: `pre"${DIR}"post`, want: []string{"pre/run/n1post"}},
		{raw: `"${DIR}x${DIR}"`, want: []string{"/run/n1x/run/n1"}},
		{raw: `'${DIR}/admin.sock'`, want: []string{"${DIR}/admin.sock"}}, // single quotes: literal
		{raw: `"a"'${DIR}'"b"`, want: []string{"a${DIR}b"}},
		{raw: `"${UNSET}/admin.sock"`, want: []string{"/admin.sock"}},
		{raw: `"${UNSET-/tmp}/admin.sock"`, want: []string{"/tmp/admin.sock"}},
		{raw: `"${EMPTY-/tmp}/admin.sock"`, want: []string{"/admin.sock"}}, // set, empty: no default
		{raw: `"${DIR-/tmp}/admin.sock"`, want: []string{"/run/n1/admin.sock"}},
		{raw: `"${UNSET-$DIR}"`, want: []string{"$DIR"}}, // a default is not expanded
		{raw: `"${UNSET-}"`, want: []string{""}},
		{raw: `"${MULTI[*]}"`, want: []string{"a", "b"}},
		{raw: `"x${MULTI[*]}y"`, want: []string{"xa", "by"}},
		{raw: `"${MULTI}"`, want: []string{"a  b"}},
		{raw: `"\${DIR}"`, want: []string{"${DIR}"}},
		{raw: `\$x`, want: []string{`\$x`}}, // \$ escapes only inside double quotes
		{raw: `"a\"b\\c\x41\td"`, want: []string{"a\"b\\cA\td"}},
		{raw: `a\ b`, want: []string{"a b"}},
		{raw: `"\q"`, want: []string{`\q`}},
		{raw: `'\t'`, want: []string{`\t`}},
		{raw: `"$"`, wantErr: true},
		{raw: `"$1A"`, wantErr: true},
		{raw: `"${DIR:-x}"`, wantErr: true},
		{raw: `"${DIR"`, wantErr: true},
		{raw: `"${MULTI[1]}"`, wantErr: true},
		{raw: `"${.FILE}"`, wantErr: true},
		{raw: `"\x4"`, wantErr: true},
		{raw: `"${DIR}`, wantErr: true},
	}
	for _, c := range cases {
		got, err := ExpandWord(c.raw, lookup)
		if c.wantErr {
			if err == nil {
				t.Errorf("ExpandWord(%s) = %q, want an error", c.raw, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExpandWord(%s) = %q, %v; want %q", c.raw, got, err, c.want)
		}
	}
}

// TestStatsSocketsExpandVariables: the stats socket and pid file paths
// dataplane uses are those HAProxy opens, variables expanded from the
// environment (which dataplane shares with HAProxy).
func TestStatsSocketsExpandVariables(t *testing.T) {
	t.Setenv("NODE_DIR", "/run/n1")
	t.Setenv("LEVEL", "admin")
	doc, err := Parse([]byte(`global
    stats socket "${NODE_DIR}/user.sock"
    stats socket "${NODE_DIR}/admin.sock" level "$LEVEL" expose-fd listeners
    stats socket '${NODE_DIR}/literal.sock'
    pidfile "${NODE_DIR}/haproxy.pid"
`))
	if err != nil {
		t.Fatal(err)
	}
	got := doc.StatsSockets("/etc/haproxy")
	want := []Socket{
		{Path: "/run/n1/user.sock"},
		{Path: "/run/n1/admin.sock", Level: "admin", ExposeFD: true},
		{Path: "/etc/haproxy/${NODE_DIR}/literal.sock"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StatsSockets = %+v, want %+v", got, want)
	}
	if s, ok := doc.AdminSocket("/etc/haproxy"); !ok || s.Path != "/run/n1/admin.sock" {
		t.Errorf("AdminSocket = %+v, %v; want /run/n1/admin.sock", s, ok)
	}
	if p := doc.PIDFile("/etc/haproxy"); p != "/run/n1/haproxy.pid" {
		t.Errorf("PIDFile = %q, want /run/n1/haproxy.pid", p)
	}
}
