package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/config"
	"dataplane/internal/runtime"
)

// Stick tables of the running HAProxy (the Data Plane API v3 StickTable
// operations, plus clearing entries): read and changed through the
// runtime socket, never through the file. A change is read back from
// HAProxy before it is reported done.

func (s *Server) routeStickTables(r chi.Router) {
	const base = "/services/haproxy/runtime/stick_tables"
	r.Get(base, s.wrap(s.listStickTables))
	r.Get(base+"/{name}", s.wrap(s.getStickTable))
	r.Get(base+"/{parent_name}/entries", s.wrap(s.getStickTableEntries))
	r.Post(base+"/{parent_name}/entries", s.wrap(s.setStickTableEntry))
	r.Delete(base+"/{parent_name}/entries", s.wrap(s.clearStickTableEntries))
}

// stickTable is the v3 `stick_table` model.
type stickTable struct {
	Name   string               `json:"name"`
	Type   string               `json:"type,omitempty"`
	Size   *int64               `json:"size,omitempty"`
	Used   *int64               `json:"used,omitempty"`
	Fields []config.StoredField `json:"fields,omitempty"`
}

func (s *Server) stickTableModel(r *http.Request, t runtime.Table) stickTable {
	out := stickTable{Name: t.Name, Type: t.Type, Size: &t.Size, Used: &t.Used}
	if doc, err := s.d.Pipeline.Live().Doc(); err == nil {
		out.Fields, _ = config.StickTableFields(doc, t.Name)
	}
	return out
}

func (s *Server) listStickTables(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	tables, err := c.ShowTables(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]stickTable, 0, len(tables))
	for _, t := range tables {
		out = append(out, s.stickTableModel(r, t))
	}
	return jsonResponse(http.StatusOK, out), nil
}

func (s *Server) getStickTable(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	name := pathParam(r, "name")
	tables, err := c.ShowTables(r.Context())
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if t.Name == name {
			return jsonResponse(http.StatusOK, s.stickTableModel(r, t)), nil
		}
	}
	return nil, notFound("stick table %s is not in the running HAProxy", name)
}

// stickEntryFields are the stored data types of the v3
// `stick_table_entry` model, by HAProxy's name without its period.
var stickEntryFields = map[string]bool{
	"bytes_in_cnt": true, "bytes_in_rate": true, "bytes_out_cnt": true, "bytes_out_rate": true,
	"conn_cnt": true, "conn_cur": true, "conn_rate": true, "glitch_cnt": true, "glitch_rate": true,
	"gpc0": true, "gpc0_rate": true, "gpc1": true, "gpc1_rate": true, "gpt0": true,
	"http_err_cnt": true, "http_err_rate": true, "http_fail_cnt": true, "http_fail_rate": true,
	"http_req_cnt": true, "http_req_rate": true, "server_id": true, "sess_cnt": true, "sess_rate": true,
}

// entryModel is a v3 `stick_table_entry`: id, key, use, exp and each
// stored value under its data type ("http_req_rate(10000)=5" is
// "http_req_rate": 5).
func entryModel(e runtime.TableEntry) map[string]any {
	out := map[string]any{"id": e.ID, "key": e.Key, "use": e.Use > 0, "exp": e.Exp}
	for k, v := range e.Data {
		name, _, _ := strings.Cut(k, "(")
		if !stickEntryFields[name] {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[name] = n
		}
	}
	return out
}

func (s *Server) getStickTableEntries(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := runtime.TableFilter{Key: q.Get("key")}
	if fs := q.Get("filter"); fs != "" {
		for _, cond := range strings.Split(fs, ",") {
			w := strings.Fields(cond)
			if len(w) != 3 {
				return nil, badRequest("filter %q: want data.<type> <op> <value>", cond)
			}
			v, err := strconv.ParseInt(w[2], 10, 64)
			if err != nil {
				return nil, badRequest("filter %q: the value is not an integer", cond)
			}
			f.Data = append(f.Data, runtime.TableCondition{Type: strings.TrimPrefix(w[0], "data."), Op: w[1], Value: v})
		}
	}
	_, entries, err := c.ShowTable(r.Context(), pathParam(r, "parent_name"), f)
	if err != nil {
		return nil, err
	}
	offset, count := 0, len(entries)
	if v, ok := queryInt(r, "offset"); ok && v > 0 {
		offset = int(min(v, int64(len(entries))))
	}
	if v, ok := queryInt(r, "count"); ok && v >= 0 {
		count = int(v)
	}
	entries = entries[offset:]
	if count < len(entries) {
		entries = entries[:count]
	}
	out := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryModel(e))
	}
	return jsonResponse(http.StatusOK, out), nil
}

// setStickTableEntry sets the data of one entry (creating it), then reads
// it back: 204 only when HAProxy holds what was asked.
func (s *Server) setStickTableEntry(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	var body struct {
		Key      string                      `json:"key"`
		DataType map[string]*json.RawMessage `json:"data_type"`
	}
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	data := map[string]int64{}
	for k, raw := range body.DataType {
		if raw == nil || string(*raw) == "null" {
			continue
		}
		var n int64
		if err := json.Unmarshal(*raw, &n); err != nil || !stickEntryFields[k] {
			return nil, badRequest("data_type.%s: want one of the stored data types with an integer value", k)
		}
		data[k] = n
	}
	table := pathParam(r, "parent_name")
	if err := c.SetTableEntry(r.Context(), table, body.Key, data); err != nil {
		return nil, err
	}
	_, entries, err := c.ShowTable(r.Context(), table, runtime.TableFilter{Key: body.Key})
	if err != nil {
		return nil, err
	}
	if len(entries) != 1 {
		return nil, badRequest("HAProxy accepted the key %q but holds no entry for it: is it a valid %s key?", body.Key, table)
	}
	if entries[0].Key != body.Key {
		// HAProxy reads what its table type cannot hold as something
		// else (a word as an address) and sets that entry: say so. It is
		// not cleared here: the entry may have existed before.
		return nil, badRequest("the key %q does not fit table %s (type %s): HAProxy read it as %q and set that entry", body.Key, table, tableType(r, c, table), entries[0].Key)
	}
	got := entryModel(entries[0])
	for k, want := range data {
		if got[k] != want {
			return nil, fmt.Errorf("set table %s key %s: HAProxy holds %s=%v, not %d", table, body.Key, k, got[k], want)
		}
	}
	return emptyResponse(http.StatusNoContent), nil
}

// clearStickTableEntries removes one entry (key=) or every entry of the
// table, then checks the entry is gone.
func (s *Server) clearStickTableEntries(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	table, key := pathParam(r, "parent_name"), r.URL.Query().Get("key")
	if err := c.ClearTable(r.Context(), table, key); err != nil {
		return nil, err
	}
	if key != "" {
		_, entries, err := c.ShowTable(r.Context(), table, runtime.TableFilter{Key: key})
		switch {
		case err != nil:
			return nil, err
		case len(entries) != 0 && entries[0].Use > 0:
			// HAProxy keeps an entry a connection still tracks.
			return nil, conflict("stick table %s key %s is in use by %d connection(s): HAProxy keeps it until they end", table, key, entries[0].Use)
		case len(entries) != 0:
			return nil, fmt.Errorf("clear table %s key %s: the entry is still there", table, key)
		}
	}
	return emptyResponse(http.StatusNoContent), nil
}

// tableType returns the type of a running table, for messages.
func tableType(r *http.Request, c *runtime.Client, name string) string {
	tables, _ := c.ShowTables(r.Context())
	for _, t := range tables {
		if t.Name == name {
			return t.Type
		}
	}
	return "unknown"
}
