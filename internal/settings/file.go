package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"

	"dataplane/internal/role"
)

// The file's schema. gohcl reports unknown and duplicate blocks and unknown
// attributes; attributes are kept as *hcl.Attribute so that they can be
// evaluated one by one, defaults kept when absent, and positions recorded.
type (
	fileRoot struct {
		API     *fileAPI     `hcl:"dataplaneapi,block"`
		HAProxy *fileHAProxy `hcl:"haproxy,block"`
		Log     *fileLog     `hcl:"log,block"`
		Metrics *fileMetrics `hcl:"metrics,block"`
	}
	fileAPI struct {
		Host           *hcl.Attribute   `hcl:"host,optional"`
		Port           *hcl.Attribute   `hcl:"port,optional"`
		MaxBodySize    *hcl.Attribute   `hcl:"max_body_size,optional"`
		ShowSystemInfo *hcl.Attribute   `hcl:"show_system_info,optional"`
		ReadTimeout    *hcl.Attribute   `hcl:"read_timeout,optional"`
		WriteTimeout   *hcl.Attribute   `hcl:"write_timeout,optional"`
		Users          []*fileUser      `hcl:"user,block"`
		Userlist       *fileUserlist    `hcl:"userlist,block"`
		Transaction    *fileTransaction `hcl:"transaction,block"`
		Resources      *fileResources   `hcl:"resources,block"`
	}
	fileResources struct {
		MapsDir           *hcl.Attribute `hcl:"maps_dir,optional"`
		SSLCertsDir       *hcl.Attribute `hcl:"ssl_certs_dir,optional"`
		GeneralStorageDir *hcl.Attribute `hcl:"general_storage_dir,optional"`
	}
	fileUser struct {
		Name      string         `hcl:"name,label"`
		NameRange hcl.Range      `hcl:"name,label_range"`
		DefRange  hcl.Range      `hcl:",def_range"`
		Password  *hcl.Attribute `hcl:"password,optional"`
		Insecure  *hcl.Attribute `hcl:"insecure,optional"`
		Role      *hcl.Attribute `hcl:"role,optional"`
	}
	fileUserlist struct {
		Userlist     *hcl.Attribute `hcl:"userlist,optional"`
		UserlistFile *hcl.Attribute `hcl:"userlist_file,optional"`
	}
	fileTransaction struct {
		TransactionDir      *hcl.Attribute `hcl:"transaction_dir,optional"`
		BackupsNumber       *hcl.Attribute `hcl:"backups_number,optional"`
		BackupsDir          *hcl.Attribute `hcl:"backups_dir,optional"`
		MaxOpenTransactions *hcl.Attribute `hcl:"max_open_transactions,optional"`
	}
	fileHAProxy struct {
		ConfigFile    *hcl.Attribute `hcl:"config_file,optional"`
		HAProxyBin    *hcl.Attribute `hcl:"haproxy_bin,optional"`
		MasterRuntime *hcl.Attribute `hcl:"master_runtime,optional"`
		Reload        *fileReload    `hcl:"reload,block"`
	}
	fileReload struct {
		ReloadDelay     *hcl.Attribute `hcl:"reload_delay,optional"`
		ReloadTimeout   *hcl.Attribute `hcl:"reload_timeout,optional"`
		ReloadCmd       *hcl.Attribute `hcl:"reload_cmd,optional"`
		RestartCmd      *hcl.Attribute `hcl:"restart_cmd,optional"`
		RestartWhenDown *hcl.Attribute `hcl:"restart_when_down,optional"`
		ReloadStrategy  *hcl.Attribute `hcl:"reload_strategy,optional"`
		PIDFile         *hcl.Attribute `hcl:"pid_file,optional"`
		MasterLog       *hcl.Attribute `hcl:"master_log,optional"`
	}
	fileLog struct {
		Level  *hcl.Attribute `hcl:"log_level,optional"`
		Format *hcl.Attribute `hcl:"log_format,optional"`
	}
	fileMetrics struct {
		Auth *hcl.Attribute `hcl:"auth,optional"`
	}
)

// loadFile reads the HCL file at path into s, recording in origins where each
// value came from, and returns the problems found.
func loadFile(path string, s *Settings, origins map[string]origin, getenv func(string) string) problems {
	var probs problems
	abs, err := filepath.Abs(path)
	if err != nil {
		probs.addf(flagOrigin("f"), "resolving settings file path: %v", err)
		return probs
	}
	src, err := os.ReadFile(path)
	if err != nil {
		probs.addf(flagOrigin("f"), "reading settings file: %v", err)
		return probs
	}
	s.File = abs

	parser := hclparse.NewParser()
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		f, diags = parser.ParseJSON(src, path)
	} else {
		f, diags = parser.ParseHCL(src, path)
	}
	if diags.HasErrors() || f == nil {
		// A body with syntax errors only yields follow-on noise.
		probs.addDiags(path, diags)
		return probs
	}

	var root fileRoot
	probs.addDiags(path, gohcl.DecodeBody(f.Body, nil, &root))

	d := &fileDecoder{
		ctx:     &hcl.EvalContext{Variables: map[string]cty.Value{"env": envObject(f.Body, getenv)}},
		getenv:  getenv,
		dir:     filepath.Dir(abs),
		origins: origins,
		name:    path,
	}
	d.decode(&root, s)
	probs.add(d.probs...)
	return probs
}

