//go:build xenlab

package suite

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/internal/scenario"
	"xgo.dev/xgo/xensim"
)

// TestXenScenarios runs the simulator's conformance scenarios
// (internal/scenario) against the real hypervisor, with a lab domU to move
// between pools, and checks that the simulator's lab spec describes this
// host. A scenario that passes on xensim and fails here is a simulator
// bug. The hypervisor does not depend on the XenStore daemon, so one boot
// is enough: the oxenstored boot skips it.
func TestXenScenarios(t *testing.T) {
	if Daemon() == "oxenstored" {
		t.Skip("the hypervisor is the same in every boot; the xenstored boot runs the scenarios")
	}
	x := hcOpen(t)
	d := StartDomU(t, DomUOptions{})
	t.Run("lab-spec", func(t *testing.T) { checkLabSpec(t, x, uint16(d.ID)) })
	t.Run("lab-spec-cli", compareCLI)
	t.Run("lab-spec-xenstore", func(t *testing.T) { compareDomUStore(t, d.ID) })
	scenario.RunT(t, x, scenario.Env{Name: "xen lab " + Daemon(), DomU: uint16(d.ID)})
}

// checkLabSpec compares what the real host reports with what the simulator
// reports for xensim.LabSpec(), at boot and after the same hotplug: the
// topology (sockets, cores, threads, APIC and ACPI ids, nr_cpu_ids), what
// cputopoinfo says of an offline CPU, physinfo's counts while CPU 0's core
// mates are offline, the schedulers and the domains' sizes. domU is the
// lab domU, domain 1 of the lab spec.
func checkLabSpec(t *testing.T, x *hypercall.Xen, domU uint16) {
	sim, err := xensim.NewHost(xensim.LabSpec())
	if err != nil {
		t.Fatal(err)
	}
	real := domainsAs{x, map[uint16]uint16{1: domU}}
	compareHosts(t, "at boot", real, sim)

	// The highest CPU of Pool-0, offlined on both through the sysctl.
	p0, err := x.CpupoolInfo(0)
	if err != nil {
		t.Fatal(err)
	}
	cpus := cpuIDs(p0.CPUs)
	cpu := cpus[len(cpus)-1]
	if cpu == 0 {
		t.Fatalf("Pool-0 has only cpu 0: %v", p0.CPUs)
	}
	if err := x.CPUHotplug(hypercall.HotplugOffline, cpu); err != nil {
		t.Fatalf("offline cpu %d: %v", cpu, err)
	}
	t.Cleanup(func() {
		if err := x.CPUHotplug(hypercall.HotplugOnline, cpu); err != nil {
			t.Errorf("online cpu %d again: %v", cpu, err)
		}
	})
	if err := sim.CPUHotplug(hypercall.HotplugOffline, cpu); err != nil {
		t.Fatalf("simulator: offline cpu %d: %v", cpu, err)
	}
	compareHosts(t, fmt.Sprintf("with cpu %d offline", cpu), real, sim)
}

// domainsAs is the real hypervisor with the lab domU seen under the domid
// the lab spec gives it.
type domainsAs struct {
	*hypercall.Xen
	domid map[uint16]uint16
}

func (d domainsAs) DomainInfo(domid uint16) (hypercall.DomainInfo, error) {
	asked := domid
	if real, ok := d.domid[domid]; ok {
		domid = real
	}
	i, err := d.Xen.DomainInfo(domid)
	i.Domid = asked
	return i, err
}

// hostView is what compareHosts compares: the fields that depend on the
// hardware and the boot, not on timing (CPU kHz under TCG, free memory).
type hostView struct {
	Version  string
	Cmdline  string
	SchedID  hypercall.Scheduler
	Built    string // BuiltSchedulers (hypfs /buildinfo/config)
	Physinfo string
	Topology []string
	CPUs     []string
	Nodes    int
	Domains  []string
	Build    string   // XENVER compile_info, capabilities, changeset, platform_parameters
	Sharing  string   // XENMEM sharing counts
	PCI      []string // pcitopoinfo: device and the raw node Xen gives
}

