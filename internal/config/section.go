package config

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/haproxytech/config-parser/v5/common"
)

// Section is one section of the file: its header line and the raw lines that
// follow it (comments and blank lines included) up to the next header. A
// Section is immutable; edits build a new one.
type Section struct {
	Kind string // header keyword: "global", "defaults", "frontend", ...
	Name string // "" for global and unnamed defaults
	From string // the defaults section named by `from` on the header line

	header string   // raw header line, terminator included ("" for the head)
	lines  []string // raw body lines, terminators included

	parsed atomic.Pointer[parsedLines]
	// model caches the typed view (Frontend, Backend, ...) of the section.
	model atomic.Value
	// lists caches the long item lists of collections read for the API
	// (Collection.shared): key the collection, value its []T.
	lists sync.Map
	// raw is the section's bytes (header and body) as read from the file,
	// shared with the file's own bytes; "" for a section an edit built,
	// whose text is joined when needed (edited sections are few: those a
	// transaction or the commits since the last load changed).
	raw string
}

// Text returns the section's bytes: its header line and body lines, so
// that writing a document costs one copy per section instead of one call
// per line (a transaction rewrites its staged file on every edit). A
// section must not change once its text has been asked for (sections are
// immutable once they are part of a document).
func (s *Section) Text() string {
	if s.raw != "" {
		return s.raw
	}
	n := len(s.header)
	for _, l := range s.lines {
		n += len(l)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(s.header)
	for _, l := range s.lines {
		b.WriteString(l)
	}
	return b.String()
}

// Line is one body line split into words the way HAProxy splits them:
// quotes stay inside the words, the trailing comment is set apart.
type Line struct {
	Index   int // position in the section body
	Words   []string
	Comment string
}

// Keyword reports whether the line starts with the given words.
func (l Line) Keyword(words ...string) bool {
	if len(l.Words) < len(words) {
		return false
	}
	for i, w := range words {
		if l.Words[i] != w {
			return false
		}
	}
	return true
}

// Arg returns word i, or "" when the line is shorter.
func (l Line) Arg(i int) string {
	if i < len(l.Words) {
		return l.Words[i]
	}
	return ""
}

func newSectionFromHeader(kind, header string) (*Section, error) {
	words, _ := splitWords(header)
	s := &Section{Kind: kind, header: header}
	rest := words[1:]
	if len(rest) > 0 && rest[0] != "from" {
		s.Name = rest[0]
		rest = rest[1:]
	}
	if len(rest) >= 2 && rest[0] == "from" {
		s.From = rest[1]
	}
	if kind == KindGlobal {
		s.Name = ""
	}
	return s, nil
}

// splitWords splits one line into words and its trailing comment, with the
// line terminator removed first. config-parser's splitter knows HAProxy's
// quoting and escaping rules.
//
// Most lines hold no quote, backslash, comment or non-ASCII byte; for them
// the splitter's result is exactly the blank-separated fields, which
// splitPlain returns as substrings of the line. That avoids the splitter's
// rune-by-rune string building, which was the largest cost of the first
// read of a 10,000-backend file (TestSplitWordsFastPath checks both agree).
func splitWords(line string) ([]string, string) {
	line = trimEOL(line)
	if words, ok := splitPlain(line); ok {
		return words, ""
	}
	return common.StringSplitWithCommentIgnoreEmpty(line)
}

// splitPlain splits a line on spaces and tabs when it has no byte the
// HAProxy splitter treats specially (quotes, backslash, '#') and no
// non-ASCII byte (the splitter rewrites invalid UTF-8); ok is false
// otherwise. The result is never nil, like the splitter's.
func splitPlain(line string) ([]string, bool) {
	n, ok := countPlain(line)
	if !ok {
		return nil, false
	}
	return appendFields(make([]string, 0, n), line), true
}

// countPlain counts the words of a plain line; ok is false when the line
// is not plain.
func countPlain(line string) (n int, ok bool) {
	inWord := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			inWord = false
		case c == '"' || c == '\'' || c == '\\' || c == '#' || c >= 0x80:
			return 0, false
		default:
			if !inWord {
				n++
				inWord = true
			}
		}
	}
	return n, true
}

func trimEOL(line string) string {
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r")
}

