package api

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/audit"
	"dataplane/internal/certstore"
	"dataplane/internal/config"
	"dataplane/internal/runtime"
)

// The storage of TLS certificates, crt-lists and general files (the Data
// Plane API v3 Storage operations). Files live in directories of their
// own (internal/certstore). A certificate replaced while the running
// HAProxy uses it is swapped live over the runtime socket before the file
// is put in place, so the user makes one call and HAProxy never reloads.

func (s *Server) routeStorage(r chi.Router) {
	const b = "/services/haproxy/storage"
	r.Get(b+"/ssl_certificates", s.wrap(s.listStoredCerts))
	r.Post(b+"/ssl_certificates", s.wrap(s.createStoredCert))
	r.Get(b+"/ssl_certificates/{name}", s.wrap(s.getStoredCert))
	r.Put(b+"/ssl_certificates/{name}", s.wrap(s.replaceStoredCert))
	r.Delete(b+"/ssl_certificates/{name}", s.wrap(s.deleteStoredCert))

	r.Get(b+"/ssl_crt_lists", s.wrap(s.listStoredCrtLists))
	r.Post(b+"/ssl_crt_lists", s.wrap(s.createStoredCrtList))
	r.Get(b+"/ssl_crt_lists/{name}", s.wrap(s.getStoredCrtList))
	r.Put(b+"/ssl_crt_lists/{name}", s.wrap(s.replaceStoredCrtList))
	r.Delete(b+"/ssl_crt_lists/{name}", s.wrap(s.deleteStoredCrtList))
	r.Get(b+"/ssl_crt_lists/{name}/entries", s.wrap(s.getStoredCrtListEntries))
	r.Post(b+"/ssl_crt_lists/{name}/entries", s.wrap(s.addStoredCrtListEntry))
	r.Delete(b+"/ssl_crt_lists/{name}/entries", s.wrap(s.deleteStoredCrtListEntry))

	r.Get(b+"/general", s.wrap(s.listGeneral))
	r.Post(b+"/general", s.wrap(s.createGeneral))
	r.Get(b+"/general/{name}", s.wrap(s.getGeneral))
	r.Put(b+"/general/{name}", s.wrap(s.replaceGeneral))
	r.Delete(b+"/general/{name}", s.wrap(s.deleteGeneral))
}

// store returns a configured store, or a 503 saying it is not.
func store(st *certstore.Store, what string) (*certstore.Store, error) {
	if st == nil {
		return nil, apierror.New(http.StatusServiceUnavailable, "no %s storage directory is configured", what)
	}
	return st, nil
}

// storeError gives the size bound its own status (413); every other
// failure keeps its kind.
func storeError(err error) error {
	if errors.Is(err, certstore.ErrTooLarge) {
		return apierror.New(http.StatusRequestEntityTooLarge, "%v", err)
	}
	return err
}

// upload reads the file of a storage upload: the multipart part
// `file_upload`, named by its file name, or a text/plain (or
// octet-stream) body named by the `name` query parameter. The name is
// checked before the content is read, the content bounded by the store.
func upload(r *http.Request, max int64) (name string, data []byte, err error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return "", nil, badRequest("read multipart body: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return "", nil, badRequest("the multipart body has no file_upload part")
			}
			if part.FormName() != "file_upload" {
				continue
			}
			// The raw file name: Part.FileName would cut "../x" down to
			// "x", and a path must be refused, not reinterpreted.
			_, params, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
			if err != nil {
				return "", nil, badRequest("file_upload: bad Content-Disposition: %v", err)
			}
			name = params["filename"]
			if err := certstore.CheckName(name); err != nil {
				return "", nil, err
			}
			data, err = certstore.ReadLimited(part, max)
			return name, data, storeError(err)
		}
	case "text/plain", "application/octet-stream", "application/x-pem-file":
		data, err = certstore.ReadLimited(r.Body, max)
		return "", data, storeError(err)
	}
	return "", nil, apierror.New(http.StatusUnsupportedMediaType, "content type %q: send multipart/form-data (file_upload) or text/plain", ct)
}

