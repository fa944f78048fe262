package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// StatHeader is the column list of one `show stat` reply, in HAProxy's
// order ("pxname", "svname", "qcur", ...).
type StatHeader struct {
	names []string
	index map[string]int
}

// Index returns the position of column name, or -1 when HAProxy did not
// report it.
func (h *StatHeader) Index(name string) int {
	if i, ok := h.index[name]; ok {
		return i
	}
	return -1
}

// Columns returns the column names in order. The caller must not modify it.
func (h *StatHeader) Columns() []string { return h.names }

// StatRow is one `show stat` row as ScanStat reads it. Its byte slices
// point into buffers that the next row reuses: they are valid only during
// the callback, so copy what must outlive it.
type StatRow struct {
	Header *StatHeader
	Type   string // TypeFrontend, TypeBackend, TypeServer or TypeListener
	fields [][]byte
}

// Field returns the raw bytes of column i, nil when i is out of range.
func (r *StatRow) Field(i int) []byte {
	if i < 0 || i >= len(r.fields) {
		return nil
	}
	return r.fields[i]
}

// Proxy returns the pxname column.
func (r *StatRow) Proxy() []byte { return r.Field(0) }

// Server returns the svname column ("FRONTEND", "BACKEND" or a name).
func (r *StatRow) Server() []byte { return r.Field(1) }

// Int parses column i as a decimal integer without allocating; ok is false
// when it is empty or not an integer.
func (r *StatRow) Int(i int) (n int64, ok bool) { return parseDecimal(r.Field(i)) }

// maxStatLine bounds one CSV row (a row of 2.6 is about 300 bytes; check
// and agent descriptions are short).
const maxStatLine = 1 << 20

