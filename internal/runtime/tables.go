package runtime

import (
	"bufio"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Stick tables through the runtime socket: `show table`, `set table`,
// `clear table`. Their output goes over a connection of its own (a string
// key may hold any text), like every command pooled does not list.

// Table is one line of `show table`: "# table: st_src, type: ip,
// size:1024, used:3".
type Table struct {
	Name string
	Type string
	Size int64
	Used int64
}

// TableEntry is one entry of `show table <name>`: "0x55d0...: key=10.0.0.1
// use=0 exp=29961 gpc0=2 http_req_rate(10000)=5". Data holds the stored
// values by their name as HAProxy prints it, period included
// ("http_req_rate(10000)").
type TableEntry struct {
	ID   string
	Key  string
	Use  int64
	Exp  int64
	Data map[string]string
}

// TableFilter selects entries: by key, or by up to four conditions on
// stored data ("gpc0 gt 0": HAProxy's `data.<type> <op> <value>`).
type TableFilter struct {
	Key  string
	Data []TableCondition
}

// TableCondition is one `data.<Type> <Op> <Value>` filter.
type TableCondition struct {
	Type  string
	Op    string // eq, ne, le, lt, ge, gt
	Value int64
}

// ShowTables lists the stick tables of the running worker.
func (c *Client) ShowTables(ctx context.Context) ([]Table, error) {
	reply, err := c.Execute(ctx, "show table")
	if err != nil {
		return nil, fmt.Errorf("show table: %w", err)
	}
	var out []Table
	sc := bufio.NewScanner(strings.NewReader(reply))
	for sc.Scan() {
		if t, ok := parseTableHeader(sc.Text()); ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// ShowTable returns one table and its entries that match f. A table that
// does not exist is ErrNotFound.
func (c *Client) ShowTable(ctx context.Context, name string, f TableFilter) (Table, []TableEntry, error) {
	if err := checkToken("table", name); err != nil {
		return Table{}, nil, err
	}
	cmd := "show table " + name
	switch {
	case f.Key != "":
		if err := checkToken("key", f.Key); err != nil {
			return Table{}, nil, err
		}
		cmd += " key " + f.Key
	case len(f.Data) > 4:
		return Table{}, nil, fmt.Errorf("%w: at most 4 data filters", ErrInvalidArgument)
	default:
		for _, d := range f.Data {
			if err := checkToken("data type", d.Type); err != nil {
				return Table{}, nil, err
			}
			switch d.Op {
			case "eq", "ne", "le", "lt", "ge", "gt":
			default:
				return Table{}, nil, fmt.Errorf("%w: operator %q (eq, ne, le, lt, ge, gt)", ErrInvalidArgument, d.Op)
			}
			cmd += fmt.Sprintf(" data.%s %s %d", d.Type, d.Op, d.Value)
		}
	}
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return Table{}, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	var t Table
	var found bool
	var entries []TableEntry
	sc := bufio.NewScanner(strings.NewReader(reply))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := parseTableHeader(line); ok {
			t, found = h, true
			continue
		}
		if e, ok := parseTableEntry(line); ok {
			entries = append(entries, e)
		}
	}
	if !found {
		if strings.TrimSpace(reply) != "" {
			return Table{}, nil, fmt.Errorf("table %s: %w", name, classifyTableReply(cmd, reply))
		}
		// A key lookup that matches nothing prints no header at all.
		t = Table{Name: name}
	}
	return t, entries, nil
}

// SetTableEntry runs `set table <name> key <key> data.<type> <value>...`,
// creating the entry if needed. The table must store each type.
func (c *Client) SetTableEntry(ctx context.Context, name, key string, data map[string]int64) error {
	if err := checkToken("table", name); err != nil {
		return err
	}
	if err := checkToken("key", key); err != nil {
		return err
	}
	if len(data) == 0 {
		return fmt.Errorf("%w: no data to set", ErrInvalidArgument)
	}
	types := make([]string, 0, len(data))
	for t := range data {
		if err := checkToken("data type", t); err != nil {
			return err
		}
		types = append(types, t)
	}
	sort.Strings(types)
	cmd := "set table " + name + " key " + key
	for _, t := range types {
		cmd += fmt.Sprintf(" data.%s %d", t, data[t])
	}
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if !emptyReply(reply) {
		return fmt.Errorf("%s: %w", cmd, classifyTableReply(cmd, reply))
	}
	return nil
}

// ClearTable runs `clear table <name> [key <key>]`: one entry, or every
// entry of the table when key is "".
func (c *Client) ClearTable(ctx context.Context, name, key string) error {
	if err := checkToken("table", name); err != nil {
		return err
	}
	cmd := "clear table " + name
	if key != "" {
		if err := checkToken("key", key); err != nil {
			return err
		}
		cmd += " key " + key
	}
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if !emptyReply(reply) {
		return fmt.Errorf("%s: %w", cmd, classifyTableReply(cmd, reply))
	}
	return nil
}

// classifyTableReply turns an error reply into ErrNotFound (no such table)
// or a *CommandError.
func classifyTableReply(cmd, reply string) error {
	msg := strings.TrimSpace(reply)
	switch {
	case strings.Contains(msg, "No such table"):
		return fmt.Errorf("%w: %s", ErrNotFound, msg)
	case strings.Contains(msg, "not stored in this table"), strings.Contains(msg, "Unknown data type"),
		strings.Contains(msg, "Invalid"), strings.Contains(msg, "Require"):
		return fmt.Errorf("%w: %s", ErrInvalidArgument, msg)
	}
	return newCommandError(cmd, reply)
}

// checkToken refuses what would not be one word of a command: empty,
// blanks, control characters, ';' and the characters HAProxy's CLI parser
// treats specially.
func checkToken(what, v string) error {
	if v == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidArgument, what)
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f || r == ';' || r == '\\' || r == '"' || r == '\'' || r == '#' {
			return fmt.Errorf("%w: %s %q holds a blank, a quote or a character the CLI reads specially", ErrInvalidArgument, what, v)
		}
	}
	return nil
}

// parseTableHeader reads "# table: st_src, type: ip, size:1024, used:3".
func parseTableHeader(line string) (Table, bool) {
	rest, ok := strings.CutPrefix(line, "# table: ")
	if !ok {
		return Table{}, false
	}
	var t Table
	for i, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if i == 0 {
			t.Name = part
			continue
		}
		k, v, _ := strings.Cut(part, ":")
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "type":
			t.Type = v
		case "size":
			t.Size, _ = strconv.ParseInt(v, 10, 64)
		case "used":
			t.Used, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return t, t.Name != ""
}

// parseTableEntry reads "0x55d0...: key=10.0.0.1 use=0 exp=29961 gpc0=2".
func parseTableEntry(line string) (TableEntry, bool) {
	id, rest, ok := strings.Cut(line, ": ")
	if !ok || !strings.HasPrefix(id, "0x") {
		return TableEntry{}, false
	}
	e := TableEntry{ID: id, Data: map[string]string{}}
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		switch k {
		case "key":
			e.Key = v
		case "use":
			e.Use, _ = strconv.ParseInt(v, 10, 64)
		case "exp":
			e.Exp, _ = strconv.ParseInt(v, 10, 64)
		case "shard":
		default:
			e.Data[k] = v
		}
	}
	return e, e.Key != ""
}
