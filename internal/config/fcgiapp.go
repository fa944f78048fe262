package config

import (
	"fmt"
	"sync/atomic"

	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// FCGIApp is an `fcgi-app` section, the Data Plane API v3 `fcgi_app`
// model. Its ACLs are the acls collection.
type FCGIApp struct {
	Name        string           `json:"name"`
	Docroot     string           `json:"docroot"`
	Index       string           `json:"index,omitempty"`
	PathInfo    string           `json:"path_info,omitempty"`
	GetValues   string           `json:"get_values,omitempty"`
	KeepConn    string           `json:"keep_conn,omitempty"`
	MpxsConns   string           `json:"mpxs_conns,omitempty"`
	MaxReqs     *int64           `json:"max_reqs,omitempty"`
	PassHeaders []FCGIPassHeader `json:"pass_headers,omitempty"`
	SetParams   []FCGISetParam   `json:"set_params,omitempty"`
	LogStderrs  []FCGILogStderr  `json:"log_stderrs,omitempty"`
	Meta                         // metadata: the trailing comment of its header line (metadata.go)
}

// FCGIPassHeader is a `pass-header <name> [if|unless <cond>]` line.
type FCGIPassHeader struct {
	Name string `json:"name"`
	Condition
}

// FCGISetParam is a `set-param <name> <format> [if|unless <cond>]` line.
type FCGISetParam struct {
	Name   string `json:"name"`
	Format string `json:"format"`
	Condition
}

// FCGILogStderr is a `log-stderr` line: `log-stderr global`, or an
// address, facility and levels as on `log`.
type FCGILogStderr struct {
	Address  string         `json:"address,omitempty"`
	Facility string         `json:"facility,omitempty"`
	Format   string         `json:"format,omitempty"`
	Global   bool           `json:"global,omitempty"`
	Len      int64          `json:"len,omitempty"`
	Level    string         `json:"level,omitempty"`
	Minlevel string         `json:"minlevel,omitempty"`
	Sample   *FCGILogSample `json:"sample,omitempty"`
}

// FCGILogSample is the `sample <ranges>:<size>` of a log-stderr line.
type FCGILogSample struct {
	Ranges string `json:"ranges"`
	Size   int64  `json:"size"`
}

var fcgiAppModel = registerSection(&sectionModel[FCGIApp]{
	info: SectionInfo{Kind: KindFCGIApp, Path: "fcgi_apps", OpName: "FCGIApp", Tag: "FCGIApp", Schema: "fcgi_app", Templated: true},
	fields: fieldSet[FCGIApp]{
		wordField("docroot", []string{"docroot"}, nil, func(m *FCGIApp) *string { return &m.Docroot }),
		wordField("index", []string{"index"}, nil, func(m *FCGIApp) *string { return &m.Index }),
		textField("path_info", []string{"path-info"}, func(m *FCGIApp) *string { return &m.PathInfo }),
		optionToggleField("get_values", "get-values", func(m *FCGIApp) *string { return &m.GetValues }),
		optionToggleField("keep_conn", "keep-conn", func(m *FCGIApp) *string { return &m.KeepConn }),
		optionToggleField("mpxs_conns", "mpxs-conns", func(m *FCGIApp) *string { return &m.MpxsConns }),
		intField("max_reqs", []string{"option", "max-reqs"}, 1, 1<<31-1, func(m *FCGIApp) **int64 { return &m.MaxReqs }),
		lineListField("pass_headers", "pass-header", func(m *FCGIApp) *[]FCGIPassHeader { return &m.PassHeaders },
			func(l Line) (FCGIPassHeader, bool) {
				args, c := splitCondition(l.Words[1:])
				if len(args) != 1 {
					return FCGIPassHeader{}, false
				}
				return FCGIPassHeader{Name: args[0], Condition: c}, true
			},
			func(h *FCGIPassHeader) []string {
				return append([]string{"pass-header", h.Name}, h.Condition.words()...)
			},
			func(field string, h *FCGIPassHeader) error {
				if err := checkWord(field+".name", h.Name); err != nil {
					return err
				}
				return h.Condition.check()
			}),
		lineListField("set_params", "set-param", func(m *FCGIApp) *[]FCGISetParam { return &m.SetParams },
			func(l Line) (FCGISetParam, bool) {
				args, c := splitCondition(l.Words[1:])
				if len(args) != 2 {
					return FCGISetParam{}, false
				}
				return FCGISetParam{Name: args[0], Format: args[1], Condition: c}, true
			},
			func(p *FCGISetParam) []string {
				return append([]string{"set-param", p.Name, p.Format}, p.Condition.words()...)
			},
			func(field string, p *FCGISetParam) error {
				if err := checkWord(field+".name", p.Name); err != nil {
					return err
				}
				if err := checkOneWord(field+".format", p.Format); err != nil {
					return err
				}
				return p.Condition.check()
			}),
		lineListField("log_stderrs", "log-stderr", func(m *FCGIApp) *[]FCGILogStderr { return &m.LogStderrs },
			parseLogStderr, renderLogStderr,
			func(field string, ls *FCGILogStderr) error {
				t := logTargetOf(ls)
				if err := checkLogTarget(&t); err != nil {
					return fmt.Errorf("%s: %w", field, err)
				}
				return nil
			}),
	},
	name: func(m *FCGIApp) *string { return &m.Name },
	check: func(m *FCGIApp) error {
		if m.Docroot == "" {
			return invalid("docroot", "is required")
		}
		return nil
	},
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// splitCondition splits the words after a keyword into its arguments and
// its trailing `if|unless <test>`.
func splitCondition(words []string) ([]string, Condition) {
	for i, w := range words {
		if w == "if" || w == "unless" {
			return words[:i], Condition{Cond: w, CondTest: joinWords(words[i+1:])}
		}
	}
	return words, Condition{}
}

// log-stderr takes the arguments of `log`: config-parser's log parser
// reads and writes them.
func parseLogStderr(l Line) (FCGILogStderr, bool) {
	t, ok := cpParse[types.Log](&parsers.Log{}, Line{Words: append([]string{"log"}, l.Words[1:]...)})
	if !ok || t.NoLog {
		return FCGILogStderr{}, false
	}
	m := FCGILogStderr{Address: t.Address, Facility: t.Facility, Format: t.Format, Global: t.Global,
		Len: t.Length, Level: t.Level, Minlevel: t.MinLevel}
	if t.SampleRange != "" {
		m.Sample = &FCGILogSample{Ranges: t.SampleRange, Size: t.SampleSize}
	}
	return m, equalWords(renderLogStderr(&m), l.Words)
}

func renderLogStderr(m *FCGILogStderr) []string {
	t := logTargetOf(m)
	w := cpWords(&parsers.Log{}, &types.Log{Address: t.Address, Facility: t.Facility, Format: t.Format,
		Global: t.Global, Length: t.Length, Level: t.Level, MinLevel: t.Minlevel,
		SampleRange: t.SampleRange, SampleSize: t.SampleSize})
	if len(w) == 0 {
		return nil
	}
	return append([]string{"log-stderr"}, w[1:]...)
}

func logTargetOf(m *FCGILogStderr) LogTarget {
	t := LogTarget{Address: m.Address, Facility: m.Facility, Format: m.Format, Global: m.Global,
		Length: m.Len, Level: m.Level, Minlevel: m.Minlevel}
	if m.Sample != nil {
		t.SampleRange, t.SampleSize = m.Sample.Ranges, m.Sample.Size
	}
	return t
}

// lineListField: one line of keyword kw per item of a list, in order. A
// line parse cannot read is no item; a change of the list is refused while
// the section holds one (it would be lost).
func lineListField[T, I any](json, kw string, get func(*T) *[]I, parse func(Line) (I, bool),
	render func(*I) []string, check func(field string, it *I) error) sectionField[T] {
	kws := []string{kw}
	read := func(s *Section, m *T) {
		for _, l := range s.Find(kws...) {
			if it, ok := parse(l); ok {
				*get(m) = append(*get(m), it)
			}
		}
	}
	words := func(m *T) [][]string {
		var out [][]string
		for i := range *get(m) {
			out = append(out, render(&(*get(m))[i]))
		}
		return out
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kws}, reads: [][]string{kws}, read: read, words: words,
		check: func(m *T) error {
			for i := range *get(m) {
				field := fmt.Sprintf("%s[%d]", json, i)
				if err := check(field, &(*get(m))[i]); err != nil {
					return err
				}
				if render(&(*get(m))[i]) == nil {
					return invalid(field, "cannot be written")
				}
			}
			return nil
		},
		same: sameRendered(read, words),
		refuse: func(s *Section, _ *T) error {
			for _, l := range s.Find(kws...) {
				if _, ok := parse(l); !ok {
					return invalid(json, "the line %q is not one the API can rewrite: edit it with the raw configuration endpoint", joinWords(l.Words))
				}
			}
			return nil
		},
	}
}
