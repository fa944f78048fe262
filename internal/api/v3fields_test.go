package api

import (
	"strings"
	"testing"
)

func TestDescribeUnknown(t *testing.T) {
	for _, c := range []struct {
		root string
		path []string
		prop string
		want string
	}{
		{"frontend", nil, "metadata", `"metadata" is a field of the Data Plane API v3 frontend model that this dataplane does not support`},
		{"backend", nil, "maxconm", `"maxconm" is not a field of the v3 backend model either`},
		{"backend", []string{"email_alert"}, "metadata", `"email_alert.metadata" is a field of the Data Plane API v3 email_alert model`},
		{"backend", []string{"stats_options", "stats_auths", "0"}, "password", `"stats_options.stats_auths.0.password" is not a field of the v3 stats_auth model either`},
		{"backend", []string{"description"}, "x", `"description.x" is not a property of this object`},
		{"no_such_schema", nil, "x", `"x" is not a property of this object`},
	} {
		if got := describeUnknown(c.root, c.path, c.prop); !strings.Contains(got, c.want) {
			t.Errorf("describeUnknown(%s, %v, %s) = %q, want it to contain %q", c.root, c.path, c.prop, got, c.want)
		}
	}
}
