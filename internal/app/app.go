// Package app wires dataplane together from its settings: the live
// live configuration and its commit pipeline, the runtime clients, the reload scheduler and strategy,
// authentication and the HTTP handler. cmd/dataplane and the end-to-end
// tests build the same program through it.
package app

import (
	"context"
	"dataplane/internal/certstore"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"dataplane/api"
	dpapi "dataplane/internal/api"
	"dataplane/internal/apply"
	"dataplane/internal/audit"
	"dataplane/internal/auth"
	"dataplane/internal/config"
	"dataplane/internal/fleet"
	"dataplane/internal/metrics"
	"dataplane/internal/patfile"
	"dataplane/internal/preflight"
	"dataplane/internal/reload"
	"dataplane/internal/role"
	"dataplane/internal/runtime"
	"dataplane/internal/settings"
	"dataplane/internal/storage"
	"dataplane/internal/transaction"
)

// Build describes the binary, for /v3/info.
type Build = dpapi.BuildInfo

// App is the wired program.
type App struct {
	Settings *settings.Settings
	Log      *slog.Logger
	// Pipeline is the live configuration and the path every change takes.
	Pipeline *transaction.Pipeline
	Stats    *runtime.Client // admin stats socket; nil when the config declares none
	// Patterns guards runtime map and ACL file changes and keeps the
	// snapshots of big files (tests tune their age).
	Patterns *patfile.Files
	Master   *runtime.Master // master CLI; nil when unknown
	Reloads  *reload.Scheduler
	// Transactions holds the explicit transactions.
	Transactions *transaction.Manager
	// Audit is the audit trail of changes (audit_file).
	Audit   *audit.Log
	Handler http.Handler
	Metrics *metrics.Metrics // the /metrics registry
	// SSLStore is the certificate storage (its certificates' expiry is
	// exported on /metrics).
	SSLStore *certstore.Store
	// Fleet is this node's membership in a fleet (nil: single-node mode).
	Fleet *fleet.Node

	finder *reload.Finder // the running HAProxy, for the check and the custom strategy
	// running is closed when Run starts: the contract loads from then on.
	running chan struct{}
	// found is closed once Run's first look for the running HAProxy
	// (finder.Find) is over: how it was started is recorded then.
	found chan struct{}
	// Keeper notices when HAProxy is gone and starts it again.
	Keeper *reload.Keeper

	contract *api.Contract // loaded in the background once Run starts
	server   *dpapi.Server
}

