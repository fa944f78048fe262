package runtime

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Maps and ACL pattern files through the runtime socket: `show map|acl`,
// `get map|acl`, `add map|acl`, `set map`, `del map|acl`, `clear
// map|acl`. Every key and value is checked before anything is sent
// (CheckPatternKey, CheckPatternValue): one entry is one command, and
// nothing a caller gives can become a second one.

// PatternKind says which of HAProxy's two families of pattern files a
// command is about.
type PatternKind string

const (
	// KindMap is a map file (`map(<file>)` converters): key and value.
	KindMap PatternKind = "map"
	// KindACL is an ACL pattern file (`-f <file>`): a pattern alone.
	KindACL PatternKind = "acl"
)

// PatternFile is one line of `show map` or `show acl`: "4 (/etc/x.map)
// pattern loaded from file ... curr_ver=0 next_ver=0 entry_cnt=2". File
// is "" for the anonymous pattern lists of inline ACLs.
type PatternFile struct {
	ID          string
	File        string
	Description string
	Count       int64
}

// Ref is how a command names the file: its path when that is one clean
// word, else "#<id>".
func (f PatternFile) Ref() string {
	if f.File != "" && checkToken("file", f.File) == nil {
		return f.File
	}
	return "#" + f.ID
}

// PatternEntry is one entry of `show map <file>` ("0x55d0... key value")
// or `show acl <file>` ("0x55d0... pattern": Value is empty).
type PatternEntry struct {
	ID    string
	Key   string
	Value string
}

// PatternLookup is the answer of `get map|acl <file> <sample>`: whether a
// pattern matched the sample, and which one. Exact says that the match
// method compares whole strings, so a key that is not found is not in
// the file.
type PatternLookup struct {
	Found bool
	Exact bool
	Key   string
	Value string
}

// CheckPatternKey refuses a map key or an ACL pattern that could not be
// written as one word of a command and read back as the same word from
// the file: empty, longer than 4 KiB, blanks or control characters, the
// characters the CLI reads specially (';', '\\', quotes), a leading '#'
// (a comment in the file, a reference on the CLI) and a trailing "<<"
// (a payload on the CLI).
func CheckPatternKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidArgument)
	case len(key) > maxPatternLen:
		return fmt.Errorf("%w: key longer than %d bytes", ErrInvalidArgument, maxPatternLen)
	case strings.HasPrefix(key, "#"):
		return fmt.Errorf("%w: key %q starts with '#' (a comment in a pattern file)", ErrInvalidArgument, key)
	case strings.HasSuffix(key, payloadMarker):
		return fmt.Errorf("%w: key %q ends with %q, which makes the CLI wait for a payload", ErrInvalidArgument, key, payloadMarker)
	}
	for _, r := range key {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`;\"'`, r) {
			return fmt.Errorf("%w: key %q holds %q: a blank, a control character, ';', a quote or '\\' cannot be sent or stored as one word", ErrInvalidArgument, key, r)
		}
	}
	return nil
}

// CheckPatternValue refuses a map value that could not be sent on one
// command line and read back the same from the file: empty, longer than 4
// KiB, control characters, ';', '\\', quotes, blanks at either end (the
// file format trims them) and a trailing "<<". Blanks inside are kept
// (the file's value is the rest of the line); they are escaped on the
// command line.
func CheckPatternValue(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty value", ErrInvalidArgument)
	case len(v) > maxPatternLen:
		return fmt.Errorf("%w: value longer than %d bytes", ErrInvalidArgument, maxPatternLen)
	case strings.TrimSpace(v) != v:
		return fmt.Errorf("%w: value %q starts or ends with a blank, which the map file would drop", ErrInvalidArgument, v)
	case strings.HasSuffix(v, payloadMarker):
		return fmt.Errorf("%w: value %q ends with %q, which makes the CLI wait for a payload", ErrInvalidArgument, v, payloadMarker)
	}
	for _, r := range v {
		if r < ' ' || r == 0x7f || strings.ContainsRune(`;\"'`, r) {
			return fmt.Errorf("%w: value %q holds %q: a control character, ';', a quote or '\\' cannot be sent or stored safely", ErrInvalidArgument, v, r)
		}
	}
	return nil
}

// maxPatternLen bounds a key or a value: HAProxy's CLI reads a line into
// one buffer (16 KiB by default), and a command holds both.
const maxPatternLen = 4096

