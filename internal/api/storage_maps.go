package api

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/reload"
	"dataplane/internal/runtime"
	"dataplane/internal/storage"
)

// Map files in storage (the Data Plane API v3 Storage operations of
// maps): the files of the maps directory (`resources.maps_dir`), which a
// configuration loads with `map(<path>)` or `-f <path>`. Writes are
// atomic and bounded by max_body_size; names are plain file names.

func (s *Server) routeStorageMaps(r chi.Router) {
	const base = "/services/haproxy/storage/maps"
	r.Get(base, s.wrap(s.listStorageMaps))
	r.Post(base, s.wrap(s.createStorageMap))
	r.Get(base+"/{name}", s.wrap(s.getStorageMap))
	r.Put(base+"/{name}", s.wrap(s.replaceStorageMap))
	r.Delete(base+"/{name}", s.wrap(s.deleteStorageMap))
}

func (s *Server) mapStore() (*storage.Store, error) {
	if s.d.Maps == nil {
		return nil, apierror.New(http.StatusNotFound, "map storage is not configured")
	}
	return s.d.Maps, nil
}

// storedMap is the v3 `map` model of a stored file: size in bytes.
func storedMap(f storage.File) runtimeMap {
	size := f.Size
	return runtimeMap{ID: f.Name, File: f.Path, StorageName: f.Name, Size: &size}
}

// storageError gives the storage failures their status: a name that is
// not one (400), content over the bound (413).
func storageError(err error) error {
	switch {
	case errors.Is(err, storage.ErrTooLarge):
		return apierror.New(http.StatusRequestEntityTooLarge, "%v", err)
	case errors.Is(err, storage.ErrBadName):
		return badRequest("%v", err)
	}
	return err
}

func (s *Server) listStorageMaps(r *http.Request) (*response, error) {
	st, err := s.mapStore()
	if err != nil {
		return nil, err
	}
	files, err := st.Names()
	if err != nil {
		return nil, err
	}
	out := make([]runtimeMap, 0, len(files))
	for _, f := range files {
		out = append(out, storedMap(f))
	}
	return jsonResponse(http.StatusOK, out), nil
}

// createStorageMap takes the file as multipart/form-data (the field
// `file_upload`, its file name the storage name, as the Data Plane API
// sends it) or as a plain body named by `Content-Disposition: attachment;
// filename=<name>`.
func (s *Server) createStorageMap(r *http.Request) (*response, error) {
	st, err := s.mapStore()
	if err != nil {
		return nil, err
	}
	name, body, err := uploadedFile(r)
	if err != nil {
		return nil, err
	}
	if err := storage.CheckName(name); err != nil {
		return nil, badRequest("%v", err)
	}
	h := newHashingReader(checkedMapContent(body))
	f, err := st.Create(name, h)
	if err != nil {
		return nil, storageError(err)
	}
	h.note(r, name)
	return jsonResponse(http.StatusCreated, storedMap(f)), nil
}

// uploadedFile returns the name and content of an upload.
func uploadedFile(r *http.Request) (string, io.Reader, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return "", nil, badRequest("multipart body: %v", err)
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return "", nil, badRequest("multipart body: no part named file_upload")
			}
			if err != nil {
				return "", nil, badRequest("multipart body: %v", err)
			}
			if p.FormName() == "file_upload" {
				// The file name as sent: Part.FileName would drop a
				// directory ("../x.map" read as "x.map"), which must be
				// refused, not quietly taken for another name.
				_, dp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
				if err != nil || dp["filename"] == "" {
					return "", nil, badRequest("multipart body: the file_upload part has no file name")
				}
				return dp["filename"], p, nil
			}
		}
	}
	_, dp, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if err != nil || dp["filename"] == "" {
		return "", nil, badRequest("name the file: send multipart/form-data with a file_upload part, or a Content-Disposition header with a filename")
	}
	return dp["filename"], r.Body, nil
}

// checkedMapContent passes r on, failing the read of a NUL byte: a map
// file is text, and HAProxy would cut a line at a NUL.
func checkedMapContent(r io.Reader) io.Reader { return &textOnly{r: r} }

type textOnly struct{ r io.Reader }

var errBinary = fmt.Errorf("%w: a map file is text; the content holds a NUL byte", storage.ErrBadName)

func (t *textOnly) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if bytes.IndexByte(p[:n], 0) >= 0 {
		return 0, errBinary
	}
	return n, err
}

