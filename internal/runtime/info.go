package runtime

import (
	"context"
	"strconv"
	"strings"
)

// InfoField is one "Name: value" line of `show info`.
type InfoField struct {
	Name  string
	Value string
}

// Info is the `show info` output in HAProxy's order. Values are kept as
// text; Int and String give typed access.
type Info struct {
	Fields []InfoField
}

// String returns the value of key and whether the key was present.
func (i Info) String(key string) (string, bool) {
	for _, f := range i.Fields {
		if f.Name == key {
			return f.Value, true
		}
	}
	return "", false
}

// Int returns the value of key as an integer; false if the key is missing
// or its value is not an integer (e.g. "Version").
func (i Info) Int(key string) (int64, bool) {
	v, ok := i.String(key)
	if !ok {
		return 0, false
	}
	return f2i(v)
}

// Int returns the field's value as an integer, false if it is not one. The
// HTTP layer uses it to emit integers as JSON numbers.
func (f InfoField) Int() (int64, bool) { return f2i(f.Value) }

func f2i(v string) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// ShowInfo runs `show info`. A reply without the "Name" line (e.g.
// "Permission denied.") is a *CommandError.
func (c *Client) ShowInfo(ctx context.Context) (Info, error) {
	const cmd = "show info"
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return Info{}, err
	}
	info, ok := parseInfo(reply)
	if !ok {
		return Info{}, newCommandError(cmd, reply)
	}
	return info, nil
}

// parseInfo parses "Key: value" lines; ok is false unless every non-empty
// line has that shape and a Name field is present.
func parseInfo(reply string) (Info, bool) {
	var info Info
	for line := range strings.Lines(reply) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		k, v, found := strings.Cut(line, ":")
		// Keys may contain spaces ("Build info", "Unstoppable Jobs").
		if !found || strings.TrimSpace(k) != k || k == "" {
			return Info{}, false
		}
		info.Fields = append(info.Fields, InfoField{Name: k, Value: strings.TrimSpace(v)})
	}
	_, hasName := info.String("Name")
	return info, hasName
}
