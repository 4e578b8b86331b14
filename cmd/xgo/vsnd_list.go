package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/sound"
)

// VsndListOutput is the result of "xgo vsnd-list".
type VsndListOutput struct {
	SchemaVersion int          `json:"schemaVersion" yaml:"schemaVersion"`
	Devices       []VsndDevice `json:"devices" yaml:"devices"`
}

// VsndDevice is one vsnd device.
type VsndDevice struct {
	Domain   VsndDomain `json:"domain" yaml:"domain"`
	DevID    int        `json:"devid" yaml:"devid"`
	Frontend VsndEnd    `json:"frontend" yaml:"frontend"`
	Backend  VsndEnd    `json:"backend" yaml:"backend"`
	// Libxl is true when libxl's record exists: xl vsnd-list shows only
	// such devices.
	Libxl    bool     `json:"libxl" yaml:"libxl"`
	Card     VsndCard `json:"card" yaml:"card"`
	Problems []string `json:"problems,omitempty" yaml:"problems,omitempty"`
}

// VsndEnd is one end of a device; Domain is null and Path "" when no
// trusted node names the backend.
type VsndEnd struct {
	Domain    *VsndDomain `json:"domain" yaml:"domain"`
	Path      string      `json:"path" yaml:"path"`
	VsndState `yaml:",inline"`
}

// VsndCard is a card's configuration as XenStore holds it.
type VsndCard struct {
	ShortName  string `json:"shortName,omitempty" yaml:"shortName,omitempty"`
	LongName   string `json:"longName,omitempty" yaml:"longName,omitempty"`
	VsndParams `yaml:",inline"`
	PCMs       []VsndPCM `json:"pcms" yaml:"pcms"`
}

// VsndPCM is one PCM device.
type VsndPCM struct {
	Index      int    `json:"index" yaml:"index"`
	Name       string `json:"name,omitempty" yaml:"name,omitempty"`
	VsndParams `yaml:",inline"`
	Streams    []VsndStream `json:"streams" yaml:"streams"`
}

// VsndStream is one stream with what its frontend published.
type VsndStream struct {
	Index      int    `json:"index" yaml:"index"`
	UniqueID   string `json:"uniqueId" yaml:"uniqueId"`
	Type       string `json:"type" yaml:"type"`
	VsndParams `yaml:",inline"`
	Transport  VsndTransport `json:"transport" yaml:"transport"`
}

// VsndTransport is what the frontend published for a stream: grant
// references and event channels; null until published.
type VsndTransport struct {
	RingRef         *uint32 `json:"ringRef" yaml:"ringRef"`
	EventChannel    *uint32 `json:"eventChannel" yaml:"eventChannel"`
	EvtRingRef      *uint32 `json:"evtRingRef" yaml:"evtRingRef"`
	EvtEventChannel *uint32 `json:"evtEventChannel" yaml:"evtEventChannel"`
}

func vsndDevice(d sound.Domain, dev sound.DeviceInfo) VsndDevice {
	out := VsndDevice{Domain: vsndDomain(d), DevID: dev.DevID, Libxl: dev.Libxl, Problems: dev.Problems}
	fd := vsndDomain(dev.Frontend.Domain)
	out.Frontend = VsndEnd{Domain: &fd, Path: dev.Frontend.Path, VsndState: vsndState(dev.Frontend.State, dev.Frontend.HasState)}
	out.Backend = VsndEnd{Path: dev.Backend.Path, VsndState: vsndState(dev.Backend.State, dev.Backend.HasState)}
	if dev.Backend.Path != "" {
		bd := vsndDomain(dev.Backend.Domain)
		out.Backend.Domain = &bd
	}
	c := dev.Card
	out.Card = VsndCard{ShortName: c.ShortName, LongName: c.LongName, VsndParams: vsndParams(c.Params), PCMs: []VsndPCM{}}
	for i, p := range c.PCMs {
		vp := VsndPCM{Index: i, Name: p.Name, VsndParams: vsndParams(p.Params), Streams: []VsndStream{}}
		for j, s := range p.Streams {
			t := dev.Streams[i][j].Transport
			vp.Streams = append(vp.Streams, VsndStream{Index: j, UniqueID: s.UniqueID, Type: string(s.Type), VsndParams: vsndParams(s.Params),
				Transport: VsndTransport{RingRef: t.RingRef, EventChannel: t.EventChannel, EvtRingRef: t.EvtRingRef, EvtEventChannel: t.EvtEventChannel}})
		}
		out.Card.PCMs = append(out.Card.PCMs, vp)
	}
	return out
}

