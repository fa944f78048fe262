// Command dataplane is an HTTP control plane for HAProxy: it reads and edits
// haproxy.cfg through validated, versioned transactions and applies changes
// through HAProxy's runtime socket or a hitless reload.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	api "dataplane/internal/api"
	"dataplane/internal/app"
	"dataplane/internal/reload"
	"dataplane/internal/settings"
	"dataplane/internal/tlsconfig"
)

// Set at build time: go build -ldflags "-X main.version=... -X main.buildDate=2026-01-02T15:04:05Z".
var (
	version   = "3.0.0-dev"
	buildDate = ""
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// Launched by HAProxy's master from a `program` section, dataplane
	// must not exit on a problem of its own: the master would take HAProxy
	// down with it ("exit-on-failure: killing every processes").
	fromMaster := os.Getenv("HAPROXY_MWORKER") != ""
	if fromMaster {
		// The 2.6 master sends SIGUSR1 to its programs on every reload,
		// and Go's default action for it is to exit: it is caught from
		// the start, degraded or not (the app handles it too once up).
		signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP)
	}
	st, err := settings.Load(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, settings.ErrVersion) {
		b := buildInfo()
		fmt.Printf("dataplane %s (built %s, %s)\n", b.Version, b.BuildDate.UTC().Format(time.RFC3339), goruntime.Version())
		return 0
	}
	if err != nil && !fromMaster {
		fmt.Fprintf(os.Stderr, "dataplane: configuration problems:\n%v\n", err)
		return 2
	}
	logSettings := settings.Defaults().Log
	if st != nil {
		logSettings = st.Log
	}
	log, closeLog, err := newLogger(logSettings)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dataplane: %v\n", err)
		if !fromMaster {
			return 2
		}
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	defer closeLog()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if fromMaster {
		return supervise(ctx, args, log)
	}
	if err := serve(ctx, st, log); err != nil {
		log.Error("dataplane stopped", "error", err)
		return 1
	}
	return 0
}

// retryInterval is how often a degraded dataplane tries to start again.
const retryInterval = 5 * time.Second

// supervise runs dataplane for HAProxy's master: when it cannot start (its
// settings, the configuration file, a port) or stops with an error, it
// serves the degraded answers (api.Degraded) naming the problem, and tries
// again every retryInterval, re-reading its settings, until it starts or
// the master stops it.
func supervise(ctx context.Context, args []string, log *slog.Logger) int {
	for {
		st, err := settings.Load(args, os.Getenv)
		if err == nil {
			if err = serve(ctx, st, log); err == nil {
				return 0 // stopped by the master
			}
		}
		if ctx.Err() != nil {
			return 0
		}
		problem := oneLine(err.Error())
		log.Error("dataplane cannot serve; HAProxy keeps running, and dataplane serves its health with the problem and tries again",
			"problem", problem, "retry_in", retryInterval)
		addr := degradedAddress(st, err)
		if err := serveDegraded(ctx, addr, problem, log); err != nil {
			log.Warn("cannot serve the degraded answers either", "address", addr, "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(retryInterval):
			}
		}
		if ctx.Err() != nil {
			return 0
		}
	}
}

// degradedAddress is where the degraded answers are served: the address
// the settings give, as far as they could be read.
func degradedAddress(st *settings.Settings, err error) string {
	if st == nil {
		var le *settings.LoadError
		if errors.As(err, &le) && le.Partial != nil {
			st = le.Partial
		} else {
			st = settings.Defaults()
		}
	}
	return net.JoinHostPort(st.API.Host, strconv.Itoa(st.API.Port))
}

// serveDegraded serves api.Degraded on addr for retryInterval, or until ctx
// ends.
func serveDegraded(ctx context.Context, addr, problem string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           api.Degraded(buildInfo(), func() string { return problem }, retryInterval),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { _ = srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case <-time.After(retryInterval):
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutCtx)
}

// oneLine joins a multi-line message (settings problems) into one.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// levelTrace is below debug: the Data Plane API's trace level.
const levelTrace = slog.LevelDebug - 4

// logLevels maps log_level to slog's levels ("verbose" is debug).
var logLevels = map[string]slog.Level{
	"trace": levelTrace, "debug": slog.LevelDebug, "verbose": slog.LevelDebug,
	"info": slog.LevelInfo, "warning": slog.LevelWarn, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// newLogger builds the logger the settings ask for, and the function that
// closes its file (log_to "file").
func newLogger(l settings.Log) (*slog.Logger, func(), error) {
	opts := &slog.HandlerOptions{Level: logLevels[l.Level]}
	var out io.Writer = os.Stderr
	closeLog := func() {}
	switch l.To {
	case "stdout":
		out = os.Stdout
	case "file":
		f, err := os.OpenFile(l.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return slog.New(slog.NewTextHandler(os.Stderr, opts)), closeLog, fmt.Errorf("open log_file: %w", err)
		}
		out, closeLog = f, func() { _ = f.Close() }
	}
	if strings.EqualFold(l.Format, "json") {
		return slog.New(slog.NewJSONHandler(out, opts)), closeLog, nil
	}
	return slog.New(slog.NewTextHandler(out, opts)), closeLog, nil
}

// logSources says where each effective setting came from: at info level
// those given by the file, the environment or a flag, at debug level the
// defaults; a warning for each given setting that does nothing yet. No
// password is among them (users come only from the file).
func logSources(st *settings.Settings, log *slog.Logger) {
	if st.File != "" {
		log.Info("settings file", "path", st.File)
	}
	for _, src := range st.Sources() {
		attrs := []any{"setting", src.Setting.Name, "value", src.Value, "from", src.From}
		switch {
		case src.Setting.NotBuilt != "":
			log.Warn("setting accepted but not built: it has no effect", append(attrs, "why", src.Setting.NotBuilt)...)
		case src.From == "default":
			log.Debug("setting", attrs...)
		default:
			log.Info("setting", attrs...)
		}
	}
}

// writePIDFile writes dataplane's PID to path (pid_file) atomically, and
// returns the function that removes it.
func writePIDFile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	if err := reload.WriteFileAtomic(path, []byte(strconv.Itoa(os.Getpid())+"\n")); err != nil {
		return nil, fmt.Errorf("write pid_file: %w", err)
	}
	return func() { _ = os.Remove(path) }, nil
}

