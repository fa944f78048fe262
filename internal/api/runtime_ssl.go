package api

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/go-chi/chi/v5"

	"dataplane/internal/apierror"
	"dataplane/internal/certstore"
	"dataplane/internal/runtime"
)

// TLS of the running HAProxy (the Data Plane API v3 SSLRuntime
// operations on certificates and crt-lists): memory only, through the
// runtime socket. The storage (storage_ssl.go) is what survives a reload.

func (s *Server) routeRuntimeSSL(r chi.Router) {
	const b = "/services/haproxy/runtime"
	r.Get(b+"/ssl_certs", s.wrap(s.listRuntimeCerts))
	r.Post(b+"/ssl_certs", s.wrap(s.createRuntimeCert))
	r.Get(b+"/ssl_certs/{name}", s.wrap(s.getRuntimeCert))
	r.Put(b+"/ssl_certs/{name}", s.wrap(s.replaceRuntimeCert))
	r.Delete(b+"/ssl_certs/{name}", s.wrap(s.deleteRuntimeCert))
	r.Get(b+"/ssl_crt_lists", s.wrap(s.listRuntimeCrtLists))
	r.Get(b+"/ssl_crt_lists/entries", s.wrap(s.listRuntimeCrtListEntries))
	r.Post(b+"/ssl_crt_lists/entries", s.wrap(s.addRuntimeCrtListEntry))
	r.Delete(b+"/ssl_crt_lists/entries", s.wrap(s.deleteRuntimeCrtListEntry))
}

// runtimeCertModel is what `show ssl cert <file>` says, as an
// `ssl_certificate`.
func (s *Server) runtimeCertModel(in runtime.SSLCertInfo) sslCertificate {
	m := sslCertificate{File: in.Filename, Status: in.Status}
	if st := s.d.SSLStore; st != nil && filepath.Dir(in.Filename) == st.Dir() {
		m.StorageName = filepath.Base(in.Filename)
	}
	m.Serial, m.Subject, m.Issuers = in.Serial, in.Subject, in.Issuer
	m.NotBefore, m.NotAfter = in.NotBefore, in.NotAfter
	m.SANs, m.Algorithm, m.SHA1FingerPrint = in.SANs, in.Algorithm, in.SHA1
	return m
}

// pickName resolves the name a client gave (a path HAProxy uses, or a
// base name that is unique) among the names HAProxy holds.
func pickName(names []string, name, what string) (string, error) {
	if strings.Contains(name, "/") {
		for _, n := range names {
			if n == name {
				return n, nil
			}
		}
		return "", notFound("HAProxy holds no %s %s", what, name)
	}
	var found []string
	for _, n := range names {
		if n == name || filepath.Base(n) == name {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return "", notFound("HAProxy holds no %s %s", what, name)
	case 1:
		return found[0], nil
	}
	return "", badRequest("%d %ss are named %s (%s): give the whole path", len(found), what, name, strings.Join(found, ", "))
}

// heldCert resolves {name} among the certificates HAProxy holds.
func (s *Server) heldCert(r *http.Request, c *runtime.Client) (string, error) {
	certs, err := c.ShowSSLCerts(r.Context())
	if err != nil {
		return "", err
	}
	return pickName(certs.Files, pathParam(r, "name"), "certificate")
}

func (s *Server) listRuntimeCerts(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	certs, err := c.ShowSSLCerts(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]sslCertificate, 0, len(certs.Files))
	for _, f := range certs.Files {
		in, err := c.ShowSSLCert(r.Context(), f)
		if err != nil {
			// A bundle, or a name this package would not send: listed by
			// name.
			out = append(out, sslCertificate{File: f})
			continue
		}
		out = append(out, s.runtimeCertModel(in))
	}
	return jsonResponse(http.StatusOK, out), nil
}

func (s *Server) getRuntimeCert(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	name, err := s.heldCert(r, c)
	if err != nil {
		return nil, err
	}
	in, err := c.ShowSSLCert(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, s.runtimeCertModel(in)), nil
}

// runtimeUpload reads and checks the PEM of a runtime certificate upload:
// it must hold a private key.
func (s *Server) runtimeUpload(r *http.Request) (string, *certstore.Bundle, error) {
	max := int64(certstore.DefaultMaxSize)
	if s.d.SSLStore != nil {
		max = s.d.SSLStore.MaxSize()
	}
	name, data, err := upload(r, max)
	if err != nil {
		return "", nil, err
	}
	b, err := parseCert(data)
	if err != nil {
		return "", nil, err
	}
	if b.Key == nil {
		return "", nil, badRequest("the PEM has no private key: HAProxy serves a certificate with its key")
	}
	return name, b, nil
}

