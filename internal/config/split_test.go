package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/haproxytech/config-parser/v5/common"
)

var splitCases = []string{
	"", "   ", "\t", "server s1 127.0.0.1:80 check weight 10 inter 2s",
	"  balance\troundrobin  ", "option httpchk GET /health\n", "a  b\r\n",
	"x\ry z", `http-request set-header X "a b"`, "a # comment", "#only",
	`acl a path_beg /\ x`, "log 'a b' x", "né word", "bad \xff byte",
	"use_backend %[req.hdr(host),lower]", "a\\ b", "tab\tsep\t",
}

// TestSplitWordsFastPath checks that the plain-line fast path gives
// exactly what config-parser's splitter gives.
func TestSplitWordsFastPath(t *testing.T) {
	for _, c := range splitCases {
		checkSplit(t, c)
	}
}

func FuzzSplitWords(f *testing.F) {
	for _, c := range splitCases {
		f.Add(c)
	}
	f.Fuzz(checkSplit)
}

func checkSplit(t *testing.T, line string) {
	wantWords, wantComment := common.StringSplitWithCommentIgnoreEmpty(trimEOL(line))
	words, comment := splitWords(line)
	if !reflect.DeepEqual(words, wantWords) || comment != wantComment {
		t.Errorf("splitWords(%q) = %q, %q; config-parser gives %q, %q", line, words, comment, wantWords, wantComment)
	}
}

// TestParseLinesMatchesSplitter checks the per-section splitting (shared
// word storage, keyword summary) against config-parser's splitter, line by
// line, on every golden file.
func TestParseLinesMatchesSplitter(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.cfg"))
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range d.Sections() {
			p := s.parsedLines()
			k := 0
			for i, raw := range s.RawLines() {
				if isBlankOrComment(raw) {
					continue
				}
				words, comment := common.StringSplitWithCommentIgnoreEmpty(trimEOL(raw))
				if len(words) == 0 {
					continue
				}
				if k >= len(p.lines) {
					t.Fatalf("%s: %s: line %d missing", f, s, i)
				}
				l := p.lines[k]
				k++
				if l.Index != i || !reflect.DeepEqual(l.Words, words) || l.Comment != comment {
					t.Errorf("%s: %s: line %d = %d %q %q, want %q %q", f, s, i, l.Index, l.Words, l.Comment, words, comment)
				}
				if !p.mayHave(words[:1]) || !p.mayHave(words[:min(2, len(words))]) {
					t.Errorf("%s: %s: keyword summary misses %q", f, s, words)
				}
				if _, plain := countPlain(trimEOL(raw)); plain && cap(l.Words) != len(l.Words) {
					// Shared storage: appending to one line's words must not
					// reach the next line's.
					t.Errorf("%s: %s: line %d words have spare capacity", f, s, i)
				}
			}
			if k != len(p.lines) {
				t.Errorf("%s: %s: %d lines, want %d", f, s, len(p.lines), k)
			}
		}
	}
}
