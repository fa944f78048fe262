package config

import (
	"fmt"
	"strings"
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

	parsed atomic.Pointer[[]Line]
	// model caches the typed view (Frontend, Backend, ...) of the section.
	model atomic.Value
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
func splitWords(line string) ([]string, string) {
	line = trimEOL(line)
	return common.StringSplitWithCommentIgnoreEmpty(line)
}

func trimEOL(line string) string {
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r")
}

// Header returns the raw header line.
func (s *Section) Header() string { return s.header }

// RawLines returns the raw body lines. The slice must not be modified.
func (s *Section) RawLines() []string { return s.lines }

// Lines returns the body split into words; blank and comment-only lines are
// left out. The result is computed once per section and shared.
func (s *Section) Lines() []Line {
	if p := s.parsed.Load(); p != nil {
		return *p
	}
	out := make([]Line, 0, len(s.lines))
	for i, raw := range s.lines {
		if isBlankOrComment(raw) {
			continue
		}
		words, comment := splitWords(raw)
		if len(words) == 0 {
			continue
		}
		out = append(out, Line{Index: i, Words: words, Comment: comment})
	}
	s.parsed.Store(&out)
	return out
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
