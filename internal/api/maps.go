package api

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/patfile"
	"dataplane/internal/runtime"
)

// Runtime maps and ACL files (the Data Plane API v3 Maps and ACL Runtime
// operations): changed in the running HAProxy through its socket, read
// back, and written to the file HAProxy loads (internal/patfile), with no
// reload. A file is named by its runtime id (`show map`'s first column)
// or its base name, with or without its extension.

func (s *Server) routePatterns(r chi.Router) {
	const maps = "/services/haproxy/runtime/maps"
	r.Get(maps, s.wrap(s.listRuntimeMaps))
	r.Get(maps+"/{name}", s.wrap(s.getRuntimeMap))
	r.Put(maps+"/{name}", s.wrap(s.addRuntimeMapPayload))
	r.Delete(maps+"/{name}", s.wrap(s.clearRuntimeMap))
	r.Get(maps+"/{parent_name}/entries", s.wrap(s.listPatternEntries(runtime.KindMap)))
	r.Post(maps+"/{parent_name}/entries", s.wrap(s.addPatternEntry(runtime.KindMap)))
	r.Get(maps+"/{parent_name}/entries/{id}", s.wrap(s.getPatternEntry(runtime.KindMap)))
	r.Put(maps+"/{parent_name}/entries/{id}", s.wrap(s.setRuntimeMapEntry))
	r.Delete(maps+"/{parent_name}/entries/{id}", s.wrap(s.deletePatternEntry(runtime.KindMap)))

	const acls = "/services/haproxy/runtime/acls"
	r.Get(acls, s.wrap(s.listRuntimeACLs))
	r.Get(acls+"/{id}", s.wrap(s.getRuntimeACL))
	r.Get(acls+"/{parent_name}/entries", s.wrap(s.listPatternEntries(runtime.KindACL)))
	r.Post(acls+"/{parent_name}/entries", s.wrap(s.addPatternEntry(runtime.KindACL)))
	r.Put(acls+"/{parent_name}/entries", s.wrap(s.addRuntimeACLPayload))
	r.Get(acls+"/{parent_name}/entries/{id}", s.wrap(s.getPatternEntry(runtime.KindACL)))
	r.Delete(acls+"/{parent_name}/entries/{id}", s.wrap(s.deletePatternEntry(runtime.KindACL)))
}

// runtimeMap is the v3 `map` model of a file HAProxy loads: size is its
// number of entries.
type runtimeMap struct {
	ID          string `json:"id"`
	File        string `json:"file,omitempty"`
	StorageName string `json:"storage_name,omitempty"`
	Description string `json:"description,omitempty"`
	Size        *int64 `json:"size,omitempty"`
}

// aclFile is the v3 `acl_file` model.
type aclFile struct {
	ID          string `json:"id"`
	StorageName string `json:"storage_name,omitempty"`
	Description string `json:"description,omitempty"`
}

type mapEntry struct {
	ID    string `json:"id,omitempty"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

type aclEntry struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value"`
}

// managed reports whether a file is in the map storage directory.
func (s *Server) managed(file string) bool {
	return s.d.Maps != nil && file != "" && filepath.Dir(file) == s.d.Maps.Dir()
}

func (s *Server) mapModel(f runtime.PatternFile) runtimeMap {
	m := runtimeMap{ID: f.ID, File: f.File, Description: f.Description, Size: &f.Count}
	if s.managed(f.File) {
		m.StorageName = filepath.Base(f.File)
	}
	return m
}

func (s *Server) listRuntimeMaps(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	files, err := c.ShowPatternFiles(r.Context(), runtime.KindMap)
	if err != nil {
		return nil, err
	}
	all := queryBool(r, "include_unmanaged")
	out := make([]runtimeMap, 0, len(files))
	for _, f := range files {
		if all || s.managed(f.File) {
			out = append(out, s.mapModel(f))
		}
	}
	return jsonResponse(http.StatusOK, out), nil
}

// target finds the file named name among those HAProxy loads: by runtime
// id, else by base name (with or without extension), a file of the map
// storage first.
func (s *Server) target(ctx context.Context, c *runtime.Client, kind runtime.PatternKind, name string) (patfile.Target, error) {
	files, err := c.ShowPatternFiles(ctx, kind)
	if err != nil {
		return patfile.Target{}, err
	}
	var match *runtime.PatternFile
	for i, f := range files {
		if f.ID == name {
			return patfile.Target{Kind: kind, File: f}, nil
		}
		base := filepath.Base(f.File)
		if f.File == "" || (base != name && strings.TrimSuffix(base, filepath.Ext(base)) != name) {
			continue
		}
		if match == nil || (s.managed(f.File) && !s.managed(match.File)) {
			match = &files[i]
		}
	}
	if match == nil {
		return patfile.Target{}, notFound("the running HAProxy loads no %s file %q", kind, name)
	}
	return patfile.Target{Kind: kind, File: *match}, nil
}

