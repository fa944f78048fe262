package config

import (
	"reflect"
	"strconv"
	"strings"
)

// The proxy sections (frontend, backend, defaults) share groups of fields.
// Each group is a struct embedded in the models that have it, so its JSON
// fields are flat, as in the Data Plane API.

// ProxyCommon holds fields every proxy section has.
type ProxyCommon struct {
	Mode                 string      `json:"mode,omitempty"`
	HTTPConnectionMode   string      `json:"http_connection_mode,omitempty"`
	HTTPKeepAliveTimeout *int64      `json:"http_keep_alive_timeout,omitempty"`
	HTTPRequestTimeout   *int64      `json:"http_request_timeout,omitempty"`
	TarpitTimeout        *int64      `json:"tarpit_timeout,omitempty"`
	Forwardfor           *Forwardfor `json:"forwardfor,omitempty"`
	LogTag               string      `json:"log_tag,omitempty"`
	Tcpka                string      `json:"tcpka,omitempty"`
	Enabled              bool        `json:"enabled,omitempty"`
	Disabled             bool        `json:"disabled,omitempty"`
	*CommonMore
}

// FrontendOptions are the client-side fields (frontend, defaults).
type FrontendOptions struct {
	DefaultBackend      string `json:"default_backend,omitempty"`
	Maxconn             *int64 `json:"maxconn,omitempty"`
	Backlog             *int64 `json:"backlog,omitempty"`
	ClientTimeout       *int64 `json:"client_timeout,omitempty"`
	ClientFinTimeout    *int64 `json:"client_fin_timeout,omitempty"`
	Httplog             bool   `json:"httplog,omitempty"`
	Clflog              bool   `json:"clflog,omitempty"`
	Tcplog              bool   `json:"tcplog,omitempty"`
	LogFormat           string `json:"log_format,omitempty"`
	LogFormatSd         string `json:"log_format_sd,omitempty"`
	ErrorLogFormat      string `json:"error_log_format,omitempty"`
	Dontlognull         string `json:"dontlognull,omitempty"`
	Logasap             string `json:"logasap,omitempty"`
	MonitorURI          string `json:"monitor_uri,omitempty"`
	UniqueIDFormat      string `json:"unique_id_format,omitempty"`
	UniqueIDHeader      string `json:"unique_id_header,omitempty"`
	Clitcpka            string `json:"clitcpka,omitempty"`
	ClitcpkaIdle        *int64 `json:"clitcpka_idle,omitempty"`
	ClitcpkaIntvl       *int64 `json:"clitcpka_intvl,omitempty"`
	ClitcpkaCnt         *int64 `json:"clitcpka_cnt,omitempty"`
	IdleCloseOnResponse string `json:"idle_close_on_response,omitempty"`
	*FrontendMore
}

// BackendOptions are the server-side fields (backend, defaults).
type BackendOptions struct {
	Balance                 *Balance       `json:"balance,omitempty"`
	DefaultServer           *ServerParams  `json:"default_server,omitempty"`
	AdvCheck                string         `json:"adv_check,omitempty"`
	HttpchkParams           *HttpchkParams `json:"httpchk_params,omitempty"`
	CheckTimeout            *int64         `json:"check_timeout,omitempty"`
	ConnectTimeout          *int64         `json:"connect_timeout,omitempty"`
	ServerTimeout           *int64         `json:"server_timeout,omitempty"`
	ServerFinTimeout        *int64         `json:"server_fin_timeout,omitempty"`
	QueueTimeout            *int64         `json:"queue_timeout,omitempty"`
	TunnelTimeout           *int64         `json:"tunnel_timeout,omitempty"`
	Retries                 *int64         `json:"retries,omitempty"`
	Redispatch              *Redispatch    `json:"redispatch,omitempty"`
	Cookie                  *Cookie        `json:"cookie,omitempty"`
	HashType                *HashType      `json:"hash_type,omitempty"`
	Allbackups              string         `json:"allbackups,omitempty"`
	HTTPReuse               string         `json:"http_reuse,omitempty"`
	Srvtcpka                string         `json:"srvtcpka,omitempty"`
	HTTPPretendKeepalive    string         `json:"http_pretend_keepalive,omitempty"`
	PreferLastServer        string         `json:"prefer_last_server,omitempty"`
	Persist                 string         `json:"persist,omitempty"`
	Fullconn                *int64         `json:"fullconn,omitempty"`
	LoadServerStateFromFile string         `json:"load_server_state_from_file,omitempty"`
	ExternalCheck           string         `json:"external_check,omitempty"`
	LogHealthChecks         string         `json:"log_health_checks,omitempty"`
	*BackendMore
}

// Balance is the `balance` line.
type Balance struct {
	Algorithm         string `json:"algorithm"`
	HashExpression    string `json:"hash_expression,omitempty"`
	HdrName           string `json:"hdr_name,omitempty"`
	HdrUseDomainOnly  bool   `json:"hdr_use_domain_only,omitempty"`
	RandomDraws       *int64 `json:"random_draws,omitempty"`
	RdpCookieName     string `json:"rdp_cookie_name,omitempty"`
	URIDepth          *int64 `json:"uri_depth,omitempty"`
	URILen            *int64 `json:"uri_len,omitempty"`
	URIPathOnly       bool   `json:"uri_path_only,omitempty"`
	URIWhole          bool   `json:"uri_whole,omitempty"`
	URLParam          string `json:"url_param,omitempty"`
	URLParamCheckPost *int64 `json:"url_param_check_post,omitempty"`
	URLParamMaxWait   *int64 `json:"url_param_max_wait,omitempty"`
}

// HttpchkParams are the arguments of `option httpchk`.
type HttpchkParams struct {
	Host    string `json:"host,omitempty"`
	Method  string `json:"method,omitempty"`
	URI     string `json:"uri,omitempty"`
	Version string `json:"version,omitempty"`
}

