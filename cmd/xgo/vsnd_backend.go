package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/sound/backend"
	"xgo.dev/xgo/xenstore"
)

type vsndBackendOptions struct {
	WAVDir  string
	Domains []string
}

const vsndBackendDescription = `Runs a para-virtual sound backend in the foreground until interrupted
(SIGINT or SIGTERM): it serves every vsnd device whose backend
directory is under this domain's backend/vsnd (only those of the
given domains with --domain), so that xl vsnd-attach and xgo
vsnd-attach --wait reach Connected and the guest gets a sound card.
When it stops, every device goes to Closed and every WAV file is
complete.

A stream's unique-id chooses where its sound goes or comes from:
  wav:FILE    playback writes FILE, capture reads it (FILE is relative
              to --wav-dir and may not leave it)
  tone:HZ     capture: a sine tone of HZ Hz
  silence     capture: silence
  null        playback: discarded
  anything else: playback writes dom<D>-vsnd<N>-pcm<P>-s<S>.wav in
              --wav-dir, capture is a 440 Hz tone.
Then, for example, xgo vsnd-attach guest1 'PCM, name=Out'
'STREAM, unique-id=wav:guest1.wav, type=p' --wait connects, and
aplay in guest1 writes --wav-dir/guest1.wav. Each OPEN to CLOSE of a playback stream is one complete WAV file, the
samples as the guest sent them (see docs/vsnd-backend.md for the
conversions to WAV's layout); the next OPEN replaces it.

It logs one line per device state change on stderr, and each stream's
requests with -v. It needs root in dom0 (or a driver domain):
/dev/xen/gntdev, /dev/xen/evtchn and XenStore.

EXAMPLES:
   xgo vsnd-backend --wav-dir /var/lib/xgo/vsnd
   xgo vsnd-backend --domain guest1 --domain 7 -v`

func vsndBackendCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "vsnd-backend",
		Usage:       "Serve guests' PV sound cards, writing playback to WAV files",
		ArgsUsage:   " ",
		Description: vsndBackendDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "wav-dir", Aliases: []string{"d"}, Value: ".", Usage: "write and read WAV files in `DIR`"},
			&cli.StringSliceFlag{Name: "domain", Usage: "serve only the devices of `DOMAIN` (a name or an id; repeat for more)"},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			opts := vsndBackendOptions{WAVDir: c.String("wav-dir"), Domains: c.StringSlice("domain")}
			if st, err := os.Stat(opts.WAVDir); err != nil || !st.IsDir() {
				return usagef("vsnd-backend: --wav-dir %q is not a directory", opts.WAVDir)
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
		return explainNoXen(err)
	}
	defer xs.Close()
	gnt, err := hypercall.OpenGntdev()
	if err != nil {
		return explainNoXen(err)
	}
	defer gnt.Close()
	ev, err := hypercall.OpenEvtchn()
	if err != nil {
		return explainNoXen(err)
	}
	return serveVsnd(ctx, opts, e, xs, backend.GntdevGrants(gnt), ev)
}

// serveVsnd runs the backend until ctx ends; it closes ev.
func serveVsnd(ctx context.Context, opts vsndBackendOptions, e *env, xs *xenstore.Conn, g backend.Grants, ev backend.Events) error {
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
	l := &backendLog{e: e}
	cfg := backend.Config{XS: xs, Grants: g, Events: ev, Self: self, Domains: doms, WAVDir: opts.WAVDir, Logf: l.logf}
	if e.global.Verbose {
		cfg.Debugf = l.logf
	}
	err = backend.New(cfg).Run(ctx)
	cerr := ev.Close()
	if err == nil && ctx.Err() == nil {
		err = cerr
	}
	return err
}

// resolveDomains turns --domain names and ids into ids, by the names in
// XenStore.
func resolveDomains(ctx context.Context, xs *xenstore.Conn, names []string) ([]uint32, error) {
	var out []uint32
	var ids []string
	for _, n := range names {
		if id, err := strconv.ParseUint(n, 10, 16); err == nil {
			out = append(out, uint32(id))
			continue
		}
		if ids == nil {
			var err error
			if ids, err = xs.Directory(ctx, "/local/domain"); err != nil {
				return nil, err
			}
		}
		found := false
		for _, id := range ids {
			v, err := xs.Read(ctx, "/local/domain/"+id+"/name")
			if err != nil || string(v) != n {
				continue
			}
			if d, err := strconv.ParseUint(id, 10, 16); err == nil {
				out, found = append(out, uint32(d)), true
				break
			}
		}
		if !found {
			return nil, usagef("vsnd-backend: --domain %q: no such domain", n)
		}
	}
	return out, nil
}

// runVsndBackendSim is replaced when the simulated host can serve one.
func runVsndBackendSim(context.Context, vsndBackendOptions, *env) error {
	return errors.New("vsnd-backend: not available on the simulated host yet")
}