// ScanStat runs `show stat <proxy|-1> <typemask|-1> -1` and calls fn for
// each row while the reply is read from the socket, so a 7 MB reply (10,000
// backends) never sits in memory whole. Rows of other proxies are skipped
// when filter.Proxy is set (HAProxy reads an all-digit name as an id). An
// error from fn stops the scan and is returned as is. A reply that is not
// CSV is a *CommandError (an unknown proxy is ErrNotFound).
func (c *Client) ScanStat(ctx context.Context, filter StatFilter, fn func(*StatRow) error) error {
	proxy, mask := "-1", "-1"
	if filter.Proxy != "" {
		if err := checkNames("proxy", filter.Proxy); err != nil {
			return fmt.Errorf("show stat: %w", err)
		}
		proxy = filter.Proxy
	}
	if filter.Type != 0 {
		if err := checkRange("stat type mask", int(filter.Type), 1, int(statAllTypes)); err != nil {
			return fmt.Errorf("show stat: %w", err)
		}
		mask = strconv.Itoa(int(filter.Type))
	}
	cmd := "show stat " + proxy + " " + mask + " -1"
	var fnErr error
	err := c.t.stream(ctx, cmd, func(r *bufio.Reader) error {
		s := statScanner{r: r, proxy: []byte(filter.Proxy)}
		return s.run(cmd, func(row *StatRow) error {
			if err := fn(row); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
	})
	if fnErr != nil {
		c.t.obs.observe(cmd, "", nil)
		return fnErr
	}
	c.t.obs.observe(cmd, "", err)
	return err
}

// stream sends cmd like roundTrip and hands the connection, buffered, to
// read instead of reading the whole reply.
func (t *transport) stream(ctx context.Context, cmd string, read func(*bufio.Reader) error) error {
	if err := checkLine(cmd); err != nil {
		return err
	}
	path, err := socketPath(t.getSocket())
	if err != nil {
		return err
	}
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	return t.oneShot(ctx, cmd, path, read)
}

// statScanner splits `show stat` CSV into rows with few allocations: the
// line and field buffers are reused from row to row.
type statScanner struct {
	r      *bufio.Reader
	proxy  []byte // keep only this proxy's rows when set
	line   []byte // the current logical line when it spans buffers
	fields [][]byte
	quoted []byte // unquoted copies of quoted fields
}

// run reads the header, then calls fn for every row.
func (s *statScanner) run(cmd string, fn func(*StatRow) error) error {
	first, err := s.readLine()
	if err != nil && len(first) == 0 {
		if errors.Is(err, io.EOF) {
			return newCommandError(cmd, "")
		}
		return fmt.Errorf("read reply: %w", err)
	}
	if !bytes.HasPrefix(first, []byte("# pxname,")) {
		// Not CSV: an error text, which is short. Keep a bounded amount.
		rest, _ := io.ReadAll(io.LimitReader(s.r, 4096))
		return newCommandError(cmd, string(first)+"\n"+string(rest))
	}
	hdr := parseStatHeader(string(bytes.TrimPrefix(first, []byte("# "))))
	typeCol := hdr.Index("type")
	row := StatRow{Header: hdr}
	// HAProxy ends the reply with an empty line: without it, the
	// connection was cut and the rows are only part of the truth.
	blank := false
	for n := 2; ; n++ {
		line, err := s.readLine()
		if err == nil {
			blank = len(line) == 0
		}
		if errors.Is(err, io.EOF) && (!blank || len(line) > 0) {
			return fmt.Errorf("read reply: %w: the reply ended before its final empty line", io.ErrUnexpectedEOF)
		}
		if len(line) > 0 {
			if perr := s.split(line); perr != nil {
				return fmt.Errorf("show stat line %d: %w", n, perr)
			}
			row.fields = s.fields
			if len(row.Proxy()) == 0 || len(row.Server()) == 0 {
				return fmt.Errorf("show stat line %d: row without pxname/svname", n)
			}
			if len(s.proxy) == 0 || bytes.Equal(row.Proxy(), s.proxy) {
				row.Type = statTypeOf(row.Field(typeCol))
				if row.Type == "" {
					return fmt.Errorf("show stat line %d: %s/%s: unknown type %q", n, row.Proxy(), row.Server(), row.Field(typeCol))
				}
				if ferr := fn(&row); ferr != nil {
					return ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read reply: %w", err)
		}
	}
}

func statTypeOf(b []byte) string {
	if len(b) == 1 {
		switch b[0] {
		case '0':
			return TypeFrontend
		case '1':
			return TypeBackend
		case '2':
			return TypeServer
		case '3':
			return TypeListener
		}
	}
	return ""
}

func parseStatHeader(line string) *StatHeader {
	h := &StatHeader{index: map[string]int{}}
	for start, i := 0, 0; i <= len(line); i++ {
		if i == len(line) || line[i] == ',' {
			name := line[start:i]
			h.names = append(h.names, name)
			// Each line ends with ',' (an empty last name) and 2.6 has a
			// "-" placeholder column: neither is a real column.
			if name != "" && name != "-" {
				if _, dup := h.index[name]; !dup {
					h.index[name] = len(h.names) - 1
				}
			}
			start = i + 1
		}
	}
	return h
}

// readLine returns the next logical line without its newline. A quoted
// field may contain a newline, so a line with an open quote continues on
// the next one. The result is valid until the next call.
func (s *statScanner) readLine() ([]byte, error) {
	s.line = s.line[:0]
	for {
		chunk, err := s.r.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		if !full && len(s.line) == 0 && !(err == nil && openQuote(chunk)) {
			return bytes.TrimRight(chunk, "\r\n"), err // the usual case: no copy
		}
		// chunk is overwritten by the next read: keep a copy.
		s.line = append(s.line, chunk...)
		if len(s.line) > maxStatLine {
			return nil, fmt.Errorf("a show stat line is longer than %d bytes", maxStatLine)
		}
		if full || (err == nil && openQuote(s.line)) {
			continue
		}
		return bytes.TrimRight(s.line, "\r\n"), err
	}
}

// openQuote reports whether b holds an odd number of '"', i.e. ends inside
// a quoted field.
func openQuote(b []byte) bool { return bytes.Count(b, []byte{'"'})%2 == 1 }

// split cuts line into s.fields, unquoting RFC 4180 quoted fields (which
// HAProxy's csv_enc produces for strings holding ',', '"' or a newline).
func (s *statScanner) split(line []byte) error {
	s.fields = s.fields[:0]
	s.quoted = s.quoted[:0]
	for i := 0; i <= len(line); {
		if i < len(line) && line[i] == '"' {
			start := len(s.quoted)
			j := i + 1
			for {
				if j >= len(line) {
					return errors.New("unterminated quoted field")
				}
				if line[j] == '"' {
					if j+1 < len(line) && line[j+1] == '"' {
						s.quoted = append(s.quoted, '"')
						j += 2
						continue
					}
					break
				}
				s.quoted = append(s.quoted, line[j])
				j++
			}
			// Earlier fields stay valid when append moves s.quoted: they
			// keep the old array, and the full slice expression stops a
			// later append from writing into them.
			s.fields = append(s.fields, s.quoted[start:len(s.quoted):len(s.quoted)])
			j++ // closing quote
			if j < len(line) && line[j] != ',' {
				return errors.New("text after a closing quote")
			}
			i = j + 1
			if j >= len(line) {
				break
			}
			continue
		}
		end := bytes.IndexByte(line[i:], ',')
		if end < 0 {
			s.fields = append(s.fields, line[i:])
			break
		}
		s.fields = append(s.fields, line[i:i+end])
		i += end + 1
	}
	return nil
}

// parseDecimal parses an optionally signed decimal integer.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg, b = true, b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
