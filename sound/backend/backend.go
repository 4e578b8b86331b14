package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"xgo.dev/xgo/xendev"
	"xgo.dev/xgo/xenstore"
)

// Config is what a Backend serves with.
type Config struct {
	XS     *xenstore.Conn // a privileged connection (dom0's, or the backend domain's)
	Grants xendev.Grants
	Events xendev.Events // the Backend reads it until it is closed: close it after Run returns
	// Self is the backend's domain id: it serves the devices under
	// /local/domain/<Self>/backend/vsnd.
	Self uint32
	// Domains, if not empty, restricts it to these frontend domains.
	Domains []uint32
	// WAVDir is an absolute directory (created if missing) holding one
	// directory per guest, named after the guest (see guestDirName),
	// where its playback WAV files go and capture WAV files are read
	// from.
	WAVDir string
	// WAVQuota bounds the bytes of files in each guest's directory
	// (0: DefaultWAVQuota); past it, WRITE fails with EIO.
	WAVQuota int64
	// MaxGrantPages bounds the pages mapped from each guest at once
	// (0: DefaultMaxGrantPages).
	MaxGrantPages int
	// KeepStates leaves the devices' states as they are when Run ends
	// (their streams are still stopped and unmapped): a backend that runs
	// again reconnects to the transport the frontends published. The
	// simulated host uses it to serve in turns.
	KeepStates bool
	// Logf receives one line per device state change and per problem;
	// Debugf (if set) the requests and stream details.
	Logf, Debugf func(format string, args ...any)
}

// Backend serves vsnd devices. Create it with New and run it with Run.
type Backend struct {
	cfg    Config
	grants *limitedGrants
	mux    *mux
	root   *os.File // WAVDir

	mu   sync.Mutex
	devs map[string]*device // by backend path
	wg   sync.WaitGroup

	gmu    sync.Mutex
	guests map[string]*guestFiles // by directory name
}

// New returns a backend for cfg.
func New(cfg Config) *Backend {
	b := &Backend{cfg: cfg, devs: map[string]*device{}, guests: map[string]*guestFiles{}}
	if cfg.Grants != nil {
		b.grants = newLimitedGrants(cfg.Grants, cfg.MaxGrantPages)
	}
	return b
}

// logf and debugf pass one line each: whatever a message quotes, a
// control character in it is escaped (oneLine).
func (b *Backend) logf(format string, args ...any) {
	if b.cfg.Logf != nil {
		b.cfg.Logf("%s", oneLine(fmt.Sprintf(format, args...)))
	}
}

func (b *Backend) debugf(format string, args ...any) {
	if b.cfg.Debugf != nil {
		b.cfg.Debugf("%s", oneLine(fmt.Sprintf(format, args...)))
	}
}

// Root is the directory a backend of domain self serves.
func Root(self uint32) string { return fmt.Sprintf("/local/domain/%d/backend/vsnd", self) }

// Run serves until ctx ends, then closes every device (state Closed,
// WAV files finalised) and returns nil; it returns an error if the
// XenStore connection or the event channel handle fails.
func (b *Backend) Run(ctx context.Context) error {
	if b.cfg.XS == nil || b.cfg.Grants == nil || b.cfg.Events == nil {
		return errors.New("vsnd backend: XenStore, grants and events are all needed")
	}
	if !filepath.IsAbs(b.cfg.WAVDir) {
		return fmt.Errorf("vsnd backend: the WAV directory %q is not an absolute path", b.cfg.WAVDir)
	}
	if err := os.MkdirAll(b.cfg.WAVDir, 0o750); err != nil {
		return fmt.Errorf("vsnd backend: %w", err)
	}
	wavRoot, err := os.Open(b.cfg.WAVDir)
	if err != nil {
		return fmt.Errorf("vsnd backend: %w", err)
	}
	b.root = wavRoot
	defer wavRoot.Close()
	defer b.closeGuests()
	b.mux = newMux(b.cfg.Events)
	dctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		b.wg.Wait()
	}()
	root := Root(b.cfg.Self)
	w, err := b.cfg.XS.Watch(ctx, root, "xgo-vsnd-backend")
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("vsnd backend: watching %s: %w", root, err)
	}
	defer w.Close()
	rel, err := b.cfg.XS.Watch(ctx, "@releaseDomain", "xgo-vsnd-release")
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("vsnd backend: watching @releaseDomain: %w", err)
	}
	defer rel.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events():
			if !ok {
				return fmt.Errorf("vsnd backend: watch ended: %w", w.Err())
			}
			b.scan(dctx, root, ev.Path)
		case _, ok := <-rel.Events():
			if !ok {
				return fmt.Errorf("vsnd backend: watch ended: %w", rel.Err())
			}
			b.reap(ctx)
		case <-b.mux.done:
			return fmt.Errorf("vsnd backend: event channels: %w", b.mux.err)
		}
	}
}

// scan starts a goroutine for every device that appeared, and pokes the
// device the changed path belongs to.
func (b *Backend) scan(ctx context.Context, root, changed string) {
	conn := b.cfg.XS
	fes, err := conn.Directory(ctx, root)
	if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
		b.logf("listing %s: %v", root, err)
	}
	for _, f := range fes {
		fe, err := strconv.ParseUint(f, 10, 16)
		if err != nil || (len(b.cfg.Domains) > 0 && !slices.Contains(b.cfg.Domains, uint32(fe))) {
			continue
		}
		ids, err := conn.Directory(ctx, root+"/"+f)
		if err != nil {
			continue
		}
		for _, id := range ids {
			devid, err := strconv.ParseUint(id, 10, 31)
			if err != nil {
				continue
			}
			path := root + "/" + f + "/" + id
			b.mu.Lock()
			_, known := b.devs[path]
			if !known {
				d := newDevice(b, uint32(fe), int(devid), path)
				b.devs[path] = d
				b.wg.Add(1)
				go func() {
					defer b.wg.Done()
					d.run(ctx)
					b.mu.Lock()
					delete(b.devs, path)
					b.mu.Unlock()
				}()
			}
			b.mu.Unlock()
		}
	}
	b.mu.Lock()
	for path, d := range b.devs {
		if changed == root || changed == path || strings.HasPrefix(changed, path+"/") || !strings.HasPrefix(changed, root+"/") {
			d.poke()
		} else if _, err := conn.Read(ctx, path+"/state"); errors.Is(err, xenstore.ErrNotExist) {
			d.poke() // removed with its parent
		}
	}
	b.mu.Unlock()
}

// reap marks the devices of domains that no longer exist and pokes them.
func (b *Backend) reap(ctx context.Context) {
	b.mu.Lock()
	devs := make([]*device, 0, len(b.devs))
	for _, d := range b.devs {
		devs = append(devs, d)
	}
	b.mu.Unlock()
	alive := map[uint32]bool{}
	for _, d := range devs {
		ok, seen := alive[d.fe]
		if !seen {
			in, err := b.cfg.XS.IsDomainIntroduced(ctx, d.fe)
			ok = err != nil || in // unsure: keep serving
			alive[d.fe] = ok
		}
		if !ok && !d.dead.Swap(true) {
			d.poke()
		}
	}
}
