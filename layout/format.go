package layout

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/yamlerr"
	"xgo.dev/xgo/yamlnode"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/sound"
)

// Version is the layout format's version, the value of its version key.
const Version = 1

// File is a desired host layout. A nil field (or a false Has*) is not
// mentioned: Diff leaves that part of the host alone.
type File struct {
	Name string // as given to Decode, for messages

	// OfflineCPUs are the pCPUs kept offline (a cpu-list); every other
	// present CPU is online. nil: not mentioned.
	OfflineCPUs *CPUList

	HasPools bool
	Pools    []*Pool

	HasDomains bool
	Domains    []*Domain
}

// Pos is where something was given in the file.
type Pos struct{ Line, Col int }

// CPUList is a cpu-list in xl's grammar ("2-5,^3", "node:1"), resolved
// against the host's topology by Diff; "" is no CPU.
type CPUList struct {
	Text string
	Pos
}

// Pool is one cpupool of a layout.
type Pool struct {
	Name string
	// Pool0 marks Pool-0, the pool Xen makes at boot (id: 0 in the
	// file), whatever its name. Without such an entry, the entry named
	// as the host's Pool-0 is it.
	Pool0  bool
	Sched  string      // "" not mentioned
	CPUs   *CPUList    // nil not mentioned
	Params *PoolParams // nil not mentioned
	Pos
}

// PoolParams are a pool's scheduler parameters; nil fields are not
// mentioned.
type PoolParams struct {
	RatelimitUS      *int64
	TsliceMS         *int64
	MigrationDelayUS *int64
}

// Domain is one domain of a layout, named as on the command line (a
// name, or an id when all digits).
type Domain struct {
	Name   string
	Pool   string // "" not mentioned
	Weight *int64 // credit, credit2
	Cap    *int64
	RTDS   []RTDS // nil not mentioned
	// HasVSND: the vsnd key was given; VSND are the cards.
	HasVSND bool
	VSND    []Card
	Pos
}

// RTDS are rtds parameters of one vCPU, or of all (VCPU -1).
type RTDS struct {
	VCPU      int64
	PeriodUS  int64
	BudgetUS  int64
	Extratime bool
}

// Card is a vsnd card of a domain: its backend domain ("" is Domain-0)
// and configuration.
type Card struct {
	Backend string
	Card    *sound.Card
	Pos
}

// ErrInvalid matches every error of Decode, and the errors of Diff that
// are mistakes of the file (a CPU in two pools).
var ErrInvalid = errors.New("invalid layout file")

// Error is a mistake in a layout file at File:Line:Col.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg) }

// Is makes every Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Decode parses a layout file strictly: an unknown or repeated key, a
// value of the wrong type or out of range, a bad cpu-list, scheduler or
// card, two pools or domains of one name is an *Error with its position.
func Decode(data []byte, name string) (*File, error) {
	if name == "" {
		name = "-"
	}
	root, p := yamlerr.Document(data, "version: 1 and the layout", "a layout file")
	if p != nil {
		return nil, &Error{File: name, Line: p.Line, Col: p.Col, Msg: p.Msg}
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d := &decoder{file: name}
	f := d.file1(root)
	if d.err != nil {
		return nil, d.err
	}
	return f, nil
}

type decoder struct {
	file string
	err  *Error
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	if d.err == nil {
		d.err = &Error{File: d.file, Line: max(n.Line, 1), Col: max(n.Column, 1), Msg: fmt.Sprintf(format, args...)}
	}
}

// fields calls fn for each key of mapping n, in order, refusing keys not
// in allowed and keys given twice; what names the mapping in messages.
func (d *decoder) fields(n *yaml.Node, what string, allowed []string, fn func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s: want a mapping (%s), have %s", what, strings.Join(allowed, ", "), yamlerr.KindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && d.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.fail(k, "%s: a key must be a plain name", what)
		case !slices.Contains(allowed, k.Value):
			d.fail(k, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(allowed, ", "))
		case seen[k.Value]:
			d.fail(k, "%s: %s given twice", what, k.Value)
		default:
			seen[k.Value] = true
			fn(k, v)
		}
	}
}

func (d *decoder) scalar(v *yaml.Node, what string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.fail(v, "%s: want a single value, have %s", what, yamlerr.KindName(v))
		return "", false
	}
	return v.Value, true
}

func (d *decoder) name(v *yaml.Node, what string) string {
	s, ok := d.scalar(v, what)
	if ok && strings.TrimSpace(s) == "" {
		d.fail(v, "%s: must not be empty", what)
	}
	return s
}