func viewOf(hv hypercall.Hypervisor) (hostView, error) {
	var v hostView
	ver, err := hv.XenVersion()
	if err != nil {
		return v, err
	}
	v.Version = ver.String()
	v.Cmdline = ver.CommandLine
	if v.SchedID, err = hv.SchedulerID(); err != nil {
		return v, err
	}
	if b, err := hv.BuiltSchedulers(); err != nil {
		v.Built = "unknown: " + err.Error()
	} else {
		v.Built = fmt.Sprint(b)
	}
	p, err := hv.Physinfo()
	if err != nil {
		return v, err
	}
	v.Physinfo = fmt.Sprintf("threads_per_core=%d cores_per_socket=%d nr_cpus=%d max_cpu_id=%d nr_nodes=%d max_node_id=%d caps=%v",
		p.ThreadsPerCore, p.CoresPerSocket, p.NrCPUs, p.MaxCPUID, p.NrNodes, p.MaxNodeID, p.Capabilities)
	topo, err := hv.CPUTopology()
	if err != nil {
		return v, err
	}
	for _, c := range topo {
		v.Topology = append(v.Topology, fmt.Sprintf("cpu %d: core %s socket %s node %s", c.CPU, id(c.Core), id(c.Socket), id(c.Node)))
	}
	pcpus, err := hypercall.ListPCPUs(hv)
	if err != nil {
		return v, err
	}
	for _, c := range pcpus {
		v.CPUs = append(v.CPUs, fmt.Sprintf("cpu %d: online=%v invalid=%v apic %d acpi %d max_present %d", c.CPU, c.Online, c.Invalid, c.APICID, c.ACPIID, c.MaxPresent))
	}
	nodes, err := hv.NUMAInfo()
	if err != nil {
		return v, err
	}
	v.Nodes = len(nodes)
	b, err := hv.XenBuildInfo()
	if err != nil {
		return v, err
	}
	v.Build = fmt.Sprintf("caps=%q changeset=%q virt_start=%#x cc=%q by=%q domain=%q date=%q", b.Capabilities, b.Changeset, b.VirtStart, b.Compiler, b.CompileBy, b.CompileDomain, b.CompileDate)
	ms, err := hv.MemSharing()
	if err != nil {
		return v, err
	}
	v.Sharing = fmt.Sprintf("%+v", ms)
	pci, err := hv.PCITopology()
	if err != nil {
		return v, err
	}
	for _, d := range pci {
		v.PCI = append(v.PCI, fmt.Sprintf("%s node %#x", d.Device, d.Node))
	}
	for _, domid := range []uint16{0, 1} {
		d, err := hv.DomainInfo(domid)
		if err != nil {
			return v, err
		}
		// Memory in MiB: dom0_mem and the domU's memory= are exact
		// there, give or take a few pages Xen keeps.
		v.Domains = append(v.Domains, fmt.Sprintf("domain %d: hvm=%v vcpus %d max_vcpu_id %d pool %d memory %d MiB max %d MiB gpaddr_bits %d",
			domid, d.HVM(), d.OnlineVCPUs, d.MaxVCPUID, d.Cpupool, (d.TotPages*hypercall.PageSize+512<<10)>>20, (d.MaxPages*hypercall.PageSize+512<<10)>>20, d.GPAddrBits))
	}
	return v, nil
}

func id(v uint32) string {
	if v == hypercall.InvalidID {
		return "-"
	}
	return fmt.Sprint(v)
}

// compareHosts reports every difference between the real host and the
// simulated one.
func compareHosts(t *testing.T, when string, real, sim hypercall.Hypervisor) {
	t.Helper()
	r, err := viewOf(real)
	if err != nil {
		t.Fatalf("%s: reading Xen: %v", when, err)
	}
	s, err := viewOf(sim)
	if err != nil {
		t.Fatalf("%s: reading the simulator: %v", when, err)
	}
	t.Logf("%s: Xen: %s; %s; %s; %s", when, r.Physinfo, strings.Join(r.Topology, "; "), r.Build, strings.Join(r.PCI, "; "))
	diff := func(what string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: %s: Xen says\n\t%v\nthe lab spec says\n\t%v", when, what, a, b)
		}
	}
	diff("version", r.Version, s.Version)
	diff("command line", r.Cmdline, s.Cmdline)
	diff("sched_id", r.SchedID, s.SchedID)
	diff("built schedulers", r.Built, s.Built)
	diff("physinfo", r.Physinfo, s.Physinfo)
	diff("cputopoinfo", strings.Join(r.Topology, "\n\t"), strings.Join(s.Topology, "\n\t"))
	diff("get_cpuinfo", strings.Join(r.CPUs, "\n\t"), strings.Join(s.CPUs, "\n\t"))
	diff("NUMA nodes", r.Nodes, s.Nodes)
	diff("domains", r.Domains, s.Domains)
	diff("xen_version build info", r.Build, s.Build)
	diff("memory sharing", r.Sharing, s.Sharing)
	diff("pcitopoinfo", strings.Join(r.PCI, "\n\t"), strings.Join(s.PCI, "\n\t"))
}

// compareCLI runs read-only xgo commands on this host and on a simulated
// host booted from the lab spec (xgo sim init --lab): their output must be
// the same, but for xgo info's dom0 kernel lines (the simulated host has
// no kernel), its CPU clock (calibrated against the host's), free memory
// (within a few MiB) and build id (it changes with Debian's package,
// which xen_extra already shows).
func compareCLI(t *testing.T) {
	XgoPath(t)
	sim := "--sim=" + filepath.Join(t.TempDir(), "lab.yaml")
	if r := Xgo(t, sim, "sim", "init", "--lab"); r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	for _, args := range [][]string{{"pcpu-list"}, {"topology"}, {"cpupool-list"}, {"cpupool-list", "-c"}, {"info"}} {
		real, simulated := Xgo(t, args...), Xgo(t, append([]string{sim}, args...)...)
		if real.ExitCode != 0 || simulated.ExitCode != 0 {
			t.Errorf("xgo %s: on Xen\n%s\nsimulated\n%s", strings.Join(args, " "), real, simulated)
			continue
		}
		a, b := real.Stdout, simulated.Stdout
		if args[0] == "info" {
			a, b = infoKeys(t, a), infoKeys(t, b)
		}
		if a != b {
			t.Errorf("xgo %s differs:\non Xen:\n%s\nsimulated (lab spec):\n%s", strings.Join(args, " "), a, b)
		}
	}
}