// appendFields appends the blank-separated words of line, as substrings.
func appendFields(words []string, line string) []string {
	start := -1
	for i := 0; i <= len(line); i++ {
		if i == len(line) || line[i] == ' ' || line[i] == '\t' {
			if start >= 0 {
				words = append(words, line[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return words
}

// Header returns the raw header line.
func (s *Section) Header() string { return s.header }

// RawLines returns the raw body lines. The slice must not be modified.
func (s *Section) RawLines() []string { return s.lines }

// Lines returns the body split into words; blank and comment-only lines are
// left out. The result is computed once per section and shared.
func (s *Section) Lines() []Line { return s.parsedLines().lines }

// parsedLines is the split body of a section, with a summary of its
// keywords that lets a lookup skip sections without the keyword.
type parsedLines struct {
	lines []Line
	// first has bit keywordBit(w) set for the first word w of every line;
	// second, bit keywordBit2(w0, w1) for the first two words.
	first, second uint64
}

func (s *Section) parsedLines() *parsedLines {
	if p := s.parsed.Load(); p != nil {
		return p
	}
	p := parseLines(s.lines)
	s.parsed.Store(p)
	return p
}

// parseLines splits the body lines. The words of plain lines (the common
// case, see splitPlain) share one backing array per section instead of
// one allocation per line: building the typed views of a 10,000-backend
// file allocated 40,000 small slices otherwise.
func parseLines(raw []string) *parsedLines {
	// counts[i] is the number of words of plain line i, -1 for the other
	// lines, -2 for blank and comment lines (which take no Line: a section
	// of comments must not cost a Line per comment).
	var buf [64]int
	counts := buf[:0]
	words, kept := 0, 0
	for _, r := range raw {
		if isBlankOrComment(r) {
			counts = append(counts, -2)
			continue
		}
		kept++
		n, ok := countPlain(trimEOL(r))
		if !ok {
			n = -1
		} else {
			words += n
		}
		counts = append(counts, n)
	}
	backing := make([]string, 0, words)
	p := &parsedLines{lines: make([]Line, 0, kept)}
	for i, r := range raw {
		if counts[i] == -2 {
			continue
		}
		var w []string
		var comment string
		if line := trimEOL(r); counts[i] >= 0 {
			start := len(backing)
			backing = appendFields(backing, line)
			// Full slice expression: an append to one line's words must
			// not overwrite the next line's.
			w = backing[start:len(backing):len(backing)]
		} else {
			w, comment = common.StringSplitWithCommentIgnoreEmpty(line)
		}
		if len(w) == 0 {
			continue
		}
		p.lines = append(p.lines, Line{Index: i, Words: w, Comment: comment})
		p.first |= keywordBit(w[0])
		if len(w) > 1 {
			p.second |= keywordBit2(w[0], w[1])
		}
	}
	return p
}

// keywordBit maps a word to one of 64 bits. It is a filter, not an
// identity: it looks only at the length and the first and last bytes, so
// that a lookup costs a few nanoseconds (it runs ~100 times per section
// when a typed view is built).
func keywordBit(w string) uint64 { return 1 << (wordHash(w) & 63) }

// keywordBit2 maps two words to one of 64 bits.
func keywordBit2(w0, w1 string) uint64 {
	return 1 << ((wordHash(w0)*31 + wordHash(w1)) & 63)
}

func wordHash(w string) uint64 {
	if len(w) == 0 {
		return 0
	}
	return uint64(len(w))*131 + uint64(w[0])*17 + uint64(w[len(w)-1])
}

// mayHaveAny reports whether a line could start with the words of one of
// the matchers.
func (p *parsedLines) mayHaveAny(matchers [][]string) bool {
	for _, m := range matchers {
		if p.mayHave(m) {
			return true
		}
	}
	return false
}

// mayHave reports whether a line could start with the words of matcher m:
// false means no line does.
func (p *parsedLines) mayHave(m []string) bool {
	switch len(m) {
	case 0:
		return true
	case 1:
		return p.first&keywordBit(m[0]) != 0
	default:
		return p.second&keywordBit2(m[0], m[1]) != 0
	}
}

func isBlankOrComment(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case '#':
			return true
		default:
			return false
		}
	}
	return true
}

// Find returns the lines that start with the given words, in order.
func (s *Section) Find(words ...string) []Line {
	var out []Line
	for _, l := range s.Lines() {
		if l.Keyword(words...) {
			out = append(out, l)
		}
	}
	return out
}

// Last returns the last line that starts with the given words. HAProxy lets
// a later line of a single-valued keyword override an earlier one.
func (s *Section) Last(words ...string) (Line, bool) {
	lines := s.Lines()
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].Keyword(words...) {
			return lines[i], true
		}
	}
	return Line{}, false
}

// Has reports whether a line starts with the given words.
func (s *Section) Has(words ...string) bool {
	_, ok := s.Last(words...)
	return ok
}

// String names the section for messages: "backend be_app".
func (s *Section) String() string {
	if s.Name == "" {
		return s.Kind
	}
	return fmt.Sprintf("%s %s", s.Kind, s.Name)
}

// indent returns the indentation new lines in this section should use: that
// of the last keyword line, or four spaces.
func (s *Section) indent() string {
	lines := s.Lines()
	for i := len(lines) - 1; i >= 0; i-- {
		raw := s.lines[lines[i].Index]
		j := 0
		for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t') {
			j++
		}
		if j > 0 {
			return raw[:j]
		}
	}
	return "    "
}
