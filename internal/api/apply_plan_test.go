package api_test

import (
	"fmt"
	"strings"
	"testing"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
	"dataplane/internal/runtime"
)

// agentInProgress is CHK_ST_INPROGRESS: a check running right now.
const agentInProgress = 0x1

// liveState is what must be the same whether a change went through the
// runtime socket or through a reload of the same file.
type liveState struct {
	Weight int
	Admin  string
	Agent  int
}

func liveOf(st runtime.ServerState) liveState {
	return liveState{Weight: st.UWeight, Admin: st.Admin(), Agent: st.AgentState &^ agentInProgress}
}

// TestRuntimePathMatchesReload: servers changed or added through the
// runtime socket end up with the weight, maintenance and agent state a
// reload of the same file gives them, default-server lines included; a
// change the socket cannot reproduce reloads.
func TestRuntimePathMatchesReload(t *testing.T) {
	t.Setenv("DPTEST_WEIGHT_A", "20")
	t.Setenv("DPTEST_WEIGHT_B", "30")
	in := haproxytest.New(t)
	app := haproxytest.StartBackend(t, "app", nil)
	agentPort := haproxytest.FreePort(t)
	e := apitest.Start(t, in, fmt.Sprintf(`global
    stats socket %s mode 600 level admin expose-fd listeners
    stats timeout 10s

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    default-server weight 50 disabled

backend be_chg
    balance roundrobin
    server s1 %s weight 10 enabled
    server v1 %s weight "${DPTEST_WEIGHT_A}" enabled

backend be_pos
    balance roundrobin
    default-server weight 20 enabled
    server p1 %s
    default-server weight 7 disabled

backend be_agent
    balance roundrobin
    default-server enabled agent-check agent-port %d agent-inter 1h
    server a1 %s
`, in.StatsSocket, app.Addr(), app.Addr(), app.Addr(), agentPort, app.Addr()), apitest.Options{})
	base := "/services/haproxy/configuration"
	reloads0, _ := in.Reloads()
	ids0 := reloadIDs(t, e)
	noReload := func(step string) {
		t.Helper()
		checkNoReload(t, e, step, ids0, reloads0)
	}
	state := func(be, name string) liveState {
		t.Helper()
		st, ok := serverState(t, in, be, name)
		if !ok {
			t.Fatalf("%s/%s is not in HAProxy", be, name)
		}
		return liveOf(st)
	}

	// 1. s1 loses its own weight and `enabled`: the defaults section's
	// default-server gives it weight 50 and maintenance.
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: base + "/backends/be_chg/servers/s1" + vq(t, e), Body: map[string]any{
		"name": "s1", "address": "127.0.0.1", "port": app.Port}}), 200, "s1 without weight")
	if !strings.Contains(string(e.ReadConfig()), "server s1 "+app.Addr()+"\n") {
		t.Fatalf("s1 keeps params in the file:\n%s", e.ReadConfig())
	}
	// 2. p2 goes after p1, above the last default-server line, which
	// therefore does not apply to it.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_pos/servers" + vq(t, e), Body: map[string]any{
		"name": "p2", "address": "127.0.0.1", "port": app.Port}}), 201, "add p2")
	if !strings.Contains(string(e.ReadConfig()), "server p2 "+app.Addr()+"\n    default-server weight 7 disabled") {
		t.Fatalf("p2 is not above the last default-server line:\n%s", e.ReadConfig())
	}
	// 3. a2 inherits agent-check.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/backends/be_agent/servers" + vq(t, e), Body: map[string]any{
		"name": "a2", "address": "127.0.0.1", "port": app.Port}}), 201, "add a2")
	noReload("the runtime changes")

	servers := [][2]string{{"be_chg", "s1"}, {"be_pos", "p1"}, {"be_pos", "p2"}, {"be_agent", "a1"}, {"be_agent", "a2"}}
	live := map[[2]string]liveState{}
	for _, s := range servers {
		live[s] = state(s[0], s[1])
	}
	want := map[[2]string]liveState{
		{"be_chg", "s1"}:   {Weight: 50, Admin: "maint"},
		{"be_pos", "p2"}:   {Weight: 20, Admin: "ready"},
		{"be_agent", "a2"}: {Weight: 50, Admin: "ready", Agent: live[[2]string{"be_agent", "a1"}].Agent},
	}
	for s, w := range want {
		if live[s] != w {
			t.Errorf("%s/%s after the runtime change: %+v, want %+v", s[0], s[1], live[s], w)
		}
	}
	if a := live[[2]string{"be_agent", "a1"}].Agent; a&0x4 == 0 {
		t.Errorf("a1 agent state %#x: agent not enabled", a)
	}

	// A reload of the same file gives the same states.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/reloads?force_reload=true"}), 200, "forced reload")
	if n, _ := in.Reloads(); n != reloads0+1 {
		t.Fatalf("forced reload: reloads %d -> %d", reloads0, n)
	}
	for _, s := range servers {
		if got := state(s[0], s[1]); got != live[s] {
			t.Errorf("%s/%s: runtime path gave %+v, a reload %+v", s[0], s[1], live[s], got)
		}
	}

	// 1b. A weight written with a variable (HAProxy expands it inside
	// double quotes) cannot be known here: the change
	// reloads, so HAProxy runs what the file says.
	if got := state("be_chg", "v1"); got.Weight != 20 {
		t.Fatalf("v1 weight %d, want 20", got.Weight)
	}
	raw := strings.Replace(string(e.Get(base+"/raw").Body), "${DPTEST_WEIGHT_A}", "${DPTEST_WEIGHT_B}", 1)
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + "/raw" + vq(t, e) + "&force_reload=true", Body: raw}), 201, "variable weight")
	if got := state("be_chg", "v1"); got.Weight != 30 {
		t.Fatalf("v1 weight %d after ${DPTEST_WEIGHT_A} -> ${DPTEST_WEIGHT_B}, want 30 (as a reload gives)", got.Weight)
	}
	if n, _ := in.Reloads(); n != reloads0+2 {
		t.Fatalf("the variable weight change did not reload (%d -> %d)", reloads0, n)
	}
}
