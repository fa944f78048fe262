package metrics

import (
	"bytes"
	"context"
	"log/slog"
	"math/bits"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	hapruntime "dataplane/internal/runtime"
)

// statField is one metric taken from one `show stat` column. Names, labels,
// help texts and counter/gauge types follow the Prometheus haproxy_exporter
// so that its dashboards and alerts work unchanged.
type statField struct {
	column string
	name   string // after haproxy_<kind>_
	help   string
	typ    prometheus.ValueType
	scale  float64 // multiply the column by this (ms -> s); 0 means 1
	code   string  // value of the "code" label (http_responses_total)
}

const (
	helpResponses = "Total of HTTP responses."
	counter       = prometheus.CounterValue
	gauge         = prometheus.GaugeValue
	msToSeconds   = 0.001
)

// statusColumn is mapped to 1 (up) or 0 instead of parsed as a number.
const statusColumn = "status"

func responses(fields []statField) []statField {
	for _, code := range []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"} {
		fields = append(fields, statField{column: "hrsp_" + code, name: "http_responses_total", help: helpResponses, typ: counter, code: code})
	}
	return fields
}

func compression(fields []statField) []statField {
	return append(fields,
		statField{"comp_in", "compressor_bytes_in_total", "Number of HTTP response bytes fed to the compressor", counter, 0, ""},
		statField{"comp_out", "compressor_bytes_out_total", "Number of HTTP response bytes emitted by the compressor", counter, 0, ""},
		statField{"comp_byp", "compressor_bytes_bypassed_total", "Number of bytes that bypassed the HTTP compressor", counter, 0, ""},
		statField{"comp_rsp", "http_responses_compressed_total", "Number of HTTP responses that were compressed", counter, 0, ""},
	)
}

func timings(fields []statField) []statField {
	return append(fields,
		statField{"qtime", "http_queue_time_average_seconds", "Avg. HTTP queue time for last 1024 successful connections.", gauge, msToSeconds, ""},
		statField{"ctime", "http_connect_time_average_seconds", "Avg. HTTP connect time for last 1024 successful connections.", gauge, msToSeconds, ""},
		statField{"rtime", "http_response_time_average_seconds", "Avg. HTTP response time for last 1024 successful connections.", gauge, msToSeconds, ""},
		statField{"ttime", "http_total_time_average_seconds", "Avg. HTTP total time for last 1024 successful connections.", gauge, msToSeconds, ""},
	)
}

// sessions are the columns every kind shares.
var sessions = []statField{
	{"scur", "current_sessions", "Current number of active sessions.", gauge, 0, ""},
	{"smax", "max_sessions", "Maximum observed number of active sessions.", gauge, 0, ""},
	{"slim", "limit_sessions", "Configured session limit.", gauge, 0, ""},
	{"stot", "sessions_total", "Total number of sessions.", counter, 0, ""},
	{"bin", "bytes_in_total", "Current total of incoming bytes.", counter, 0, ""},
	{"bout", "bytes_out_total", "Current total of outgoing bytes.", counter, 0, ""},
}

var errorsAndWarnings = []statField{
	{"econ", "connection_errors_total", "Total of connection errors.", counter, 0, ""},
	{"eresp", "response_errors_total", "Total of response errors.", counter, 0, ""},
	{"wretr", "retry_warnings_total", "Total of retry warnings.", counter, 0, ""},
	{"wredis", "redispatch_warnings_total", "Total of redispatch warnings.", counter, 0, ""},
}

const helpSelected = "Total number of times a server was selected, either for new sessions, or when re-dispatching."

var aborts = []statField{
	{"cli_abrt", "client_aborts_total", "Total number of data transfers aborted by the client.", counter, 0, ""},
	{"srv_abrt", "server_aborts_total", "Total number of data transfers aborted by the server.", counter, 0, ""},
}

