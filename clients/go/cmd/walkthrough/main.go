// Command walkthrough drives a live dataplane with the client oapi-codegen
// generates from api/openapi.yaml (package dpclient, made by
// scripts/clients-check.sh): it lists the backends, starts a transaction,
// adds a server to a backend in it, commits it and follows the reload the
// commit answers with (Reload-ID) until it succeeded. It exits non-zero at
// the first step that does not go as the contract says.
//
//	walkthrough -url http://127.0.0.1:5555/v3 -user admin -pass adminpwd -backend app
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"dataplane/clients/go/dpclient"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:5555/v3", "the API's base URL")
	user := flag.String("user", "admin", "user")
	pass := flag.String("pass", os.Getenv("DATAPLANE_PASSWORD"), "password (default $DATAPLANE_PASSWORD)")
	backend := flag.String("backend", "app", "backend to add the server to")
	server := flag.String("server", "go_client", "name of the server to add")
	timeout := flag.Duration("timeout", 90*time.Second, "how long the whole walk may take")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := walk(ctx, *url, *user, *pass, *backend, *server); err != nil {
		log.Fatalf("go client: %v", err)
	}
	fmt.Println("go client: OK")
}

func walk(ctx context.Context, url, user, pass, backend, server string) error {
	c, err := dpclient.NewClientWithResponses(url, dpclient.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error { r.SetBasicAuth(user, pass); return nil }))
	if err != nil {
		return fmt.Errorf("new client: %w", err)
	}

	backends, err := c.GetBackendsWithResponse(ctx, &dpclient.GetBackendsParams{})
	if err != nil {
		return fmt.Errorf("list backends: %w", err)
	}
	if backends.JSON200 == nil {
		return fmt.Errorf("list backends: %d %s", backends.StatusCode(), backends.Body)
	}
	found := false
	for _, b := range *backends.JSON200 {
		found = found || b.Name == backend
	}
	if !found {
		return fmt.Errorf("backend %q is not among the %d listed", backend, len(*backends.JSON200))
	}
	fmt.Printf("go client: %d backends, %s among them\n", len(*backends.JSON200), backend)

	ver, err := c.GetConfigurationVersionWithResponse(ctx, &dpclient.GetConfigurationVersionParams{})
	if err != nil || ver.JSON200 == nil {
		return fmt.Errorf("configuration version: %v %s", err, body(ver))
	}
	tx, err := c.StartTransactionWithResponse(ctx, &dpclient.StartTransactionParams{Version: *ver.JSON200})
	if err != nil || tx.JSON201 == nil {
		return fmt.Errorf("start transaction: %v %s", err, body(tx))
	}
	id := tx.JSON201.Id
	fmt.Printf("go client: transaction %s on version %d\n", id, *ver.JSON200)

	port := 18080
	check := dpclient.ServerCheckDisabled
	add, err := c.CreateServerBackendWithResponse(ctx, dpclient.ParentName(backend),
		&dpclient.CreateServerBackendParams{TransactionId: &id},
		dpclient.Server{Name: server, Address: "127.0.0.1", Port: &port, Check: &check})
	// In a transaction the change is staged: 202, applied at the commit.
	if err != nil || add.StatusCode() != http.StatusAccepted {
		return fmt.Errorf("add server: %v %s", err, body(add))
	}

	commit, err := c.CommitTransactionWithResponse(ctx, dpclient.TransactionPathId(id), &dpclient.CommitTransactionParams{})
	if err != nil || commit.StatusCode() != http.StatusAccepted {
		return fmt.Errorf("commit: %v %s", err, body(commit))
	}
	reloadID := commit.HTTPResponse.Header.Get("Reload-ID")
	if reloadID == "" {
		return fmt.Errorf("commit answered 202 without a Reload-ID")
	}
	fmt.Printf("go client: committed, reload %s\n", reloadID)

	for {
		r, err := c.GetReloadWithResponse(ctx, reloadID)
		if err != nil {
			return fmt.Errorf("reload %s: %w", reloadID, err)
		}
		if r.JSON200 == nil || r.JSON200.Status == nil {
			return fmt.Errorf("reload %s: %d %s", reloadID, r.StatusCode(), r.Body)
		}
		switch *r.JSON200.Status {
		case dpclient.ReloadStatusSucceeded:
			fmt.Printf("go client: reload %s succeeded\n", reloadID)
			got, err := c.GetServerBackendWithResponse(ctx, dpclient.ParentName(backend), server, &dpclient.GetServerBackendParams{})
			if err != nil || got.JSON200 == nil || got.JSON200.Address != "127.0.0.1" {
				return fmt.Errorf("read the server back: %v %s", err, body(got))
			}
			return nil
		case dpclient.ReloadStatusFailed:
			return fmt.Errorf("reload %s failed: %s", reloadID, deref(r.JSON200.Response))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("reload %s still %s: %w", reloadID, *r.JSON200.Status, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// body is what a failed call answered, for the error message.
func body(r interface{ StatusCode() int }) string {
	if r == nil {
		return ""
	}
	if b, ok := r.(interface{ Bytes() []byte }); ok {
		return fmt.Sprintf("%d %s", r.StatusCode(), b.Bytes())
	}
	return fmt.Sprint(r.StatusCode())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