// fileDecoder evaluates the attributes of a decoded file into Settings.
type fileDecoder struct {
	ctx     *hcl.EvalContext
	getenv  func(string) string
	dir     string // absolute directory of the file, for relative paths
	name    string // file name as given, for messages
	origins map[string]origin
	probs   problems
}

// decode copies every attribute present in root into s.
func (d *fileDecoder) decode(root *fileRoot, s *Settings) {
	if a := root.API; a != nil {
		setAttr(d, a.Host, "host", &s.API.Host)
		setAttr(d, a.Port, "port", &s.API.Port)
		setAttr(d, a.MaxBodySize, "max_body_size", &s.API.MaxBodySize)
		setAttr(d, a.ShowSystemInfo, "show_system_info", &s.API.ShowSystemInfo)
		d.duration(a.ReadTimeout, "read_timeout", &s.API.ReadTimeout)
		d.duration(a.WriteTimeout, "write_timeout", &s.API.WriteTimeout)
		s.API.Users = d.users(a.Users)
		if u := a.Userlist; u != nil {
			setAttr(d, u.Userlist, "userlist", &s.API.Userlist.Userlist)
			d.path(u.UserlistFile, "userlist_file", &s.API.Userlist.UserlistFile)
		}
		if t := a.Transaction; t != nil {
			d.path(t.TransactionDir, "transaction_dir", &s.API.Transaction.TransactionDir)
			setAttr(d, t.BackupsNumber, "backups_number", &s.API.Transaction.BackupsNumber)
			d.path(t.BackupsDir, "backups_dir", &s.API.Transaction.BackupsDir)
			setAttr(d, t.MaxOpenTransactions, "max_open_transactions", &s.API.Transaction.MaxOpenTransactions)
		}
		if r := a.Resources; r != nil {
			d.path(r.MapsDir, "maps_dir", &s.API.Resources.MapsDir)
			d.path(r.SSLCertsDir, "ssl_certs_dir", &s.API.Resources.SSLCertsDir)
			d.path(r.GeneralStorageDir, "general_storage_dir", &s.API.Resources.GeneralStorageDir)
		}
	}
	if h := root.HAProxy; h != nil {
		d.path(h.ConfigFile, "config_file", &s.HAProxy.ConfigFile)
		setAttr(d, h.HAProxyBin, "haproxy_bin", &s.HAProxy.HAProxyBin)
		d.path(h.MasterRuntime, "master_runtime", &s.HAProxy.MasterRuntime)
		if r := h.Reload; r != nil {
			setAttr(d, r.ReloadDelay, "reload_delay", &s.HAProxy.Reload.ReloadDelay)
			d.duration(r.ReloadTimeout, "reload_timeout", &s.HAProxy.Reload.ReloadTimeout)
			setAttr(d, r.ReloadCmd, "reload_cmd", &s.HAProxy.Reload.ReloadCmd)
			setAttr(d, r.RestartCmd, "restart_cmd", &s.HAProxy.Reload.RestartCmd)
			setAttr(d, r.RestartWhenDown, "restart_when_down", &s.HAProxy.Reload.RestartWhenDown)
			setAttr(d, r.ReloadStrategy, "reload_strategy", &s.HAProxy.Reload.ReloadStrategy)
			d.path(r.PIDFile, "pid_file", &s.HAProxy.Reload.PIDFile)
			d.path(r.MasterLog, "master_log", &s.HAProxy.Reload.MasterLog)
		}
	}
	if l := root.Log; l != nil {
		setAttr(d, l.Level, "log_level", &s.Log.Level)
		setAttr(d, l.Format, "log_format", &s.Log.Format)
	}
	if m := root.Metrics; m != nil {
		setAttr(d, m.Auth, "auth", &s.Metrics.Auth)
	}
}

// eval evaluates a into target (a pointer to a Go value gocty understands).
// It reports false when a is absent, null or wrong; problems are recorded.
func (d *fileDecoder) eval(a *hcl.Attribute, target any) bool {
	if a == nil {
		return false
	}
	v, diags := a.Expr.Value(d.ctx)
	if diags.HasErrors() {
		d.probs.addDiags(d.name, diags)
		return false
	}
	if v.IsNull() {
		return false
	}
	at := origin{rng: a.Expr.Range()}
	ty, err := gocty.ImpliedType(target)
	if err != nil {
		panic(fmt.Sprintf("settings: unsupported target for %s: %v", a.Name, err))
	}
	if v, err = convert.Convert(v, ty); err == nil {
		err = gocty.FromCtyValue(v, target)
	}
	if err != nil {
		d.probs.addf(at, "Unsuitable value type: %s: %v", a.Name, err)
		return false
	}
	return true
}