// namedUpload is upload for a create: a text body takes its name from the
// query.
func namedUpload(r *http.Request, st *certstore.Store) (string, []byte, error) {
	if q := r.URL.Query().Get("name"); q != "" {
		if err := certstore.CheckName(q); err != nil {
			return "", nil, err
		}
	}
	name, data, err := upload(r, st.MaxSize())
	if err != nil {
		return "", nil, err
	}
	if name == "" {
		name = r.URL.Query().Get("name")
		if name == "" {
			return "", nil, badRequest("a text/plain upload needs its storage name in the name query parameter")
		}
	}
	return name, data, nil
}

// storedName checks the {name} of a path before it is used.
func storedName(r *http.Request, st *certstore.Store) (certstore.Entry, error) {
	return st.Stat(pathParam(r, "name"))
}

// sslCertificate is the v3 `ssl_certificate` model of a stored or running
// certificate.
type sslCertificate struct {
	StorageName string `json:"storage_name,omitempty"`
	File        string `json:"file,omitempty"`
	Description string `json:"description,omitempty"`
	Size        *int64 `json:"size,omitempty"`
	Status      string `json:"status,omitempty"`
	certstore.Info
}

func certModel(e certstore.Entry, data []byte) sslCertificate {
	size := e.Size
	m := sslCertificate{StorageName: e.Name, File: e.Path, Size: &size}
	if b, err := certstore.Parse(data); err == nil {
		m.Info = b.Info()
	} else {
		m.Description = err.Error()
	}
	return m
}

func (s *Server) listStoredCerts(r *http.Request) (*response, error) {
	st, err := store(s.d.SSLStore, "certificate")
	if err != nil {
		return nil, err
	}
	entries, err := st.List()
	if err != nil {
		return nil, err
	}
	out := make([]sslCertificate, 0, len(entries))
	for _, e := range entries {
		data, err := st.Read(e.Name)
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, certModel(e, data))
	}
	return jsonResponse(http.StatusOK, out), nil
}

func (s *Server) getStoredCert(r *http.Request) (*response, error) {
	st, err := store(s.d.SSLStore, "certificate")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	data, err := st.Read(e.Name)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, certModel(e, data)), nil
}

// parseCert parses an upload, as a 400 that says what is wrong.
func parseCert(data []byte) (*certstore.Bundle, error) {
	b, err := certstore.Parse(data)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return b, nil
}

func (s *Server) createStoredCert(r *http.Request) (*response, error) {
	st, err := store(s.d.SSLStore, "certificate")
	if err != nil {
		return nil, err
	}
	name, data, err := namedUpload(r, st)
	if err != nil {
		return nil, err
	}
	if _, err := parseCert(data); err != nil {
		return nil, err
	}
	path, err := s.writeStored(r, st, name, data, true)
	if err != nil {
		return nil, storeError(err)
	}
	return jsonResponse(http.StatusCreated, certModel(certstore.Entry{Name: name, Path: path, Size: int64(len(data))}, data)), nil
}

// replaceStoredCert checks the new PEM, stages it beside the old file,
// swaps it live when HAProxy holds the certificate (abort on any refusal:
// the old one keeps serving and the file stays), then puts the file in
// place. A file the configuration names that HAProxy does not hold gets a
// reload.
func (s *Server) replaceStoredCert(r *http.Request) (*response, error) {
	st, err := store(s.d.SSLStore, "certificate")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	_, data, err := upload(r, st.MaxSize())
	if err != nil {
		return nil, err
	}
	b, err := parseCert(data)
	if err != nil {
		return nil, err
	}
	staged, err := st.Stage(e.Name, data, false)
	if err != nil {
		return nil, storeError(err)
	}
	defer staged.Discard()

	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	swapped, err := s.swapLive(r.Context(), e.Path, b)
	if err != nil {
		return nil, err
	}
	if err := staged.Commit(false); err != nil {
		return nil, err
	}
	audit.From(r.Context()).File(e.Name, data)
	e.Size = int64(len(data))
	m := certModel(e, data)
	if swapped {
		m.Status = "Used"
		return jsonResponse(http.StatusOK, m), nil
	}
	return s.reloadIfReferenced(r, e.Path, http.StatusOK, m)
}

