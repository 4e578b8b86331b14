package completion

import (
	"context"
	"errors"
	"io"
	"strconv"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/sound"
)

// Host is the read-only view of a Xen host that completion needs. Each
// method returns what it can read; an error means "offer nothing".
type Host interface {
	// Pools returns the cpupools' names (the id of one without a name).
	Pools(ctx context.Context) ([]string, error)
	// CPUs returns the ids of the present CPUs that are online (online
	// true) or offline.
	CPUs(ctx context.Context, online bool) ([]int, error)
	// CPUPools maps each cpu in a cpupool to the pool's name (the id of
	// one without a name); free cpus are not in it.
	CPUPools(ctx context.Context) (map[int]string, error)
	// Domains returns the domains' names (the id of one without a name).
	Domains(ctx context.Context) ([]string, error)
	// Schedulers returns the names of the schedulers this Xen is known
	// to have built in.
	Schedulers(ctx context.Context) ([]string, error)
	// VsndDevices returns the vsnd device ids of the domain named (or
	// numbered) domain.
	VsndDevices(ctx context.Context, domain string) ([]string, error)
	// XenStoreChildren returns the names of the children of dir.
	XenStoreChildren(ctx context.Context, dir string) ([]string, error)
}

// Store is what the view reads XenStore through; a *xenstore.Conn is one.
type Store = sound.Store

// NewHost returns the view of the host behind hv and xs. Either may be
// nil (a live host xgo has no permission for, or whose XenStore is
// down): what needs it then offers nothing, the rest still works.
func NewHost(hv hypercall.Hypervisor, xs Store) Host {
	return &xenView{hv: hv, xs: xs}
}

type xenView struct {
	hv hypercall.Hypervisor
	xs Store
}

var errNoHost = errors.New("completion: not readable")

func (v *xenView) Pools(ctx context.Context) ([]string, error) {
	if v.hv == nil || v.xs == nil {
		return nil, errNoHost
	}
	pools, err := cpupool.New(v.hv, v.xs).Pools(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(pools))
	for _, p := range pools {
		if p.Named {
			out = append(out, p.Name)
		} else {
			out = append(out, strconv.FormatUint(uint64(p.ID), 10))
		}
	}
	return out, nil
}

func (v *xenView) CPUPools(ctx context.Context) (map[int]string, error) {
	if v.hv == nil || v.xs == nil {
		return nil, errNoHost
	}
	pools, err := cpupool.New(v.hv, v.xs).Pools(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, p := range pools {
		name := p.Name
		if !p.Named {
			name = strconv.FormatUint(uint64(p.ID), 10)
		}
		for _, c := range p.CPUs.IDs() {
			out[c] = name
		}
	}
	return out, nil
}

func (v *xenView) CPUs(_ context.Context, online bool) ([]int, error) {
	if v.hv == nil {
		return nil, errNoHost
	}
	infos, err := hypercall.ListPCPUs(v.hv)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, in := range infos {
		if !in.Invalid && in.Online == online {
			out = append(out, int(in.CPU))
		}
	}
	return out, nil
}

func (v *xenView) Domains(ctx context.Context) ([]string, error) {
	if v.xs == nil {
		return nil, errNoHost
	}
	doms, err := (&sound.Manager{XS: v.xs, HV: v.hv}).Domains(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(doms))
	for _, d := range doms {
		if d.Dying {
			continue
		}
		if d.Name != "" {
			out = append(out, d.Name)
		} else {
			out = append(out, strconv.FormatUint(uint64(d.ID), 10))
		}
	}
	return out, nil
}

// Schedulers are those compiled into this Xen, from its build
// configuration (hypfs /buildinfo/config: one hypercall). When that is
// unknown (no hypfs, or built without CONFIG_HYPFS_CONFIG) they are
// those Xen shows to be built: the boot default (XEN_SYSCTL_sched_id)
// and those of the existing cpupools; creating a pool to probe one would
// change the host.
func (v *xenView) Schedulers(_ context.Context) ([]string, error) {
	if v.hv == nil {
		return nil, errNoHost
	}
	var out []string
	seen := map[hypercall.Scheduler]bool{}
	add := func(s hypercall.Scheduler) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s.String())
		}
	}
	if built, err := v.hv.BuiltSchedulers(); err == nil {
		for _, s := range built {
			add(s)
		}
		return out, nil
	}
	def, err := v.hv.SchedulerID()
	if err != nil {
		return nil, err
	}
	add(def)
	pools, err := hypercall.ListCpupools(v.hv)
	if err != nil {
		return out, nil
	}
	for _, p := range pools {
		add(p.Scheduler)
	}
	return out, nil
}

func (v *xenView) VsndDevices(ctx context.Context, domain string) ([]string, error) {
	if v.xs == nil {
		return nil, errNoHost
	}
	_, devs, err := (&sound.Manager{XS: v.xs, HV: v.hv}).List(ctx, domain)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(devs))
	for _, d := range devs {
		out = append(out, strconv.Itoa(d.DevID))
	}
	return out, nil
}

func (v *xenView) XenStoreChildren(ctx context.Context, dir string) ([]string, error) {
	if v.xs == nil {
		return nil, errNoHost
	}
	return v.xs.Directory(ctx, dir)
}

// lazyHost opens the host on first use, once.
type lazyHost struct {
	open   Opener
	target Target
	done   bool
	host   Host
}

func (h *lazyHost) get(ctx context.Context) Host {
	if !h.done {
		h.done = true
		if h.open != nil {
			if host, err := h.open(ctx, h.target); err == nil {
				h.host = host
			}
		}
	}
	return h.host
}

func (h *lazyHost) close() {
	if c, ok := h.host.(io.Closer); ok {
		_ = c.Close()
	}
}