func join(parts ...[]statField) []statField {
	var out []statField
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var frontendFields = compression(responses(join(sessions, []statField{
	{"dreq", "requests_denied_total", "Total of requests denied for security.", counter, 0, ""},
	{"ereq", "request_errors_total", "Total of request errors.", counter, 0, ""},
	{"rate", "current_session_rate", "Current number of sessions per second over last elapsed second.", gauge, 0, ""},
	{"rate_lim", "limit_session_rate", "Configured limit on new sessions per second.", gauge, 0, ""},
	{"rate_max", "max_session_rate", "Maximum observed number of sessions per second.", gauge, 0, ""},
	{"req_tot", "http_requests_total", "Total HTTP requests.", counter, 0, ""},
	{"conn_tot", "connections_total", "Total number of connections", counter, 0, ""},
})))

var backendFields = timings(compression(join(responses(join([]statField{
	{"qcur", "current_queue", "Current number of queued requests not assigned to any server.", gauge, 0, ""},
	{"qmax", "max_queue", "Maximum observed number of queued requests not assigned to any server.", gauge, 0, ""},
}, sessions, errorsAndWarnings, []statField{
	{statusColumn, "up", "Current health status of the backend (1 = UP, 0 = DOWN).", gauge, 0, ""},
	{"weight", "weight", "Total weight of the servers in the backend.", gauge, 0, ""},
	{"act", "current_server", "Current number of active servers", gauge, 0, ""},
	{"lbtot", "server_selected_total", helpSelected, counter, 0, ""},
	{"rate", "current_session_rate", "Current number of sessions per second over last elapsed second.", gauge, 0, ""},
	{"rate_max", "max_session_rate", "Maximum number of sessions per second.", gauge, 0, ""},
})), aborts)))

var serverFields = timings(join(responses(join([]statField{
	{"qcur", "current_queue", "Current number of queued requests assigned to this server.", gauge, 0, ""},
	{"qmax", "max_queue", "Maximum observed number of queued requests assigned to this server.", gauge, 0, ""},
}, sessions, errorsAndWarnings, []statField{
	{statusColumn, "up", "Current health status of the server (1 = UP, 0 = DOWN).", gauge, 0, ""},
	{"weight", "weight", "Current weight of the server.", gauge, 0, ""},
	{"chkfail", "check_failures_total", "Total number of failed health checks.", counter, 0, ""},
	{"downtime", "downtime_seconds_total", "Total downtime in seconds.", counter, 0, ""},
	{"lbtot", "server_selected_total", helpSelected, counter, 0, ""},
	{"rate", "current_session_rate", "Current number of sessions per second over last elapsed second.", gauge, 0, ""},
	{"rate_max", "max_session_rate", "Maximum observed number of sessions per second.", gauge, 0, ""},
	{"check_duration", "check_duration_seconds", "Previously run health check duration, in seconds", gauge, msToSeconds, ""},
})), aborts))

// Row kinds, and the label each kind's name goes to.
const (
	kindFrontend = iota
	kindBackend
	kindServer
	kinds
)

// Label names, as the exporter names them.
var (
	labelFrontend = "frontend"
	labelBackend  = "backend"
	labelServer   = "server"
	labelCode     = "code"
)

// kindMetrics are the descriptors of one kind, built once.
type kindMetrics struct {
	fields []statField
	descs  []*prometheus.Desc
}

func newKind(kind string, labels []string, fields []statField) kindMetrics {
	if len(fields) > 64 {
		panic("metrics: more than 64 fields for " + kind + " (row.present is a uint64)")
	}
	k := kindMetrics{fields: fields}
	for _, f := range fields {
		names := labels
		if f.code != "" {
			names = append(append([]string(nil), labels...), labelCode)
		}
		k.descs = append(k.descs, prometheus.NewDesc("haproxy_"+kind+"_"+f.name, f.help, names, nil))
	}
	return k
}

// haproxyCollector reads `show stat` once per scrape and turns its rows
// into const metrics. It is an unchecked collector (Describe sends
// nothing): which series exist depends on what HAProxy runs, and skipping
// the registry's per-metric descriptor check matters at 10,000 backends
// (about a million series).
type haproxyCollector struct {
	source  func() *hapruntime.Client
	timeout time.Duration
	log     *slog.Logger

	up, took *prometheus.Desc
	kinds    [kinds]kindMetrics

	// mu makes scrapes run one at a time, which bounds the load on HAProxy
	// and guards the fields below.
	mu sync.Mutex
	// pairs interns label pairs by label name and value across scrapes,
	// so steady-state scrapes allocate no label strings.
	pairs     map[string]map[string]*dto.LabelPair
	codePairs []*dto.LabelPair
	wasUp     bool // to log a failure once, not at every scrape
}

func newHAProxyCollector(source func() *hapruntime.Client, timeout time.Duration, log *slog.Logger) *haproxyCollector {
	c := &haproxyCollector{
		source:  source,
		timeout: timeout,
		log:     log,
		up:      prometheus.NewDesc("haproxy_up", "Was the last scrape of HAProxy successful.", nil, nil),
		took: prometheus.NewDesc("dataplane_haproxy_stat_duration_seconds",
			"Time the last scrape took to read and parse HAProxy's `show stat`.", nil, nil),
		pairs: map[string]map[string]*dto.LabelPair{},
		wasUp: true,
	}
	c.kinds[kindFrontend] = newKind("frontend", []string{labelFrontend}, frontendFields)
	c.kinds[kindBackend] = newKind("backend", []string{labelBackend}, backendFields)
	c.kinds[kindServer] = newKind("server", []string{labelBackend, labelServer}, serverFields)
	for _, code := range []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"} {
		c.codePairs = append(c.codePairs, &dto.LabelPair{Name: &labelCode, Value: new(code)})
	}
	return c
}

