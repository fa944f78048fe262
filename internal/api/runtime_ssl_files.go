package api

import (
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/certstore"
	"dataplane/internal/runtime"
)

// CA and CRL files of the running HAProxy (the v3 SSLRuntime operations
// on ssl_ca_files and ssl_crl_files): `new/set/commit/abort/del/show ssl
// ca-file|crl-file`, memory only. A new file is named by the path it
// would have in the certificate storage.

func (s *Server) routeRuntimeSSLFiles(r chi.Router) {
	const b = "/services/haproxy/runtime"
	r.Get(b+"/ssl_ca_files", s.wrap(s.listSSLFiles(runtime.CAFile)))
	r.Post(b+"/ssl_ca_files", s.wrap(s.createSSLFile(runtime.CAFile)))
	r.Get(b+"/ssl_ca_files/{name}", s.wrap(s.getCAFile))
	r.Put(b+"/ssl_ca_files/{name}", s.wrap(s.replaceSSLFile(runtime.CAFile)))
	r.Delete(b+"/ssl_ca_files/{name}", s.wrap(s.deleteSSLFile(runtime.CAFile)))
	r.Post(b+"/ssl_ca_files/{name}/entries", s.wrap(s.addCAEntry))
	r.Get(b+"/ssl_ca_files/{name}/entries/{index}", s.wrap(s.getCAEntry))
	r.Get(b+"/ssl_crl_files", s.wrap(s.listSSLFiles(runtime.CRLFile)))
	r.Post(b+"/ssl_crl_files", s.wrap(s.createSSLFile(runtime.CRLFile)))
	r.Get(b+"/ssl_crl_files/{name}", s.wrap(s.getCRLFile))
	r.Put(b+"/ssl_crl_files/{name}", s.wrap(s.replaceSSLFile(runtime.CRLFile)))
	r.Delete(b+"/ssl_crl_files/{name}", s.wrap(s.deleteSSLFile(runtime.CRLFile)))
}

// sslFile is the v3 `ssl_ca_file` (count set) and `ssl_crl` model.
type sslFile struct {
	File        string `json:"file"`
	StorageName string `json:"storage_name,omitempty"`
	Count       string `json:"count,omitempty"`
	Description string `json:"description,omitempty"`
}

func (s *Server) storageNameOf(file string) string {
	if st := s.d.SSLStore; st != nil && filepath.Dir(file) == st.Dir() {
		return filepath.Base(file)
	}
	return ""
}

func (s *Server) listSSLFiles(kind runtime.SSLFileKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		names, counts, err := c.ShowSSLFiles(r.Context(), kind)
		if err != nil {
			return nil, err
		}
		out := make([]sslFile, 0, len(names))
		for _, n := range names {
			f := sslFile{File: n, StorageName: s.storageNameOf(n)}
			if kind == runtime.CAFile {
				f.Count = counts[n]
			}
			out = append(out, f)
		}
		return jsonResponse(http.StatusOK, out), nil
	}
}

// heldSSLFile resolves {name} among HAProxy's CA or CRL files.
func (s *Server) heldSSLFile(r *http.Request, c *runtime.Client, kind runtime.SSLFileKind) (string, map[string]string, error) {
	names, counts, err := c.ShowSSLFiles(r.Context(), kind)
	if err != nil {
		return "", nil, err
	}
	name, err := pickName(names, pathParam(r, "name"), string(kind))
	return name, counts, err
}

// sslFilePayload reads and checks an upload: certificates for a CA file,
// revocation lists for a CRL file.
func (s *Server) sslFilePayload(r *http.Request, kind runtime.SSLFileKind) (string, string, error) {
	max := int64(certstore.DefaultMaxSize)
	if s.d.SSLStore != nil {
		max = s.d.SSLStore.MaxSize()
	}
	name, data, err := upload(r, max)
	if err != nil {
		return "", "", err
	}
	if kind == runtime.CRLFile {
		clean, err := certstore.ParseCRL(data)
		if err != nil {
			return "", "", badRequest("%v", err)
		}
		return name, string(clean), nil
	}
	b, err := parseCert(data)
	if err != nil {
		return "", "", err
	}
	if b.Key != nil {
		return "", "", badRequest("a CA file holds certificates only: this one has a private key")
	}
	return name, string(b.Clean), nil
}

