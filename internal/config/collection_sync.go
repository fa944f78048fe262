package config

// Replace-all of a positional collection (PUT on the list, full_section
// writes) as a minimal line edit. Items are the same when their models
// are (modelKey). The common prefix and suffix and a longest common
// subsequence of the rest stay untouched; an item found elsewhere in the
// old list moves there with the comment lines directly above it; a new
// item at the place of an old one that is gone rewrites that line in
// place (keeping its indentation and unmodelled words; its comment is
// the new item's metadata); what is
// left is inserted or deleted.

// maxLCSCells bounds the LCS table (rows x columns) of one replace-all.
// Beyond it (thousands of items reordered at once) the middle of the list
// is rewritten line by line instead of aligned: still correct, only less
// frugal with comments.
const maxLCSCells = 4 << 20

// sync records in e the changes that make the items have become want.
func (c *Collection[T]) sync(e *lineEdit, have []item[T], want []T) {
	s := e.s
	oldKeys := make([]string, len(have))
	for i := range have {
		oldKeys[i] = modelKey(&have[i].m)
	}
	newKeys := make([]string, len(want))
	for j := range want {
		newKeys[j] = modelKey(&want[j])
	}
	// anchorOf[j] is the old item new item j keeps (-1: none).
	anchorOf := make([]int, len(want))
	for j := range anchorOf {
		anchorOf[j] = -1
	}
	anchored := make([]bool, len(have))
	pre := 0
	for pre < len(have) && pre < len(want) && oldKeys[pre] == newKeys[pre] {
		anchorOf[pre], anchored[pre] = pre, true
		pre++
	}
	suf := 0
	for suf < len(have)-pre && suf < len(want)-pre && oldKeys[len(have)-1-suf] == newKeys[len(want)-1-suf] {
		i, j := len(have)-1-suf, len(want)-1-suf
		anchorOf[j], anchored[i] = i, true
		suf++
	}
	for _, m := range lcs(oldKeys[pre:len(have)-suf], newKeys[pre:len(want)-suf]) {
		anchorOf[pre+m[1]], anchored[pre+m[0]] = pre+m[0], true
	}

	// Moves: a new item equal to an old one that is not kept elsewhere.
	free := map[string][]int{}
	for i := range have {
		if !anchored[i] {
			free[oldKeys[i]] = append(free[oldKeys[i]], i)
		}
	}
	moveFrom := make([]int, len(want))
	moved := make([]bool, len(have))
	for j := range want {
		moveFrom[j] = -1
		if anchorOf[j] >= 0 {
			continue
		}
		if l := free[newKeys[j]]; len(l) > 0 {
			moveFrom[j], moved[l[0]] = l[0], true
			free[newKeys[j]] = l[1:]
		}
	}

	// Walk the new list, consuming old items in order. cursor is the body
	// line after which the next insertion goes.
	var cursor int
	var indent string
	if len(have) > 0 {
		first := have[0].line.Index
		cursor, indent = attachedStart(s, first)-1, e.indentOf(first)
	} else {
		cursor, indent = c.firstSlot(e)
	}
	drop := func(i int) {
		idx := have[i].line.Index
		e.delete(idx)
		if moved[i] {
			for k := attachedStart(s, idx); k < idx; k++ {
				e.delete(k)
			}
		}
	}
	oi := 0
	for j := range want {
		if a := anchorOf[j]; a >= 0 {
			for ; oi < a; oi++ {
				drop(oi)
			}
			cursor, indent = have[a].line.Index, e.indentOf(have[a].line.Index)
			oi = a + 1
			continue
		}
		if from := moveFrom[j]; from >= 0 {
			idx := have[from].line.Index
			e.insertRaw(cursor, s.lines[attachedStart(s, idx):idx+1]...)
			continue
		}
		for oi < len(have) && moved[oi] {
			drop(oi)
			oi++
		}
		if oi < len(have) && !anchored[oi] {
			old := have[oi].line
			words, comment, err := c.render(&want[j], &old)
			if err != nil {
				e.fail(err)
				return
			}
			if !equalWords(words, old.Words) || comment != old.Comment {
				e.replaceLine(old.Index, words, comment)
			}
			cursor, indent = old.Index, e.indentOf(old.Index)
			oi++
			continue
		}
		words, comment, err := c.render(&want[j], nil)
		if err != nil {
			e.fail(err)
			return
		}
		e.insertRaw(cursor, e.render(indent, words, comment))
	}
	for ; oi < len(have); oi++ {
		drop(oi)
	}
}

// firstSlot is where the first line of the collection goes in a section
// that has none, and its indentation.
func (c *Collection[T]) firstSlot(e *lineEdit) (int, string) {
	st := structureOf(e.s)
	if c.FirstBefore != nil {
		for _, l := range e.s.Lines() {
			if l.Index > st.contentEnd || !c.FirstBefore(l) {
				continue
			}
			at := l.Index
			if start, ok := st.blockStart[at]; ok {
				at = start
			}
			return attachedStart(e.s, at) - 1, e.indentOf(at)
		}
	}
	pos := st.contentEnd
	if end, ok := st.blockEnd[pos]; ok {
		pos = end
	}
	return pos, e.s.indent()
}

// lcs returns the index pairs (i in a, j in b) of a longest common
// subsequence of a and b, in increasing order; nothing when the table
// would be too large.
func lcs(a, b []string) [][2]int {
	n, m := len(a), len(b)
	if n == 0 || m == 0 || n*m > maxLCSCells {
		return nil
	}
	// t[i][j] = LCS length of a[i:] and b[j:], in one flat table.
	w := m + 1
	t := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case a[i] == b[j]:
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			case t[(i+1)*w+j] >= t[i*w+j+1]:
				t[i*w+j] = t[(i+1)*w+j]
			default:
				t[i*w+j] = t[i*w+j+1]
			}
		}
	}
	var out [][2]int
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case a[i] == b[j]:
			out = append(out, [2]int{i, j})
			i++
			j++
		case t[(i+1)*w+j] >= t[i*w+j+1]:
			i++
		default:
			j++
		}
	}
	return out
}
