package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/host"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xenstore/xenbus"
)

// VsndAttachOutput is the result of "xgo vsnd-attach".
type VsndAttachOutput struct {
	SchemaVersion int              `json:"schemaVersion" yaml:"schemaVersion"`
	DryRun        bool             `json:"dryRun" yaml:"dryRun"`
	Domain        VsndDomain       `json:"domain" yaml:"domain"`
	Backend       VsndDomain       `json:"backend" yaml:"backend"`
	DevID         int              `json:"devid" yaml:"devid"`
	FrontendPath  string           `json:"frontendPath" yaml:"frontendPath"`
	BackendPath   string           `json:"backendPath" yaml:"backendPath"`
	LibxlPath     string           `json:"libxlPath" yaml:"libxlPath"`
	Changes       []XenstoreChange `json:"changes" yaml:"changes"`
	// Wait is what --wait saw; null without --wait.
	Wait *VsndWait `json:"wait" yaml:"wait"`
}

// VsndWait is the outcome of --wait.
type VsndWait struct {
	// Outcome: connected, no-backend, timeout (a backend answered, the
	// pair did not connect), closed (an end closed the device).
	Outcome   string    `json:"outcome" yaml:"outcome"`
	Frontend  VsndState `json:"frontend" yaml:"frontend"`
	Backend   VsndState `json:"backend" yaml:"backend"`
	Error     string    `json:"error,omitempty" yaml:"error,omitempty"` // the frontend's own report
	ElapsedMS int64     `json:"elapsedMs" yaml:"elapsedMs"`
	// Removed is true when xgo removed the device again (no backend or
	// closed, without --keep).
	Removed bool `json:"removed" yaml:"removed"`
}

func (o *VsndAttachOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	dom := fmt.Sprintf("domain %s", label(o.Domain))
	if o.DryRun {
		fmt.Fprintf(&b, "would attach vsnd device %d to %s, backend domain %s:\n", o.DevID, dom, label(o.Backend))
		changesText(&b, o.Changes)
	} else {
		fmt.Fprintf(&b, "vsnd device %d attached to %s, backend domain %s\n", o.DevID, dom, label(o.Backend))
	}
	if o.Wait != nil {
		switch {
		case o.Wait.Outcome == string(sound.OutcomeConnected):
			fmt.Fprintf(&b, "connected after %s\n", time.Duration(o.Wait.ElapsedMS)*time.Millisecond)
		case o.Wait.Removed:
			b.Reset()
			fmt.Fprintf(&b, "vsnd device %d of %s removed again\n", o.DevID, dom)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *VsndAttachOutput) quietIDs() []string {
	if o.Wait != nil && o.Wait.Removed {
		return nil
	}
	return []string{strconv.Itoa(o.DevID)}
}

// label is 'name' (id), or the id.
func label(d VsndDomain) string {
	if d.Name == "" {
		return strconv.FormatUint(uint64(d.ID), 10)
	}
	return fmt.Sprintf("'%s' (%d)", d.Name, d.ID)
}

type vsndAttachOptions struct {
	Domain  string
	Items   []string
	File    string
	Backend string
	Wait    bool
	Timeout time.Duration
	Keep    bool
}

const vsndAttachDescription = `Writes a para-virtual sound card for the domain to XenStore: the backend
directory (owned by the backend domain, readable by the guest), the
frontend directory with the card (owned by the guest, readable by the
backend), and libxl's record, so that xl vsnd-list shows it too. All of
it is one transaction: it is written whole or not at all. The device id
is the lowest free one.

The card is given as xl.cfg's vsnd items, one per argument (CARD,
PCM and STREAM, each followed by key=value settings; a STREAM belongs
to the PCM before it), or as YAML with --file. Everything is checked
before anything is written: at least one PCM, 1 to 8 streams per PCM,
each with a type (p or c) and a unique-id unique in the card, sample
rates Linux's frontend knows, sndif's format names (xl's f32_le, f32_be,
f64_le, f64_be are accepted and written as float_le, ...), channels-min
not above channels-max, a positive buffer-size, names within sndif's
sizes. -N prints the XenStore writes and changes nothing.

Unlike xl, xgo does not wait for a backend unless --wait is given. With
--wait it waits up to TIMEOUT (10s) for both ends to be Connected; if no
backend answered, or an end closed the device, it removes the device
again (unless --keep) and exits 1. A device whose backend answered but
whose guest did not connect in time stays.

EXAMPLES:
   xgo vsnd-attach guest 'CARD, short-name=Main, sample-rates=44100;48000' \
       'PCM, name=Analog' 'STREAM, unique-id=alsa<hw:0;0>, type=p' \
       'STREAM, unique-id=alsa<hw:0;1>, type=c'
   xgo vsnd-attach guest --file card.yaml --backend snd-domain --wait=30s
   xgo vsnd-attach -N guest 'STREAM, unique-id=pulse<>, type=p'`

func vsndAttachCommand(e *env) *cli.Command {
	wait := &waitFlag{}
	return &cli.Command{
		Name:        "vsnd-attach",
		Usage:       "Give a domain a PV sound card, like xl vsnd-attach",
		ArgsUsage:   "<domain> [<item>...]",
		Description: vsndAttachDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "read the card from the YAML `FILE` (- for stdin) instead of items"},
			&cli.StringFlag{Name: "backend", Aliases: []string{"b"}, Usage: "the backend `DOMAIN` (name or id; default: the card's backend=, else dom0)"},
			wait,
			&cli.BoolFlag{Name: "keep", Usage: "with --wait, keep the device even if no backend answered", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, -1)
			if err != nil {
				return err
			}
			opts := vsndAttachOptions{Domain: args[0], Items: args[1:], File: c.String("file"), Backend: c.String("backend"),
				Wait: wait.value.set, Timeout: wait.value.timeout, Keep: c.Bool("keep")}
			switch {
			case opts.File == "" && len(opts.Items) == 0:
				return usagef("vsnd-attach: no card: give items (CARD, ..., PCM, ..., STREAM, ...) or --file")
			case opts.File != "" && len(opts.Items) > 0:
				return usagef("vsnd-attach: unexpected argument %q: the card comes from --file", opts.Items[0])
			case opts.Keep && !opts.Wait:
				return usagef("vsnd-attach: --keep only matters with --wait")
			}
			return runVsndAttach(c.Context, opts, e)
		},
	}
}

