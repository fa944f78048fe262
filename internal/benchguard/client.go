package benchguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client sends authenticated requests to a running dataplane and times
// them: from the request written to the last byte of the answer read.
type Client struct {
	// Base is the URL of the API, with /v3: "http://127.0.0.1:5555/v3".
	Base       string
	User, Pass string
	HTTP       *http.Client
}

// reply is one answer.
type reply struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) (*reply, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(c.User, c.Pass)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b, took: took}, nil
}

// expect sends a request and fails unless it is answered with one of the
// 2xx statuses.
func (c *Client) expect(ctx context.Context, method, path string, body []byte) (*reply, error) {
	r, err := c.do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if r.status < 200 || r.status > 299 {
		return nil, fmt.Errorf("%s %s: %d %.500s", method, path, r.status, r.body)
	}
	return r, nil
}

func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	r, err := c.expect(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// version returns the configuration's version.
func (c *Client) version(ctx context.Context) (int64, error) {
	var v int64
	err := c.getJSON(ctx, configurationBase+"/version", &v)
	return v, err
}

// begin opens a transaction on the current version.
func (c *Client) begin(ctx context.Context) (string, error) {
	v, err := c.version(ctx)
	if err != nil {
		return "", err
	}
	r, err := c.expect(ctx, http.MethodPost, fmt.Sprintf("/services/haproxy/transactions?version=%d", v), nil)
	if err != nil {
		return "", err
	}
	var t struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &t); err != nil || t.ID == "" {
		return "", fmt.Errorf("transaction: %s", r.body)
	}
	return t.ID, nil
}

// waitReload waits until the reload the answer scheduled (if any) is
// over, and fails when it failed.
func (c *Client) waitReload(ctx context.Context, r *reply, timeout time.Duration) error {
	id := r.header.Get("Reload-ID")
	if id == "" {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for {
		var rec struct {
			Status   string `json:"status"`
			Response string `json:"response"`
		}
		if err := c.getJSON(ctx, "/services/haproxy/reloads/"+id, &rec); err != nil {
			return err
		}
		switch rec.Status {
		case "succeeded":
			return nil
		case "failed":
			return fmt.Errorf("reload %s failed: %s", id, rec.Response)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("reload %s still %s after %s", id, rec.Status, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
