package api

import (
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/fleet"
)

func (s *Server) routeCluster(r chi.Router) {
	r.Get("/cluster", s.wrap(s.getCluster))
}

// getCluster is GET /v3/cluster: the fleet as this node sees it, every
// node with its applied version, lag and last error; in single-node mode
// only this node, mode "single". It answers 200 when etcd does not: the
// view then says so and shows the last reports read.
func (s *Server) getCluster(r *http.Request) (*response, error) {
	if s.d.Fleet == nil {
		name, _ := os.Hostname()
		return jsonResponse(http.StatusOK, fleet.View{Mode: "single", Node: name, Endpoints: []string{}, Nodes: []fleet.NodeView{}}), nil
	}
	v := s.d.Fleet(r.Context())
	if v.Nodes == nil {
		v.Nodes = []fleet.NodeView{}
	}
	return jsonResponse(http.StatusOK, v), nil
}