func (s *Server) createSSLFile(kind runtime.SSLFileKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		if s.d.SSLStore == nil {
			return nil, apierror.New(http.StatusServiceUnavailable, "no certificate storage directory is configured")
		}
		name, payload, err := s.sslFilePayload(r, kind)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, badRequest("send the file as multipart file_upload, named by its file name")
		}
		path, err := s.d.SSLStore.Path(name)
		if err != nil {
			return nil, err
		}
		s.sslMu.Lock()
		defer s.sslMu.Unlock()
		names, _, err := c.ShowSSLFiles(r.Context(), kind)
		if err != nil {
			return nil, err
		}
		if _, ok := s.runtimeName(names, path); ok {
			return nil, conflict("HAProxy already holds a %s %s", kind, path)
		}
		if err := c.NewSSLFile(r.Context(), kind, path); err != nil {
			return nil, err
		}
		if err := c.ReplaceSSLFile(r.Context(), kind, path, payload, false); err != nil {
			_ = c.DelSSLFile(r.Context(), kind, path)
			return nil, runtimeRefusal(err)
		}
		_, counts, err := c.ShowSSLFiles(r.Context(), kind)
		if err != nil {
			return nil, err
		}
		return jsonResponse(http.StatusCreated, s.sslFileModel(kind, path, counts)), nil
	}
}

func (s *Server) sslFileModel(kind runtime.SSLFileKind, name string, counts map[string]string) sslFile {
	f := sslFile{File: name, StorageName: s.storageNameOf(name)}
	if kind == runtime.CAFile {
		f.Count = counts[name]
	}
	return f
}

func (s *Server) replaceSSLFile(kind runtime.SSLFileKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		_, payload, err := s.sslFilePayload(r, kind)
		if err != nil {
			return nil, err
		}
		s.sslMu.Lock()
		defer s.sslMu.Unlock()
		name, _, err := s.heldSSLFile(r, c, kind)
		if err != nil {
			return nil, err
		}
		if err := c.ReplaceSSLFile(r.Context(), kind, name, payload, false); err != nil {
			return nil, runtimeRefusal(err)
		}
		_, counts, err := c.ShowSSLFiles(r.Context(), kind)
		if err != nil {
			return nil, err
		}
		return jsonResponse(http.StatusOK, s.sslFileModel(kind, name, counts)), nil
	}
}

func (s *Server) deleteSSLFile(kind runtime.SSLFileKind) handlerFunc {
	return func(r *http.Request) (*response, error) {
		c, err := s.requireRuntime()
		if err != nil {
			return nil, err
		}
		s.sslMu.Lock()
		defer s.sslMu.Unlock()
		name, _, err := s.heldSSLFile(r, c, kind)
		if err != nil {
			return nil, err
		}
		if err := c.DelSSLFile(r.Context(), kind, name); err != nil {
			if errors.Is(err, runtime.ErrInUse) {
				return nil, conflict("%v", err)
			}
			return nil, err
		}
		return emptyResponse(http.StatusNoContent), nil
	}
}

func (s *Server) getCAFile(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	name, counts, err := s.heldSSLFile(r, c, runtime.CAFile)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, s.sslFileModel(runtime.CAFile, name, counts)), nil
}

// addCAEntry appends a certificate to a CA file. HAProxy 2.6 has no `add
// ssl ca-file`: then a CA file of the storage is set whole, its stored
// certificates followed by the new one (the stored file is not changed).
func (s *Server) addCAEntry(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	_, payload, err := s.sslFilePayload(r, runtime.CAFile)
	if err != nil {
		return nil, err
	}
	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	name, _, err := s.heldSSLFile(r, c, runtime.CAFile)
	if err != nil {
		return nil, err
	}
	err = c.AddCAFileEntries(r.Context(), name, payload)
	var ce *runtime.CommandError
	if errors.As(err, &ce) && containsUnknown(ce.Reply) {
		full, rerr := s.storedCAFile(name)
		if rerr != nil {
			return nil, rerr
		}
		err = c.ReplaceSSLFile(r.Context(), runtime.CAFile, name, full+payload, false)
	}
	if err != nil {
		return nil, runtimeRefusal(err)
	}
	info, err := c.ShowSSLFileInfo(r.Context(), runtime.CAFile, name, 0)
	if err != nil {
		return nil, err
	}
	if len(info.Certs) == 0 {
		return nil, errors.New("add ssl ca-file: HAProxy lists no certificate after the commit")
	}
	m := s.runtimeCertModel(info.Certs[len(info.Certs)-1])
	m.File, m.StorageName = name, s.storageNameOf(name)
	return jsonResponse(http.StatusCreated, m), nil
}

