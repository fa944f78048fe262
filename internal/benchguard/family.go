// Package benchguard measures every resource family of the API (each
// section kind, each child collection, global, runtime servers) with the
// same operations, on a running dataplane, and compares the medians with a
// committed baseline: one table, rows flagged when more than 10% slower.
//
// The families come from the registry of internal/config: a section kind
// or a collection declared there is measured without bench code. Global
// and the runtime resources, which have no registry, are declared below;
// TestEverySpecPathHasAFamily fails when the contract gains a path no
// family measures, so the guard cannot silently miss a resource.
package benchguard

import (
	"sort"

	"dataplane/internal/config"
)

// Operations, in the order a round runs them. create, replace and delete
// are staged in a transaction (configuration families) or sent to the
// runtime socket (runtime families); commit is a transaction holding one
// new item, then one holding its removal, each committed (`haproxy -c`,
// the file replaced, runtime apply or reload; the reload is waited for,
// outside the time).
const (
	OpList    = "list"
	OpGet     = "get"
	OpCreate  = "create"
	OpReplace = "replace"
	OpDelete  = "delete"
	OpCommit  = "commit"
)

// Ops are every operation, in table order.
var Ops = []string{OpList, OpGet, OpCreate, OpReplace, OpDelete, OpCommit}

// Family kinds.
const (
	kindSection    = "section"
	kindCollection = "collection"
	kindGlobal     = "global"
	kindRuntime    = "runtime"
)

// Family is one kind of resource and the operations it is measured with.
type Family struct {
	// Name is the row label: "backends", "frontends/binds",
	// "runtime/backends/servers".
	Name string
	// Ops are the operations it has, in the order of Ops.
	Ops  []string
	kind string
	sec  config.SectionResource
	coll config.ChildResource
}

// Staged says whether create, replace and delete go into a transaction
// (else they are applied at once, through the runtime socket).
func (f Family) Staged() bool { return f.kind != kindRuntime }

