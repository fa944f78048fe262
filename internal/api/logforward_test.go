package api_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"dataplane/internal/haproxytest"
)

// TestLogTargetsOfLogForwardsAndPeers: the log targets of a log-forward
// section, set through the API, receive what the section relays (a
// syslog datagram sent to its dgram-bind arrives at the new target), and a
// peers section takes log targets too (HAProxy accepts the file: the
// reload succeeds).
func TestLogTargetsOfLogForwardsAndPeers(t *testing.T) {
	addr, lines := udpLines(t)
	in := freeUDPPort(t)
	discard := freeUDPPort(t)
	peerPort := haproxytest.FreePort(t)
	r := startRuleEnv(t, "", "", fmt.Sprintf(`
log-forward lf
    dgram-bind 127.0.0.1:%d
    log 127.0.0.1:%d local0

peers mypeers
    peer remote 127.0.0.1:%d
`, in, discard, peerPort))

	path := "/log_forwards/lf/log_targets"
	var list []map[string]any
	r.e.Get(cfgBase+path).JSON(t, &list)
	if len(list) != 1 || list[0]["address"] != fmt.Sprintf("127.0.0.1:%d", discard) {
		t.Fatalf("log-forward targets: %v", list)
	}
	r.send(t, "PUT", path, []map[string]any{{"address": addr, "facility": "local3", "format": "rfc5424"}}, 200)

	conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", in))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	haproxytest.WaitFor(t, 15*time.Second, "the relayed line at the new target", func() bool {
		_, _ = conn.Write([]byte("<134>Dec  1 12:00:00 host app: relayed-through-lf"))
		deadline := time.After(300 * time.Millisecond)
		for {
			select {
			case l := <-lines:
				if strings.Contains(l, "relayed-through-lf") {
					return true
				}
			case <-deadline:
				return false
			}
		}
	})

	// Peers: insert, read back, delete; each reload succeeds.
	ppath := "/peers/mypeers/log_targets"
	r.send(t, "POST", ppath+"/0", map[string]any{"address": addr, "facility": "daemon", "level": "err"}, 201)
	r.e.Get(cfgBase+ppath).JSON(t, &list)
	if len(list) != 1 || list[0]["facility"] != "daemon" || list[0]["level"] != "err" {
		t.Fatalf("peers targets: %v", list)
	}
	if !strings.Contains(string(r.e.ReadConfig()), "    peer remote 127.0.0.1:"+fmt.Sprint(peerPort)+"\n    log "+addr+" daemon err\n") {
		t.Fatalf("the peers section does not hold the line:\n%s", r.e.ReadConfig())
	}
	r.send(t, "DELETE", ppath+"/0", nil, 204)
}

// freeUDPPort returns a UDP port of 127.0.0.1 nothing listens on now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}