// New builds the program from the document and the settings: what the
// first answer needs. What takes longer does not hold it up: once Run
// starts, the contract loads in the background (requests that take input
// wait for it) and Run looks for the running HAProxy (Ready waits for
// both).
func New(ctx context.Context, st *settings.Settings, log *slog.Logger, build Build) (*App, error) {
	a := &App{Settings: st, Log: log, running: make(chan struct{}), found: make(chan struct{})}
	// Loading the contract would compete with reading the document for
	// the CPU (and the garbage collector): it starts with Run.
	a.contract = api.Background(func(ctx context.Context) (*openapi3.T, error) {
		<-a.running
		return api.Load(ctx)
	})
	if err := os.MkdirAll(st.API.Transaction.TransactionDir, 0o700); err != nil {
		return nil, fmt.Errorf("transaction_dir: %w", err)
	}
	cfgDir := filepath.Dir(st.HAProxy.ConfigFile)

	if st.HAProxy.MasterRuntime != "" {
		a.Master = runtime.NewMaster(st.HAProxy.MasterRuntime)
	}
	checker := &reload.Checker{Bin: st.HAProxy.HAProxyBin, Dir: cfgDir}
	pipeline, err := transaction.Open(transaction.Options{
		ConfigFile:    st.HAProxy.ConfigFile,
		Checker:       checker,
		Logger:        log,
		BackupsNumber: st.API.Transaction.BackupsNumber,
		BackupsDir:    st.API.Transaction.BackupsDir,
		RejectedDir:   filepath.Join(st.API.Transaction.TransactionDir, "rejected"),
		StateFile:     filepath.Join(st.API.Transaction.TransactionDir, "applied.json"),
		// The typed views are built once the contract is loaded (Run):
		// both only help later requests, and the first answer needs
		// neither.
		WarmLater: true,
		Preflight: func(running, next *config.Document) error {
			if err := preflight.Check(next, cfgDir); err != nil {
				return err
			}
			return preflight.Binds(running, next)
		},
	})
	if err != nil {
		return nil, err
	}
	a.Pipeline = pipeline
	doc, err := pipeline.Live().Doc()
	if err != nil {
		return nil, err
	}
	if sock, ok := doc.AdminSocket(cfgDir); ok {
		a.Stats = runtime.New(sock.Path)
	}
	// The running HAProxy, found from its master CLI, its pid file, as
	// dataplane's parent (a `program` section), or from its stats socket.
	a.finder = &reload.Finder{
		Master:  a.Master,
		PIDFile: a.pidFile(doc),
		Parent:  os.Getenv("HAPROXY_MWORKER") != "" || os.Getenv("HAPROXY_MASTER_CLI") != "",
		Worker:  a.servingPID,
		Bin:     st.HAProxy.HAProxyBin,
	}
	strat, err := a.newStrategy(doc)
	if err != nil {
		return nil, err
	}
	// A file with `program` sections is only valid in master-worker mode:
	// an HAProxy that runs one runs -W, even when nothing below finds it.
	checker.MasterWorker = strat.Name() == settings.StrategyMaster || doc.MasterWorker() ||
		len(doc.SectionsOf(config.KindProgram)) > 0
	// The check repeats the running HAProxy's flags (-W, its -f files,
	// -L, -C), read from its command line; a check before Run's first look
	// for HAProxy is over waits for it.
	checker.ConfigFile = st.HAProxy.ConfigFile
	checker.Running = a.invocation
	// Runtime first: changes HAProxy can take live go through its socket.
	pipeline.SetApplier(&apply.Runtime{Client: a.runtimeClient, Log: log})
	// Server states (maint, drain, weights) survive reloads when the
	// configuration has a server-state-file.
	pipeline.SetBeforeReload(func(ctx context.Context, running, next *config.Document) error {
		_, err := apply.SaveServerState(ctx, a.runtimeClient(), running, next, cfgDir, st.HAProxy.ConfigFile)
		return err
	})

	users, err := newUsers(st, pipeline.Live(), log)
	if err != nil {
		return nil, err
	}

	a.Reloads, err = reload.NewScheduler(pipeline.PerformReload, reload.SchedulerOptions{
		Delay:       time.Duration(st.HAProxy.Reload.ReloadDelay) * time.Second,
		HistoryFile: filepath.Join(st.API.Transaction.TransactionDir, "reloads.json"),
		HistoryLike: st.HAProxy.ConfigFile,
		Logger:      log,
	})
	if err != nil {
		return nil, err
	}
	// Runtime map and ACL changes are written to their files; a reload
	// waits for those in flight and holds the next until it is over.
	patterns := patfile.New()
	a.Patterns = patterns
	pipeline.SetReloader(a.Reloads, patterns.Guard(strat, func() {
		if c := a.runtimeClient(); c != nil {
			c.CloseIdleConnections()
		}
	}))
	maps, err := storage.New(st.ResourceDir(st.API.Resources.MapsDir, "maps"), st.API.MaxBodySize)
	if err != nil {
		return nil, err
	}
	maps.SetFileLock(patterns.LockFile)
	a.Keeper = a.newKeeper()
	pipeline.SetKeeper(a.Keeper)
	a.Transactions, err = transaction.NewManager(pipeline, transaction.ManagerOptions{
		Dir:     st.API.Transaction.TransactionDir,
		MaxOpen: st.API.Transaction.MaxOpenTransactions,
		Logger:  log,
	})
	if err != nil {
		return nil, err
	}

	stores, err := openStores(st)
	if err != nil {
		return nil, err
	}
	a.SSLStore = stores.ssl
	a.Audit, err = audit.Open(st.AuditFile(), st.API.Audit.MaxSize)
	if err != nil {
		return nil, err
	}
	if a.Fleet, err = a.newFleet(st); err != nil {
		return nil, err
	}
	m := a.wireMetrics(build)
	srv, err := dpapi.New(dpapi.Deps{
		SSLStore:     stores.ssl,
		CrtListStore: stores.crtLists,
		GeneralStore: stores.general,
		Spec:         a.contract,
		Pipeline:     pipeline,
		Runtime:      a.Stats,
		Master:       a.Master,
		Reloads:      a.Reloads,
		Transactions: a.Transactions,
		Auth:         users.Middleware,
		RoleOf:       auth.RoleFrom,
		Logger:       log,
		MaxBodySize:  st.API.MaxBodySize,
		Patterns:     patterns,
		Maps:         maps,
		Build:        build,
		// /metrics: dataplane's own metrics and HAProxy's `show stat`.
		Metrics:       m.Handler(),
		HAProxyStatus: a.Keeper.Status,
		MetricsNoAuth: !st.Metrics.Auth,
		Observe:       m.ObserveHTTP,
		Audit:         a.Audit,
		Fleet:         fleetView(a.Fleet),
		FleetRuntime:  fleetRuntime(a.Fleet),
	})
	if err != nil {
		return nil, err
	}
	a.Handler = srv
	a.server = srv
	if a.Fleet != nil {
		a.Fleet.SetRuntimeApplier(srv.ApplyFleetRuntime)
		a.Fleet.SetRuntimeReset(dpapi.ResetFleetRuntime, dpapi.FleetResetKinds...)
	}
	// After a reload: follow a moved stats socket, then apply again the
	// runtime changes made while it was due.
	pipeline.SetAfterReload(func() {
		a.ResolveSockets()
		srv.ReplayRuntime()
	})
	log.Info("configuration loaded", "file", st.HAProxy.ConfigFile, "version", doc.Version(),
		"sections", len(doc.Sections()), "reload_strategy", strat.Name(), "users", users.count())
	return a, nil
}

