package config

import (
	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/parsers/http"
	httpActions "github.com/haproxytech/config-parser/v5/parsers/http/actions"
	"github.com/haproxytech/config-parser/v5/types"
)

// HTTPErrorRule is an `http-error status <code> [content-type <type>]
// [<format> <content>] [hdr <name> <fmt>]*` line, the Data Plane API v3
// `http_error_rule` model: the answer HAProxy gives when it answers with
// that status itself (no server available, a deny without content...).
// It takes no condition.
type HTTPErrorRule struct {
	ReturnContent       string         `json:"return_content,omitempty"`
	ReturnContentFormat string         `json:"return_content_format,omitempty"`
	ReturnContentType   string         `json:"return_content_type,omitempty"`
	ReturnHdrs          []ReturnHeader `json:"return_hdrs,omitempty"`
	Status              int64          `json:"status,omitempty"`
	Type                string         `json:"type,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

// HTTPErrorRules are the `http-error` lines of frontends, backends and
// defaults sections.
var HTTPErrorRules = actionList(&Collection[HTTPErrorRule]{
	Name: "http error rule", Path: "http_error_rules", OpName: "HTTPErrorRule",
	Tag: "HTTPErrorRule", Schema: "http_error_rule",
	Parents:     []string{KindFrontend, KindBackend, KindDefaults},
	FullSection: "http_error_rule_list",
}, httpErrorActions, func(m *HTTPErrorRule) *Unmodelled { return &m.Unmodelled })

var httpErrorActions = &actionTable[HTTPErrorRule]{
	Keyword: "http-error",
	Parser:  func() parser.ParserInterface { return &http.HTTPErrors{} },
	Actions: []actionSpec{
		{Type: "status", New: func() types.Action { return &httpActions.Status{} }, Fields: returnFields("status")},
	},
}
