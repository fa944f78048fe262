package spec

import (
	"strings"
	"testing"
)

func TestJSON(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"order kept", "b: 1\na: 2\n", `{"b":1,"a":2}`},
		{"scalars", "s: text\nq: '012'\ni: 0x1F\nf: 1.5\nt: true\nn: null\ne: ~\n",
			`{"s":"text","q":"012","i":31,"f":1.5,"t":true,"n":null,"e":null}`},
		{"numeric keys are strings", "200:\n  d: x\n", `{"200":{"d":"x"}}`},
		{"no timestamps", "d: 2024-01-02\n", `{"d":"2024-01-02"}`},
		{"html kept", "p: '^[^<>&]*$'\n", `{"p":"^[^<>&]*$"}`},
		{"escapes", "s: \"a\\tb\\\"c\\u0001\"\n", `{"s":"a\tb\"c\u0001"}`},
		{"block text", "d: |\n  one\n  two\n", `{"d":"one\ntwo\n"}`},
		{"lists", "l: [1, a, {k: v}]\n", `{"l":[1,"a",{"k":"v"}]}`},
		{"anchors", "a: &x {k: v}\nb: *x\n", `{"a":{"k":"v"},"b":{"k":"v"}}`},
	} {
		got, err := JSON([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(got) != c.want+"\n" {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	for _, c := range []struct{ name, in, want string }{
		{"merge key", "a: &x {k: v}\nb:\n  <<: *x\n", "scalar keys"},
		{"list key", "? [a]\n: v\n", "scalar keys"},
		{"repeated key", "a: 1\na: 2\n", "repeated"},
		{"binary", "b: !!binary aGk=\n", "no JSON equivalent"},
		{"explicit timestamp", "d: !!timestamp 2024-01-02\n", "no JSON equivalent"},
		{"nan", "f: .nan\n", "!!float"},
	} {
		_, err := JSON([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
