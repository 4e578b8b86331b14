package cpupool_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore"
)

// testSpec is a small host with every case the rules care about: two NUMA
// nodes of 4 cpus, cpu 7 offline, a credit pool "rt" with a domain, an
// empty credit2 pool "spare", and rtds built.
const testSpec = `
xen: {version: "4.17", extraversion: ".5"}
cpus: {sockets: 2, coresPerSocket: 4, threadsPerCore: 1, nodes: 2, offline: "7"}
memory: {nodeMiB: [4096, 4096]}
schedulers: {built: [credit, credit2, rtds], default: credit2}
pools:
  - {id: 1, name: rt, scheduler: credit, cpus: "4-5"}
  - {id: 2, name: spare, scheduler: credit2}
domains:
  - {name: Domain-0, domid: 0, vcpus: 2, memoryMiB: 1024}
  - {name: web, domid: 1, vcpus: 2, memoryMiB: 256, weight: 512, cap: 50}
  - {name: db, domid: 2, vcpus: 1, memoryMiB: 256, pool: 1, weight: 128}
`

type testEnv struct {
	t   *testing.T
	sim *xensim.Sim
	hv  *faultHV
	xs  *faultXS
	m   *cpupool.Manager
	ctx context.Context
}

func newEnv(t *testing.T, spec string) *testEnv {
	t.Helper()
	s, err := xensim.ParseSpec([]byte(spec), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := xensim.New(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	conn, err := sim.XenStore()
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, sim: sim, hv: &faultHV{Hypervisor: sim.Host()}, xs: &faultXS{Conn: conn}, ctx: context.Background()}
	e.m = cpupool.New(e.hv, e.xs)
	return e
}

// executor is any plan: *cpupool.Plan and the plans that embed it.
type executor interface {
	Execute(ctx context.Context) (*cpupool.Result, error)
}

// must executes a plan and fails the test on error.
func (e *testEnv) must(p executor, err error) *cpupool.Result {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := p.Execute(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// layout describes everything a cpupool operation may change: pools with
// their cpus, schedulers, domains and XenStore names; free cpus; every
// domain's pool and weight/cap; the /local/pool tree.
func (e *testEnv) layout() string {
	e.t.Helper()
	var b strings.Builder
	h := e.sim.Host()
	pools, err := hypercall.ListCpupools(h)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range pools {
		fmt.Fprintf(&b, "pool %d %s cpus=%s ndom=%d", p.ID, p.Scheduler, p.CPUs, p.NDom)
		if ps, err := h.PoolSchedParams(p.ID, p.Scheduler); err == nil {
			fmt.Fprintf(&b, " params=%+v", ps)
		}
		b.WriteByte('\n')
	}
	free, _ := h.CpupoolFreeCPUs()
	fmt.Fprintf(&b, "free %s\n", free)
	doms, _ := hypercall.ListDomains(h)
	for _, d := range doms {
		pool, _ := h.CpupoolInfo(d.Cpupool)
		sp, _ := h.DomainSchedParams(d.Domid, pool.Scheduler)
		fmt.Fprintf(&b, "dom %d pool %d weight %d cap %d\n", d.Domid, d.Cpupool, sp.Weight, sp.Cap)
	}
	conn, err := e.sim.XenStore()
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	var walk func(p string)
	walk = func(p string) {
		v, err := conn.Read(e.ctx, p)
		if err != nil {
			return
		}
		fmt.Fprintf(&b, "xs %s = %q\n", p, v)
		kids, _ := conn.Directory(e.ctx, p)
		sort.Strings(kids)
		for _, k := range kids {
			walk(p + "/" + k)
		}
	}
	walk("/local/pool")
	return b.String()
}

// faultHV fails the n-th mutating hypercall (counting from 1) with errno.
type faultHV struct {
	hypercall.Hypervisor
	mu     sync.Mutex
	calls  int
	failAt int
	errno  syscall.Errno
	log    []string
}

func (f *faultHV) arm(n int, errno syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.failAt, f.errno, f.log = 0, n, errno, nil
}

func (f *faultHV) hit(op hypercall.Op, target string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.log = append(f.log, op.String()+" "+target)
	if f.calls == f.failAt {
		return hypercall.NewOpError(op, target+" (injected)", f.errno)
	}
	return nil
}

func (f *faultHV) mutations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *faultHV) CpupoolCreate(id uint32, s hypercall.Scheduler) (uint32, error) {
	if err := f.hit(hypercall.OpCpupoolCreate, fmt.Sprint("pool ", id)); err != nil {
		return 0, err
	}
	return f.Hypervisor.CpupoolCreate(id, s)
}

func (f *faultHV) CpupoolDestroy(id uint32) error {
	if err := f.hit(hypercall.OpCpupoolDestroy, fmt.Sprint("pool ", id)); err != nil {
		return err
	}
	return f.Hypervisor.CpupoolDestroy(id)
}

func (f *faultHV) CpupoolAddCPU(id, cpu uint32) error {
	if err := f.hit(hypercall.OpCpupoolAddCPU, fmt.Sprintf("pool %d, cpu %d", id, cpu)); err != nil {
		return err
	}
	return f.Hypervisor.CpupoolAddCPU(id, cpu)
}

func (f *faultHV) CpupoolRemoveCPU(id, cpu uint32) error {
	if err := f.hit(hypercall.OpCpupoolRemoveCPU, fmt.Sprintf("pool %d, cpu %d", id, cpu)); err != nil {
		return err
	}
	return f.Hypervisor.CpupoolRemoveCPU(id, cpu)
}

func (f *faultHV) CpupoolMoveDomain(id uint32, domid uint16) error {
	if err := f.hit(hypercall.OpCpupoolMoveDomain, fmt.Sprintf("pool %d, domain %d", id, domid)); err != nil {
		return err
	}
	return f.Hypervisor.CpupoolMoveDomain(id, domid)
}

func (f *faultHV) SetPoolSchedParams(id uint32, p hypercall.PoolSchedParams) error {
	if err := f.hit(hypercall.OpPoolSchedParams, fmt.Sprint("pool ", id)); err != nil {
		return err
	}
	return f.Hypervisor.SetPoolSchedParams(id, p)
}

func (f *faultHV) SetDomainSchedParams(domid uint16, p hypercall.DomainSchedParams) error {
	if err := f.hit(hypercall.OpDomainSchedParams, fmt.Sprint("domain ", domid)); err != nil {
		return err
	}
	return f.Hypervisor.SetDomainSchedParams(domid, p)
}

// faultXS fails the n-th transaction (counting from 1) with EIO.
type faultXS struct {
	*xenstore.Conn
	mu     sync.Mutex
	calls  int
	failAt int
	writes int // writes outside transactions, which plans never make
}

func (f *faultXS) arm(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.failAt = 0, n
}

func (f *faultXS) transactions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *faultXS) Transact(ctx context.Context, fn func(tx *xenstore.Tx) error) error {
	f.mu.Lock()
	f.calls++
	fail := f.calls == f.failAt
	f.mu.Unlock()
	if fail {
		return &xenstore.Error{Op: "TRANSACTION_END", Name: "EIO", Err: xenstore.ErrIO}
	}
	return f.Conn.Transact(ctx, fn)
}

func (f *faultXS) Write(ctx context.Context, path string, v []byte) error {
	f.mu.Lock()
	f.writes++
	f.mu.Unlock()
	return f.Conn.Write(ctx, path, v)
}
