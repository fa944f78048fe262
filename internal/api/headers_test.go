package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestEveryAnswerHasVersion: 404s and 405s, inside /v3 and outside it,
// carry Configuration-Version and the {code, message} body like every
// other answer.
func TestEveryAnswerHasVersion(t *testing.T) {
	e, _ := start(t)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/nope", 404},
		{"GET", "/v3/nope", 404},
		{"GET", "/v3/services/haproxy/configuration/backends/x/nope", 404},
		{"DELETE", "/v3/info", 405},
		{"PATCH", "/v3/services/haproxy/configuration/backends", 405},
	} {
		req, err := http.NewRequest(c.method, e.Server.URL+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("admin", "adminpwd")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if resp.StatusCode != c.status || resp.Header.Get("Configuration-Version") != "1" ||
			json.Unmarshal(b, &body) != nil || body.Code != c.status || body.Message == "" {
			t.Errorf("%s %s: %d, Configuration-Version %q, body %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Configuration-Version"), b)
		}
	}
}