func (s *Server) getStorageMap(r *http.Request) (*response, error) {
	st, err := s.mapStore()
	if err != nil {
		return nil, err
	}
	name := pathParam(r, "name")
	if storage.CheckName(name) != nil {
		return nil, notFound("no map file %q in storage", name)
	}
	f, err := st.Stat(name)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	resp := streamResponse(http.StatusOK, readerTo{fh})
	resp.done = func() { fh.Close() }
	return resp, nil
}

type readerTo struct{ r io.Reader }

func (rt readerTo) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, rt.r) }

// replaceStorageMap replaces the content of a stored file. HAProxy reads
// a map file when it starts, so a file it loads takes a reload: scheduled
// (202 with Reload-ID), made before the answer with force_reload (204),
// or left to the next one with skip_reload (204).
func (s *Server) replaceStorageMap(r *http.Request) (*response, error) {
	st, err := s.mapStore()
	if err != nil {
		return nil, err
	}
	name := pathParam(r, "name")
	if err := storage.CheckName(name); err != nil {
		return nil, badRequest("%v", err)
	}
	h := newHashingReader(checkedMapContent(r.Body))
	f, err := st.Replace(name, h)
	if err != nil {
		return nil, storageError(err)
	}
	h.note(r, name)
	if queryBool(r, "skip_reload") || s.d.Reloads == nil {
		return emptyResponse(http.StatusNoContent), nil
	}
	if where, _ := s.mapInUse(r, f); where == "" {
		return emptyResponse(http.StatusNoContent), nil
	}
	if queryBool(r, "force_reload") {
		id := s.d.Reloads.RequestNow()
		rec, err := s.d.Reloads.Wait(r.Context(), id)
		if err != nil {
			return nil, err
		}
		if rec.Status != reload.StatusSucceeded {
			return nil, fmt.Errorf("map %s replaced, but the reload %s did not succeed: %s", name, id, rec.Response)
		}
		return emptyResponse(http.StatusNoContent), nil
	}
	resp := emptyResponse(http.StatusAccepted)
	resp.header.Set(headerReloadID, s.d.Reloads.Request())
	return resp, nil
}

// deleteStorageMap removes a stored file that nothing uses: a file the
// configuration names or the running HAProxy loads is refused with 409
// (the operation declares 204 and 404 and a default answer; 404 would
// say the file is not there).
func (s *Server) deleteStorageMap(r *http.Request) (*response, error) {
	st, err := s.mapStore()
	if err != nil {
		return nil, err
	}
	name := pathParam(r, "name")
	if storage.CheckName(name) != nil {
		return nil, notFound("no map file %q in storage", name)
	}
	f, err := st.Stat(name)
	if err != nil {
		return nil, err
	}
	where, err := s.mapInUse(r, f)
	if err != nil {
		return nil, err
	}
	if where != "" {
		return nil, conflict("map file %s is in use: %s", name, where)
	}
	if err := st.Delete(name); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}

// mapInUse says where a stored file is used: the first line of the
// configuration that names it, else the running HAProxy's use of it; ""
// when neither.
func (s *Server) mapInUse(r *http.Request, f storage.File) (string, error) {
	doc, err := s.d.Pipeline.Live().Doc()
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(doc.Render()))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if line := sc.Text(); namesFile(line, f) {
			return fmt.Sprintf("line %d of the configuration: %s", n, strings.TrimSpace(line)), nil
		}
	}
	if c := s.runtimeClient(); c != nil {
		for _, kind := range []runtime.PatternKind{runtime.KindMap, runtime.KindACL} {
			files, err := c.ShowPatternFiles(r.Context(), kind)
			if err != nil {
				continue // HAProxy down: the configuration is what counts
			}
			for _, pf := range files {
				if pf.File == f.Path {
					return fmt.Sprintf("the running HAProxy loads it (%s #%s)", kind, pf.ID), nil
				}
			}
		}
	}
	return "", nil
}

// namesFile reports whether a configuration line names the file: its path,
// or its name after a '/' or a separator (a relative path), as a whole
// word (hosts.map is not hosts.map.old).
func namesFile(line string, f storage.File) bool {
	for _, needle := range []string{f.Path, f.Name} {
		for i := 0; ; {
			j := strings.Index(line[i:], needle)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(needle)
			before := start == 0 || strings.ContainsRune(" \t(,/='\"", rune(line[start-1]))
			after := end == len(line) || !isNameByte(line[end])
			if before && after {
				return true
			}
			i = start + 1
		}
	}
	return false
}

func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("._-+", b) >= 0
}