// MysqlCheckParams are the arguments of `option mysql-check`.
type MysqlCheckParams struct {
	ClientVersion string `json:"client_version,omitempty"`
	Username      string `json:"username,omitempty"`
}

// PgsqlCheckParams are the arguments of `option pgsql-check`.
type PgsqlCheckParams struct {
	Username string `json:"username,omitempty"`
}

// SmtpchkParams are the arguments of `option smtpchk`.
type SmtpchkParams struct {
	Hello  string `json:"hello,omitempty"`
	Domain string `json:"domain,omitempty"`
}

// Redispatch is `option redispatch [interval]` / `no option redispatch`.
type Redispatch struct {
	Enabled  string `json:"enabled"`
	Interval *int64 `json:"interval,omitempty"`
}

// Forwardfor is `option forwardfor [except X] [header Y] [if-none]`.
type Forwardfor struct {
	Enabled string `json:"enabled"`
	Except  string `json:"except,omitempty"`
	Header  string `json:"header,omitempty"`
	Ifnone  bool   `json:"ifnone,omitempty"`
}

// Cookie is the backend `cookie` line.
type Cookie struct {
	Name     string        `json:"name"`
	Type     string        `json:"type,omitempty"`
	Domain   []CookieValue `json:"domain,omitempty"`
	Attr     []CookieValue `json:"attr,omitempty"`
	Dynamic  bool          `json:"dynamic,omitempty"`
	Httponly bool          `json:"httponly,omitempty"`
	Indirect bool          `json:"indirect,omitempty"`
	Maxidle  *int64        `json:"maxidle,omitempty"`
	Maxlife  *int64        `json:"maxlife,omitempty"`
	Nocache  bool          `json:"nocache,omitempty"`
	Postonly bool          `json:"postonly,omitempty"`
	Preserve bool          `json:"preserve,omitempty"`
	Secure   bool          `json:"secure,omitempty"`
}

// CookieValue is one `domain` or `attr` of a cookie.
type CookieValue struct {
	Value string `json:"value"`
}

// HashType is `hash-type <method> [<function>] [<modifier>]`.
type HashType struct {
	Method   string `json:"method,omitempty"`
	Function string `json:"function,omitempty"`
	Modifier string `json:"modifier,omitempty"`
}

var proxyCommonFields = concat(fieldSet[ProxyCommon]{
	wordField("mode", []string{"mode"}, []string{"http", "tcp", "log"}, func(m *ProxyCommon) *string { return &m.Mode }),
	connectionModeField(),
	timeoutField("http_keep_alive_timeout", "http-keep-alive", func(m *ProxyCommon) **int64 { return &m.HTTPKeepAliveTimeout }),
	timeoutField("http_request_timeout", "http-request", func(m *ProxyCommon) **int64 { return &m.HTTPRequestTimeout }),
	timeoutField("tarpit_timeout", "tarpit", func(m *ProxyCommon) **int64 { return &m.TarpitTimeout }),
	forwardforField(),
	wordField("log_tag", []string{"log-tag"}, nil, func(m *ProxyCommon) *string { return &m.LogTag }),
	optionToggleField("tcpka", "tcpka", func(m *ProxyCommon) *string { return &m.Tcpka }),
	flagField("enabled", []string{"enabled"}, func(m *ProxyCommon) *bool { return &m.Enabled }),
	flagField("disabled", []string{"disabled"}, func(m *ProxyCommon) *bool { return &m.Disabled }),
}, liftMore(commonMoreFields, func(m *ProxyCommon) **CommonMore { return &m.CommonMore }))

var frontendOptionFields = concat(fieldSet[FrontendOptions]{
	nameRefField("default_backend", []string{"default_backend"}, func(m *FrontendOptions) *string { return &m.DefaultBackend }),
	intField("maxconn", []string{"maxconn"}, 0, 1<<31, func(m *FrontendOptions) **int64 { return &m.Maxconn }),
	intField("backlog", []string{"backlog"}, 0, 1<<31, func(m *FrontendOptions) **int64 { return &m.Backlog }),
	timeoutField("client_timeout", "client", func(m *FrontendOptions) **int64 { return &m.ClientTimeout }),
	timeoutField("client_fin_timeout", "client-fin", func(m *FrontendOptions) **int64 { return &m.ClientFinTimeout }),
	httplogField(),
	optionBoolField("tcplog", "tcplog", func(m *FrontendOptions) *bool { return &m.Tcplog }),
	textField("log_format", []string{"log-format"}, func(m *FrontendOptions) *string { return &m.LogFormat }),
	textField("log_format_sd", []string{"log-format-sd"}, func(m *FrontendOptions) *string { return &m.LogFormatSd }),
	textField("error_log_format", []string{"error-log-format"}, func(m *FrontendOptions) *string { return &m.ErrorLogFormat }),
	optionToggleField("dontlognull", "dontlognull", func(m *FrontendOptions) *string { return &m.Dontlognull }),
	optionToggleField("logasap", "logasap", func(m *FrontendOptions) *string { return &m.Logasap }),
	wordField("monitor_uri", []string{"monitor-uri"}, nil, func(m *FrontendOptions) *string { return &m.MonitorURI }),
	textField("unique_id_format", []string{"unique-id-format"}, func(m *FrontendOptions) *string { return &m.UniqueIDFormat }),
	wordField("unique_id_header", []string{"unique-id-header"}, nil, func(m *FrontendOptions) *string { return &m.UniqueIDHeader }),
	optionToggleField("clitcpka", "clitcpka", func(m *FrontendOptions) *string { return &m.Clitcpka }),
	durationField("clitcpka_idle", []string{"clitcpka-idle"}, "s", func(m *FrontendOptions) **int64 { return &m.ClitcpkaIdle }),
	durationField("clitcpka_intvl", []string{"clitcpka-intvl"}, "s", func(m *FrontendOptions) **int64 { return &m.ClitcpkaIntvl }),
	intField("clitcpka_cnt", []string{"clitcpka-cnt"}, 0, 1<<31, func(m *FrontendOptions) **int64 { return &m.ClitcpkaCnt }),
	optionToggleField("idle_close_on_response", "idle-close-on-response", func(m *FrontendOptions) *string { return &m.IdleCloseOnResponse }),
}, liftMore(frontendMoreFields, func(m *FrontendOptions) **FrontendMore { return &m.FrontendMore }))

