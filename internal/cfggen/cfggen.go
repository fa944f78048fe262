// Package cfggen writes realistic haproxy.cfg files of any size for tests
// and benchmarks: a global and a defaults section, one routing frontend and
// n backends of two health-checked servers each. The files pass `haproxy -c`.
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
}

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
	var b bytes.Buffer
	b.Grow(512 + n*200)
	b.WriteString("# _version=1\n")
	b.WriteString("global\n")
	fmt.Fprintf(&b, "    maxconn %d\n", opts.Maxconn)
	if opts.StatsSocket != "" {
		fmt.Fprintf(&b, "    stats socket %s mode 600 level admin expose-fd listeners\n", opts.StatsSocket)
	}
	b.WriteString("    log stdout format raw local0 info\n\n")
	b.WriteString("defaults\n")
	b.WriteString("    mode http\n")
	b.WriteString("    log global\n")
	b.WriteString("    option httplog\n")
	b.WriteString("    timeout connect 5s\n")
	b.WriteString("    timeout client 30s\n")
	b.WriteString("    timeout server 30s\n\n")
	b.WriteString("frontend fe_main\n")
	fmt.Fprintf(&b, "    bind 127.0.0.1:%d\n", opts.FrontendPort)
	b.WriteString("    http-request set-header X-Forwarded-Proto http\n")
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
	port := 0
	for i := 0; i < n; i++ {
		b.WriteString("\nbackend ")
		b.WriteString(BackendName(i))
		b.WriteString("\n    balance roundrobin\n")
		if !opts.NoChecks {
			b.WriteString("    option httpchk GET /health\n")
		}
		check := " check"
		if opts.NoChecks {
			check = ""
		}
		for s := 1; s <= 2; s++ {
			// Spread servers over 127.0.0.0/8 so HAProxy could start
			// them all on loopback.
			k := 2*i + s - 1
			fmt.Fprintf(&b, "    server s%d 127.%d.%d.%d:%d%s weight 10 inter 2s\n",
				s, k/62500%250, k/250%250, k%250+1, opts.ServerPortBase+port, check)
			port = (port + 1) % opts.ServerPortCount
		}
	}
	return b.Bytes()
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
