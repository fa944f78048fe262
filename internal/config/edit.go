package config

import (
	"fmt"
	"strings"
)

// lineEdit collects changes to one section body and applies them in one
// pass, so indexes in the plan always refer to the original lines.
type lineEdit struct {
	s     *Section
	nl    string
	repl  map[int]string
	del   map[int]bool
	after map[int][]string // -1: right after the header
	// err is the first line that could not be written (too long).
	err error
}

// lineTooLong refuses a rendered line HAProxy could not read.
func lineTooLong(line string) error {
	if len(line) > MaxLineLength {
		return invalid("value", "the line it makes is %d bytes long, over the limit of %d", len(line), MaxLineLength)
	}
	return nil
}

// fail records why the edit cannot be made; the first reason wins.
func (e *lineEdit) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *lineEdit) keep(line string) string {
	if err := lineTooLong(line); err != nil && e.err == nil {
		e.err = err
	}
	return line
}

func newLineEdit(s *Section, nl string) *lineEdit {
	return &lineEdit{s: s, nl: nl, repl: map[int]string{}, del: map[int]bool{}, after: map[int][]string{}}
}

// replaceWords re-renders line i with new words, keeping its indentation and
// its trailing comment.
func (e *lineEdit) replaceWords(i int, words []string) {
	_, comment := splitWords(e.s.lines[i])
	e.replaceLine(i, words, comment)
}

// replaceLine re-renders line i with new words and trailing comment
// ("": none), keeping its indentation.
func (e *lineEdit) replaceLine(i int, words []string, comment string) {
	raw := e.s.lines[i]
	e.repl[i] = e.keep(leadingBlank(raw) + renderWords(words, comment) + e.eol(raw))
}

func (e *lineEdit) delete(i int) { e.del[i] = true }

// render builds a new raw line.
func (e *lineEdit) render(indent string, words []string, comment string) string {
	return e.keep(indent + renderWords(words, comment) + e.nl)
}

// insertRaw puts raw lines (terminators included) after body line i (-1:
// first in the body), after those already inserted there.
func (e *lineEdit) insertRaw(i int, raw ...string) {
	e.after[i] = append(e.after[i], raw...)
}

// indentOf returns the indentation of body line i, or the section's when
// the line has none.
func (e *lineEdit) indentOf(i int) string {
	if i >= 0 && i < len(e.s.lines) {
		if b := leadingBlank(e.s.lines[i]); b != "" {
			return b
		}
	}
	return e.s.indent()
}

// commit returns the document with the edited section at pos (d itself
// when nothing changed), or the edit's error.
func (e *lineEdit) commit(d *Document, pos int, k Key) (*Document, Key, error) {
	if e.err != nil {
		return nil, Key{}, e.err
	}
	if !e.changed() {
		return d, k, nil
	}
	return d.withSection(pos, e.build()), k, nil
}

// attachedStart returns the index of the first of the comment lines
// directly above body line i (no blank line between), or i when there
// are none: they describe the line and move with it.
func attachedStart(s *Section, i int) int {
	j := i
	for j > 0 {
		raw := s.lines[j-1]
		if !isBlankOrComment(raw) || isBlank(raw) {
			break
		}
		j--
	}
	return j
}