var backendOptionFields = concat(fieldSet[BackendOptions]{
	balanceField(),
	defaultServerField(),
	advCheckField(),
	timeoutField("check_timeout", "check", func(m *BackendOptions) **int64 { return &m.CheckTimeout }),
	timeoutField("connect_timeout", "connect", func(m *BackendOptions) **int64 { return &m.ConnectTimeout }),
	timeoutField("server_timeout", "server", func(m *BackendOptions) **int64 { return &m.ServerTimeout }),
	timeoutField("server_fin_timeout", "server-fin", func(m *BackendOptions) **int64 { return &m.ServerFinTimeout }),
	timeoutField("queue_timeout", "queue", func(m *BackendOptions) **int64 { return &m.QueueTimeout }),
	timeoutField("tunnel_timeout", "tunnel", func(m *BackendOptions) **int64 { return &m.TunnelTimeout }),
	intField("retries", []string{"retries"}, 0, 1<<31, func(m *BackendOptions) **int64 { return &m.Retries }),
	redispatchField(),
	cookieField(),
	hashTypeField(),
	optionToggleField("allbackups", "allbackups", func(m *BackendOptions) *string { return &m.Allbackups }),
	wordField("http_reuse", []string{"http-reuse"}, []string{"aggressive", "always", "never", "safe"}, func(m *BackendOptions) *string { return &m.HTTPReuse }),
	optionToggleField("srvtcpka", "srvtcpka", func(m *BackendOptions) *string { return &m.Srvtcpka }),
	optionToggleField("http_pretend_keepalive", "http-pretend-keepalive", func(m *BackendOptions) *string { return &m.HTTPPretendKeepalive }),
	optionToggleField("prefer_last_server", "prefer-last-server", func(m *BackendOptions) *string { return &m.PreferLastServer }),
	optionToggleField("persist", "persist", func(m *BackendOptions) *string { return &m.Persist }),
	intField("fullconn", []string{"fullconn"}, 0, 1<<31, func(m *BackendOptions) **int64 { return &m.Fullconn }),
	wordField("load_server_state_from_file", []string{"load-server-state-from-file"}, []string{"global", "local", "none"}, func(m *BackendOptions) *string { return &m.LoadServerStateFromFile }),
	optionToggleField("external_check", "external-check", func(m *BackendOptions) *string { return &m.ExternalCheck }),
	optionToggleField("log_health_checks", "log-health-checks", func(m *BackendOptions) *string { return &m.LogHealthChecks }),
}, liftMore(backendMoreFields, func(m *BackendOptions) **BackendMore { return &m.BackendMore }))

// connectionModeField: one of `option httpclose|http-server-close|
// http-keep-alive` (the last one wins in HAProxy).
func connectionModeField() sectionField[ProxyCommon] {
	modes := []string{"httpclose", "http-server-close", "http-keep-alive"}
	matchers := [][]string{{"option", "httpclose"}, {"option", "http-server-close"}, {"option", "http-keep-alive"}}
	read := func(s *Section, m *ProxyCommon) {
		if l, ok := lastMatch(s, matchers...); ok {
			m.HTTPConnectionMode = l.Words[1]
		}
	}
	return sectionField[ProxyCommon]{
		name: "http_connection_mode", matchers: matchers, reads: matchers, read: read,
		check: func(m *ProxyCommon) error {
			if m.HTTPConnectionMode != "" {
				return checkEnum("http_connection_mode", m.HTTPConnectionMode, modes...)
			}
			return nil
		},
		words: func(m *ProxyCommon) [][]string {
			if m.HTTPConnectionMode != "" {
				return [][]string{{"option", m.HTTPConnectionMode}}
			}
			return nil
		},
		same: sameAsRead(read, func(m *ProxyCommon) string { return m.HTTPConnectionMode }),
	}
}

// httplogField: `option httplog` (httplog) or `option httplog clf`
// (clflog); one line owns both fields.
func httplogField() sectionField[FrontendOptions] {
	kw := []string{"option", "httplog"}
	read := func(s *Section, m *FrontendOptions) {
		if l, ok := lastMatch(s, kw, []string{"no", "option", "httplog"}); ok && l.Words[0] == "option" {
			if l.Arg(2) == "clf" {
				m.Clflog = true
			} else {
				m.Httplog = true
			}
		}
	}
	return sectionField[FrontendOptions]{
		name: "httplog", matchers: [][]string{kw}, reads: [][]string{kw, {"no", "option", "httplog"}}, read: read,
		words: func(m *FrontendOptions) [][]string {
			switch {
			case m.Clflog:
				return [][]string{{"option", "httplog", "clf"}}
			case m.Httplog:
				return [][]string{kw}
			}
			return nil
		},
		same: func(s *Section, m *FrontendOptions) bool {
			var cur FrontendOptions
			read(s, &cur)
			return cur.Httplog == m.Httplog && cur.Clflog == m.Clflog
		},
	}
}

