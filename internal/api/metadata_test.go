package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	dpapi "dataplane/internal/api"
	"dataplane/internal/apitest"
	"dataplane/internal/config"
	"dataplane/internal/haproxytest"
)

// metadataSample is the metadata every item and section gets: a plain
// comment beside objects whose keys and texts would end the line, start a
// comment or close a quote if they were written as they are.
func metadataSample() map[string]any {
	return map[string]any{
		"comment":  "rack A",
		"owner":    map[string]any{"team": "web\nserver evil 127.0.0.1:1", "note": "# not a comment \"q\" 'q' \\"},
		"key\r\n#": map[string]any{"n": 2},
	}
}

// metadataComment is how metadataSample is written: one line of JSON,
// keys sorted, every control character escaped.
const metadataComment = ` # {"comment":"rack A","key\r\n#":{"n":2},"owner":{"note":"# not a comment \"q\" 'q' \\","team":"web\nserver evil 127.0.0.1:1"}}`

// keyedMetadataItems are, per keyed collection, the parent kind the test
// uses and an item HAProxy 2.6 accepts there (ports are filled in).
var keyedMetadataItems = map[string]struct {
	parent string
	item   map[string]any
}{
	"servers":          {config.KindBackend, map[string]any{"name": "s_md", "address": "127.0.0.1", "port": 1}},
	"binds":            {config.KindFrontend, map[string]any{"name": "b_md", "address": "127.0.0.1", "port": 0}},
	"server_templates": {config.KindBackend, map[string]any{"prefix": "st_md", "num_or_range": "2", "fqdn": "localhost", "port": 1}},
	"peer_entries":     {config.KindPeers, map[string]any{"name": "pe_md", "address": "127.0.0.1", "port": 0}},
	"tables":           {config.KindPeers, map[string]any{"name": "t_md", "type": "ip", "size": "1k"}},
	"dgram_binds":      {config.KindLogForward, map[string]any{"name": "db_md", "address": "127.0.0.1", "port": 0}},
	"mailer_entries":   {config.KindMailers, map[string]any{"name": "me_md", "address": "127.0.0.1", "port": 25}},
	"nameservers":      {config.KindResolvers, map[string]any{"name": "ns_md", "address": "127.0.0.1", "port": 53}},
	"users":            {config.KindUserlist, map[string]any{"username": "u_md", "password": "x", "secure_password": false}},
	"groups":           {config.KindUserlist, map[string]any{"name": "g_md"}},
}

// newerMetadataKinds are served but refused by HAProxy 2.6 whatever their
// metadata (TestNewKindsRefusedByHAProxy26): their sections and children
// are left out here.
var newerMetadataKinds = map[string]bool{
	config.KindCrtStore: true, config.KindLogProfile: true, config.KindAcme: true, config.KindHealthcheck: true,
	"crt_loads": true, "ssl_front_uses": true, "quic_initial_rules": true, "force_be_switches": true,
}

const metadataConfig = `
frontend fe_md
    bind 127.0.0.1:%d
    mode http
    default_backend be_md

backend be_md
    mode http
    stick-table type ip size 1k
    server s1 127.0.0.1:1

# The backend validRuleItems' use_backend names.
backend be_tx
    mode http

defaults d_md
    mode http

peers p_md
    peer remote 127.0.0.1:1

log-forward lf_md
    dgram-bind 127.0.0.1:%d
    log 127.0.0.1:1 local0

fcgi-app app_md
    docroot /var/www

resolvers r_md
    nameserver dns1 127.0.0.1:53

mailers m_md
    mailer smtp1 127.0.0.1:25

userlist u_md
    user admin insecure-password x

cache c_md
    total-max-size 4

http-errors he_md

ring ring_md
    size 32768
`

