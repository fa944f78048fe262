package rtserver

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"dataplane/internal/runtime"
)

// NewServer is the Data Plane API `runtime_add_server` model: the server
// params `add server` accepts. "enabled"/"disabled" fields follow the Data
// Plane API; durations are milliseconds.
type NewServer struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    *int64 `json:"port,omitempty"`
	Weight  *int64 `json:"weight,omitempty"`

	Check       string `json:"check,omitempty"`
	Backup      string `json:"backup,omitempty"`
	Maintenance string `json:"maintenance,omitempty"` // enabled: stay in maintenance
	Maxconn     *int64 `json:"maxconn,omitempty"`
	Maxqueue    *int64 `json:"maxqueue,omitempty"`
	Minconn     *int64 `json:"minconn,omitempty"`
	ErrorLimit  *int64 `json:"error_limit,omitempty"`

	SSL            string `json:"ssl,omitempty"`
	SNI            string `json:"sni,omitempty"`
	Verify         string `json:"verify,omitempty"`
	SSLCafile      string `json:"ssl_cafile,omitempty"`
	SSLCertificate string `json:"ssl_certificate,omitempty"`
	Alpn           string `json:"alpn,omitempty"`
	Proto          string `json:"proto,omitempty"`

	Inter     *int64 `json:"inter,omitempty"`
	Fastinter *int64 `json:"fastinter,omitempty"`
	Downinter *int64 `json:"downinter,omitempty"`
	Fall      *int64 `json:"fall,omitempty"`
	Rise      *int64 `json:"rise,omitempty"`
	Slowstart *int64 `json:"slowstart,omitempty"`

	CheckSSL           string `json:"check-ssl,omitempty"`
	CheckSNI           string `json:"check-sni,omitempty"`
	CheckAlpn          string `json:"check_alpn,omitempty"`
	CheckProto         string `json:"check_proto,omitempty"`
	HealthCheckPort    *int64 `json:"health_check_port,omitempty"`
	HealthCheckAddress string `json:"health_check_address,omitempty"`
	Observe            string `json:"observe,omitempty"`
	OnError            string `json:"on-error,omitempty"`
	OnMarkedDown       string `json:"on-marked-down,omitempty"`
	OnMarkedUp         string `json:"on-marked-up,omitempty"`

	SendProxy   string `json:"send-proxy,omitempty"`
	SendProxyV2 string `json:"send-proxy-v2,omitempty"`

	AgentCheck string `json:"agent-check,omitempty"`
	AgentAddr  string `json:"agent-addr,omitempty"`
	AgentPort  *int64 `json:"agent-port,omitempty"`
	AgentInter *int64 `json:"agent-inter,omitempty"`
	AgentSend  string `json:"agent-send,omitempty"`

	Track string `json:"track,omitempty"`
}

