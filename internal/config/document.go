// Package config is the haproxy.cfg document: a lossless, immutable model of
// the file with typed views (global, defaults, frontends, backends, servers,
// binds) and typed edits that re-render only the lines they change.
package config

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	parser "github.com/haproxytech/config-parser/v5"

	"dataplane/internal/fault"
)

// Section kinds, as the header keyword appears in haproxy.cfg. The kinds
// config-parser knows come from its constants; newer HAProxy sections are
// listed by hand so files written for HAProxy 3.x still load losslessly.
const (
	KindGlobal     = string(parser.Global)
	KindDefaults   = string(parser.Defaults)
	KindFrontend   = string(parser.Frontends)
	KindBackend    = string(parser.Backends)
	KindListen     = string(parser.Listen)
	KindUserlist   = string(parser.UserList)
	KindPeers      = string(parser.Peers)
	KindResolvers  = string(parser.Resolvers)
	KindMailers    = string(parser.Mailers)
	KindProgram    = string(parser.Program)
	KindCache      = string(parser.Cache)
	KindHTTPErrors = string(parser.HTTPErrors)
	KindRing       = string(parser.Ring)
	KindLogForward = string(parser.LogForward)
	KindFCGIApp    = string(parser.FCGIApp)
)

var sectionKinds = map[string]bool{
	KindGlobal: true, KindDefaults: true, KindFrontend: true, KindBackend: true,
	KindListen: true, KindUserlist: true, KindPeers: true, KindResolvers: true,
	KindMailers: true, KindProgram: true, KindCache: true, KindHTTPErrors: true,
	KindRing: true, KindLogForward: true, KindFCGIApp: true,
	// Newer than HAProxy 2.6 (newkinds.go); dynamic-update is HAProxy
	// Enterprise's.
	KindCrtStore: true, KindAcme: true, KindTraces: true, KindLogProfile: true, KindHealthcheck: true,
	"dynamic-update": true,
}

// MaxLineLength bounds one line of the file. HAProxy 2.6 itself reads
// much longer lines (a 300 KB line passes `haproxy -c`); the bound is a
// guard against bodies that are not configurations, and keeps edits from
// building lines nobody could review. (config-parser stops silently at
// 64 KiB; our parser does not use its scanner.)
const MaxLineLength = 1024 * 1024

// ErrInvalid marks input that cannot become configuration text: a bad name,
// a value with a newline, a document that does not load. It maps to a 4xx.
var ErrInvalid = fault.Sentinel(fault.Invalid, "invalid")

// ErrNotFound marks a section or object that does not exist.
var ErrNotFound = fault.Sentinel(fault.NotFound, "not found")

// ErrExists marks an object that already exists.
var ErrExists = fault.Sentinel(fault.Conflict, "already exists")

// Document is one haproxy.cfg, kept as the exact lines of the file. It is
// immutable once built: edits return a new Document that shares every
// section they did not touch with the old one, so copies are cheap.
type Document struct {
	head     *Section   // lines before the first section: comments, `# _version=N`
	sections []*Section // in file order
	index    *sectionIndex
	nl       string // the file's dominant line ending, used for new lines
	version  int64
	// hasVersion says whether the first line is `# _version=N`.
	hasVersion bool
}

// sectionIndex finds sections by kind and name. It holds positions into
// Document.sections, so documents that only edit inside sections share it.
type sectionIndex struct {
	byKey   map[sectionKey]int
	unnamed []int // positions of unnamed defaults, in file order
}

// sectionKey is a section's kind and name: a struct rather than one
// concatenated string, so that building the index of a 10,000-section
// file (once per section added or removed) allocates no key.
type sectionKey struct{ kind, name string }

func key(kind, name string) sectionKey { return sectionKey{kind, name} }

// Parse loads a document from the bytes of a haproxy.cfg. It keeps every
// byte: Render gives back exactly data. Lines longer than MaxLineLength are
// refused (HAProxy could not read them either).
func Parse(data []byte) (*Document, error) { return ParseString(string(data)) }

// Read loads a document from r, which holds size bytes (a file, sized by
// stat): they are read once, into the string the document keeps, where
// reading them whole and then parsing would hold them twice. Fewer bytes
// than size is an error; bytes beyond it are not read.
func Read(r io.Reader, size int64) (*Document, error) {
	if size < 0 || size > math.MaxInt {
		return nil, fmt.Errorf("read a configuration of %d bytes: bad size", size)
	}
	var b strings.Builder
	b.Grow(int(size))
	n, err := io.Copy(&b, io.LimitReader(r, size))
	if err != nil {
		return nil, fmt.Errorf("read a configuration: %w", err)
	}
	if n < size {
		return nil, fmt.Errorf("read a configuration: %d bytes of %d: %w", n, size, io.ErrUnexpectedEOF)
	}
	return ParseString(b.String())
}

