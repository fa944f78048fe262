package api

import (
	_ "embed"
	"net/http"
)

// The documentation page at /v3/docs: Redoc (docsui/README.md says which
// version and where from) renders the contract this server serves at
// /v3/specification_openapiv3. Both the page and the bundle come from the
// binary, so the page works where the browser reaches nothing but
// dataplane. They sit behind the same authentication as the spec they
// render: a browser that logged in for the page sends the same
// credentials for the spec (one realm under /v3).

//go:embed docsui/redoc.standalone.js
var redocBundle []byte

// docsPage has no inline script, so that its Content-Security-Policy
// can forbid every script but the bundle: Redoc starts by itself on the
// <redoc spec-url> element. Its styles are inline (styled-components) and
// its search runs in a worker made from a blob URL.
const docsPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dataplane API</title>
</head>
<body>
<redoc spec-url="/v3/specification_openapiv3" hide-download-button></redoc>
<script src="/v3/docs/redoc.standalone.js"></script>
</body>
</html>
`

const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) getDocs(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(docsPage))
}

func (s *Server) getDocsBundle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	// An hour: the bundle only changes with the binary.
	h.Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(redocBundle)
}
