package xensim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xenstore"
)

// workerEnv makes the test binary act as one worker process of
// TestConcurrentProcesses instead of running the tests.
const workerEnv = "XENSIM_TEST_WORKER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		path, n, _ := strings.Cut(spec, ",")
		rounds, _ := strconv.Atoi(n)
		if err := worker(path, rounds, rand.New(rand.NewPCG(uint64(os.Getpid()), 1))); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func statePath(t *testing.T) string { return filepath.Join(t.TempDir(), "xgo", "sim.yaml") }

func TestOpenBootsDefaultAndRoundTrips(t *testing.T) {
	p := statePath(t)
	s, err := Open(p)
	must(t, err)
	h := s.Host()
	id, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, err)
	must(t, h.CpupoolRemoveCPU(0, 15))
	must(t, h.CpupoolAddCPU(id, 15))
	must(t, h.CpupoolMoveDomain(id, 2))
	must(t, h.SetPoolSchedParams(id, hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit, TsliceMS: 10, RatelimitUS: 500}))
	must(t, h.CpupoolRemoveCPU(0, 14))
	must(t, h.CPUHotplug(hypercall.HotplugOffline, 13))
	must(t, h.FailNext(OpPoolAddCPU, eBUSY, 2))
	c, err := s.XenStore()
	must(t, err)
	must(t, c.Write(ctx(t), "/local/pool/1/name", []byte("fast")))
	must(t, c.Write(ctx(t), "/local/domain/2/data/bin", []byte{0, 1, 2}))
	must(t, c.SetPerms(ctx(t), "/local/domain/2/data/bin", xenstore.Perms{{Access: xenstore.AccessRead, Domain: 2}, {Access: xenstore.AccessWrite, Domain: 1}}))
	s.FailNextCommits(2)
	before := s.Summary()
	must(t, s.Close())
	first, err := os.ReadFile(p)
	must(t, err)

	s, err = Open(p)
	must(t, err)
	after := s.Summary()
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("summary changed across Close/Open:\n%+v\n%+v", before, after)
	}
	h = s.Host()
	p1, _ := h.PoolSchedParams(id, hypercall.SchedCredit)
	if p1.TsliceMS != 10 || p1.RatelimitUS != 500 {
		t.Errorf("pool params lost: %+v", p1)
	}
	c, _ = s.XenStore()
	v, err := c.Read(ctx(t), "/local/domain/2/data/bin")
	must(t, err)
	ps, _ := c.GetPerms(ctx(t), "/local/domain/2/data/bin")
	if !bytes.Equal(v, []byte{0, 1, 2}) || ps.String() != "r2,w1" {
		t.Errorf("binary node: %q %v", v, ps)
	}
	if s.PendingCommitFailures() != 2 || len(h.Faults()) != 1 {
		t.Errorf("faults lost: %d commits, %+v", s.PendingCommitFailures(), h.Faults())
	}
	must(t, s.Close())
	second, _ := os.ReadFile(p)
	if !bytes.Equal(first, second) {
		t.Error("state file changed across an Open/Close without changes")
	}
	if after.Pools[1].Name != "fast" || after.CPUs.Free != "14" || after.CPUs.Offline != "13" {
		t.Errorf("summary %+v", after)
	}
}