// Run runs the background work (the reload scheduler, signal handling,
// the keeper's watch) until ctx ends. Run it once the handler serves: it
// first loads the contract and looks for the running HAProxy (its master
// CLI, pid file, stats socket, /proc), and builds the typed views of the
// document once the contract is loaded, without holding up the first
// answers.
func (a *App) Run(ctx context.Context) {
	close(a.running)
	go func() {
		// How HAProxy was started, recorded before the keeper's first
		// look and before any check: if its master dies, this is how it
		// is started again.
		a.finder.Find(ctx)
		close(a.found)
	}()
	go func() {
		if a.server.Ready(ctx) == nil {
			a.Pipeline.Live().Warm()
		}
	}()
	go a.handleSignals(ctx)
	if a.Fleet != nil {
		go a.Fleet.Run(ctx)
	}
	if a.Pipeline.NeedsReload() {
		// The file changed after HAProxy last applied it (a crash between
		// a write and its reload): bring HAProxy in line at once.
		id := a.Reloads.Request()
		a.Log.Warn("reloading HAProxy at start: it may not run the current configuration file", "reload_id", id)
	}
	// Only a keeper that may start HAProxy asks for starts; one that may
	// not still watches, for /health and the answers to writes.
	var start func()
	if a.Keeper.NoStart == "" {
		start = func() {
			id := a.Reloads.RequestNow()
			a.Log.Warn("HAProxy is not running; starting it", "why", a.Keeper.Status().Reason, "reload_id", id)
		}
	}
	go func() {
		// The watch declares HAProxy gone only once it was seen.
		select {
		case <-a.found:
		case <-ctx.Done():
			return
		}
		a.Keeper.Watch(ctx, keeperInterval, func() bool { _, busy := a.Reloads.Busy(); return busy }, start)
	}()
	a.Reloads.Run(ctx)
	// Requests still answered after this are not audited (their
	// records fail, logged): the program is stopping.
	a.Audit.Close()
	if a.Fleet != nil {
		a.Fleet.Close()
	}
}

