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
			resp := streamResponse(http.StatusOK, live)
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
	resp := streamResponse(http.StatusOK, doc)
	setVersion(resp.header, doc.Version())
	return resp, nil
}

// postRaw replaces the whole configuration. The body goes to a file
// beside the live one as it arrives, and is read from there once, into the
// document that keeps it, when its turn comes (under the commit lock, or
// one validation at a time); the answer is written from that document (or
// from the file). A body of tens of MB is thus held once, not once per
// step (read, parse, compare, stage, answer), and the bodies waiting for
// their turn wait on the disk.
func (s *Server) postRaw(r *http.Request) (*response, error) {
	body := &bodyReader{r: r.Body}
	up, err := s.d.Pipeline.Receive(body)
	if err != nil {
		if body.err != nil {
			return nil, badRequest("read body: %v", body.err)
		}
		return nil, err
	}
	// Removed once answered: only_validate sends it back from the disk.
	removeUp := true
	defer func() {
		if removeUp {
			up.Remove()
		}
	}()
	if !body.newline {
		return nil, badRequest("invalid configuration: no newline character found")
	}
	if queryBool(r, "only_validate") {
		select {
		case s.validating <- struct{}{}:
		case <-r.Context().Done():
			return nil, fmt.Errorf("waiting for the validation before this one: %w", r.Context().Err())
		}
		res, doc, err := s.d.Pipeline.Validate(r.Context(), up)
		<-s.validating
		if err != nil {
			return nil, err
		}
		resp := streamResponse(http.StatusAccepted, up)
		resp.done, removeUp = up.Remove, false
		s.warn(resp, res.Warnings, doc)
		return resp, nil
	}
	skipVersion := queryBool(r, "skip_version")
	version, hasVersion := queryInt(r, "version")
	if !skipVersion && !hasVersion {
		return nil, badRequest("version or skip_version must be given")
	}
	force, skipReload, dry := queryBool(r, "force_reload"), queryBool(r, "skip_reload"), queryBool(r, "dry_run")
	if force && skipReload {
		return nil, badRequest("force_reload and skip_reload exclude each other")
	}
	res, err := s.d.Pipeline.ReplaceUpload(r.Context(), version, skipVersion, up, transaction.CommitOptions{
		SkipReload:  skipReload,
		ForceReload: force && !dry,
		KeepVersion: skipVersion,
		DryRun:      dry,
	})
	if err != nil {
		return nil, err
	}
	if res.Plan != nil {
		return planResponse(res), nil
	}
	// 201 once written, whatever else happened (skip_reload, applied
	// through the runtime socket, reloaded, or no change at all); 202 with
	// the Reload-ID while a reload is pending.
	status, header := answer(res, http.StatusCreated)
	resp := streamResponse(status, res.Doc)
	resp.header = header
	s.warn(resp, res.Warnings, res.Doc)
	return resp, nil
}

// bodyReader passes a request body through, noting whether it held a
// newline and the error reading it failed with (the client's doing, as
// opposed to a failure to store it).
type bodyReader struct {
	r       io.Reader
	newline bool
	err     error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if !b.newline && bytes.IndexByte(p[:n], '\n') >= 0 {
		b.newline = true
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
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
