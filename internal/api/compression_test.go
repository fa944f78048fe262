package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestCompressionFilterCompresses: a frontend that already has a filter
// (trace) needs an explicit compression filter to compress. Through the
// API, in one transaction, the frontend gets its compression settings and
// the compression filter: after the commit its answers are gzip; before,
// they were not. Without the filter HAProxy refuses the settings (400 with
// its message, nothing written).
func TestCompressionFilterCompresses(t *testing.T) {
	_, e, encoding := startTextEnv(t, "    filter trace name quiet")
	if enc := encoding(); enc != "" {
		t.Fatalf("before: Content-Encoding %q, want none", enc)
	}
	var fe map[string]any
	e.Get(cfgBase+"/frontends/fe").JSON(t, &fe)
	fe["compression"] = map[string]any{"algorithms": []string{"gzip"}, "types": []string{"text/plain"}}

	// The settings alone: HAProxy wants the filter declared.
	before := e.ReadConfig()
	r := e.Do(apitest.Request{Method: "PUT", Path: cfgBase + "/frontends/fe" + vq(t, e), Body: fe})
	mustStatus(t, r, 400, "compression without its filter")
	if !strings.Contains(string(r.Body), "explicit filter declaration") || string(e.ReadConfig()) != string(before) {
		t.Fatalf("want haproxy -c's message and no change: %s", r.Body)
	}

	tx := begin(t, e)
	q := "?transaction_id=" + tx.ID
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: cfgBase + "/frontends/fe" + q, Body: fe}), 202, "compression settings")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: cfgBase + "/frontends/fe/filters/1" + q, Body: map[string]any{"type": "compression"}}), 202, "the compression filter")
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")
	haproxytest.WaitFor(t, 10*time.Second, "gzip answers", func() bool { return encoding() == "gzip" })
	cfg := string(e.ReadConfig())
	for _, want := range []string{"    compression algo gzip\n", "    compression type text/plain\n", "    filter trace name quiet\n    filter compression\n"} {
		if !strings.Contains(cfg, want) {
			t.Fatalf("the file lacks %q:\n%s", want, cfg)
		}
	}
}

// startTextEnv starts HAProxy with frontend fe (mode http, with the extra
// lines) in front of a server answering a long text/plain body, and
// returns HAProxy, dataplane, and the Content-Encoding of an answer to a
// request that accepts gzip ("error: ..." when the request fails).
func startTextEnv(t *testing.T, extra string) (*haproxytest.Instance, *apitest.Env, func() string) {
	t.Helper()
	in := haproxytest.New(t)
	body := strings.Repeat("compress me please ", 500)
	app := haproxytest.StartBackend(t, "app", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, body)
	})
	port := haproxytest.FreePort(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    mode http
%s
    default_backend be

backend be
    mode http
    server app %s
`, port, extra, app.Addr()), apitest.Options{})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	return in, e, func() string {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true, DisableKeepAlives: true}}).Do(req)
		if err != nil {
			return "error: " + err.Error()
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header.Get("Content-Encoding")
	}
}
