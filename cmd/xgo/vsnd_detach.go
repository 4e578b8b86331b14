package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/host"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xenstore/xenbus"
)

// VsndDetachOutput is the result of "xgo vsnd-detach".
type VsndDetachOutput struct {
	SchemaVersion int        `json:"schemaVersion" yaml:"schemaVersion"`
	DryRun        bool       `json:"dryRun" yaml:"dryRun"`
	Domain        VsndDomain `json:"domain" yaml:"domain"`
	DevID         int        `json:"devid" yaml:"devid"`
	// Handshake: closed-ok (an end reached Closed), skipped (neither end
	// was ever active, or the backend is gone), timeout (removed anyway,
	// as libxl does), forced (--force).
	Handshake VsndHandshake    `json:"handshake" yaml:"handshake"`
	Changes   []XenstoreChange `json:"changes" yaml:"changes"`
}

// VsndHandshake is how the close handshake went.
type VsndHandshake struct {
	Outcome   string    `json:"outcome" yaml:"outcome"`
	Frontend  VsndState `json:"frontend" yaml:"frontend"`
	Backend   VsndState `json:"backend" yaml:"backend"`
	ElapsedMS int64     `json:"elapsedMs" yaml:"elapsedMs"`
}

// writeText prints nothing, as xl vsnd-detach, unless it is a dry run.
func (o *VsndDetachOutput) writeText(w io.Writer, _ termInfo) error {
	if !o.DryRun {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "would detach vsnd device %d of domain %s:\n", o.DevID, label(o.Domain))
	changesText(&b, o.Changes)
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *VsndDetachOutput) quietIDs() []string { return nil }

type vsndDetachOptions struct {
	Domain  string
	DevID   int
	Force   bool
	Timeout string
}

const vsndDetachDescription = `Removes a PV sound card. First the xenbus close handshake, as libxl
does it: the backend's online node becomes 0 and its state Closing, and
xgo waits up to --timeout (10s) for the frontend to reach Closed, or for
the backend to reach Closed and the frontend to be back in Initialising
(Linux's snd-xen-front ignores Closing and starts over on Closed). A
card whose ends never got past Initialising needs none. Then one
transaction removes the frontend directory, the backend directory,
libxl's record, the guest's error report about the card and the
directories above them left empty. If no end closes in time the card is
removed anyway, with a warning, as libxl does; --force skips the
handshake.

Which backend directory goes is read from libxl's record (only dom0 can
write it), or from the frontend's backend node only when it names this
card's own vsnd backend directory: a guest cannot make xgo remove
anything else. A card of a domain that is gone can be removed by the
domain's id. -N prints the changes and makes none.

EXAMPLES:
   xgo vsnd-detach guest 0
   xgo vsnd-detach --timeout 30s guest 1
   xgo vsnd-detach -N 7 0`

func vsndDetachCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "vsnd-detach",
		Usage:       "Close and remove a PV sound card, like xl vsnd-detach",
		ArgsUsage:   "<domain> <devid>",
		Description: vsndDetachDescription,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"F"}, Usage: "remove at once, without the close handshake", DisableDefaultText: true},
			&cli.StringFlag{Name: "timeout", Aliases: []string{"t"}, Usage: "bound of the close handshake: `TIMEOUT` such as 10s (default) or 30", Value: "10s"},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 2, 2)
			if err != nil {
				return err
			}
			devid, err := strconv.Atoi(args[1])
			if err != nil || devid < 0 || !naming.IsID(args[1]) {
				return usagef("vsnd-detach: invalid device id %q (want a number, as vsnd-list shows)", args[1])
			}
			return runVsndDetach(c.Context, vsndDetachOptions{Domain: args[0], DevID: devid, Force: c.Bool("force"), Timeout: c.String("timeout")}, e)
		},
	}
}

func runVsndDetach(ctx context.Context, opts vsndDetachOptions, e *env) error {
	timeout, err := parseTimeout(opts.Timeout)
	if err != nil {
		return usagef("vsnd-detach: --timeout: %v", err)
	}
	dry := e.global.DryRun
	out := &VsndDetachOutput{SchemaVersion: schemaVersion, DryRun: dry, DevID: opts.DevID}
	req := sound.DetachRequest{Domain: opts.Domain, DevID: opts.DevID, Force: opts.Force, Timeout: timeout, DryRun: dry}
	var d *sound.Detachment
	if e.global.Sim && !dry {
		// The simulated host is served in turns: it must not be held
		// while the ends answer.
		d, err = host.DetachSim(ctx, e.openHost, req)
	} else {
		err = withVsnd(ctx, e, !dry, func(m *sound.Manager) (err error) {
			d, err = m.Detach(ctx, req)
			return err
		})
	}
	if d != nil {
		h := d.Handshake
		out.Domain = vsndDomain(d.Frontend)
		out.Handshake = VsndHandshake{Outcome: string(h.Outcome), Frontend: vsndState(h.Frontend, h.Frontend != xenbus.Unknown),
			Backend: vsndState(h.Backend, h.Backend != xenbus.Unknown), ElapsedMS: h.Elapsed.Milliseconds()}
		out.Changes = vsndChanges(d.Changes)
		if h.Outcome == sound.OutcomeTimeout {
			e.warnf("no end of vsnd device %d of %s closed within %s (frontend %s, backend %s); removed it anyway, as libxl does",
				opts.DevID, d.Frontend.Label(), timeout, h.Frontend, h.Backend)
		}
		if d.BackendPath == "" && err == nil {
			e.warnf("vsnd device %d of %s: no trusted node names its backend directory; only the frontend and libxl's record were removed", opts.DevID, d.Frontend.Label())
		}
	}
	if err != nil {
		return vsndErr("vsnd-detach", err)
	}
	return e.out.render(out)
}
