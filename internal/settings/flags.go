package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ErrVersion is returned by Load for -v or --version: the caller prints its
// version and exits 0.
var ErrVersion = errors.New("settings: version requested")

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
	bool bool // a boolean flag: given alone, it means true
	list bool // a list: given again, it adds to the list (--scheme http --scheme https)
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
	if a.list && a.v.name != "" {
		a.v.value += "," + s
		a.v.name = a.name
		return nil
	}
	a.v.value = s
	a.v.name = a.name
	return nil
}

// IsBoolFlag tells the flag package that a boolean flag takes no argument
// (`-i`, `--disable-inotify`); `--name=false` still works.
func (a *aliasValue) IsBoolFlag() bool { return a.bool }

// flags is the parsed command line.
type flags struct {
	file     flagValue   // -f
	version  flagValue   // -v, --version
	values   []flagValue // by index in Table
	problems []problem
}

// parseFlags parses args. Help returns an error wrapping flag.ErrHelp after
// printing the usage to usage, -v or --version returns ErrVersion; a syntax
// error (unknown flag, missing argument, stray argument) returns a
// *LoadError. Bad values are left for apply and validate, so that all are
// reported.
func parseFlags(args []string, usage io.Writer) (*flags, error) {
	fl := &flags{values: make([]flagValue, len(Table))}
	fs := flag.NewFlagSet("dataplane", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&aliasValue{v: &fl.file, name: "f"}, "f", "")
	for _, n := range []string{"v", "version"} {
		fs.Var(&aliasValue{v: &fl.version, name: n, bool: true}, n, "")
	}
	for i, st := range Table {
		for _, n := range []string{st.Short, st.Long} {
			if n != "" {
				fs.Var(&aliasValue{v: &fl.values[i], name: n, bool: st.Kind == KindBool, list: st.Kind == KindList}, n, st.Usage)
			}
		}
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = io.WriteString(usage, Usage())
			return nil, fmt.Errorf("settings: %w", err)
		}
		return nil, &LoadError{Problems: []string{flagSyntaxProblem(err).String()}}
	}
	if rest := fs.Args(); len(rest) > 0 {
		return nil, &LoadError{Problems: []string{fmt.Sprintf("unexpected argument %q: dataplane takes flags only", rest[0])}}
	}
	if fl.version.name != "" && fl.version.value != "false" {
		return nil, ErrVersion
	}
	if fl.file.name != "" && fl.file.value == "" {
		fl.problems = append(fl.problems, problem{at: flagOrigin("f"), msg: "the settings file path is empty"})
	}
	return fl, nil
}

// Usage is the help text: every flag with its meaning, its default, its
// environment variable and its place in the file, made from Table.
func Usage() string {
	var b strings.Builder
	b.WriteString(`Usage: dataplane [flags]

Every setting can be given by a flag, an environment variable or the HCL
file named by -f; a flag wins over the environment, which wins over the
file. An empty environment variable counts as unset. Settings marked
"accepted, not built" are read and checked, and do nothing yet: dataplane
logs a warning when one is set.

`)
	line := func(flags, text string) {
		if len(flags) > 30 {
			fmt.Fprintf(&b, "  %s\n  %-30s %s\n", flags, "", text)
			return
		}
		fmt.Fprintf(&b, "  %-30s %s\n", flags, text)
	}
	line("-f file", "HCL settings file (none is read when absent)")
	for _, st := range Table {
		flags := st.Flags()
		if st.Arg != "" {
			flags += " " + st.Arg
		}
		text := st.Usage
		if st.Default != "" {
			text += " (default " + st.Default + ")"
		}
		line(flags, text)
		fmt.Fprintf(&b, "  %-30s   env %s, file %s\n", "", st.Env(), st.FileKey())
		if st.NotBuilt != "" {
			fmt.Fprintf(&b, "  %-30s   accepted, not built: %s\n", "", st.NotBuilt)
		}
	}
	line("-v, --version", "print the version and exit")
	line("-h, --help", "show this help")
	b.WriteString(`
API users come from user blocks in the file
(dataplaneapi { user "admin" { password = "...", insecure = false } }),
else from the userlist named by --userlist in haproxy.cfg or --userlist-file.
`)
	return b.String()
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
	for i, st := range Table {
		v := fl.values[i]
		if v.name == "" {
			continue
		}
		at := flagOrigin(v.name)
		target := st.target(s)
		if err := st.parseText(target, v.value); err != nil {
			probs = append(probs, problem{at: at, msg: err.Error()})
			continue
		}
		st.keep(s, target)
		origins[st.Name] = at
	}
	return probs
}

// applyEnv overrides s with the settings' environment variables that are
// set and not empty, recording their origins.
func applyEnv(s *Settings, origins map[string]origin, getenv func(string) string) []problem {
	var probs []problem
	for _, st := range Table {
		raw := getenv(st.Env())
		if raw == "" {
			continue
		}
		at := origin{env: st.Env()}
		target := st.target(s)
		if err := st.parseText(target, raw); err != nil {
			probs = append(probs, problem{at: at, msg: err.Error()})
			continue
		}
		st.keep(s, target)
		origins[st.Name] = at
	}
	return probs
}
