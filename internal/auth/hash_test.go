package auth

import (
	"strings"
	"testing"
)

func TestVerifyEachForm(t *testing.T) {
	vectors := loadVectors(t)
	for _, name := range []string{
		"md5crypt",
		"sha256crypt",
		"sha512crypt",
		"sha512crypt-utf8",
		"sha256crypt-rounds",
		"sha512crypt-rounds",
		"bcrypt-2b-cost4",
		"bcrypt-2a-cost5",
		"bcrypt-2y-cost10",
		"yescrypt",
		"yescrypt-R1",
	} {
		v, ok := vectors[name]
		if !ok {
			t.Fatalf("no vector %q", name)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := mustNew(t, []User{{Name: "admin", Password: v.hash}}, Options{CacheTTL: -1})
			tests := []struct {
				password string
				want     bool
			}{
				{v.password, true},
				{v.password + "x", false},
				{v.password[:len(v.password)-1], false},
				{strings.ToUpper(v.password), false},
				{"", false},
			}
			for _, tt := range tests {
				if got := a.Verify("admin", tt.password); got != tt.want {
					t.Errorf("Verify(admin, %q) = %v, want %v", tt.password, got, tt.want)
				}
			}
			if a.Verify("Admin", v.password) {
				t.Error("user names must be case-sensitive")
			}
		})
	}
}

func TestVerifyInsecure(t *testing.T) {
	a := mustNew(t, []User{{Name: "ops", Password: "plain pw", Insecure: true}}, Options{})
	tests := []struct {
		password string
		want     bool
	}{
		{"plain pw", true},
		{"plain pw ", false},
		{"plain p", false},
		{"", false},
		// An Insecure user's password is never parsed as a hash, and a
		// hashed user's is never compared as text: see TestHashIsNotAPassword.
	}
	for _, tt := range tests {
		if got := a.Verify("ops", tt.password); got != tt.want {
			t.Errorf("Verify(ops, %q) = %v, want %v", tt.password, got, tt.want)
		}
	}
}

func TestHashIsNotAPassword(t *testing.T) {
	v := vec(t, "sha512crypt")
	a := mustNew(t, []User{{Name: "admin", Password: v.hash}}, Options{})
	if a.Verify("admin", v.hash) {
		t.Fatal("the stored hash itself was accepted as the password")
	}
}

func TestNewRejectsUnsupportedHash(t *testing.T) {
	vectors := loadVectors(t)
	sha512 := vectors["sha512crypt"].hash
	bc := vectors["bcrypt-2b-cost4"].hash
	tests := []struct {
		name, hash string
		reason     string // part of the expected message
	}{
		{"plain text without insecure", "hunter2hunter2", "not a supported hash"},
		{"empty", "", "not a supported hash"},
		{"only dollar", "$", "not a supported hash"},
		{"argon2id", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$N6a2mGNjbDpHo3eOq4wZ0/YkPn5fLu30MbM7VvfOQzk", "not a supported hash"},
		{"go-crypt plaintext", "$plaintext$hunter2", "not a supported hash"},
		{"bcrypt 2x", "$2x$" + bc[4:], "not a supported hash"},
		{"sun md5", "$md5,rounds=5000$GUBv0xjJ$$mSwgIswdjlTY0YxV7HBVm0", "not a supported hash"},
		{"DES crypt", "abJnggxhB/yWI", "not a supported hash"},
		{"truncated sha512", sha512[:len(sha512)-10], "hash part is 76 characters, want 86"},
		{"sha512 bad alphabet", sha512[:len(sha512)-1] + "!", "outside the crypt alphabet"},
		{"sha512 empty salt", "$6$$" + sha512[strings.LastIndex(sha512, "$")+1:], "empty salt"},
		{"sha512 bad rounds", "$6$rounds=abc$" + sha512[3:], "malformed sha512-crypt hash"},
		{"sha512 rounds too low", "$6$rounds=10$" + sha512[3:], "malformed sha512-crypt hash"},
		{"shell-expanded", "$6", "not a supported hash"},
		{"bcrypt short", bc[:50], "malformed bcrypt hash"},
		{"bcrypt bad salt", bc[:7] + "!!" + bc[9:], "malformed bcrypt hash"},
		{"bcrypt cost 3", "$2b$03$" + bc[7:], "malformed bcrypt hash"},
		{"yescrypt bad setting", "$y$x9T$WbGiP0Q32psN/9grrh3Nh.$4ngD1vDcKWaV.zdLKc4ByiqJuGRADHuzLCyzgQNCSz5", "malformed yescrypt hash"},
		{"yescrypt no key", "$y$j9T$WbGiP0Q32psN/9grrh3Nh.$", "malformed yescrypt hash"},
		{"trailing newline", sha512 + "\n", "malformed sha512-crypt hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New([]User{{Name: "bob", Password: tt.hash}}, Options{})
			if err == nil {
				t.Fatal("New accepted the hash")
			}
			msg := err.Error()
			if !strings.Contains(msg, `unsupported password hash for user "bob"`) || !strings.Contains(msg, tt.reason) {
				t.Errorf("error %q does not name the user or say %q", msg, tt.reason)
			}
			if secret := secretPart(tt.hash); secret != "" && strings.Contains(msg, secret) {
				t.Errorf("error %q contains the hash", msg)
			}
		})
	}
}

// secretPart returns the part of a hash that must never be printed: the
// segment after the last '$', or the whole value if it has no '$'. Very
// short values are skipped, since any message may contain them by chance.
func secretPart(h string) string {
	s := h[strings.LastIndex(h, "$")+1:]
	if len(s) < 6 {
		return ""
	}
	return s
}

func TestNewRejectsCostAboveCap(t *testing.T) {
	vectors := loadVectors(t)
	tests := []struct {
		vector, want string
	}{
		{"over-bcrypt-cost15", "bcrypt cost 15 is above the cap of 14"},
		{"over-sha512crypt-rounds", "sha-crypt rounds 1000001 is above the cap of 1000000"},
		// mkpasswd -R 11: N=2^18 is within the N cap, memory is not.
		{"over-yescrypt-R11", "yescrypt memory 1024 MiB (N=2^18, r=32) is above the cap of 64 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			v := vectors[tt.vector]
			_, err := New([]User{{Name: "carol", Password: v.hash}}, Options{})
			if err == nil {
				t.Fatal("New accepted a hash above the cost cap")
			}
			if !strings.Contains(err.Error(), `user "carol"`) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name the user or say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secretPart(v.hash)) {
				t.Errorf("error %q contains the hash", err)
			}
		})
	}
}

func TestCostCapsBoundaries(t *testing.T) {
	tests := []struct {
		id, params string
		wantErr    string
	}{
		{"6", "", ""},
		{"6", "rounds=1000000", ""},
		{"6", "rounds=1000001", "above the cap of 1000000"},
		{"5", "rounds=999999999", "above the cap"},
		{"2b", "14", ""},
		{"2y", "15", "above the cap of 14"},
		{"2a", "31", "above the cap"},
		{"y", "j9T", ""}, // N=2^12, r=32: 16 MiB, Debian's default
		{"y", "jBT", ""}, // N=2^14, r=32: 64 MiB, mkpasswd -R 7
		{"y", "jCT", "yescrypt memory 128 MiB (N=2^15, r=32) is above the cap of 64 MiB"},
		{"y", "jF.", ""}, // N=2^18, r=1: 32 MiB
		{"y", "jG.", "yescrypt N 2^19 is above the cap of 2^18"},
		{"y", "j", "unreadable yescrypt parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.params, func(t *testing.T) {
			_, err := cost(tt.id, tt.params)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("cost: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("cost error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
