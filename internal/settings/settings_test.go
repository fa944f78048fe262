package settings

import (
	"bytes"
	"errors"
	"flag"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// env returns a getenv function backed by m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// abs returns p made absolute against the test's working directory (the
// package directory).
func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatalf("filepath.Abs(%q): %v", p, err)
	}
	return a
}

// defaultsWith returns Defaults modified by mod.
func defaultsWith(mod func(*Settings)) *Settings {
	s := Defaults()
	if mod != nil {
		mod(s)
	}
	return s
}

// mustLoad loads args and fails the test on error.
func mustLoad(t *testing.T, args []string, getenv func(string) string) *Settings {
	t.Helper()
	got, err := load(args, getenv, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("load(%q): unexpected error:\n%v", args, err)
	}
	got.from = nil // where values came from: TestPrecedence
	return got
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s := Defaults()
	checks := []struct {
		name      string
		got, want any
	}{
		{"host", s.API.Host, "127.0.0.1"},
		{"port", s.API.Port, 5555},
		{"users", len(s.API.Users), 0},
		{"userlist", s.API.Userlist, Userlist{Userlist: "controller"}},
		{"transaction", s.API.Transaction, Transaction{TransactionDir: "/tmp/dataplane", MaxOpenTransactions: 20}},
		{"max_body_size", s.API.MaxBodySize, int64(64 << 20)},
		{"cleanup_timeout", s.API.CleanupTimeout, 2 * time.Minute},
		{"graceful_timeout", s.API.GracefulTimeout, 15 * time.Second},
		{"keep_alive", s.API.KeepAlive, 3 * time.Minute},
		{"max_header_size", s.API.MaxHeaderSize, int64(1 << 20)},
		{"pid_file", s.API.PIDFile, ""},
		{"not built", s.NotBuilt, map[string]string(nil)},
		{"read_timeout", s.API.ReadTimeout, 30 * time.Second},
		{"write_timeout", s.API.WriteTimeout, 5 * time.Minute},
		{"config_file", s.HAProxy.ConfigFile, "/etc/haproxy/haproxy.cfg"},
		{"haproxy_bin", s.HAProxy.HAProxyBin, "haproxy"},
		{"master_runtime", s.HAProxy.MasterRuntime, ""},
		{"reload", s.HAProxy.Reload, Reload{ReloadDelay: 5, ReloadTimeout: 60 * time.Second, RestartWhenDown: true}},
		{"log", s.Log, Log{Level: "info", Format: "text", To: "stderr", File: "/var/log/dataplaneapi/dataplaneapi.log"}},
		{"metrics", s.Metrics, Metrics{Auth: true}},
		{"fleet", s.Fleet, Fleet{Prefix: "/dataplane", RequestTimeout: 5 * time.Second, Resync: 2 * time.Second, RetryFailed: 30 * time.Second}},
		{"file", s.File, ""},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(t *testing.T) *Settings
	}{
		{
			name: "no file: defaults",
			args: nil,
			want: func(*testing.T) *Settings { return Defaults() },
		},
		{
			name: "empty file: defaults",
			args: []string{"-f", "testdata/empty.hcl"},
			want: func(t *testing.T) *Settings {
				return defaultsWith(func(s *Settings) { s.File = abs(t, "testdata/empty.hcl") })
			},
		},
		{
			name: "the documented example",
			args: []string{"-f", "testdata/example.hcl"},
			want: func(t *testing.T) *Settings {
				return defaultsWith(func(s *Settings) {
					s.API.Users = []User{{Name: "admin", Password: "adminpwd", Insecure: true}}
					s.File = abs(t, "testdata/example.hcl")
				})
			},
		},
		{
			name: "every attribute set",
			args: []string{"--f", "testdata/full.hcl"},
			want: func(t *testing.T) *Settings {
				want := &Settings{
					API: API{
						Host:   "0.0.0.0",
						Port:   8080,
						Scheme: []string{"http", "https"},
						TLS: TLS{Host: "192.0.2.1", Port: 8443, Certificate: "/etc/dataplane/server.pem", Key: "/etc/dataplane/server.key",
							CA: "/etc/dataplane/clients-ca.pem", ClientAuth: "optional", ClientUserFrom: "cn", ListenLimit: 50,
							KeepAlive: time.Minute, ReadTimeout: 20 * time.Second, WriteTimeout: time.Minute},
						Users: []User{
							{Name: "admin", Password: "$6$salt$hash"},
							{Name: "ops", Password: "plain", Insecure: true, Role: "operator"},
						},
						Userlist: Userlist{Userlist: "api", UserlistFile: "/etc/haproxy/users.cfg"},
						Transaction: Transaction{
							TransactionDir:      "/var/lib/dataplane/tx",
							BackupsNumber:       3,
							BackupsDir:          "/var/lib/dataplane/backups",
							MaxOpenTransactions: 5,
						},
						Audit:        Audit{File: "/var/lib/dataplane/audit.log", MaxSize: 1 << 20},
						MaxBodySize:  1 << 20,
						ReadTimeout:  10 * time.Second,
						WriteTimeout: 150 * time.Second,
					},
					HAProxy: HAProxy{
						ConfigFile:    "/srv/haproxy.cfg",
						HAProxyBin:    "/usr/sbin/haproxy",
						MasterRuntime: "/run/haproxy-master.sock",
						Reload: Reload{
							ReloadDelay:    0,
							ReloadTimeout:  90 * time.Second,
							ReloadCmd:      "systemctl reload haproxy",
							RestartCmd:     "systemctl restart haproxy",
							ReloadStrategy: StrategyCustom,
							// RestartWhenDown false: the file says so.
							PIDFile: "/run/haproxy.pid",
						},
					},
					Log:     Log{Level: "debug", Format: "json"},
					Metrics: Metrics{Auth: false},
					Fleet: Fleet{Endpoints: []string{"http://127.0.0.1:2379", "http://127.0.0.1:22379"}, Prefix: "/dataplane/prod",
						Node: "lb-1", RequestTimeout: 3 * time.Second, Resync: time.Second, RetryFailed: 10 * time.Second},
					File:     abs(t, "testdata/full.hcl"),
					NotBuilt: map[string]string{"show_system_info": "true"},
				}
				d := Defaults().API
				want.API.CleanupTimeout, want.API.GracefulTimeout, want.API.KeepAlive, want.API.MaxHeaderSize = d.CleanupTimeout, d.GracefulTimeout, d.KeepAlive, d.MaxHeaderSize
				want.Log.To, want.Log.File = "stderr", Defaults().Log.File
				return want
			},
		},
		{
			name: "relative paths resolve against the file's directory",
			args: []string{"-f", "testdata/relative.hcl"},
			want: func(t *testing.T) *Settings {
				dir := abs(t, "testdata")
				return defaultsWith(func(s *Settings) {
					s.API.Userlist.UserlistFile = filepath.Join(dir, "users.cfg")
					s.API.Transaction.TransactionDir = filepath.Join(dir, "tx")
					s.API.Transaction.BackupsDir = abs(t, "backups")
					s.HAProxy.ConfigFile = filepath.Join(dir, "conf", "haproxy.cfg")
					s.HAProxy.MasterRuntime = filepath.Join(dir, "run", "master.sock")
					s.HAProxy.Reload.PIDFile = filepath.Join(dir, "run", "haproxy.pid")
					s.File = filepath.Join(dir, "relative.hcl")
				})
			},
		},
		{
			name: "env references, literal $${} and crypt hashes",
			args: []string{"-f", "testdata/env.hcl"},
			env:  map[string]string{"ADMIN_PASSWORD": "s3cret", "SUFFIX": "x", "INDEXED": "idx"},
			want: func(t *testing.T) *Settings {
				return defaultsWith(func(s *Settings) {
					s.API.Users = []User{
						{Name: "attr", Password: "s3cret", Insecure: true},
						{Name: "template", Password: "pre-x", Insecure: true},
						{Name: "index", Password: "idx", Insecure: true},
						{Name: "literal", Password: "${ADMIN_PASSWORD}", Insecure: true},
						{Name: "hash", Password: "$6$rounds=5000$salt$hash"},
					}
					s.File = abs(t, "testdata/env.hcl")
				})
			},
		},
		{
			name: "JSON syntax",
			args: []string{"-f", "testdata/example.json"},
			env:  map[string]string{"ADMIN_PASSWORD": "fromenv"},
			want: func(t *testing.T) *Settings {
				return defaultsWith(func(s *Settings) {
					s.API.Port = 6000
					s.API.Users = []User{{Name: "admin", Password: "fromenv", Insecure: true}}
					s.API.Transaction.TransactionDir = abs(t, "testdata/tx")
					s.Log.Format = "json"
					s.File = abs(t, "testdata/example.json")
				})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustLoad(t, tt.args, env(tt.env))
			if want := tt.want(t); !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestEnvLookups checks that only the variables the file names (and
// HAPROXY_MASTER_CLI) are read.
func TestEnvLookups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no file", nil, []string{"HAPROXY_MASTER_CLI"}},
		{"no references", []string{"-f", "testdata/example.hcl"}, []string{"HAPROXY_MASTER_CLI"}},
		{"master_runtime set", []string{"-f", "testdata/full.hcl"}, nil},
		{"references", []string{"-f", "testdata/env.hcl"}, []string{"ADMIN_PASSWORD", "HAPROXY_MASTER_CLI", "INDEXED", "SUFFIX"}},
		{"JSON references", []string{"-f", "testdata/example.json"}, []string{"ADMIN_PASSWORD", "HAPROXY_MASTER_CLI"}},
		{"bare password variable", []string{"-f", "testdata/password_var.hcl"}, []string{"DP_SECRET", "HAPROXY_MASTER_CLI"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var asked, settings []string
			getenv := func(k string) string {
				if strings.HasPrefix(k, EnvPrefix) {
					settings = append(settings, k)
					return ""
				}
				asked = append(asked, k)
				return "value"
			}
			mustLoad(t, tt.args, getenv)
			slices.Sort(asked)
			asked = slices.Compact(asked)
			if !slices.Equal(asked, tt.want) {
				t.Errorf("getenv asked for %q, want %q", asked, tt.want)
			}
			var want []string
			for _, st := range Table {
				want = append(want, st.Env())
			}
			if !slices.Equal(settings, want) {
				t.Errorf("getenv asked for the settings' variables %q, want each of Table once: %q", settings, want)
			}
		})
	}
}

// TestPasswordFromEnvironment checks the Data Plane API's convention: a
// password written "${NAME}" is the value of environment variable NAME.
func TestPasswordFromEnvironment(t *testing.T) {
	t.Parallel()
	got := mustLoad(t, []string{"-f", "testdata/password_var.hcl"}, env(map[string]string{"DP_SECRET": "s3cret"}))
	if len(got.API.Users) != 1 || got.API.Users[0].Password != "s3cret" {
		t.Fatalf("users = %+v, want admin with the password from DP_SECRET", got.API.Users)
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want func(t *testing.T, s *Settings)
	}{
		{"host", []string{"--host", "0.0.0.0"}, func(_ *testing.T, s *Settings) { s.API.Host = "0.0.0.0" }},
		{"port", []string{"--port", "6000"}, func(_ *testing.T, s *Settings) { s.API.Port = 6000 }},
		{"port single dash", []string{"-port=6001"}, func(_ *testing.T, s *Settings) { s.API.Port = 6001 }},
		{"-c", []string{"-c", "/a/haproxy.cfg"}, func(_ *testing.T, s *Settings) { s.HAProxy.ConfigFile = "/a/haproxy.cfg" }},
		{"--config-file", []string{"--config-file", "/b/haproxy.cfg"}, func(_ *testing.T, s *Settings) { s.HAProxy.ConfigFile = "/b/haproxy.cfg" }},
		{"--config-file relative to working dir", []string{"--config-file", "conf/h.cfg"}, func(t *testing.T, s *Settings) { s.HAProxy.ConfigFile = abs(t, "conf/h.cfg") }},
		{"-b", []string{"-b", "/usr/sbin/haproxy"}, func(_ *testing.T, s *Settings) { s.HAProxy.HAProxyBin = "/usr/sbin/haproxy" }},
		{"--haproxy-bin", []string{"--haproxy-bin", "hap"}, func(_ *testing.T, s *Settings) { s.HAProxy.HAProxyBin = "hap" }},
		{"-d", []string{"-d", "0"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.ReloadDelay = 0 }},
		{"--reload-delay", []string{"--reload-delay", "12"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.ReloadDelay = 12 }},
		{"--reload-timeout", []string{"--reload-timeout", "3s"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.ReloadTimeout = 3 * time.Second }},
		{"-r", []string{"-r", "reload it"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.ReloadCmd = "reload it" }},
		{"--reload-cmd", []string{"--reload-cmd", "x"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.ReloadCmd = "x" }},
		{"-s", []string{"-s", "restart it"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.RestartCmd = "restart it" }},
		{"--restart-cmd", []string{"--restart-cmd", "y"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.RestartCmd = "y" }},
		{"-t", []string{"-t", "/var/tx"}, func(_ *testing.T, s *Settings) { s.API.Transaction.TransactionDir = "/var/tx" }},
		{"--transaction-dir relative", []string{"--transaction-dir", "tx"}, func(t *testing.T, s *Settings) { s.API.Transaction.TransactionDir = abs(t, "tx") }},
		{"-u", []string{"-u", "api"}, func(_ *testing.T, s *Settings) { s.API.Userlist.Userlist = "api" }},
		{"--userlist", []string{"--userlist", "ops"}, func(_ *testing.T, s *Settings) { s.API.Userlist.Userlist = "ops" }},
		{"--userlist-file", []string{"--userlist-file", "users.cfg"}, func(t *testing.T, s *Settings) { s.API.Userlist.UserlistFile = abs(t, "users.cfg") }},
		{"--master-runtime", []string{"--master-runtime", "/run/m.sock"}, func(_ *testing.T, s *Settings) { s.HAProxy.MasterRuntime = "/run/m.sock" }},
		{"--reload-strategy", []string{"--reload-strategy", "master"}, func(_ *testing.T, s *Settings) { s.HAProxy.Reload.ReloadStrategy = StrategyMaster }},
		{"--reload-strategy custom with -r", []string{"--reload-strategy", "custom", "-r", "cmd"}, func(_ *testing.T, s *Settings) {
			s.HAProxy.Reload.ReloadStrategy = StrategyCustom
			s.HAProxy.Reload.ReloadCmd = "cmd"
		}},
		{"--log-level", []string{"--log-level", "debug"}, func(_ *testing.T, s *Settings) { s.Log.Level = "debug" }},
		{"--log-format", []string{"--log-format", "json"}, func(_ *testing.T, s *Settings) { s.Log.Format = "json" }},
		{"last of two aliases wins (long last)", []string{"-c", "/a", "--config-file", "/b"}, func(_ *testing.T, s *Settings) { s.HAProxy.ConfigFile = "/b" }},
		{"last of two aliases wins (short last)", []string{"--config-file", "/b", "-c", "/a"}, func(_ *testing.T, s *Settings) { s.HAProxy.ConfigFile = "/a" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustLoad(t, tt.args, env(nil))
			want := Defaults()
			tt.want(t, want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestFlagsOverrideFile checks that given flags, and only those, override the
// file.
func TestFlagsOverrideFile(t *testing.T) {
	t.Parallel()
	base := mustLoad(t, []string{"-f", "testdata/full.hcl"}, env(nil))
	tests := []struct {
		name string
		args []string
		mod  func(t *testing.T, s *Settings)
	}{
		{"no flags", nil, func(*testing.T, *Settings) {}},
		{"port", []string{"--port", "9000"}, func(_ *testing.T, s *Settings) { s.API.Port = 9000 }},
		{"flag path relative to working dir", []string{"-c", "h.cfg"}, func(t *testing.T, s *Settings) { s.HAProxy.ConfigFile = abs(t, "h.cfg") }},
		{"empty value given explicitly", []string{"--reload-strategy", "", "--reload-cmd", ""}, func(_ *testing.T, s *Settings) {
			s.HAProxy.Reload.ReloadStrategy = ""
			s.HAProxy.Reload.ReloadCmd = ""
		}},
		{"flag before -f", []string{"--log-level", "warn", "-f", "testdata/full.hcl"}, func(_ *testing.T, s *Settings) { s.Log.Level = "warn" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := tt.args
			if !slices.Contains(args, "-f") {
				args = append([]string{"-f", "testdata/full.hcl"}, args...)
			}
			got := mustLoad(t, args, env(nil))
			want := *base
			want.API.Users = slices.Clone(base.API.Users)
			tt.mod(t, &want)
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, &want)
			}
		})
	}
}

func TestMasterCLISocket(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"unix@/run/haproxy-master.sock", "/run/haproxy-master.sock"},
		{"/run/bare.sock", "/run/bare.sock"},
		{"ipv4@127.0.0.1:9999;unix@/run/m.sock;unix@/run/other.sock", "/run/m.sock"},
		{" unix@/run/spaced.sock ; ipv4@127.0.0.1:1", "/run/spaced.sock"},
		{"ipv4@127.0.0.1:9999;sockpair@4", ""},
		{"unix@;unix@/run/second.sock", "/run/second.sock"},
		{"abns@master", ""},
	}
	for _, tt := range tests {
		if got := masterCLISocket(tt.in); got != tt.want {
			t.Errorf("masterCLISocket(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMasterRuntimeFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		cli  string
		want string
	}{
		{"taken from env", nil, "unix@/run/haproxy-master.sock", "/run/haproxy-master.sock"},
		{"first unix entry", nil, "ipv4@127.0.0.1:9999;unix@/run/a.sock;unix@/run/b.sock", "/run/a.sock"},
		{"no unix entry", nil, "ipv4@127.0.0.1:9999", ""},
		{"unset", nil, "", ""},
		{"empty in the file: env", []string{"-f", "testdata/example.hcl"}, "unix@/run/e.sock", "/run/e.sock"},
		{"file wins", []string{"-f", "testdata/full.hcl"}, "unix@/run/e.sock", "/run/haproxy-master.sock"},
		{"flag wins", []string{"--master-runtime", "/run/flag.sock"}, "unix@/run/e.sock", "/run/flag.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustLoad(t, tt.args, env(map[string]string{"HAPROXY_MASTER_CLI": tt.cli}))
			if got.HAProxy.MasterRuntime != tt.want {
				t.Errorf("MasterRuntime = %q, want %q", got.HAProxy.MasterRuntime, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	const unknownVarHint = ` Environment variables are read as env.NAME; write "$${NAME}" for the literal text "${NAME}".`
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "unknown attributes and blocks",
			args: []string{"-f", "testdata/bad_unknown.hcl"},
			want: []string{
				`testdata/bad_unknown.hcl:2:3: Unsupported argument: An argument named "prot" is not expected here. Did you mean "port"?`,
				`testdata/bad_unknown.hcl:3:3: Unsupported block type: Blocks of type "usr" are not expected here. Did you mean "user"?`,
				`testdata/bad_unknown.hcl:9:5: Unsupported argument: An argument named "reload_retentio" is not expected here. Did you mean "reload_retention"?`,
				`testdata/bad_unknown.hcl:12:1: Unsupported block type: Blocks of type "logging" are not expected here.`,
			},
		},
		{
			name: "wrong types",
			args: []string{"-f", "testdata/bad_types.hcl"},
			want: []string{
				`testdata/bad_types.hcl:2:22: Unsuitable value type: port: a number is required`,
				`testdata/bad_types.hcl:3:22: Unsuitable value type: show_system_info: a bool is required`,
				`testdata/bad_types.hcl:4:22: Unsuitable value type: max_body_size: value must be a whole number, between -9223372036854775808 and 9223372036854775807`,
				`testdata/bad_types.hcl:5:22: Invalid duration: read_timeout: "30" is not a duration such as "30s" or "5m"`,
				`testdata/bad_types.hcl:7:16: Unsuitable value type: password: string required, but have tuple`,
				`testdata/bad_types.hcl:8:16: Unsuitable value type: insecure: a bool is required`,
				`testdata/bad_types.hcl:12:10: Unsuitable value type: auth: bool required, but have object`,
			},
		},
		{
			name: "bad values, all listed",
			args: []string{"-f", "testdata/bad_values.hcl"},
			want: []string{
				`testdata/bad_values.hcl:2:19: Invalid value: port must be between 1 and 65535, got 70000`,
				`testdata/bad_values.hcl:3:19: Invalid value: max_body_size must be at least 1, got 0`,
				`testdata/bad_values.hcl:4:19: Invalid duration: read_timeout: "soon" is not a duration such as "30s" or "5m"`,
				`testdata/bad_values.hcl:5:19: Invalid value: write_timeout must be positive, got -1s`,
				`testdata/bad_values.hcl:7:29: Invalid value: transaction_dir must not be empty`,
				`testdata/bad_values.hcl:8:29: Invalid value: backups_number must be at least 0, got -1`,
				`testdata/bad_values.hcl:9:29: Invalid value: max_open_transactions must be at least 1, got 0`,
				`testdata/bad_values.hcl:13:17: Invalid value: config_file must not be empty`,
				`testdata/bad_values.hcl:15:23: Invalid value: reload_delay must be at least 0, got -5`,
				`testdata/bad_values.hcl:16:23: Invalid value: reload_strategy "custom" requires reload_cmd`,
				`testdata/bad_values.hcl:17:23: Invalid value: reload_timeout must be positive, got -3s`,
				`testdata/bad_values.hcl:21:16: Invalid value: log_level must be one of "trace", "debug", "verbose", "info", "warning", "warn" or "error", got "loud"`,
				`testdata/bad_values.hcl:22:16: Invalid value: log_format must be one of "text" or "json", got "xml"`,
			},
		},
		{
			name: "flags fix some file problems and add their own",
			args: []string{"-f", "testdata/bad_values.hcl", "--port", "80", "-r", "reload", "--log-format", "yaml", "-d", "soon"},
			want: []string{
				`flag -d: invalid value "soon": an integer is required`,
				`flag --log-format: Invalid value: log_format must be one of "text" or "json", got "yaml"`,
				`testdata/bad_values.hcl:3:19: Invalid value: max_body_size must be at least 1, got 0`,
				`testdata/bad_values.hcl:4:19: Invalid duration: read_timeout: "soon" is not a duration such as "30s" or "5m"`,
				`testdata/bad_values.hcl:5:19: Invalid value: write_timeout must be positive, got -1s`,
				`testdata/bad_values.hcl:7:29: Invalid value: transaction_dir must not be empty`,
				`testdata/bad_values.hcl:8:29: Invalid value: backups_number must be at least 0, got -1`,
				`testdata/bad_values.hcl:9:29: Invalid value: max_open_transactions must be at least 1, got 0`,
				`testdata/bad_values.hcl:13:17: Invalid value: config_file must not be empty`,
				`testdata/bad_values.hcl:15:23: Invalid value: reload_delay must be at least 0, got -5`,
				`testdata/bad_values.hcl:17:23: Invalid value: reload_timeout must be positive, got -3s`,
				`testdata/bad_values.hcl:21:16: Invalid value: log_level must be one of "trace", "debug", "verbose", "info", "warning", "warn" or "error", got "loud"`,
			},
		},
		{
			name: "unknown strategy",
			args: []string{"-f", "testdata/bad_strategy.hcl"},
			want: []string{
				`testdata/bad_strategy.hcl:3:23: Invalid value: reload_strategy must be one of "", "master", "standalone" or "custom", got "systemd"`,
			},
		},
		{
			name: "users",
			args: []string{"-f", "testdata/bad_users.hcl"},
			want: []string{
				`testdata/bad_users.hcl:6:8: Duplicate user: user "admin" is already defined at testdata/bad_users.hcl:2:8`,
				`testdata/bad_users.hcl:10:3: Missing required argument: user "nopass" needs a password`,
				`testdata/bad_users.hcl:13:8: Invalid user name: the user name must not be empty`,
				`testdata/bad_users.hcl:14:16: Invalid password: the password of user "" is empty (an unset environment variable?)`,
				`testdata/bad_users.hcl:16:8: Missing name for user: All user blocks must have 1 labels (name).`,
				`testdata/bad_users.hcl:21:16: Invalid role: user "root": unknown role "root": one of read-only, operator, admin`,
			},
		},
		{
			name: "bare variables and functions",
			args: []string{"-f", "testdata/bad_bare_var.hcl"},
			want: []string{
				// A password may name an environment variable as "${NAME}";
				// unset, it is an empty password.
				`testdata/bad_bare_var.hcl:3:16: Invalid password: the password of user "admin" is empty (an unset environment variable?)`,
				`testdata/bad_bare_var.hcl:6:10: Unknown variable: There is no variable named "HOST".` + unknownVarHint,
				`testdata/bad_bare_var.hcl:7:10: Function calls not allowed: Functions may not be called here.`,
			},
		},
		{
			name: "syntax error",
			args: []string{"-f", "testdata/bad_syntax.hcl"},
			want: []string{
				`testdata/bad_syntax.hcl:3:20: Invalid multi-line string: Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \n escape to represent a newline character or use the "heredoc" multi-line template syntax.`,
				`testdata/bad_syntax.hcl:3:20: Unterminated template string: No closing marker was found for the string.`,
				`testdata/bad_syntax.hcl:4:2: Invalid multi-line string: Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \n escape to represent a newline character or use the "heredoc" multi-line template syntax.`,
			},
		},
		{
			name: "duplicate block",
			args: []string{"-f", "testdata/bad_duplicate.hcl"},
			want: []string{
				`testdata/bad_duplicate.hcl:4:1: Duplicate log block: Only one log block is allowed. Another was defined at testdata/bad_duplicate.hcl:1,1-4.`,
			},
		},
		{
			name: "missing -f file",
			args: []string{"-f", "testdata/nope.hcl", "--port", "0"},
			want: []string{
				`flag -f: reading settings file: open testdata/nope.hcl: no such file or directory`,
				`flag --port: Invalid value: port must be between 1 and 65535, got 0`,
			},
		},
		{
			name: "empty -f",
			args: []string{"-f", ""},
			want: []string{`flag -f: the settings file path is empty`},
		},
		{
			name: "unknown flag",
			args: []string{"--verbose"},
			want: []string{`flag --verbose: unknown flag (see --help)`},
		},
		{
			name: "unknown short flag",
			args: []string{"-x"},
			want: []string{`flag -x: unknown flag (see --help)`},
		},
		{
			name: "flag without its argument",
			args: []string{"--port"},
			want: []string{`flag --port: needs an argument`},
		},
		{
			name: "stray argument",
			args: []string{"--port", "80", "extra"},
			want: []string{`unexpected argument "extra": dataplane takes flags only`},
		},
		{
			name: "bad flag values, all listed",
			args: []string{"--port", "99999", "-d", "-1", "--log-level", "loud", "--reload-strategy", "custom", "--host", "::", "--reload-timeout", "0s"},
			want: []string{
				`flag --port: Invalid value: port must be between 1 and 65535, got 99999`,
				`flag -d: Invalid value: reload_delay must be at least 0, got -1`,
				`flag --reload-timeout: Invalid value: reload_timeout must be positive, got 0s`,
				`flag --reload-strategy: Invalid value: reload_strategy "custom" requires reload_cmd`,
				`flag --log-level: Invalid value: log_level must be one of "trace", "debug", "verbose", "info", "warning", "warn" or "error", got "loud"`,
			},
		},
		{
			name: "empty -c and -t",
			args: []string{"-c", "", "-t", "", "-b", ""},
			want: []string{
				`flag -t: Invalid value: transaction_dir must not be empty`,
				`flag -c: Invalid value: config_file must not be empty`,
				`flag -b: Invalid value: haproxy_bin must not be empty`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := load(tt.args, env(nil), &bytes.Buffer{})
			if got != nil {
				t.Errorf("load returned settings %+v along with an error", got)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("load(%q) error = %v (%T), want *LoadError", tt.args, err, err)
			}
			if !slices.Equal(le.Problems, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(le.Problems, "\n"), strings.Join(tt.want, "\n"))
			}
			if err.Error() != strings.Join(tt.want, "\n") {
				t.Errorf("Error() = %q, want the problems joined by newlines", err.Error())
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "--help", "-help"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			s, err := load([]string{"--port", "1", arg}, env(nil), &out)
			if s != nil || !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("load(%s) = %v, %v; want nil, flag.ErrHelp", arg, s, err)
			}
			for _, want := range []string{"Usage: dataplane", "-f file", "-c, --config-file path", "--log-format format", "-h, --help"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("usage lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestLoadPublic exercises the exported entry point, with a nil getenv.
func TestLoadPublic(t *testing.T) {
	t.Parallel()
	s, err := Load([]string{"-f", "testdata/full.hcl"}, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.API.Port != 8080 || s.HAProxy.MasterRuntime != "/run/haproxy-master.sock" {
		t.Errorf("Load = %+v", s)
	}
	if _, err := Load([]string{"--port", "0"}, nil); err == nil || err.Error() != "flag --port: Invalid value: port must be between 1 and 65535, got 0" {
		t.Errorf("Load(--port 0) error = %v", err)
	}
}