// Families returns every family: the section kinds and collections of
// the registry, global and the runtime servers, sorted by name.
func Families() []Family {
	var out []Family
	for _, s := range config.SectionResources() {
		ops := Ops
		if s.Info().NoReplace {
			ops = []string{OpList, OpGet, OpCreate, OpDelete, OpCommit}
		}
		out = append(out, Family{Name: s.Info().Path, Ops: ops, kind: kindSection, sec: s})
	}
	for _, c := range config.Collections() {
		info := c.Info()
		// Measured under its first parent kind (the handlers are the
		// same for every parent); its paths under the others count as
		// covered.
		name := info.Parents[0].Path + "/" + info.Path
		ops := Ops
		if _, ok := ReadsOnly[name]; ok {
			ops = []string{OpList, OpGet}
		}
		out = append(out, Family{Name: name, Ops: ops, kind: kindCollection, coll: c})
	}
	out = append(out,
		Family{Name: "global", Ops: []string{OpGet, OpReplace, OpCommit}, kind: kindGlobal},
		Family{Name: "runtime/backends/servers", Ops: []string{OpList, OpGet, OpCreate, OpReplace, OpDelete}, kind: kindRuntime},
	)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

const (
	configurationBase = "/services/haproxy/configuration"
	runtimeServers    = "/services/haproxy/runtime/backends/{parent_name}/servers"
)

// SpecPaths are the paths of api/openapi.yaml the family's operations
// reach (a collection's under every parent kind).
func (f Family) SpecPaths() []string {
	switch f.kind {
	case kindSection:
		base := configurationBase + "/" + f.sec.Info().Path
		return []string{base, base + "/{name}"}
	case kindCollection:
		info := f.coll.Info()
		key := "/{" + info.KeyName() + "}"
		if info.Positional {
			key = "/{index}"
		}
		var out []string
		for _, p := range info.Parents {
			base := configurationBase + "/" + p.Path + "/{" + info.ParentPathParam() + "}/" + info.Path
			switch {
			case info.QueryParent != "":
				base = configurationBase + "/" + info.Path
			case p.Singleton:
				base = configurationBase + "/" + p.Path + "/" + info.Path
			}
			out = append(out, base, base+key)
		}
		return out
	case kindGlobal:
		return []string{configurationBase + "/global"}
	case kindRuntime:
		return []string{runtimeServers, runtimeServers + "/{name}"}
	}
	return nil
}

// ReadsOnly are the families measured by their reads only, with the
// reason: their writes are the generic handlers of their shape, which
// every other family of that shape measures.
var ReadsOnly = map[string]string{
	"log_forwards/dgram_binds": "a dgram-bind is named after its address: the copies the table creates under other names cannot exist",
}

// Unmeasured are the families the running HAProxy cannot hold, with the
// reason: they have no rows (their operations are the generic ones every
// other list of their shape measures).
var Unmeasured = map[string]string{
	"frontends/quic_initial_rules": "HAProxy 2.6 refuses every quic-initial line (a 3.1 keyword): no file it runs holds one",
	// The kinds newer than HAProxy 2.6 (config/newkinds.go): the same.
	"crt_stores":                  "HAProxy 2.6 refuses crt-store sections (HAProxy 3.0+): no file it runs holds one",
	"crt_stores/crt_loads":        "HAProxy 2.6 refuses crt-store sections (HAProxy 3.0+): no file it runs holds one",
	"log_profiles":                "HAProxy 2.6 refuses log-profile sections (HAProxy 3.1+): no file it runs holds one",
	"acme":                        "HAProxy 2.6 refuses acme sections (HAProxy 3.2+): no file it runs holds one",
	"frontends/ssl_front_uses":    "HAProxy 2.6 refuses every ssl-f-use line (HAProxy 3.2+): no file it runs holds one",
	"healthchecks":                "HAProxy 2.6 refuses healthcheck sections (HAProxy 3.4+): no file it runs holds one",
	"frontends/force_be_switches": "HAProxy 2.6 refuses every force-be-switch line (HAProxy 3.4+): no file it runs holds one",
}

// Measured returns the families the table measures: Families but the
// Unmeasured ones.
func Measured() []Family {
	var out []Family
	for _, f := range Families() {
		if _, skip := Unmeasured[f.Name]; !skip {
			out = append(out, f)
		}
	}
	return out
}

// NotResources are the paths of the contract that are no resource
// family, with the reason; every other path must be measured by a family.
var NotResources = map[string]string{
	"/":                               "discovery",
	"/services":                       "discovery",
	"/services/haproxy":               "discovery",
	"/services/haproxy/configuration": "discovery",
	"/services/haproxy/runtime":       "discovery",
	"/services/haproxy/stats":         "discovery",
	"/info":                           "process facts, no resource",
	"/health":                         "probe, no resource",
	"/specification":                  "the contract",
	"/specification_openapiv3":        "the contract",
	"/docs":                           "the contract's documentation page",
	"/docs/redoc.standalone.js":       "the documentation page's script",
	"/services/haproxy/runtime/info":  "`show info`, no resource",
	"/services/haproxy/stats/native":  "statistics (BenchmarkMetricsScrape measures `show stat`)",
	"/services/haproxy/configuration/version":  "the calibration row's request",
	"/services/haproxy/configuration/raw":      "the whole file (BenchmarkCommitToLive, TestRawUploadMemory)",
	"/services/haproxy/transactions":           "every family's commit opens one",
	"/services/haproxy/transactions/{id}":      "every family's commit is one",
	"/services/haproxy/transactions/{id}/diff": "a view of a transaction",
	"/services/haproxy/reloads":                "every reloading commit makes one",
	"/services/haproxy/reloads/{id}":           "waited for after each commit",
	runtimeServers + "/{name}/drain":           "waits for sessions to end: its time is the traffic's",
	"/services/haproxy/runtime/clear_counters": "one socket command with a show stat before and after: no item to create or replace",
	"/audit":   "a read of the audit file (bounded by audit_max_size): no item to create or replace",
	"/cluster": "the fleet view (fleet mode): nothing to create or replace, its cost is etcd's; measured by BenchmarkFleetCommitToAllApplied",
	"/services/haproxy/configuration/backups":                      "a directory listing of the kept versions",
	"/services/haproxy/configuration/backups/{version}/restore":    "a whole-file replace, measured as the raw upload (BenchmarkCommitToLive)",
	"/services/haproxy/sites":                                      "a composite of the frontend, backend, bind, server and use_backend edits, each measured by its family; no rows of its own yet",
	"/services/haproxy/sites/{name}":                               "a composite of the frontend, backend, bind, server and use_backend edits, each measured by its family; no rows of its own yet",
	"/services/haproxy/configuration/traces":                       "HAProxy 2.6 refuses the traces section (HAProxy 3.1+): no file it runs holds one",
	"/services/haproxy/configuration/traces/entries":               "HAProxy 2.6 refuses the traces section (HAProxy 3.1+): no file it runs holds one",
	"/services/haproxy/runtime/stick_tables":                       "runtime state, not in the file: no rows yet (the runtime storage families of issue 12 will add them)",
	"/services/haproxy/runtime/stick_tables/{name}":                "runtime state, not in the file: no rows yet",
	"/services/haproxy/runtime/stick_tables/{parent_name}/entries": "runtime state, not in the file: no rows yet",
	// TLS files: files beside the configuration, not items of it (no
	// version, no transaction); the live swap is BenchmarkCertificateSwap.
	"/services/haproxy/storage/ssl_certificates":                    "stored files, not in the file: BenchmarkCertificateSwap measures the swap",
	"/services/haproxy/storage/ssl_certificates/{name}":             "stored files, not in the file: BenchmarkCertificateSwap measures the swap",
	"/services/haproxy/storage/ssl_crt_lists":                       "stored files, not in the file",
	"/services/haproxy/storage/ssl_crt_lists/{name}":                "stored files, not in the file",
	"/services/haproxy/storage/ssl_crt_lists/{name}/entries":        "lines of a stored file, not in the file",
	"/services/haproxy/storage/general":                             "stored files, not in the file",
	"/services/haproxy/storage/general/{name}":                      "stored files, not in the file",
	"/services/haproxy/runtime/ssl_certs":                           "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_certs/{name}":                    "runtime TLS state, not in the file: BenchmarkCertificateSwap measures a swap",
	"/services/haproxy/runtime/ssl_crt_lists":                       "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_crt_lists/entries":               "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_ca_files":                        "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_ca_files/{name}":                 "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_ca_files/{name}/entries":         "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_ca_files/{name}/entries/{index}": "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_crl_files":                       "runtime TLS state, not in the file",
	"/services/haproxy/runtime/ssl_crl_files/{name}":                "runtime TLS state, not in the file",
	"/services/haproxy/runtime/maps":                                "runtime map files, not haproxy.cfg: BenchmarkMapEntries (internal/api) measures add and show at 100,000 entries",
	"/services/haproxy/runtime/maps/{name}":                         "runtime map files: BenchmarkMapEntries",
	"/services/haproxy/runtime/maps/{parent_name}/entries":          "runtime map entries: BenchmarkMapEntries (add, show with a filter)",
	"/services/haproxy/runtime/maps/{parent_name}/entries/{id}":     "runtime map entries: BenchmarkMapEntries",
	"/services/haproxy/runtime/acls":                                "runtime ACL files, not haproxy.cfg: same code as the maps (BenchmarkMapEntries)",
	"/services/haproxy/runtime/acls/{id}":                           "runtime ACL files: same code as the maps",
	"/services/haproxy/runtime/acls/{parent_name}/entries":          "runtime ACL entries: same code as the maps",
	"/services/haproxy/runtime/acls/{parent_name}/entries/{id}":     "runtime ACL entries: same code as the maps",
	"/services/haproxy/storage/maps":                                "files in the maps directory, not haproxy.cfg: a write is one atomic file write",
	"/services/haproxy/storage/maps/{name}":                         "files in the maps directory, not haproxy.cfg",
}