// Ready waits until the start-up work that the first answers do not wait
// for is over: the contract is loaded (every request is validated without
// waiting) and Run's first look for HAProxy is over. It returns why the
// contract could not be loaded, if so.
func (a *App) Ready(ctx context.Context) error {
	if err := a.server.Ready(ctx); err != nil {
		return err
	}
	select {
	case <-a.found:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Spec waits for the contract and returns it.
func (a *App) Spec(ctx context.Context) (*openapi3.T, error) { return a.contract.Wait(ctx) }

// invocation is how the running HAProxy was started, for the check: after
// Run's first look for it, so that a check never runs without the flags
// that first look finds.
func (a *App) invocation(ctx context.Context) (reload.Invocation, bool) {
	select {
	case <-a.found:
	case <-ctx.Done():
		return reload.Invocation{}, false
	}
	return a.finder.Find(ctx)
}

// keeperInterval is how often the keeper looks for HAProxy: two looks
// must miss it, so a killed master is noticed within a second.
const keeperInterval = 400 * time.Millisecond

// newKeeper builds the keeper: it starts HAProxy with restart_cmd, else
// with the command line its master had, unless restart_when_down is off
// or dataplane runs under HAProxy's master.
func (a *App) newKeeper() *reload.Keeper {
	r := a.Settings.HAProxy.Reload
	k := &reload.Keeper{
		Finder:  a.finder,
		Command: r.RestartCmd,
		Timeout: r.ReloadTimeout,
		Log:     r.MasterLog,
		Ready:   a.haproxyServes,
	}
	if k.Log == "" {
		k.Log = filepath.Join(a.Settings.API.Transaction.TransactionDir, "haproxy.log")
	}
	switch {
	case !r.RestartWhenDown:
		k.NoStart = "restart_when_down is false: dataplane does not start HAProxy"
	case a.finder.Parent:
		k.NoStart = "dataplane runs under HAProxy's master (a program section), whose service starts HAProxy"
	}
	return k
}

// haproxyServes reports whether HAProxy serves: its master CLI shows a
// worker, else its stats socket answers.
func (a *App) haproxyServes(ctx context.Context) error {
	if a.Master != nil {
		proc, err := a.Master.ShowProc(ctx)
		if err != nil {
			return err
		}
		if len(proc.Workers) == 0 {
			return errors.New("the master shows no worker")
		}
		return nil
	}
	if s := a.liveSocket(); s != "" {
		return runtime.New(s).Probe(ctx)
	}
	return errors.New("no master CLI and no stats socket to ask")
}

// handleSignals keeps dataplane alive inside an HAProxy `program` section:
// on every reload the 2.6 master sends SIGUSR1 to programs declared with `no
// option start-on-reload` (and does not restart them). Go's default action
// for SIGUSR1 is to exit, so catching it is what keeps us alive; we use it,
// and SIGUSR2 and SIGHUP, to re-resolve the runtime sockets.
func (a *App) handleSignals(ctx context.Context) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP)
	defer signal.Stop(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-ch:
			a.Log.Info("signal received: re-resolving runtime sockets", "signal", sig.String())
			a.ResolveSockets()
		}
	}
}