// swapLive replaces the certificate (or CA file) at path in the running
// HAProxy when it holds it: false when it does not (or there is no
// runtime socket: the file alone is the change).
func (s *Server) swapLive(ctx context.Context, path string, b *certstore.Bundle) (bool, error) {
	c := s.runtimeClient()
	if c == nil {
		return false, nil
	}
	certs, err := c.ShowSSLCerts(ctx)
	if err != nil {
		return false, err
	}
	if name, ok := s.runtimeName(certs.Files, path); ok {
		if b.Key == nil {
			return false, badRequest("HAProxy serves %s as a certificate: the new file needs its private key", name)
		}
		if err := c.ReplaceSSLCert(ctx, name, string(b.Clean)); err != nil {
			return false, runtimeRefusal(err)
		}
		return true, nil
	}
	cas, _, err := c.ShowSSLFiles(ctx, runtime.CAFile)
	if err != nil {
		return false, nil // an HAProxy without ca-file commands: the file is the change
	}
	if name, ok := s.runtimeName(cas, path); ok {
		if err := c.ReplaceSSLFile(ctx, runtime.CAFile, name, string(b.Clean), false); err != nil {
			return false, runtimeRefusal(err)
		}
		return true, nil
	}
	return false, nil
}

// runtimeRefusal makes HAProxy's refusal of a new certificate a 400 that
// says the old one still serves; transport failures keep their kind.
func runtimeRefusal(err error) error {
	var ce *runtime.CommandError
	if errors.As(err, &ce) && !errors.Is(err, runtime.ErrBusy) {
		return badRequest("HAProxy refused the certificate, the old one still serves and the file is unchanged: %v", err)
	}
	return err
}

// resolve returns the absolute path a file name of the configuration
// stands for: relative names are relative to the configuration's
// directory, or to base (crt-base, ca-base) when set.
func (s *Server) resolve(name, base string) string {
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	if base != "" {
		if !filepath.IsAbs(base) {
			base = filepath.Join(s.configDir(), base)
		}
		return filepath.Join(base, name)
	}
	return filepath.Join(s.configDir(), name)
}

// runtimeName finds the name HAProxy gives the file at path among names.
func (s *Server) runtimeName(names []string, path string) (string, bool) {
	base := s.globalWord("crt-base")
	for _, n := range names {
		if n == path || s.resolve(n, "") == path || s.resolve(n, base) == path {
			return n, true
		}
	}
	return "", false
}

// globalWord returns the value of a one-word keyword of global, as
// HAProxy reads it (quotes removed, variables expanded).
func (s *Server) globalWord(kw string) string {
	doc, err := s.d.Pipeline.Live().Doc()
	if err != nil {
		return ""
	}
	if g, ok := doc.GlobalSection(); ok {
		if l, ok := g.Last(kw); ok {
			return config.Line{Words: l.Expanded()}.Arg(1)
		}
	}
	return ""
}

