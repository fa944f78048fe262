package config

import (
	"encoding/json"
	"testing"
)

// TestTCPRulesAndChecksRead: which lines of the tcp and check lists are
// modelled and which read verbatim (the model cannot hold them exactly, a
// value is out of the spec's bounds, or config-parser does not read them).
func TestTCPRulesAndChecksRead(t *testing.T) {
	d, err := Parse([]byte(`defaults d
    mode http
frontend fe
    bind :80
    tcp-request inspect-delay 5s
    tcp-request inspect-delay 5000
    tcp-request content set-src src
    tcp-request content set-nice 5000
    tcp-request content set-log-level loud
    tcp-request content set-bc-mark 1
    tcp-request session set-var(sess.x) src
    quic-initial reject if { src 1.2.3.4 }
backend be
    option httpchk
    http-check send meth get uri /
    http-check expect status 200
    http-check connect port ${PORT}
    tcp-check expect string-lf %[var(check.x)]
    tcp-check expect glob x
    tcp-response content set-fc-mark 1
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		coll ChildResource
		p    Parent
		want string
	}{
		{TCPRequestRules, Parent{KindFrontend, "fe"}, `[{"timeout":5000,"type":"inspect-delay"},{"verbatim":"tcp-request inspect-delay 5000"},` +
			`{"verbatim":"tcp-request content set-src src"},{"verbatim":"tcp-request content set-nice 5000"},` +
			`{"verbatim":"tcp-request content set-log-level loud"},{"verbatim":"tcp-request content set-bc-mark 1"},` +
			`{"action":"set-var","expr":"src","type":"session","var_name":"x","var_scope":"sess"}]`},
		{QUICInitialRules, Parent{KindFrontend, "fe"}, `[{"verbatim":"quic-initial reject if { src 1.2.3.4 }"}]`},
		{HTTPChecks, Parent{KindBackend, "be"}, `[{"verbatim":"http-check send meth get uri /"},{"match":"status","pattern":"200","type":"expect"},` +
			`{"verbatim":"http-check connect port ${PORT}"}]`},
		{TCPChecks, Parent{KindBackend, "be"}, `[{"action":"expect","match":"string-lf","pattern":"%[var(check.x)]"},{"verbatim":"tcp-check expect glob x"}]`},
		{TCPResponseRules, Parent{KindBackend, "be"}, `[{"verbatim":"tcp-response content set-fc-mark 1"}]`},
	} {
		l, err := c.coll.List(d, c.p, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(l)
		if string(b) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.coll.Info().Path, b, c.want)
		}
	}
}