// escapeValue escapes the blanks of a checked value for the CLI, which
// splits words on them.
func escapeValue(v string) string { return strings.ReplaceAll(v, " ", `\ `) }

// ShowPatternFiles lists the map files (KindMap) or the ACL pattern lists
// (KindACL) of the running worker.
func (c *Client) ShowPatternFiles(ctx context.Context, kind PatternKind) ([]PatternFile, error) {
	cmd := "show " + string(kind)
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	var out []PatternFile
	for _, line := range strings.Split(reply, "\n") {
		if f, ok := parsePatternFile(line); ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// parsePatternFile reads "4 (/etc/x.map) pattern loaded from file
// '/etc/x.map' used by map at file 'h.cfg' line 11. curr_ver=0
// next_ver=0 entry_cnt=2".
func parsePatternFile(line string) (PatternFile, bool) {
	id, rest, ok := strings.Cut(line, " (")
	if !ok || id == "" || strings.Trim(id, "0123456789") != "" {
		return PatternFile{}, false
	}
	file, desc, ok := strings.Cut(rest, ") ")
	if !ok {
		file, ok = strings.CutSuffix(rest, ")")
		if !ok {
			return PatternFile{}, false
		}
	}
	f := PatternFile{ID: id, File: file, Description: desc}
	if i := strings.LastIndex(desc, " entry_cnt="); i >= 0 {
		f.Count, _ = strconv.ParseInt(strings.TrimSpace(desc[i+len(" entry_cnt="):]), 10, 64)
	}
	return f, true
}

// ShowPatterns returns every entry of one file (ref: a path or "#<id>").
// A file HAProxy does not know is ErrNotFound.
func (c *Client) ShowPatterns(ctx context.Context, kind PatternKind, ref string) ([]PatternEntry, error) {
	reply, err := c.showPatterns(ctx, kind, ref)
	if err != nil {
		return nil, err
	}
	// Sized once: a map of 100,000 entries would otherwise be copied
	// through a dozen growing slices.
	out := make([]PatternEntry, 0, strings.Count(reply, "\n"))
	err = scanPatternReply(kind, "show "+string(kind)+" "+ref, reply, func(e PatternEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

func (c *Client) showPatterns(ctx context.Context, kind PatternKind, ref string) (string, error) {
	if err := checkRef(ref); err != nil {
		return "", err
	}
	cmd := "show " + string(kind) + " " + ref
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return "", fmt.Errorf("%s: %w", cmd, err)
	}
	return reply, nil
}

// ScanPatterns calls fn with each entry of one file, in HAProxy's order;
// an error from fn stops the scan and is returned.
func (c *Client) ScanPatterns(ctx context.Context, kind PatternKind, ref string, fn func(PatternEntry) error) error {
	reply, err := c.showPatterns(ctx, kind, ref)
	if err != nil {
		return err
	}
	return scanPatternReply(kind, "show "+string(kind)+" "+ref, reply, fn)
}

// scanPatternReply calls fn with each entry of a `show map|acl <ref>`
// reply.
func scanPatternReply(kind PatternKind, cmd, reply string, fn func(PatternEntry) error) error {
	// The lines are cut from the reply, not copied: a map of 100,000
	// entries is one string and 100,000 small structs pointing into it.
	first := true
	for rest := reply; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if first && line != "" && !strings.HasPrefix(line, "0x") {
			return fmt.Errorf("%s: %w", cmd, classifyPatternReply(cmd, reply))
		}
		first = false
		id, entry, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(id, "0x") {
			continue
		}
		e := PatternEntry{ID: id, Key: entry}
		if kind == KindMap {
			e.Key, e.Value, _ = strings.Cut(entry, " ")
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// LookupPattern runs `get map|acl <ref> <sample>`: which pattern, if any,
// matches the sample.
func (c *Client) LookupPattern(ctx context.Context, kind PatternKind, ref, sample string) (PatternLookup, error) {
	if err := checkRef(ref); err != nil {
		return PatternLookup{}, err
	}
	if err := CheckPatternKey(sample); err != nil {
		return PatternLookup{}, err
	}
	cmd := "get " + string(kind) + " " + ref + " " + sample
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return PatternLookup{}, fmt.Errorf("%s: %w", cmd, err)
	}
	l, ok := parseLookup(reply)
	if !ok {
		return PatternLookup{}, fmt.Errorf("%s: %w", cmd, classifyPatternReply(cmd, reply))
	}
	return l, nil
}

// parseLookup reads `type=str, case=sensitive, found=yes, idx=tree,
// key="a", value="b", type="str"` (maps) or `type=ip, case=sensitive,
// match=yes, idx=tree, pattern="10.0.0.1"` (ACLs). The quoted fields come
// last; a value is read up to the last `", ` that starts the next field.
func parseLookup(reply string) (PatternLookup, bool) {
	line := strings.TrimSpace(reply)
	if !strings.HasPrefix(line, "type=") {
		return PatternLookup{}, false
	}
	var l PatternLookup
	l.Exact = strings.HasPrefix(line, "type=str,") && !strings.Contains(line, "case=insensitive")
	l.Found = strings.Contains(line, ", found=yes") || strings.Contains(line, ", match=yes")
	if k, ok := quotedField(line, "key="); ok {
		l.Key = k
	} else if p, ok := quotedField(line, "pattern="); ok {
		l.Key = p
	}
	if v, ok := quotedField(line, "value="); ok {
		l.Value = v
	}
	return l, true
}

// quotedField returns the text of `name"..."` in line: up to the `", `
// before the next field, or the closing quote at the end of the line.
func quotedField(line, name string) (string, bool) {
	i := strings.Index(line, ", "+name+`"`)
	if i < 0 {
		return "", false
	}
	rest := line[i+len(", "+name+`"`):]
	for _, next := range []string{`", value="`, `", type="`, `", pattern="`} {
		if j := strings.Index(rest, next); j >= 0 {
			return rest[:j], true
		}
	}
	return strings.TrimSuffix(rest, `"`), true
}

// AddPattern runs `add map <ref> <key> <value>` or `add acl <ref> <key>`
// (value ""). HAProxy adds a second entry for a key it already holds.
func (c *Client) AddPattern(ctx context.Context, kind PatternKind, ref, key, value string) error {
	cmd, err := addCommand(kind, ref, key, value)
	if err != nil {
		return err
	}
	return c.patternChange(ctx, cmd)
}

// AddPatternAndLookup adds an entry and looks its key up, on one line
// (one round trip): the lookup says what HAProxy holds after the add.
func (c *Client) AddPatternAndLookup(ctx context.Context, kind PatternKind, ref, key, value string) (PatternLookup, error) {
	cmd, err := addCommand(kind, ref, key, value)
	if err != nil {
		return PatternLookup{}, err
	}
	get := "get " + string(kind) + " " + ref + " " + key
	replies, err := c.t.batch(ctx, []string{cmd, get})
	if err != nil {
		c.t.obs.observe(cmd, "", err)
		return PatternLookup{}, fmt.Errorf("%s: %w", cmd, err)
	}
	c.t.obs.observe(cmd, replies[0], nil)
	c.t.obs.observe(get, replies[1], nil)
	if !emptyReply(replies[0]) {
		return PatternLookup{}, fmt.Errorf("%s: %w", cmd, classifyPatternReply(cmd, replies[0]))
	}
	// The add was made: a lookup HAProxy does not answer as expected
	// only tells nothing more.
	l, _ := parseLookup(replies[1])
	return l, nil
}

// AddPatterns adds many entries, a few hundred commands per line (one
// round trip each), in order. It stops at the first refusal: the entries
// before it are in HAProxy, the error says which one was refused.
func (c *Client) AddPatterns(ctx context.Context, kind PatternKind, ref string, entries []PatternEntry) error {
	const maxLine = 8 << 10 // well within HAProxy's 16 KiB line buffer
	var cmds []string
	size := 0
	flush := func() error {
		if len(cmds) == 0 {
			return nil
		}
		replies, err := c.t.batch(ctx, cmds)
		if err != nil {
			return fmt.Errorf("add %s %s: %w", kind, ref, err)
		}
		for i, r := range replies {
			c.t.obs.observe(cmds[i], r, nil)
			if !emptyReply(r) {
				return fmt.Errorf("%s: %w", cmds[i], classifyPatternReply(cmds[i], r))
			}
		}
		cmds, size = cmds[:0], 0
		return nil
	}
	for _, e := range entries {
		cmd, err := addCommand(kind, ref, e.Key, e.Value)
		if err != nil {
			return err
		}
		if size+len(cmd)+2 > maxLine {
			if err := flush(); err != nil {
				return err
			}
		}
		cmds = append(cmds, cmd)
		size += len(cmd) + 2
	}
	return flush()
}

func addCommand(kind PatternKind, ref, key, value string) (string, error) {
	if err := checkRef(ref); err != nil {
		return "", err
	}
	if err := CheckPatternKey(key); err != nil {
		return "", err
	}
	cmd := "add " + string(kind) + " " + ref + " " + key
	if kind == KindMap {
		if err := CheckPatternValue(value); err != nil {
			return "", err
		}
		cmd += " " + escapeValue(value)
	}
	return cmd, nil
}

// SetMapValue runs `set map <ref> <key> <value>`: every entry of key takes
// value. A key the map does not hold is ErrNotFound.
func (c *Client) SetMapValue(ctx context.Context, ref, key, value string) error {
	if err := checkRef(ref); err != nil {
		return err
	}
	if err := CheckPatternKey(key); err != nil {
		return err
	}
	if err := CheckPatternValue(value); err != nil {
		return err
	}
	return c.patternChange(ctx, "set map "+ref+" "+key+" "+escapeValue(value))
}

// DelPattern runs `del map|acl <ref> <key>`, or deletes the one entry of
// id ("0x55d0...") when byID. A key or id HAProxy does not hold is
// ErrNotFound.
func (c *Client) DelPattern(ctx context.Context, kind PatternKind, ref, key string, byID bool) error {
	if err := checkRef(ref); err != nil {
		return err
	}
	if byID {
		if !isEntryID(key) {
			return fmt.Errorf("%w: entry id %q is not 0x and hexadecimal digits", ErrInvalidArgument, key)
		}
		key = "#" + key
	} else if err := CheckPatternKey(key); err != nil {
		return err
	}
	return c.patternChange(ctx, "del "+string(kind)+" "+ref+" "+key)
}

// ClearPatterns runs `clear map|acl <ref>`: the file's entries are gone
// from HAProxy.
func (c *Client) ClearPatterns(ctx context.Context, kind PatternKind, ref string) error {
	if err := checkRef(ref); err != nil {
		return err
	}
	return c.patternChange(ctx, "clear "+string(kind)+" "+ref)
}

func (c *Client) patternChange(ctx context.Context, cmd string) error {
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if !emptyReply(reply) {
		return fmt.Errorf("%s: %w", cmd, classifyPatternReply(cmd, reply))
	}
	return nil
}

// isEntryID reports whether id is an entry's address as HAProxy prints it.
func isEntryID(id string) bool {
	hex, ok := strings.CutPrefix(id, "0x")
	if !ok || hex == "" || len(hex) > 16 {
		return false
	}
	_, err := strconv.ParseUint(hex, 16, 64)
	return err == nil
}

// IsEntryID reports whether id is an entry's address as HAProxy prints it
// ("0x55d0f0e3eb10").
func IsEntryID(id string) bool { return isEntryID(id) }

// checkRef accepts a file path that is one clean word, or "#<id>".
func checkRef(ref string) error {
	if id, ok := strings.CutPrefix(ref, "#"); ok {
		if id == "" || strings.Trim(id, "0123456789") != "" {
			return fmt.Errorf("%w: file reference %q", ErrInvalidArgument, ref)
		}
		return nil
	}
	return checkToken("file", ref)
}

// classifyPatternReply turns an error reply into ErrNotFound (unknown
// file, key or entry), ErrInvalidArgument (a key HAProxy cannot read as
// its pattern type) or a *CommandError.
func classifyPatternReply(cmd, reply string) error {
	msg := strings.TrimSpace(reply)
	switch {
	case strings.Contains(msg, "Unknown map identifier"), strings.Contains(msg, "Unknown ACL identifier"),
		strings.Contains(msg, "entry not found"), strings.Contains(msg, "Key not found"):
		return fmt.Errorf("%w: %s", ErrNotFound, msg)
	case strings.Contains(msg, "is not a valid"), strings.Contains(msg, "unable to parse"),
		strings.Contains(msg, "Failed to"), strings.Contains(msg, "expects"), strings.Contains(msg, "invalid"):
		return fmt.Errorf("%w: %s", ErrInvalidArgument, msg)
	}
	return newCommandError(cmd, reply)
}