// reference returns the first line of the live configuration that names
// the file at path (or the directory holding it, which a `crt <dir>`
// loads whole), as "<section>: <line>", and the stored crt-list entry
// that names it.
func (s *Server) reference(path string) (string, bool) {
	doc, err := s.d.Pipeline.Live().Doc()
	if err != nil {
		return "", false
	}
	var bases []string
	for _, kw := range []string{"crt-base", "ca-base"} {
		if v := s.globalWord(kw); v != "" {
			bases = append(bases, v)
		}
	}
	dir := filepath.Dir(path)
	names := func(w string) bool {
		if p := s.resolve(w, ""); p == path || p == dir {
			return true
		}
		for _, b := range bases {
			if p := s.resolve(w, b); p == path || p == dir {
				return true
			}
		}
		return false
	}
	for _, sec := range doc.Sections() {
		for _, l := range sec.Lines() {
			if len(l.Words) == 0 || strings.HasPrefix(l.Words[0], "#") {
				continue
			}
			// Words as HAProxy reads them: `crt "${CERTS}/site.pem"`
			// names the file the variable points to.
			for _, w := range l.Expanded()[1:] {
				if names(w) {
					return fmt.Sprintf("%s: %s", strings.TrimSpace(sec.Header()), strings.Join(l.Words, " ")), true
				}
			}
		}
	}
	if s.d.CrtListStore != nil && path != "" {
		lists, _ := s.d.CrtListStore.List()
		for _, cl := range lists {
			data, err := s.d.CrtListStore.Read(cl.Name)
			if err != nil {
				continue
			}
			entries, _ := certstore.ParseCrtList(data)
			for _, e := range entries {
				if names(e.File) || filepath.Join(filepath.Dir(cl.Path), e.File) == path {
					return fmt.Sprintf("crt-list %s line %d: %s", cl.Name, e.LineNumber, e.File), true
				}
			}
		}
	}
	return "", false
}

// reloadIfReferenced schedules a reload when the configuration names the
// file (unless skip_reload): 202 with its Reload-ID, or the outcome
// waited for with force_reload. Otherwise the file alone was the change.
func (s *Server) reloadIfReferenced(r *http.Request, path string, status int, body any) (*response, error) {
	if _, ok := s.reference(path); !ok || queryBool(r, "skip_reload") || s.d.Reloads == nil {
		if body == nil {
			return emptyResponse(status), nil
		}
		return jsonResponse(status, body), nil
	}
	force := queryBool(r, "force_reload")
	rec, err := s.d.Pipeline.Reload(r.Context(), force)
	if err != nil {
		return nil, err
	}
	if force {
		if body == nil {
			return emptyResponse(status), nil
		}
		return jsonResponse(status, body), nil
	}
	var resp *response
	if body == nil {
		resp = emptyResponse(http.StatusAccepted)
	} else {
		resp = jsonResponse(http.StatusAccepted, body)
	}
	resp.header.Set(headerReloadID, rec.ID)
	return resp, nil
}

// removeUnreferenced deletes a stored file the configuration does not
// name: 409 naming the line that does.
func (s *Server) removeUnreferenced(st *certstore.Store, e certstore.Entry) error {
	if line, ok := s.reference(e.Path); ok {
		return conflict("%s is in use by the configuration (%s): remove that first", e.Name, line)
	}
	return st.Remove(e.Name)
}

func (s *Server) deleteStoredCert(r *http.Request) (*response, error) {
	st, err := store(s.d.SSLStore, "certificate")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	if line, ok := s.reference(e.Path); ok {
		return nil, conflict("%s is in use by the configuration (%s): remove that first", e.Name, line)
	}
	// A certificate added at runtime only (createCert) is dropped too.
	if c := s.runtimeClient(); c != nil {
		if certs, err := c.ShowSSLCerts(r.Context()); err == nil {
			if name, ok := s.runtimeName(certs.Files, e.Path); ok {
				if err := c.DelSSLCert(r.Context(), name); err != nil {
					if errors.Is(err, runtime.ErrInUse) {
						return nil, conflict("HAProxy still uses %s: %v", name, err)
					}
					return nil, err
				}
			}
		}
	}
	if err := st.Remove(e.Name); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}

