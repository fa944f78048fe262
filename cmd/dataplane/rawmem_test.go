package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// TestRawUploadMemory: ten clients posting 60 MB configurations at once
// cost the dataplane process under 1 GiB at its peak (VmHWM), whether the
// configuration is only validated, refused by `haproxy -c`, refused by
// our parser, or committed; every upload lands in the end (503 with
// Retry-After while the body budget is used), and refusals are answered
// in a few KiB.
func TestRawUploadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("posts 60 MB configurations")
	}
	const (
		size    = 60 << 20
		clients = 10
		limit   = 1 << 30
	)
	in := startRawHAProxy(t)
	valid := rawBody(in.Global(), in.port, size)
	// HAProxy reads the whole file before it refuses the last line.
	invalid := append(bytes.Clone(valid), "    bogus_keyword 1\n"...)
	// A line over config.MaxLineLength, near the end.
	tooLong := append(bytes.Clone(valid[:len(valid)-(2<<20)]), "    # "+strings.Repeat("x", 2<<20)+"\n"...)

	for _, c := range []struct {
		name   string
		body   []byte
		query  string
		status []int
	}{
		{"only validated", valid, "only_validate=true", []int{http.StatusAccepted}},
		{"refused by haproxy -c", invalid, "skip_version=true", []int{http.StatusBadRequest}},
		{"refused by the parser", tooLong, "skip_version=true", []int{http.StatusBadRequest}},
		// The first reloads (202), the next ones are the same file again
		// (201, or 202 while a reload is pending).
		{"committed", valid, "skip_version=true", []int{http.StatusCreated, http.StatusAccepted}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startRawServer(t, in)
			before := srv.kib(t, "VmRSS")
			res := srv.upload(t, c.query, c.body, clients)
			peak := srv.kib(t, "VmHWM")
			t.Logf("%d uploads of %d MiB: %v, %d answered 503 first; RSS %d MiB before, peak %d MiB",
				clients, len(c.body)>>20, res.statuses, res.retries, before>>10, peak>>10)
			for st, n := range res.statuses {
				if !slices.Contains(c.status, st) {
					t.Errorf("%d uploads answered %d, want %v", n, st, c.status)
				}
			}
			if res.refusal > 6<<10 {
				t.Errorf("a refusal of %d bytes: %.300s", res.refusal, res.sample)
			}
			if peak<<10 > limit {
				t.Errorf("peak RSS %d MiB, over %d MiB", peak>>10, limit>>20)
			}
		})
	}
}

// TestRawUploadOneBodyMemory reports what one committed upload of 60 MB
// costs the dataplane process, in bodies: the peak RSS over the RSS
// before it, divided by the size of the body.
func TestRawUploadOneBodyMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("posts a 60 MB configuration")
	}
	in := startRawHAProxy(t)
	body := rawBody(in.Global(), in.port, 60<<20)
	srv := startRawServer(t, in)
	before := srv.kib(t, "VmRSS")
	res := srv.upload(t, "skip_version=true", body, 1)
	peak := srv.kib(t, "VmHWM")
	if res.statuses[http.StatusAccepted] != 1 {
		t.Fatalf("the upload was answered %v (%.300s)", res.statuses, res.sample)
	}
	mult := float64(peak-before) * 1024 / float64(len(body))
	t.Logf("one upload of %d MiB: RSS %d MiB before, peak %d MiB: %.2f times the body", len(body)>>20, before>>10, peak>>10, mult)
	// Generous: the garbage collector decides much of it. Before the body
	// was held once, this was 6.9.
	if mult > 4 {
		t.Errorf("one upload costs %.2f times its body", mult)
	}
}

type rawHAProxy struct {
	*haproxytest.Instance
	port int // of its frontend
}

func startRawHAProxy(t *testing.T) rawHAProxy {
	t.Helper()
	in := haproxytest.New(t)
	port := haproxytest.FreePort(t)
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, port))
	return rawHAProxy{in, port}
}