// TestMetadataOnHAProxy: every section kind and every child collection
// whose model has metadata (config.HasMetadata), one each on a real
// HAProxy 2.6: written with metadata in one transaction, read back equal
// in it, committed (haproxy -c accepts the file, whose lines carry the
// metadata as one JSON comment each, nothing injected), read back equal
// from the live file; then metadata that is not an object of objects is
// refused with 422 and changes nothing.
func TestMetadataOnHAProxy(t *testing.T) {
	in := haproxytest.New(t)
	e := apitest.Start(t, in, in.Global()+fmt.Sprintf(metadataConfig, haproxytest.FreePort(t), freeUDPPort(t)), apitest.Options{})
	parents := map[string]string{config.KindFrontend: "fe_md", config.KindBackend: "be_md", config.KindDefaults: "d_md",
		config.KindPeers: "p_md", config.KindLogForward: "lf_md", config.KindFCGIApp: "app_md", config.KindResolvers: "r_md",
		config.KindMailers: "m_md", config.KindUserlist: "u_md", config.KindCache: "c_md", config.KindHTTPErrors: "he_md",
		config.KindRing: "ring_md", config.KindGlobal: ""}
	tx := begin(t, e)
	q := "?transaction_id=" + tx.ID
	var written []string // the item paths, read again after the commit

	// Sections: the existing one replaced with its body plus metadata; a
	// new one for the kinds without PUT (userlists, peers sections).
	for _, sec := range config.SectionResources() {
		info := sec.Info()
		if !config.HasMetadata(sec.NewModel()) || newerMetadataKinds[info.Kind] {
			continue
		}
		name, ok := parents[info.Kind]
		if !ok {
			t.Errorf("section kind %s: no section of that kind in this test's file", info.Kind)
			continue
		}
		list := configBase + "/" + info.Path
		var body map[string]any
		e.Get(list+"/"+name+q).JSON(t, &body)
		body["metadata"] = metadataSample()
		path := list + "/" + name
		if info.NoReplace {
			body = map[string]any{"name": name + "2", "metadata": metadataSample()}
			mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: list + q, Body: body}), 202, "create "+info.Kind)
			path = list + "/" + name + "2"
		} else {
			mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: path + q, Body: body}), 202, "replace "+info.Kind)
		}
		written = append(written, path)
	}

	// Children: one item per collection, on one parent kind.
	for _, c := range config.Collections() {
		info := c.Info()
		if !config.HasMetadata(c.NewModel()) || newerMetadataKinds[info.Path] {
			continue
		}
		item, parentKind, key := metadataItem(t, info)
		if item == nil {
			continue
		}
		var p config.ParentKind
		for _, pk := range info.Parents {
			if pk.Kind == parentKind {
				p = pk
			}
		}
		list := dpapi.CollectionPath(p, info)
		parentQuery := ""
		if info.QueryParent != "" {
			parentQuery = info.QueryParent + "=" + parents[parentKind]
		} else {
			list = strings.Replace(list, "{"+info.ParentPathParam()+"}", parents[parentKind], 1)
		}
		item["metadata"] = metadataSample()
		create, path := list, list+"/"+key
		if info.Positional {
			create = path // insert at 0
		}
		mustStatus(t, e.Do(apitest.Request{Method: "POST", Path: withQuery(create, parentQuery, "transaction_id="+tx.ID), Body: item}), 202, "create "+info.Path)
		path = withQuery(path, parentQuery)
		written = append(written, path)
	}

	for _, path := range written {
		checkMetadata(t, e, path, "transaction_id="+tx.ID)
	}
	mustStatus(t, e.Do(apitest.Request{Method: "PUT", Path: "/services/haproxy/transactions/" + tx.ID + "?force_reload=true"}), 200, "commit")

	cfg := string(e.ReadConfig())
	t.Logf("%d sections and items written with metadata: %s", len(written), strings.Join(written, " "))
	if n := strings.Count(cfg, metadataComment+"\n"); n != len(written) {
		t.Errorf("%d lines end with the metadata comment, want %d:\n%s", n, len(written), cfg)
	}
	if strings.Contains(cfg, "\nserver evil") || strings.Contains(cfg, "\n    server evil") {
		t.Errorf("metadata text became a line:\n%s", cfg)
	}
	for _, path := range written {
		checkMetadata(t, e, path, "")
	}

	// Not an object of objects: 422 per the contract, nothing written.
	before := e.ReadConfig()
	server := configBase + "/backends/be_md/servers/s1"
	for _, bad := range []any{
		"rack A",
		[]any{map[string]any{}},
		map[string]any{"owner": "web"},
		map[string]any{"owner": []any{"web"}},
		map[string]any{"owner": 1},
		map[string]any{"comment": "two\nlines"},
		map[string]any{"comment": map[string]any{}, "x": nil},
	} {
		body := map[string]any{"name": "s1", "address": "127.0.0.1", "port": 1, "metadata": bad}
		r := e.Do(apitest.Request{Method: "PUT", Path: server + vq(t, e), Body: body})
		if r.Status != 422 || !strings.Contains(string(r.Body), "metadata") {
			t.Errorf("metadata %#v: %d %s, want 422 naming metadata", bad, r.Status, r.Body)
		}
		r = e.Do(apitest.Request{Method: "PUT", Path: configBase + "/frontends/fe_md" + vq(t, e), Body: map[string]any{"name": "fe_md", "metadata": bad}})
		if r.Status != 422 || !strings.Contains(string(r.Body), "metadata") {
			t.Errorf("frontend metadata %#v: %d %s, want 422 naming metadata", bad, r.Status, r.Body)
		}
	}
	if string(e.ReadConfig()) != string(before) {
		t.Fatal("refused metadata changed the file")
	}
}