func forwardforField() sectionField[ProxyCommon] {
	kw := []string{"option", "forwardfor"}
	read := func(s *Section, m *ProxyCommon) {
		l, ok := lastMatch(s, kw)
		if !ok {
			return
		}
		f := &Forwardfor{Enabled: "enabled"}
		for i := 2; i < len(l.Words); i++ {
			switch l.Words[i] {
			case "except":
				f.Except = l.Arg(i + 1)
				i++
			case "header":
				f.Header = l.Arg(i + 1)
				i++
			case "if-none":
				f.Ifnone = true
			}
		}
		m.Forwardfor = f
	}
	words := func(m *ProxyCommon) [][]string {
		f := m.Forwardfor
		if f == nil {
			return nil
		}
		w := cloneWords(kw)
		if f.Except != "" {
			w = append(w, "except", f.Except)
		}
		if f.Header != "" {
			w = append(w, "header", f.Header)
		}
		if f.Ifnone {
			w = append(w, "if-none")
		}
		return [][]string{w}
	}
	return sectionField[ProxyCommon]{
		name: "forwardfor", matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *ProxyCommon) error {
			f := m.Forwardfor
			if f == nil {
				return nil
			}
			if err := checkEnum("forwardfor.enabled", f.Enabled, "enabled"); err != nil {
				return err
			}
			for field, v := range map[string]string{"forwardfor.except": f.Except, "forwardfor.header": f.Header} {
				if v != "" {
					if err := checkWord(field, v); err != nil {
						return err
					}
				}
			}
			return nil
		},
		words: words,
		same: func(s *Section, m *ProxyCommon) bool {
			var cur ProxyCommon
			read(s, &cur)
			return eqPtrVal(cur.Forwardfor, m.Forwardfor)
		},
		refuse: refuseUnmodelled("forwardfor", [][]string{kw}, read, words),
	}
}

func eqPtrVal[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

var balanceAlgorithms = []string{"first", "hash", "hdr", "leastconn", "random", "rdp-cookie", "roundrobin", "source", "static-rr", "uri", "url_param"}

func balanceField() sectionField[BackendOptions] {
	kw := []string{"balance"}
	read := func(s *Section, m *BackendOptions) {
		l, ok := lastMatch(s, kw)
		if !ok || len(l.Words) < 2 {
			return
		}
		m.Balance = parseBalance(l.Words[1:])
	}
	words := func(m *BackendOptions) [][]string {
		if m.Balance == nil {
			return nil
		}
		return [][]string{append(cloneWords(kw), balanceWords(m.Balance)...)}
	}
	return sectionField[BackendOptions]{
		name: "balance", matchers: [][]string{kw}, reads: [][]string{kw}, read: read, words: words,
		check: func(m *BackendOptions) error { return checkBalance(m.Balance) },
		same: func(s *Section, m *BackendOptions) bool {
			var cur BackendOptions
			read(s, &cur)
			return eqBalance(cur.Balance, m.Balance)
		},
		// `balance roundrobin extra`, `balance uri depth x`: words the
		// reader skips.
		refuse: refuseUnmodelled("balance", [][]string{kw}, read, words),
	}
}

func eqBalance(a, b *Balance) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Algorithm == b.Algorithm && a.HashExpression == b.HashExpression && a.HdrName == b.HdrName &&
		a.HdrUseDomainOnly == b.HdrUseDomainOnly && eqInt(a.RandomDraws, b.RandomDraws) &&
		a.RdpCookieName == b.RdpCookieName && eqInt(a.URIDepth, b.URIDepth) && eqInt(a.URILen, b.URILen) &&
		a.URIPathOnly == b.URIPathOnly && a.URIWhole == b.URIWhole && a.URLParam == b.URLParam &&
		eqInt(a.URLParamCheckPost, b.URLParamCheckPost) && eqInt(a.URLParamMaxWait, b.URLParamMaxWait)
}

// parseBalance reads the words after `balance`.
func parseBalance(w []string) *Balance {
	b := &Balance{}
	algo := w[0]
	arg := func(prefix string) (string, bool) {
		if strings.HasPrefix(algo, prefix+"(") && strings.HasSuffix(algo, ")") {
			return algo[len(prefix)+1 : len(algo)-1], true
		}
		return "", false
	}
	rest := w[1:]
	switch {
	case algo == "hash":
		b.Algorithm = "hash"
		b.HashExpression = strings.Join(rest, " ")
	case algo == "uri":
		b.Algorithm = "uri"
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case "depth":
				b.URIDepth = atoiPtr(at(rest, i+1))
				i++
			case "len":
				b.URILen = atoiPtr(at(rest, i+1))
				i++
			case "whole":
				b.URIWhole = true
			case "path-only":
				b.URIPathOnly = true
			}
		}
	case algo == "url_param":
		b.Algorithm = "url_param"
		b.URLParam = at(rest, 0)
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case "check_post":
				b.URLParamCheckPost = atoiPtr(at(rest, i+1))
				i++
			case "max_wait":
				b.URLParamMaxWait = atoiPtr(at(rest, i+1))
				i++
			}
		}
	default:
		if v, ok := arg("hdr"); ok {
			b.Algorithm, b.HdrName = "hdr", v
			b.HdrUseDomainOnly = len(rest) > 0 && rest[0] == "use_domain_only"
		} else if v, ok := arg("random"); ok {
			b.Algorithm, b.RandomDraws = "random", atoiPtr(v)
		} else if v, ok := arg("rdp-cookie"); ok {
			b.Algorithm, b.RdpCookieName = "rdp-cookie", v
		} else {
			b.Algorithm = algo
		}
	}
	return b
}

func at(w []string, i int) string {
	if i < len(w) {
		return w[i]
	}
	return ""
}

func atoiPtr(s string) *int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

func balanceWords(b *Balance) []string {
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	switch b.Algorithm {
	case "hash":
		words, _ := splitWords(b.HashExpression)
		return append([]string{"hash"}, words...)
	case "hdr":
		w := []string{"hdr(" + b.HdrName + ")"}
		if b.HdrUseDomainOnly {
			w = append(w, "use_domain_only")
		}
		return w
	case "random":
		if b.RandomDraws != nil {
			return []string{"random(" + itoa(*b.RandomDraws) + ")"}
		}
	case "rdp-cookie":
		if b.RdpCookieName != "" {
			return []string{"rdp-cookie(" + b.RdpCookieName + ")"}
		}
	case "uri":
		w := []string{"uri"}
		if b.URIDepth != nil {
			w = append(w, "depth", itoa(*b.URIDepth))
		}
		if b.URILen != nil {
			w = append(w, "len", itoa(*b.URILen))
		}
		if b.URIWhole {
			w = append(w, "whole")
		}
		if b.URIPathOnly {
			w = append(w, "path-only")
		}
		return w
	case "url_param":
		w := []string{"url_param", b.URLParam}
		if b.URLParamCheckPost != nil {
			w = append(w, "check_post", itoa(*b.URLParamCheckPost))
		}
		if b.URLParamMaxWait != nil {
			w = append(w, "max_wait", itoa(*b.URLParamMaxWait))
		}
		return w
	}
	return []string{b.Algorithm}
}

