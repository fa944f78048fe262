package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"dataplane/internal/config"
	"dataplane/internal/transaction"
)

func (s *Server) getVersion(r *http.Request) (*response, error) {
	doc, err := s.readDoc(r)
	if err != nil {
		return nil, err
	}
	resp := jsonResponse(http.StatusOK, doc.Version())
	setVersion(resp.header, doc.Version())
	return resp, nil
}

// readDoc returns the document a read should see: the transaction's staged
// one when transaction_id is given, else the live one.
func (s *Server) readDoc(r *http.Request) (*config.Document, error) {
	if id := r.URL.Query().Get("transaction_id"); id != "" {
		if s.txDoc == nil {
			return nil, notFound("transaction %s does not exist", id)
		}
		return s.txDoc(id)
	}
	return s.d.Pipeline.Live().Doc()
}

func (s *Server) getRaw(r *http.Request) (*response, error) {
	if v, ok := queryInt(r, "version"); ok && r.URL.Query().Get("transaction_id") == "" {
		live, err := s.d.Pipeline.Live().Doc()
		if err != nil {
			return nil, err
		}
		if v == live.Version() {
			resp := textResponse(http.StatusOK, live.Render())
			setVersion(resp.header, v)
			return resp, nil
		}
		b, err := s.d.Pipeline.Backup(v)
		if err != nil {
			return nil, err
		}
		resp := textResponse(http.StatusOK, b)
		setVersion(resp.header, v)
		return resp, nil
	}
	doc, err := s.readDoc(r)
	if err != nil {
		return nil, err
	}
	resp := textResponse(http.StatusOK, doc.Render())
	setVersion(resp.header, doc.Version())
	return resp, nil
}

func (s *Server) postRaw(r *http.Request) (*response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, badRequest("read body: %v", err)
	}
	if !bytes.Contains(body, []byte("\n")) {
		return nil, badRequest("invalid configuration: no newline character found")
	}
	if queryBool(r, "only_validate") {
		res, err := s.d.Pipeline.Validate(r.Context(), body)
		if err != nil {
			return nil, err
		}
		resp := textResponse(http.StatusAccepted, body)
		doc, _ := config.Parse(body)
		s.warn(resp, res.Warnings, doc)
		return resp, nil
	}
	skipVersion := queryBool(r, "skip_version")
	version, hasVersion := queryInt(r, "version")
	if !skipVersion && !hasVersion {
		return nil, badRequest("version or skip_version must be given")
	}
	force, skipReload := queryBool(r, "force_reload"), queryBool(r, "skip_reload")
	if force && skipReload {
		return nil, badRequest("force_reload and skip_reload exclude each other")
	}
	doc, err := config.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	res, err := s.d.Pipeline.Replace(r.Context(), version, skipVersion, doc, transaction.CommitOptions{
		SkipReload:  skipReload,
		ForceReload: force,
		KeepVersion: skipVersion,
	})
	if err != nil {
		return nil, err
	}
	// 201 once written, whatever else happened (skip_reload, applied
	// through the runtime socket, reloaded, or no change at all); 202 with
	// the Reload-ID while a reload is pending.
	status, header := answer(res, http.StatusCreated)
	resp := textResponse(status, res.Doc.Render())
	resp.header = header
	s.warn(resp, res.Warnings, doc)
	return resp, nil
}

// warn adds a Configuration-Warning header with HAProxy's warnings and our
// own advice about the configuration (doc, when known).
func (s *Server) warn(resp *response, haproxyWarnings string, doc *config.Document) {
	var msgs []string
	if haproxyWarnings != "" {
		msgs = append(msgs, oneLine(haproxyWarnings))
	}
	if doc != nil && !doc.HasIdleCloseOnResponse() {
		msgs = append(msgs, idleCloseAdvice)
	}
	for _, m := range msgs {
		resp.header.Add(headerWarning, m)
	}
}

const idleCloseAdvice = "no 'option idle-close-on-response' in defaults, frontends or listens: idle keep-alive clients may see their connection closed during a reload"