func TestXenStoreTree(t *testing.T) {
	s, err := New(DefaultSpec())
	must(t, err)
	defer s.Close()
	c, err := s.XenStore()
	must(t, err)
	read := func(p string) string {
		v, err := c.Read(ctx(t), p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
		}
		return string(v)
	}
	perms := func(p string) string {
		ps, err := c.GetPerms(ctx(t), p)
		if err != nil {
			t.Errorf("perms %s: %v", p, err)
		}
		return ps.String()
	}
	d1, _ := s.Host().DomainInfo(1)
	uuid := d1.UUID()
	for p, v := range map[string]string{
		"/local/domain/0/name":               "Domain-0",
		"/local/domain/0/domid":              "0",
		"/local/pool/0/name":                 "Pool-0",
		"/local/domain/1/name":               "domu1",
		"/local/domain/1/domid":              "1",
		"/local/domain/1/vm":                 "/vm/" + uuid,
		"/vm/" + uuid + "/uuid":              uuid,
		"/vm/" + uuid + "/name":              "domu1",
		"/vm/" + uuid + "/image/ostype":      "linux",
		"/libxl/1/type":                      "pv",
		"/local/domain/1/memory/target":      "1048576",
		"/local/domain/1/cpu/1/availability": "online",
		"/local/domain/2/control/platform-feature-xs_reset_watches": "1",
	} {
		if got := read(p); got != v {
			t.Errorf("%s = %q, want %q", p, got, v)
		}
	}
	for p, v := range map[string]string{
		"/local/domain/1":                  "n0,r1",
		"/vm/" + uuid:                      "n0,r1",
		"/libxl/1":                         "n0",
		"/local/domain/1/control/shutdown": "n1",
		"/local/domain/1/data":             "n1",
		"/local/domain/1/device/suspend/event-channel": "n1",
	} {
		if got := perms(p); got != v {
			t.Errorf("perms of %s = %s, want %s", p, got, v)
		}
	}
	if !s.Server().DomainIntroduced(1) || !s.Server().DomainIntroduced(2) {
		t.Error("guests not introduced")
	}
	// The guest's own connection sees its home and not the toolstack's.
	g, err := s.XenStoreAs(1)
	must(t, err)
	v, err := g.Read(ctx(t), "name")
	if err != nil || string(v) != "domu1" {
		t.Errorf("guest reads its name: %q %v", v, err)
	}
	must(t, g.Write(ctx(t), "data/x", []byte("1")))
	if _, err := g.Read(ctx(t), "/libxl/1/type"); !errors.Is(err, xenstore.ErrPermission) {
		t.Errorf("guest read /libxl: %v", err)
	}
}

func TestXenStoreNamedPools(t *testing.T) {
	spec := DefaultSpec()
	spec.Pools = []PoolSpec{{ID: 0, Name: "main"}, {ID: 2, Scheduler: "credit", CPUs: "node:1"}, {ID: 3, Name: "rt", CPUs: "6-7"}}
	s, err := New(spec)
	must(t, err)
	defer s.Close()
	sum := s.Summary()
	got := fmt.Sprint(sum.Pools)
	if want := "[{0 main credit2 0-5 3} {2 Pool-2 credit 8-15 0} {3 rt credit2 6-7 0}]"; got != want {
		t.Errorf("pools %s, want %s", got, want)
	}
	if n, ok := s.Server().Get("/local/pool/3/uuid"); !ok || len(n.Value) != 36 {
		t.Errorf("named pool has no uuid: %+v", n)
	}
}

func TestCommitFailuresPersist(t *testing.T) {
	p := statePath(t)
	s, err := Open(p)
	must(t, err)
	s.FailNextCommits(3)
	c, _ := s.XenStore()
	tries := 0
	err = c.Transact(ctx(t), func(tx *xenstore.Tx) error {
		tries++
		if tries == 1 {
			return tx.Write(ctx(t), "/local/pool/0/name", []byte("Pool-0"))
		}
		return nil
	})
	must(t, err)
	// Every commit counts, empty or not: attempts 1-3 fail, 4 commits.
	if tries != 4 || s.PendingCommitFailures() != 0 {
		t.Errorf("tries %d, pending %d", tries, s.PendingCommitFailures())
	}
	s.FailNextCommits(2)
	tx, _ := c.Begin(ctx(t))
	if err := tx.Commit(ctx(t)); !errors.Is(err, xenstore.ErrAgain) {
		t.Errorf("commit: %v", err)
	}
	must(t, s.Close())
	s, err = Open(p)
	must(t, err)
	if s.PendingCommitFailures() != 1 {
		t.Errorf("pending after reopen: %d", s.PendingCommitFailures())
	}
	c, _ = s.XenStore()
	tx, _ = c.Begin(ctx(t))
	if err := tx.Commit(ctx(t)); !errors.Is(err, xenstore.ErrAgain) {
		t.Errorf("commit after reopen: %v", err)
	}
	tx, _ = c.Begin(ctx(t))
	must(t, tx.Commit(ctx(t)))
	must(t, s.Close())
}

