package api

import (
	"bufio"
	"context"
	"net/http"
	"os"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"dataplane/internal/reload"
	"dataplane/internal/runtime"
)

type endpoint struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// discovery lists the endpoints one level below prefix, from the spec.
func (s *Server) discovery(prefix string) handlerFunc {
	return func(r *http.Request) (*response, error) {
		spec, err := s.spec(r.Context())
		if err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(prefix, "/")
		seen := map[string]bool{}
		out := []endpoint{}
		for _, p := range spec.Paths.InMatchingOrder() {
			if !strings.HasPrefix(p, base+"/") || p == prefix {
				continue
			}
			rest := strings.TrimPrefix(p, base+"/")
			seg, _, _ := strings.Cut(rest, "/")
			if seg == "" || strings.HasPrefix(seg, "{") || seen[seg] {
				continue
			}
			seen[seg] = true
			child := base + "/" + seg
			item := spec.Paths.Find(child)
			if item == nil || item.Get == nil {
				// Only a prefix of deeper paths (runtime/backends): no
				// endpoint to list.
				continue
			}
			out = append(out, endpoint{URL: "/v3" + child, Title: item.Get.Summary, Description: item.Get.Description})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].URL < out[j].URL })
		return jsonResponse(http.StatusOK, out), nil
	}
}

func (s *Server) getSpecification(w http.ResponseWriter, r *http.Request) {
	if _, err := s.spec(r.Context()); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	b, err := s.specJSON()
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

type infoBody struct {
	API    apiInfo     `json:"api"`
	System *systemInfo `json:"system,omitempty"`
	// Dataplane is set when dataplane runs degraded (see Degraded).
	Dataplane *degradedStatus `json:"dataplane,omitempty"`
	// HAProxy is set when HAProxy is down or was started again.
	HAProxy *reload.KeeperStatus `json:"haproxy,omitempty"`
}

type apiInfo struct {
	Version   string `json:"version"`
	BuildDate string `json:"build_date,omitempty"`
}

type systemInfo struct {
	Hostname string  `json:"hostname,omitempty"`
	OSString string  `json:"os_string,omitempty"`
	CPUInfo  cpuInfo `json:"cpu_info"`
	MemInfo  memInfo `json:"mem_info"`
	Uptime   *int64  `json:"uptime,omitempty"`
	Time     int64   `json:"time"`
}

type cpuInfo struct {
	Model   string `json:"model,omitempty"`
	NumCPUs int    `json:"num_cpus"`
}

type memInfo struct {
	TotalMemory        int64 `json:"total_memory,omitempty"`
	FreeMemory         int64 `json:"free_memory,omitempty"`
	DataplaneapiMemory int64 `json:"dataplaneapi_memory"`
}

func (s *Server) getInfo(r *http.Request) (*response, error) {
	body := infoBody{API: apiInfo{Version: s.d.Build.Version}}
	body.HAProxy = s.haproxyStatus()
	if !s.d.Build.BuildDate.IsZero() {
		body.API.BuildDate = s.d.Build.BuildDate.UTC().Format(time.RFC3339)
	}
	host, _ := os.Hostname()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	body.System = &systemInfo{
		Hostname: host,
		OSString: osString(),
		CPUInfo:  cpuInfo{Model: cpuModel(), NumCPUs: goruntime.NumCPU()},
		MemInfo:  memInfo{DataplaneapiMemory: int64(ms.Sys)},
		Time:     time.Now().Unix(),
	}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		up := int64(si.Uptime)
		body.System.Uptime = &up
		unit := int64(si.Unit)
		body.System.MemInfo.TotalMemory = int64(si.Totalram) * unit
		body.System.MemInfo.FreeMemory = int64(si.Freeram) * unit
	}
	return jsonResponse(http.StatusOK, body), nil
}

