package patfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"dataplane/internal/reload"
)

// The file format HAProxy reads (pattern.c): one entry per line, the key
// the first word, the value the rest of the line with blanks at both ends
// dropped; blank lines and lines whose first non-blank is '#' are
// comments.

// appendLines adds lines at the end of path, after a newline if its last
// line has none, in one write, then fsyncs it when sync is set. An append is not a rename:
// a crash in the write can leave part of the last line, which HAProxy
// reads as an entry of its own; the write is a single small one, and the
// runtime change it follows is the one the client was answered for.
func appendLines(path string, lines []string, sync bool) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	defer f.Close()
	var b bytes.Buffer
	if info, err := f.Stat(); err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	} else if info.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, info.Size()-1); err != nil && err != io.EOF {
			return fmt.Errorf("append to %s: %w", path, err)
		}
		if last[0] != '\n' {
			b.WriteByte('\n')
		}
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	if !sync {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}

// syncFile fsyncs path.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// rewrite writes path again, atomically, with each entry line passed to
// edit(key, line): it returns a replacement ("" keeps the line as it is)
// and whether the line stays. Comment and blank lines stay as they are.
func rewrite(path string, edit func(key, line string) (string, bool)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	var out bytes.Buffer
	out.Grow(len(data))
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		t := strings.TrimLeft(l, " \t")
		if t == "" || strings.HasPrefix(t, "#") {
			out.WriteString(l)
			out.WriteByte('\n')
			continue
		}
		key := t
		if i := strings.IndexAny(t, " \t"); i >= 0 {
			key = t[:i]
		}
		repl, keep := edit(key, l)
		if !keep {
			continue
		}
		if repl != "" {
			l = repl
		}
		out.WriteString(l)
		out.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	if err := reload.WriteFileAtomic(path, out.Bytes()); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	return nil
}

// writeLines replaces path, atomically, with lines.
func writeLines(path string, lines []string) error {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := reload.WriteFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
