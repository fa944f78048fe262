package role

import "testing"

func TestOf(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         Action
		ok           bool
	}{
		{"GET", "/services/haproxy/configuration/raw", Read, true},
		{"GET", "/anything/at/all", Read, true},
		{"GET", "/audit", Audit, true},
		{"HEAD", "/audit", Audit, true},
		{"POST", "/services/haproxy/configuration/backups/{version}/restore", Configure, true},
		{"POST", "/services/haproxy/configuration/raw", Configure, true},
		{"PUT", "/services/haproxy/configuration/backends/{name}", Configure, true},
		{"PUT", "/services/haproxy/runtime/backends/{parent_name}/servers/{name}", Operate, true},
		{"PUT", "/services/haproxy/runtime/backends/{backend}/servers/{server}/drain", Operate, true},
		{"POST", "/services/haproxy/runtime/stick_tables/{parent_name}/entries", Operate, true},
		{"POST", "/services/haproxy/runtime/backends/{parent_name}/servers", Configure, true},
		{"DELETE", "/services/haproxy/runtime/backends/{b}/servers/{s}", Configure, true},
		{"PUT", "/services/haproxy/storage/ssl_certificates/{name}", Operate, true},
		{"POST", "/services/haproxy/storage/ssl_certificates", Configure, true},
		{"DELETE", "/services/haproxy/storage/ssl_certificates/{name}", Configure, true},
		{"PUT", "/services/haproxy/transactions/{id}", Configure, true},
		{"POST", "/services/haproxy/transactions", Configure, true},
		{"POST", "/services/haproxy/reloads", Configure, true},
		{"POST", "/services/haproxy/newarea/things", 0, false},
		{"DELETE", "/", 0, false},
	} {
		got, ok := Of(c.method, c.path)
		if got != c.want || ok != c.ok {
			t.Errorf("Of(%s %s) = %v, %v; want %v, %v", c.method, c.path, got, ok, c.want, c.ok)
		}
	}
}

func TestMay(t *testing.T) {
	want := map[Role][]bool{ // Read, Operate, Configure
		0:        {false, false, false},
		ReadOnly: {true, false, false},
		Operator: {true, true, false},
		Admin:    {true, true, true},
	}
	for r, may := range want {
		for i, a := range []Action{Read, Operate, Configure} {
			if r.May(a) != may[i] {
				t.Errorf("%v may %v = %v, want %v", r, a, r.May(a), may[i])
			}
		}
	}
	if !Admin.May(0) || Operator.May(0) {
		t.Error("an undeclared action needs admin, like configure")
	}
}

func TestParseAndGroups(t *testing.T) {
	for _, n := range Names() {
		r, err := Parse(n)
		if err != nil || r.String() != n {
			t.Errorf("Parse(%q) = %v, %v", n, r, err)
		}
	}
	if _, err := Parse("root"); err == nil {
		t.Error("Parse(root) succeeded")
	}
	for _, c := range []struct {
		groups []string
		want   Role
		ok     bool
	}{
		{nil, 0, false},
		{[]string{"web", "ops"}, 0, false},
		{[]string{"read-only"}, ReadOnly, true},
		{[]string{"operator", "read-only", "web"}, Operator, true},
		{[]string{"read-only", "admin", "operator"}, Admin, true},
		{[]string{"Admin"}, 0, false}, // HAProxy group names are case-sensitive
	} {
		got, ok := FromGroups(c.groups)
		if got != c.want || ok != c.ok {
			t.Errorf("FromGroups(%v) = %v, %v; want %v, %v", c.groups, got, ok, c.want, c.ok)
		}
	}
}
