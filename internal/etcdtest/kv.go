package etcdtest

import (
	"bytes"
	"context"
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

// noKeepAlive gives every request its own connection, so a killed member or
// a cut proxy never leaves a dead pooled connection behind for the next one.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// Put writes key=value through the first endpoint that accepts it, trying
// them in order; ctx bounds the whole call. Without quorum it fails when ctx
// ends.
func Put(ctx context.Context, endpoints []string, key, value string) error {
	body := map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte(key)),
		"value": base64.StdEncoding.EncodeToString([]byte(value)),
	}
	var errs []error
	for _, ep := range endpoints {
		if err := call(ctx, ep, "/v3/kv/put", body, nil); err != nil {
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
func Get(ctx context.Context, endpoints []string, key string) (value string, found bool, err error) {
	body := map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key))}
	var errs []error
	for _, ep := range endpoints {
		var resp struct {
			Kvs []struct {
				Value string `json:"value"`
			} `json:"kvs"`
		}
		if err := call(ctx, ep, "/v3/kv/range", body, &resp); err != nil {
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

func call(ctx context.Context, endpoint, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s%s: %w", endpoint, path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s%s: %w", endpoint, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := doJSON(req, out); err != nil {
		return fmt.Errorf("%s%s: %w", endpoint, path, err)
	}
	return nil
}

// doJSON sends req and decodes a 200 answer into out (when not nil). The
// gateway answers errors (no leader, timeouts) with another status and a
// JSON body naming them, which goes into the error.
func doJSON(req *http.Request, out any) error {
	resp, err := noKeepAlive.Do(req)
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