// isWord reports whether v can go on the `add server` line as one word:
// printable ASCII without space and without the characters the CLI parser
// interprets (';' ends a command, '#' starts a comment, quotes and '\'
// change tokenization).
func isWord(v string) bool {
	for _, r := range v {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`;#'"\`, r) {
			return false
		}
	}
	return v != ""
}

// trackRE is [<backend>/]<server>.
var trackRE = regexp.MustCompile(`^([A-Za-z0-9_.:-]+/)?[A-Za-z0-9_.:-]+$`)

// params builds the `add server` keywords of ns, checking every value.
func (ns NewServer) params() ([]string, error) {
	var out []string
	var errs []string
	flag := func(field, v, keyword string) {
		switch v {
		case "":
		case "enabled":
			out = append(out, keyword)
		case "disabled":
		default:
			errs = append(errs, fmt.Sprintf("%s %q must be enabled or disabled", field, v))
		}
	}
	num := func(field string, v *int64, keyword string, lo, hi int64) {
		if v == nil {
			return
		}
		if *v < lo || *v > hi {
			errs = append(errs, fmt.Sprintf("%s %d must be between %d and %d", field, *v, lo, hi))
			return
		}
		out = append(out, keyword, strconv.FormatInt(*v, 10))
	}
	text := func(field, v, keyword string, allowed ...string) {
		if v == "" {
			return
		}
		if len(allowed) > 0 {
			ok := false
			for _, a := range allowed {
				ok = ok || v == a
			}
			if !ok {
				errs = append(errs, fmt.Sprintf("%s %q must be one of %s", field, v, strings.Join(allowed, ", ")))
				return
			}
		} else if !isWord(v) {
			errs = append(errs, fmt.Sprintf("%s %q must be one word without spaces, quotes, '#', ';' or '\\'", field, v))
			return
		}
		out = append(out, keyword, v)
	}
	const maxInt32 = 1<<31 - 1
	num("weight", ns.Weight, "weight", 0, 256)
	flag("check", ns.Check, "check")
	flag("backup", ns.Backup, "backup")
	if m := ns.Maintenance; m != "" && m != "enabled" && m != "disabled" {
		errs = append(errs, fmt.Sprintf("maintenance %q must be enabled or disabled", m))
	}
	num("maxconn", ns.Maxconn, "maxconn", 0, maxInt32)
	num("maxqueue", ns.Maxqueue, "maxqueue", 0, maxInt32)
	num("minconn", ns.Minconn, "minconn", 0, maxInt32)
	num("error_limit", ns.ErrorLimit, "error-limit", 0, maxInt32)
	flag("ssl", ns.SSL, "ssl")
	text("sni", ns.SNI, "sni")
	text("verify", ns.Verify, "verify", "none", "required")
	text("ssl_cafile", ns.SSLCafile, "ca-file")
	text("ssl_certificate", ns.SSLCertificate, "crt")
	text("alpn", ns.Alpn, "alpn")
	text("proto", ns.Proto, "proto")
	num("inter", ns.Inter, "inter", 1, maxInt32)
	num("fastinter", ns.Fastinter, "fastinter", 1, maxInt32)
	num("downinter", ns.Downinter, "downinter", 1, maxInt32)
	num("fall", ns.Fall, "fall", 1, maxInt32)
	num("rise", ns.Rise, "rise", 1, maxInt32)
	num("slowstart", ns.Slowstart, "slowstart", 0, maxInt32)
	flag("check-ssl", ns.CheckSSL, "check-ssl")
	text("check-sni", ns.CheckSNI, "check-sni")
	text("check_alpn", ns.CheckAlpn, "check-alpn")
	text("check_proto", ns.CheckProto, "check-proto")
	num("health_check_port", ns.HealthCheckPort, "port", 1, 65535)
	text("health_check_address", ns.HealthCheckAddress, "addr")
	text("observe", ns.Observe, "observe", "layer4", "layer7")
	text("on-error", ns.OnError, "on-error", "fastinter", "fail-check", "sudden-death", "mark-down")
	text("on-marked-down", ns.OnMarkedDown, "on-marked-down", "shutdown-sessions")
	text("on-marked-up", ns.OnMarkedUp, "on-marked-up", "shutdown-backup-sessions")
	flag("send-proxy", ns.SendProxy, "send-proxy")
	flag("send-proxy-v2", ns.SendProxyV2, "send-proxy-v2")
	flag("agent-check", ns.AgentCheck, "agent-check")
	text("agent-addr", ns.AgentAddr, "agent-addr")
	num("agent-port", ns.AgentPort, "agent-port", 1, 65535)
	num("agent-inter", ns.AgentInter, "agent-inter", 1, maxInt32)
	text("agent-send", ns.AgentSend, "agent-send")
	if ns.Track != "" {
		if trackRE.MatchString(ns.Track) {
			out = append(out, "track", ns.Track)
		} else {
			errs = append(errs, fmt.Sprintf("track %q must be [<backend>/]<server>", ns.Track))
		}
	}
	if ns.AgentCheck == "enabled" && ns.AgentPort == nil {
		errs = append(errs, "agent-check needs agent-port")
	}
	if len(errs) > 0 {
		return nil, badRequest("runtime_add_server: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// Add runs `add server` for ns, then what a new server needs to take
// traffic (it starts in maintenance with checks off): `enable health` when
// check is enabled, `enable agent` when agent-check is, and `set server ...
// state ready` unless maintenance is "enabled". When a follow-up command
// fails, the server is deleted again so that no half-configured server is
// left; the error says whether that worked. A duplicate name is
// runtime.ErrExists, an unknown backend runtime.ErrNotFound.
func Add(ctx context.Context, c *runtime.Client, be string, ns NewServer, log *slog.Logger) error {
	if ns.Name == "" || ns.Address == "" || ns.Port == nil {
		return badRequest("runtime_add_server: name, address and port are required")
	}
	params, err := ns.params()
	if err != nil {
		return err
	}
	if err := c.AddServer(ctx, be, ns.Name, ns.Address, int(*ns.Port), params); err != nil {
		return classify(err)
	}
	var follow []step
	if ns.Check == "enabled" {
		follow = append(follow, step{"enable health", func() error { return c.EnableHealth(ctx, be, ns.Name) }})
	}
	if ns.AgentCheck == "enabled" {
		follow = append(follow, step{"enable agent", func() error { return c.EnableAgent(ctx, be, ns.Name) }})
	}
	if ns.Maintenance != "enabled" {
		follow = append(follow, step{"state ready", func() error { return c.SetServerState(ctx, be, ns.Name, "ready") }})
	}
	for _, st := range follow {
		if err := st.run(); err != nil {
			undo := "it was deleted again"
			if derr := c.DelServer(ctx, be, ns.Name); derr != nil {
				undo = fmt.Sprintf("deleting it again failed too (%v): it is left in maintenance", derr)
			}
			log.Warn("runtime add server: follow-up command failed", "server", be+"/"+ns.Name, "step", st.field, "error", err, "undo", undo)
			return classify(fmt.Errorf("add server %s/%s: the server was added but %q failed, so %s: %w", be, ns.Name, st.field, undo, err))
		}
	}
	return nil
}

// Delete puts be/srv in maintenance when it is not (HAProxy deletes only
// servers in maintenance), then deletes it. When the deletion is refused
// (e.g. another server tracks it), the previous admin state is put back.
func Delete(ctx context.Context, c *runtime.Client, be, srv string, log *slog.Logger) error {
	cur, err := Get(ctx, c, be, srv)
	if err != nil {
		return err
	}
	prev := cur.Admin()
	if prev != "maint" {
		if err := c.SetServerState(ctx, be, srv, "maint"); err != nil {
			return classify(err)
		}
	}
	if err := c.DelServer(ctx, be, srv); err != nil {
		restored := ""
		if prev != "maint" {
			restored = "; it was put back to " + prev
			if rerr := c.SetServerState(ctx, be, srv, prev); rerr != nil {
				restored = fmt.Sprintf("; putting it back to %s failed (%v): it is left in maintenance", prev, rerr)
			}
			log.Warn("runtime delete server refused", "server", be+"/"+srv, "error", err, "restored", restored)
		}
		return classify(fmt.Errorf("%w%s", err, restored))
	}
	return nil
}
