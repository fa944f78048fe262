package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"dataplane/internal/audit"
	"dataplane/internal/fault"
)

// TLS storage of the running HAProxy: certificates (`show/set/commit/abort/
// new/del ssl cert`), crt-lists (`show/add/del ssl crt-list`), CA and CRL
// files (`show/set/commit/abort/new/del ssl ca-file|crl-file`). A
// certificate is changed in a socket transaction: set (the payload), then
// commit; a failed commit leaves the transaction open, so it is aborted,
// and the old certificate keeps serving. Changes are memory-only: the
// caller writes the file too.

// ErrInUse: HAProxy refused to delete an object a bind still uses.
var ErrInUse = fault.Sentinel(fault.Conflict, "in use")

// sslNameRE is every certificate, crt-list, CA or CRL file name sent on a
// command line: a path of plain characters (no space, ';', '#', quotes,
// '<' that would ask for a payload, nor control characters).
var sslNameRE = regexp.MustCompile(`^[A-Za-z0-9_./+@=-][A-Za-z0-9_./+@=:-]*$`)

// checkSSLName validates a file name given to an ssl command.
func checkSSLName(what, name string) error {
	if !sslNameRE.MatchString(name) || len(name) > 4096 || strings.Contains(name, "..") {
		return fmt.Errorf("%w: %s name %q must be a path of [A-Za-z0-9_./+@=:-] without \"..\"", ErrInvalidArgument, what, name)
	}
	return nil
}

// checkPayload validates a payload: text lines of printable ASCII (tabs
// allowed) with no blank line, which would end it early and run the rest
// as commands.
func checkPayload(payload string) (string, error) {
	p := strings.TrimRight(payload, "\n")
	if p == "" {
		return "", fmt.Errorf("%w: empty payload", ErrInvalidArgument)
	}
	for i, line := range strings.Split(p, "\n") {
		if strings.TrimSpace(line) == "" {
			return "", fmt.Errorf("%w: payload line %d is blank: a blank line ends a payload", ErrInvalidArgument, i+1)
		}
		for _, r := range line {
			if (r < ' ' && r != '\t') || r >= 0x7f {
				return "", fmt.Errorf("%w: payload line %d holds the character %q", ErrInvalidArgument, i+1, r)
			}
		}
	}
	return p, nil
}

// ExecutePayload sends cmd with payload (`cmd <<`, the payload's lines,
// a blank line) on a connection of its own and returns the reply. Errors
// quote the command, never the payload.
func (c *Client) ExecutePayload(ctx context.Context, cmd, payload string) (string, error) {
	if err := checkLine(cmd); err != nil {
		return "", err
	}
	p, err := checkPayload(payload)
	if err != nil {
		return "", fmt.Errorf("runtime %q: %w", cmd, err)
	}
	path, err := socketPath(c.t.getSocket())
	if err != nil {
		return "", err
	}
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	var reply string
	// The audit trail names the command, never its payload (a key).
	audit.From(ctx).Command(cmd + " <<")
	err = c.t.oneShotText(ctx, cmd+" <<", cmd+" <<\n"+p+"\n", path, func(r *bufio.Reader) error {
		b, err := io.ReadAll(r)
		reply = string(b)
		if err != nil {
			return fmt.Errorf("read reply: %w", err)
		}
		return nil
	})
	c.t.obs.observe(cmd, reply, err)
	return reply, err
}

// doPayload is do with a payload.
func (c *Client) doPayload(ctx context.Context, cmd, payload string, ok func(string) bool) (string, error) {
	reply, err := c.ExecutePayload(ctx, cmd, payload)
	if err != nil {
		return "", err
	}
	if !ok(reply) {
		return "", sslCommandError(cmd, reply)
	}
	return reply, nil
}

