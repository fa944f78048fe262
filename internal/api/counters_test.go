package api_test

import (
	"testing"
	"time"

	"dataplane/internal/apitest"
	"dataplane/internal/haproxytest"
)

// TestClearCounters: after traffic, POST runtime/clear_counters?all=true
// resets the cumulated sessions that `show stat` reports, and the plain
// form (max values) answers 204 too.
func TestClearCounters(t *testing.T) {
	r := startRuleEnv(t, "", "", "")
	r.waitServed(t, "/", 5, "a")
	stot := func() float64 {
		t.Helper()
		var native struct {
			Stats []struct {
				Type, Name string
				Stats      map[string]any
			}
		}
		r.e.Get("/services/haproxy/stats/native").JSON(t, &native)
		for _, st := range native.Stats {
			if st.Type == "frontend" && st.Name == "fe" {
				n, _ := st.Stats["stot"].(float64)
				return n
			}
		}
		t.Fatal("no frontend fe in the native stats")
		return 0
	}
	if n := stot(); n < 5 {
		t.Fatalf("stot %v before the clear, want 5 at least", n)
	}
	mustStatus(t, r.e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/runtime/clear_counters?all=true"}), 204, "clear counters all")
	haproxytest.WaitFor(t, 5*time.Second, "stot back to 0", func() bool { return stot() == 0 })
	mustStatus(t, r.e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/runtime/clear_counters"}), 204, "clear counters")
}
