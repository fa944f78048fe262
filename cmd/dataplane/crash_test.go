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

// TestCrashSafety kills dataplane with SIGKILL while it commits, and checks
// after every restart that the live file is complete and valid, that no
// acknowledged commit is lost, that the version is the last acknowledged one
// or one more, and that temporary files are gone.
//
// Each round kills after an event, not after a time: it waits until a
// random number k in 1..3 of commits has been acknowledged in the round,
// then kills either at once (no request in flight) or once the next
// request has been sent, after a random share (0 to 1.5) of the time the
// last commit took to answer, so that kills land at any point of a commit.
// Every round thus acknowledges at least one commit whatever the speed of
// the machine.
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
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))

	var acked []string // backends whose creation was acknowledged
	var lastAck int64 = 1
	next := 0
	const (
		kills = 30
		// roundWait bounds the wait for one round's events; it is a
		// deadline against a hang, not a measure of speed.
		roundWait = 60 * time.Second
	)
	midCommit := 0 // rounds killed after the next request was sent
	cut := 0       // requests left without an answer by a kill
	lost := 0      // of these, commits that landed all the same (409, catch up)
	deadline := time.Now().Add(4 * time.Minute)
	for r := 0; r < kills; r++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d kills before the time bound", r)
		}
		cmd := exec.Command(binary, "-f", hcl)
		logs := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// If the round fails before its kill, do not leave dataplane running.
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitHTTP(t, base+"/info", 15*time.Second)
		checkAfterRestart(t, in, base, acked, lastAck)

		k := 1 + rng.IntN(3)        // acknowledged commits before the kill
		mid := rng.IntN(2) == 0     // kill while the next request is in flight
		frac := rng.Float64() * 1.5 // kill point, in answer times of a commit

		// Commit in a loop until killed, reporting each request sent and
		// each acknowledgement to the test goroutine.
		var mu sync.Mutex
		var lastStatus string // guarded by mu, for failure messages
		stop := make(chan struct{})
		done := make(chan struct{})
		events := make(chan crashEvent)
		emit := func(e crashEvent) bool {
			select {
			case events <- e:
				return true
			case <-stop:
				return false
			}
		}
		go func() {
			defer close(done)
			roundAcks := 0
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
				if !emit(crashEvent{sent: true, acks: roundAcks}) {
					return
				}
				sent := time.Now()
				status, hdr, err := postBackend(base, name, v)
				if err != nil {
					mu.Lock()
					lastStatus = "error: " + err.Error()
					cut++
					mu.Unlock()
					return // killed mid-request
				}
				mu.Lock()
				lastStatus = strconv.Itoa(status)
				mu.Unlock()
				if status == 202 || status == 201 {
					nv, _ := strconv.ParseInt(hdr.Get("Configuration-Version"), 10, 64)
					mu.Lock()
					acked = append(acked, name)
					lastAck = nv
					mu.Unlock()
					roundAcks++
					if !emit(crashEvent{acks: roundAcks, took: time.Since(sent)}) {
						return
					}
				} else if status == 409 {
					// The version moved (a commit landed whose answer we
					// lost in a previous round): catch up.
					if cur := currentVersion(t, base); cur > 0 {
						mu.Lock()
						lastAck = cur
						lost++
						mu.Unlock()
					}
				}
			}
		}()

		kill := func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			close(stop)
			<-done
		}
		timer := time.NewTimer(roundWait)
		// await waits for the next event, failing the test if the commit
		// loop ends or the round's deadline passes first.
		await := func(what string, acks int) crashEvent {
			select {
			case e := <-events:
				return e
			case <-done:
				mu.Lock()
				last := lastStatus
				mu.Unlock()
				kill()
				t.Fatalf("round %d: the commit loop stopped while waiting for %s (%d of %d commits acknowledged in the round, last answer %s)\n%s",
					r, what, acks, k, last, logs)
			case <-timer.C:
				mu.Lock()
				last := lastStatus // before the kill, which cuts a request off
				mu.Unlock()
				kill()
				t.Fatalf("round %d: no %s within %v (%d of %d commits acknowledged in the round, last answer %s)\n%s",
					r, what, roundWait, acks, k, last, logs)
			}
			panic("unreachable")
		}
		var took time.Duration // answer time of the last acknowledged commit
		for acks := 0; acks < k; {
			if e := await(fmt.Sprintf("acknowledgement of commit %d", acks+1), acks); !e.sent {
				acks, took = e.acks, e.took
			}
		}
		if mid {
			for !await("the request after the last acknowledged commit", k).sent {
			}
			midCommit++
			// Let the commit progress for a random share of the time the
			// last one took to answer, so that kills fall anywhere in it
			// (staging, haproxy -c, rename, answer, reload) on a machine of
			// any speed. Only the kill point depends on it, no check does.
			time.Sleep(time.Duration(frac * float64(took)))
		}
		timer.Stop()
		kill()
	}
	cmd := exec.Command(binary, "-f", hcl)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitHTTP(t, base+"/info", 15*time.Second)
	checkAfterRestart(t, in, base, acked, lastAck)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	// Every round waits for at least one acknowledged commit before its
	// kill, so this holds exactly.
	if len(acked) < kills {
		t.Fatalf("only %d commits acknowledged over %d rounds, want at least one per round", len(acked), kills)
	}
	t.Logf("%d kills (%d after a request was sent, %d cutting a request off, %d of which committed), %d acknowledged commits",
		kills, midCommit, cut, lost, len(acked))
}

// crashEvent is what TestCrashSafety's commit loop reports: a request about
// to be sent (sent), or an acknowledgement; acks counts the commits
// acknowledged so far in the round.
type crashEvent struct {
	sent bool
	acks int
	took time.Duration // for an acknowledgement: time from sending to the answer
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