func checkBalance(b *Balance) error {
	if b == nil {
		return nil
	}
	if err := checkEnum("balance.algorithm", b.Algorithm, balanceAlgorithms...); err != nil {
		return err
	}
	switch b.Algorithm {
	case "hdr":
		if b.HdrName == "" {
			return invalid("balance.hdr_name", "is required with algorithm hdr")
		}
		return checkWordNoParens("balance.hdr_name", b.HdrName)
	case "rdp-cookie":
		if b.RdpCookieName != "" {
			return checkWordNoParens("balance.rdp_cookie_name", b.RdpCookieName)
		}
	case "url_param":
		if b.URLParam == "" {
			return invalid("balance.url_param", "is required with algorithm url_param")
		}
		return checkWord("balance.url_param", b.URLParam)
	case "hash":
		if b.HashExpression == "" {
			return invalid("balance.hash_expression", "is required with algorithm hash")
		}
		return checkText("balance.hash_expression", b.HashExpression)
	}
	return nil
}

func checkWordNoParens(field, v string) error {
	if err := checkWord(field, v); err != nil {
		return err
	}
	if strings.ContainsAny(v, "()") {
		return invalid(field, "%q must not contain parentheses", v)
	}
	return nil
}

// defaultServerField: all `default-server` lines, merged on read into one
// object (later lines win). Each line applies to the servers after it, so
// several lines cannot be written back as one: a section with one line has
// it edited in place (params the model does not own stay, as on a server
// line); a section with several refuses any change.
func defaultServerField() sectionField[BackendOptions] {
	return defaultServerFieldOf(func(m *BackendOptions) **ServerParams { return &m.DefaultServer })
}

// defaultServerFieldOf is the default_server field of any section model
// (backends and defaults, peers sections).
func defaultServerFieldOf[T any](get func(m *T) **ServerParams) sectionField[T] {
	kw := []string{"default-server"}
	read := func(s *Section, m *T) {
		lines := s.Find("default-server")
		if len(lines) == 0 {
			return
		}
		p := &ServerParams{}
		for _, l := range lines {
			readServerParams(splitParams(l.Words[1:], serverArity), p)
		}
		*get(m) = p
	}
	words := func(m *T) [][]string {
		if *get(m) == nil {
			return nil
		}
		return [][]string{append(cloneWords(kw), editServerParams(nil, *get(m), nil)...)}
	}
	return sectionField[T]{
		name: "default_server", matchers: [][]string{kw}, reads: [][]string{kw}, read: read, words: words,
		check: func(m *T) error {
			if *get(m) == nil {
				return nil
			}
			return checkServerParams("default_server.", *get(m))
		},
		same: func(s *Section, m *T) bool {
			var cur T
			read(s, &cur)
			return reflect.DeepEqual(*get(&cur), *get(m))
		},
		refuse: func(s *Section, m *T) error {
			if n := len(s.Find(kw...)); n > 1 {
				return invalid("default_server", "%s has %d default-server lines, each applying to the servers after it; "+
					"the API reads them merged and cannot change them without collapsing them into one: "+
					"edit them with the raw configuration endpoint", s, n)
			}
			return nil
		},
		write: func(e *lineEdit, m *T) {
			lines := e.s.Find(kw...)
			if len(lines) != 1 {
				setLines(e, [][]string{kw}, words(m))
				return
			}
			l := lines[0]
			if *get(m) == nil {
				e.delete(l.Index)
				return
			}
			units := splitParams(l.Words[1:], serverArity)
			w := append([]string{l.Words[0]}, editServerParams(units, *get(m), nil)...)
			if !equalWords(w, l.Words) {
				e.replaceWords(l.Index, w)
			}
		},
	}
}

var advChecks = []string{"httpchk", "ldap-check", "mysql-check", "pgsql-check", "redis-check", "smtpchk", "ssl-hello-chk", "tcp-check"}

var httpchkMethods = []string{"HEAD", "PUT", "POST", "GET", "TRACE", "PATCH", "DELETE", "CONNECT", "OPTIONS"}

