package config

import (
	"errors"
	"strings"
	"testing"
)

func init() {
	ruleSeeds["http_response_rules"] = `{"type":"set-header","hdr_name":"X-A","hdr_format":"%[status]","cond":"if","cond_test":"{ status 200 }"}`
	ruleSeeds["http_after_response_rules"] = `{"type":"set-status","status":503,"status_reason":"Down","cond":"unless","cond_test":"{ status 200 }"}`
	ruleSeeds["http_error_rules"] = `{"type":"status","status":503,"return_content_type":"text/plain","return_content_format":"string","return_content":"down","return_hdrs":[{"name":"X-A","fmt":"b"}]}`
}

// TestActionCheckHeadersAndLostFields: the items of return_hdrs are
// checked like any value (one word, no newline, no comment), and a field
// the action would not write (hdr after an errorfile) is refused rather
// than dropped, in every action list that has them.
func TestActionCheckHeadersAndLostFields(t *testing.T) {
	hdr := func(name, fmt string) []ReturnHeader { return []ReturnHeader{{Name: name, Fmt: fmt}} }
	for _, c := range []struct {
		what string
		err  error
		want string // the field refused
	}{
		{"newline in a header name", HTTPErrorRules.Check(&HTTPErrorRule{Type: "status", Status: 503, ReturnContentFormat: "string", ReturnContent: "x", ReturnHdrs: hdr("X\n    http-request deny", "a")}), "return_hdrs[0].name"},
		{"several words in a header format", HTTPRequestRules.Check(&HTTPRequestRule{Type: "return", ReturnContentFormat: "string", ReturnContent: "x", ReturnHdrs: hdr("X", "a b")}), "return_hdrs[0].fmt"},
		{"a comment in a header format", HTTPResponseRules.Check(&HTTPResponseRule{Type: "deny", ReturnContentFormat: "string", ReturnContent: "x", ReturnHdrs: hdr("X", "a # b")}), "return_hdrs[0].fmt"},
		{"an empty header name", HTTPErrorRules.Check(&HTTPErrorRule{Type: "status", Status: 503, ReturnContentFormat: "string", ReturnContent: "x", ReturnHdrs: hdr("", "a")}), "return_hdrs[0].name"},
		{"a header after an errorfile", HTTPErrorRules.Check(&HTTPErrorRule{Type: "status", Status: 503, ReturnContentFormat: "errorfile", ReturnContent: "/e/503.http", ReturnHdrs: hdr("X", "a")}), "return_hdrs"},
		{"a header after an errorfile (http-request)", HTTPRequestRules.Check(&HTTPRequestRule{Type: "return", ReturnContentFormat: "errorfile", ReturnContent: "/e/503.http", ReturnHdrs: hdr("X", "a")}), "return_hdrs"},
	} {
		if !errors.Is(c.err, ErrInvalid) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want an invalid %s", c.what, c.err, c.want)
		}
	}
	if err := HTTPErrorRules.Check(&HTTPErrorRule{Type: "status", Status: 503, ReturnContentFormat: "string", ReturnContent: `"a b"`, ReturnHdrs: hdr("X", `"c d"`)}); err != nil {
		t.Errorf("quoted values: %v", err)
	}
}