// crtListFile is the v3 `ssl_crt_list_file` (and `general_file`, with id).
type storedFile struct {
	ID          string `json:"id,omitempty"`
	StorageName string `json:"storage_name"`
	File        string `json:"file"`
	Description string `json:"description,omitempty"`
	Size        *int64 `json:"size,omitempty"`
}

func fileModel(e certstore.Entry, withID bool) storedFile {
	size := e.Size
	f := storedFile{StorageName: e.Name, File: e.Path, Size: &size}
	if withID {
		f.ID = e.Name
	}
	return f
}

func listFiles(st *certstore.Store, withID bool) (*response, error) {
	entries, err := st.List()
	if err != nil {
		return nil, err
	}
	out := make([]storedFile, 0, len(entries))
	for _, e := range entries {
		out = append(out, fileModel(e, withID))
	}
	return jsonResponse(http.StatusOK, out), nil
}

func getFile(r *http.Request, st *certstore.Store) (*response, error) {
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	data, err := st.Read(e.Name)
	if err != nil {
		return nil, err
	}
	resp := textResponse(http.StatusOK, data)
	resp.header.Set("Content-Type", "application/octet-stream")
	return resp, nil
}

func (s *Server) listStoredCrtLists(r *http.Request) (*response, error) {
	st, err := store(s.d.CrtListStore, "crt-list")
	if err != nil {
		return nil, err
	}
	return listFiles(st, false)
}

func (s *Server) getStoredCrtList(r *http.Request) (*response, error) {
	st, err := store(s.d.CrtListStore, "crt-list")
	if err != nil {
		return nil, err
	}
	return getFile(r, st)
}

func checkCrtList(data []byte) error {
	if err := certstore.CheckCrtList(data); err != nil {
		return badRequest("%v", err)
	}
	return nil
}

func (s *Server) createStoredCrtList(r *http.Request) (*response, error) {
	st, err := store(s.d.CrtListStore, "crt-list")
	if err != nil {
		return nil, err
	}
	name, data, err := namedUpload(r, st)
	if err != nil {
		return nil, err
	}
	if err := checkCrtList(data); err != nil {
		return nil, err
	}
	path, err := s.writeStored(r, st, name, data, true)
	if err != nil {
		return nil, storeError(err)
	}
	return jsonResponse(http.StatusCreated, fileModel(certstore.Entry{Name: name, Path: path, Size: int64(len(data))}, false)), nil
}

func (s *Server) replaceStoredCrtList(r *http.Request) (*response, error) {
	st, err := store(s.d.CrtListStore, "crt-list")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	_, data, err := upload(r, st.MaxSize())
	if err != nil {
		return nil, err
	}
	if err := checkCrtList(data); err != nil {
		return nil, err
	}
	if _, err := s.writeStored(r, st, e.Name, data, false); err != nil {
		return nil, storeError(err)
	}
	e.Size = int64(len(data))
	return s.reloadIfReferenced(r, e.Path, http.StatusOK, fileModel(e, false))
}

func (s *Server) deleteStoredCrtList(r *http.Request) (*response, error) {
	st, err := store(s.d.CrtListStore, "crt-list")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	if err := s.removeUnreferenced(st, e); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}

func (s *Server) getStoredCrtListEntries(r *http.Request) (*response, error) {
	st, err := store(s.d.CrtListStore, "crt-list")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	data, err := st.Read(e.Name)
	if err != nil {
		return nil, err
	}
	entries, err := certstore.ParseCrtList(data)
	if err != nil {
		return nil, err
	}
	if entries == nil {
		entries = []certstore.CrtListEntry{}
	}
	return jsonResponse(http.StatusOK, entries), nil
}

