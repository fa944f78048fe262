package api_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// BenchmarkCertificateSwap measures a certificate swap end to end on real
// HAProxy: the PUT of a stored certificate that a bind serves (PEM
// checks, staged file, `set ssl cert` + `commit ssl cert`, rename) until
// the answer, then a TLS handshake that must see the new serial (not
// timed). Goal: 100 ms or less.
func BenchmarkCertificateSwap(b *testing.B) {
	in := haproxytest.New(b)
	port := haproxytest.FreePort(b)
	certs := []testCert{
		makeCert(b, "a.test", 101, nil, time.Now().Add(24*time.Hour)),
		makeCert(b, "b.test", 202, nil, time.Now().Add(24*time.Hour)),
	}
	// The store's directory is known before start: the bind names the
	// file from the first configuration.
	storeDir := filepath.Join(in.Dir, "transactions", "ssl")
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		b.Fatal(err)
	}
	site := filepath.Join(storeDir, "site.pem")
	if err := os.WriteFile(site, certs[0].bundle(), 0o600); err != nil {
		b.Fatal(err)
	}
	e := apitest.Start(b, in, in.Global()+fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d ssl crt %s
    http-request return status 200
`, port, site), apitest.Options{})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := certs[(i+1)%2]
		start := time.Now()
		r := e.Do(apitest.Request{Method: "PUT", Path: storageCerts + "/site.pem", Body: c.bundle()})
		total += time.Since(start)
		if r.Status != 200 {
			b.Fatalf("swap: %d %s", r.Status, r.Body)
		}
		b.StopTimer()
		if got := servedSerial(b, addr); got != c.cert.SerialNumber.String() {
			b.Fatalf("serves serial %s after the swap, want %s", got, c.cert.SerialNumber)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/swap")
}