// ResolveSockets points the runtime client at the admin stats socket the
// live configuration declares (it may have changed with the last reload),
// and drops its kept connections: HAProxy may have reloaded, and a
// replaced worker goes on answering on the connections it accepted.
func (a *App) ResolveSockets() {
	if a.Stats != nil {
		a.Stats.CloseIdleConnections()
	}
	doc, err := a.Pipeline.Live().Doc()
	if err != nil {
		a.Log.Warn("cannot read the configuration to find the stats socket", "error", err)
		return
	}
	sock, ok := doc.AdminSocket(filepath.Dir(a.Settings.HAProxy.ConfigFile))
	if ok && a.Stats != nil && a.Stats.Socket() != sock.Path {
		a.Log.Info("stats socket changed", "from", a.Stats.Socket(), "to", sock.Path)
		a.Stats.SetSocket(sock.Path)
	}
}

// loadUsers takes the users of the HCL file, else those of the userlist (in
// userlist_file, else in haproxy.cfg).
func loadUsers(st *settings.Settings, live *config.Document) ([]auth.User, error) {
	var out []auth.User
	for _, u := range st.API.Users {
		r := role.Admin // no role: what every user could do before roles
		if u.Role != "" {
			var err error
			if r, err = role.Parse(u.Role); err != nil {
				return nil, fmt.Errorf("user %q: %w", u.Name, err)
			}
		}
		out = append(out, auth.User{Name: u.Name, Password: u.Password, Insecure: u.Insecure, Role: r})
	}
	if len(out) > 0 {
		return out, nil
	}
	doc := live
	source := st.HAProxy.ConfigFile
	if f := st.API.Userlist.UserlistFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("userlist_file: %w", err)
		}
		if doc, err = config.Parse(b); err != nil {
			return nil, fmt.Errorf("userlist_file %s: %w", f, err)
		}
		source = f
	}
	entries, err := doc.Userlist(st.API.Userlist.Userlist)
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		return nil, err
	}
	for _, e := range entries {
		// The role is the highest of the groups named after one; a user
		// in none is an admin, as every user was before roles.
		r, ok := role.FromGroups(e.Groups)
		if !ok {
			r = role.Admin
		}
		out = append(out, auth.User{Name: e.Name, Password: e.Password, Insecure: e.Insecure, Role: r})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no API users: add a user block to the dataplaneapi section of the HCL file "+
			"(user \"admin\" { password = \"<crypt or bcrypt hash>\" }), or a `userlist %s` section with "+
			"`user <name> password <hash>` lines to %s", st.API.Userlist.Userlist, source)
	}
	return out, nil
}

// liveSocket is the admin stats socket the live configuration declares,
// or the one in use when it declares none.
func (a *App) liveSocket() string {
	if doc, err := a.Pipeline.Live().Doc(); err == nil {
		if sock, ok := doc.AdminSocket(filepath.Dir(a.Settings.HAProxy.ConfigFile)); ok {
			return sock.Path
		}
	}
	if a.Stats != nil {
		return a.Stats.Socket()
	}
	return ""
}

// runtimeClient is the client for worker commands: the stats socket, else
// the current worker through the master CLI, else nil.
func (a *App) runtimeClient() *runtime.Client {
	switch {
	case a.Stats != nil:
		return a.Stats
	case a.Master != nil:
		return a.Master.WorkerClient()
	}
	return nil
}

// servingPID is the PID of the process answering on the stats socket. It
// runs inside commits (the check), so it reads no configuration: the
// socket is the one in use.
func (a *App) servingPID(ctx context.Context) (int, error) {
	if a.Stats == nil {
		return 0, errors.New("no stats socket")
	}
	info, err := runtime.New(a.Stats.Socket()).ShowInfo(ctx)
	if err != nil {
		return 0, err
	}
	pid, ok := info.Int("Pid")
	if !ok {
		return 0, errors.New("show info without Pid")
	}
	return int(pid), nil
}