func osString() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return goruntime.GOOS
	}
	str := func(a [65]int8) string {
		b := make([]byte, 0, len(a))
		for _, c := range a {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	return str(u.Sysname) + " " + str(u.Release) + " " + str(u.Version) + " " + str(u.Machine)
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

type healthBody struct {
	HAProxy string `json:"haproxy"`
	// Status says why HAProxy is down, and how its starts went, when the
	// keeper knows (see reload.Keeper).
	Status *reload.KeeperStatus `json:"haproxy_status,omitempty"`
	// Dataplane is set when dataplane runs degraded (see Degraded).
	Dataplane *degradedStatus `json:"dataplane,omitempty"`
}

// getHealth asks HAProxy itself, with a one-second deadline, instead of
// trusting a status command.
func (s *Server) getHealth(r *http.Request) (*response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	body := healthBody{HAProxy: "down"}
	ks := s.haproxyStatus()
	if c := s.runtimeClient(); c != nil && (ks == nil || !ks.Down) && c.Probe(ctx) == nil {
		body.HAProxy = "up"
	}
	body.Status = ks
	return jsonResponse(http.StatusOK, body), nil
}

// haproxyStatus is the keeper's status when it has something to say: HAProxy
// is down, or was started again.
func (s *Server) haproxyStatus() *reload.KeeperStatus {
	if s.d.HAProxyStatus == nil {
		return nil
	}
	st := s.d.HAProxyStatus()
	if !st.Down && st.Starts == 0 && st.LastStartError == "" {
		return nil
	}
	return &st
}

type processInfo struct {
	RuntimeAPI string         `json:"runtimeAPI,omitempty"`
	Error      string         `json:"error,omitempty"`
	Info       map[string]any `json:"info,omitempty"`
	// Code and Message make a failure also a regular error body.
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func (s *Server) getRuntimeInfo(r *http.Request) (*response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	body := processInfo{}
	if s.d.Runtime != nil {
		body.RuntimeAPI = s.d.Runtime.Socket()
	} else if s.d.Master != nil {
		body.RuntimeAPI = s.d.Master.Socket()
	}
	c := s.runtimeClient()
	if c == nil {
		body.Error, body.Code, body.Message = errNoRuntime.Error(), http.StatusInternalServerError, errNoRuntime.Error()
		return jsonResponse(http.StatusInternalServerError, body), nil
	}
	info, err := c.ShowInfo(ctx)
	if err != nil {
		body.Error, body.Code, body.Message = err.Error(), http.StatusInternalServerError, err.Error()
		return jsonResponse(http.StatusInternalServerError, body), nil
	}
	body.Info = typedInfo(info)
	return jsonResponse(http.StatusOK, body), nil
}

// infoNames maps `show info` keys whose Data Plane API name is not plain
// snake case.
var infoNames = map[string]string{
	"Uptime_sec":         "uptime",
	"Maxconn":            "max_conn",
	"Hard_maxconn":       "hard_max_conn",
	"Maxsock":            "max_sock",
	"Maxpipes":           "max_pipes",
	"Memmax_MB":          "mem_max_mb",
	"Nbproc":             "processes",
	"Process_num":        "process_num",
	"Unstoppable Jobs":   "unstoppable",
	"Ulimit-n":           "ulimit_n",
	"MaxZlibMemUsage":    "max_zlib_mem_usage",
	"CompressBpsRateLim": "compress_bps_rate_lim",
}

// stringInfo are the fields kept as strings even when they look numeric.
var stringInfo = map[string]bool{"version": true, "release_date": true, "node": true, "description": true, "name": true, "uptime_text": true}

func typedInfo(info runtime.Info) map[string]any {
	out := make(map[string]any, len(info.Fields))
	for _, f := range info.Fields {
		name, ok := infoNames[f.Name]
		if !ok {
			name = snakeCase(f.Name)
		}
		if name == "uptime" && f.Name == "Uptime" {
			name = "uptime_text" // "0d 0h00m04s": the seconds come from Uptime_sec
		}
		if name == "release_date" {
			out[name] = strings.ReplaceAll(f.Value, "/", "-")
			continue
		}
		if !stringInfo[name] {
			if n, err := strconv.ParseInt(f.Value, 10, 64); err == nil {
				out[name] = n
				continue
			}
		}
		out[name] = f.Value
	}
	return out
}

// snakeCase turns "CurrSslConns" into "curr_ssl_conns" and "Run_queue" into
// "run_queue".
func snakeCase(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '_':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			prevLower = false
		case unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prevLower = false
		default:
			b.WriteRune(r)
			prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		}
	}
	return b.String()
}