func TestCorruptStateAndReset(t *testing.T) {
	p := statePath(t)
	must(t, Init(p, LabSpec()))
	data, _ := os.ReadFile(p)
	bad := bytes.Replace(data, []byte("  smt: true"), []byte("  smt: true\n  smtt: 1"), 1)
	must(t, os.WriteFile(p, bad, 0o644))
	_, err := Open(p)
	var se *SpecError
	if !errors.As(err, &se) || se.Line == 0 || !strings.Contains(err.Error(), "smtt") || !strings.Contains(err.Error(), "xgo sim reset") {
		t.Errorf("corrupt state: %v", err)
	}
	inconsistent := bytes.Replace(data, []byte("cpus: 0-3"), []byte("cpus: 1-3"), 1)
	must(t, os.WriteFile(p, inconsistent, 0o644))
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "CPU 0 is not in Pool-0") {
		t.Errorf("inconsistent state: %v", err)
	}
	spec, err := Reset(p)
	must(t, err)
	if spec.CPUs.CoresPerSocket != 4 || spec.CPUs.Sockets != 1 {
		t.Errorf("reset used %+v, want the lab spec of the file", spec.CPUs)
	}
	s, err := Open(p)
	must(t, err)
	if pi, _ := s.Host().Physinfo(); pi.NrCPUs != 4 {
		t.Errorf("after reset: %+v", pi)
	}
	must(t, s.Discard())
	must(t, os.WriteFile(p, []byte("{{{"), 0o644))
	spec, err = Reset(p)
	must(t, err)
	if spec.CPUs.Sockets != 2 {
		t.Error("reset of an unreadable file did not use the default spec")
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if p, _ := DefaultPath(); p != "/x/state/xgo/sim.yaml" {
		t.Errorf("DefaultPath = %s", p)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultPath(); p != "/home/u/.local/state/xgo/sim.yaml" {
		t.Errorf("DefaultPath = %s", p)
	}
}

func TestDiscardKeepsFile(t *testing.T) {
	p := statePath(t)
	must(t, Init(p, nil))
	before, _ := os.ReadFile(p)
	s, err := Open(p)
	must(t, err)
	must(t, s.Host().CpupoolRemoveCPU(0, 9))
	must(t, s.Discard())
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Error("Discard saved")
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close after Discard: %v", err)
	}
}

// worker does rounds of load-move-save: each round opens the host,
// creates a pool, moves one CPU between the pools and the free CPUs, and
// closes.
func worker(path string, rounds int, r *rand.Rand) error {
	for range rounds {
		s, err := Open(path)
		if err != nil {
			return err
		}
		h := s.Host()
		// One new pool per round: lost updates would show as missing
		// pools at the end.
		if _, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit); err != nil {
			return err
		}
		pools, err := hypercall.ListCpupools(h)
		if err != nil {
			return err
		}
		cpu := uint32(1 + r.IntN(15))
		free, _ := h.CpupoolFreeCPUs()
		src := -1
		for _, p := range pools {
			if p.CPUs.Has(int(cpu)) {
				src = int(p.ID)
			}
		}
		dst := pools[r.IntN(len(pools))].ID
		switch {
		case src >= 0:
			err = h.CpupoolRemoveCPU(uint32(src), cpu)
			if errors.Is(err, eBUSY) { // the last CPU of a pool with domains
				err = nil
				break
			}
			if err == nil && r.IntN(4) > 0 {
				err = h.CpupoolAddCPU(dst, cpu)
			}
		case free.Has(int(cpu)):
			err = h.CpupoolAddCPU(dst, cpu)
		}
		if err != nil {
			s.Discard()
			return err
		}
		if err := s.Close(); err != nil {
			return err
		}
	}
	return nil
}

// checkPartition verifies that every CPU is in exactly one pool or free,
// and that no round was lost: each created one pool.
func checkPartition(t *testing.T, path string, rounds int) {
	t.Helper()
	s, err := Open(path)
	must(t, err)
	defer s.Discard()
	h := s.Host()
	pools, _ := hypercall.ListCpupools(h)
	free, _ := h.CpupoolFreeCPUs()
	for cpu := uint32(0); cpu < 16; cpu++ {
		n := 0
		if free.Has(int(cpu)) {
			n++
		}
		for _, p := range pools {
			if p.CPUs.Has(int(cpu)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("cpu %d is in %d places (pools %+v, free %v)", cpu, n, pools, free)
		}
	}
	if len(pools) != 1+rounds {
		t.Errorf("%d pools after %d rounds: updates were lost", len(pools), rounds)
	}
	nd := 0
	for _, p := range pools {
		nd += int(p.NDom)
	}
	if nd != 3 {
		t.Errorf("%d domains counted in pools", nd)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	p := statePath(t)
	must(t, Init(p, nil))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			if err := worker(p, 5, rand.New(rand.NewPCG(uint64(i), 2))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkPartition(t, p, 40)
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 8 processes")
	}
	p := statePath(t)
	must(t, Init(p, nil))
	var cmds []*exec.Cmd
	for range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), workerEnv+"="+p+",5")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		must(t, cmd.Start())
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("worker output: %s", out.String())
			}
		})
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker %d: %v", cmd.Process.Pid, err)
		}
	}
	checkPartition(t, p, 40)
}
