package config

import "fmt"

// Traces is the `traces` section (HAProxy 3.1+), the Data Plane API v3
// `traces` model: one section without a name, whose `trace <args...>` lines
// are its entries. It is served at /traces (read, create, replace, delete)
// and /traces/entries (add or remove one entry), not by the section
// template: a section without a name has no /{name} path.
type Traces struct {
	Entries []TraceEntry `json:"entries,omitempty"`
}

// TraceEntry is one `trace` line: its words after the keyword, as written.
type TraceEntry struct {
	Trace string `json:"trace"`
}

var tracesFields = fieldSet[Traces]{
	lineListField("entries", "trace", func(m *Traces) *[]TraceEntry { return &m.Entries },
		func(l Line) (TraceEntry, bool) {
			if len(l.Words) < 2 {
				return TraceEntry{}, false
			}
			return TraceEntry{Trace: joinWords(l.Words[1:])}, true
		},
		func(e *TraceEntry) []string {
			w, _ := splitWords(e.Trace)
			return append([]string{"trace"}, w...)
		},
		func(field string, e *TraceEntry) error { return checkText(field+".trace", e.Trace) }),
}

// TracesSection returns the traces section.
func (d *Document) TracesSection() (Traces, error) {
	s, ok := d.Section(KindTraces, "")
	if !ok {
		return Traces{}, fmt.Errorf("traces section: %w", ErrNotFound)
	}
	var m Traces
	tracesFields.read(s, &m)
	return m, nil
}

// CreateTraces adds the traces section at the end of the file; 409 when
// the file has one.
func (d *Document) CreateTraces(m Traces) (*Document, error) {
	if err := tracesFields.check(&m); err != nil {
		return nil, err
	}
	return d.addSection(KindTraces, "", []string{KindTraces}, tracesFields.sectionWords(&m), true)
}

// ReplaceTraces makes the traces section hold m's entries: the trace
// lines change, other lines (comments) stay.
func (d *Document) ReplaceTraces(m Traces) (*Document, error) {
	pos, ok := d.sectionPos(KindTraces, "")
	if !ok {
		return nil, fmt.Errorf("traces section: %w", ErrNotFound)
	}
	if err := tracesFields.check(&m); err != nil {
		return nil, err
	}
	s := d.sections[pos]
	e := newLineEdit(s, d.nl)
	tracesFields.write(e, &m)
	if e.err != nil {
		return nil, e.err
	}
	if !e.changed() {
		return d, nil
	}
	return d.withSection(pos, e.build()), nil
}

// DeleteTraces removes the traces section.
func (d *Document) DeleteTraces() (*Document, error) { return d.deleteSection(KindTraces, "") }

// AddTraceEntry adds a trace line after the others, creating the section
// when the file has none (the contract's create of an entry has no 404);
// 409 when the section has that entry.
func (d *Document) AddTraceEntry(t TraceEntry) (*Document, error) {
	m, err := d.TracesSection()
	if err != nil {
		return d.CreateTraces(Traces{Entries: []TraceEntry{t}})
	}
	if err := checkText("trace", t.Trace); err != nil {
		return nil, err
	}
	t = normalTrace(t)
	for _, e := range m.Entries {
		if e == t {
			return nil, fmt.Errorf("trace %q: %w", t.Trace, ErrExists)
		}
	}
	m.Entries = append(m.Entries, t)
	return d.ReplaceTraces(m)
}

// DeleteTraceEntry removes the trace line equal to t (words compared as
// written); 404 when there is none.
func (d *Document) DeleteTraceEntry(t TraceEntry) (*Document, error) {
	m, err := d.TracesSection()
	if err != nil {
		return nil, err
	}
	t = normalTrace(t)
	for i, e := range m.Entries {
		if e == t {
			m.Entries = append(m.Entries[:i], m.Entries[i+1:]...)
			return d.ReplaceTraces(m)
		}
	}
	return nil, fmt.Errorf("trace %q: %w", t.Trace, ErrNotFound)
}

// normalTrace is t as a read gives it back: its words joined by one space.
func normalTrace(t TraceEntry) TraceEntry {
	w, _ := splitWords(t.Trace)
	return TraceEntry{Trace: joinWords(w)}
}