func isBlank(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// insertAfter puts a new line after body line i (-1: first in the body).
func (e *lineEdit) insertAfter(i int, words []string) {
	e.insertLineAfter(i, words, "")
}

// insertLineAfter is insertAfter with a trailing comment ("": none).
func (e *lineEdit) insertLineAfter(i int, words []string, comment string) {
	e.after[i] = append(e.after[i], e.keep(e.s.indent()+renderWords(words, comment)+e.nl))
}

// add inserts a new line after the last line of the same keyword, else
// after the last keyword line of the section (so trailing blank lines and
// comments that introduce the next section stay where they are), else right
// after the header.
func (e *lineEdit) add(keyword []string, words []string) {
	e.addLine(keyword, words, "")
}

// addLine is add with a trailing comment ("": none).
func (e *lineEdit) addLine(keyword []string, words []string, comment string) {
	st := structureOf(e.s)
	pos := -1
	for _, l := range e.s.Lines() {
		if l.Index <= st.contentEnd && l.Keyword(keyword...) {
			pos = l.Index
		}
	}
	if pos < 0 {
		pos = st.contentEnd
	}
	// A new line does not go into a conditional block (.if ... .endif) it
	// was not asked to go into: after the block instead.
	if end, ok := st.blockEnd[pos]; ok {
		pos = end
	}
	e.insertLineAfter(pos, words, comment)
}

// structure describes the conditional blocks of a section body.
type structure struct {
	// contentEnd is the index of the last body line that belongs to the
	// section: blank lines, comments and unclosed `.if` lines after it
	// introduce what follows. -1 when there is none.
	contentEnd int
	// blockEnd maps a line inside a block closed within the section to the
	// index of the `.endif` that closes its outermost block; blockStart,
	// to the index of the `.if` that opens it.
	blockEnd, blockStart map[int]int
	// branch maps each keyword line that is not in the branch the section
	// header is in to the branch it is in: the index of the `.if`,
	// `.elif` or `.else` line that opens it, or of the unmatched `.endif`,
	// `.elif` or `.else` line that ended the block the header was in (a
	// section may start inside a block opened before it). Lines the same
	// conditions govern share a branch; lines of the header's branch are
	// not in the map.
	branch map[int]int
}

// conditional reports whether body line i sits inside a conditional block
// (relative to the section header), so that it is not read in every run.
func (st structure) conditional(i int) bool {
	_, ok := st.branch[i]
	return ok
}

func structureOf(s *Section) structure {
	st := structure{contentEnd: -1, blockEnd: map[int]int{}, blockStart: map[int]int{}, branch: map[int]int{}}
	var open []int // body indexes of open .if lines
	var inside []int
	// branches[k] is the branch of the k-th open block; base is the branch
	// outside them (-1: the header's).
	var branches []int
	base := -1
	lines := s.Lines()
	for _, l := range lines {
		cur := base
		if k := len(branches); k > 0 {
			cur = branches[k-1]
		}
		if cur != -1 {
			st.branch[l.Index] = cur
		}
		switch l.Words[0] {
		case ".if":
			branches = append(branches, l.Index)
		case ".elif", ".else":
			if k := len(branches); k > 0 {
				branches[k-1] = l.Index
			} else {
				base = l.Index
			}
		case ".endif":
			if k := len(branches); k > 0 {
				branches = branches[:k-1]
			} else {
				base = l.Index
			}
		}
		switch l.Words[0] {
		case ".if":
			open = append(open, l.Index)
		case ".endif":
			if len(open) > 0 {
				open = open[:len(open)-1]
				if len(open) == 0 {
					start := l.Index
					if len(inside) > 0 {
						start = inside[0]
					}
					for _, i := range inside {
						st.blockEnd[i] = l.Index
						st.blockStart[i] = start
					}
					inside = inside[:0]
					st.blockEnd[l.Index] = l.Index
					st.blockStart[l.Index] = start
					continue
				}
			}
		}
		if len(open) > 0 {
			inside = append(inside, l.Index)
		}
	}
	firstOpen := len(s.lines)
	if len(open) > 0 {
		firstOpen = open[0]
	}
	for _, l := range lines {
		if l.Index < firstOpen {
			st.contentEnd = l.Index
		}
	}
	for _, i := range inside {
		delete(st.blockEnd, i) // unclosed: not a block of this section
		delete(st.blockStart, i)
	}
	return st
}

// set makes the section hold exactly one line for keyword with the given
// words: the last existing line is rewritten in place (earlier duplicates,
// which HAProxy would ignore, are removed), or a new line is added.
func (e *lineEdit) set(keyword []string, words []string) {
	found := e.s.Find(keyword...)
	if len(found) == 0 {
		e.add(keyword, words)
		return
	}
	last := found[len(found)-1]
	for _, l := range found[:len(found)-1] {
		e.delete(l.Index)
	}
	if !equalWords(last.Words, words) {
		e.replaceWords(last.Index, words)
	}
}

// unset removes every line that starts with keyword.
func (e *lineEdit) unset(keyword ...string) {
	for _, l := range e.s.Find(keyword...) {
		e.delete(l.Index)
	}
}

func (e *lineEdit) changed() bool {
	return len(e.repl) > 0 || len(e.del) > 0 || len(e.after) > 0
}

// eol returns the terminator a replaced line keeps: its own, or the
// document's when it had none (last line of a file without final newline).
func (e *lineEdit) eol(raw string) string {
	switch {
	case strings.HasSuffix(raw, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(raw, "\n"):
		return "\n"
	}
	return ""
}

// build returns the new section. The old one is left untouched. When the
// old section's lines were split already, the new one reuses the words of
// every line it keeps and splits only the lines the edit wrote: an edit of
// a section of thousands of lines (a long ACL or rule list) then costs a
// copy of its line list, not a new split of its text.
func (e *lineEdit) build() *Section {
	old := e.s
	n := &Section{Kind: old.Kind, Name: old.Name, From: old.From, header: old.header}
	out := make([]string, 0, len(old.lines)+len(e.after))
	split := newSplitCarry(old.parsed.Load(), len(old.lines), len(old.lines)+len(e.after))
	// emit appends a line; from is its index in the old section, or -1
	// for a line the edit wrote.
	emit := func(l string, from int) {
		// A line without terminator (end of a file with no final newline)
		// gets one when something follows it.
		if k := len(out); k > 0 && !strings.HasSuffix(out[k-1], "\n") {
			out[k-1] += e.nl
		}
		out = append(out, l)
		split.add(l, from, len(out)-1)
	}
	if ins := e.after[-1]; len(ins) > 0 {
		if !strings.HasSuffix(n.header, "\n") {
			n.header += e.nl
		}
		for _, l := range ins {
			emit(l, -1)
		}
	}
	for i, l := range old.lines {
		if !e.del[i] {
			if r, ok := e.repl[i]; ok {
				emit(r, -1)
			} else {
				emit(l, i)
			}
		}
		for _, ins := range e.after[i] {
			emit(ins, -1)
		}
	}
	n.lines = out
	if p := split.result(); p != nil {
		n.parsed.Store(p)
	}
	return n
}

// splitCarry builds the split lines of an edited section from those of
// the section it was made from.
type splitCarry struct {
	old *parsedLines
	at  []int32 // old body index -> position in old.lines, or -1
	p   *parsedLines
}

func newSplitCarry(old *parsedLines, oldLines, capacity int) *splitCarry {
	if old == nil {
		return &splitCarry{}
	}
	c := &splitCarry{old: old, at: make([]int32, oldLines), p: &parsedLines{lines: make([]Line, 0, capacity)}}
	for i := range c.at {
		c.at[i] = -1
	}
	for j, l := range old.lines {
		c.at[l.Index] = int32(j)
	}
	return c
}

// add records the line at new index i, taken from old index from (-1: new).
func (c *splitCarry) add(raw string, from, i int) {
	if c.p == nil {
		return
	}
	var l Line
	switch {
	case from >= 0 && c.at[from] >= 0:
		l = c.old.lines[c.at[from]]
	case from >= 0, isBlankOrComment(raw):
		return // a blank or comment line, kept or new
	default:
		w, comment := splitWords(raw)
		if len(w) == 0 {
			return
		}
		l = Line{Words: w, Comment: comment}
	}
	l.Index = i
	c.p.lines = append(c.p.lines, l)
	c.p.first |= keywordBit(l.Words[0])
	if len(l.Words) > 1 {
		c.p.second |= keywordBit2(l.Words[0], l.Words[1])
	}
}

func (c *splitCarry) result() *parsedLines { return c.p }

func leadingBlank(raw string) string {
	j := 0
	for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t') {
		j++
	}
	return raw[:j]
}

func renderWords(words []string, comment string) string {
	s := strings.Join(words, " ")
	if comment != "" {
		s += " # " + comment
	}
	return s
}

func equalWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// withSection returns a copy of d whose section at pos is s. The index is
// shared when the section keeps its kind and name.
func (d *Document) withSection(pos int, s *Section) *Document {
	n := d.shallowCopy()
	n.sections = make([]*Section, len(d.sections))
	copy(n.sections, d.sections)
	old := n.sections[pos]
	n.sections[pos] = s
	if old.Kind != s.Kind || old.Name != s.Name {
		n.index, _ = buildIndex(n.sections)
	}
	return n
}

// EditSection applies f to a line editor of the section (kind, name) and
// returns the new document, or d itself when f changed nothing.
func (d *Document) editSection(kind, name string, f func(e *lineEdit) error) (*Document, error) {
	pos, ok := d.sectionPos(kind, name)
	if !ok {
		return nil, fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	}
	e := newLineEdit(d.sections[pos], d.nl)
	if err := f(e); err != nil {
		return nil, err
	}
	if e.err != nil {
		return nil, e.err
	}
	if !e.changed() {
		return d, nil
	}
	return d.withSection(pos, e.build()), nil
}

// addSection inserts a new section with the given header words and body
// lines after the last section of the same kind (else, or when atEnd, at
// the end of the file), separated by a blank line. Blank lines and comments that ended the
// section it follows (they usually introduce the next section) move below
// the new one, so the layout of the file is kept.
func (d *Document) addSection(kind, name string, headerWords []string, body [][]string, atEnd bool) (*Document, error) {
	return d.addSectionWithComment(kind, name, headerWords, "", body, atEnd)
}

// addSectionWithComment is addSection with the header line's trailing
// comment ("": none).
func (d *Document) addSectionWithComment(kind, name string, headerWords []string, comment string, body [][]string, atEnd bool) (*Document, error) {
	if _, exists := d.sectionPos(kind, name); exists {
		return nil, fmt.Errorf("%s %q: %w", kind, name, ErrExists)
	}
	indent := "    "
	prevPos := -1
	if !atEnd {
		for i, s := range d.sections {
			if s.Kind == kind {
				prevPos = i
			}
		}
	}
	if prevPos < 0 {
		prevPos = len(d.sections) - 1
	}
	if prevPos >= 0 {
		indent = d.sections[prevPos].indent()
	} else if d.usesTabs() {
		indent = "\t"
	}

	ns := &Section{Kind: kind, Name: name, header: renderWords(headerWords, comment) + d.nl}
	if err := lineTooLong(ns.header); err != nil {
		return nil, err
	}
	for _, w := range body {
		line := indent + renderWords(w, "") + d.nl
		if err := lineTooLong(line); err != nil {
			return nil, err
		}
		ns.lines = append(ns.lines, line)
	}
	if len(headerWords) >= 4 && headerWords[2] == "from" {
		ns.From = headerWords[3]
	}

	n := d.shallowCopy()
	n.sections = make([]*Section, 0, len(d.sections)+1)
	if prevPos < 0 {
		// No section at all: the new one follows the head.
		h := &Section{lines: append([]string(nil), d.head.lines...)}
		if len(h.lines) > 0 {
			h.lines = endWithBlank(h.lines, d.nl)
		}
		n.head = h
		n.sections = append(n.sections, ns)
	} else {
		prev := d.sections[prevPos]
		keep, trailing := splitTrailing(prev)
		np := &Section{Kind: prev.Kind, Name: prev.Name, From: prev.From, header: prev.header}
		if !strings.HasSuffix(np.header, "\n") {
			np.header += d.nl
		}
		np.lines = endWithBlank(append([]string(nil), keep...), d.nl)
		if len(trailing) > 0 {
			if isBlankOrComment(trailing[0]) && strings.TrimSpace(trailing[0]) == "" {
				// np already ends with the separating blank line.
				trailing = trailing[1:]
			}
			ns.lines = append(ns.lines, d.nl)
			ns.lines = append(ns.lines, trailing...)
		}
		n.sections = append(n.sections, d.sections[:prevPos]...)
		n.sections = append(n.sections, np, ns)
		n.sections = append(n.sections, d.sections[prevPos+1:]...)
	}
	var err error
	n.index, err = buildIndex(n.sections)
	return n, err
}

// deleteSection removes a section. Lines that ended it without belonging
// to it (blank lines, comments introducing the next section) are kept.
func (d *Document) deleteSection(kind, name string) (*Document, error) {
	pos, ok := d.sectionPos(kind, name)
	if !ok {
		return nil, fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	}
	_, trailing := splitTrailing(d.sections[pos])
	n := d.shallowCopy()
	n.sections = make([]*Section, 0, len(d.sections)-1)
	n.sections = append(n.sections, d.sections[:pos]...)
	var prev *Section
	if pos > 0 {
		p := d.sections[pos-1]
		prev = &Section{Kind: p.Kind, Name: p.Name, From: p.From, header: p.header, lines: append([]string(nil), p.lines...)}
		n.sections[pos-1] = prev
	} else {
		prev = &Section{lines: append([]string(nil), d.head.lines...)}
		n.head = prev
	}
	if len(prev.lines) > 0 && strings.TrimSpace(prev.lines[len(prev.lines)-1]) == "" {
		for len(trailing) > 0 && strings.TrimSpace(trailing[0]) == "" {
			trailing = trailing[1:]
		}
	}
	prev.lines = append(prev.lines, trailing...)
	n.sections = append(n.sections, d.sections[pos+1:]...)
	var err error
	n.index, err = buildIndex(n.sections)
	return n, err
}

// splitTrailing splits a section body into its lines up to the last keyword
// line and the blank/comment lines after it.
func splitTrailing(s *Section) (keep, trailing []string) {
	end := structureOf(s).contentEnd
	if end < 0 {
		// Only blank lines and comments: they belong to what follows.
		return nil, s.lines
	}
	return s.lines[:end+1], s.lines[end+1:]
}

// endWithBlank makes lines end with a terminated blank line.
func endWithBlank(lines []string, nl string) []string {
	if k := len(lines); k > 0 && !strings.HasSuffix(lines[k-1], "\n") {
		lines[k-1] += nl
	}
	if k := len(lines); k > 0 && strings.TrimSpace(lines[k-1]) == "" {
		return lines
	}
	return append(lines, nl)
}

func (d *Document) usesTabs() bool {
	for _, s := range d.sections {
		for _, l := range s.lines {
			if strings.HasPrefix(l, "\t") {
				return true
			}
		}
	}
	return false
}
