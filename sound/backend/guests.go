package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"xgo.dev/xgo/sound/route"
)

// Defaults of the per-guest bounds.
const (
	// DefaultWAVQuota is how many bytes of files a guest's directory may
	// hold (1 GiB: about 93 minutes of 48 kHz stereo s16).
	DefaultWAVQuota = 1 << 30
	// DefaultMaxGrantPages is how many of a guest's pages the backend
	// maps at once (32 MiB: two 16 MiB buffers, or hundreds of
	// ordinary streams).
	DefaultMaxGrantPages = 8192
	// maxScan bounds the entries read to learn a guest directory's
	// size.
	maxScan = 10000
	// maxNumbered bounds the numbered names tried for a new playback file.
	maxNumbered = 1000
)

var (
	errNotRegular = errors.New("not a regular file")
	// ErrQuota: the guest's directory is full (Config.WAVQuota).
	ErrQuota = errors.New("the guest's WAV quota is used up")
)

// guestFiles is one guest's directory below the WAV directory: every
// file of the guest is opened through it, without following links, and
// what the guest's streams write is counted against its quota.
type guestFiles struct {
	dir   *os.File
	quota int64

	mu   sync.Mutex
	used int64
	// created are the playback files the backend created, by stream
	// (see playbackFile): only those are ever truncated. It lasts as
	// long as the backend runs, so a guest's streams find their files
	// again across reconnections and reboots.
	created map[string]createdFile
}

type createdFile struct {
	base, name string
	id         fileID
}

// guestDirName is the name of domain fe's directory: its name, read
// from /local/domain/<fe>/name if that node is the toolstack's (owned
// by dom0 or by this backend's domain, so the guest cannot rename
// itself onto another guest's directory) and makes a plain file name;
// else dom<fe>.
func (b *Backend) guestDirName(ctx context.Context, fe uint32) string {
	fallback := "dom" + strconv.FormatUint(uint64(fe), 10)
	path := fmt.Sprintf("/local/domain/%d/name", fe)
	perms, err := b.cfg.XS.GetPerms(ctx, path)
	if err != nil || len(perms) == 0 || (perms[0].Domain != 0 && perms[0].Domain != b.cfg.Self) || perms[0].Domain == fe {
		return fallback
	}
	v, err := b.cfg.XS.Read(ctx, path)
	name := string(v)
	if err != nil || route.CheckFileName(name) != "" || strings.TrimSpace(name) != name {
		return fallback
	}
	return name
}

// guest returns domain fe's directory, opening (and creating) it the
// first time. It stays open until Run ends.
func (b *Backend) guest(ctx context.Context, fe uint32) (*guestFiles, error) {
	name := b.guestDirName(ctx, fe)
	b.gmu.Lock()
	defer b.gmu.Unlock()
	if g := b.guests[name]; g != nil {
		return g, nil
	}
	dir, err := openDirBelow(b.root, name, true)
	if err != nil {
		return nil, err
	}
	g := &guestFiles{dir: dir, quota: b.cfg.WAVQuota, created: map[string]createdFile{}}
	if g.quota <= 0 {
		g.quota = DefaultWAVQuota
	}
	g.used = dirSize(dir)
	b.guests[name] = g
	return g, nil
}

// closeGuests closes every guest directory.
func (b *Backend) closeGuests() {
	b.gmu.Lock()
	defer b.gmu.Unlock()
	for name, g := range b.guests {
		g.dir.Close()
		delete(b.guests, name)
	}
}

// dirSize adds up the sizes of the regular files in dir (the first
// maxScan entries).
func dirSize(dir *os.File) int64 {
	d, err := openDirBelow(dir, ".", false)
	if err != nil {
		return 0
	}
	defer d.Close()
	ents, _ := d.ReadDir(maxScan)
	var n int64
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// charge takes n bytes of the quota, or fails with ErrQuota.
func (g *guestFiles) charge(n int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.used+int64(n) > g.quota {
		return ErrQuota
	}
	g.used += int64(n)
	return nil
}

func (g *guestFiles) refund(n int64) {
	g.mu.Lock()
	g.used = max(0, g.used-n)
	g.mu.Unlock()
}

// playbackFile opens the file a playback stream (key) writes, named
// name. A file the backend created for this very stream is truncated
// and written again; any other existing file is left as it is, and the
// stream writes the first free numbered name instead (x.1.wav, x.2.wav,
// ...). It returns the file, the name it has and whether that is a
// numbered name it just created.
func (g *guestFiles) playbackFile(key, name string) (*os.File, string, bool, error) {
	g.mu.Lock()
	prev, ok := g.created[key]
	g.mu.Unlock()
	if ok && prev.base == name {
		if f, err := openFileBelow(g.dir, prev.name, oWrite, 0); err == nil {
			if id, err := idOf(f); err == nil && id == prev.id {
				if fi, err := f.Stat(); err == nil {
					if err := f.Truncate(0); err == nil {
						g.refund(fi.Size())
						return f, prev.name, false, nil
					}
				}
			}
			f.Close()
		}
	}
	var lastErr error
	for i := range maxNumbered {
		n := numbered(name, i)
		f, err := openFileBelow(g.dir, n, oCreateNew, 0o640)
		if isExist(err) {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, n, false, err
		}
		id, err := idOf(f)
		if err != nil {
			f.Close()
			return nil, n, false, err
		}
		g.mu.Lock()
		g.created[key] = createdFile{base: name, name: n, id: id}
		g.mu.Unlock()
		return f, n, i > 0, nil
	}
	return nil, name, false, fmt.Errorf("%s and %d numbered names exist: %w", name, maxNumbered, lastErr)
}

// numbered is name with .i before its extension (i > 0).
func numbered(name string, i int) string {
	if i == 0 {
		return name
	}
	base, ext := name, ""
	if dot := strings.LastIndexByte(name, '.'); dot > 0 {
		base, ext = name[:dot], name[dot:]
	}
	return base + "." + strconv.Itoa(i) + ext
}

// captureFile opens the file a capture stream reads.
func (g *guestFiles) captureFile(name string) (*os.File, error) {
	return openFileBelow(g.dir, name, oRead, 0)
}

// quotaFile charges what is written to it to a guest's quota.
type quotaFile struct {
	f *os.File
	g *guestFiles
}

func (q quotaFile) Write(b []byte) (int, error) {
	if err := q.g.charge(len(b)); err != nil {
		return 0, err
	}
	return q.f.Write(b)
}