func runVsndAttach(ctx context.Context, opts vsndAttachOptions, e *env) error {
	var card *sound.Card
	var err error
	if opts.File != "" {
		var data []byte
		name := opts.File
		if name == "-" {
			data, err = io.ReadAll(e.Stdin)
			name = "stdin"
		} else {
			data, err = os.ReadFile(opts.File)
		}
		if err != nil {
			return asUsage(fmt.Errorf("vsnd-attach: --file: %w", err))
		}
		card, err = sound.ParseYAML(data, name)
	} else {
		card, err = sound.ParseItems(opts.Items)
	}
	if err != nil {
		return vsndErr("vsnd-attach", err)
	}
	dry := e.global.DryRun
	out := &VsndAttachOutput{SchemaVersion: schemaVersion, DryRun: dry}
	var simAttached *sound.Attachment
	err = withVsnd(ctx, e, !dry, func(m *sound.Manager) error {
		a, err := m.Attach(ctx, sound.AttachRequest{Domain: opts.Domain, Backend: opts.Backend, Card: card, DryRun: dry})
		if err != nil {
			return vsndErr("vsnd-attach", err)
		}
		out.Domain, out.Backend, out.DevID = vsndDomain(a.Frontend), vsndDomain(a.Backend), a.DevID
		out.FrontendPath, out.BackendPath, out.LibxlPath = a.FrontendPath, a.BackendPath, a.LibxlPath
		out.Changes = vsndChanges(a.Changes)
		if floats := floatFormats(card); len(floats) > 0 && !dry {
			e.warnf("%s are written as sndif names them, which Linux understands; xl vsnd-list and vsnd-detach cannot read them and skip every vsnd card of %s", strings.Join(floats, ", "), a.Frontend.Label())
		}
		if dry || !opts.Wait {
			return nil
		}
		if e.global.Sim {
			simAttached = a // waited for below, with the simulated host released
			return nil
		}
		res, werr := m.WaitConnected(ctx, a, opts.Timeout)
		return finishVsndWait(ctx, m, a, res, werr, opts, out)
	})
	if simAttached != nil && err == nil {
		res, werr := host.WaitConnectedSim(ctx, e.openHost, simAttached, opts.Timeout)
		err = withVsnd(ctx, e, true, func(m *sound.Manager) error {
			return finishVsndWait(ctx, m, simAttached, res, werr, opts, out)
		})
	}
	if err != nil && out.Wait == nil {
		return err // nothing was written
	}
	// A wait that failed is rendered too: what was reached, and whether
	// the device is still there.
	if rerr := e.out.render(out); err == nil {
		err = rerr
	}
	return err
}

// finishVsndWait records what --wait saw in out and, when no backend
// answered, an end closed the device or the wait was interrupted,
// removes the device again (unless --keep).
func finishVsndWait(ctx context.Context, m *sound.Manager, a *sound.Attachment, res sound.WaitResult, werr error, opts vsndAttachOptions, out *VsndAttachOutput) error {
	out.Wait = &VsndWait{
		Outcome:   string(res.Outcome),
		Frontend:  vsndState(res.Frontend, res.Frontend != xenbus.Unknown),
		Backend:   vsndState(res.Backend, res.Backend != xenbus.Unknown),
		Error:     res.Error,
		ElapsedMS: res.Elapsed.Milliseconds(),
	}
	if werr == nil {
		return nil
	}
	if out.Wait.Outcome == "" {
		out.Wait.Outcome = "interrupted"
	}
	undo := !opts.Keep && (errors.Is(werr, sound.ErrNoBackend) || res.Outcome == sound.OutcomeClosed || ctx.Err() != nil)
	if !undo {
		if res.Outcome == sound.OutcomeTimeout {
			return fmt.Errorf("%w; the device stays (xgo vsnd-detach %d %d removes it)", werr, a.Frontend.ID, a.DevID)
		}
		return werr
	}
	uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if uerr := m.Undo(uctx, a); uerr != nil {
		return fmt.Errorf("%w; removing the device again failed: %v", werr, uerr)
	}
	out.Wait.Removed = true
	return fmt.Errorf("%w; the device was removed again (--keep keeps it)", werr)
}

// floatFormats lists the float formats a card sets (by sndif's names),
// once each.
func floatFormats(c *sound.Card) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p sound.Params) {
		for _, f := range p.SampleFormats {
			if cf, ok := sound.CanonicalFormat(f); ok && strings.HasPrefix(cf, "float") && !seen[cf] {
				seen[cf] = true
				out = append(out, cf)
			}
		}
	}
	add(c.Params)
	for _, p := range c.PCMs {
		add(p.Params)
		for _, s := range p.Streams {
			add(s.Params)
		}
	}
	return out
}
