// Package cfggen writes realistic haproxy.cfg files of any size for tests
// and benchmarks: a global and a defaults section, one routing frontend and
// n backends of two health-checked servers each, by default; Options adds
// more of each resource (Realistic: the amounts of a production file).
// The files pass `haproxy -c`.
package cfggen

import (
	"bytes"
	"fmt"
	"strconv"
)

// Options shapes the generated file. Zero values take the defaults below.
type Options struct {
	// StatsSocket is the path of the `stats socket` line of global
	// (level admin); "" leaves the line out.
	StatsSocket string
	// FrontendPort is the port of the frontend's bind on 127.0.0.1
	// (default 8080).
	FrontendPort int
	// ServerPortBase and ServerPortCount: server ports cycle through
	// [ServerPortBase, ServerPortBase+ServerPortCount) (default 20000, 1000).
	ServerPortBase  int
	ServerPortCount int
	// Maxconn of global (default 4096).
	Maxconn int
	// NoChecks leaves `check` (and `option httpchk`) out: 20,000 checked
	// servers need more file descriptors than a test machine allows
	// HAProxy (ulimit -n 20000 here).
	NoChecks bool
	// ACLs is the number of `acl host_<i> req.hdr(host) -i <i>.example.com`
	// lines of the frontend (default none), each used by a `use_backend`
	// rule below them.
	ACLs int
	// HTTPRequestRules is the number of http-request lines of fe_main, a
	// mix of the common actions (set-header, deny, redirect, set-var,
	// return), each with its own condition.
	HTTPRequestRules int

	// ServersPerBackend is the number of server lines of each backend
	// (default 2), named s1, s2, ...
	ServersPerBackend int
	// Binds is the number of bind lines of fe_main (default 1): the first
	// on 127.0.0.1:FrontendPort, the others on the same port of other
	// loopback addresses (127.1.0.2, 127.1.0.3, ...), named bind_<i>.
	Binds int
	// BackendACLs is the number of acl lines of each backend, each used
	// by an `http-request deny` rule below them.
	BackendACLs int
	// Frontends is the number of frontends beside fe_main: fe_<i>, each
	// with its own maxconn and one bind on 127.2.0.<i+1>:FrontendPort.
	Frontends int
	// NamedDefaults adds a `defaults tcp_defaults` section (mode tcp) at
	// the end of the file, where no proxy inherits from it.
	NamedDefaults bool
	// Balances are the balance algorithms of the backends, in turn
	// (default roundrobin for all).
	Balances []string
	// RuleLists adds two lines of every rule list HAProxy 2.6 knows: a
	// second global log target; captures, filters, tcp-request,
	// http-response, http-after-response and http-error rules in fe_main;
	// stick, use-server, tcp-response and http-check lines in be_0 and
	// tcp-check lines in be_1 (with their `option httpchk` and `option
	// tcp-check`: use it with NoChecks, as Realistic does).
	RuleLists bool
	// OtherSections is the number of resolvers (rs_<i>, two nameservers
	// each), cache (cache_<i>), http-errors (he_<i>, errorfiles of
	// /dev/null, which HAProxy takes as an empty page) and mailers
	// (ml_<i>, two mailers each, used by the email alerts of fe_<i>,
	// which needs Frontends >= OtherSections) sections.
	OtherSections int
	// Userlists is the number of userlist sections (ul_<i>), each with
	// two groups and UsersPerUserlist users (u_<j>, $5$ hashes).
	Userlists        int
	UsersPerUserlist int
	// LogSections adds two rings (with two servers each), two
	// log-forward sections (two dgram-binds, a bind and two log targets
	// each, on 127.3.<i>.x) and two peers sections (the local peer
	// dp_local, named by `localpeer`, two remote ones and two tables each)
	// and two fcgi-apps at the end of the file.
	LogSections bool
}

// Realistic returns opts with the amounts of each resource of a
// production file where they are unset: three servers per backend, four
// binds and 100 host ACLs (with their use_backend rules) in fe_main, two
// more frontends, one ACL and deny rule per backend, a named defaults
// section, two balance algorithms in turn; no health checks (see
// NoChecks). The resource benchmarks (internal/benchguard) run on it: a
// resource added to the API gets its lines here.
func Realistic(opts Options) Options {
	set := func(v *int, n int) {
		if *v == 0 {
			*v = n
		}
	}
	set(&opts.ServersPerBackend, 3)
	set(&opts.Binds, 4)
	set(&opts.ACLs, 100)
	set(&opts.BackendACLs, 1)
	set(&opts.Frontends, 2)
	opts.NamedDefaults = true
	opts.RuleLists = true
	if len(opts.Balances) == 0 {
		opts.Balances = []string{"roundrobin", "leastconn"}
	}
	set(&opts.OtherSections, 2)
	set(&opts.Userlists, 2)
	set(&opts.UsersPerUserlist, 3)
	opts.LogSections = true
	opts.NoChecks = true
	return opts
}

