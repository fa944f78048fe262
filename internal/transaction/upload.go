package transaction

import (
	"context"
	"fmt"
	"io"
	"os"

	"dataplane/internal/config"
	"dataplane/internal/reload"
)

// Upload is a configuration a client sent (a raw POST), staged beside the
// live file as it arrived: its bytes wait on disk, not in memory, and are
// read once, into the document that keeps them. Beside the live file,
// `haproxy -c` judges it as it would judge the live one (relative paths).
type Upload struct {
	path string
	size int64
}

// Receive stages what r holds, readable by this user only (it may hold
// secrets, and nobody needs to read it but `haproxy -c`). The caller
// removes it. A file left by a crash is removed at the next start, as
// every staged file is.
func (p *Pipeline) Receive(r io.Reader) (*Upload, error) {
	f, err := reload.CreateTemp(p.live.Path(), 0o600)
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("receive a configuration: %w", err)
	}
	return &Upload{path: f.Name(), size: n}, nil
}

// Size is the number of bytes received.
func (u *Upload) Size() int64 { return u.size }

// Load reads the upload into a document.
func (u *Upload) Load() (*config.Document, error) {
	f, err := os.Open(u.path)
	if err != nil {
		return nil, fmt.Errorf("load the configuration received: %w", err)
	}
	defer f.Close()
	return config.Read(f, u.size)
}

// WriteTo writes the upload's bytes to w from the disk.
func (u *Upload) WriteTo(w io.Writer) (int64, error) {
	f, err := os.Open(u.path)
	if err != nil {
		return 0, fmt.Errorf("send the configuration received: %w", err)
	}
	defer f.Close()
	return io.Copy(w, f)
}

// Remove deletes the staged file.
func (u *Upload) Remove() { os.Remove(u.path) }

// ReplaceUpload is Replace with the document read from an upload under
// the commit lock: however many clients post at once, one upload at a
// time is held as a document beside the live one (a document costs up to
// 3.5 times its file: a file of many small sections), and the others wait
// for their turn on the disk. A file that does not load is refused as an
// invalid configuration.
func (p *Pipeline) ReplaceUpload(ctx context.Context, baseVersion int64, skipVersion bool, u *Upload, opts CommitOptions) (Result, error) {
	return p.edit(ctx, Base{Version: baseVersion, AnyVersion: skipVersion}, func(live *config.Document) (*config.Document, error) {
		next, err := u.Load()
		if err != nil {
			return nil, fmt.Errorf("invalid configuration: %w", err)
		}
		return replacement(live, next, opts), nil
	}, opts, true)
}

// Validate runs `haproxy -c` on an upload without writing the live file
// (raw POST with only_validate). Once HAProxy accepts it, it is loaded for
// the preflight checks and returned; the document is nil when it does
// not load (HAProxy reads longer lines than we do), and the preflight is
// then skipped. A file HAProxy refuses is never loaded.
func (p *Pipeline) Validate(ctx context.Context, u *Upload) (reload.CheckResult, *config.Document, error) {
	res, err := p.opts.Checker.Check(ctx, u.path, p.live.Path())
	if err != nil {
		return res, nil, err
	}
	doc, lerr := u.Load()
	if lerr != nil {
		return res, nil, nil
	}
	if p.opts.Preflight != nil {
		p.mu.Lock()
		running := p.running
		p.mu.Unlock()
		if err := p.opts.Preflight(running, doc); err != nil {
			return res, doc, err
		}
	}
	return res, doc, nil
}
