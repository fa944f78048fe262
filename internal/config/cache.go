package config

import (
	"sync/atomic"
)

// Cache is a `cache` section, the Data Plane API v3 `cache` model, with
// HAProxy's units: total_max_size in megabytes, max_object_size in bytes,
// max_age in seconds.
type Cache struct {
	Name                string `json:"name"`
	MaxAge              *int64 `json:"max_age,omitempty"`
	MaxObjectSize       *int64 `json:"max_object_size,omitempty"`
	MaxSecondaryEntries *int64 `json:"max_secondary_entries,omitempty"`
	ProcessVary         *bool  `json:"process_vary,omitempty"`
	TotalMaxSize        *int64 `json:"total_max_size,omitempty"`
	Meta                       // metadata: the trailing comment of its header line (metadata.go)
}

var cacheModel = registerSection(&sectionModel[Cache]{
	info: SectionInfo{Kind: KindCache, Path: "caches", OpName: "Cache", Tag: "Cache", Schema: "cache", Templated: true},
	fields: fieldSet[Cache]{
		// In the order of HAProxy's documentation, for new sections.
		intField("total_max_size", []string{"total-max-size"}, 1, 4095, func(m *Cache) **int64 { return &m.TotalMaxSize }),
		// HAProxy 2.6 caps an object at half the cache (checked by
		// haproxy -c), and reads the value as a 32-bit number.
		intField("max_object_size", []string{"max-object-size"}, 1, 1<<31-1, func(m *Cache) **int64 { return &m.MaxObjectSize }),
		intField("max_age", []string{"max-age"}, 0, 1<<31-1, func(m *Cache) **int64 { return &m.MaxAge }),
		intField("max_secondary_entries", []string{"max-secondary-entries"}, 1, 1<<31-1, func(m *Cache) **int64 { return &m.MaxSecondaryEntries }),
		onOffBoolField("process_vary", []string{"process-vary"}, func(m *Cache) **bool { return &m.ProcessVary }),
	},
	name:  func(m *Cache) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// onOffBoolField: `<keyword...> on|off`, a nullable boolean (no line: null).
func onOffBoolField[T any](json string, kw []string, get func(*T) **bool) sectionField[T] {
	read := func(s *Section, m *T) {
		if l, ok := lastMatch(s, kw); ok && len(l.Words) == len(kw)+1 {
			switch l.Words[len(kw)] {
			case "on":
				v := true
				*get(m) = &v
			case "off":
				v := false
				*get(m) = &v
			}
		}
	}
	words := func(m *T) [][]string {
		v := *get(m)
		if v == nil {
			return nil
		}
		w := "off"
		if *v {
			w = "on"
		}
		return [][]string{append(cloneWords(kw), w)}
	}
	return sectionField[T]{
		name: json, matchers: [][]string{kw}, reads: [][]string{kw}, read: read, words: words,
		same: sameRendered(read, words),
	}
}
