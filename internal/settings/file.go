package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"

	"dataplane/internal/role"
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

	d := &fileDecoder{
		ctx:     &hcl.EvalContext{Variables: map[string]cty.Value{"env": envObject(f.Body, getenv)}},
		getenv:  getenv,
		dir:     filepath.Dir(abs),
		origins: origins,
		name:    path,
	}
	d.block(f.Body, "", s)
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

// block decodes the body of the block at path ("" for the file itself,
// "dataplaneapi.transaction", ...) into s: the attributes and child blocks
// that Table declares there, and the user blocks of dataplaneapi.
func (d *fileDecoder) block(body hcl.Body, path string, s *Settings) {
	schema := &hcl.BodySchema{}
	var here []Setting
	for _, st := range Table {
		if st.Block == path {
			here = append(here, st)
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: st.AttrName()})
		}
	}
	children := childBlocks(path)
	for _, c := range children {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: c})
	}
	switch path {
	case "dataplaneapi":
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: "user", LabelNames: []string{"name"}})
	case "":
		for _, name := range anchorFileOnly {
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: name})
		}
	}
	content, diags := body.Content(schema)
	d.probs.addDiags(d.name, diags)
	if content == nil {
		return
	}
	for _, st := range here {
		if a := content.Attributes[st.AttrName()]; a != nil {
			d.set(st, a, s)
		}
	}
	byType := content.Blocks.ByType()
	for _, c := range children {
		blocks := byType[c]
		for _, dup := range blocks[min(1, len(blocks)):] {
			d.probs.addf(origin{rng: dup.DefRange}, "Duplicate %s block: Only one %s block is allowed. Another was defined at %s.",
				c, c, blocks[0].DefRange.String())
		}
		if len(blocks) > 0 {
			d.block(blocks[0].Body, join(path, c), s)
		}
	}
	if path == "dataplaneapi" {
		s.API.Users = d.users(byType["user"])
	}
}

// anchorFileOnly are the top-level attributes the Data Plane API writes in
// its files (instance name, file format version, cluster mode and status):
// accepted so that its files load, and ignored, as dataplane has no
// cluster mode to use them in.
var anchorFileOnly = []string{"name", "config_version", "mode", "status"}

// join appends a block name to a dotted block path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// childBlocks lists the blocks Table has directly inside path, in the order
// of their first setting.
func childBlocks(path string) []string {
	var out []string
	for _, st := range Table {
		rest, ok := strings.CutPrefix(st.Block, path)
		if path != "" {
			if !ok || !strings.HasPrefix(rest, ".") {
				continue
			}
			rest = rest[1:]
		}
		if rest == "" {
			continue
		}
		name, _, _ := strings.Cut(rest, ".")
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// set evaluates the attribute of st into its field (or, for an unbuilt
// setting, into Settings.NotBuilt) and records where it came from.
func (d *fileDecoder) set(st Setting, a *hcl.Attribute, s *Settings) {
	target := st.target(s)
	at := origin{rng: a.Expr.Range()}
	switch st.Kind {
	case KindDuration:
		var text string
		if !d.eval(a, &text) {
			return
		}
		v, err := time.ParseDuration(text)
		if err != nil {
			d.probs.addf(at, "Invalid duration: %s: %q is not a duration such as \"30s\" or \"5m\"", a.Name, text)
			return
		}
		*target.(*time.Duration) = v
	case KindSize:
		// A number of bytes, or a string with a unit.
		v, diags := a.Expr.Value(d.ctx)
		if !diags.HasErrors() && !v.IsNull() && v.Type() == cty.String {
			n, err := parseSize(v.AsString())
			if err != nil {
				d.probs.addf(at, "Invalid size: %s: %v", a.Name, err)
				return
			}
			*target.(*int64) = n
			break
		}
		if !d.eval(a, target) {
			return
		}
	case KindList:
		// The anchor writes a list (scheme = ["http"]); one string is a
		// list of one, or comma-separated as in a flag.
		v, diags := a.Expr.Value(d.ctx)
		if !diags.HasErrors() && !v.IsNull() && v.Type() == cty.String {
			*target.(*[]string) = splitList(v.AsString())
			break
		}
		if !d.eval(a, target) {
			return
		}
	case KindPath:
		p := target.(*string)
		if !d.eval(a, p) {
			return
		}
		*p = resolvePath(d.dir, *p)
	default:
		if !d.eval(a, target) {
			return
		}
	}
	st.keep(s, target)
	d.origins[st.Name] = at
}

// users evaluates the `user` blocks, checking that each has a unique,
// non-empty name and a non-empty password.
func (d *fileDecoder) users(blocks hcl.Blocks) []User {
	var users []User
	first := map[string]hcl.Range{}
	userSchema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "password"}, {Name: "insecure"}, {Name: "role"}}}
	for _, blk := range blocks {
		content, diags := blk.Body.Content(userSchema)
		d.probs.addDiags(d.name, diags)
		b := fileUser{Name: blk.Labels[0], NameRange: blk.LabelRanges[0], DefRange: blk.DefRange}
		if content != nil {
			b.Password, b.Insecure, b.Role = content.Attributes["password"], content.Attributes["insecure"], content.Attributes["role"]
		}
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
		if b.Role != nil && d.eval(b.Role, &u.Role) {
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

// fileUser is a user block as read.
type fileUser struct {
	Name      string
	NameRange hcl.Range
	DefRange  hcl.Range
	Password  *hcl.Attribute
	Insecure  *hcl.Attribute
	Role      *hcl.Attribute
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