// advCheckField: `option <check> [params]`; for httpchk the params are
// `[<method>] [<uri>] [<version>]`.
func advCheckField() sectionField[BackendOptions] {
	var matchers [][]string
	for _, c := range advChecks {
		matchers = append(matchers, []string{"option", c})
	}
	read := func(s *Section, m *BackendOptions) {
		l, ok := lastMatch(s, matchers...)
		if !ok {
			return
		}
		m.AdvCheck = l.Words[1]
		args := l.Words[2:]
		switch m.AdvCheck {
		case "httpchk":
		// Arguments the model cannot hold as they are written (a quoted
		// user) are not read: refuseUnmodelled sees them.
		case "mysql-check":
			if len(args) >= 2 && args[0] == "user" && len(args) <= 3 {
				p := &MysqlCheckParams{Username: args[1], ClientVersion: at(args, 2)}
				if checkCheckParams(&BackendOptions{AdvCheck: m.AdvCheck, BackendMore: &BackendMore{MysqlCheckParams: p}}) == nil {
					m.moreAlloc().MysqlCheckParams = p
				}
			}
			return
		case "pgsql-check":
			if len(args) == 2 && args[0] == "user" {
				p := &PgsqlCheckParams{Username: args[1]}
				if checkCheckParams(&BackendOptions{AdvCheck: m.AdvCheck, BackendMore: &BackendMore{PgsqlCheckParams: p}}) == nil {
					m.moreAlloc().PgsqlCheckParams = p
				}
			}
			return
		case "smtpchk":
			if len(args) == 2 {
				p := &SmtpchkParams{Hello: args[0], Domain: args[1]}
				if checkCheckParams(&BackendOptions{AdvCheck: m.AdvCheck, BackendMore: &BackendMore{SmtpchkParams: p}}) == nil {
					m.moreAlloc().SmtpchkParams = p
				}
			}
			return
		default:
			return
		}
		p := &HttpchkParams{}
		switch len(args) {
		case 0:
			return
		case 1:
			p.URI = args[0]
		case 2:
			p.Method, p.URI = args[0], args[1]
		default:
			p.Method, p.URI, p.Version = args[0], args[1], strings.Join(args[2:], " ")
			// `HTTP/1.1\r\nHost:\ example.com`: the old way to send a Host
			// header, which the v3 model holds as host.
			if v, h, ok := strings.Cut(p.Version, httpchkHostSep); ok && h != "" && !strings.ContainsAny(h, " \\") {
				p.Version, p.Host = v, h
			}
		}
		m.HttpchkParams = p
	}
	words := func(m *BackendOptions) [][]string {
		if m.AdvCheck == "" {
			return nil
		}
		w := []string{"option", m.AdvCheck}
		if p := m.HttpchkParams; p != nil && m.AdvCheck == "httpchk" {
			if p.Method != "" {
				w = append(w, p.Method)
			}
			if p.URI != "" {
				w = append(w, p.URI)
			}
			if p.Version != "" {
				v := p.Version
				if p.Host != "" {
					v += httpchkHostSep + p.Host
				}
				vw, _ := splitWords(v)
				w = append(w, vw...)
			}
		}
		switch p := m.more(); {
		case m.AdvCheck == "mysql-check" && p.MysqlCheckParams != nil && p.MysqlCheckParams.Username != "":
			w = append(w, "user", p.MysqlCheckParams.Username)
			if v := p.MysqlCheckParams.ClientVersion; v != "" {
				w = append(w, v)
			}
		case m.AdvCheck == "pgsql-check" && p.PgsqlCheckParams != nil && p.PgsqlCheckParams.Username != "":
			w = append(w, "user", p.PgsqlCheckParams.Username)
		case m.AdvCheck == "smtpchk" && p.SmtpchkParams != nil && p.SmtpchkParams.Hello != "":
			w = append(w, p.SmtpchkParams.Hello, p.SmtpchkParams.Domain)
		}
		return [][]string{w}
	}
	return sectionField[BackendOptions]{
		name: "adv_check", matchers: matchers, reads: matchers, read: read,
		check: func(m *BackendOptions) error {
			if m.AdvCheck != "" {
				if err := checkEnum("adv_check", m.AdvCheck, advChecks...); err != nil {
					return err
				}
			}
			if err := checkCheckParams(m); err != nil {
				return err
			}
			p := m.HttpchkParams
			if p == nil {
				return nil
			}
			if p.Host != "" {
				if p.Version == "" {
					return invalid("httpchk_params.host", "needs a version")
				}
				if err := checkWord("httpchk_params.host", p.Host); err != nil {
					return err
				}
			}
			if m.AdvCheck != "httpchk" {
				return invalid("httpchk_params", "needs adv_check httpchk")
			}
			if p.Method != "" {
				if err := checkEnum("httpchk_params.method", p.Method, httpchkMethods...); err != nil {
					return err
				}
			}
			if p.URI != "" {
				if err := checkWord("httpchk_params.uri", p.URI); err != nil {
					return err
				}
			}
			if p.Version != "" {
				if p.URI == "" {
					return invalid("httpchk_params.version", "needs a uri")
				}
				if err := checkText("httpchk_params.version", p.Version); err != nil {
					return err
				}
			}
			if p.Method != "" && p.URI == "" {
				return invalid("httpchk_params.method", "needs a uri")
			}
			return nil
		},
		words: words,
		same: func(s *Section, m *BackendOptions) bool {
			var cur BackendOptions
			read(s, &cur)
			return cur.AdvCheck == m.AdvCheck && eqPtrVal(cur.HttpchkParams, m.HttpchkParams) &&
				eqPtrVal(cur.more().MysqlCheckParams, m.more().MysqlCheckParams) &&
				eqPtrVal(cur.more().PgsqlCheckParams, m.more().PgsqlCheckParams) &&
				eqPtrVal(cur.more().SmtpchkParams, m.more().SmtpchkParams)
		},
		// `option mysql-check user haproxy`: the model holds no
		// arguments but httpchk's.
		refuse: refuseUnmodelled("adv_check", matchers, read, words),
	}
}

// more returns the rarer fields of m (empty when it has none); the check
// arguments of mysql-check, pgsql-check and smtpchk are among them, so
// that the model of a backend without them stays small.
func (m *BackendOptions) more() *BackendMore {
	if m.BackendMore == nil {
		return &BackendMore{}
	}
	return m.BackendMore
}

// moreAlloc is more for a write into m.
func (m *BackendOptions) moreAlloc() *BackendMore {
	if m.BackendMore == nil {
		m.BackendMore = &BackendMore{}
	}
	return m.BackendMore
}

// httpchkHostSep joins the version and the Host header in the version
// argument of `option httpchk`, as HAProxy reads it (an escaped CRLF and
// an escaped space).
const httpchkHostSep = `\r\nHost:\ `

