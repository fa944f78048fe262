package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// flagValue holds the raw value of a flag and of its aliases.
type flagValue struct {
	value string
	name  string // name the flag was last given as; "" when not given
}

// aliasValue is the flag.Value registered under one name of a flag. All the
// names of a flag share one flagValue, so the last one given wins.
type aliasValue struct {
	v    *flagValue
	name string
}

// String implements flag.Value.
func (a *aliasValue) String() string {
	if a == nil || a.v == nil {
		return ""
	}
	return a.v.value
}

// Set implements flag.Value. It never fails: values are converted and checked
// after parsing so that every bad flag is reported, not only the first.
func (a *aliasValue) Set(s string) error {
	a.v.value = s
	a.v.name = a.name
	return nil
}

// flagSpec describes one flag overriding one setting.
type flagSpec struct {
	names []string // long name last: "c", "config-file"
	key   string   // setting key, as named in the file
	arg   string   // argument name shown by usage
	usage string
	apply func(s *Settings, raw string) error
	value flagValue
}

// flags is the parsed command line.
type flags struct {
	file     flagValue // -f
	specs    []*flagSpec
	problems []problem
}

// newFlagSpecs returns the flags overriding settings, in usage order.
func newFlagSpecs() []*flagSpec {
	return []*flagSpec{
		{names: []string{"host"}, key: "host", arg: "address", usage: "listen on address (default 127.0.0.1)",
			apply: setString(func(s *Settings) *string { return &s.API.Host })},
		{names: []string{"port"}, key: "port", arg: "port", usage: "listen on port (default 5555)",
			apply: setInt(func(s *Settings) *int { return &s.API.Port })},
		{names: []string{"c", "config-file"}, key: "config_file", arg: "path", usage: "HAProxy configuration file path (default /etc/haproxy/haproxy.cfg)",
			apply: setPath(func(s *Settings) *string { return &s.HAProxy.ConfigFile })},
		{names: []string{"b", "haproxy-bin"}, key: "haproxy_bin", arg: "path", usage: "HAProxy binary path (default haproxy)",
			apply: setString(func(s *Settings) *string { return &s.HAProxy.HAProxyBin })},
		{names: []string{"d", "reload-delay"}, key: "reload_delay", arg: "seconds", usage: "minimum seconds between reloads (default 5)",
			apply: setInt(func(s *Settings) *int { return &s.HAProxy.Reload.ReloadDelay })},
		{names: []string{"reload-timeout"}, key: "reload_timeout", arg: "duration", usage: "how long one reload may take, such as 60s (default 60s)",
			apply: setDuration(func(s *Settings) *time.Duration { return &s.HAProxy.Reload.ReloadTimeout })},
		{names: []string{"r", "reload-cmd"}, key: "reload_cmd", arg: "command", usage: "reload command for the custom strategy",
			apply: setString(func(s *Settings) *string { return &s.HAProxy.Reload.ReloadCmd })},
		{names: []string{"s", "restart-cmd"}, key: "restart_cmd", arg: "command", usage: "restart command",
			apply: setString(func(s *Settings) *string { return &s.HAProxy.Reload.RestartCmd })},
		{names: []string{"t", "transaction-dir"}, key: "transaction_dir", arg: "dir", usage: "transaction directory (default /tmp/dataplane)",
			apply: setPath(func(s *Settings) *string { return &s.API.Transaction.TransactionDir })},
		{names: []string{"p", "maps-dir"}, key: "maps_dir", arg: "dir", usage: "directory of map files of the storage API (default <transaction-dir>/maps)",
			apply: setPath(func(s *Settings) *string { return &s.API.Resources.MapsDir })},
		{names: []string{"ssl-certs-dir"}, key: "ssl_certs_dir", arg: "dir", usage: "directory of SSL certificates of the storage API (default <transaction-dir>/ssl)",
			apply: setPath(func(s *Settings) *string { return &s.API.Resources.SSLCertsDir })},
		{names: []string{"general-storage-dir"}, key: "general_storage_dir", arg: "dir", usage: "directory of general files of the storage API (default <transaction-dir>/general)",
			apply: setPath(func(s *Settings) *string { return &s.API.Resources.GeneralStorageDir })},
		{names: []string{"u", "userlist"}, key: "userlist", arg: "name", usage: "HAProxy userlist name holding API users (default controller)",
			apply: setString(func(s *Settings) *string { return &s.API.Userlist.Userlist })},
		{names: []string{"userlist-file"}, key: "userlist_file", arg: "path", usage: "path of a separate userlist file",
			apply: setPath(func(s *Settings) *string { return &s.API.Userlist.UserlistFile })},
		{names: []string{"master-runtime"}, key: "master_runtime", arg: "path", usage: "master CLI socket path (default from HAPROXY_MASTER_CLI)",
			apply: setPath(func(s *Settings) *string { return &s.HAProxy.MasterRuntime })},
		{names: []string{"reload-strategy"}, key: "reload_strategy", arg: "strategy", usage: "reload strategy: master, standalone or custom",
			apply: setString(func(s *Settings) *string { return &s.HAProxy.Reload.ReloadStrategy })},
		{names: []string{"master-log"}, key: "master_log", arg: "path", usage: "file HAProxy's master writes its stderr to (read back to explain failed reloads)",
			apply: setPath(func(s *Settings) *string { return &s.HAProxy.Reload.MasterLog })},
		{names: []string{"pid-file"}, key: "pid_file", arg: "path", usage: "HAProxy's pid file, for the standalone strategy",
			apply: setPath(func(s *Settings) *string { return &s.HAProxy.Reload.PIDFile })},
		{names: []string{"log-level"}, key: "log_level", arg: "level", usage: "log level: debug, info, warn or error (default info)",
			apply: setString(func(s *Settings) *string { return &s.Log.Level })},
		{names: []string{"log-format"}, key: "log_format", arg: "format", usage: "log format: text or json (default text)",
			apply: setString(func(s *Settings) *string { return &s.Log.Format })},
	}
}