func (d *decoder) int(v *yaml.Node, what string, lo, hi int64) *int64 {
	s, ok := d.scalar(v, what)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		d.fail(v, "%s: want a whole number from %d to %d, have %q", what, lo, hi, s)
		return nil
	}
	return &n
}

func (d *decoder) bool(v *yaml.Node, what string) bool {
	s, ok := d.scalar(v, what)
	if !ok {
		return false
	}
	switch s {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	d.fail(v, "%s: want true or false, have %q", what, s)
	return false
}

// cpus reads a cpu-list: an xl string, or a list of ids and such
// strings; "" and [] are no CPU.
func (d *decoder) cpus(v *yaml.Node, what string) *CPUList {
	var items []string
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag != "!!null":
		if strings.TrimSpace(v.Value) != "" {
			items = []string{v.Value}
		}
	case v.Kind == yaml.SequenceNode:
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" || strings.Contains(it.Value, ",") {
				d.fail(it, "%s: want one CPU id, range or node:N per list item, have %s", what, yamlerr.KindName(it))
				return nil
			}
			items = append(items, it.Value)
		}
	default:
		d.fail(v, "%s: want a cpu-list such as \"2-3\", [2, 3] or [], have %s", what, yamlerr.KindName(v))
		return nil
	}
	list := strings.Join(items, ",")
	if list != "" {
		if _, err := cpuset.Parse(list, anyTopology{}); err != nil {
			d.fail(v, "%s: %v", what, err)
			return nil
		}
	}
	return &CPUList{Text: list, Pos: Pos{v.Line, v.Column}}
}

// anyTopology accepts every node, each with one cpu: only a list's
// syntax is checked (a node with no cpu would make "node:1" a list that
// selects nothing, which cpuset refuses).
type anyTopology struct{}

func (anyTopology) NumCPUs() int                    { return 1 }
func (anyTopology) NumNodes() int                   { return 1 << 16 }
func (anyTopology) NodeCPUs(int) (cpuset.Set, bool) { return cpuset.Of(0), true }

func (d *decoder) file1(root *yaml.Node) *File {
	f := &File{Name: d.file}
	if root.Kind != yaml.MappingNode {
		d.fail(root, "want a mapping with version, offline-cpus, pools and domains, have %s", yamlerr.KindName(root))
		return f
	}
	var version *yaml.Node
	d.fields(root, "layout", []string{"version", "offline-cpus", "pools", "domains"}, func(k, v *yaml.Node) {
		switch k.Value {
		case "version":
			version = v
		case "offline-cpus":
			f.OfflineCPUs = d.cpus(v, "offline-cpus")
		case "pools":
			f.HasPools = true
			for i, it := range d.list(v, "pools") {
				f.Pools = append(f.Pools, d.pool(it, i+1))
			}
		case "domains":
			f.HasDomains = true
			for i, it := range d.list(v, "domains") {
				f.Domains = append(f.Domains, d.domain(it, i+1))
			}
		}
	})
	if d.err != nil {
		return f
	}
	if version == nil {
		d.fail(root, "no version key: the file must start with version: %d", Version)
		return f
	}
	if version.Kind != yaml.ScalarNode || version.Value != strconv.Itoa(Version) {
		d.fail(version, "version %s: this xgo reads version %d", yamlerr.KindName(version), Version)
		return f
	}
	d.check(f)
	return f
}

func (d *decoder) list(v *yaml.Node, what string) []*yaml.Node {
	switch {
	case v.Kind == yaml.SequenceNode:
		return v.Content
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil
	}
	d.fail(v, "%s: want a list, have %s", what, yamlerr.KindName(v))
	return nil
}

var poolKeys = []string{"name", "id", "sched", "cpus", "params"}

func (d *decoder) pool(n *yaml.Node, i int) *Pool {
	p := &Pool{Pos: Pos{n.Line, n.Column}}
	what := fmt.Sprintf("pool %d", i)
	var params *yaml.Node
	d.fields(n, what, poolKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "name":
			p.Name = d.name(v, what+": name")
			if d.err == nil && naming.IsID(p.Name) {
				d.fail(v, "%s: name %q is all digits: it would be read as a pool id", what, p.Name)
			}
		case "id":
			if s, ok := d.scalar(v, what+": id"); ok && s != "0" {
				d.fail(v, "%s: id: only 0 (Pool-0) may be given, Xen chooses the other pools' ids; have %q", what, s)
			}
			p.Pool0 = true
		case "sched":
			p.Sched = d.name(v, what+": sched")
			if d.err == nil {
				if _, err := hypercall.ParseScheduler(p.Sched); err != nil {
					d.fail(v, "%s: sched: %v", what, err)
				}
			}
		case "cpus":
			p.CPUs = d.cpus(v, what+": cpus")
		case "params":
			params = v
		}
	})
	if d.err == nil && p.Name == "" {
		d.fail(n, "%s: no name", what)
	}
	if d.err == nil && params != nil {
		p.Params = d.poolParams(params, what, p.Sched)
	}
	return p
}

