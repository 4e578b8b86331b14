package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/sound"
)

// This file holds what vsnd-attach, vsnd-list and vsnd-detach share:
// opening the host, mapping package sound's errors to exit codes, and the
// output types.

// vsndCommands are the vsnd-* commands, in the order "xgo help" lists
// them.
func vsndCommands(e *env) []*cli.Command {
	return []*cli.Command{
		vsndAttachCommand(e),
		vsndListCommand(e),
		vsndDetachCommand(e),
		vsndBackendCommand(e),
	}
}

// openVsnd opens the host for a vsnd command: its XenStore (required) and
// its hypervisor, which tells which domains exist. On a real host the
// hypervisor is optional: without it (not root, no privcmd) the domains
// are those XenStore lists, as -v says. save says whether the command
// may change the host (a simulated host is then saved, unless -N).
func openVsnd(ctx context.Context, e *env, save bool) (*sound.Manager, func() error, error) {
	h, err := e.openHost(save)
	if err != nil {
		return nil, nil, err
	}
	m, err := h.Sound(ctx)
	if err != nil {
		return nil, nil, errors.Join(err, h.Close())
	}
	return m, h.Close, nil
}

// withVsnd runs fn with the host open (see openVsnd).
func withVsnd(ctx context.Context, e *env, save bool, fn func(m *sound.Manager) error) (err error) {
	m, release, err := openVsnd(ctx, e, save)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := release(); err == nil {
			err = rerr
		}
	}()
	return fn(m)
}

// vsndErr maps package sound's errors: a bad card or argument is a usage
// error (exit 2, nothing was written); everything else keeps its chain.
func vsndErr(cmd string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sound.ErrInvalid) {
		return asUsage(fmt.Errorf("%s: %w", cmd, err))
	}
	return err
}

// VsndDomain names a domain in JSON and YAML output; Name is "" for a
// domain without a name node.
type VsndDomain struct {
	ID   uint32 `json:"id" yaml:"id"`
	Name string `json:"name" yaml:"name"`
}

func vsndDomain(d sound.Domain) VsndDomain { return VsndDomain{ID: d.ID, Name: d.Name} }

// VsndState is a xenbus state by number and name; State is null when the
// node is missing.
type VsndState struct {
	State     *int   `json:"state" yaml:"state"`
	StateName string `json:"stateName" yaml:"stateName"`
}

func vsndState(s sound.State, has bool) VsndState {
	if !has {
		return VsndState{StateName: "missing"}
	}
	n := int(s)
	return VsndState{State: &n, StateName: s.String()}
}

// VsndParams is sndif's parameter set; absent fields are not set.
type VsndParams struct {
	SampleRates   []uint32 `json:"sampleRates,omitempty" yaml:"sampleRates,omitempty"`
	SampleFormats []string `json:"sampleFormats,omitempty" yaml:"sampleFormats,omitempty"`
	ChannelsMin   uint32   `json:"channelsMin,omitempty" yaml:"channelsMin,omitempty"`
	ChannelsMax   uint32   `json:"channelsMax,omitempty" yaml:"channelsMax,omitempty"`
	BufferSize    uint32   `json:"bufferSize,omitempty" yaml:"bufferSize,omitempty"`
}

func vsndParams(p sound.Params) VsndParams {
	return VsndParams{SampleRates: p.SampleRates, SampleFormats: p.SampleFormats, ChannelsMin: p.ChannelsMin, ChannelsMax: p.ChannelsMax, BufferSize: p.BufferSize}
}

// paramsText is xl vsnd-list's print_params, with the formats under
// their own label (xl prints them as a second "sample-rates").
func paramsText(p sound.Params) string {
	var b strings.Builder
	if p.ChannelsMin != 0 {
		fmt.Fprintf(&b, ", channels-min: %d", p.ChannelsMin)
	}
	if p.ChannelsMax != 0 {
		fmt.Fprintf(&b, ", channels-max: %d", p.ChannelsMax)
	}
	if p.BufferSize != 0 {
		fmt.Fprintf(&b, ", buffer-size: %d", p.BufferSize)
	}
	if len(p.SampleRates) > 0 {
		s := make([]string, len(p.SampleRates))
		for i, r := range p.SampleRates {
			s[i] = strconv.FormatUint(uint64(r), 10)
		}
		b.WriteString(", sample-rates: " + strings.Join(s, ";"))
	}
	if len(p.SampleFormats) > 0 {
		b.WriteString(", sample-formats: " + strings.Join(p.SampleFormats, ";"))
	}
	return b.String()
}

// vsndChanges converts package sound's changes for output.
func vsndChanges(cs []sound.Change) []XenstoreChange {
	out := make([]XenstoreChange, 0, len(cs))
	for _, c := range cs {
		xc := XenstoreChange{Op: c.Op, Path: c.Path}
		switch c.Op {
		case "write":
			v := c.Value
			xc.Value = &v
		case "chmod":
			xc.Perms = c.Perms.Strings()
		}
		out = append(out, xc)
	}
	return out
}

// changesText prints changes the way the xenstore commands' dry runs do.
func changesText(b *strings.Builder, cs []XenstoreChange) {
	(&XenstoreChangeOutput{DryRun: true, Changes: cs}).writeText(b, termInfo{})
}

// parseTimeout parses a TIMEOUT: a Go duration ("1m30s") or seconds
// ("15").
func parseTimeout(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil && n > 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (15, 15s, 2m)", s)
	}
	return d, nil
}

// waitFlag is --wait[=TIMEOUT]: a flag whose value is optional, like
// --sim (see simFlag): "--wait" alone binds no value.
type waitFlag struct {
	value waitValue
}

type waitValue struct {
	set     bool
	timeout time.Duration
}

func (v *waitValue) String() string   { return "" }
func (v *waitValue) IsBoolFlag() bool { return true }
func (v *waitValue) Set(s string) error {
	switch s {
	case "true":
		v.set, v.timeout = true, sound.DefaultTimeout
	case "false":
		v.set = false
	default:
		d, err := parseTimeout(s)
		if err != nil {
			return err
		}
		v.set, v.timeout = true, d
	}
	return nil
}

func (f *waitFlag) Apply(set *flag.FlagSet) error {
	f.value = waitValue{}
	set.Var(&f.value, "wait", f.GetUsage())
	return nil
}
func (f *waitFlag) Names() []string        { return []string{"wait"} }
func (f *waitFlag) IsSet() bool            { return f.value.set }
func (f *waitFlag) String() string         { return "--wait[=TIMEOUT]\t" + f.GetUsage() }
func (f *waitFlag) TakesValue() bool       { return false }
func (f *waitFlag) GetValue() string       { return "" }
func (f *waitFlag) GetDefaultText() string { return "" }
func (f *waitFlag) GetEnvVars() []string   { return nil }
func (f *waitFlag) IsVisible() bool        { return true }
func (f *waitFlag) GetUsage() string {
	return "wait up to TIMEOUT (default 10s) for both ends to connect"
}

// cutArg shortens an argument echoed in a message to at most 64 bytes.
func cutArg(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:61] + "..."
}