func (s *Server) getRuntimeMap(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	t, err := s.target(r.Context(), c, runtime.KindMap, pathParam(r, "name"))
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, s.mapModel(t.File)), nil
}

// clearRuntimeMap empties the map in HAProxy and in its file. The file
// itself stays (forceDelete included): the running configuration loads
// it, and the next reload would fail without it.
func (s *Server) clearRuntimeMap(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	t, err := s.target(r.Context(), c, runtime.KindMap, pathParam(r, "name"))
	if err != nil {
		return nil, err
	}
	if err := s.patterns().Clear(r.Context(), c, t); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}

func (s *Server) patterns() *patfile.Files {
	if s.d.Patterns == nil {
		s.d.Patterns = patfile.New()
	}
	return s.d.Patterns
}

// listPatternEntries is `show map|acl <file>`; maps take `filter` (the
// entries whose key or value holds it), `count` and `offset`.
func (s *Server) listPatternEntries(kind runtime.PatternKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		t, err := s.target(r.Context(), c, kind, pathParam(r, "parent_name"))
		if err != nil {
			return nil, err
		}
		filter := r.URL.Query().Get("filter")
		offset, _ := queryInt(r, "offset")
		count, hasCount := queryInt(r, "count")
		var maps []mapEntry
		var acls []aclEntry
		skipped, taken := int64(0), int64(0)
		var want func(runtime.PatternEntry) bool
		if filter != "" {
			want = func(e runtime.PatternEntry) bool {
				return strings.Contains(e.Key, filter) || strings.Contains(e.Value, filter)
			}
		}
		err = s.patterns().Scan(r.Context(), c, t, want, func(e runtime.PatternEntry) error {
			if skipped < offset {
				skipped++
				return nil
			}
			if hasCount && taken >= count {
				return nil
			}
			taken++
			if kind == runtime.KindMap {
				maps = append(maps, mapEntry(e))
			} else {
				acls = append(acls, aclEntry{ID: e.ID, Value: e.Key})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if kind == runtime.KindMap {
			if maps == nil {
				maps = []mapEntry{}
			}
			return jsonResponse(http.StatusOK, maps), nil
		}
		if acls == nil {
			acls = []aclEntry{}
		}
		return jsonResponse(http.StatusOK, acls), nil
	}
}

func (s *Server) addPatternEntry(kind runtime.PatternKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		key, value, err := decodeEntry(r, kind)
		if err != nil {
			return nil, err
		}
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		t, err := s.target(r.Context(), c, kind, pathParam(r, "parent_name"))
		if err != nil {
			return nil, err
		}
		// Fleet mode: stored for every node first, unless the entry is
		// here already (Add refuses it below: nothing to store).
		defer s.lockFleetPatterns()()
		if err := s.publishPatternIf(r.Context(), c, t, key, false, false, patternRecord{Value: value}); err != nil {
			return nil, err
		}
		// ACL operations take no force_sync: always synced.
		sync := kind == runtime.KindACL || queryBool(r, "force_sync")
		e, err := s.patterns().Add(r.Context(), c, t, key, value, sync)
		if err != nil {
			return nil, err
		}
		if kind == runtime.KindMap {
			return jsonResponse(http.StatusCreated, mapEntry(e)), nil
		}
		return jsonResponse(http.StatusCreated, aclEntry{ID: e.ID, Value: e.Key}), nil
	}
}

// decodeEntry reads a map_entry or an acl_file_entry and checks it
// before anything is sent (400 with the reason).
func decodeEntry(r *http.Request, kind runtime.PatternKind) (key, value string, err error) {
	if kind == runtime.KindMap {
		var e mapEntry
		if err := decodeBody(r, &e); err != nil {
			return "", "", err
		}
		key, value = e.Key, e.Value
	} else {
		var e aclEntry
		if err := decodeBody(r, &e); err != nil {
			return "", "", err
		}
		key = e.Value
	}
	if err := checkPattern(kind, key, value); err != nil {
		return "", "", err
	}
	return key, value, nil
}

func checkPattern(kind runtime.PatternKind, key, value string) error {
	if err := runtime.CheckPatternKey(key); err != nil {
		return badRequest("%v", err)
	}
	if kind == runtime.KindMap {
		if err := runtime.CheckPatternValue(value); err != nil {
			return badRequest("%v", err)
		}
	}
	return nil
}

// getPatternEntry reads one entry: a map's by key, an ACL file's by id
// (or by the pattern itself).
func (s *Server) getPatternEntry(kind runtime.PatternKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		t, err := s.target(r.Context(), c, kind, pathParam(r, "parent_name"))
		if err != nil {
			return nil, err
		}
		id := pathParam(r, "id")
		byID := kind == runtime.KindACL && runtime.IsEntryID(id)
		if !byID {
			if err := runtime.CheckPatternKey(id); err != nil {
				return nil, notFound("%s %s holds no entry %q: %v", kind, t.File.File, id, err)
			}
		}
		e, err := patfile.Find(r.Context(), c, t, id, byID)
		if err != nil {
			return nil, err
		}
		if kind == runtime.KindMap {
			return jsonResponse(http.StatusOK, mapEntry(e)), nil
		}
		return jsonResponse(http.StatusOK, aclEntry{ID: e.ID, Value: e.Key}), nil
	}
}

