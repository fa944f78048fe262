package runtime

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Process is one line of `show proc`.
type Process struct {
	PID     int
	Type    string // "master", "worker", or the program's name
	Reloads int    // master: reloads done; others: reloads survived
	Failed  int    // master only: failed reloads since the last success
	Uptime  string // as printed, e.g. "0d00h00m04s"
	Version string // "" for programs (HAProxy prints "-")
}

// Proc is the parsed `show proc` output. Workers holds the current worker
// (one in practice); OldWorkers are still draining after a reload.
type Proc struct {
	Master      Process
	Workers     []Process
	OldWorkers  []Process
	Programs    []Process
	OldPrograms []Process
}

// failedRE matches the master's "[failed: N]" annotation of <reloads>.
var failedRE = regexp.MustCompile(`\[failed:\s*(\d+)\]`)

// parseProc parses `show proc`: a "#<PID> ..." header, the master line, then
// "# workers", "# old workers", "# programs", "# old programs" sections.
func parseProc(reply string) (Proc, error) {
	var p Proc
	var section *[]Process
	haveMaster := false
	for n, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		switch line {
		case "":
			continue
		case "# workers":
			section = &p.Workers
			continue
		case "# old workers":
			section = &p.OldWorkers
			continue
		case "# programs":
			section = &p.Programs
			continue
		case "# old programs":
			section = &p.OldPrograms
			continue
		}
		if strings.HasPrefix(line, "#") {
			if n == 0 {
				continue // column header
			}
			return Proc{}, fmt.Errorf("parse show proc: unknown section %q", line)
		}
		proc, err := parseProcess(line)
		if err != nil {
			return Proc{}, fmt.Errorf("parse show proc line %d: %w", n+1, err)
		}
		switch {
		case section != nil:
			*section = append(*section, proc)
		case proc.Type == "master" && !haveMaster:
			p.Master, haveMaster = proc, true
		default:
			return Proc{}, fmt.Errorf("parse show proc line %d: unexpected %q before any section", n+1, line)
		}
	}
	if !haveMaster {
		return Proc{}, fmt.Errorf("parse show proc: no master line")
	}
	return p, nil
}

// parseProcess parses "<pid> <type> <reloads> [failed: N] <uptime> <version>".
func parseProcess(line string) (Process, error) {
	var proc Process
	if m := failedRE.FindStringSubmatch(line); m != nil {
		proc.Failed, _ = strconv.Atoi(m[1]) // \d+ always parses unless it overflows
		line = failedRE.ReplaceAllString(line, " ")
	}
	f := strings.Fields(line)
	if len(f) < 4 {
		return Process{}, fmt.Errorf("short line %q", line)
	}
	var err error
	if proc.PID, err = strconv.Atoi(f[0]); err != nil {
		return Process{}, fmt.Errorf("pid: %w", err)
	}
	if proc.Reloads, err = strconv.Atoi(f[2]); err != nil {
		return Process{}, fmt.Errorf("reloads: %w", err)
	}
	proc.Type, proc.Uptime = f[1], f[3]
	if len(f) > 4 && f[4] != "-" {
		proc.Version = f[4]
	}
	return proc, nil
}