// createRuntimeCert adds a certificate to HAProxy's memory under the path
// it would have in the storage: `new ssl cert`, set, commit; a failure
// drops the new entry again.
func (s *Server) createRuntimeCert(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	if s.d.SSLStore == nil {
		return nil, apierror.New(http.StatusServiceUnavailable, "no certificate storage directory is configured")
	}
	name, b, err := s.runtimeUpload(r)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, badRequest("send the certificate as multipart file_upload, named by its file name")
	}
	path, err := s.d.SSLStore.Path(name)
	if err != nil {
		return nil, err
	}
	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	certs, err := c.ShowSSLCerts(r.Context())
	if err != nil {
		return nil, err
	}
	if _, ok := s.runtimeName(certs.Files, path); ok {
		return nil, conflict("HAProxy already holds a certificate %s", path)
	}
	if err := c.NewSSLCert(r.Context(), path); err != nil {
		return nil, err
	}
	if err := c.ReplaceSSLCert(r.Context(), path, string(b.Clean)); err != nil {
		_ = c.DelSSLCert(r.Context(), path)
		return nil, runtimeRefusal(err)
	}
	in, err := c.ShowSSLCert(r.Context(), path)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusCreated, s.runtimeCertModel(in)), nil
}

func (s *Server) replaceRuntimeCert(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	_, b, err := s.runtimeUpload(r)
	if err != nil {
		return nil, err
	}
	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	name, err := s.heldCert(r, c)
	if err != nil {
		return nil, err
	}
	if err := c.ReplaceSSLCert(r.Context(), name, string(b.Clean)); err != nil {
		return nil, runtimeRefusal(err)
	}
	in, err := c.ShowSSLCert(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, s.runtimeCertModel(in)), nil
}

func (s *Server) deleteRuntimeCert(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	name, err := s.heldCert(r, c)
	if err != nil {
		return nil, err
	}
	if err := c.DelSSLCert(r.Context(), name); err != nil {
		if errors.Is(err, runtime.ErrInUse) {
			return nil, conflict("%v", err)
		}
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}

type crtList struct {
	File string `json:"file"`
}

func (s *Server) listRuntimeCrtLists(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	lists, err := c.ShowCrtLists(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]crtList, 0, len(lists))
	for _, l := range lists {
		out = append(out, crtList{File: l})
	}
	return jsonResponse(http.StatusOK, out), nil
}

// heldCrtList resolves the name query parameter among HAProxy's crt-lists.
func (s *Server) heldCrtList(r *http.Request, c *runtime.Client) (string, error) {
	lists, err := c.ShowCrtLists(r.Context())
	if err != nil {
		return "", err
	}
	return pickName(lists, r.URL.Query().Get("name"), "crt-list")
}

func (s *Server) listRuntimeCrtListEntries(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	list, err := s.heldCrtList(r, c)
	if err != nil {
		return nil, err
	}
	lines, err := c.ShowCrtList(r.Context(), list)
	if err != nil {
		return nil, err
	}
	out := make([]certstore.CrtListEntry, 0, len(lines))
	for _, l := range lines {
		e := certstore.CrtListEntry{File: l.File, LineNumber: l.LineNumber}
		if parsed, err := certstore.ParseCrtList([]byte("x " + l.Rest)); err == nil && len(parsed) == 1 {
			e.SSLBindConfig, e.SNIFilter = parsed[0].SSLBindConfig, parsed[0].SNIFilter
		}
		out = append(out, e)
	}
	return jsonResponse(http.StatusOK, out), nil
}

func (s *Server) addRuntimeCrtListEntry(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	var entry certstore.CrtListEntry
	if err := decodeBody(r, &entry); err != nil {
		return nil, err
	}
	line, err := entry.Line()
	if err != nil {
		return nil, badRequest("%v", err)
	}
	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	list, err := s.heldCrtList(r, c)
	if err != nil {
		return nil, err
	}
	if err := c.AddCrtListEntry(r.Context(), list, line); err != nil {
		return nil, runtimeRefusal(err)
	}
	// Read back: the entry is the last of its certificate.
	lines, err := c.ShowCrtList(r.Context(), list)
	if err != nil {
		return nil, err
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].File == entry.File {
			entry.LineNumber = lines[i].LineNumber
			return jsonResponse(http.StatusCreated, entry), nil
		}
	}
	return nil, errors.New("add ssl crt-list: HAProxy answered success but does not list the entry")
}

func (s *Server) deleteRuntimeCrtListEntry(r *http.Request) (*response, error) {
	c, err := s.requireRuntime()
	if err != nil {
		return nil, err
	}
	s.sslMu.Lock()
	defer s.sslMu.Unlock()
	list, err := s.heldCrtList(r, c)
	if err != nil {
		return nil, err
	}
	n, _ := queryInt(r, "line_number")
	if err := c.DelCrtListEntry(r.Context(), list, r.URL.Query().Get("cert_file"), int(n)); err != nil {
		return nil, err
	}
	return emptyResponse(http.StatusNoContent), nil
}
