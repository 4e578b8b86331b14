package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/host"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/sound/backend"
	"xgo.dev/xgo/xendev"
	"xgo.dev/xgo/xenstore"
)

type vsndBackendOptions struct {
	WAVDir     string
	Domains    []string
	Quota      int64
	GrantPages int
}

// defaultWAVDir is where the backend keeps each guest's directory on a
// real host; with --sim, next to the simulated host's state file.
const defaultWAVDir = "/var/lib/xgo/vsnd"

const vsndBackendDescription = `Runs a para-virtual sound backend in the foreground until interrupted
(SIGINT or SIGTERM): it serves every vsnd device whose backend
directory is under this domain's backend/vsnd (only those of the
given domains with --domain), so that xl vsnd-attach and xgo
vsnd-attach --wait reach Connected and the guest gets a sound card.
When it stops, every device goes to Closed and every WAV file is
complete.

Where a stream's sound goes or comes from is the admin's choice, the
unique-id given to xgo vsnd-attach, which records the card where the
guest cannot write; what the guest writes in its own frontend
directory never chooses a host file or device:
  wav:FILE    playback writes FILE, capture reads it; FILE is a file
              name in the guest's own directory, --wav-dir/<guest>/
  tone:HZ     capture: a sine tone of HZ Hz
  silence     capture: silence
  null        playback: discarded
  anything else: playback writes vsnd<N>-pcm<P>-s<S>.wav in the guest's
              directory, capture is a 440 Hz tone.
Cards attached by xl vsnd-attach have no such record and get the
default for every stream. A frontend that shows more PCMs or streams,
or wider ranges, than the admin's card is not served.

Each OPEN to CLOSE of a playback stream is one complete WAV file, the
samples as the guest sent them (see docs/vsnd-backend.md); the next
OPEN of the stream replaces the file it wrote, and a file it did not
write is never overwritten (the stream writes FILE.1.wav instead). A
guest writes no faster than it plays, its files hold at most
--wav-quota bytes, and at most --max-grant-pages of its pages are
mapped at once.

It logs one line per device state change on stderr, and each stream's
requests with -v. It needs root in dom0 (or a driver domain):
/dev/xen/gntdev, /dev/xen/evtchn and XenStore.

EXAMPLES:
   xgo vsnd-backend
   xgo vsnd-backend --wav-dir /srv/vsnd --domain guest1 --domain 7 -v`

func vsndBackendCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "vsnd-backend",
		Usage:       "Serve guests' PV sound cards, writing playback to WAV files",
		ArgsUsage:   " ",
		Description: vsndBackendDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "wav-dir", Aliases: []string{"d"}, Usage: "keep each guest's WAV files in `DIR`/<guest> (absolute; created if missing; default " + defaultWAVDir + ", with --sim next to the state file)"},
			&cli.StringSliceFlag{Name: "domain", Usage: "serve only the devices of `DOMAIN` (a name or an id; repeat for more)"},
			&cli.StringFlag{Name: "wav-quota", Value: "1G", Usage: "at most `SIZE` bytes of files per guest (K, M, G: powers of 1024)"},
			&cli.IntFlag{Name: "max-grant-pages", Value: backend.DefaultMaxGrantPages, Usage: "map at most `N` pages of each guest at once"},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			opts := vsndBackendOptions{WAVDir: c.String("wav-dir"), Domains: c.StringSlice("domain"), GrantPages: c.Int("max-grant-pages")}
			var err error
			if opts.Quota, err = parseSize(c.String("wav-quota")); err != nil {
				return usagef("vsnd-backend: --wav-quota %q: %v", cutArg(c.String("wav-quota")), err)
			}
			if opts.GrantPages < 4 {
				return usagef("vsnd-backend: --max-grant-pages %d: at least 4 (a stream's rings and one buffer page)", opts.GrantPages)
			}
			if opts.WAVDir == "" {
				if opts.WAVDir, err = e.defaultWAVDir(); err != nil {
					return err
				}
			}
			if !filepath.IsAbs(opts.WAVDir) {
				return usagef("vsnd-backend: --wav-dir %q is not an absolute path", cutArg(opts.WAVDir))
			}
			if st, err := os.Stat(opts.WAVDir); err == nil && !st.IsDir() {
				return usagef("vsnd-backend: --wav-dir %q is not a directory", cutArg(opts.WAVDir))
			}
			return runVsndBackend(c.Context, opts, e)
		},
	}
}

