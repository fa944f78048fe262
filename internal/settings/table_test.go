package settings

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sample is a valid value of st other than its default, as text, and as
// the value reads back.
func sample(st Setting) (text, want string) {
	switch st.Name {
	case "log_level":
		return "debug", "debug"
	case "log_format":
		return "json", "json"
	case "log_to":
		return "stdout", "stdout"
	case "reload_strategy":
		return "master", "master"
	case "scheme":
		return "http", "http" // https alone needs the tls block
	case "tls_client_auth":
		return "optional", "optional"
	case "tls_client_user_from":
		return "cn", "cn"
	case "audit_max_size":
		return "70KiB", "71680" // the bound must hold a record
	case "fleet_endpoints":
		return "http://127.0.0.1:2379", "http://127.0.0.1:2379"
	case "fleet_prefix":
		return "/sample/fleet", "/sample/fleet"
	case "fleet_node":
		return "sample-node", "sample-node"
	}
	switch st.Kind {
	case KindPath:
		return "/sample/" + st.Name, "/sample/" + st.Name
	case KindInt:
		return "7", "7"
	case KindBool:
		if st.Field != nil && st.Value(Defaults()) == "true" {
			return "false", "false"
		}
		return "true", "true"
	case KindDuration:
		return "7s", "7s"
	case KindSize:
		return "7KiB", "7168"
	}
	return "sample " + st.Name, "sample " + st.Name
}

// hclValue spells text as the file's value for st.
func hclValue(st Setting, text string) string {
	switch st.Kind {
	case KindInt, KindBool:
		return text
	}
	return fmt.Sprintf("%q", text)
}