// setRuntimeMapEntry is `set map`: the body's value replaces the value of
// the key of the path (a key in the body, when given, must be that one).
func (s *Server) setRuntimeMapEntry(r *http.Request) (*response, error) {
	var e mapEntry
	if err := decodeBody(r, &e); err != nil {
		return nil, err
	}
	key := pathParam(r, "id")
	if e.Key != "" && e.Key != key {
		return nil, badRequest("the body's key %q is not the entry's key %q (delete and add to rename)", e.Key, key)
	}
	if err := checkPattern(runtime.KindMap, key, e.Value); err != nil {
		return nil, err
	}
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	t, err := s.target(r.Context(), c, runtime.KindMap, pathParam(r, "parent_name"))
	if err != nil {
		return nil, err
	}
	// Fleet mode: stored for every node first, when the key is here
	// (else Set answers 404: nothing to store).
	defer s.lockFleetPatterns()()
	if err := s.publishPatternIf(r.Context(), c, t, key, false, true, patternRecord{Value: e.Value}); err != nil {
		return nil, err
	}
	got, err := s.patterns().Set(r.Context(), c, t, key, e.Value)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, mapEntry(got)), nil
}

func (s *Server) deletePatternEntry(kind runtime.PatternKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		id := pathParam(r, "id")
		byID := kind == runtime.KindACL && runtime.IsEntryID(id)
		if !byID {
			if err := runtime.CheckPatternKey(id); err != nil {
				if kind == runtime.KindMap {
					// deleteRuntimeMapEntry declares no 400: no such key.
					return nil, notFound("no entry %q: %v", id, err)
				}
				return nil, badRequest("%v", err)
			}
		}
		t, err := s.target(r.Context(), c, kind, pathParam(r, "parent_name"))
		if err != nil {
			return nil, err
		}
		// Fleet mode: the deletion of an entry this node holds is stored
		// for every node first (by its key: entry ids differ by node).
		defer s.lockFleetPatterns()()
		if err := s.publishPatternIf(r.Context(), c, t, id, byID, true, patternRecord{Deleted: true}); err != nil {
			return nil, err
		}
		if err := s.patterns().Delete(r.Context(), c, t, id, byID); err != nil {
			return nil, err
		}
		return emptyResponse(http.StatusNoContent), nil
	}
}

// addRuntimeMapPayload adds every entry of the body (addPayloadRuntimeMap):
// all are checked before any is sent.
func (s *Server) addRuntimeMapPayload(r *http.Request) (*response, error) {
	var in []mapEntry
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	entries := make([]patfile.Entry, 0, len(in))
	for i, e := range in {
		if err := checkPattern(runtime.KindMap, e.Key, e.Value); err != nil {
			return nil, badRequest("entry %d: %v", i, err)
		}
		entries = append(entries, patfile.Entry{Key: e.Key, Value: e.Value})
	}
	return s.addPayload(r, runtime.KindMap, pathParam(r, "name"), entries, in)
}

func (s *Server) addRuntimeACLPayload(r *http.Request) (*response, error) {
	var in []aclEntry
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	entries := make([]patfile.Entry, 0, len(in))
	for i, e := range in {
		if err := checkPattern(runtime.KindACL, e.Value, ""); err != nil {
			return nil, badRequest("entry %d: %v", i, err)
		}
		entries = append(entries, patfile.Entry{Key: e.Value})
	}
	return s.addPayload(r, runtime.KindACL, pathParam(r, "parent_name"), entries, in)
}

func (s *Server) addPayload(r *http.Request, kind runtime.PatternKind, name string, entries []patfile.Entry, body any) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	t, err := s.target(r.Context(), c, kind, name)
	if err != nil {
		return nil, err
	}
	sync := kind == runtime.KindACL || queryBool(r, "force_sync")
	if err := s.patterns().AddMany(r.Context(), c, t, entries, sync); err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusCreated, body), nil
}

func (s *Server) listRuntimeACLs(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	files, err := c.ShowPatternFiles(r.Context(), runtime.KindACL)
	if err != nil {
		return nil, err
	}
	out := make([]aclFile, 0, len(files))
	for _, f := range files {
		out = append(out, aclFile{ID: f.ID, StorageName: f.File, Description: f.Description})
	}
	return jsonResponse(http.StatusOK, out), nil
}

func (s *Server) getRuntimeACL(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	t, err := s.target(r.Context(), c, runtime.KindACL, pathParam(r, "id"))
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, aclFile{ID: t.File.ID, StorageName: t.File.File, Description: t.File.Description}), nil
}