// rawBody is a valid haproxy.cfg of about size bytes: global and defaults,
// a frontend on port, and 20,000 backends of two servers each, padded with
// comment lines: many sections and lines, as our document model pays for
// them, while `haproxy -c` takes a second (a file of 60 MB of backends
// alone takes HAProxy 30 s and 6 GB).
func rawBody(global string, port, size int) []byte {
	const backends = 20000
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString("# _version=1\n")
	b.WriteString(global)
	fmt.Fprintf(&b, "\nfrontend fe\n    bind 127.0.0.1:%d\n    default_backend be_0\n", port)
	per := (size - b.Len()) / backends
	pad := "    # " + strings.Repeat("x", 73) + "\n"
	for i := 0; i < backends; i++ {
		start := b.Len()
		fmt.Fprintf(&b, "\nbackend be_%d\n    balance roundrobin\n", i)
		for s := 1; s <= 2; s++ {
			k := 2*i + s - 1
			fmt.Fprintf(&b, "    server s%d 127.%d.%d.%d:%d weight 10\n", s, k/62500%250, k/250%250, k%250+1, 20000+k%1000)
		}
		for b.Len()-start+len(pad) <= per {
			b.WriteString(pad)
		}
	}
	for b.Len() < size {
		b.WriteString(pad)
	}
	return b.Bytes()
}

// rawServer is the dataplane binary run against a test HAProxy.
type rawServer struct {
	pid  int
	base string
}

func startRawServer(t *testing.T, in rawHAProxy) *rawServer {
	t.Helper()
	port := haproxytest.FreePort(t)
	hcl := writeHCL(t, in.Dir, port, fmt.Sprintf("master_runtime = %q", in.MasterSocket), "")
	cmd := exec.Command(binary, "-f", hcl)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dataplane:\n%s", logs)
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d/v3", port)
	waitHTTP(t, base+"/info", 15*time.Second)
	return &rawServer{pid: cmd.Process.Pid, base: base}
}

// kib reads one field of /proc/<pid>/status, in KiB.
func (s *rawServer) kib(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				if v, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return v
				}
			}
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, s.pid)
	return 0
}

type uploads struct {
	statuses map[int]int // final answers
	retries  int         // 503s with Retry-After before them
	refusal  int64       // the size of the longest answer of an error
	sample   []byte      // a final answer that is not 503
}

// upload posts body from n clients at once; a client answered 503 with
// Retry-After tries again after it.
func (s *rawServer) upload(t *testing.T, query string, body []byte, n int) uploads {
	t.Helper()
	url := s.base + "/services/haproxy/configuration/raw?" + query
	var mu sync.Mutex
	res := uploads{statuses: map[int]int{}}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A deadline against a hang, not a measure of speed.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			for {
				status, retry, answer, size, err := postText(ctx, url, body)
				if ctx.Err() == nil && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
					// The server answered 503 before reading the body and
					// closed the connection; a busy client may hit the close
					// while still writing, before it reads the answer.
					mu.Lock()
					res.retries++
					mu.Unlock()
					time.Sleep(time.Second)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if status == http.StatusServiceUnavailable && retry != "" {
					res.retries++
					mu.Unlock()
					sec, _ := strconv.Atoi(retry)
					time.Sleep(time.Duration(max(sec, 1)) * time.Second)
					continue
				}
				res.statuses[status]++
				if status >= 400 {
					res.refusal = max(res.refusal, size)
				}
				if res.sample == nil || status != http.StatusCreated && status != http.StatusAccepted {
					res.sample = answer
				}
				mu.Unlock()
				return
			}
		}()
	}
	wg.Wait()
	return res
}

// postText sends body as text/plain; it returns the status, Retry-After,
// the first bytes of the answer and its size (an answer holding a
// configuration is counted, not kept).
func postText(ctx context.Context, url string, body []byte) (int, string, []byte, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, 0, err
	}
	req.Header.Set("Content-Type", "text/plain")
	req.SetBasicAuth("admin", "adminpwd")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", nil, 0, err
	}
	defer resp.Body.Close()
	head, err := io.ReadAll(io.LimitReader(resp.Body, 300))
	if err != nil {
		return 0, "", nil, 0, err
	}
	rest, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, "", nil, 0, err
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), head, int64(len(head)) + rest, nil
}