// setString returns an apply function storing the raw value.
func setString(field func(*Settings) *string) func(*Settings, string) error {
	return func(s *Settings, raw string) error {
		*field(s) = raw
		return nil
	}
}

// setPath returns an apply function storing the raw value made absolute
// against the working directory (empty stays empty).
func setPath(field func(*Settings) *string) func(*Settings, string) error {
	return func(s *Settings, raw string) error {
		if raw == "" {
			*field(s) = raw
			return nil
		}
		abs, err := filepath.Abs(raw)
		if err != nil {
			return fmt.Errorf("resolving %q: %w", raw, err)
		}
		*field(s) = abs
		return nil
	}
}

// setDuration returns an apply function storing the raw value as a
// duration such as "30s".
func setDuration(field func(*Settings) *time.Duration) func(*Settings, string) error {
	return func(s *Settings, raw string) error {
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid value %q: a duration such as \"30s\" or \"5m\" is required", raw)
		}
		*field(s) = d
		return nil
	}
}

// setInt returns an apply function storing the raw value as an integer.
func setInt(field func(*Settings) *int) func(*Settings, string) error {
	return func(s *Settings, raw string) error {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid value %q: an integer is required", raw)
		}
		*field(s) = n
		return nil
	}
}

// parseFlags parses args. Help returns an error wrapping flag.ErrHelp after
// printing the usage to usage; a syntax error (unknown flag, missing
// argument, stray argument) returns a *LoadError. Bad values are left in
// flags.problems or found by apply and validate, so that all are reported.
func parseFlags(args []string, usage io.Writer) (*flags, error) {
	fl := &flags{specs: newFlagSpecs()}
	fs := flag.NewFlagSet("dataplane", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&aliasValue{v: &fl.file, name: "f"}, "f", "")
	for _, sp := range fl.specs {
		for _, n := range sp.names {
			fs.Var(&aliasValue{v: &sp.value, name: n}, n, sp.usage)
		}
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fl.printUsage(usage)
			return nil, fmt.Errorf("settings: %w", err)
		}
		return nil, &LoadError{Problems: []string{flagSyntaxProblem(err).String()}}
	}
	if rest := fs.Args(); len(rest) > 0 {
		return nil, &LoadError{Problems: []string{fmt.Sprintf("unexpected argument %q: dataplane takes flags only", rest[0])}}
	}
	if fl.file.name != "" && fl.file.value == "" {
		fl.problems = append(fl.problems, problem{at: flagOrigin("f"), msg: "the settings file path is empty"})
	}
	return fl, nil
}

// printUsage writes the help text, one line per flag and its aliases.
func (fl *flags) printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: dataplane [flags]\n\nFlags override the settings read from the -f file.\n\n")
	fmt.Fprintf(&b, "  %-30s %s\n", "-f file", "HCL settings file (none is read when absent)")
	for _, sp := range fl.specs {
		names := make([]string, len(sp.names))
		for i, n := range sp.names {
			names[i] = dashed(n)
		}
		fmt.Fprintf(&b, "  %-30s %s\n", strings.Join(names, ", ")+" "+sp.arg, sp.usage)
	}
	fmt.Fprintf(&b, "  %-30s %s\n", "-h, --help", "show this help")
	_, _ = io.WriteString(w, b.String())
}

// flagSyntaxProblem turns a flag package error into a problem, naming the
// flag when the message does ("flag provided but not defined: -x").
func flagSyntaxProblem(err error) problem {
	msg := err.Error()
	for prefix, text := range map[string]string{
		"flag provided but not defined: -": "unknown flag (see --help)",
		"flag needs an argument: -":        "needs an argument",
	} {
		if name, ok := strings.CutPrefix(msg, prefix); ok {
			return problem{at: flagOrigin(name), msg: text}
		}
	}
	return problem{msg: "flag: " + msg}
}

// apply overrides s with the flags that were given, recording their origins.
func (fl *flags) apply(s *Settings, origins map[string]origin) []problem {
	var probs []problem
	for _, sp := range fl.specs {
		if sp.value.name == "" {
			continue
		}
		at := flagOrigin(sp.value.name)
		if err := sp.apply(s, sp.value.value); err != nil {
			probs = append(probs, problem{at: at, msg: err.Error()})
			continue
		}
		origins[sp.key] = at
	}
	return probs
}
