package api_test

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"dataplane/internal/apitest"
)

// TestDocsPage checks what the page is made of: an HTML page whose
// renderer and spec both come from this server (the browser check in
// scripts/clients-check.sh renders it in Chromium), behind the same
// credentials as the rest of /v3.
func TestDocsPage(t *testing.T) {
	e, _ := start(t)
	bundle, err := os.ReadFile("docsui/redoc.standalone.js")
	if err != nil {
		t.Fatal(err)
	}

	page := e.Get("/docs")
	if page.Status != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %q", page.Status, page.Header.Get("Content-Type"))
	}
	csp := page.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "http") {
		t.Errorf("the page's CSP allows scripts from elsewhere: %q", csp)
	}
	// Every URL the page names is one of this server's, and answers.
	urls := regexp.MustCompile(`(?:src|spec-url)="([^"]*)"`).FindAllStringSubmatch(string(page.Body), -1)
	if len(urls) != 2 {
		t.Fatalf("want the spec and the script in the page, got %q in\n%s", urls, page.Body)
	}
	for _, u := range urls {
		path, ok := strings.CutPrefix(u[1], "/v3/")
		if !ok {
			t.Fatalf("the page loads %q from outside /v3", u[1])
		}
		r := e.Get("/" + path)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u[1], r.Status, r.Body)
		}
		switch {
		case strings.HasSuffix(path, ".js"):
			if !bytes.Equal(r.Body, bundle) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
				t.Errorf("GET %s: %d bytes of %q, want the embedded bundle", u[1], len(r.Body), r.Header.Get("Content-Type"))
			}
		default:
			var spec struct{ Paths map[string]any }
			r.JSON(t, &spec)
			if spec.Paths["/docs"] == nil {
				t.Errorf("the spec the page renders lacks /docs")
			}
		}
	}

	for _, p := range []string{"/docs", "/docs/redoc.standalone.js"} {
		if r := e.Do(apitest.Request{Method: http.MethodGet, Path: p, NoAuth: true}); r.Status != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: %d", p, r.Status)
		}
	}
}
