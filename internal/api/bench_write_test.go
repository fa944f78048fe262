package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	dpapi "dataplane/internal/api"
	"dataplane/internal/audit"
	"dataplane/internal/transaction"
)

// BenchmarkStagedWrite is a backend created, replaced and deleted in an
// open transaction through the whole handler tree (the resource table's
// create/replace/delete rows without the network), with the audit trail
// off and on: what recording every change costs a write.
func BenchmarkStagedWrite(b *testing.B) {
	for _, n := range []int{10, 10000} {
		for _, withAudit := range []bool{false, true} {
			name := strconv.Itoa(n) + "/audit=off"
			if withAudit {
				name = strconv.Itoa(n) + "/audit=on"
			}
			b.Run(name, func(b *testing.B) {
				_, f := benchServer(b, n)
				var log *audit.Log
				if withAudit {
					l, err := audit.Open(filepath.Join(b.TempDir(), "audit.log"), 64<<20)
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { l.Close() })
					log = l
				}
				h := writeServer(b, f, log)
				tx := beginTx(b, h)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					be := "bench_w" + strconv.Itoa(i)
					q := "?transaction_id=" + tx
					send(b, h, http.MethodPost, backendsPath+q, `{"name":"`+be+`","mode":"http","balance":{"algorithm":"roundrobin"}}`, http.StatusAccepted)
					send(b, h, http.MethodPut, backendsPath+"/"+be+q, `{"name":"`+be+`","mode":"http","balance":{"algorithm":"leastconn"}}`, http.StatusAccepted)
					send(b, h, http.MethodDelete, backendsPath+"/"+be+q, "", http.StatusAccepted)
				}
			})
		}
	}
}

func writeServer(b *testing.B, f *benchFile, log *audit.Log) http.Handler {
	base, err := benchSpec()
	if err != nil {
		b.Fatal(err)
	}
	m, err := transaction.NewManager(f.pipeline, transaction.ManagerOptions{Dir: filepath.Join(b.TempDir(), "tx")})
	if err != nil {
		b.Fatal(err)
	}
	d := *base
	d.Pipeline = f.pipeline
	d.Transactions = m
	if log != nil {
		d.Audit = log
	}
	srv, err := dpapi.New(d)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

func beginTx(b *testing.B, h http.Handler) string {
	rec := send(b, h, http.MethodPost, "/v3/services/haproxy/transactions?version=1", "", http.StatusCreated)
	var tx struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &tx); err != nil {
		b.Fatal(err)
	}
	return tx.ID
}

func send(b *testing.B, h http.Handler, method, path, body string, want int) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.SetBasicAuth("admin", "adminpwd")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %.300s", method, path, rec.Code, rec.Body.String())
	}
	return rec
}
