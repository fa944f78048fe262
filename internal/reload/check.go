// Package reload validates configurations with `haproxy -c`, replaces the
// live file atomically, and reloads HAProxy (master CLI, `-sf/-x`, or a
// custom command) with a success check, coalescing close changes into one
// reload with one Reload-ID.
package reload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"dataplane/internal/fault"
)

// ErrValidation marks a configuration that `haproxy -c` rejected.
var ErrValidation = fault.Sentinel(fault.Invalid, "invalid configuration")

// ValidationError carries HAProxy's own messages about a rejected file.
type ValidationError struct {
	Messages string // HAProxy's [ALERT]/[WARNING] lines, file names as the user knows them
}

func (e *ValidationError) Error() string {
	return "invalid configuration: " + e.Messages
}

func (e *ValidationError) Unwrap() error { return ErrValidation }

// Checker runs `haproxy -c`.
type Checker struct {
	Bin string // haproxy binary, "haproxy" when empty
	// MasterWorker adds -W: a file with `program` sections is only valid in
	// master-worker mode. Running adds it too when HAProxy runs that way.
	MasterWorker bool
	// Dir is the working directory of the check: relative paths in the file
	// (errorfile, crt, maps) resolve against it as they do for HAProxy.
	Dir string
	// Timeout bounds one check; 0 means 60 s.
	Timeout time.Duration
	// ConfigFile is the live file. When Running finds it among the -f
	// files of the running HAProxy, the file checked takes its place
	// there.
	ConfigFile string
	// Running, when set, tells how the running HAProxy was started; the
	// check repeats its flags (-W, the -f files in order, -L, -C), so that
	// a file is judged as the running HAProxy will judge it at the reload.
	// When it finds nothing, the check is `haproxy -c -f <file>` (with -W
	// when MasterWorker).
	Running func(ctx context.Context) (Invocation, bool)
}

// args returns the command line of the check of path.
func (c *Checker) args(ctx context.Context, path string) []string {
	args := []string{"-c"}
	var inv Invocation
	if c.Running != nil {
		inv, _ = c.Running(ctx)
	}
	if c.MasterWorker || inv.MasterWorker {
		args = append(args, "-W")
	}
	if inv.LocalPeer != "" {
		args = append(args, "-L", inv.LocalPeer)
	}
	if inv.ChDir != "" {
		args = append(args, "-C", inv.ChDir)
	}
	// The live file is replaced where it stands, the other files and
	// directories are kept. When it is not named (absent, or inside a -f
	// directory, which would load the live file besides the one checked),
	// the file checked is all there is, as without Running.
	files, replaced := make([]string, 0, len(inv.Files)), false
	for _, f := range inv.Files {
		if !replaced && c.ConfigFile != "" && sameFile(f, c.ConfigFile) {
			f, replaced = path, true
		}
		files = append(files, f)
	}
	if !replaced {
		files = []string{path}
	}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	return args
}

// sameFile reports whether a and b name the same file: the same clean
// path, or the same inode (a symbolic link, a path relative to another
// directory).
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && !sa.IsDir() && os.SameFile(sa, sb)
}

// CheckResult is what a successful check printed.
type CheckResult struct {
	Warnings string        // [WARNING] lines, if any
	Duration time.Duration // wall time of the haproxy -c run
}

// These variables tell haproxy it runs under a master; a check must not
// inherit them from a dataplane launched from a `program` section.
var strippedEnv = []string{
	"HAPROXY_MWORKER=", "HAPROXY_MWORKER_REEXEC=", "HAPROXY_MWORKER_WAIT_ONLY=",
	"HAPROXY_STARTUPLOGS_FD=", "HAPROXY_PROCESSES=",
}