// pidFile is HAProxy's pid file: pid_file, else `pidfile` in global.
func (a *App) pidFile(doc *config.Document) string {
	if p := a.Settings.HAProxy.Reload.PIDFile; p != "" {
		return p
	}
	return doc.PIDFile(filepath.Dir(a.Settings.HAProxy.ConfigFile))
}

// newStrategy picks how HAProxy is reloaded: the reload command whenever
// one is set (an explicit command always wins: the user said how HAProxy
// is reloaded on this machine, a systemd unit or a container's signal,
// and the master CLI would bypass it), else the configured strategy, else
// the master CLI when it is known, else a standalone reload when the
// configuration allows one.
func (a *App) newStrategy(doc *config.Document) (reload.Strategy, error) {
	st := a.Settings
	r := st.HAProxy.Reload
	cfgDir := filepath.Dir(st.HAProxy.ConfigFile)
	pidFile := a.pidFile(doc)
	timeout := r.ReloadTimeout
	name := r.ReloadStrategy
	if strings.TrimSpace(r.ReloadCmd) != "" {
		if name != settings.StrategyDefault && name != settings.StrategyCustom {
			a.Log.Warn("reload_cmd is set: it reloads HAProxy, not the reload_strategy given",
				"reload_strategy", name, "reload_cmd", r.ReloadCmd)
		}
		name = settings.StrategyCustom
	}
	if name == settings.StrategyDefault {
		switch {
		case a.Master != nil:
			name = settings.StrategyMaster
		case pidFile != "" && a.Stats != nil:
			name = settings.StrategyStandalone
		default:
			return nil, errors.New("no way to reload HAProxy: run it in master-worker mode and set master_runtime " +
				"(or launch dataplane from a `program` section, which sets HAPROXY_MASTER_CLI), set reload_cmd, " +
				"or give HAProxy a pidfile and a stats socket with `expose-fd listeners` for standalone reloads")
		}
	}
	switch name {
	case settings.StrategyMaster:
		if a.Master == nil {
			return nil, errors.New("reload_strategy \"master\" needs master_runtime (or HAPROXY_MASTER_CLI)")
		}
		return &reload.MasterStrategy{Master: a.Master, Log: r.MasterLog, Timeout: timeout}, nil
	case settings.StrategyCustom:
		// The command runs once per reload; its outcome is read from
		// HAProxy: `show proc` when the master CLI is known, else the PID
		// answering on the stats socket.
		c := &reload.CustomStrategy{Command: r.ReloadCmd, Timeout: timeout, Master: a.Master, Log: r.MasterLog,
			Ready: a.finder.MasterReady}
		if a.Master == nil && a.Stats != nil {
			// A reload must show a new process answering on the socket of
			// the configuration being reloaded (a change may move it).
			c.Probe = func(ctx context.Context) (string, error) {
				info, err := runtime.New(a.liveSocket()).ShowInfo(ctx)
				if err != nil {
					return "", err
				}
				pid, _ := info.String("Pid")
				return pid, nil
			}
		}
		return c, nil
	case settings.StrategyStandalone:
		sock, ok := doc.AdminSocket(cfgDir)
		switch {
		case pidFile == "":
			return nil, errors.New("reload_strategy \"standalone\" needs pid_file (or `pidfile` in global)")
		case !ok:
			return nil, errors.New("reload_strategy \"standalone\" needs a `stats socket` in global")
		case !sock.ExposeFD:
			return nil, fmt.Errorf("reload_strategy \"standalone\" needs `expose-fd listeners` on the stats socket %s: without it the new process cannot take the listening sockets over", sock.Path)
		}
		return &reload.StandaloneStrategy{
			Bin: st.HAProxy.HAProxyBin, ConfigFile: st.HAProxy.ConfigFile,
			PIDFile: pidFile, Socket: sock.Path, SocketOf: a.liveSocket, Dir: cfgDir, Timeout: timeout,
		}, nil
	}
	return nil, fmt.Errorf("unknown reload_strategy %q", name)
}
