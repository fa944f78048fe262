package transaction

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"dataplane/internal/config"
)

func dirOf(path string) string { return filepath.Dir(path) }

func sameBytes(a, b *config.Document) bool { return a.SameBytes(b) }

// keepRejected saves a configuration that failed to come up, so a rolled
// back change (or a hand edit) can still be looked at. It returns the path,
// or "" when there is nowhere to keep it.
func (p *Pipeline) keepRejected(doc *config.Document) string {
	dir := p.opts.RejectedDir
	if dir == "" {
		return ""
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	name := filepath.Base(p.live.Path())
	path := filepath.Join(dir, fmt.Sprintf("%s.v%d.%s", name, doc.Version(), time.Now().UTC().Format("20060102T150405.000Z")))
	// Streamed, not rendered: a rejected file may be tens of MB.
	if _, err := writeDoc(path, "", doc); err != nil {
		return ""
	}
	// Keep the last keepRejected files (their names sort by time).
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > keepRejected {
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names[:len(names)-keepRejected] {
			os.Remove(filepath.Join(dir, n))
		}
	}
	return path
}

// keepRejected is how many rejected configurations are kept.
const keepRejected = 20

// backup keeps the pre-commit file as <name>.<version> and removes the
// oldest beyond BackupsNumber (by version, whatever gaps versions have).
func (p *Pipeline) backup(live *config.Document) error {
	n := p.opts.BackupsNumber
	if n <= 0 {
		return nil
	}
	name := filepath.Base(p.live.Path())
	// backups_dir is created when missing, closed to others: backups hold
	// what the live file holds (passwords of userlists included).
	if err := os.MkdirAll(p.opts.BackupsDir, 0o700); err != nil {
		return fmt.Errorf("backups_dir: %w", err)
	}
	path := filepath.Join(p.opts.BackupsDir, fmt.Sprintf("%s.%d", name, live.Version()))
	if _, err := writeDoc(path, p.live.Path(), live); err != nil {
		return fmt.Errorf("backup version %d: %w", live.Version(), err)
	}
	entries, err := os.ReadDir(p.opts.BackupsDir)
	if err != nil {
		return nil
	}
	var versions []int64
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), name+".")
		if !ok {
			continue
		}
		if v, err := strconv.ParseInt(rest, 10, 64); err == nil {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	for len(versions) > n {
		old := filepath.Join(p.opts.BackupsDir, fmt.Sprintf("%s.%d", name, versions[0]))
		if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			p.log.Warn("could not remove an old backup", "file", old, "error", err)
		}
		versions = versions[1:]
	}
	return nil
}

// Backup returns the bytes of the backup of version v.
func (p *Pipeline) Backup(v int64) ([]byte, error) {
	if p.opts.BackupsNumber <= 0 {
		return nil, fmt.Errorf("version %d: backups are off (backups_number = 0): %w", v, config.ErrNotFound)
	}
	name := filepath.Base(p.live.Path())
	b, err := os.ReadFile(filepath.Join(p.opts.BackupsDir, fmt.Sprintf("%s.%d", name, v)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("backup of version %d: %w", v, config.ErrNotFound)
	}
	return b, err
}

// BackupInfo is one kept version of the configuration.
type BackupInfo struct {
	Version int64
	Time    time.Time // when it was replaced (the copy was written)
	Size    int64
}

// Backups lists the kept versions, oldest first (none when backups are
// off).
func (p *Pipeline) Backups() ([]BackupInfo, error) {
	if p.opts.BackupsNumber <= 0 {
		return nil, nil
	}
	entries, err := os.ReadDir(p.opts.BackupsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	name := filepath.Base(p.live.Path())
	var out []BackupInfo
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), name+".")
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || v <= 0 {
			continue
		}
		st, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, BackupInfo{Version: v, Time: st.ModTime().UTC(), Size: st.Size()})
	}
	slices.SortFunc(out, func(a, b BackupInfo) int { return cmp.Compare(a.Version, b.Version) })
	return out, nil
}

// Restore makes the kept copy of version v the live configuration through
// the one commit path: `haproxy -c`, a new version number, runtime or
// reload, rolled back like any change when the reload fails.
func (p *Pipeline) Restore(ctx context.Context, v int64, opts CommitOptions) (Result, error) {
	b, err := p.Backup(v)
	if err != nil {
		return Result{}, err
	}
	up, err := p.Receive(bytes.NewReader(b))
	if err != nil {
		return Result{}, fmt.Errorf("restore version %d: %w", v, err)
	}
	defer up.Remove()
	opts.KeepVersion = false
	res, err := p.ReplaceUpload(ctx, 0, true, up, opts)
	if err != nil {
		return res, fmt.Errorf("restore version %d: %w", v, err)
	}
	return res, nil
}
