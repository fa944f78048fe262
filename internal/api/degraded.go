package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"dataplane/internal/apierror"
)

// Degraded is what dataplane serves when it cannot start for real (a
// setting it refuses, a file it cannot load) while it must not exit:
// launched by HAProxy's master from a `program` section, its exit would
// make the master stop HAProxy too. /v3/health and /v3/info answer with
// the problem; every other request gets 503 naming it, with Retry-After.
// No user is known in this state, so nothing here needs credentials and
// nothing here reads or changes the configuration.
func Degraded(build BuildInfo, problem func() string, retry time.Duration) http.Handler {
	retryAfter := strconv.Itoa(max(1, int(retry.Seconds())))
	status := func() *degradedStatus { return &degradedStatus{Status: "degraded", Reason: problem()} }
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /v3/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, healthBody{HAProxy: "unknown", Dataplane: status()})
	})
	mux.HandleFunc("GET /v3/info", func(w http.ResponseWriter, r *http.Request) {
		body := infoBody{API: apiInfo{Version: build.Version}, Dataplane: status()}
		if !build.BuildDate.IsZero() {
			body.API.BuildDate = build.BuildDate.UTC().Format(time.RFC3339)
		}
		writeJSON(w, body)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", retryAfter)
		apierror.Write(w, http.StatusServiceUnavailable, "dataplane is not serving: "+problem()+
			"; HAProxy keeps running, and dataplane tries again every "+retry.String())
	})
	return mux
}

// degradedStatus says why dataplane serves only its health and info.
type degradedStatus struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}
