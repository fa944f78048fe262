package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/settings"
)

// TestHostileBodies: bodies read at once are bounded by a budget (twice
// max_body_size): past it a request is answered 503 with Retry-After at
// once instead of being held in memory; and an error never echoes more
// than a few KiB, however much the client sent.
func TestHostileBodies(t *testing.T) {
	const max = 1 << 20
	e, _ := start(t, func(st *settings.Settings) { st.API.MaxBodySize = max })
	url := e.Server.URL + "/v3/services/haproxy/configuration/raw?skip_version=true&skip_reload=true"

	// Two bodies of 0.9 MiB that their clients send slowly hold the
	// budget of 2 MiB.
	type slow struct {
		w    *io.PipeWriter
		done chan int
	}
	var held []slow
	for i := 0; i < 2; i++ {
		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPost, url, pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 900 << 10
		req.Header.Set("Content-Type", "text/plain")
		req.SetBasicAuth(apitest.User, apitest.Password)
		done := make(chan int, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		if _, err := pw.Write([]byte("# a slow client\n")); err != nil {
			t.Fatal(err)
		}
		held = append(held, slow{pw, done})
	}
	// A third is refused at once, with Retry-After, once the two are in.
	var last *apitest.Response
	haproxytest.WaitFor(t, 10*time.Second, "a third large body is refused with 503", func() bool {
		last = e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?skip_version=true&skip_reload=true",
			Body: strings.Repeat("# padding line of the third body\n", (900<<10)/33)})
		return last.Status == http.StatusServiceUnavailable
	})
	if last.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// Small requests still get through.
	mustStatus(t, e.Get("/services/haproxy/configuration/version"), 200, "a GET while the budget is used")
	for _, h := range held {
		h.w.CloseWithError(io.ErrUnexpectedEOF)
		select {
		case <-h.done:
		case <-time.After(30 * time.Second):
			t.Fatal("a held request did not end")
		}
	}

	// A configuration HAProxy refuses line after line: the error is cut.
	var b strings.Builder
	b.WriteString("global\n")
	for i := 0; b.Len() < max-100; i++ {
		fmt.Fprintf(&b, "    no-such-keyword-%d value\n", i)
	}
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/configuration/raw?only_validate=true", Body: b.String()})
	if r.Status != 400 || len(r.Body) > 6<<10 || !strings.Contains(string(r.Body), "left out") {
		t.Errorf("refused large configuration: %d, %d bytes: %.300s", r.Status, len(r.Body), r.Body)
	}
}