func (d *decoder) poolParams(n *yaml.Node, what, schedName string) *PoolParams {
	pp := &PoolParams{}
	what += ": params"
	d.fields(n, what, []string{"ratelimit_us", "tslice_ms", "migration_delay_us"}, func(k, v *yaml.Node) {
		switch k.Value {
		case "ratelimit_us":
			pp.RatelimitUS = d.int(v, what+": ratelimit_us", sched.RatelimitMinUS, sched.RatelimitMaxUS)
		case "tslice_ms":
			pp.TsliceMS = d.int(v, what+": tslice_ms", sched.TsliceMinMS, sched.TsliceMaxMS)
		case "migration_delay_us":
			pp.MigrationDelayUS = d.int(v, what+": migration_delay_us", 0, sched.MigrationDelayMaxUS)
		}
	})
	if d.err == nil && schedName != "" {
		s, _ := hypercall.ParseScheduler(schedName)
		if err := pp.change().Check(s); err != nil {
			d.fail(n, "%s: %v", what, err)
		}
	}
	return pp
}

func (pp *PoolParams) change() sched.PoolChange {
	return sched.PoolChange{TsliceMS: pp.TsliceMS, RatelimitUS: pp.RatelimitUS, MigrationDelayUS: pp.MigrationDelayUS}
}

var domainKeys = []string{"name", "pool", "weight", "cap", "rtds", "vsnd"}

func (d *decoder) domain(n *yaml.Node, i int) *Domain {
	dm := &Domain{Pos: Pos{n.Line, n.Column}}
	what := fmt.Sprintf("domain %d", i)
	d.fields(n, what, domainKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "name":
			dm.Name = d.name(v, what+": name")
		case "pool":
			dm.Pool = d.name(v, what+": pool")
		case "weight":
			dm.Weight = d.int(v, what+": weight", sched.WeightMin, sched.WeightMax)
		case "cap":
			dm.Cap = d.int(v, what+": cap", 0, math.MaxUint16)
		case "rtds":
			dm.RTDS = []RTDS{}
			for j, it := range d.list(v, what+": rtds") {
				dm.RTDS = append(dm.RTDS, d.rtds(it, fmt.Sprintf("%s: rtds %d", what, j+1)))
			}
		case "vsnd":
			dm.HasVSND = true
			for j, it := range d.list(v, what+": vsnd") {
				dm.VSND = append(dm.VSND, d.card(it, fmt.Sprintf("%s: vsnd %d", what, j+1)))
			}
		}
	})
	if d.err == nil && dm.Name == "" {
		d.fail(n, "%s: no name", what)
	}
	if d.err == nil && dm.RTDS != nil && (dm.Weight != nil || dm.Cap != nil) {
		d.fail(n, "%s: weight and cap are credit's and credit2's, rtds is rtds': give one or the other", what)
	}
	return dm
}

func (d *decoder) rtds(n *yaml.Node, what string) RTDS {
	r := RTDS{VCPU: -1, Extratime: true}
	var period, budget *int64
	d.fields(n, what, []string{"vcpu", "period", "budget", "extratime"}, func(k, v *yaml.Node) {
		switch k.Value {
		case "vcpu":
			if s, ok := d.scalar(v, what+": vcpu"); ok && s != "all" {
				if p := d.int(v, what+": vcpu", 0, math.MaxUint16); p != nil {
					r.VCPU = *p
				}
			}
		case "period":
			period = d.int(v, what+": period", sched.RTDSMinPeriodUS, math.MaxUint32)
		case "budget":
			budget = d.int(v, what+": budget", sched.RTDSMinBudgetUS, math.MaxUint32)
		case "extratime":
			r.Extratime = d.bool(v, what+": extratime")
		}
	})
	if d.err != nil {
		return r
	}
	if period == nil || budget == nil {
		d.fail(n, "%s: want period and budget", what)
		return r
	}
	r.PeriodUS, r.BudgetUS = *period, *budget
	if r.BudgetUS > r.PeriodUS {
		d.fail(n, "%s: budget: must not be longer than the period (%dus)", what, r.PeriodUS)
	}
	return r
}