// writeText prints what xl vsnd-list prints (tools/xl/xl_vsnd.c), with
// three deliberate differences: the states are followed by their names
// and the backend's state is shown too; the formats are labelled
// sample-formats (xl labels them sample-rates); and the stream's
// transport line shows the event ring as well (evt-event-channel,
// evt-ring-ref). A name that is not set prints as xl's printf prints a
// NULL string, (null).
func (o *VsndListOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	str := func(s string) string {
		if s == "" {
			return "(null)"
		}
		return s
	}
	state := func(s VsndState) string {
		if s.State == nil {
			return "-1"
		}
		return fmt.Sprintf("%d (%s)", *s.State, s.StateName)
	}
	num := func(p *uint32) string {
		if p == nil {
			return "-1"
		}
		return fmt.Sprint(*p)
	}
	for _, d := range o.Devices {
		beID := "-1"
		if d.Backend.Domain != nil {
			beID = fmt.Sprint(d.Backend.Domain.ID)
		}
		fmt.Fprintf(&b, "\ndevid: %d, be-domid: %s, handle: %d, state: %s, be-state: %s, be-path: %s, fe-path: %s\n",
			d.DevID, beID, d.Domain.ID, state(d.Frontend.VsndState), state(d.Backend.VsndState), d.Backend.Path, d.Frontend.Path)
		fmt.Fprintf(&b, "short-name: \"%s\", long-name: \"%s\"%s\n", str(d.Card.ShortName), str(d.Card.LongName), paramsText(toParams(d.Card.VsndParams)))
		for _, p := range d.Card.PCMs {
			fmt.Fprintf(&b, "\tpcm: %d, name: \"%s\"%s\n", p.Index, str(p.Name), paramsText(toParams(p.VsndParams)))
			for _, s := range p.Streams {
				fmt.Fprintf(&b, "\t\tstream: %d, unique-id: \"%s\", type: %s%s\n", s.Index, str(s.UniqueID), str(s.Type), paramsText(toParams(s.VsndParams)))
				t := s.Transport
				fmt.Fprintf(&b, "\t\t\tevent-channel: %s, ring-ref: %s, evt-event-channel: %s, evt-ring-ref: %s\n",
					num(t.EventChannel), num(t.RingRef), num(t.EvtEventChannel), num(t.EvtRingRef))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func toParams(p VsndParams) sound.Params {
	return sound.Params{SampleRates: p.SampleRates, SampleFormats: p.SampleFormats, ChannelsMin: p.ChannelsMin, ChannelsMax: p.ChannelsMax, BufferSize: p.BufferSize}
}

// quietIDs prints "DOMID DEVID" per device, the arguments vsnd-detach
// takes.
func (o *VsndListOutput) quietIDs() []string {
	ids := make([]string, len(o.Devices))
	for i, d := range o.Devices {
		ids[i] = fmt.Sprintf("%d %d", d.Domain.ID, d.DevID)
	}
	return ids
}

const vsndListDescription = `Lists each domain's PV sound cards: device id, both ends (domain, path
and xenbus state), the card's configuration, and for every stream the
transport its frontend published (ring-ref, event-channel, evt-ring-ref,
evt-event-channel; -1 or null until published). Each domain is read in
one transaction.

The text is xl vsnd-list's, with the states named, the backend's state
added, the event ring shown, and the formats labelled sample-formats
(xl prints them under a second "sample-rates"). Cards without libxl's
record (which xl does not show) are listed too; the JSON field libxl
says which have one. -q prints "DOMID DEVID" per card.

EXAMPLES:
   xgo vsnd-list guest
   xgo vsnd-list guest 7 -o json`

func vsndListCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "vsnd-list",
		Usage:       "List domains' PV sound cards and their state, like xl vsnd-list",
		ArgsUsage:   "<domain>...",
		Description: vsndListDescription,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, -1)
			if err != nil {
				return err
			}
			return runVsndList(c.Context, args, e)
		},
	}
}

func runVsndList(ctx context.Context, domains []string, e *env) error {
	out := &VsndListOutput{SchemaVersion: schemaVersion, Devices: []VsndDevice{}}
	err := withVsnd(ctx, e, false, func(m *sound.Manager) error {
		for _, q := range domains {
			d, devs, err := m.List(ctx, q)
			if err != nil {
				return vsndErr("vsnd-list", err)
			}
			for _, dev := range devs {
				out.Devices = append(out.Devices, vsndDevice(d, dev))
				for _, p := range dev.Problems {
					e.warnf("vsnd device %d of %s: %s", dev.DevID, d.Label(), p)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.out.render(out)
}