// Check validates the file at path. displayName replaces path in HAProxy's
// messages, so a temp file's name never reaches the user. A file with no
// listener (exit status 2) is valid, with a warning.
func (c *Checker) Check(ctx context.Context, path, displayName string) (CheckResult, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = checkTimeout(path)
	}
	// The flags first: Running may wait (for the first look for HAProxy,
	// at start-up), and that wait is not the check's. A check is never
	// run without the flags because the wait was cut short.
	parent := ctx
	args := c.args(ctx, path)
	if err := ctx.Err(); err != nil {
		return CheckResult{}, fmt.Errorf("haproxy -c %s: %w", displayName, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bin := c.Bin
	if bin == "" {
		bin = "haproxy"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = cleanEnv(os.Environ())
	stdout, stderr := headBuffer{max: maxCheckOutput}, headBuffer{max: maxCheckOutput}
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	res := CheckResult{Duration: time.Since(start)}
	errText, lost := stderr.text()
	msgs := cleanMessages(errText, path, displayName)
	if lost > 0 {
		msgs += fmt.Sprintf("\n... (%d more bytes of HAProxy's messages left out)", lost)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		res.Warnings = msgs // a successful run prints only warnings
		return res, nil
	case errors.As(err, &exit) && exit.ExitCode() == 2 && strings.Contains(stdout.String()+stderr.String(), "no listener"):
		res.Warnings = strings.TrimSpace(msgs + "\nconfiguration has no error but will not start (no listener)")
		return res, nil
	case ctx.Err() != nil && parent.Err() == nil:
		// Our own limit, not the caller's: the file makes the check hang
		// (an ssl-dh-param-file that is a directory spins). That is the
		// file's fault, refused like any invalid one.
		why := fmt.Sprintf("haproxy -c did not finish within %s (the limit for a file of this size): something in the configuration makes HAProxy's check hang, such as a file it reads that is a directory or a pipe", timeout)
		if msgs != "" {
			why += "\n" + msgs
		}
		return res, &ValidationError{Messages: why}
	case ctx.Err() != nil:
		return res, fmt.Errorf("haproxy -c %s: %w", displayName, ctx.Err())
	case errors.As(err, &exit):
		if msgs == "" {
			msgs = strings.TrimSpace(stdout.String())
		}
		if msgs == "" {
			msgs = fmt.Sprintf("haproxy -c exited with status %d", exit.ExitCode())
		}
		return res, &ValidationError{Messages: msgs}
	default:
		return res, fmt.Errorf("run %s -c: %w", bin, err)
	}
}

// maxCheckOutput bounds what is kept of each output of `haproxy -c`:
// HAProxy can print a message per line of the file (every `http-request`
// rule after a `use_backend` one draws a warning: 8 MB of rules, 29 MB of
// warnings), and the messages end up in an answer.
const maxCheckOutput = 64 << 10

// headBuffer keeps the whole lines among the first max bytes written to
// it, and counts the bytes it leaves out.
type headBuffer struct {
	buf  bytes.Buffer
	max  int
	lost int64
}

func (b *headBuffer) Write(p []byte) (int, error) {
	keep := min(max(b.max-b.buf.Len(), 0), len(p))
	b.buf.Write(p[:keep])
	b.lost += int64(len(p) - keep)
	return len(p), nil
}

// String returns what was kept, cut after its last whole line when some
// was left out.
func (b *headBuffer) String() string {
	s, _ := b.text()
	return s
}

// text returns what String does, and how many bytes it leaves out.
func (b *headBuffer) text() (string, int64) {
	s, lost := b.buf.String(), b.lost
	if lost > 0 {
		if i := strings.LastIndexByte(s, '\n'); i >= 0 {
			lost += int64(len(s) - i - 1)
			s = s[:i+1]
		}
	}
	return s, lost
}

// checkTimeout bounds one `haproxy -c` in proportion to the file: 10 s,
// plus 2 s per MiB (a 10,000-backend file, 2 MiB, checks in ~0.4 s here:
// ten times that, and more). A check that spins (a dh-param file that is a
// directory) must not hold the commit lock, and every writer, for long.
func checkTimeout(path string) time.Duration {
	d := 10 * time.Second
	if st, err := os.Stat(path); err == nil {
		d += time.Duration(st.Size()>>20) * 2 * time.Second
	}
	return d
}

func cleanEnv(env []string) []string {
	out := env[:0:0]
next:
	for _, kv := range env {
		for _, p := range strippedEnv {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// pidInMessage matches the "(12345) " HAProxy puts after the level: it
// changes on every run and means nothing to the user.
var pidInMessage = regexp.MustCompile(`^(\[[A-Z]+\])\s+\(\d+\) :`)

// cleanMessages drops the [NOTICE] banner lines every run prints, removes
// PIDs, and names the file as the user knows it.
func cleanMessages(stderr, path, displayName string) string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimRight(line, " \r")
		if line == "" || strings.HasPrefix(line, "[NOTICE]") {
			continue
		}
		line = pidInMessage.ReplaceAllString(line, "$1 :")
		if displayName != "" {
			line = strings.ReplaceAll(line, path, displayName)
			line = strings.ReplaceAll(line, filepath.Base(path), filepath.Base(displayName))
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