// userHash is the $5$ hash of "bench" every generated user has.
const userHash = "$5$bench$Gw88RSIvfimRDM53ezdeM4M5rhqaurVN78tzSVx1K0D"

// ACLLine is the i-th ACL line Generate writes, without indentation.
func ACLLine(i int) string {
	return fmt.Sprintf("acl host_%d req.hdr(host) -i %d.example.com", i, i)
}

// BackendName is the name of backend i (0 <= i < n).
func BackendName(i int) string { return "be_" + strconv.Itoa(i) }

// Generate returns a haproxy.cfg with n backends:
//
//	backend be_<i>
//	    balance roundrobin
//	    option httpchk GET /health
//	    server s1 127.x.y.z:<port> check weight 10 inter 2s
//	    server s2 127.x.y.z:<port> check weight 10 inter 2s
//
// The frontend routes on the Host header (`use_backend %[req.hdr(host),lower]`)
// with be_0 as its default backend (none when n == 0). The file starts with
// `# _version=1`.
func Generate(n int, opts Options) []byte {
	if opts.FrontendPort == 0 {
		opts.FrontendPort = 8080
	}
	if opts.ServerPortBase == 0 {
		opts.ServerPortBase = 20000
	}
	if opts.ServerPortCount <= 0 {
		opts.ServerPortCount = 1000
	}
	if opts.Maxconn == 0 {
		opts.Maxconn = 4096
	}
	if opts.ServersPerBackend <= 0 {
		opts.ServersPerBackend = 2
	}
	if opts.Binds <= 0 {
		opts.Binds = 1
	}
	if len(opts.Balances) == 0 {
		opts.Balances = []string{"roundrobin"}
	}
	var b bytes.Buffer
	b.Grow(512 + n*(80+60*opts.ServersPerBackend+80*opts.BackendACLs))
	b.WriteString("# _version=1\n")
	b.WriteString("global\n")
	fmt.Fprintf(&b, "    maxconn %d\n", opts.Maxconn)
	if opts.StatsSocket != "" {
		fmt.Fprintf(&b, "    stats socket %s mode 600 level admin expose-fd listeners\n", opts.StatsSocket)
	}
	b.WriteString("    log stdout format raw local0 info\n")
	if opts.LogSections {
		// The local peer of the peers sections, whatever the host's name.
		b.WriteString("    localpeer dp_local\n")
	}
	if opts.RuleLists {
		b.WriteString("    log 127.0.0.1:5514 local1 notice\n")
	}
	b.WriteString("\n")
	b.WriteString("defaults\n")
	b.WriteString("    mode http\n")
	b.WriteString("    log global\n")
	b.WriteString("    option httplog\n")
	b.WriteString("    timeout connect 5s\n")
	b.WriteString("    timeout client 30s\n")
	b.WriteString("    timeout server 30s\n\n")
	b.WriteString("frontend fe_main\n")
	fmt.Fprintf(&b, "    bind 127.0.0.1:%d\n", opts.FrontendPort)
	for i := 1; i < opts.Binds; i++ {
		fmt.Fprintf(&b, "    bind 127.1.%d.%d:%d name bind_%d\n", i/250%250, i%250+1, opts.FrontendPort, i)
	}
	if opts.RuleLists {
		b.WriteString("    tcp-request inspect-delay 2s\n")
		b.WriteString("    tcp-request content accept if { src 10.0.0.0/8 }\n")
	}
	b.WriteString("    http-request set-header X-Forwarded-Proto http\n")
	if opts.RuleLists {
		b.WriteString(frontendRuleLists)
	}
	for i := 0; i < opts.ACLs; i++ {
		b.WriteString("    " + ACLLine(i) + "\n")
	}
	for i := 0; i < opts.HTTPRequestRules; i++ {
		b.WriteString("    " + HTTPRequestRuleLine(i) + "\n")
	}
	for i := 0; i < opts.ACLs && n > 0; i++ {
		fmt.Fprintf(&b, "    use_backend %s if host_%d\n", BackendName(i%n), i)
	}
	b.WriteString("    use_backend %[req.hdr(host),lower]\n")
	if n > 0 {
		fmt.Fprintf(&b, "    default_backend %s\n", BackendName(0))
	}
	for i := 0; i < opts.Frontends; i++ {
		fmt.Fprintf(&b, "\nfrontend fe_%d\n", i)
		fmt.Fprintf(&b, "    bind 127.2.%d.%d:%d\n", i/250%250, i%250+1, opts.FrontendPort)
		fmt.Fprintf(&b, "    maxconn %d\n", 1000*(i+1))
		if i < opts.OtherSections {
			// HAProxy drops a mailers section no proxy uses, with a
			// warning. Without checks no alert is ever sent.
			fmt.Fprintf(&b, "    email-alert mailers ml_%d\n    email-alert from haproxy@example.com\n    email-alert to ops@example.com\n", i)
		}
		if n > 0 {
			fmt.Fprintf(&b, "    default_backend %s\n", BackendName(i%n))
		}
	}
	port := 0
	for i := 0; i < n; i++ {
		b.WriteString("\nbackend ")
		b.WriteString(BackendName(i))
		b.WriteString("\n    balance ")
		b.WriteString(opts.Balances[i%len(opts.Balances)])
		b.WriteString("\n")
		if !opts.NoChecks {
			b.WriteString("    option httpchk GET /health\n")
		}
		for a := 0; a < opts.BackendACLs; a++ {
			fmt.Fprintf(&b, "    acl blocked_%d path_beg /blocked/%d/\n", a, a)
		}
		for a := 0; a < opts.BackendACLs; a++ {
			fmt.Fprintf(&b, "    http-request deny if blocked_%d\n", a)
		}
		if opts.RuleLists && i < len(backendRuleLists) {
			b.WriteString(backendRuleLists[i])
		}
		if opts.RuleLists && i == 2 {
			// Servers named by DNS, filled in at run time (none now).
			b.WriteString("    server-template tpl 2 app.example.com:8080 init-addr none weight 5\n")
			b.WriteString("    server-template web 1-3 web.example.com:80 init-addr none\n")
		}
		check := " check"
		if opts.NoChecks {
			check = ""
		}
		for s := 1; s <= opts.ServersPerBackend; s++ {
			// Spread servers over 127.0.0.0/8 so HAProxy could start
			// them all on loopback.
			k := opts.ServersPerBackend*i + s - 1
			fmt.Fprintf(&b, "    server s%d 127.%d.%d.%d:%d%s weight 10 inter 2s\n",
				s, k/62500%250, k/250%250, k%250+1, opts.ServerPortBase+port, check)
			port = (port + 1) % opts.ServerPortCount
		}
	}
	if opts.NamedDefaults {
		b.WriteString("\ndefaults tcp_defaults\n")
		b.WriteString("    mode tcp\n")
		b.WriteString("    timeout connect 3s\n")
		b.WriteString("    timeout client 1m\n")
		b.WriteString("    timeout server 1m\n")
	}
	if opts.LogSections {
		for i := 0; i < 2; i++ {
			fmt.Fprintf(&b, "\nring r_%d\n", i)
			fmt.Fprintf(&b, "    description ring number %d\n", i)
			b.WriteString("    format rfc3164\n")
			fmt.Fprintf(&b, "    maxlen %d\n", 1200+i)
			b.WriteString("    size 32764\n")
			b.WriteString("    timeout connect 5s\n")
			b.WriteString("    timeout server 10s\n")
			for j := 1; j <= 2; j++ {
				fmt.Fprintf(&b, "    server s%d 127.3.%d.%d:%d\n", j, i, j, opts.FrontendPort)
			}
		}
		for i := 0; i < 2; i++ {
			fmt.Fprintf(&b, "\nlog-forward lf_%d\n", i)
			fmt.Fprintf(&b, "    maxconn %d\n", 10+i)
			fmt.Fprintf(&b, "    bind 127.3.%d.10:%d\n", i, opts.FrontendPort)
			for j := 1; j <= 2; j++ {
				fmt.Fprintf(&b, "    dgram-bind 127.3.%d.%d:%d\n", i, 10+j, opts.FrontendPort)
			}
			b.WriteString("    log 127.0.0.1:5514 local0\n")
			fmt.Fprintf(&b, "    log ring@r_%d local1 notice\n", i)
		}
		for i := 0; i < 2; i++ {
			fmt.Fprintf(&b, "\npeers p_%d\n", i)
			fmt.Fprintf(&b, "    peer dp_local 127.4.%d.100:%d\n", i, opts.FrontendPort)
			for j := 1; j <= 2; j++ {
				fmt.Fprintf(&b, "    peer remote_%d 127.4.%d.%d:%d\n", j, i, j, opts.FrontendPort)
			}
			b.WriteString("    table t_a type ip size 1k expire 30s store gpc0\n")
			b.WriteString("    table t_b type string len 32 size 10k\n")
		}
	}
	if opts.LogSections {
		for i := 0; i < 2; i++ {
			fmt.Fprintf(&b, "\nfcgi-app php_%d\n", i)
			fmt.Fprintf(&b, "    docroot /var/www/site%d\n", i)
			b.WriteString("    index index.php\n")
			b.WriteString("    option keep-conn\n")
			b.WriteString("    pass-header Authorization\n")
			b.WriteString("    set-param SCRIPT_FILENAME /var/www%[path]\n")
		}
	}
	for i := 0; i < opts.Userlists; i++ {
		fmt.Fprintf(&b, "\nuserlist ul_%d\n", i)
		b.WriteString("    group admins users u_0\n")
		b.WriteString("    group readers\n")
		for j := 0; j < opts.UsersPerUserlist; j++ {
			groups := "readers"
			if j == 0 {
				groups = "admins,readers"
			}
			fmt.Fprintf(&b, "    user u_%d password %s groups %s\n", j, userHash, groups)
		}
	}
	writeOtherSections(&b, opts.OtherSections)
	return b.Bytes()
}