func buildInfo() app.Build {
	bd, _ := time.Parse(time.RFC3339, buildDate)
	if bd.IsZero() {
		if exe, err := os.Executable(); err == nil {
			if fi, err := os.Stat(exe); err == nil {
				bd = fi.ModTime()
			}
		}
	}
	return app.Build{Version: version, BuildDate: bd}
}

func serve(ctx context.Context, st *settings.Settings, log *slog.Logger) error {
	logSources(st, log)
	a, err := app.New(ctx, st, log, buildInfo())
	if err != nil {
		return err
	}
	lns, err := listen(ctx, st, a.Handler, log)
	if err != nil {
		return err
	}
	removePID, err := writePIDFile(st.API.PIDFile)
	if err != nil {
		for _, l := range lns {
			_ = l.ln.Close()
		}
		return err
	}
	defer removePID()
	// Background work outlives ctx a little: it stops after the HTTP
	// server has drained. It starts with the listener up: the first
	// answers need only the document; the contract, the look for the
	// running HAProxy and the typed views come after (App.Run).
	bg, cancelBG := context.WithCancel(context.Background())
	defer cancelBG()
	go a.Run(bg)

	errc := make(chan error, len(lns)+1)
	for _, l := range lns {
		go func() {
			if l.srv.TLSConfig != nil {
				// The certificate comes from TLSConfig.GetCertificate.
				errc <- l.srv.ServeTLS(l.ln, "", "")
				return
			}
			errc <- l.srv.Serve(l.ln)
		}()
	}
	go func() {
		// A contract that cannot be loaded is a broken build: stop.
		if err := a.Ready(bg); err != nil && bg.Err() == nil {
			errc <- err
		}
	}()
	for _, l := range lns {
		log.Info("dataplane listening", "url", l.scheme+"://"+l.ln.Addr().String()+"/v3",
			"config_file", st.HAProxy.ConfigFile, "version", version, "pid", os.Getpid())
	}

	select {
	case err := <-errc:
		for _, l := range lns {
			_ = l.srv.Close() // the listener is free again for what comes next (supervise)
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), st.API.GracefulTimeout)
	defer cancel()
	var errs []error
	for _, l := range lns {
		if err := l.srv.Shutdown(shutCtx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown %s: %w", l.scheme, err))
		}
	}
	return errors.Join(errs...)
}

// listener is one open listener and the server for it.
type listener struct {
	scheme string // settings.SchemeHTTP or settings.SchemeHTTPS
	ln     net.Listener
	srv    *http.Server
}

// listen opens the listeners scheme lists: http on host:port, https on
// tls_host:tls_port with the tls block's certificate and client CA. The
// https listener's limit, keep-alive and timeouts default to the plain
// ones. Nothing stays open when one fails.
func listen(ctx context.Context, st *settings.Settings, h http.Handler, log *slog.Logger) ([]listener, error) {
	conf, t := st.API, st.API.TLS
	if !conf.HasScheme(settings.SchemeHTTPS) && (t.Certificate != "" || t.CA != "" || t.Port != 0) {
		log.Warn("tls settings are given and scheme does not list https: no https listener", "scheme", strings.Join(conf.Scheme, ","))
	}
	var out []listener
	fail := func(err error) ([]listener, error) {
		for _, l := range out {
			_ = l.ln.Close()
		}
		return nil, err
	}
	for _, scheme := range conf.Scheme {
		host, port := conf.Host, conf.Port
		keepAlive, limit := conf.KeepAlive, conf.ListenLimit
		readTimeout, writeTimeout := conf.ReadTimeout, conf.WriteTimeout
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       conf.CleanupTimeout,
			MaxHeaderBytes:    int(min(conf.MaxHeaderSize, 1<<30)),
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		if scheme == settings.SchemeHTTPS {
			cfg, err := tlsconfig.Server(t, log)
			if err != nil {
				return fail(err)
			}
			srv.TLSConfig = cfg
			port = t.Port
			host = cmp.Or(t.Host, host)
			keepAlive = cmp.Or(t.KeepAlive, keepAlive)
			limit = cmp.Or(t.ListenLimit, limit)
			readTimeout = cmp.Or(t.ReadTimeout, readTimeout)
			writeTimeout = cmp.Or(t.WriteTimeout, writeTimeout)
		}
		srv.ReadTimeout, srv.WriteTimeout = readTimeout, writeTimeout
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		lc := net.ListenConfig{KeepAlive: keepAlive}
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return fail(fmt.Errorf("listen on %s (%s): %w", addr, scheme, err))
		}
		out = append(out, listener{scheme: scheme, ln: limitListen(ln, limit), srv: srv})
	}
	return out, nil
}
