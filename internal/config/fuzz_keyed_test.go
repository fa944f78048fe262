package config

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
)

// keyedBase holds a section of each kind the keyed collections of the
// other sections (users, groups, peer entries, tables, dgram-binds,
// nameservers, mailer entries) live in.
const keyedBase = `userlist ul
    group ops users admin
    user admin password $5$x$y groups ops

peers mesh
    peer a 127.0.0.1:1024
    table t type ip size 1k

log-forward lf
    dgram-bind 127.0.0.1:5514
    log 127.0.0.1:514 local0

resolvers dns
    nameserver ns1 127.0.0.1:53

mailers alerts
    mailer m1 127.0.0.1:25

crt-store st
    load crt a.pem alias a
`

// keyedSeeds are a valid item of each of those collections, as a body.
var keyedSeeds = map[string]string{
	"users":          `{"username":"u","password":"pw","secure_password":false,"groups":"ops"}`,
	"groups":         `{"name":"g","users":"admin"}`,
	"peer_entries":   `{"name":"b","address":"127.0.0.2","port":1025,"shard":1}`,
	"tables":         `{"name":"t2","type":"string","type_len":32,"size":"10k","expire":"30s","store":"gpc0","write_to":"t"}`,
	"dgram_binds":    `{"address":"127.0.0.2","port":5515,"interface":"lo","namespace":"ns"}`,
	"nameservers":    `{"name":"ns9","address":"127.0.0.9","port":53}`,
	"mailer_entries": `{"name":"m9","address":"127.0.0.9","port":25}`,
	"crt_loads":      `{"certificate":"b.pem","key":"b.key","alias":"b","acme":"le","ocsp":"b.ocsp","issuer":"b.iss","sctl":"b.sctl"}`,
}

var keyedParents = map[string]Parent{
	"users": {KindUserlist, "ul"}, "groups": {KindUserlist, "ul"},
	"peer_entries": {KindPeers, "mesh"}, "tables": {KindPeers, "mesh"}, "dgram_binds": {KindLogForward, "lf"},
	"nameservers": {KindResolvers, "dns"}, "mailer_entries": {KindMailers, "alerts"},
	"crt_loads": {KindCrtStore, "st"},
}

func keyedDoc(t *testing.T) *Document {
	t.Helper()
	d, err := Parse([]byte(keyedBase))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestKeyedSeedsCoverTheNewSections: every collection of a userlist,
// peers or log-forward section (but binds and servers, fuzzed on their
// own) has a seed that the collection accepts.
func TestKeyedSeedsCoverTheNewSections(t *testing.T) {
	for _, c := range Collections() {
		info := c.Info()
		if info.Path == "binds" || info.Path == "servers" || info.Positional {
			continue
		}
		if !info.HasParent(KindUserlist) && !info.HasParent(KindPeers) && !info.HasParent(KindLogForward) &&
			!info.HasParent(KindResolvers) && !info.HasParent(KindMailers) && !info.HasParent(KindCrtStore) {
			continue
		}
		if _, ok := keyedSeeds[info.Path]; !ok {
			t.Errorf("%s: no seed in keyedSeeds", info.Path)
			continue
		}
		m := c.NewModel()
		if err := json.Unmarshal([]byte(keyedSeeds[info.Path]), m); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Create(keyedDoc(t), keyedParents[info.Path], Key{}, m); err != nil {
			t.Errorf("%s: the seed is refused: %v", info.Path, err)
		}
	}
}

// FuzzKeyedItems: text in any string field of a user, group, peer entry,
// table, dgram-bind, nameserver or mailer entry either becomes exactly one new line of its section,
// reading back as what was sent, or is refused as invalid with the
// document untouched.
func FuzzKeyedItems(f *testing.F) {
	for _, v := range nastyValues {
		f.Add(uint8(0), uint8(0), v)
	}
	f.Add(uint8(3), uint8(1), "gpc0,http_req_rate(10s)")
	// Addresses of peer entries and nameservers (address is their first
	// string field): IPv6 ones, bracketed or not, and half brackets.
	paths := slices.Sorted(maps.Keys(keyedSeeds))
	for _, p := range []string{"peer_entries", "nameservers"} {
		which := uint8(slices.Index(paths, p))
		for _, v := range []string{"::1", "[::1]", "fe80::1", "ipv6@::1", "::1]", "[::1", "[::1]:80", "ipv6@[::1]"} {
			f.Add(which, uint8(0), v)
		}
	}
	f.Fuzz(func(t *testing.T, which, field uint8, value string) {
		paths := make([]string, 0, len(keyedSeeds))
		for p := range keyedSeeds {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		path := paths[int(which)%len(paths)]
		c, ok := CollectionByPath(path)
		if !ok {
			t.Fatalf("no collection %s", path)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(keyedSeeds[path]), &body); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for k, v := range body {
			if _, ok := v.(string); ok {
				fields = append(fields, k)
			}
		}
		sort.Strings(fields)
		name := fields[int(field)%len(fields)]
		body[name] = value
		raw, _ := json.Marshal(body)
		m := c.NewModel()
		if err := json.Unmarshal(raw, m); err != nil {
			return
		}
		d := keyedDoc(t)
		before := d.Render()
		nd, k, err := c.Create(d, keyedParents[path], Key{}, m)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExists) {
				t.Fatalf("%s %s=%q: refused with %v, want ErrInvalid", path, name, value, err)
			}
			if string(d.Render()) != string(before) {
				t.Fatal("a refused edit changed the document")
			}
			return
		}
		old, now := fuzzLines(before), fuzzLines(nd.Render())
		if len(now) != len(old)+1 {
			t.Fatalf("%s %s=%q: %d lines became %d:\n%s", path, name, value, len(old), len(now), nd.Render())
		}
		for i := range now {
			if i >= len(old) || now[i] != old[i] {
				if strings.Join(append(append([]string{}, now[:i]...), now[i+1:]...), "") != string(before) {
					t.Fatalf("%s %s=%q: more than one line changed:\n%s", path, name, value, nd.Render())
				}
				checkNewLine(t, now[i])
				break
			}
		}
		got, err := c.Get(nd, keyedParents[path], k)
		if err != nil {
			t.Fatalf("%s %s=%q: read back: %v\n%s", path, name, value, err, nd.Render())
		}
		// A dgram-bind sent without a name is named after its address.
		if db, ok := m.(*DgramBind); ok && db.Name == "" {
			db.Name = joinAddress(db.Address, db.Port, db.PortRangeEnd)
		}
		sameJSONValue(t, path, m, got)
	})
}
