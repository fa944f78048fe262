package config

import (
	"reflect"
	"testing"
)

// TestUserlistGroups: a user's groups are those of its `groups` word and
// those of the `group ... users` lines that name it (the two ways HAProxy
// lets a userlist say it), each once.
func TestUserlistGroups(t *testing.T) {
	doc, err := Parse([]byte(`userlist api
    group operator users ops,both
    group admin
    group read-only users viewer,both
    user root password $5$x$y groups admin
    user ops insecure-password o
    user viewer insecure-password v groups web
    user both insecure-password b groups operator
    user nobody insecure-password n
`))
	if err != nil {
		t.Fatal(err)
	}
	users, err := doc.Userlist("api")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, u := range users {
		got[u.Name] = u.Groups
	}
	want := map[string][]string{
		"root":   {"admin"},
		"ops":    {"operator"},
		"viewer": {"web", "read-only"},
		"both":   {"operator", "read-only"},
		"nobody": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups = %v, want %v", got, want)
	}
}