// ParseString is Parse of a string, which the document keeps (sections
// are substrings of it) without a copy.
func ParseString(src string) (*Document, error) {
	d := &Document{nl: "\n"}
	d.head = &Section{}
	// The body lines of all sections share one array, sized by a count of
	// the newlines: growing a slice per section allocated 46 MB for a
	// 56 MB file of 800,000 lines, 25 MB of which stayed; one array, 15 MB.
	// Each section gets its part with no room to append into the next
	// one's.
	all := make([]string, 0, strings.Count(src, "\n")+1)
	cur, from := d.head, 0
	closeSection := func() { cur.lines = all[from:len(all):len(all)] }
	crlf, lf := 0, 0
	lineNo := 0
	for pos := 0; pos < len(src); {
		lineStart := pos
		end := strings.IndexByte(src[pos:], '\n')
		var line string
		if end < 0 {
			line = src[pos:]
			pos = len(src)
		} else {
			line = src[pos : pos+end+1]
			pos += end + 1
			if end > 0 && src[pos-2] == '\r' {
				crlf++
			} else {
				lf++
			}
		}
		lineNo++
		if len(line) > MaxLineLength {
			return nil, fmt.Errorf("line %d is %d bytes long, over the limit of %d: %w", lineNo, len(line), MaxLineLength, ErrInvalid)
		}
		if kind := headerKind(line); kind != "" {
			s, err := newSectionFromHeader(kind, line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
			// The section's text is the file's bytes from its header up
			// to the next header: cut below, once the next is known.
			s.raw = src[lineStart:]
			d.sections = append(d.sections, s)
			closeSection()
			cur, from = s, len(all)
			continue
		}
		all = append(all, line)
	}
	closeSection()
	if crlf > lf {
		d.nl = "\r\n"
	}
	d.head.raw = src
	if len(d.sections) > 0 {
		d.head.raw = src[:len(src)-len(d.sections[0].raw)]
	}
	for i, s := range d.sections {
		if i+1 < len(d.sections) {
			// Both are still suffixes of the file: cut at the next header.
			s.raw = s.raw[:len(s.raw)-len(d.sections[i+1].raw)]
		}
	}
	d.readVersion()
	idx, err := buildIndex(d.sections)
	if err != nil {
		return nil, err
	}
	d.index = idx
	return d, nil
}

func buildIndex(sections []*Section) (*sectionIndex, error) {
	idx := &sectionIndex{byKey: make(map[sectionKey]int, len(sections))}
	for i, s := range sections {
		if s.Kind == KindDefaults && s.Name == "" {
			idx.unnamed = append(idx.unnamed, i)
			continue
		}
		k := key(s.Kind, s.Name)
		// HAProxy refuses duplicate proxy names too; keep the first one
		// addressable rather than failing the whole load, so a file with
		// duplicates can still be read and fixed through the raw endpoint.
		if _, dup := idx.byKey[k]; !dup {
			idx.byKey[k] = i
		}
	}
	return idx, nil
}

// headerKind returns the section keyword when line starts a section.
func headerKind(line string) string {
	w := firstWord(line)
	if sectionKinds[w] {
		return w
	}
	return ""
}

// firstWord returns the first blank-separated word of line, cheaply.
func firstWord(line string) string {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	j := i
	for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '\n' && line[j] != '#' {
		j++
	}
	return line[i:j]
}

func (d *Document) readVersion() {
	d.version = 1
	if len(d.head.lines) == 0 {
		return
	}
	if v, ok := parseVersionLine(d.head.lines[0]); ok {
		d.version = v
		d.hasVersion = true
	}
}

const versionPrefix = "# _version="

func parseVersionLine(line string) (int64, bool) {
	line = strings.TrimRight(line, "\r\n \t")
	if !strings.HasPrefix(line, versionPrefix) {
		return 0, false
	}
	v, err := strconv.ParseInt(line[len(versionPrefix):], 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// Version is the `# _version=N` of the first line, or 1 when there is none.
func (d *Document) Version() int64 { return d.version }

// HasVersionLine reports whether the file starts with `# _version=N`.
func (d *Document) HasVersionLine() bool { return d.hasVersion }

// WithVersion returns a copy whose first line is `# _version=v` (inserted
// when the file had none). Nothing else changes.
func (d *Document) WithVersion(v int64) *Document {
	n := d.shallowCopy()
	h := &Section{}
	line := versionPrefix + strconv.FormatInt(v, 10) + d.nl
	if d.hasVersion {
		h.lines = append([]string{line}, d.head.lines[1:]...)
	} else {
		h.lines = append([]string{line}, d.head.lines...)
	}
	n.head = h
	n.version = v
	n.hasVersion = true
	return n
}

func (d *Document) shallowCopy() *Document {
	n := *d
	return &n
}

// Render returns the file's bytes.
func (d *Document) Render() []byte {
	size := 0
	d.each(func(t string) { size += len(t) })
	var b bytes.Buffer
	b.Grow(size)
	d.each(func(t string) { b.WriteString(t) })
	return b.Bytes()
}

// WriteTo writes the file's bytes to w, section by section, without
// building them in memory first as Render does (a transaction writes its
// staged file on every edit: ~2 MB for 10,000 backends).
func (d *Document) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var err error
	d.each(func(l string) {
		if err == nil {
			var k int
			k, err = io.WriteString(w, l)
			n += int64(k)
		}
	})
	return n, err
}

// SameBytes reports whether d and o render the same bytes, without
// rendering either: their texts are compared piece by piece (sections
// they share compare at once), however the two split the file.
func (d *Document) SameBytes(o *Document) bool {
	if d == o {
		return true
	}
	a, b := d.texts(), o.texts()
	var x, y string
	for {
		for x == "" && len(a) > 0 {
			x, a = a[0], a[1:]
		}
		for y == "" && len(b) > 0 {
			y, b = b[0], b[1:]
		}
		if x == "" || y == "" {
			return x == y
		}
		n := min(len(x), len(y))
		if x[:n] != y[:n] {
			return false
		}
		x, y = x[n:], y[n:]
	}
}

// Pieces is how many pieces Texts has: the head and each section.
func (d *Document) Pieces() int { return 1 + len(d.sections) }

// Piece is piece i of Texts as a section (0 is the head). Pieces two
// versions of a document share are the same *Section (edits copy what
// they change), so a diff finds the changed ones by pointer, without
// rendering the text of the others.
func (d *Document) Piece(i int) *Section {
	if i == 0 {
		return d.head
	}
	return d.sections[i-1]
}

// texts is the text of the head, then of each section.
func (d *Document) texts() []string {
	out := make([]string, 0, 1+len(d.sections))
	d.each(func(t string) { out = append(out, t) })
	return out
}

// each calls f with the text of the head, then of each section.
func (d *Document) each(f func(string)) {
	f(d.head.Text())
	for _, s := range d.sections {
		f(s.Text())
	}
}

// NewLine is the line ending the document uses ("\n" or "\r\n").
func (d *Document) NewLine() string { return d.nl }

// Sections returns the sections in file order. The slice must not be
// modified.
func (d *Document) Sections() []*Section { return d.sections }

// Section returns the section of that kind and name. Unnamed defaults
// sections are addressed as "unnamed_defaults_N" (N from 1, in file order),
// the name the Data Plane API gives them.
func (d *Document) Section(kind, name string) (*Section, bool) {
	if i, ok := d.sectionPos(kind, name); ok {
		return d.sections[i], true
	}
	return nil, false
}

func (d *Document) sectionPos(kind, name string) (int, bool) {
	if kind == KindDefaults {
		if n, ok := unnamedDefaultsNumber(name); ok {
			if n >= 1 && n <= len(d.index.unnamed) {
				return d.index.unnamed[n-1], true
			}
		}
	}
	i, ok := d.index.byKey[key(kind, name)]
	return i, ok
}

// reachable reports whether the section at pos is the one its kind and
// name address (not a later section with the same name).
func (d *Document) reachable(pos int) bool {
	s := d.sections[pos]
	if s.Kind == KindDefaults && s.Name == "" {
		return true
	}
	i, ok := d.index.byKey[key(s.Kind, s.Name)]
	return ok && i == pos
}

const unnamedDefaultsPrefix = "unnamed_defaults_"

func unnamedDefaultsNumber(name string) (int, bool) {
	if !strings.HasPrefix(name, unnamedDefaultsPrefix) {
		return 0, false
	}
	n, err := strconv.Atoi(name[len(unnamedDefaultsPrefix):])
	return n, err == nil
}

// SectionsOf returns the sections of one kind, in file order.
func (d *Document) SectionsOf(kind string) []*Section {
	var out []*Section
	for _, s := range d.sections {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

// APIName is the name a section has in the API: its own name, or
// unnamed_defaults_N for the N-th unnamed defaults section.
func (d *Document) APIName(s *Section) string {
	if s.Kind == KindDefaults && s.Name == "" {
		for n, i := range d.index.unnamed {
			if d.sections[i] == s {
				return unnamedDefaultsPrefix + strconv.Itoa(n+1)
			}
		}
	}
	return s.Name
}

// GlobalSection returns the global section, if the file has one.
func (d *Document) GlobalSection() (*Section, bool) { return d.Section(KindGlobal, "") }
