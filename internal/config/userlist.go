package config

import (
	"strings"
	"sync/atomic"

	"github.com/haproxytech/config-parser/v5/parsers"
	"github.com/haproxytech/config-parser/v5/types"
)

// Userlist is a `userlist` section, the Data Plane API v3 `userlist`
// model. Its lines are users and groups (collections below).
type Userlist struct {
	Name string `json:"name"`
	Meta        // metadata: the trailing comment of its header line (metadata.go)
}

var userlistModel = registerSection(&sectionModel[Userlist]{
	info: SectionInfo{Kind: KindUserlist, Path: "userlists", OpName: "Userlist", Tag: "Userlist", Schema: "userlist",
		NoReplace: true, Templated: true},
	name:  func(m *Userlist) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// User is a `user` line of a userlist: `user <name> [password <hash> |
// insecure-password <password>] [groups <g1>,<g2>]`.
type User struct {
	Username string `json:"username"`
	// Password is the hash with SecurePassword, else the password itself
	// (`insecure-password`), as the file has it.
	Password       string `json:"password"`
	SecurePassword bool   `json:"secure_password"`
	Groups         string `json:"groups,omitempty"`
	Meta                  // metadata: the trailing comment of its line (metadata.go)
}

// Users are the `user` lines of userlists, keyed by name, addressed as
// the Data Plane API does: /users?userlist=<name>.
var Users = Register(&Collection[User]{
	Name: "user", Path: "users", OpName: "User", Tag: "User", Schema: "user", Keyword: "user",
	Parents: []string{KindUserlist}, FullSection: "users",
	PluralListOps: true, QueryParent: "userlist", PathKey: "username",
	Parse: func(l Line) (User, bool) {
		u, ok := cpParse[types.User](&parsers.User{}, l)
		if !ok {
			return User{}, false
		}
		m := User{Username: u.Name, Password: u.Password, SecurePassword: !u.IsInsecure && u.Password != "",
			Groups: strings.Join(u.Groups, ",")}
		// config-parser skips what it does not know (a misspelt keyword):
		// such a line is no user of the API's, and stays as written.
		return m, equalWords(renderUser(&m), l.Words)
	},
	Render: func(m *User, _ *Line) []string { return renderUser(m) },
	Check:  checkUser,
	Key:    func(m *User) string { return m.Username },
	SetKey: func(m *User, n string) { m.Username = n },
})

// RedactedPassword stands for a plain (`insecure-password`) password in
// what users other than admins read.
const RedactedPassword = "******"

// Redacted returns the user as shown to users who are not admins: a plain
// password is replaced by RedactedPassword (a hash is shown: it is what
// the file says and tells nothing usable).
func (m User) Redacted() any {
	if !m.SecurePassword && m.Password != "" {
		m.Password = RedactedPassword
	}
	return m
}

func renderUser(m *User) []string {
	w := []string{"user", m.Username}
	if m.Password != "" {
		if m.SecurePassword {
			w = append(w, "password", m.Password)
		} else {
			w = append(w, "insecure-password", m.Password)
		}
	}
	if m.Groups != "" {
		w = append(w, "groups", m.Groups)
	}
	return w
}

func checkUser(m *User) error {
	if err := CheckName("username", m.Username); err != nil {
		return err
	}
	// HAProxy's userlist parser takes no quoting here: a password is one
	// plain word (hashes never hold blanks or quotes).
	if m.Password == "" {
		return invalid("password", "must not be empty (a user without a password cannot log in)")
	}
	if err := checkWord("password", m.Password); err != nil {
		return err
	}
	if m.SecurePassword && !strings.HasPrefix(m.Password, "$") {
		return invalid("password", "with secure_password the password is a crypt(3) hash ($5$..., $6$..., $2b$...); send secure_password=false for a plain password")
	}
	return checkNameList("groups", m.Groups)
}

// Group is a `group` line of a userlist: `group <name> [users <u1>,<u2>]`.
type Group struct {
	Name  string `json:"name"`
	Users string `json:"users,omitempty"`
	Meta         // metadata: the trailing comment of its line (metadata.go)
}

// Groups are the `group` lines of userlists: /groups?userlist=<name>.
var Groups = Register(&Collection[Group]{
	Name: "group", Path: "groups", OpName: "Group", Tag: "Group", Schema: "group", Keyword: "group",
	Parents: []string{KindUserlist}, FullSection: "groups",
	PluralListOps: true, QueryParent: "userlist",
	Parse: func(l Line) (Group, bool) {
		g, ok := cpParse[types.Group](&parsers.Group{}, l)
		if !ok {
			return Group{}, false
		}
		m := Group{Name: g.Name, Users: strings.Join(g.Users, ",")}
		return m, equalWords(renderGroup(&m), l.Words)
	},
	Render: func(m *Group, _ *Line) []string { return renderGroup(m) },
	Check: func(m *Group) error {
		if err := CheckName("name", m.Name); err != nil {
			return err
		}
		return checkNameList("users", m.Users)
	},
	Key:    func(m *Group) string { return m.Name },
	SetKey: func(m *Group, n string) { m.Name = n },
	// Groups come before the users that name them, as HAProxy's
	// documentation writes them.
	FirstBefore: func(l Line) bool { return l.Words[0] == "user" },
})

func renderGroup(m *Group) []string {
	w := []string{"group", m.Name}
	if m.Users != "" {
		w = append(w, "users", m.Users)
	}
	return w
}

// checkNameList checks a comma-separated list of names (groups of a user,
// users of a group): each a name, no blanks.
func checkNameList(field, v string) error {
	if v == "" {
		return nil
	}
	for _, n := range strings.Split(v, ",") {
		if err := CheckName(field, n); err != nil {
			return err
		}
	}
	return nil
}