// backendLog writes the backend's lines on stderr, one at a time.
type backendLog struct {
	mu sync.Mutex
	e  *env
}

func (l *backendLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.e.Stderr, "xgo: vsnd-backend: "+format+"\n", args...)
}

func runVsndBackend(ctx context.Context, opts vsndBackendOptions, e *env) error {
	if e.global.Sim {
		return runVsndBackendSim(ctx, opts, e)
	}
	xs, err := xenstore.Dial(nil)
	if err != nil {
		return host.ExplainNoXen(err)
	}
	defer xs.Close()
	gnt, err := hypercall.OpenGntdev()
	if err != nil {
		return host.ExplainNoXen(err)
	}
	defer gnt.Close()
	ev, err := hypercall.OpenEvtchn()
	if err != nil {
		return host.ExplainNoXen(err)
	}
	return serveVsndWith(ctx, opts, e, xs, backend.GntdevGrants(gnt), ev, false, &backendLog{e: e})
}

// serveVsndWith runs the backend until ctx ends; it closes ev.
func serveVsndWith(ctx context.Context, opts vsndBackendOptions, e *env, xs *xenstore.Conn, g xendev.Grants, ev xendev.Events, keep bool, l *backendLog) error {
	self := uint32(0)
	if v, err := xs.Read(ctx, "domid"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 16); err == nil {
			self = uint32(n)
		}
	}
	doms, err := resolveDomains(ctx, xs, opts.Domains)
	if err != nil {
		ev.Close()
		return err
	}
	cfg := backend.Config{XS: xs, Grants: g, Events: ev, Self: self, Domains: doms, WAVDir: opts.WAVDir,
		WAVQuota: opts.Quota, MaxGrantPages: opts.GrantPages, Logf: l.logf, KeepStates: keep}
	if e.global.Verbose {
		cfg.Debugf = l.logf
	}
	if !e.global.Sim {
		l.logf("serving %s", backend.Root(self))
	}
	err = backend.New(cfg).Run(ctx)
	cerr := ev.Close()
	if err == nil && ctx.Err() == nil {
		err = cerr
	}
	return err
}

// defaultWAVDir is defaultWAVDir on a real host, and the directory vsnd
// beside the state file with --sim.
func (e *env) defaultWAVDir() (string, error) {
	if !e.global.Sim {
		return defaultWAVDir, nil
	}
	path, err := e.simPath()
	if err != nil {
		return "", err
	}
	return filepath.Abs(filepath.Join(filepath.Dir(path), "vsnd"))
}

// parseSize reads a byte count: digits with an optional K, M or G
// (powers of 1024).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K', 'k':
			mult, s = 1<<10, s[:n-1]
		case 'M', 'm':
			mult, s = 1<<20, s[:n-1]
		case 'G', 'g':
			mult, s = 1<<30, s[:n-1]
		}
	}
	if !naming.IsID(s) {
		return 0, errors.New("want a number of bytes, with K, M or G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, errors.New("want a positive size below 4 EiB")
	}
	return n * mult, nil
}

// resolveDomains turns --domain names and ids into ids, by the names in
// XenStore.
func resolveDomains(ctx context.Context, xs *xenstore.Conn, names []string) ([]uint32, error) {
	m := &sound.Manager{XS: xs}
	var out []uint32
	for _, n := range names {
		// An id is taken as given: the domain may not exist yet.
		if id, err := strconv.ParseUint(n, 10, 16); err == nil {
			out = append(out, uint32(id))
			continue
		}
		d, err := m.Domain(ctx, n)
		var nf *sound.NotFoundError
		if errors.As(err, &nf) {
			return nil, usagef("vsnd-backend: --domain %q: no such domain", n)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d.ID)
	}
	return out, nil
}

// runVsndBackendSim serves the simulated host in turns (host.ServeSim):
// its state is one locked file every xgo --sim command takes in turn.
func runVsndBackendSim(ctx context.Context, opts vsndBackendOptions, e *env) error {
	l := &backendLog{e: e}
	l.logf("serving the simulated host in turns (grants and event channels in memory)")
	return host.ServeSim(ctx, e.openHost, func(ctx context.Context, xs *xenstore.Conn, g xendev.Grants, ev xendev.Events, keep bool) error {
		return serveVsndWith(ctx, opts, e, xs, g, ev, keep, l)
	}, l.logf)
}
