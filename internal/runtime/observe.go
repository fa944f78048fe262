package runtime

import (
	"strings"
	"sync/atomic"
)

// observer holds the optional per-command callback of a transport.
type observer struct {
	f atomic.Pointer[func(cmd string, err error)]
}

// SetObserver makes the client call f after every command it sends, from
// the goroutine that sent it, so f must be quick and safe for concurrent
// use. cmd is the command's verb ("set server", "show stat", "add server"),
// never its arguments, so it has few values and leaks no names. err is the
// transport error when HAProxy gave no answer, a *CommandError when the
// first line of the answer is one of HAProxy's known error texts (a best
// effort: the typed methods classify replies exactly), else nil. A nil f
// removes the observer.
func (c *Client) SetObserver(f func(cmd string, err error)) { c.t.obs.set(f) }

// SetObserver sets the observer that the Clients made by WorkerClient from
// now on start with. Commands to the master itself (reload, show proc) are
// not observed: the reload metrics cover them.
func (m *Master) SetObserver(f func(cmd string, err error)) { m.t.obs.set(f) }

func (o *observer) set(f func(string, error)) {
	if f == nil {
		o.f.Store(nil)
		return
	}
	o.f.Store(&f)
}

// copyFrom starts o with the callback of other.
func (o *observer) copyFrom(other *observer) { o.f.Store(other.f.Load()) }

// observe reports one command to the observer, if any.
func (o *observer) observe(cmd, reply string, err error) {
	p := o.f.Load()
	if p == nil {
		return
	}
	if err == nil && knownError(reply) {
		err = newCommandError(cmd, reply)
	}
	(*p)(commandVerb(cmd), err)
}

// errorReplies are first-line fragments of HAProxy 2.6 error replies that
// replyKinds does not cover.
var errorReplies = []string{
	"Unknown command", "Permission denied", "Invalid ", "expects ", "can only be",
	"Require ", "cannot be", "failed", "not found", "Missing ", "Unknown ",
}

// knownError reports whether reply looks like one of HAProxy's error texts.
func knownError(reply string) bool {
	first, _, _ := strings.Cut(strings.TrimSpace(reply), "\n")
	if first == "" {
		return false
	}
	for _, k := range replyKinds {
		if strings.Contains(first, k.text) {
			return true
		}
	}
	for _, e := range errorReplies {
		if strings.Contains(first, e) {
			return true
		}
	}
	return false
}

// verbs maps the first word of a command to how many words name it.
var verbs = map[string]int{
	"show": 2, "set": 2, "get": 2, "add": 2, "del": 2, "clear": 2, "enable": 2, "disable": 2,
	"prepare": 2, "commit": 2, "abort": 2, "new": 2, "shutdown": 2, "experimental-mode": 1,
	"help": 1, "prompt": 1, "quit": 1, "reload": 1,
}

// commandVerb returns the words that name cmd ("set server be/s1 state
// ready" -> "set server"), dropping a "@1 " routing prefix. A command not
// in the list is "other", so the set of values stays small.
func commandVerb(cmd string) string {
	words := strings.Fields(cmd)
	if len(words) > 0 && strings.HasPrefix(words[0], "@") {
		words = words[1:]
	}
	if len(words) == 0 {
		return "other"
	}
	n, ok := verbs[words[0]]
	if !ok {
		return "other"
	}
	if n == 1 || len(words) == 1 {
		return words[0]
	}
	second := words[1]
	for _, r := range second {
		if (r < 'a' || r > 'z') && r != '-' {
			return words[0]
		}
	}
	return words[0] + " " + second
}