// infoVaries are the xgo info keys compareCLI does not compare exactly.
var infoVaries = map[string]bool{"host": true, "release": true, "version": true, "machine": true,
	"cpu_mhz": true, "free_memory": true, "build_id": true}

// infoKeys drops the varying keys from xgo info's text, logging them;
// free_memory is rounded to 8 MiB.
func infoKeys(t *testing.T, text string) string {
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		k, v, _ := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if infoVaries[k] {
			t.Logf("xgo info: %s", line)
			if n, err := strconv.Atoi(v); err == nil && k == "free_memory" {
				keep = append(keep, fmt.Sprintf("free_memory ≈ %d MiB", (n+4)/8*8))
			}
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// compareDomUStore compares the XenStore nodes xl create left for the lab
// domU (its home, its /libxl and /vm entries, its console backend) with
// those the simulator writes for the lab spec's domain 1: the same paths
// with the same permissions and, but for what names this domain instance
// (domid, uuid, name, ports, rings, pty, start time, kernel paths), the
// same values. The lab domU's init writes data/xgo-state for the lab's
// own use; it is not compared.
func compareDomUStore(t *testing.T, domid int) {
	XgoPath(t)
	sim := "--sim=" + filepath.Join(t.TempDir(), "lab.yaml")
	if r := Xgo(t, sim, "sim", "init", "--lab"); r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	tree := func(domid string, extra ...string) []string {
		vm := strings.TrimSpace(Xgo(t, append(extra, "xenstore", "read", "/local/domain/"+domid+"/vm")...).Stdout)
		var lines []string
		for _, root := range []string{"/local/domain/" + domid, "/libxl/" + domid, vm, "/local/domain/0/backend/console/" + domid} {
			r := Xgo(t, append(extra, "xenstore", "ls", "-f", "-p", root)...)
			if r.ExitCode != 0 {
				t.Fatalf("%s", r)
			}
			for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
				if n := normaliseNode(l, domid, vm); !strings.HasPrefix(n, "/local/domain/D/data/xgo-") {
					lines = append(lines, n)
				}
			}
		}
		return lines
	}
	real, simulated := tree(fmt.Sprint(domid)), tree("1", sim)
	t.Logf("xl create wrote %d nodes for the domU, the simulator %d", len(real), len(simulated))
	inSim := map[string]bool{}
	for _, l := range simulated {
		inSim[l] = true
	}
	inReal := map[string]bool{}
	for _, l := range real {
		inReal[l] = true
		if !inSim[l] {
			t.Errorf("only on Xen:   %s", l)
		}
	}
	for _, l := range simulated {
		if !inReal[l] {
			t.Errorf("only simulated: %s", l)
		}
	}
}

// instanceKeys are the nodes whose values name this domain instance.
var instanceKeys = map[string]bool{"vm": true, "name": true, "uuid": true, "domid": true, "store/port": true,
	"store/ring-ref": true, "start_time": true, "image/kernel": true, "image/ramdisk": true, "image/cmdline": true,
	"console/port": true, "console/ring-ref": true, "console/tty": true}

// normaliseNode rewrites one line of xenstore ls -f -p: the domain's id and
// vm path become D and /vm/U in paths, values and permissions, and
// instance values are dropped.
func normaliseNode(line, domid, vm string) string {
	path, rest, _ := strings.Cut(line, " = ")
	value, perms, _ := strings.Cut(rest, "   (")
	ids := strings.NewReplacer("/local/domain/"+domid+"/", "/local/domain/D/", "/libxl/"+domid+"/", "/libxl/D/",
		"/backend/console/"+domid+"/", "/backend/console/D/")
	path = ids.Replace(path + "/")
	path = strings.TrimSuffix(path, "/")
	value = ids.Replace(value)
	if value == `"`+domid+`"` && strings.HasSuffix(path, "/frontend-id") {
		value = `"D"`
	}
	if vm != "" {
		path = strings.Replace(path, vm, "/vm/U", 1)
	}
	rel := path
	for _, p := range []string{"/local/domain/D/", "/vm/U/"} {
		rel = strings.TrimPrefix(rel, p)
	}
	if instanceKeys[rel] {
		value = "…"
	}
	perms = strings.TrimSuffix(perms, ")")
	var ps []string
	for _, p := range strings.Split(perms, ",") {
		if p[1:] == domid {
			p = p[:1] + "D"
		}
		ps = append(ps, p)
	}
	return path + " = " + value + " (" + strings.Join(ps, ",") + ")"
}
