package api_test

import (
	"testing"

	"dataplane/internal/apitest"
	"dataplane/internal/settings"
)

// TestRuntimeAddRefusedWhileReloadPending: a server added at run time
// while a reload is due would be gone when it runs: 409, nothing added.
func TestRuntimeAddRefusedWhileReloadPending(t *testing.T) {
	e, _ := start(t, func(st *settings.Settings) { st.HAProxy.Reload.ReloadDelay = 3600 })
	base := "/services/haproxy/configuration/backends"
	// The first change reloads at once; the second waits an hour behind it.
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + vq(t, e) + "&force_reload=true", Body: map[string]any{"name": "be_rt"}}), 201, "first change")
	mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: base + vq(t, e), Body: map[string]any{"name": "be_other"}}), 202, "second change, reload pending")
	r := e.Do(apitest.Request{Method: "POST", Path: "/services/haproxy/runtime/backends/be_rt/servers",
		Body: map[string]any{"name": "n1", "address": "127.0.0.1", "port": 9}})
	mustStatus(t, r, 409, "runtime add while a reload is pending")
	mustStatus(t, e.Get("/services/haproxy/runtime/backends/be_rt/servers/n1"), 404, "the server was not added")
}