func (d *decoder) card(n *yaml.Node, what string) Card {
	c := Card{Pos: Pos{n.Line, n.Column}}
	d.fields(n, what, []string{"backend", "card"}, func(k, v *yaml.Node) {
		switch k.Value {
		case "backend":
			c.Backend = d.name(v, what+": backend")
		case "card":
			card, err := sound.ParseYAMLNode(v, d.file)
			if err != nil {
				d.fail(v, "%s: card: %v", what, oneLine(err.Error()))
				return
			}
			c.Card = card
		}
	})
	if d.err == nil && c.Card == nil {
		d.fail(n, "%s: no card (a card in the form of vsnd-attach --file)", what)
	}
	return c
}

// check finds what is wrong across entries: two pools or domains of one
// name, two Pool-0s.
func (d *decoder) check(f *File) {
	names := map[string]bool{}
	var pool0 *Pool
	for _, p := range f.Pools {
		if names[p.Name] {
			d.fail(&yaml.Node{Line: p.Line, Column: p.Col}, "pool %q listed twice", p.Name)
			return
		}
		names[p.Name] = true
		if p.Pool0 {
			if pool0 != nil {
				d.fail(&yaml.Node{Line: p.Line, Column: p.Col}, "pool %q: id: 0 given twice (%q has it)", p.Name, pool0.Name)
				return
			}
			pool0 = p
		}
	}
	doms := map[string]bool{}
	for _, dm := range f.Domains {
		if doms[dm.Name] {
			d.fail(&yaml.Node{Line: dm.Line, Column: dm.Col}, "domain %q listed twice", dm.Name)
			return
		}
		doms[dm.Name] = true
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// ---- Encode

// Encode writes f as a layout file, every key it has, in the order
// Decode reads them.
func Encode(f *File, header []string) ([]byte, error) {
	root := yamlnode.FlowMapping("version", Version)
	if f.OfflineCPUs != nil {
		root.Content = append(root.Content, yamlnode.Scalar("offline-cpus"), cpuNode(f.OfflineCPUs.Text))
	}
	if f.HasPools {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, p := range f.Pools {
			kvs := []any{"name", p.Name}
			if p.Pool0 {
				kvs = append(kvs, "id", 0)
			}
			if p.Sched != "" {
				kvs = append(kvs, "sched", p.Sched)
			}
			if p.CPUs != nil {
				kvs = append(kvs, "cpus", cpuNode(p.CPUs.Text))
			}
			if p.Params != nil {
				var pk []any
				for _, kv := range []struct {
					k string
					v *int64
				}{{"ratelimit_us", p.Params.RatelimitUS}, {"tslice_ms", p.Params.TsliceMS}, {"migration_delay_us", p.Params.MigrationDelayUS}} {
					if kv.v != nil {
						pk = append(pk, kv.k, int(*kv.v))
					}
				}
				kvs = append(kvs, "params", yamlnode.FlowMapping(pk...))
			}
			seq.Content = append(seq.Content, yamlnode.FlowMapping(kvs...))
		}
		root.Content = append(root.Content, yamlnode.Scalar("pools"), seq)
	}
	if f.HasDomains {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, dm := range f.Domains {
			kvs := []any{"name", dm.Name}
			if dm.Pool != "" {
				kvs = append(kvs, "pool", dm.Pool)
			}
			if dm.Weight != nil {
				kvs = append(kvs, "weight", int(*dm.Weight))
			}
			if dm.Cap != nil {
				kvs = append(kvs, "cap", int(*dm.Cap))
			}
			if dm.RTDS != nil {
				l := &yaml.Node{Kind: yaml.SequenceNode}
				for _, r := range dm.RTDS {
					var rk []any
					if r.VCPU >= 0 {
						rk = append(rk, "vcpu", int(r.VCPU))
					}
					rk = append(rk, "period", int(r.PeriodUS), "budget", int(r.BudgetUS), "extratime", r.Extratime)
					l.Content = append(l.Content, yamlnode.FlowMapping(rk...))
				}
				kvs = append(kvs, "rtds", l)
			}
			if dm.HasVSND {
				l := &yaml.Node{Kind: yaml.SequenceNode}
				for _, c := range dm.VSND {
					var ck []any
					if c.Backend != "" {
						ck = append(ck, "backend", c.Backend)
					}
					ck = append(ck, "card", batch.CardNode(c.Card))
					l.Content = append(l.Content, yamlnode.FlowMapping(ck...))
				}
				if len(l.Content) == 0 {
					l.Style = yaml.FlowStyle
				}
				kvs = append(kvs, "vsnd", l)
			}
			seq.Content = append(seq.Content, yamlnode.FlowMapping(kvs...))
		}
		root.Content = append(root.Content, yamlnode.Scalar("domains"), seq)
	}
	root.Style = 0
	var b bytes.Buffer
	for _, h := range header {
		b.WriteString("# " + h + "\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func cpuNode(list string) *yaml.Node {
	if list == "" {
		return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	}
	return yamlnode.Scalar(list)
}