// writeOtherSections writes n sections of each kind of OtherSections,
// their values different from one section to the next.
func writeOtherSections(b *bytes.Buffer, n int) {
	for i := 0; i < n; i++ {
		fmt.Fprintf(b, "\nresolvers rs_%d\n", i)
		fmt.Fprintf(b, "    nameserver ns_0 127.0.0.1:%d\n", 5300+i)
		fmt.Fprintf(b, "    nameserver ns_1 127.0.0.2:%d\n", 5400+i)
		fmt.Fprintf(b, "    resolve_retries %d\n", 3+i)
		fmt.Fprintf(b, "    timeout resolve 1s\n    timeout retry %ds\n", 1+i)
		fmt.Fprintf(b, "    hold valid %ds\n", 10*(i+1))
		fmt.Fprintf(b, "\ncache cache_%d\n", i)
		fmt.Fprintf(b, "    total-max-size %d\n    max-object-size %d\n    max-age %d\n", 4*(i+1), 10000*(i+1), 60*(i+1))
		fmt.Fprintf(b, "\nhttp-errors he_%d\n", i)
		b.WriteString("    errorfile 503 /dev/null\n")
		for j := 0; j < i; j++ {
			fmt.Fprintf(b, "    errorfile %d /dev/null\n", []int{404, 500, 502, 504}[j%4])
		}
		fmt.Fprintf(b, "\nmailers ml_%d\n", i)
		fmt.Fprintf(b, "    mailer m_0 127.0.0.1:%d\n", 2500+i)
		fmt.Fprintf(b, "    mailer m_1 127.0.0.2:%d\n", 2600+i)
		fmt.Fprintf(b, "    timeout mail %ds\n", 10*(i+1))
	}
}

