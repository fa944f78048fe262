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
	"syscall"
	"time"

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
	st, err := settings.Load(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dataplane: configuration problems:\n%v\n", err)
		return 2
	}
	log := newLogger(st.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, st, log); err != nil {
		log.Error("dataplane stopped", "error", err)
		return 1
	}
	return 0
}

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
	// server has drained.
	bg, cancelBG := context.WithCancel(context.Background())
	defer cancelBG()
	go a.Run(bg)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("dataplane listening", "url", "http://"+ln.Addr().String()+"/v3",
		"config_file", st.HAProxy.ConfigFile, "version", version, "pid", os.Getpid())

	select {
	case err := <-errc:
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
