package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// MinMaxSize is the smallest bound a Log takes: a record must fit.
const MinMaxSize = 64 << 10

// Log is the audit file: JSON lines appended to path, which is renamed
// to path.1 (replacing the previous one) before a line would take it over
// half of maxSize, so the two files together stay under maxSize. A record
// too large for half the bound has its diff, then its commands, cut
// short (said so in the record).
type Log struct {
	path string
	max  int64
	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (creating) the audit file at path, bounded to maxSize bytes
// with its rotated file.
func Open(path string, maxSize int64) (*Log, error) {
	if maxSize < MinMaxSize {
		return nil, fmt.Errorf("audit_max_size %d is below %d bytes", maxSize, MinMaxSize)
	}
	// The trail names users and what they changed: closed to others.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit file directory: %w", err)
	}
	l := &Log{path: path, max: maxSize}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open audit file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat audit file: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Path is the file's path (the rotated one is Path()+".1").
func (l *Log) Path() string { return l.path }

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Append redacts rec and writes it as one line.
func (l *Log) Append(rec Record) error {
	redact(&rec)
	line, err := l.encode(rec)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("audit file is closed")
	}
	if l.size > 0 && l.size+int64(len(line)) > l.max/2 {
		if err := l.rotateLocked(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("write audit record: %w", err)
	}
	return nil
}

// encode marshals rec on one line that fits half the bound.
func (l *Log) encode(rec Record) ([]byte, error) {
	limit := int(l.max / 2)
	for range 3 {
		b, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("encode audit record: %w", err)
		}
		if len(b) < limit {
			return append(b, '\n'), nil
		}
		over := len(b) - limit + 256
		switch {
		case len(rec.Diff) > over:
			rec.Diff = cut(rec.Diff, len(rec.Diff)-over)
		case rec.Diff != "":
			rec.Diff = "(diff of " + fmt.Sprint(len(rec.Diff)) + " bytes not recorded)"
		default:
			rec.Commands = []string{fmt.Sprintf("(%d commands not recorded)", len(rec.Commands))}
			rec.Files = nil
		}
	}
	return nil, errors.New("audit record too large")
}

// cut shortens a diff to about n bytes at a line end, and says so.
func cut(s string, n int) string {
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		s = s[:i+1]
	}
	return s + "(diff cut short)\n"
}

func (l *Log) rotateLocked() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("close audit file: %w", err)
	}
	l.f = nil
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return fmt.Errorf("rotate audit file: %w", err)
	}
	return l.open()
}

// Filter selects records; zero fields select all.
type Filter struct {
	User       string
	Since      time.Time // records at or after
	Until      time.Time // records before
	PathPrefix string
	Outcome    string
	// Limit keeps the newest Limit records (0: all).
	Limit int
}

func (f Filter) match(r *Record) bool {
	return (f.User == "" || r.User == f.User) &&
		(f.Since.IsZero() || !r.Time.Before(f.Since)) &&
		(f.Until.IsZero() || r.Time.Before(f.Until)) &&
		(f.PathPrefix == "" || strings.HasPrefix(r.Path, f.PathPrefix)) &&
		(f.Outcome == "" || r.Outcome == f.Outcome)
}

// Query returns the records f selects, oldest first.
func (l *Log) Query(f Filter) ([]Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Record
	for _, p := range []string{l.path + ".1", l.path} {
		if err := l.scan(p, f, &out); err != nil {
			return nil, err
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

func (l *Log) scan(path string, f Filter, out *[]Record) error {
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read audit file: %w", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 64<<10), int(l.max/2)+1)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue // a line cut by a crash
		}
		if f.match(&r) {
			*out = append(*out, r)
			if f.Limit > 0 && len(*out) > 2*f.Limit {
				*out = append((*out)[:0], (*out)[len(*out)-f.Limit:]...)
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read audit file: %w", err)
	}
	return nil
}