// setAttr evaluates a into *target and records its origin under key. It
// reports whether *target was set.
func setAttr[T any](d *fileDecoder, a *hcl.Attribute, key string, target *T) bool {
	var v T
	if !d.eval(a, &v) {
		return false
	}
	*target = v
	d.origins[key] = origin{rng: a.Expr.Range()}
	return true
}

// path evaluates a path attribute, resolving a relative one against the
// file's directory.
func (d *fileDecoder) path(a *hcl.Attribute, key string, target *string) {
	if setAttr(d, a, key, target) {
		*target = resolvePath(d.dir, *target)
	}
}

// duration evaluates a duration attribute such as "30s".
func (d *fileDecoder) duration(a *hcl.Attribute, key string, target *time.Duration) {
	var s string
	if !d.eval(a, &s) {
		return
	}
	at := origin{rng: a.Expr.Range()}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.probs.addf(at, "Invalid duration: %s: %q is not a duration such as \"30s\" or \"5m\"", key, s)
		return
	}
	*target = v
	d.origins[key] = at
}

// users evaluates the `user` blocks, checking that each has a unique,
// non-empty name and a non-empty password.
func (d *fileDecoder) users(blocks []*fileUser) []User {
	var users []User
	first := map[string]hcl.Range{}
	for _, b := range blocks {
		u := User{Name: b.Name}
		switch prev, dup := first[b.Name]; {
		case b.Name == "":
			d.probs.addf(origin{rng: b.NameRange}, "Invalid user name: the user name must not be empty")
		case dup:
			d.probs.addf(origin{rng: b.NameRange}, "Duplicate user: user %q is already defined at %s:%d:%d", b.Name, prev.Filename, prev.Start.Line, prev.Start.Column)
		default:
			first[b.Name] = b.NameRange
		}
		switch {
		case b.Password == nil:
			d.probs.addf(origin{rng: b.DefRange}, "Missing required argument: user %q needs a password", b.Name)
		case d.evalPassword(b.Password, &u.Password) && u.Password == "":
			d.probs.addf(origin{rng: b.Password.Expr.Range()}, "Invalid password: the password of user %q is empty (an unset environment variable?)", b.Name)
		}
		d.eval(b.Insecure, &u.Insecure)
		if d.eval(b.Role, &u.Role) {
			if _, err := role.Parse(u.Role); err != nil {
				d.probs.addf(origin{rng: b.Role.Expr.Range()}, "Invalid role: user %q: %v", b.Name, err)
			}
		}
		users = append(users, u)
	}
	return users
}

// evalPassword evaluates a password attribute. Besides env.NAME, a password
// may be written "${NAME}" (the Data Plane API's convention): the names such
// a password references, and only those, are read from the environment.
func (d *fileDecoder) evalPassword(a *hcl.Attribute, target *string) bool {
	vars := map[string]cty.Value{}
	for _, t := range a.Expr.Variables() {
		if name := t.RootName(); name != "env" {
			vars[name] = cty.StringVal(d.getenv(name))
		}
	}
	if len(vars) == 0 {
		return d.eval(a, target)
	}
	parent := d.ctx
	d.ctx = parent.NewChild()
	d.ctx.Variables = vars
	defer func() { d.ctx = parent }()
	return d.eval(a, target)
}

// resolvePath makes a non-empty relative p relative to dir.
func resolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// envObject returns the value of the `env` variable: an object with one
// string attribute per environment variable that body references as env.NAME
// or env["NAME"]. Nothing else is read from the environment.
func envObject(body hcl.Body, getenv func(string) string) cty.Value {
	vars := map[string]cty.Value{}
	for _, t := range traversals(body) {
		if t.RootName() != "env" || len(t) < 2 {
			continue
		}
		var name string
		switch step := t[1].(type) {
		case hcl.TraverseAttr:
			name = step.Name
		case hcl.TraverseIndex:
			if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
				name = step.Key.AsString()
			}
		}
		if name != "" {
			vars[name] = cty.StringVal(getenv(name))
		}
	}
	return cty.ObjectVal(vars)
}

// traversals lists the variable references in every attribute of body,
// including nested blocks, whatever the schema.
func traversals(body hcl.Body) []hcl.Traversal {
	var out []hcl.Traversal
	if b, ok := body.(*hclsyntax.Body); ok {
		for _, a := range b.Attributes {
			out = append(out, a.Expr.Variables()...)
		}
		for _, blk := range b.Blocks {
			out = append(out, traversals(blk.Body)...)
		}
		return out
	}
	// JSON: every top-level property is an attribute whose Variables walks
	// the nested objects and templates.
	attrs, _ := body.JustAttributes()
	for _, a := range attrs {
		out = append(out, a.Expr.Variables()...)
	}
	return out
}
