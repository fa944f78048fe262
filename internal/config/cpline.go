package config

import (
	parser "github.com/haproxytech/config-parser/v5"
	"github.com/haproxytech/config-parser/v5/common"
)

// config-parser knows the grammar of single keywords; we keep the file
// ourselves (see ARCHITECTURE.md). These two functions run one of its
// keyword parsers over one line, and back, so that a collection's codec
// asks config-parser instead of re-writing its grammar. A parser value is
// stateful (it accumulates lines): each call starts it afresh, so the
// caller passes a new one (they are small structs).

// cpParse reads one line with p and returns the data it parsed.
func cpParse[D any](p parser.ParserInterface, l Line) (D, bool) {
	var zero D
	p.Init()
	// The line argument only goes into config-parser's error messages,
	// which are not used: no need to join the words again.
	if _, err := p.Parse("", l.Words, l.Comment); err != nil {
		return zero, false
	}
	data, err := p.GetOne(0)
	if err != nil {
		return zero, false
	}
	d, ok := data.(D)
	return d, ok
}

// cpWords renders data with p and returns the words of the line it makes.
func cpWords(p parser.ParserInterface, data common.ParserData) []string {
	p.Init()
	if err := p.Insert(data, -1); err != nil {
		return nil
	}
	res, _, err := p.ResultAll()
	if err != nil || len(res) != 1 {
		return nil
	}
	words, _ := splitWords(res[0].Data)
	return words
}
