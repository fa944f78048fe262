package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// TestCrashSafety kills dataplane with SIGKILL at random moments while it
// commits, and checks after every restart that the live file is complete
// and valid, that no acknowledged commit is lost, that the version is the
// last acknowledged one or one more, and that temporary files are gone.
func TestCrashSafety(t *testing.T) {
	in := haproxytest.New(t)
	in.Start(in.Global() + fmt.Sprintf(`
frontend fe
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "ok\n"
`, haproxytest.FreePort(t)))
	port := haproxytest.FreePort(t)
	hcl := writeHCL(t, in.Dir, port, fmt.Sprintf("master_runtime = %q", in.MasterSocket), "")
	base := fmt.Sprintf("http://127.0.0.1:%d/v3", port)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))

	var acked []string // backends whose creation was acknowledged
	var lastAck int64 = 1
	next := 0
	const kills = 30
	deadline := time.Now().Add(4 * time.Minute)
	for k := 0; k < kills; k++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d kills before the time bound", k)
		}
		cmd := exec.Command(binary, "-f", hcl)
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHTTP(t, base+"/info", 15*time.Second)
		checkAfterRestart(t, in, base, acked, lastAck)

		// Commit in a loop until killed.
		var mu sync.Mutex
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				name := fmt.Sprintf("be_%d", next)
				next++
				v := lastAck
				mu.Unlock()
				status, hdr, err := postBackend(base, name, v)
				if err != nil {
					return // killed mid-request
				}
				if status == 202 || status == 201 {
					nv, _ := strconv.ParseInt(hdr.Get("Configuration-Version"), 10, 64)
					mu.Lock()
					acked = append(acked, name)
					lastAck = nv
					mu.Unlock()
				} else if status == 409 {
					// The version moved (a commit landed whose answer we
					// lost in a previous round): catch up.
					if cur := currentVersion(t, base); cur > 0 {
						mu.Lock()
						lastAck = cur
						mu.Unlock()
					}
				}
			}
		}()
		time.Sleep(time.Duration(50+rng.IntN(450)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		close(stop)
		<-done
	}
	cmd := exec.Command(binary, "-f", hcl)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, base+"/info", 15*time.Second)
	checkAfterRestart(t, in, base, acked, lastAck)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if len(acked) < kills {
		t.Fatalf("only %d commits acknowledged over %d runs: the loop did not exercise commits", len(acked), kills)
	}
	t.Logf("%d kills, %d acknowledged commits", kills, len(acked))
}

func checkAfterRestart(t *testing.T, in *haproxytest.Instance, base string, acked []string, lastAck int64) {
	t.Helper()
	data, err := os.ReadFile(in.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("haproxy", "-c", "-q", "-f", in.ConfigPath).CombinedOutput(); err != nil {
		t.Fatalf("live file rejected by haproxy -c after a crash: %v %s\n%s", err, out, data)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	v, err := strconv.ParseInt(strings.TrimPrefix(first, "# _version="), 10, 64)
	if lastAck == 1 && !strings.HasPrefix(first, "# _version=") {
		v, err = 1, nil
	}
	if err != nil {
		t.Fatalf("first line %q", first)
	}
	if v != lastAck && v != lastAck+1 {
		t.Fatalf("file version %d after a crash; last acknowledged %d", v, lastAck)
	}
	if got := currentVersion(t, base); got != v {
		t.Fatalf("API version %d, file version %d", got, v)
	}
	for _, name := range acked {
		if !strings.Contains(string(data), "\nbackend "+name+"\n") {
			t.Fatalf("acknowledged backend %s missing after a crash", name)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(in.ConfigPath), ".haproxy.cfg.dp-tmp-*"))
	if len(stale) > 0 {
		t.Fatalf("temporary files left after restart: %v", stale)
	}
}

func postBackend(base, name string, version int64) (int, http.Header, error) {
	body, _ := json.Marshal(map[string]string{"name": name})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		fmt.Sprintf("%s/services/haproxy/configuration/backends?version=%d", base, version), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", "adminpwd")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header, nil
}

func currentVersion(t *testing.T, base string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, body, err := get(ctx, base+"/services/haproxy/configuration/version")
	if err != nil || code != 200 {
		return 0
	}
	v, _ := strconv.ParseInt(strings.TrimSpace(body), 10, 64)
	return v
}
