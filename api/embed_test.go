package api

import (
	"context"
	"testing"
)

func TestSpecIsValid(t *testing.T) {
	doc, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/v3" {
		t.Fatalf("servers = %+v, want one /v3", doc.Servers)
	}
	if doc.OpenAPI[:3] != "3.0" {
		t.Fatalf("openapi %s, want 3.0.x", doc.OpenAPI)
	}
}