// HTTPRequestRuleLine is the i-th http-request line of fe_main.
func HTTPRequestRuleLine(i int) string {
	switch i % 5 {
	case 0:
		return fmt.Sprintf("http-request set-header X-Rule-%d %%[src] if { path_beg /h/%d }", i, i)
	case 1:
		return fmt.Sprintf("http-request deny deny_status 403 if { path /blocked/%d }", i)
	case 2:
		return fmt.Sprintf("http-request redirect location /new/%d code 301 if { path /old/%d }", i, i)
	case 3:
		return fmt.Sprintf("http-request set-var(txn.r%d) str(v%d),lower if { path_beg /v/%d }", i, i, i)
	}
	return fmt.Sprintf("http-request return status 200 content-type text/plain string ok%d if { path /ping/%d }", i, i)
}

// frontendRuleLists are the rule list lines of fe_main (Options.RuleLists).
const frontendRuleLists = `    http-request set-var(txn.path) path
    declare capture request len 32
    declare capture response len 16
    filter trace name bench_a quiet
    filter trace name bench_b quiet
    log global
    log 127.0.0.1:5515 local2 notice
    http-response set-header X-Bench 1
    http-response del-header Server
    http-after-response set-header X-After 1
    http-after-response del-header X-Powered-By
    http-error status 503 default-errorfiles
    http-error status 504 default-errorfiles
`

// backendRuleLists are the rule list lines of be_0 and be_1.
var backendRuleLists = []string{`    option httpchk
    stick-table type ip size 1k
    stick on src
    stick match src table be_0
    use-server s1 if { path_beg /s1 }
    use-server s2 if { path_beg /s2 }
    tcp-response inspect-delay 1s
    tcp-response content accept
    http-check send meth GET uri /health
    http-check expect status 200
`, `    option tcp-check
    tcp-check connect
    tcp-check send PING
    tcp-check expect string PONG
`}