// writeFile writes a settings file holding the given attributes (by
// setting name) in their blocks, and returns its path.
func writeFile(t *testing.T, values map[string]string) string {
	t.Helper()
	var b strings.Builder
	var write func(path, indent string)
	write = func(path, indent string) {
		for _, st := range Table {
			if v, ok := values[st.Name]; ok && st.Block == path {
				fmt.Fprintf(&b, "%s%s = %s\n", indent, st.AttrName(), hclValue(st, v))
			}
		}
		for _, c := range childBlocks(path) {
			fmt.Fprintf(&b, "%s%s {\n", indent, c)
			write(join(path, c), indent+"  ")
			fmt.Fprintf(&b, "%s}\n", indent)
		}
	}
	write("", "")
	path := filepath.Join(t.TempDir(), "dataplane.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEverySettingHasEveryForm checks the declaration of each setting, and
// that each can be given by the file, the environment, the long flag and
// the short flag, and reads back with the source it came from.
func TestEverySettingHasEveryForm(t *testing.T) {
	t.Parallel()
	usage := Usage()
	seen := map[string]string{}
	for _, st := range Table {
		for _, key := range []string{"name " + st.Name, "flag " + st.Short, "flag " + st.Long, "env " + st.Env(), "file " + st.FileKey()} {
			if prev, dup := seen[key]; dup && key != "flag " {
				t.Errorf("%s: %s is also %s's", st.Name, key, prev)
			}
			seen[key] = st.Name
		}
		switch {
		case st.Long == "" || st.Block == "" || st.Usage == "":
			t.Errorf("%s: a long flag, a block and a usage are required: %+v", st.Name, st)
		case (st.Field == nil) == (st.NotBuilt == ""):
			t.Errorf("%s: exactly one of Field and NotBuilt is required", st.Name)
		case st.Kind == KindBool && st.Arg != "", st.Kind != KindBool && st.Arg == "":
			t.Errorf("%s: a boolean flag has no argument, others have one", st.Name)
		}
		if st.Field != nil {
			want := map[Kind]any{KindString: new(string), KindPath: new(string), KindInt: new(int),
				KindBool: new(bool), KindDuration: new(time.Duration), KindSize: new(int64), KindList: new([]string)}[st.Kind]
			if got := st.Field(Defaults()); reflect.TypeOf(got) != reflect.TypeOf(want) {
				t.Errorf("%s: field is %T, want %T for its kind", st.Name, got, want)
			}
		}
		line := "  " + st.Flags()
		for _, want := range []string{line, "env " + st.Env() + ", file " + st.FileKey()} {
			if !strings.Contains(usage, want) {
				t.Errorf("%s: --help lacks %q", st.Name, want)
			}
		}
		if st.NotBuilt != "" && !strings.Contains(usage, "accepted, not built: "+st.NotBuilt) {
			t.Errorf("%s: --help does not say it is not built", st.Name)
		}

		text, want := sample(st)
		forms := []struct {
			name string
			args []string
			env  map[string]string
			from string
		}{
			{"file", []string{"-f", writeFile(t, map[string]string{st.Name: text})}, nil, "file "},
			{"env", nil, map[string]string{st.Env(): text}, "env " + st.Env()},
			{"long flag", []string{"--" + st.Long + "=" + text}, nil, "flag --" + st.Long},
		}
		if st.Short != "" {
			forms = append(forms, struct {
				name string
				args []string
				env  map[string]string
				from string
			}{"short flag", []string{"-" + st.Short + "=" + text}, nil, "flag -" + st.Short})
		}
		for _, f := range forms {
			s, err := load(f.args, env(f.env), &bytes.Buffer{})
			if err != nil {
				t.Errorf("%s by %s: %v", st.Name, f.name, err)
				continue
			}
			var got *Source
			for _, src := range s.Sources() {
				if src.Setting.Name == st.Name {
					got = &src
				} else if def := src.Setting.Value(Defaults()); src.Value != def {
					// Two settings sharing a field would show here.
					t.Errorf("%s by %s changed %s too: %q, default %q", st.Name, f.name, src.Setting.Name, src.Value, def)
				}
			}
			switch {
			case got == nil:
				t.Errorf("%s by %s: not among the sources", st.Name, f.name)
			case got.Value != want || !strings.HasPrefix(got.From, f.from):
				t.Errorf("%s by %s: %q from %q, want %q from %q", st.Name, f.name, got.Value, got.From, want, f.from)
			}
		}
	}
}

// TestBooleanFlagsAlone checks that a boolean flag given alone means true.
func TestBooleanFlagsAlone(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, []string{"-i", "--disable-inotify", "--restart-when-down=false", "--port", "6000"}, env(nil))
	if s.NotBuilt["show_system_info"] != "true" || s.NotBuilt["disable_inotify"] != "true" || s.HAProxy.Reload.RestartWhenDown || s.API.Port != 6000 {
		t.Errorf("got %+v, %+v", s.NotBuilt, s.HAProxy.Reload)
	}
}

// TestPrecedence: flag > environment > file > default, setting by setting.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, map[string]string{"port": "7001", "transaction_dir": "/file/tx", "reload_delay": "3", "log_level": "error", "reload_cmd": "file-cmd"})
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want map[string]string // setting -> value and source, "value @ source"
	}{
		{"default", nil, nil, map[string]string{
			"port": "5555 @ default", "reload_delay": "5 @ default", "log_level": "info @ default"}},
		{"file over default", []string{"-f", file}, nil, map[string]string{
			"port": "7001 @ file", "transaction_dir": "/file/tx @ file", "reload_delay": "3 @ file", "log_level": "error @ file", "host": "127.0.0.1 @ default"}},
		{"env over file", []string{"-f", file}, map[string]string{"DATAPLANEAPI_PORT": "7002", "DATAPLANEAPI_LOG_LEVEL": "verbose", "DATAPLANEAPI_HOST": "::1"}, map[string]string{
			"port": "7002 @ env DATAPLANEAPI_PORT", "log_level": "verbose @ env DATAPLANEAPI_LOG_LEVEL", "host": "::1 @ env DATAPLANEAPI_HOST",
			"transaction_dir": "/file/tx @ file", "reload_delay": "3 @ file"}},
		{"flag over env over file", []string{"-f", file, "--port", "7003", "-t", "/flag/tx"},
			map[string]string{"DATAPLANEAPI_PORT": "7002", "DATAPLANEAPI_TRANSACTION_DIR": "/env/tx", "DATAPLANEAPI_RELOAD_DELAY": "9"}, map[string]string{
				"port": "7003 @ flag --port", "transaction_dir": "/flag/tx @ flag -t", "reload_delay": "9 @ env DATAPLANEAPI_RELOAD_DELAY",
				"log_level": "error @ file", "reload_cmd": "file-cmd @ file"}},
		{"empty env is unset", []string{"-f", file}, map[string]string{"DATAPLANEAPI_PORT": "", "DATAPLANEAPI_RELOAD_CMD": ""}, map[string]string{
			"port": "7001 @ file", "reload_cmd": "file-cmd @ file"}},
		{"empty flag clears", []string{"-f", file, "-r", ""}, map[string]string{"DATAPLANEAPI_RELOAD_CMD": "env-cmd"}, map[string]string{
			"reload_cmd": " @ flag -r"}},
		{"master CLI from HAProxy's environment", nil, map[string]string{"HAPROXY_MASTER_CLI": "unix@/run/m.sock"}, map[string]string{
			"master_runtime": "/run/m.sock @ env HAPROXY_MASTER_CLI"}},
		{"master CLI setting wins", nil, map[string]string{"HAPROXY_MASTER_CLI": "unix@/run/m.sock", "DATAPLANEAPI_MASTER_RUNTIME": "/run/mine.sock"}, map[string]string{
			"master_runtime": "/run/mine.sock @ env DATAPLANEAPI_MASTER_RUNTIME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := load(tt.args, env(tt.env), &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, src := range s.Sources() {
				from := src.From
				if strings.HasPrefix(from, "file ") {
					from = "file"
				}
				got[src.Setting.Name] = src.Value + " @ " + from
			}
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s = %q, want %q", name, got[name], want)
				}
			}
		})
	}
}