// Describe sends nothing, which makes the collector unchecked (see
// haproxyCollector).
func (c *haproxyCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads `show stat` and sends its metrics only when the whole
// reply was read, so a socket failure half-way never exports a partial
// view: it exports haproxy_up 0 alone.
func (c *haproxyCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := time.Now()
	samples, err := c.read()
	took := time.Since(start)
	if err != nil {
		if c.wasUp {
			c.log.Warn("cannot read HAProxy statistics for /metrics; haproxy_up is 0", "error", err)
		} else {
			c.log.Debug("cannot read HAProxy statistics for /metrics", "error", err)
		}
		c.wasUp = false
		ch <- prometheus.MustNewConstMetric(c.up, gauge, 0)
		ch <- prometheus.MustNewConstMetric(c.took, gauge, took.Seconds())
		return
	}
	if !c.wasUp {
		c.log.Info("HAProxy statistics readable again for /metrics")
	}
	c.wasUp = true
	ch <- prometheus.MustNewConstMetric(c.up, gauge, 1)
	ch <- prometheus.MustNewConstMetric(c.took, gauge, took.Seconds())
	for i := range samples {
		ch <- &samples[i]
	}
}

// errNoRuntime is reported when dataplane knows no runtime socket.
type errNoRuntime struct{}

func (errNoRuntime) Error() string { return "no runtime socket" }

// read runs one `show stat` (frontends, backends and servers) and returns
// its samples.
func (c *haproxyCollector) read() ([]sample, error) {
	var client *hapruntime.Client
	if c.source != nil {
		client = c.source()
	}
	if client == nil {
		return nil, errNoRuntime{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	b := builder{c: c}
	filter := hapruntime.StatFilter{Type: hapruntime.StatFrontends | hapruntime.StatBackends | hapruntime.StatServers}
	if err := client.ScanStat(ctx, filter, b.row); err != nil {
		return nil, err
	}
	samples := b.samples()
	c.trimPairs(len(b.rows[kindFrontend]) + len(b.rows[kindBackend]) + len(b.rows[kindServer]))
	return samples, nil
}

// trimPairs drops the interned label pairs when they grew well past what
// the running configuration uses (backends renamed or removed).
func (c *haproxyCollector) trimPairs(rows int) {
	for name, m := range c.pairs {
		if len(m) > 2*rows+1024 {
			delete(c.pairs, name)
		}
	}
}

// pair returns the interned label pair name=value; value is copied only
// the first time it is seen.
func (c *haproxyCollector) pair(name *string, value []byte) *dto.LabelPair {
	m := c.pairs[*name]
	if m == nil {
		m = map[string]*dto.LabelPair{}
		c.pairs[*name] = m
	}
	if p, ok := m[string(value)]; ok {
		return p
	}
	v := string(value)
	p := &dto.LabelPair{Name: name, Value: &v}
	m[v] = p
	return p
}

// row is what one `show stat` row contributes: its labels (sorted by
// name) and the values of its kind's fields.
type row struct {
	labels  []*dto.LabelPair // frontend | backend | backend, server
	vals    []float64        // by field index of the kind
	present uint64           // bit i: field i has a value
}

// builder collects the rows of one scrape.
type builder struct {
	c       *haproxyCollector
	rows    [kinds][]row
	header  *hapruntime.StatHeader
	columns [kinds][]int // column index of each field, per kind
	slab    []float64    // backing store of the rows' values
	chunk   int          // size of the last slab chunk
	count   int          // values seen: the number of samples
}

func (b *builder) row(r *hapruntime.StatRow) error {
	if r.Header != b.header {
		b.header = r.Header
		for k := range b.columns {
			b.columns[k] = b.columns[k][:0]
			for _, f := range b.c.kinds[k].fields {
				b.columns[k] = append(b.columns[k], r.Header.Index(f.column))
			}
		}
	}
	c := b.c
	var kind int
	var labels []*dto.LabelPair
	switch r.Type {
	case hapruntime.TypeFrontend:
		kind = kindFrontend
		labels = []*dto.LabelPair{c.pair(&labelFrontend, r.Proxy())}
	case hapruntime.TypeBackend:
		kind = kindBackend
		labels = []*dto.LabelPair{c.pair(&labelBackend, r.Proxy())}
	case hapruntime.TypeServer:
		kind = kindServer
		labels = []*dto.LabelPair{c.pair(&labelBackend, r.Proxy()), c.pair(&labelServer, r.Server())}
	default:
		return nil
	}
	fields := c.kinds[kind].fields
	if len(b.slab) < len(fields) {
		// Chunks grow with the configuration: small ones stay small.
		b.chunk = min(max(2*b.chunk, 1024), 64*1024)
		b.slab = make([]float64, b.chunk)
	}
	rw := row{labels: labels, vals: b.slab[:len(fields):len(fields)]}
	b.slab = b.slab[len(fields):]
	for i, f := range fields {
		col := b.columns[kind][i]
		raw := r.Field(col)
		if len(raw) == 0 {
			continue
		}
		var v float64
		if f.column == statusColumn {
			v = statusUp(raw)
		} else {
			n, ok := r.Int(col)
			if !ok {
				continue
			}
			v = float64(n)
			if f.scale != 0 {
				v *= f.scale
			}
		}
		rw.vals[i] = v
		rw.present |= 1 << uint(i)
	}
	b.rows[kind] = append(b.rows[kind], rw)
	b.count += bits.OnesCount64(rw.present)
	return nil
}

// samples turns the rows into samples, family by family and, within a
// family, in the label order the registry sorts them into, so that its
// sort finds them sorted (at 10,000 backends this saves a third of the
// gathering time).
func (b *builder) samples() []sample {
	out := make([]sample, 0, b.count)
	for kind := range b.rows {
		rows := b.rows[kind]
		sort.Slice(rows, func(i, j int) bool { return labelsLess(rows[i].labels, rows[j].labels) })
		km := &b.c.kinds[kind]
		var codeFields []int
		for i, f := range km.fields {
			if f.code != "" {
				codeFields = append(codeFields, i)
				continue
			}
			for r := range rows {
				out = rows[r].sample(out, km, i, rows[r].labels)
			}
		}
		if len(codeFields) == 0 {
			continue
		}
		// http_responses_total: one family whose labels hold "code" too.
		// Sorted by label name, "code" comes after "backend" and before
		// "frontend" and "server".
		coded := make([][][]*dto.LabelPair, len(rows))
		for r := range rows {
			coded[r] = codedLabels(rows[r].labels, b.c.codePairs)
		}
		switch kind {
		case kindFrontend: // code, frontend
			for c, fi := range codeFields {
				for r := range rows {
					out = rows[r].sample(out, km, fi, coded[r][c])
				}
			}
		case kindBackend: // backend, code
			for r := range rows {
				for c, fi := range codeFields {
					out = rows[r].sample(out, km, fi, coded[r][c])
				}
			}
		case kindServer: // backend, code, server
			for start := 0; start < len(rows); {
				end := start + 1
				for end < len(rows) && *rows[end].labels[0].Value == *rows[start].labels[0].Value {
					end++
				}
				for c, fi := range codeFields {
					for r := start; r < end; r++ {
						out = rows[r].sample(out, km, fi, coded[r][c])
					}
				}
				start = end
			}
		}
	}
	return out
}

// sample appends field i of the row, if it has a value.
func (rw *row) sample(out []sample, km *kindMetrics, i int, labels []*dto.LabelPair) []sample {
	if rw.present&(1<<uint(i)) == 0 {
		return out
	}
	return append(out, sample{desc: km.descs[i], labels: labels, value: rw.vals[i], counter: km.fields[i].typ == counter})
}

// labelsLess orders label sets of the same names by their values, as the
// registry does.
func labelsLess(a, b []*dto.LabelPair) bool {
	for i := range a {
		if va, vb := *a[i].Value, *b[i].Value; va != vb {
			return va < vb
		}
	}
	return false
}

// codedLabels returns, for each code pair, base plus that pair in name
// order ("backend" < "code" < "frontend" < "server"), all in one array.
func codedLabels(base []*dto.LabelPair, codePairs []*dto.LabelPair) [][]*dto.LabelPair {
	n := len(base) + 1
	all := make([]*dto.LabelPair, 0, n*len(codePairs))
	out := make([][]*dto.LabelPair, len(codePairs))
	for i, cp := range codePairs {
		start := len(all)
		inserted := false
		for _, p := range base {
			if !inserted && *cp.Name < *p.Name {
				all = append(all, cp)
				inserted = true
			}
			all = append(all, p)
		}
		if !inserted {
			all = append(all, cp)
		}
		out[i] = all[start:len(all):len(all)]
	}
	return out
}

// statusUp maps the status column the way the exporter does: UP (also "UP
// 1/3" while going down), OPEN, DRAIN and "no check" are up; DOWN, NOLB,
// MAINT (any form) and anything else are not.
func statusUp(s []byte) float64 {
	switch {
	case bytes.HasPrefix(s, []byte("UP")), bytes.HasPrefix(s, []byte("OPEN")),
		bytes.HasPrefix(s, []byte("DRAIN")), bytes.Equal(s, []byte("no check")):
		return 1
	}
	return 0
}

// sample is one metric of one row. It carries its own protobuf values so
// that Write allocates nothing; its labels are shared with the other
// samples of the row.
type sample struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	value   float64
	counter bool
	g       dto.Gauge
	c       dto.Counter
}

func (s *sample) Desc() *prometheus.Desc { return s.desc }

func (s *sample) Write(m *dto.Metric) error {
	m.Label = s.labels
	if s.counter {
		s.c.Value = &s.value
		m.Counter = &s.c
	} else {
		s.g.Value = &s.value
		m.Gauge = &s.g
	}
	return nil
}