// editCrtList rewrites a stored crt-list with edit applied to its lines,
// under the storage lock, then reloads when the configuration names it
// (after the lock: a reload waited for must not hold up swaps).
func (s *Server) editCrtList(r *http.Request, status int, edit func(lines []string) ([]string, any, error)) (*response, error) {
	st, err := store(s.d.CrtListStore, "crt-list")
	if err != nil {
		return nil, err
	}
	var path string
	var body any
	err = func() error {
		s.sslMu.Lock()
		defer s.sslMu.Unlock()
		e, err := storedName(r, st)
		if err != nil {
			return err
		}
		data, err := st.Read(e.Name)
		if err != nil {
			return err
		}
		text := strings.TrimRight(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
		var lines []string
		if text != "" {
			lines = strings.Split(text, "\n")
		}
		if lines, body, err = edit(lines); err != nil {
			return err
		}
		out := []byte(strings.Join(lines, "\n"))
		if len(lines) > 0 {
			out = append(out, '\n')
		}
		path = e.Path
		_, err = s.writeStored(r, st, e.Name, out, false)
		return storeError(err)
	}()
	if err != nil {
		return nil, err
	}
	return s.reloadIfReferenced(r, path, status, body)
}

func (s *Server) addStoredCrtListEntry(r *http.Request) (*response, error) {
	var entry certstore.CrtListEntry
	if err := decodeBody(r, &entry); err != nil {
		return nil, err
	}
	line, err := entry.Line()
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return s.editCrtList(r, http.StatusCreated, func(lines []string) ([]string, any, error) {
		lines = append(lines, line)
		entry.LineNumber = len(lines)
		return lines, entry, nil
	})
}

func (s *Server) deleteStoredCrtListEntry(r *http.Request) (*response, error) {
	cert := r.URL.Query().Get("certificate")
	n, ok := queryInt(r, "line_number")
	if !ok || n < 1 {
		return nil, badRequest("line_number: want the entry's line, from 1")
	}
	return s.editCrtList(r, http.StatusNoContent, func(lines []string) ([]string, any, error) {
		if int(n) > len(lines) {
			return nil, nil, notFound("no line %d", n)
		}
		entries, err := certstore.ParseCrtList([]byte(lines[n-1]))
		if err != nil || len(entries) != 1 || entries[0].File != cert {
			return nil, nil, notFound("line %d is not an entry of certificate %s", n, cert)
		}
		return append(lines[:n-1:n-1], lines[n:]...), nil, nil
	})
}

func (s *Server) listGeneral(r *http.Request) (*response, error) {
	st, err := store(s.d.GeneralStore, "general")
	if err != nil {
		return nil, err
	}
	return listFiles(st, true)
}

func (s *Server) getGeneral(r *http.Request) (*response, error) {
	st, err := store(s.d.GeneralStore, "general")
	if err != nil {
		return nil, err
	}
	return getFile(r, st)
}

func (s *Server) createGeneral(r *http.Request) (*response, error) {
	st, err := store(s.d.GeneralStore, "general")
	if err != nil {
		return nil, err
	}
	name, data, err := namedUpload(r, st)
	if err != nil {
		return nil, err
	}
	path, err := s.writeStored(r, st, name, data, true)
	if err != nil {
		return nil, storeError(err)
	}
	return jsonResponse(http.StatusCreated, fileModel(certstore.Entry{Name: name, Path: path, Size: int64(len(data))}, true)), nil
}

func (s *Server) replaceGeneral(r *http.Request) (*response, error) {
	st, err := store(s.d.GeneralStore, "general")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	_, data, err := upload(r, st.MaxSize())
	if err != nil {
		return nil, err
	}
	if _, err := s.writeStored(r, st, e.Name, data, false); err != nil {
		return nil, storeError(err)
	}
	return s.reloadIfReferenced(r, e.Path, http.StatusNoContent, nil)
}

func (s *Server) deleteGeneral(r *http.Request) (*response, error) {
	st, err := store(s.d.GeneralStore, "general")
	if err != nil {
		return nil, err
	}
	e, err := storedName(r, st)
	if err != nil {
		return nil, err
	}
	if err := s.removeUnreferenced(st, e); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}