// containsUnknown reports HAProxy's answer to a command it does not have.
func containsUnknown(reply string) bool { return strings.HasPrefix(reply, "Unknown command") }

// storedCAFile is the clean PEM of a CA file kept in the certificate
// storage, for HAProxy versions without `add ssl ca-file`.
func (s *Server) storedCAFile(name string) (string, error) {
	st := s.d.SSLStore
	if st == nil || filepath.Dir(name) != st.Dir() {
		return "", badRequest("this HAProxy has no `add ssl ca-file`, and %s is not in the certificate storage to be set whole: PUT the whole file", name)
	}
	data, err := st.Read(filepath.Base(name))
	if err != nil {
		return "", badRequest("this HAProxy has no `add ssl ca-file`, and %s is not stored: PUT the whole file", name)
	}
	b, err := certstore.Parse(data)
	if err != nil {
		return "", badRequest("the stored %s: %v", name, err)
	}
	return string(b.Clean), nil
}

func (s *Server) getCAEntry(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	name, _, err := s.heldSSLFile(r, c, runtime.CAFile)
	if err != nil {
		return nil, err
	}
	idx, err := pathIndex(r)
	if err != nil {
		return nil, err
	}
	info, err := c.ShowSSLFileInfo(r.Context(), runtime.CAFile, name, 0)
	if err != nil {
		return nil, err
	}
	// Entries are numbered from 0, as the v3 API does; HAProxy's from 1.
	if idx < 0 || idx >= len(info.Certs) {
		return nil, notFound("%s has %d certificate(s): no entry %d", name, len(info.Certs), idx)
	}
	m := s.runtimeCertModel(info.Certs[idx])
	m.File, m.StorageName = name, s.storageNameOf(name)
	return jsonResponse(http.StatusOK, m), nil
}

// crlEntry is the v3 `ssl_crl_entry`.
type crlEntry struct {
	StorageName        string       `json:"storage_name,omitempty"`
	Status             string       `json:"status,omitempty"`
	Version            string       `json:"version,omitempty"`
	SignatureAlgorithm string       `json:"signature_algorithm,omitempty"`
	Issuer             string       `json:"issuer,omitempty"`
	LastUpdate         string       `json:"last_update,omitempty"`
	NextUpdate         string       `json:"next_update,omitempty"`
	Revoked            []revokedOut `json:"revoked_certificates,omitempty"`
}

type revokedOut struct {
	SerialNumber   string `json:"serial_number"`
	RevocationDate string `json:"revocation_date,omitempty"`
}

func (s *Server) getCRLFile(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	name, _, err := s.heldSSLFile(r, c, runtime.CRLFile)
	if err != nil {
		return nil, err
	}
	idx, _ := queryInt(r, "index")
	info, err := c.ShowSSLFileInfo(r.Context(), runtime.CRLFile, name, int(idx))
	if err != nil {
		return nil, err
	}
	out := make([]crlEntry, 0, len(info.CRLs))
	for _, l := range info.CRLs {
		e := crlEntry{StorageName: s.storageNameOf(name), Status: info.Status, Version: l.Version,
			SignatureAlgorithm: l.SignatureAlgorithm, Issuer: l.Issuer}
		if l.LastUpdate != nil {
			e.LastUpdate = l.LastUpdate.Format("2006-01-02")
		}
		if l.NextUpdate != nil {
			e.NextUpdate = l.NextUpdate.Format("2006-01-02")
		}
		for _, rv := range l.Revoked {
			o := revokedOut{SerialNumber: rv.Serial}
			if rv.Date != nil {
				o.RevocationDate = rv.Date.Format("2006-01-02")
			}
			e.Revoked = append(e.Revoked, o)
		}
		out = append(out, e)
	}
	return jsonResponse(http.StatusOK, out), nil
}

// pathIndex reads the {index} of a path (the validator checked it is an
// integer).
func pathIndex(r *http.Request) (int, error) {
	n, err := strconv.Atoi(pathParam(r, "index"))
	if err != nil {
		return 0, badRequest("index: want an integer")
	}
	return n, nil
}