// sslReplyKinds classifies the refusals of the ssl commands.
var sslReplyKinds = []struct {
	text string
	kind error
}{
	{"in use, can't be deleted", ErrInUse},
	{"not referenced by the configuration", ErrNotFound},
	{"Can't display the certificate: Not found", ErrNotFound},
	{"doesn't exist", ErrNotFound},
	{"Can't find", ErrNotFound},
	{"not found", ErrNotFound},
	{"already exists", ErrExists},
	{"Already exists", ErrExists},
	{"ongoing transaction", ErrExists},
	{"operations on certificates are currently locked", ErrBusy},
	{"Can't load the payload", ErrUnsupported},
	{"inconsistencies between private key and certificate", ErrUnsupported},
	{"must contain at least a certificate and a private key", ErrUnsupported},
	{"unable to load", ErrUnsupported},
	{"Can't commit", ErrUnsupported},
	{"Can't update", ErrUnsupported},
	{"Can't add", ErrUnsupported},
	{"Can't edit", ErrUnsupported},
}

func sslCommandError(cmd, reply string) error {
	ce := newCommandError(cmd, reply)
	if ce.Kind == nil {
		for _, k := range sslReplyKinds {
			if strings.Contains(ce.Reply, k.text) {
				ce.Kind = k.kind
				break
			}
		}
	}
	if ce.Kind == nil {
		ce.Kind = ErrUnsupported
	}
	return ce
}

func (c *Client) doSSL(ctx context.Context, cmd string, ok func(string) bool) (string, error) {
	reply, err := c.Execute(ctx, cmd)
	if err != nil {
		return "", err
	}
	if !ok(reply) {
		return "", sslCommandError(cmd, reply)
	}
	return reply, nil
}

func contains(text string) func(string) bool {
	return func(reply string) bool { return strings.Contains(reply, text) }
}

// SSLCertList is `show ssl cert`: the certificates HAProxy holds, and
// those with a transaction open (without the '*').
type SSLCertList struct {
	Files       []string
	Transaction []string
}

// ShowSSLCerts lists the certificates of the running HAProxy.
func (c *Client) ShowSSLCerts(ctx context.Context) (SSLCertList, error) {
	return showFiles(ctx, c, "show ssl cert")
}

func showFiles(ctx context.Context, c *Client, cmd string) (SSLCertList, error) {
	reply, err := c.doSSL(ctx, cmd, func(r string) bool {
		return strings.HasPrefix(strings.TrimSpace(r), "#") || strings.TrimSpace(r) == "" && r != ""
	})
	if err != nil {
		return SSLCertList{}, err
	}
	var out SSLCertList
	var cur *[]string
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case line == "# transaction":
			cur = &out.Transaction
		case strings.HasPrefix(line, "# filename"):
			cur = &out.Files
		case strings.HasPrefix(line, "#"):
		case cur != nil:
			*cur = append(*cur, strings.TrimPrefix(line, "*"))
		}
	}
	return out, nil
}

// SSLCertInfo is `show ssl cert <file>`.
type SSLCertInfo struct {
	Filename  string
	Status    string
	Serial    string
	NotBefore *time.Time
	NotAfter  *time.Time
	SANs      string
	Algorithm string
	SHA1      string
	Subject   string
	Issuer    string
	// Fields holds every "Key: value" line as HAProxy wrote it.
	Fields map[string]string
}

// ShowSSLCert reads one certificate (ErrNotFound when HAProxy holds none
// of that name).
func (c *Client) ShowSSLCert(ctx context.Context, name string) (SSLCertInfo, error) {
	if err := checkSSLName("certificate", name); err != nil {
		return SSLCertInfo{}, err
	}
	reply, err := c.doSSL(ctx, "show ssl cert "+name, contains("Filename:"))
	if err != nil {
		return SSLCertInfo{}, err
	}
	return parseCertInfo(reply), nil
}

func parseCertInfo(reply string) SSLCertInfo {
	in := SSLCertInfo{Fields: map[string]string{}}
	for _, line := range strings.Split(reply, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, dup := in.Fields[k]; dup {
			continue // the chain's own Subject/Issuer lines follow the leaf's
		}
		in.Fields[k] = v
		switch k {
		case "Filename":
			in.Filename = strings.TrimPrefix(v, "*")
		case "Status":
			in.Status = v
		case "Serial":
			in.Serial = v
		case "notBefore":
			in.NotBefore = certTime(v)
		case "notAfter":
			in.NotAfter = certTime(v)
		case "Subject Alternative Name":
			in.SANs = v
		case "Algorithm":
			in.Algorithm = v
		case "SHA1 FingerPrint":
			in.SHA1 = v
		case "Subject":
			in.Subject = v
		case "Issuer":
			in.Issuer = v
		}
	}
	return in
}

