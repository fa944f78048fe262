package reload

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	cases := []struct {
		name string
		argv string
		want Invocation
	}{
		{"container form", "haproxy -W -f /usr/local/etc/haproxy/haproxy.cfg",
			Invocation{MasterWorker: true, Files: []string{"/usr/local/etc/haproxy/haproxy.cfg"}}},
		{"files, directory, master CLI, local peer",
			"haproxy -W -db -f /etc/haproxy/haproxy.cfg -f /etc/haproxy/conf.d -S /run/m.sock,level,admin -L node1",
			Invocation{MasterWorker: true, Files: []string{"/etc/haproxy/haproxy.cfg", "/etc/haproxy/conf.d"}, LocalPeer: "node1"}},
		{"systemd, after a reload (the master re-executes itself with -sf and -x)",
			"/usr/sbin/haproxy -Ws -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid -S /run/haproxy-master.sock -sf 812 813 -x sockpair@5",
			Invocation{MasterWorker: true, Files: []string{"/etc/haproxy/haproxy.cfg"}}},
		{"standalone", "haproxy -f a.cfg -p /run/h.pid -D -x /run/admin.sock -sf 17 -C /etc/haproxy -f b.cfg",
			Invocation{Files: []string{"a.cfg", "b.cfg"}, ChDir: "/etc/haproxy"}},
		{"files after --", "haproxy -W -n 4000 -- /etc/a.cfg /etc/b.cfg",
			Invocation{MasterWorker: true, Files: []string{"/etc/a.cfg", "/etc/b.cfg"}}},
		{"-sf without PIDs, then a flag", "haproxy -sf -f x.cfg", Invocation{Files: []string{"x.cfg"}}},
		{"a trailing flag without its argument", "haproxy -f", Invocation{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParseCmdline(strings.Fields(c.argv))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// The check repeats the running HAProxy's flags, with the file checked in
// the live file's place.
func TestCheckerArgs(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "haproxy.cfg")
	link := filepath.Join(dir, "link.cfg")
	if err := os.WriteFile(live, []byte("global\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(live, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		masterWorker bool
		running      *Invocation
		want         string
	}{
		{"nothing found", false, nil, "-c -f CAND"},
		{"nothing found, master-worker known", true, nil, "-c -W -f CAND"},
		{"every flag", false, &Invocation{MasterWorker: true, Files: []string{"/etc/haproxy/base.cfg", live, "/etc/haproxy/conf.d"}, LocalPeer: "node1", ChDir: "/etc/haproxy"},
			"-c -W -L node1 -C /etc/haproxy -f /etc/haproxy/base.cfg -f CAND -f /etc/haproxy/conf.d"},
		{"live file named through a link", false, &Invocation{Files: []string{link, "/x.cfg"}}, "-c -f CAND -f /x.cfg"},
		{"live file not named (inside a directory)", false, &Invocation{MasterWorker: true, Files: []string{dir + "/conf.d"}}, "-c -W -f CAND"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := &Checker{MasterWorker: c.masterWorker, ConfigFile: live}
			if c.running != nil {
				ch.Running = func(context.Context) (Invocation, bool) { return *c.running, true }
			}
			got := strings.Join(ch.args(context.Background(), "CAND"), " ")
			if got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// ReadInvocation reads a real process's command line, and refuses one
// that is not HAProxy.
func TestReadInvocationNotHAProxy(t *testing.T) {
	if _, err := ReadInvocation(os.Getpid(), "haproxy"); err == nil {
		t.Fatal("the test binary was taken for HAProxy")
	}
	if _, err := ReadInvocation(1<<30, "haproxy"); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
	f := &Finder{PIDFile: filepath.Join(t.TempDir(), "none.pid"), Bin: "haproxy"}
	if inv, ok := f.Find(context.Background()); ok {
		t.Fatalf("found %+v with nothing running", inv)
	}
}

// SignalReady reads a process's signal state: caught and not blocked is
// ready; default, ignored or blocked is not.
func TestSignalReady(t *testing.T) {
	cases := []struct {
		name   string
		script string
		want   bool
	}{
		// `read` waits on a pipe never written: no fork, during which the
		// shell blocks every signal.
		{"caught", `trap 'echo usr2' USR2; echo up; read x`, true},
		{"ignored", `trap '' USR2; echo up; read x`, false},
		{"default", `echo up; exec sleep 30`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", c.script)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cmd.StdinPipe(); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			// "up" is printed once the trap is set.
			if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			got, err := SignalReady(cmd.Process.Pid)
			if err != nil || got != c.want {
				t.Fatalf("SignalReady = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := SignalReady(1 << 30); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