// checkCheckParams checks the arguments of mysql-check, pgsql-check and
// smtpchk: each needs its check, and every value is one word.
func checkCheckParams(m *BackendOptions) error {
	if p := m.more().MysqlCheckParams; p != nil {
		if m.AdvCheck != "mysql-check" {
			return invalid("mysql_check_params", "needs adv_check mysql-check")
		}
		if p.ClientVersion != "" {
			if p.Username == "" {
				return invalid("mysql_check_params.client_version", "needs a username")
			}
			if err := checkEnum("mysql_check_params.client_version", p.ClientVersion, "pre-41", "post-41"); err != nil {
				return err
			}
		}
		if p.Username != "" {
			if err := checkWord("mysql_check_params.username", p.Username); err != nil {
				return err
			}
		}
	}
	if p := m.more().PgsqlCheckParams; p != nil {
		if m.AdvCheck != "pgsql-check" {
			return invalid("pgsql_check_params", "needs adv_check pgsql-check")
		}
		if p.Username != "" {
			if err := checkWord("pgsql_check_params.username", p.Username); err != nil {
				return err
			}
		}
	}
	if p := m.more().SmtpchkParams; p != nil {
		if m.AdvCheck != "smtpchk" {
			return invalid("smtpchk_params", "needs adv_check smtpchk")
		}
		if p.Hello != "" || p.Domain != "" {
			if err := checkEnum("smtpchk_params.hello", p.Hello, "HELO", "EHLO"); err != nil {
				return err
			}
			if err := checkWord("smtpchk_params.domain", p.Domain); err != nil {
				return err
			}
		}
	}
	return nil
}

func redispatchField() sectionField[BackendOptions] {
	on, off := []string{"option", "redispatch"}, []string{"no", "option", "redispatch"}
	read := func(s *Section, m *BackendOptions) {
		l, ok := lastMatch(s, on, off)
		if !ok {
			return
		}
		if l.Words[0] == "no" {
			m.Redispatch = &Redispatch{Enabled: "disabled"}
			return
		}
		m.Redispatch = &Redispatch{Enabled: "enabled", Interval: atoiPtr(l.Arg(2))}
	}
	words := func(m *BackendOptions) [][]string {
		r := m.Redispatch
		switch {
		case r == nil:
			return nil
		case r.Enabled == "disabled":
			return [][]string{off}
		case r.Interval != nil:
			return [][]string{append(cloneWords(on), strconv.FormatInt(*r.Interval, 10))}
		}
		return [][]string{on}
	}
	return sectionField[BackendOptions]{
		name: "redispatch", matchers: [][]string{on, off}, reads: [][]string{on, off}, read: read,
		check: func(m *BackendOptions) error {
			if r := m.Redispatch; r != nil {
				return checkEnum("redispatch.enabled", r.Enabled, "enabled", "disabled")
			}
			return nil
		},
		words: words,
		same: func(s *Section, m *BackendOptions) bool {
			var cur BackendOptions
			read(s, &cur)
			a, b := cur.Redispatch, m.Redispatch
			if a == nil || b == nil {
				return a == b
			}
			return a.Enabled == b.Enabled && eqInt(a.Interval, b.Interval)
		},
		refuse: refuseUnmodelled("redispatch", [][]string{on, off}, read, words),
	}
}

// cookieField: the backend `cookie` line. maxidle and maxlife are times
// whose default unit is the second; the model holds whole seconds, as the
// Data Plane API does. A line with a word the reader does not understand,
// or a time that is not a whole number of seconds, is read as far as it
// can be, and any change to it is refused rather than made by dropping
// words.
func cookieField() sectionField[BackendOptions] {
	kw := []string{"cookie"}
	read := func(s *Section, m *BackendOptions) {
		l, ok := lastMatch(s, kw)
		if !ok || len(l.Words) < 2 {
			return
		}
		m.Cookie, _ = parseCookie(l.Words)
	}
	return sectionField[BackendOptions]{
		name: "cookie", matchers: [][]string{kw}, reads: [][]string{kw}, read: read,
		check: func(m *BackendOptions) error {
			c := m.Cookie
			if c == nil {
				return nil
			}
			if err := checkWord("cookie.name", c.Name); err != nil {
				return err
			}
			if c.Type != "" {
				if err := checkEnum("cookie.type", c.Type, "rewrite", "insert", "prefix"); err != nil {
					return err
				}
			}
			for _, d := range c.Domain {
				if err := checkWord("cookie.domain", d.Value); err != nil {
					return err
				}
			}
			for _, a := range c.Attr {
				if err := checkWord("cookie.attr", a.Value); err != nil {
					return err
				}
			}
			return nil
		},
		words: func(m *BackendOptions) [][]string {
			if m.Cookie == nil {
				return nil
			}
			return [][]string{cookieWords(m.Cookie, nil)}
		},
		same: func(s *Section, m *BackendOptions) bool {
			var cur BackendOptions
			read(s, &cur)
			return eqCookie(cur.Cookie, m.Cookie)
		},
		refuse: func(s *Section, m *BackendOptions) error {
			lines := s.Find(kw...)
			if len(lines) > 1 {
				return invalid("cookie", "%s has %d cookie lines; the API cannot change them without removing all but one: "+
					"edit them with the raw configuration endpoint", s, len(lines))
			}
			if len(lines) == 1 {
				if _, opaque := parseCookie(lines[0].Words); opaque {
					return unmodelledLine("cookie", lines[0])
				}
			}
			return nil
		},
		write: func(e *lineEdit, m *BackendOptions) {
			var want [][]string
			if m.Cookie != nil {
				var prev []string
				if l, ok := lastMatch(e.s, kw); ok {
					prev = l.Words
				}
				want = [][]string{cookieWords(m.Cookie, prev)}
			}
			setLines(e, [][]string{kw}, want)
		},
	}
}

