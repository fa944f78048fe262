package api

import (
	"fmt"
	"net/http"
	"strconv"

	"dataplane/internal/runtime"
)

// clearCounters is POST /services/haproxy/runtime/clear_counters (our
// addition: the Data Plane API v3 has no such operation): `clear counters`,
// or `clear counters all` with all=true. The effect is read back: after
// `all`, the total of every proxy's cumulated sessions (stot) is below what
// it was (or was 0); after the max form, a row idle before and after shows
// a max of 0.
func (s *Server) clearCounters(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	all := queryBool(r, "all")
	before, err := c.ShowStat(r.Context(), runtime.StatFilter{})
	if err != nil {
		return nil, err
	}
	if err := c.ClearCounters(r.Context(), all); err != nil {
		return nil, err
	}
	after, err := c.ShowStat(r.Context(), runtime.StatFilter{})
	if err != nil {
		return nil, err
	}
	if all {
		if b, a := sumColumn(before, "stot"), sumColumn(after, "stot"); b > 0 && a >= b {
			return nil, fmt.Errorf("clear counters all: HAProxy reports %d cumulated sessions, %d before: not cleared", a, b)
		}
	} else {
		// A max is reset to the current value: a row idle before and
		// after the command must show a max of 0.
		for _, st := range after {
			b, ok := rowOf(before, st)
			if ok && intColumn(b, "scur") == 0 && intColumn(st, "scur") == 0 && intColumn(st, "smax") != 0 {
				return nil, fmt.Errorf("clear counters: %s/%s is idle and still reports smax %s: not cleared", st.Proxy, st.Server, st.Get("smax"))
			}
		}
	}
	return emptyResponse(http.StatusNoContent), nil
}

func intColumn(st runtime.Stat, col string) int64 {
	n, _ := strconv.ParseInt(st.Get(col), 10, 64)
	return n
}

func sumColumn(stats []runtime.Stat, col string) int64 {
	var sum int64
	for _, st := range stats {
		if st.Type == runtime.TypeFrontend || st.Type == runtime.TypeBackend {
			sum += intColumn(st, col)
		}
	}
	return sum
}

// rowOf is the row of stats for the same proxy and server as st.
func rowOf(stats []runtime.Stat, st runtime.Stat) (runtime.Stat, bool) {
	for _, b := range stats {
		if b.Proxy == st.Proxy && b.Server == st.Server {
			return b, true
		}
	}
	return runtime.Stat{}, false
}
