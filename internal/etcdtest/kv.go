package etcdtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Put and Get speak etcd's v3 JSON gateway (POST /v3/kv/...), which etcd
// 3.4 serves on every client URL: tests can write and read keys without
// etcdctl and without an etcd client module in go.mod.

// Client speaks the v3 JSON gateway to endpoints: over https with TLS
// when the endpoints are https, and as User when auth is enabled (it
// asks /v3/auth/authenticate for a token before each request, so a token
// never expires under it). The zero User sends no token.
type Client struct {
	Endpoints []string
	TLS       *tls.Config // nil: the endpoints are plain http
	User      string
	Password  string
}

// Put writes key=value as Client{Endpoints: endpoints}.Put does.
func Put(ctx context.Context, endpoints []string, key, value string) error {
	return (&Client{Endpoints: endpoints}).Put(ctx, key, value)
}

// Get reads key as Client{Endpoints: endpoints}.Get does.
func Get(ctx context.Context, endpoints []string, key string) (value string, found bool, err error) {
	return (&Client{Endpoints: endpoints}).Get(ctx, key)
}

// Put writes key=value through the first endpoint that accepts it, trying
// them in order; ctx bounds the whole call. Without quorum it fails when ctx
// ends.
func (c *Client) Put(ctx context.Context, key, value string) error {
	body := map[string]string{
		"key":   b64(key),
		"value": b64(value),
	}
	var errs []error
	for _, ep := range c.Endpoints {
		if err := c.call(ctx, ep, "/v3/kv/put", body, nil); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		return nil
	}
	return fmt.Errorf("put %q: %w", key, errors.Join(errs...))
}

// Get reads key with a linearizable range (it needs a quorum) through the
// first endpoint that answers. found is false when the key does not exist.
func (c *Client) Get(ctx context.Context, key string) (value string, found bool, err error) {
	body := map[string]string{"key": b64(key)}
	var errs []error
	for _, ep := range c.Endpoints {
		var resp struct {
			Kvs []struct {
				Value string `json:"value"`
			} `json:"kvs"`
		}
		if err := c.call(ctx, ep, "/v3/kv/range", body, &resp); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if len(resp.Kvs) == 0 {
			return "", false, nil
		}
		v, err := base64.StdEncoding.DecodeString(resp.Kvs[0].Value)
		if err != nil {
			return "", false, fmt.Errorf("get %q from %s: value: %w", key, ep, err)
		}
		return string(v), true, nil
	}
	return "", false, fmt.Errorf("get %q: %w", key, errors.Join(errs...))
}

// Do sends one gateway request (path e.g. "/v3/auth/user/add") to the
// first endpoint that answers 200, and decodes its answer into out when
// out is not nil.
func (c *Client) Do(ctx context.Context, path string, in, out any) error {
	var errs []error
	for _, ep := range c.Endpoints {
		err := c.call(ctx, ep, path, in, out)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// call sends one request to one endpoint, with a fresh token when the
// client has a user.
func (c *Client) call(ctx context.Context, endpoint, path string, in, out any) error {
	token := ""
	if c.User != "" {
		var auth struct {
			Token string `json:"token"`
		}
		creds := map[string]string{"name": c.User, "password": c.Password}
		if err := c.post(ctx, endpoint, "/v3/auth/authenticate", "", creds, &auth); err != nil {
			return fmt.Errorf("authenticate as %s: %w", c.User, err)
		}
		token = auth.Token
	}
	return c.post(ctx, endpoint, path, token, in, out)
}

func (c *Client) post(ctx context.Context, endpoint, path, token string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s%s: %w", endpoint, path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s%s: %w", endpoint, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		// The gateway takes the bare token, without "Bearer".
		req.Header.Set("Authorization", token)
	}
	if err := doJSON(httpClient(c.TLS), req, out); err != nil {
		return fmt.Errorf("%s%s: %w", endpoint, path, err)
	}
	return nil
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// noKeepAlive gives every request its own connection, so a killed member or
// a cut proxy never leaves a dead pooled connection behind for the next one.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// httpClient is noKeepAlive, over TLS with cfg when cfg is not nil.
func httpClient(cfg *tls.Config) *http.Client {
	if cfg == nil {
		return noKeepAlive
	}
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: cfg}}
}

// doJSON sends req and decodes a 200 answer into out (when not nil). The
// gateway answers errors (no leader, timeouts) with another status and a
// JSON body naming them, which goes into the error.
func doJSON(hc *http.Client, req *http.Request, out any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode %q: %w", b, err)
	}
	return nil
}
