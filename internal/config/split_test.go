package config

import (
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