// TestEnvironmentProblems: a bad variable is reported under its name.
func TestEnvironmentProblems(t *testing.T) {
	t.Parallel()
	_, err := load([]string{"--port", "8000"}, env(map[string]string{"DATAPLANEAPI_PORT": "x", "DATAPLANEAPI_RELOAD_DELAY": "-1"}), &bytes.Buffer{})
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`environment DATAPLANEAPI_PORT: invalid value "x": an integer is required`,
		`environment DATAPLANEAPI_RELOAD_DELAY: Invalid value: reload_delay must be at least 0, got -1`,
	}
	if !reflect.DeepEqual(le.Problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(le.Problems, "\n"), strings.Join(want, "\n"))
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-v"}, {"--version"}, {"--port", "1", "-version"}} {
		if s, err := load(args, env(nil), &bytes.Buffer{}); s != nil || !errors.Is(err, ErrVersion) {
			t.Errorf("load(%q) = %v, %v; want ErrVersion", args, s, err)
		}
	}
	var out bytes.Buffer
	if _, err := load([]string{"--help"}, env(nil), &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-v, --version") {
		t.Errorf("--help: %v\n%s", err, out.String())
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"1048576": 1 << 20, "1MiB": 1 << 20, "512KiB": 512 << 10, "1MB": 1000000, "2k": 2048, " 3 GiB ": 3 << 30, "10B": 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "1.5MiB", "-1", "1 parsec", "99999999999GiB"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the settings table in README.md")

// The README's table of settings sits between these lines.
const (
	readmeBegin = "<!-- settings table: generated from internal/settings.Table; go test ./internal/settings -run TestREADMETable -update -->\n"
	readmeEnd   = "<!-- end of settings table -->\n"
)

// TestREADMETable checks that the README's table of settings is Markdown()
// (-update rewrites it).
func TestREADMETable(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i, j := strings.Index(text, readmeBegin), strings.Index(text, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the lines around the settings table:\n%s%s", readmeBegin, readmeEnd)
	}
	want := text[:i+len(readmeBegin)] + Markdown() + text[j:]
	if want == text {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's settings table is not Markdown(): go test ./internal/settings -run TestREADMETable -update")
}

// TestAnchorFile loads a file as the Data Plane API writes them: its
// top-level attributes are accepted, unbuilt settings are kept aside.
func TestAnchorFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dataplaneapi.hcl")
	text := `config_version = 2
name = "famous_condor"
mode = "single"
dataplaneapi {
  host = "0.0.0.0"
  port = 8080
  user "admin" {
    insecure = true
    password = "adminpwd"
  }
  resources {
    maps_dir = "/etc/haproxy/maps"
    spoe_dir = "/etc/haproxy/spoe"
  }
}
haproxy {
  config_file = "/etc/haproxy/haproxy.cfg"
  haproxy_bin = "/usr/local/sbin/haproxy"
  reload {
    reload_cmd  = "kill -SIGUSR2 1"
    restart_cmd = "kill -SIGUSR2 1"
  }
}
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, []string{"-f", path}, env(nil))
	if s.API.Port != 8080 || s.API.Resources.MapsDir != "/etc/haproxy/maps" || s.HAProxy.Reload.ReloadCmd != "kill -SIGUSR2 1" ||
		!reflect.DeepEqual(s.NotBuilt, map[string]string{"spoe_dir": "/etc/haproxy/spoe"}) {
		t.Errorf("got %+v", s)
	}
}

// TestSchemeAndTLS: scheme is a list in every form (the anchor's repeated
// flag and file list included), and https requires what its listener
// needs; without https the tls settings are only read.
func TestSchemeAndTLS(t *testing.T) {
	t.Parallel()
	full := []string{"--tls-port", "5556", "--tls-certificate", "/c.pem", "--tls-key", "/k.pem"}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		scheme  string
		problem string // in the error; "" when it loads
	}{
		{"default", nil, nil, "http", ""},
		{"repeated flag", append([]string{"--scheme", "http", "--scheme", "https"}, full...), nil, "http,https", ""},
		{"comma list in env", full, map[string]string{"DATAPLANEAPI_SCHEME": "https , http"}, "https,http", ""},
		{"https alone", append([]string{"--scheme", "https"}, full...), nil, "https", ""},
		{"tls settings without https are read", []string{"--tls-ca", "/ca.pem", "--tls-client-user-from", "cn"}, nil, "http", ""},
		{"unknown scheme", []string{"--scheme", "ftp"}, nil, "", `scheme must be one of "http" or "https", got "ftp"`},
		{"twice", []string{"--scheme", "http,http"}, nil, "", `scheme lists "http" twice`},
		{"empty", []string{"--scheme", ""}, nil, "", "scheme must list http, https or both"},
		{"https without port", []string{"--scheme", "https", "--tls-certificate", "/c.pem", "--tls-key", "/k.pem"}, nil, "", "scheme https requires tls_port"},
		{"https without key", []string{"--scheme", "https", "--tls-port", "5556", "--tls-certificate", "/c.pem"}, nil, "", "scheme https requires tls_certificate and tls_key"},
		{"same port", append([]string{"--scheme", "http,https", "--port", "5556"}, full...), nil, "", "tls_port 5556 is port too"},
		{"user from cn without ca", append([]string{"--scheme", "https", "--tls-client-user-from", "cn"}, full...), nil, "", "tls_client_user_from requires tls_ca"},
		{"bad client auth", []string{"--tls-client-auth", "maybe"}, nil, "", `tls_client_auth must be one of "required" or "optional"`},
		{"bad user from", []string{"--tls-client-user-from", "ou"}, nil, "", `tls_client_user_from must be one of "" or "cn"`},
		{"negative timeout", []string{"--tls-read-timeout", "-1s"}, nil, "", "tls_read_timeout must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(tt.args, env(tt.env), &bytes.Buffer{})
			switch {
			case tt.problem != "":
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("got %v, want a problem with %q", err, tt.problem)
				}
			case err != nil:
				t.Fatal(err)
			case strings.Join(s.API.Scheme, ",") != tt.scheme:
				t.Fatalf("scheme %q, want %q", s.API.Scheme, tt.scheme)
			}
		})
	}
}