// certTime reads OpenSSL's "Dec  1 23:21:08 2026 GMT".
func certTime(v string) *time.Time {
	t, err := time.Parse("Jan _2 15:04:05 2006 MST", strings.Join(strings.Fields(v), " "))
	if err != nil {
		t, err = time.Parse("Jan 2 15:04:05 2006 MST", strings.Join(strings.Fields(v), " "))
	}
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

// SetSSLCert opens (or updates) the transaction of certificate name with
// payload, the PEM of the certificate, its chain and key.
func (c *Client) SetSSLCert(ctx context.Context, name, payload string) error {
	if err := checkSSLName("certificate", name); err != nil {
		return err
	}
	_, err := c.doPayload(ctx, "set ssl cert "+name, payload, contains("Transaction "))
	return err
}

// CommitSSLCert commits the transaction of certificate name.
func (c *Client) CommitSSLCert(ctx context.Context, name string) error {
	if err := checkSSLName("certificate", name); err != nil {
		return err
	}
	_, err := c.doSSL(ctx, "commit ssl cert "+name, contains("Success!"))
	return err
}

// AbortSSLCert drops the transaction of certificate name; none open is
// not an error.
func (c *Client) AbortSSLCert(ctx context.Context, name string) error {
	if err := checkSSLName("certificate", name); err != nil {
		return err
	}
	_, err := c.doSSL(ctx, "abort ssl cert "+name, func(r string) bool {
		return strings.Contains(r, "Transaction aborted") || strings.Contains(r, "No ongoing transaction")
	})
	return err
}

// NewSSLCert creates an empty certificate store entry (to be set and
// committed, then used by a crt-list).
func (c *Client) NewSSLCert(ctx context.Context, name string) error {
	if err := checkSSLName("certificate", name); err != nil {
		return err
	}
	_, err := c.doSSL(ctx, "new ssl cert "+name, contains("New empty certificate store"))
	return err
}

// DelSSLCert deletes a certificate no bind uses (ErrInUse otherwise).
func (c *Client) DelSSLCert(ctx context.Context, name string) error {
	if err := checkSSLName("certificate", name); err != nil {
		return err
	}
	_, err := c.doSSL(ctx, "del ssl cert "+name, deletedReply)
	return err
}

// ReplaceSSLCert swaps certificate name live: set, then commit. When
// either fails, the transaction is aborted (with a context of its own, so
// a cancelled request still aborts) and the old certificate keeps
// serving.
func (c *Client) ReplaceSSLCert(ctx context.Context, name, payload string) error {
	err := c.SetSSLCert(ctx, name, payload)
	if err == nil {
		err = c.CommitSSLCert(ctx, name)
	}
	if err != nil && !errors.Is(err, ErrInvalidArgument) {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if aerr := c.AbortSSLCert(actx, name); aerr != nil {
			return fmt.Errorf("replace ssl cert %s: %w (and the abort failed: %v)", name, err, aerr)
		}
		return fmt.Errorf("replace ssl cert %s: %w", name, err)
	}
	return err
}

// ShowCrtLists lists the crt-list files HAProxy holds.
func (c *Client) ShowCrtLists(ctx context.Context) ([]string, error) {
	reply, err := c.doSSL(ctx, "show ssl crt-list", func(r string) bool { return r != "" && !strings.Contains(r, "Unknown") })
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(reply, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, nil
}

// CrtListLine is one entry of a running crt-list: its certificate file,
// its line number and the rest of the line (options and filters).
type CrtListLine struct {
	File       string
	LineNumber int
	Rest       string
}

// ShowCrtList reads the entries of a running crt-list (`show ssl crt-list
// -n`), ErrNotFound when HAProxy does not hold it.
func (c *Client) ShowCrtList(ctx context.Context, list string) ([]CrtListLine, error) {
	if err := checkSSLName("crt-list", list); err != nil {
		return nil, err
	}
	reply, err := c.doSSL(ctx, "show ssl crt-list -n "+list, func(r string) bool { return strings.HasPrefix(strings.TrimSpace(r), "#") })
	if err != nil {
		return nil, err
	}
	var out []CrtListLine
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, rest, _ := strings.Cut(line, " ")
		e := CrtListLine{File: head, Rest: strings.TrimSpace(rest)}
		if i := strings.LastIndex(head, ":"); i > 0 {
			if n, err := strconv.Atoi(head[i+1:]); err == nil {
				e.File, e.LineNumber = head[:i], n
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// AddCrtListEntry adds line (`<file> [opts] [filters]`) to a running
// crt-list; the certificate must be loaded (NewSSLCert, set, commit)
// or be a file HAProxy can read.
func (c *Client) AddCrtListEntry(ctx context.Context, list, line string) error {
	if err := checkSSLName("crt-list", list); err != nil {
		return err
	}
	_, err := c.doPayload(ctx, "add ssl crt-list "+list, line, contains("Success!"))
	return err
}

// DelCrtListEntry removes the entry of certificate file (at line, when
// > 0) from a running crt-list.
func (c *Client) DelCrtListEntry(ctx context.Context, list, file string, line int) error {
	if err := checkSSLName("crt-list", list); err != nil {
		return err
	}
	if err := checkSSLName("certificate", file); err != nil {
		return err
	}
	spec := file
	if line > 0 {
		spec += ":" + strconv.Itoa(line)
	}
	_, err := c.doSSL(ctx, "del ssl crt-list "+list+" "+spec, deletedReply)
	return err
}

// SSLFileKind is "ca-file" or "crl-file".
type SSLFileKind string

// The kinds of SSLFileKind.
const (
	CAFile  SSLFileKind = "ca-file"
	CRLFile SSLFileKind = "crl-file"
)

// ShowSSLFiles lists the CA or CRL files HAProxy holds; for CA files each
// name is followed by " - N certificate(s)", which is cut off into Counts.
func (c *Client) ShowSSLFiles(ctx context.Context, kind SSLFileKind) (names []string, counts map[string]string, err error) {
	l, err := showFiles(ctx, c, "show ssl "+string(kind))
	if err != nil {
		return nil, nil, err
	}
	counts = map[string]string{}
	for _, f := range l.Files {
		name, count, _ := strings.Cut(f, " - ")
		names = append(names, name)
		counts[name] = strings.TrimSuffix(strings.TrimSuffix(count, " certificate(s)"), " certificate")
	}
	return names, counts, nil
}

// ShowSSLFile returns HAProxy's description of one CA or CRL file.
func (c *Client) ShowSSLFile(ctx context.Context, kind SSLFileKind, name string) (string, error) {
	if err := checkSSLName(string(kind), name); err != nil {
		return "", err
	}
	return c.doSSL(ctx, "show ssl "+string(kind)+" "+name, contains(":"))
}

// NewSSLFile creates an empty CA or CRL file in HAProxy.
func (c *Client) NewSSLFile(ctx context.Context, kind SSLFileKind, name string) error {
	if err := checkSSLName(string(kind), name); err != nil {
		return err
	}
	_, err := c.doSSL(ctx, "new ssl "+string(kind)+" "+name, contains("New "))
	return err
}

// DelSSLFile deletes a CA or CRL file no bind uses.
func (c *Client) DelSSLFile(ctx context.Context, kind SSLFileKind, name string) error {
	if err := checkSSLName(string(kind), name); err != nil {
		return err
	}
	_, err := c.doSSL(ctx, "del ssl "+string(kind)+" "+name, deletedReply)
	return err
}

// ReplaceSSLFile sets a CA or CRL file's content and commits it; a failure
// aborts the transaction, leaving the old content in use. add appends the
// certificates to a CA file instead of replacing them (`add ssl ca-file`).
func (c *Client) ReplaceSSLFile(ctx context.Context, kind SSLFileKind, name, payload string, add bool) error {
	if err := checkSSLName(string(kind), name); err != nil {
		return err
	}
	verb := "set"
	if add {
		verb = "add"
	}
	// HAProxy 2.6 writes "transaction created for CA ...", lower case.
	_, err := c.doPayload(ctx, verb+" ssl "+string(kind)+" "+name, payload, contains("ransaction "))
	if err == nil {
		_, err = c.doSSL(ctx, "commit ssl "+string(kind)+" "+name, contains("Success!"))
	}
	if err != nil && !errors.Is(err, ErrInvalidArgument) {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = c.Execute(actx, "abort ssl "+string(kind)+" "+name)
		return fmt.Errorf("%s ssl %s %s: %w", verb, kind, name, err)
	}
	return err
}

// SSLFileInfo is `show ssl ca-file|crl-file <name>`: its status and each
// certificate (CA file) or revocation list (CRL file) in it.
type SSLFileInfo struct {
	Filename string
	Status   string
	// Certs are the CA file's certificates, in order.
	Certs []SSLCertInfo
	// CRLs are the CRL file's lists, in order.
	CRLs []CRLInfo
}

// CRLInfo is one revocation list of `show ssl crl-file`.
type CRLInfo struct {
	Version, SignatureAlgorithm, Issuer string
	LastUpdate, NextUpdate              *time.Time
	Revoked                             []RevokedCert
}

// RevokedCert is one revoked serial of a CRL.
type RevokedCert struct {
	Serial string
	Date   *time.Time
}

// ShowSSLFileInfo reads one CA or CRL file (ErrNotFound when HAProxy holds
// none of that name); index > 0 reads only that certificate or list.
func (c *Client) ShowSSLFileInfo(ctx context.Context, kind SSLFileKind, name string, index int) (SSLFileInfo, error) {
	if err := checkSSLName(string(kind), name); err != nil {
		return SSLFileInfo{}, err
	}
	arg := name
	if index > 0 {
		arg += ":" + strconv.Itoa(index)
	}
	reply, err := c.doSSL(ctx, "show ssl "+string(kind)+" "+arg, contains("Filename:"))
	if err != nil {
		return SSLFileInfo{}, err
	}
	return parseSSLFileInfo(reply), nil
}

// parseSSLFileInfo splits the reply at its "Certificate #N:" or
// "Certificate Revocation List #N:" lines.
func parseSSLFileInfo(reply string) SSLFileInfo {
	var out SSLFileInfo
	var block []string
	crl := false
	flush := func() {
		if block == nil {
			return
		}
		if crl {
			out.CRLs = append(out.CRLs, parseCRLInfo(block))
		} else {
			out.Certs = append(out.Certs, parseCertInfo(strings.Join(block, "\n")))
		}
		block = nil
	}
	for _, line := range strings.Split(reply, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "Filename:") && block == nil:
			out.Filename = strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(t, "Filename:")), "*")
		case strings.HasPrefix(t, "Status:") && block == nil:
			out.Status = strings.TrimSpace(strings.TrimPrefix(t, "Status:"))
		case strings.HasPrefix(t, "Certificate Revocation List #"):
			flush()
			crl, block = true, []string{}
		case strings.HasPrefix(t, "Certificate #"):
			flush()
			crl, block = false, []string{}
		case block != nil && t != "":
			block = append(block, t)
		}
	}
	flush()
	return out
}

func parseCRLInfo(lines []string) CRLInfo {
	var in CRLInfo
	var cur *RevokedCert
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(l, "Version"):
			in.Version = strings.TrimSpace(strings.TrimPrefix(l, "Version"))
		case k == "Signature Algorithm":
			in.SignatureAlgorithm = v
		case k == "Issuer":
			in.Issuer = v
		case k == "Last Update":
			in.LastUpdate = certTime(v)
		case k == "Next Update":
			in.NextUpdate = certTime(v)
		case k == "Serial Number":
			in.Revoked = append(in.Revoked, RevokedCert{Serial: v})
			cur = &in.Revoked[len(in.Revoked)-1]
		case k == "Revocation Date" && cur != nil:
			cur.Date = certTime(v)
		}
	}
	return in
}

// AddCAFileEntries appends certificates to a CA file and commits; HAProxy
// 2.6 has no `add ssl ca-file` (ErrUnsupported then: the caller sets the
// whole file instead).
func (c *Client) AddCAFileEntries(ctx context.Context, name, payload string) error {
	return c.ReplaceSSLFile(ctx, CAFile, name, payload, true)
}

// deletedReply accepts HAProxy's "... deleted!" success, not its refusal
// "Can't remove ...: ... in use, can't be deleted!".
func deletedReply(reply string) bool {
	return strings.Contains(reply, "deleted") && !strings.Contains(reply, "Can't") && !strings.Contains(reply, "can't")
}