// parseCookie reads a `cookie <name> [options]` line (keyword included).
// opaque reports words the model cannot hold: an unknown word, an option
// without its value, a time that does not parse or is not a whole number of
// seconds (those are left out of c).
func parseCookie(words []string) (c *Cookie, opaque bool) {
	c = &Cookie{Name: at(words, 1)}
	w := words[min(2, len(words)):]
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case "rewrite", "insert", "prefix":
			c.Type = w[i]
		case "indirect":
			c.Indirect = true
		case "nocache":
			c.Nocache = true
		case "postonly":
			c.Postonly = true
		case "preserve":
			c.Preserve = true
		case "httponly":
			c.Httponly = true
		case "secure":
			c.Secure = true
		case "dynamic":
			c.Dynamic = true
		case "domain", "attr", "maxidle", "maxlife":
			if i+1 >= len(w) {
				return c, true
			}
			v := w[i+1]
			switch w[i] {
			case "domain":
				c.Domain = append(c.Domain, CookieValue{unquote(v)})
			case "attr":
				c.Attr = append(c.Attr, CookieValue{unquote(v)})
			case "maxidle", "maxlife":
				n, ok := cookieSeconds(v)
				if !ok {
					opaque = true
				} else if w[i] == "maxidle" {
					c.Maxidle = &n
				} else {
					c.Maxlife = &n
				}
			}
			i++
		default:
			opaque = true
		}
	}
	return c, opaque
}

// cookieSeconds reads a cookie time (default unit: the second) as a whole
// number of seconds.
func cookieSeconds(v string) (int64, bool) {
	ms, ok := parseDuration(v, "s")
	if !ok || ms%1000 != 0 {
		return 0, false
	}
	return ms / 1000, true
}

// cookieWords renders the cookie line for c. prev are the words of the line
// it replaces (nil for a new line): values that do not change keep their
// spelling there (`maxidle 30m`, `domain ".example.com"`).
func cookieWords(c *Cookie, prev []string) []string {
	spelled := map[string][]string{} // option -> values as written
	for i := 2; i+1 < len(prev); i++ {
		switch prev[i] {
		case "domain", "attr", "maxidle", "maxlife":
			spelled[prev[i]] = append(spelled[prev[i]], prev[i+1])
			i++
		}
	}
	spell := func(option, v string, same func(written string) bool) string {
		for _, s := range spelled[option] {
			if same(s) {
				return s
			}
		}
		return v
	}
	w := []string{"cookie", c.Name}
	if c.Type != "" {
		w = append(w, c.Type)
	}
	for _, flag := range []struct {
		on   bool
		word string
	}{{c.Indirect, "indirect"}, {c.Nocache, "nocache"}, {c.Postonly, "postonly"}, {c.Preserve, "preserve"},
		{c.Httponly, "httponly"}, {c.Secure, "secure"}, {c.Dynamic, "dynamic"}} {
		if flag.on {
			w = append(w, flag.word)
		}
	}
	for _, list := range []struct {
		option string
		values []CookieValue
	}{{"domain", c.Domain}, {"attr", c.Attr}} {
		for _, v := range list.values {
			w = append(w, list.option, spell(list.option, v.Value, func(s string) bool { return unquote(s) == v.Value }))
		}
	}
	for _, t := range []struct {
		option string
		v      *int64
	}{{"maxidle", c.Maxidle}, {"maxlife", c.Maxlife}} {
		if t.v != nil {
			w = append(w, t.option, spell(t.option, strconv.FormatInt(*t.v, 10), func(s string) bool {
				n, ok := cookieSeconds(s)
				return ok && n == *t.v
			}))
		}
	}
	return w
}

func eqCookie(a, b *Cookie) bool {
	if a == nil || b == nil {
		return a == b
	}
	if len(a.Domain) != len(b.Domain) || len(a.Attr) != len(b.Attr) {
		return false
	}
	for i := range a.Domain {
		if a.Domain[i] != b.Domain[i] {
			return false
		}
	}
	for i := range a.Attr {
		if a.Attr[i] != b.Attr[i] {
			return false
		}
	}
	return a.Name == b.Name && a.Type == b.Type && a.Dynamic == b.Dynamic && a.Httponly == b.Httponly &&
		a.Indirect == b.Indirect && eqInt(a.Maxidle, b.Maxidle) && eqInt(a.Maxlife, b.Maxlife) &&
		a.Nocache == b.Nocache && a.Postonly == b.Postonly && a.Preserve == b.Preserve && a.Secure == b.Secure
}

var hashFunctions = []string{"sdbm", "djb2", "wt6", "crc32", "none"}

func hashTypeField() sectionField[BackendOptions] {
	kw := []string{"hash-type"}
	read := func(s *Section, m *BackendOptions) {
		l, ok := lastMatch(s, kw)
		if !ok || len(l.Words) < 2 {
			return
		}
		h := &HashType{Method: l.Words[1]}
		for _, w := range l.Words[2:] {
			switch {
			case w == "avalanche":
				h.Modifier = w
			case h.Function == "" && checkEnum("", w, hashFunctions...) == nil:
				h.Function = w
			}
			// Other words are not read: refuse sees them.
		}
		m.HashType = h
	}
	words := func(m *BackendOptions) [][]string {
		h := m.HashType
		if h == nil {
			return nil
		}
		w := []string{"hash-type", h.Method}
		if h.Function != "" {
			w = append(w, h.Function)
		}
		if h.Modifier != "" {
			w = append(w, h.Modifier)
		}
		return [][]string{w}
	}
	return sectionField[BackendOptions]{
		name: "hash_type", matchers: [][]string{kw}, reads: [][]string{kw}, read: read, words: words,
		refuse: refuseUnmodelled("hash_type", [][]string{kw}, read, words),
		check: func(m *BackendOptions) error {
			h := m.HashType
			if h == nil {
				return nil
			}
			if err := checkEnum("hash_type.method", h.Method, "map-based", "consistent"); err != nil {
				return err
			}
			if h.Function != "" {
				if err := checkEnum("hash_type.function", h.Function, hashFunctions...); err != nil {
					return err
				}
			}
			if h.Modifier != "" {
				return checkEnum("hash_type.modifier", h.Modifier, "avalanche")
			}
			return nil
		},
		same: func(s *Section, m *BackendOptions) bool {
			var cur BackendOptions
			read(s, &cur)
			return eqPtrVal(cur.HashType, m.HashType)
		},
	}
}
