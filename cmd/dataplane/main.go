// Command dataplane is an HTTP control plane for HAProxy: it reads and edits
// haproxy.cfg through validated, versioned transactions and applies changes
// through HAProxy's runtime socket or a hitless reload.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	api "dataplane/internal/api"
	"dataplane/internal/app"
	"dataplane/internal/settings"
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
	if err != nil && !fromMaster {
		fmt.Fprintf(os.Stderr, "dataplane: configuration problems:\n%v\n", err)
		return 2
	}
	logSettings := settings.Defaults().Log
	if st != nil {
		logSettings = st.Log
	}
	log := newLogger(logSettings)
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

func newLogger(l settings.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(l.Level))
	opts := &slog.HandlerOptions{Level: level}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
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
	a, err := app.New(ctx, st, log, buildInfo())
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(st.API.Host, strconv.Itoa(st.API.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       st.API.ReadTimeout,
		WriteTimeout:      st.API.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Background work outlives ctx a little: it stops after the HTTP
	// server has drained. It starts with the listener up: the first
	// answers need only the document; the contract, the look for the
	// running HAProxy and the typed views come after (App.Run).
	bg, cancelBG := context.WithCancel(context.Background())
	defer cancelBG()
	go a.Run(bg)

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() {
		// A contract that cannot be loaded is a broken build: stop.
		if err := a.Ready(bg); err != nil && bg.Err() == nil {
			errc <- err
		}
	}()
	log.Info("dataplane listening", "url", "http://"+ln.Addr().String()+"/v3",
		"config_file", st.HAProxy.ConfigFile, "version", version, "pid", os.Getpid())

	select {
	case err := <-errc:
		_ = srv.Close() // the listener is free again for what comes next (supervise)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
