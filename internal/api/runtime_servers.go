package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/config"
	"dataplane/internal/rtserver"
	"dataplane/internal/runtime"
)

// Runtime servers: changes through HAProxy's runtime socket only. The
// configuration file is never touched, so they last until the next reload
// (unless a server-state-file keeps them).

func (s *Server) requireRuntime() (*runtime.Client, error) {
	c := s.runtimeClient()
	if c == nil {
		return nil, errNoRuntime
	}
	return c, nil
}

func (s *Server) listRuntimeServers(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	states, err := rtserver.List(r.Context(), c, pathParam(r, "parent_name"))
	if err != nil {
		return nil, err
	}
	out := make([]rtserver.Server, 0, len(states))
	for _, st := range states {
		out = append(out, rtserver.FromState(st))
	}
	return jsonResponse(http.StatusOK, out), nil
}

func (s *Server) getRuntimeServer(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	st, err := rtserver.Get(r.Context(), c, pathParam(r, "parent_name"), pathParam(r, "name"))
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, rtserver.FromState(st)), nil
}

func (s *Server) replaceRuntimeServer(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	body, ok := prevalidated[rtserver.Server](r)
	if !ok {
		if err := decodeBody(r, &body); err != nil {
			return nil, err
		}
	}
	ch := rtserver.Change{
		AdminState:       body.AdminState,
		OperationalState: body.OperationalState,
		Weight:           body.Weight,
		Address:          body.Address,
		Port:             body.Port,
	}
	be, name := pathParam(r, "parent_name"), pathParam(r, "name")
	// Fleet mode: stored for every node first, as a configuration change
	// is; refused (503) when the store does not take it.
	if err := s.publishServerChange(r.Context(), be, name, ch); err != nil {
		return nil, err
	}
	st, err := rtserver.Update(r.Context(), c, be, name, ch)
	if err != nil {
		return nil, err
	}
	// A reload due or in progress would undo the change: it is applied
	// again once the reload is done (ReplayRuntime).
	if _, busy := s.reloadBusy(); busy {
		s.journal.Record(be, name, ch)
	}
	return jsonResponse(http.StatusOK, rtserver.FromState(st)), nil
}

// ReplayRuntime applies again the runtime server changes made while a
// reload was due or in progress; run it after each successful reload.
func (s *Server) ReplayRuntime() {
	c := s.runtimeClient()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.journal.Replay(ctx, c, s.log)
}

func (s *Server) addRuntimeServer(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	var body config.Server
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	be := pathParam(r, "parent_name")
	// A reload starts HAProxy afresh from the file: a server added at run
	// time to the process it replaces is gone. Refused while one is due,
	// rather than answered 201 and lost a moment later.
	if id, busy := s.reloadBusy(); busy {
		return nil, conflict("reload %s is pending: a server added at run time now would be gone when it completes; add it again when the reload is done, or add it to the configuration", id)
	}
	if err := rtserver.Add(r.Context(), c, be, body, s.log); err != nil {
		return nil, err
	}
	// A reload asked for while the server was being added: the answer
	// says what is true once it is done.
	if id, busy := s.reloadBusy(); busy && s.d.Reloads != nil {
		if _, err := s.d.Reloads.Wait(r.Context(), id); err != nil {
			return nil, err
		}
		if _, err := rtserver.Get(r.Context(), s.runtimeClient(), be, body.Name); err != nil {
			return nil, conflict("server %s/%s was added, then reload %s, asked for meanwhile, started HAProxy from the file without it: add it again, or add it to the configuration", be, body.Name, id)
		}
	}
	return jsonResponse(http.StatusCreated, body), nil
}

// reloadBusy returns the reload in progress or pending, if any.
func (s *Server) reloadBusy() (string, bool) {
	if s.d.Reloads == nil {
		return "", false
	}
	return s.d.Reloads.Busy()
}

func (s *Server) deleteRuntimeServer(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	if err := rtserver.Delete(r.Context(), c, pathParam(r, "parent_name"), pathParam(r, "name"), s.log); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}

// drainRequest is the body of POST .../servers/{name}/drain; both fields
// are optional.
type drainRequest struct {
	Timeout *int64 `json:"timeout,omitempty"` // milliseconds
	Then    string `json:"then,omitempty"`    // maint | none
}

type drainResponse struct {
	AdminState       string `json:"admin_state"`
	OperationalState string `json:"operational_state"`
	CurrentSessions  int64  `json:"current_sessions"`
	Queued           int64  `json:"queued"`
	Drained          bool   `json:"drained"`
	TimedOut         bool   `json:"timed_out"`
	WaitedMS         int64  `json:"waited_ms"`
}

// drainRuntimeServer sets a server to drain and answers once its sessions
// are gone or the timeout passed.
func (s *Server) drainRuntimeServer(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	var body drainRequest
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, badRequest("read body: %v", err)
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return nil, badRequest("decode body: %v", err)
		}
	}
	opts := rtserver.DrainOptions{Timeout: rtserver.DefaultDrainTimeout, ThenMaint: body.Then == "maint", Log: s.log}
	if body.Timeout != nil {
		opts.Timeout = time.Duration(*body.Timeout) * time.Millisecond
	}
	res, err := rtserver.Drain(r.Context(), c, pathParam(r, "parent_name"), pathParam(r, "name"), opts)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, drainResponse{
		AdminState:       res.State.Admin(),
		OperationalState: res.State.Operational(),
		CurrentSessions:  res.Current,
		Queued:           res.Queued,
		Drained:          res.Drained,
		TimedOut:         res.TimedOut,
		WaitedMS:         res.Waited.Milliseconds(),
	}), nil
}

// routeRuntimeServers registers the runtime server and statistics
// operations.
func (s *Server) routeRuntimeServers(r chi.Router) {
	const servers = "/services/haproxy/runtime/backends/{parent_name}/servers"
	r.Get(servers, s.wrap(s.listRuntimeServers))
	r.Post(servers, s.wrap(s.addRuntimeServer))
	r.Get(servers+"/{name}", s.wrap(s.getRuntimeServer))
	r.Put(servers+"/{name}", s.wrap(s.replaceRuntimeServer))
	r.Delete(servers+"/{name}", s.wrap(s.deleteRuntimeServer))
	drain := s.wrap(s.drainRuntimeServer)
	r.Post(servers+"/{name}/drain", func(w http.ResponseWriter, req *http.Request) {
		// A drain may wait up to an hour: write_timeout (default 5m)
		// must not cut its answer. A client that leaves still ends it.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(rtserver.MaxDrainTimeout + time.Minute))
		drain(w, req)
	})
	r.Get("/services/haproxy/stats", s.wrap(s.discovery("/services/haproxy/stats")))
	r.Get("/services/haproxy/stats/native", s.wrap(s.getNativeStats))
	s.routeStickTables(r)
	r.Post("/services/haproxy/runtime/clear_counters", s.wrap(s.clearCounters))
	s.routePatterns(r)
	s.routeStorageMaps(r)
}