// metadataItem returns a valid item of the collection, the parent kind
// it goes in, and the key that addresses it.
func metadataItem(t *testing.T, info config.CollectionInfo) (map[string]any, string, string) {
	t.Helper()
	if info.Positional {
		items, ok := validRuleItems[info.Path]
		if !ok {
			t.Errorf("%s: no valid items in validRuleItems", info.Path)
			return nil, "", ""
		}
		item := map[string]any{}
		for k, v := range items.first {
			item[k] = v
		}
		return item, info.Parents[0].Kind, "0"
	}
	k, ok := keyedMetadataItems[info.Path]
	if !ok {
		t.Errorf("%s: no valid item in keyedMetadataItems", info.Path)
		return nil, "", ""
	}
	item := map[string]any{}
	for f, v := range k.item {
		item[f] = v
	}
	if item["port"] == 0 {
		item["port"] = haproxytest.FreePort(t)
		if info.Path == "dgram_binds" {
			item["port"] = freeUDPPort(t)
			item["name"] = fmt.Sprintf("127.0.0.1:%d", item["port"]) // named after its address
		}
	}
	key, _ := item["name"].(string)
	switch {
	case item["username"] != nil:
		key = item["username"].(string)
	case item["prefix"] != nil:
		key = item["prefix"].(string)
	}
	return item, k.parent, key
}

// withQuery adds the non-empty query parameters qs (`a=b`) to path.
func withQuery(path string, qs ...string) string {
	for _, q := range qs {
		if q == "" {
			continue
		}
		if strings.Contains(path, "?") {
			path += "&" + q
		} else {
			path += "?" + q
		}
	}
	return path
}

// checkMetadata fails unless the item at path reads with metadataSample.
func checkMetadata(t *testing.T, e *apitest.Env, path, query string) {
	t.Helper()
	path = withQuery(path, query)
	r := e.Get(path)
	mustStatus(t, r, 200, "GET "+path)
	var got struct {
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	var a, b any
	want, _ := json.Marshal(metadataSample())
	_ = json.Unmarshal(want, &a)
	_ = json.Unmarshal(got.Metadata, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("GET %s: metadata %s, want %s", path, got.Metadata, want)
	}
}
