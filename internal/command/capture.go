package command

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// capture keeps a bounded view of a command's output: the first lines and
// the last lines, within a byte budget each, and counts the lines in
// between. A command may print anything (HAProxy started in the foreground
// prints its access log; a loop prints forever), so nothing here grows
// with the output: the tail lines live in slots that are reused, and a
// line longer than lineMax is cut.
type capture struct {
	mu sync.Mutex

	headMax, tailMax int // lines
	budget           int // bytes for the head, and again for the tail
	lineMax          int // bytes kept of one line

	head     []byte // the first lines, each ending in '\n'
	headN    int
	headDone bool // a line went to the tail: the head is closed, so order holds

	ring      [][]byte // the last lines, oldest at ringStart
	ringStart int
	ringN     int

	cur    []byte // the line being read, at most lineMax bytes
	curCut int    // bytes of the current line beyond lineMax
	total  int    // non-blank lines seen
}

func newCapture(headLines, tailLines, maxBytes int) *capture {
	// A little room is kept for the "lines left out" line.
	budget := (maxBytes - 64) / 2
	return &capture{
		headMax: headLines,
		tailMax: tailLines,
		budget:  budget,
		lineMax: min(1024, budget),
		ring:    make([][]byte, tailLines),
	}
}

// Write implements io.Writer; it never fails, so the command is never
// stopped by a full buffer of ours.
func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		room := c.lineMax - len(c.cur)
		take := min(max(room, 0), len(chunk))
		c.cur = append(c.cur, chunk[:take]...)
		c.curCut += len(chunk) - take
		if i < 0 {
			break
		}
		c.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// endLine files the current line in the head or the tail.
func (c *capture) endLine() {
	line := bytes.TrimRight(c.cur, " \t\r")
	if c.curCut > 0 {
		// Appended to cur itself, so its array is reused for the next
		// long line.
		c.cur = append(line, " [... "...)
		c.cur = strconv.AppendInt(c.cur, int64(c.curCut), 10)
		c.cur = append(c.cur, " bytes cut]"...)
		line = c.cur
	}
	c.fileLine(line)
	c.cur, c.curCut = c.cur[:0], 0
}

func (c *capture) fileLine(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return // blank lines would only spend the line budget
	}
	c.total++
	if !c.headDone && c.headN < c.headMax && len(c.head)+len(line)+1 <= c.budget {
		c.head = append(append(c.head, line...), '\n')
		c.headN++
		return
	}
	c.headDone = true
	if c.tailMax == 0 {
		return
	}
	idx := (c.ringStart + c.ringN) % c.tailMax
	if c.ringN < c.tailMax {
		c.ringN++
	} else {
		c.ringStart = (c.ringStart + 1) % c.tailMax
	}
	c.ring[idx] = append(c.ring[idx][:0], line...)
}

// result returns the kept lines, with a line saying how many were left
// out in between, and that count.
func (c *capture) result() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) > 0 || c.curCut > 0 {
		c.endLine() // the last line had no newline
	}
	// The tail: the newest lines that fit the budget.
	var tail [][]byte
	size := 0
	for i := c.ringN - 1; i >= 0; i-- {
		l := c.ring[(c.ringStart+i)%c.tailMax]
		if size+len(l)+1 > c.budget {
			break
		}
		size += len(l) + 1
		tail = append(tail, l)
	}
	left := c.total - c.headN - len(tail)
	var b strings.Builder
	b.Write(c.head)
	if left > 0 {
		fmt.Fprintf(&b, "... %d lines left out ...\n", left)
	}
	for i := len(tail) - 1; i >= 0; i-- {
		b.Write(tail[i])
		b.WriteByte('\n')
	}
	return strings.ToValidUTF8(strings.TrimRight(b.String(), "\n"), "\uFFFD"), left
}
