package config

import (
	"fmt"
	"strconv"
	"sync/atomic"
)

// HTTPErrorsSection is an `http-errors` section, the Data Plane API v3
// `http_errors_section` model: its `errorfile <code> <file>` lines, in
// order. Proxies use it with `errorfiles <name>` (or `http-error status
// <code> errorfiles <name>`).
type HTTPErrorsSection struct {
	Name       string      `json:"name"`
	ErrorFiles []ErrorFile `json:"error_files"`
	Meta                   // metadata: the trailing comment of its header line (metadata.go)
}

// ErrorFile is one `errorfile <code> <file>` line.
type ErrorFile struct {
	Code int64  `json:"code"`
	File string `json:"file"`
}

// errorFileCodes are the status codes HAProxy 2.6 takes in an errorfile
// (http_err_codes): the v3 list, and 421 and 422, which HAProxy 2.6 knows
// too and real files use.
var errorFileCodes = []int64{200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504}

var httpErrorsModel = registerSection(&sectionModel[HTTPErrorsSection]{
	info: SectionInfo{Kind: KindHTTPErrors, Path: "http_errors_sections", OpName: "HTTPErrorsSection", Tag: "HTTPErrors",
		Schema: "http_errors_section", Templated: true},
	fields: fieldSet[HTTPErrorsSection]{httpErrorsFilesField()},
	name:   func(m *HTTPErrorsSection) *string { return &m.Name },
	cache:  func(s *Section) *atomic.Value { return &s.model },
})

// httpErrorsFilesField: one `errorfile <code> <file>` line per entry, in order.
// A line the model cannot hold (an unknown code, a missing or extra word)
// makes a change of the list a refusal rather than a silent drop.
func httpErrorsFilesField() sectionField[HTTPErrorsSection] {
	kw := []string{"errorfile"}
	read := func(s *Section, m *HTTPErrorsSection) {
		// Never null: the v3 model requires the list.
		m.ErrorFiles = []ErrorFile{}
		for _, l := range s.Find(kw...) {
			if e, ok := parseErrorFile(l); ok {
				m.ErrorFiles = append(m.ErrorFiles, e)
			}
		}
	}
	words := func(m *HTTPErrorsSection) [][]string {
		var out [][]string
		for _, e := range m.ErrorFiles {
			out = append(out, []string{"errorfile", strconv.FormatInt(e.Code, 10), e.File})
		}
		return out
	}
	return sectionField[HTTPErrorsSection]{
		name: "error_files", matchers: [][]string{kw}, read: read, words: words,
		check: func(m *HTTPErrorsSection) error {
			for i, e := range m.ErrorFiles {
				field := fmt.Sprintf("error_files[%d]", i)
				if !knownErrorCode(e.Code) {
					return invalid(field+".code", "%d is not a status HAProxy serves from a file (%v)", e.Code, errorFileCodes)
				}
				if err := checkWord(field+".file", e.File); err != nil {
					return err
				}
			}
			return nil
		},
		same: sameRendered(read, words),
		refuse: func(s *Section, _ *HTTPErrorsSection) error {
			for _, l := range s.Find(kw...) {
				if _, ok := parseErrorFile(l); !ok {
					return unmodelledLine("error_files", l)
				}
			}
			return nil
		},
	}
}

func parseErrorFile(l Line) (ErrorFile, bool) {
	if len(l.Words) != 3 {
		return ErrorFile{}, false
	}
	code, err := strconv.ParseInt(l.Words[1], 10, 64)
	if err != nil || !knownErrorCode(code) || checkWord("file", l.Words[2]) != nil {
		return ErrorFile{}, false
	}
	return ErrorFile{Code: code, File: l.Words[2]}, true
}

func knownErrorCode(c int64) bool {
	for _, k := range errorFileCodes {
		if k == c {
			return true
		}
	}
	return false
}
