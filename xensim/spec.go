package xensim

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/yamlerr"
)

// Spec describes a simulated host: its hardware, its Xen build and what ran
// at boot. docs/sim.md documents the YAML form; DefaultSpec and LabSpec are
// the two built-in ones.
type Spec struct {
	Xen        XenSpec      `yaml:"xen" json:"xen"`
	CPUs       CPUSpec      `yaml:"cpus" json:"cpus"`
	Memory     MemorySpec   `yaml:"memory" json:"memory"`
	Schedulers SchedSpec    `yaml:"schedulers" json:"schedulers"`
	Pools      []PoolSpec   `yaml:"pools,omitempty" json:"pools,omitempty"`
	Domains    []DomainSpec `yaml:"domains" json:"domains"`
	// PCI lists the host's PCI devices as dom0 sees them, in the order
	// dom0's sysfs lists them (xl info -n's device topology).
	PCI []PCISpec `yaml:"pci,omitempty" json:"pci,omitempty"`
}

// PCISpec is one PCI device and the node XEN_SYSCTL_pcitopoinfo reports
// for it.
type PCISpec struct {
	// Device is "SSSS:BB:DD.F" in hex, as Linux names it.
	Device string `yaml:"device" json:"device"`
	// Node is the device's NUMA node; unset, Xen knows the device but
	// not its node (dom0 reported no proximity for it).
	Node *uint32 `yaml:"node,omitempty" json:"node,omitempty"`
	// UnknownToXen: Xen does not know the device (XEN_INVALID_DEV).
	UnknownToXen bool `yaml:"unknownToXen,omitempty" json:"unknownToXen,omitempty"`
}

// XenSpec is the hypervisor build and its boot options.
type XenSpec struct {
	// Version is "major.minor", e.g. "4.17".
	Version string `yaml:"version" json:"version"`
	// Extraversion is XENVER_extraversion, e.g. ".5" (at most 15 bytes).
	Extraversion string `yaml:"extraversion" json:"extraversion"`
	CommandLine  string `yaml:"commandLine,omitempty" json:"commandLine,omitempty"`
	// BuildID is hex; empty means a build without one.
	BuildID string `yaml:"buildID,omitempty" json:"buildID,omitempty"`
	// Capabilities are xl's virt_caps words: pv hvm hvm_directio
	// pv_directio hap shadow iommu_hap_pt_share vmtrace vpmu gnttab-v1
	// gnttab-v2 (directio for both *_directio).
	Capabilities []string `yaml:"capabilities,omitempty" json:"capabilities,omitempty"`
	CPUKHz       uint32   `yaml:"cpuKHz,omitempty" json:"cpuKHz,omitempty"`
	// GPAddrBits is hap_paddr_bits, the guest physical address width
	// getdomaininfo reports for every domain. Default 48.
	GPAddrBits uint8 `yaml:"gpaddrBits,omitempty" json:"gpaddrBits,omitempty"`
	// HWCaps are the CPU's x86_capability words as xl info prints
	// hw_caps: eight 32-bit hex words joined by ':'. Default: those of a
	// common Intel server CPU.
	HWCaps string `yaml:"hwCaps,omitempty" json:"hwCaps,omitempty"`
	// SMT is the smt= boot option; false parks every secondary thread
	// offline and onlining one fails with EPERM. Default true.
	SMT *bool `yaml:"smt,omitempty" json:"smt,omitempty"`
	// ParkOfflineCPUs: Xen keeps an offline CPU's core and socket ids
	// (park_offline_cpus, set on Intel with MCE); false (AMD) reports them
	// as invalid in cputopoinfo once the CPU went offline. Default true.
	ParkOfflineCPUs *bool `yaml:"parkOfflineCPUs,omitempty" json:"parkOfflineCPUs,omitempty"`

	// XenCaps is XENVER_capabilities (xl info xen_caps): the guest ABIs,
	// each followed by a space, as Xen writes them. Default: what x86_64
	// Xen without 32-bit PV reports for Capabilities: "xen-3.0-x86_64 "
	// with pv, then "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 " with
	// hvm (xen/arch/x86/setup.c arch_get_xen_caps).
	XenCaps *string `yaml:"xenCaps,omitempty" json:"xenCaps,omitempty"`
	// Changeset is XENVER_changeset; release tarball builds have none.
	Changeset string `yaml:"changeset,omitempty" json:"changeset,omitempty"`
	// VirtStart is XENVER_platform_parameters' virt_start. Default
	// 0xffff800000000000, x86_64's HYPERVISOR_VIRT_START.
	VirtStart uint64 `yaml:"virtStart,omitempty" json:"virtStart,omitempty"`
	// Compile is XENVER_compile_info.
	Compile CompileSpec `yaml:"compile,omitempty" json:"compile,omitempty"`
	// SharingFreedPages and SharingSharedPages are what
	// XENMEM_get_sharing_freed_pages and _shared_pages answer: 0 unless
	// guests share memory (a build with CONFIG_MEM_SHARING). Default 0.
	SharingFreedPages  uint64 `yaml:"sharingFreedPages,omitempty" json:"sharingFreedPages,omitempty"`
	SharingSharedPages uint64 `yaml:"sharingSharedPages,omitempty" json:"sharingSharedPages,omitempty"`
}

// CompileSpec is the build's struct xen_compile_info (xl info cc_*).
type CompileSpec struct {
	Compiler string `yaml:"compiler,omitempty" json:"compiler,omitempty"` // at most 63 bytes
	By       string `yaml:"by,omitempty" json:"by,omitempty"`             // at most 15 bytes
	Domain   string `yaml:"domain,omitempty" json:"domain,omitempty"`     // at most 31 bytes
	Date     string `yaml:"date,omitempty" json:"date,omitempty"`         // at most 31 bytes
}

// CPUSpec generates the physical CPUs: CPU ids are given to sockets, then
// cores, then threads in order (CPU 0 and 1 are the two threads of socket
// 0's first core when ThreadsPerCore is 2).
type CPUSpec struct {
	Sockets        int `yaml:"sockets" json:"sockets"`
	CoresPerSocket int `yaml:"coresPerSocket" json:"coresPerSocket"`
	ThreadsPerCore int `yaml:"threadsPerCore" json:"threadsPerCore"`
	// Nodes is the number of NUMA nodes; sockets are spread evenly over
	// them. Default 1.
	Nodes int `yaml:"nodes,omitempty" json:"nodes,omitempty"`
	// MaxCPUID is nr_cpu_ids-1: CPU ids up to it exist in Xen's maps even
	// when no CPU is present there. Default: the last generated CPU.
	MaxCPUID *uint32 `yaml:"maxCPUID,omitempty" json:"maxCPUID,omitempty"`
	// Absent lists CPU ids (cpu-list syntax) whose CPU is not present.
	Absent string `yaml:"absent,omitempty" json:"absent,omitempty"`
	// Offline lists present CPUs that are offline at boot.
	Offline string `yaml:"offline,omitempty" json:"offline,omitempty"`
	// APICIDsPerSocket spaces the x86 APIC ids of sockets (socket s starts
	// at s*APICIDsPerSocket); default: the smallest power of two that
	// holds a socket's threads. APIC ids are core<<threadBits|thread
	// within a socket.
	APICIDsPerSocket uint32 `yaml:"apicIDsPerSocket,omitempty" json:"apicIDsPerSocket,omitempty"`
	// APICIDs and ACPIIDs, when given, list the ids of the generated CPUs
	// in CPU order. ACPI ids default to the CPU index.
	APICIDs []uint32 `yaml:"apicIDs,omitempty" json:"apicIDs,omitempty"`
	ACPIIDs []uint32 `yaml:"acpiIDs,omitempty" json:"acpiIDs,omitempty"`
}

// MemorySpec is the host's RAM.
type MemorySpec struct {
	// NodeMiB is the memory of each NUMA node.
	NodeMiB []uint64 `yaml:"nodeMiB" json:"nodeMiB"`
	// HypervisorMiB is what Xen itself uses (not free, not a domain's).
	HypervisorMiB uint64 `yaml:"hypervisorMiB,omitempty" json:"hypervisorMiB,omitempty"`
	// Distances is the node distance matrix (row i, column j); default 10
	// on the diagonal and 20 elsewhere.
	Distances [][]uint32 `yaml:"distances,omitempty" json:"distances,omitempty"`
}

// SchedSpec lists the schedulers compiled into the hypervisor.
type SchedSpec struct {
	Built SchedNames `yaml:"built" json:"built"`
	// Default is the sched= boot scheduler, Pool-0's.
	Default string `yaml:"default" json:"default"`
}

// PoolSpec is a cpupool that exists at boot besides Pool-0, or (ID 0)
// settings of Pool-0.
type PoolSpec struct {
	ID uint32 `yaml:"id" json:"id"`
	// Name is the name in XenStore; default Pool-<id> as xen-init-dom0
	// writes it. A pool with a Name gets the nodes `xl cpupool-create`
	// writes (name and uuid).
	Name      string `yaml:"name,omitempty" json:"name,omitempty"`
	Scheduler string `yaml:"scheduler,omitempty" json:"scheduler,omitempty"`
	// CPUs is a cpu-list (node:N allowed); the CPUs leave Pool-0.
	CPUs   string      `yaml:"cpus,omitempty" json:"cpus,omitempty"`
	Params *PoolParams `yaml:"params,omitempty" json:"params,omitempty"`
}

// PoolParams are a pool's scheduler parameters; unset fields keep Xen's
// defaults.
type PoolParams struct {
	TsliceMS         *uint32 `yaml:"tsliceMS,omitempty" json:"tsliceMS,omitempty"`
	RatelimitUS      *uint32 `yaml:"ratelimitUS,omitempty" json:"ratelimitUS,omitempty"`
	MigrationDelayUS *uint32 `yaml:"migrationDelayUS,omitempty" json:"migrationDelayUS,omitempty"`
}

// DomainSpec is a domain running at boot. Domain 0 must be listed.
type DomainSpec struct {
	Name  string `yaml:"name" json:"name"`
	Domid uint16 `yaml:"domid" json:"domid"`
	// Type is pv (default), pvh or hvm.
	Type         string `yaml:"type,omitempty" json:"type,omitempty"`
	VCPUs        uint32 `yaml:"vcpus" json:"vcpus"`
	MemoryMiB    uint64 `yaml:"memoryMiB" json:"memoryMiB"`
	MaxMemoryMiB uint64 `yaml:"maxMemoryMiB,omitempty" json:"maxMemoryMiB,omitempty"`
	Pool         uint32 `yaml:"pool,omitempty" json:"pool,omitempty"`
	// UUID defaults to one derived from the name (all zero for dom0).
	UUID   string  `yaml:"uuid,omitempty" json:"uuid,omitempty"`
	Weight *uint16 `yaml:"weight,omitempty" json:"weight,omitempty"`
	Cap    *uint16 `yaml:"cap,omitempty" json:"cap,omitempty"`
	// CPUTimeSec is the domain's CPU time as getdomaininfo reports it.
	CPUTimeSec float64 `yaml:"cpuTimeSec,omitempty" json:"cpuTimeSec,omitempty"`
}

//go:embed specs/default.yaml
var defaultSpecYAML []byte

//go:embed specs/lab.yaml
var labSpecYAML []byte

// DefaultSpecYAML returns the text of the built-in default spec.
func DefaultSpecYAML() []byte { return bytes.Clone(defaultSpecYAML) }

// DefaultSpec returns the default host: 2 sockets × 4 cores × 2 threads
// on 2 NUMA nodes, credit and credit2 built (credit2 default), Domain-0
// and two PV guests in Pool-0.
func DefaultSpec() *Spec { return mustParse(defaultSpecYAML, "default.yaml") }

// LabSpec returns the host of the real-Xen lab (vmtest) as seen by the
// simulator: QEMU 7.2 `-smp 4` (1 socket × 4 cores), Debian's Xen 4.17
// with credit and credit2, dom0 with 2 vCPUs and one PV domU.
func LabSpec() *Spec { return mustParse(labSpecYAML, "lab.yaml") }

func mustParse(b []byte, name string) *Spec {
	s, err := ParseSpec(b, name)
	if err != nil {
		panic(err)
	}
	return s
}

// SpecError is an error in a spec, with the line it is on when known.
type SpecError struct {
	File string // name given to ParseSpec
	Line int    // 0 when unknown
	Path string // e.g. domains[2].pool
	Msg  string
}

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadSpec reads and parses a spec file.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSpec(b, path)
}

// ParseSpec decodes a spec strictly (unknown fields are errors) and
// validates it. Errors are *SpecError values naming file and line.
func ParseSpec(data []byte, name string) (*Spec, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &SpecError{File: name, Msg: "empty spec"}
		}
		return nil, yamlError(name, data, err)
	}
	var s Spec
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, yamlError(name, data, err)
	}
	if _, err := s.expand(); err != nil {
		var se *SpecError
		if errors.As(err, &se) {
			se.File = name
			se.Line = lineOf(&root, se.Path)
		}
		return nil, err
	}
	return &s, nil
}

// yamlError turns a yaml.v3 error ("yaml: line 3: ..." or a TypeError
// listing "line N: ..." entries) into a *SpecError.
func yamlError(name string, data []byte, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		line, msg := splitLine(te.Errors[0])
		if len(te.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(te.Errors)-1)
		}
		return &SpecError{File: name, Line: line, Msg: msg}
	}
	line, _, msg := yamlerr.At(data, err)
	return &SpecError{File: name, Line: line, Msg: msg}
}

func splitLine(s string) (int, string) {
	if rest, ok := strings.CutPrefix(s, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return 0, s
}

// lineOf finds the line of a path such as "domains[2].pool" in a decoded
// document, falling back to the closest ancestor found.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range splitPath(path) {
		var next *yaml.Node
		switch {
		case n.Kind == yaml.MappingNode && !part.isIndex:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part.key {
					next = n.Content[i+1]
					line = n.Content[i].Line
				}
			}
		case n.Kind == yaml.SequenceNode && part.isIndex && part.index < len(n.Content):
			next = n.Content[part.index]
			line = next.Line
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

type pathPart struct {
	key     string
	index   int
	isIndex bool
}

func splitPath(p string) []pathPart {
	var out []pathPart
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			continue
		}
		key, rest, _ := strings.Cut(seg, "[")
		if key != "" {
			out = append(out, pathPart{key: key})
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if n, err := strconv.Atoi(idx); err == nil {
				out = append(out, pathPart{index: n, isIndex: true})
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

// MarshalYAML-friendly copy: Clone returns a deep copy of s.
func (s *Spec) Clone() *Spec {
	b, err := yaml.Marshal(s)
	if err != nil {
		panic(err)
	}
	var c Spec
	if err := yaml.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// Validate checks s as ParseSpec does (without line numbers).
func (s *Spec) Validate() error {
	_, err := s.expand()
	return err
}

// hardware is a validated, expanded spec: what NewHost builds from.
type hardware struct {
	major, minor    int
	extra, cmdline  string
	cpuKHz          uint32
	hwCap           [8]uint32
	gpaddrBits      uint8
	hypervisorBytes uint64
	nrCPUIDs        uint32
	cpus            []hwCPU // index = CPU id, len nrCPUIDs
	nodes           []hwNode
	threadsPerCore  uint32
	caps            hypercall.PhysCaps
	buildID         []byte
	build           hypercall.XenBuildInfo
	sharing         hypercall.MemSharing
	pci             []hypercall.PCITopology
	smt             bool
	park            bool
	built           []hypercall.Scheduler
	defaultSched    hypercall.Scheduler
	pools           []hwPool
	domains         []hwDomain
}

type hwCPU struct {
	present                    bool
	online                     bool // at boot
	socket, core, thread, node uint32
	apicID, acpiID             uint32
	coreKey                    uint64 // socket<<32 | core
}

type hwNode struct {
	memBytes  uint64
	distances []uint32
}

type hwPool struct {
	id     uint32
	name   string
	sched  hypercall.Scheduler
	cpus   cpuset.Set
	params *PoolParams
}

type hwDomain struct {
	DomainSpec
	hvm   bool
	uuid  [16]byte
	memKB uint64
	maxKB uint64
	typ   string
}

func errAt(path, format string, args ...any) error {
	return &SpecError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// maxNrCPUs bounds the simulated CPU ids: Xen's largest NR_CPUS.
const maxNrCPUs = 4096

// capNames maps xl's virt_caps words to physinfo bits.
var capNames = map[string]hypercall.PhysCaps{
	"pv":                 hypercall.PhysCapPV,
	"hvm":                hypercall.PhysCapHVM,
	"directio":           hypercall.PhysCapDirectIO,
	"hvm_directio":       hypercall.PhysCapDirectIO,
	"pv_directio":        hypercall.PhysCapDirectIO,
	"hap":                hypercall.PhysCapHAP,
	"shadow":             hypercall.PhysCapShadow,
	"iommu_hap_pt_share": hypercall.PhysCapIOMMUHAPPTShare,
	"vmtrace":            hypercall.PhysCapVMTrace,
	"vpmu":               hypercall.PhysCapVPMU,
	"gnttab-v1":          hypercall.PhysCapGnttabV1,
	"gnttab-v2":          hypercall.PhysCapGnttabV2,
}

// specTopo lets cpuset.Parse expand node: items and "all" in a spec.
type specTopo struct {
	n     int
	nodes []cpuset.Set
}

func (t specTopo) NumCPUs() int  { return t.n }
func (t specTopo) NumNodes() int { return len(t.nodes) }
func (t specTopo) NodeCPUs(n int) (cpuset.Set, bool) {
	if n < 0 || n >= len(t.nodes) {
		return cpuset.Set{}, false
	}
	return t.nodes[n], true
}

// expandBuild fills the XENVER build strings and the sharing counts;
// caps must be set.
func (s *Spec) expandBuild(hw *hardware) error {
	x := s.Xen
	b := hypercall.XenBuildInfo{
		Changeset: x.Changeset, VirtStart: x.VirtStart,
		Compiler: x.Compile.Compiler, CompileBy: x.Compile.By,
		CompileDomain: x.Compile.Domain, CompileDate: x.Compile.Date,
	}
	if x.XenCaps != nil {
		b.Capabilities = *x.XenCaps
	} else {
		if hw.caps&hypercall.PhysCapPV != 0 {
			b.Capabilities += "xen-3.0-x86_64 "
		}
		if hw.caps&hypercall.PhysCapHVM != 0 {
			b.Capabilities += "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 "
		}
	}
	if b.VirtStart == 0 {
		b.VirtStart = 0xffff800000000000
	}
	for _, f := range []struct {
		path, v string
		max     int
	}{
		{"xen.xenCaps", b.Capabilities, 1023}, {"xen.changeset", b.Changeset, 63},
		{"xen.compile.compiler", b.Compiler, 63}, {"xen.compile.by", b.CompileBy, 15},
		{"xen.compile.domain", b.CompileDomain, 31}, {"xen.compile.date", b.CompileDate, 31},
	} {
		if len(f.v) > f.max || strings.IndexByte(f.v, 0) >= 0 {
			return errAt(f.path, "at most %d bytes, no NUL", f.max)
		}
	}
	hw.build = b
	hw.sharing = hypercall.MemSharing{FreedPages: x.SharingFreedPages, SharedPages: x.SharingSharedPages}
	return nil
}

// expandPCI fills the PCI devices; the nodes must be known.
func (s *Spec) expandPCI(hw *hardware) error {
	seen := map[hypercall.PCIDevice]bool{}
	for i, p := range s.PCI {
		path := fmt.Sprintf("pci[%d]", i)
		d, err := hypercall.ParsePCIDevice(p.Device)
		if err != nil || d.String() != p.Device {
			return errAt(path+".device", "want SSSS:BB:DD.F in lower-case hex, such as 0000:00:1f.3, have %q", p.Device)
		}
		if seen[d] {
			return errAt(path+".device", "%s is listed twice", p.Device)
		}
		seen[d] = true
		node := hypercall.InvalidID
		switch {
		case p.UnknownToXen && p.Node != nil:
			return errAt(path, "a device unknown to Xen has no node")
		case p.UnknownToXen:
			node = hypercall.InvalidDev
		case p.Node != nil:
			if int(*p.Node) >= len(hw.nodes) {
				return errAt(path+".node", "node %d does not exist", *p.Node)
			}
			node = *p.Node
		}
		hw.pci = append(hw.pci, hypercall.PCITopology{Device: d, Node: node})
	}
	return nil
}

// expandMemory checks the RAM of the nodes NUMA nodes and their
// distances, and returns the host's total MiB.
func (s *Spec) expandMemory(hw *hardware, nodes int) (uint64, error) {
	if len(s.Memory.NodeMiB) != nodes {
		return 0, errAt("memory.nodeMiB", "%d entries for %d NUMA nodes", len(s.Memory.NodeMiB), nodes)
	}
	var totalMiB uint64
	for i, m := range s.Memory.NodeMiB {
		if m == 0 {
			return 0, errAt(fmt.Sprintf("memory.nodeMiB[%d]", i), "a node needs memory")
		}
		totalMiB += m
	}
	if d := s.Memory.Distances; d != nil {
		if len(d) != nodes {
			return 0, errAt("memory.distances", "%d rows for %d nodes", len(d), nodes)
		}
		for i, row := range d {
			if len(row) != nodes {
				return 0, errAt(fmt.Sprintf("memory.distances[%d]", i), "%d columns for %d nodes", len(row), nodes)
			}
		}
	}
	hw.hypervisorBytes = s.Memory.HypervisorMiB << 20
	hw.nodes = make([]hwNode, nodes)
	for i := range hw.nodes {
		hw.nodes[i].memBytes = s.Memory.NodeMiB[i] << 20
		hw.nodes[i].distances = make([]uint32, nodes)
		for j := range nodes {
			switch {
			case s.Memory.Distances != nil:
				hw.nodes[i].distances[j] = s.Memory.Distances[i][j]
			case i == j:
				hw.nodes[i].distances[j] = 10
			default:
				hw.nodes[i].distances[j] = 20
			}
		}
	}
	return totalMiB, nil
}

// expandDomains checks the domains running at boot and puts them in
// their pools; totalMiB is the host's RAM.
func (s *Spec) expandDomains(hw *hardware, totalMiB uint64) error {
	poolByID := map[uint32]*hwPool{}
	for i := range hw.pools {
		poolByID[hw.pools[i].id] = &hw.pools[i]
	}

	seenDom := map[uint16]bool{}
	seenName := map[string]bool{}
	var usedKB uint64
	for i, d := range s.Domains {
		path := fmt.Sprintf("domains[%d]", i)
		if seenDom[d.Domid] {
			return errAt(path+".domid", "domain %d listed twice", d.Domid)
		}
		seenDom[d.Domid] = true
		if d.Domid >= domidFirstReserved {
			return errAt(path+".domid", "domids go up to %d", domidFirstReserved-1)
		}
		if d.Name == "" {
			return errAt(path+".name", "a domain needs a name")
		}
		if seenName[d.Name] {
			return errAt(path+".name", "name %q used twice", d.Name)
		}
		seenName[d.Name] = true
		if d.Domid == 0 && d.Name != "Domain-0" {
			return errAt(path+".name", "domain 0 is named Domain-0 (xen-init-dom0 writes that name)")
		}
		if d.VCPUs < 1 || d.VCPUs > 4096 {
			return errAt(path+".vcpus", "want 1 to 4096 vCPUs")
		}
		if d.MemoryMiB == 0 {
			return errAt(path+".memoryMiB", "a domain needs memory")
		}
		if d.MaxMemoryMiB != 0 && d.MaxMemoryMiB < d.MemoryMiB {
			return errAt(path+".maxMemoryMiB", "smaller than memoryMiB")
		}
		hd := hwDomain{DomainSpec: d, typ: d.Type, memKB: d.MemoryMiB << 10, maxKB: max(d.MaxMemoryMiB, d.MemoryMiB) << 10}
		switch d.Type {
		case "", "pv":
			hd.typ = "pv"
		case "hvm", "pvh":
			hd.hvm = true
		default:
			return errAt(path+".type", "want pv, pvh or hvm, have %q", d.Type)
		}
		// cpupool_add_domain: -ESRCH for an unknown pool, -ENODEV for a
		// pool without CPUs.
		p := poolByID[d.Pool]
		if p == nil {
			return errAt(path+".pool", "no pool %d (domain creation would fail with ESRCH)", d.Pool)
		}
		if p.cpus.IsEmpty() {
			return errAt(path+".pool", "pool %d has no CPUs (domain creation would fail with ENODEV)", d.Pool)
		}
		if d.Domid == 0 && d.Pool != 0 {
			return errAt(path+".pool", "Domain-0 lives in Pool-0")
		}
		if d.UUID != "" {
			u, err := parseUUID(d.UUID)
			if err != nil {
				return errAt(path+".uuid", "%v", err)
			}
			hd.uuid = u
		} else if d.Domid != 0 {
			hd.uuid = derivedUUID("xgo-sim-domain:" + d.Name)
		}
		if d.Cap != nil && p.sched == hypercall.SchedCredit2 && uint32(*d.Cap) > 100*d.VCPUs {
			return errAt(path+".cap", "credit2 caps at 100 × vCPUs = %d", 100*d.VCPUs)
		}
		if d.Weight != nil && *d.Weight == 0 {
			return errAt(path+".weight", "weight 0 means \"unchanged\" to Xen; give 1 to 65535")
		}
		usedKB += hd.maxKB
		hw.domains = append(hw.domains, hd)
	}
	if !seenDom[0] {
		return errAt("domains", "Domain-0 (domid 0) must be listed")
	}
	if usedKB>>10+s.Memory.HypervisorMiB > totalMiB {
		return errAt("domains", "domains and hypervisor need %d MiB, the host has %d MiB", usedKB>>10+s.Memory.HypervisorMiB, totalMiB)
	}
	return nil
}

// expandPools checks the boot pools and gives Pool-0 the online CPUs no
// other pool takes; parseList parses a spec CPU list.
func (s *Spec) expandPools(hw *hardware, parseList func(path, list string) (cpuset.Set, error)) error {
	def := hw.defaultSched
	online := cpuset.Set{}
	for id, cp := range hw.cpus {
		if cp.online {
			online = online.Add(id)
		}
	}
	taken := cpuset.Set{}
	pool0 := hwPool{id: 0, name: "Pool-0", sched: def}
	seenPool := map[uint32]bool{}
	for i, p := range s.Pools {
		path := fmt.Sprintf("pools[%d]", i)
		if seenPool[p.ID] {
			return errAt(path+".id", "pool %d listed twice", p.ID)
		}
		seenPool[p.ID] = true
		if p.ID >= poolAny {
			return errAt(path+".id", "pool ids go up to %d", uint32(poolAny-1))
		}
		sched := def
		if p.Scheduler != "" {
			var err error
			sched, err = hypercall.ParseScheduler(p.Scheduler)
			if err != nil {
				return errAt(path+".scheduler", "%v", err)
			}
			if !hw.isBuilt(sched) {
				return errAt(path+".scheduler", "%s is not built", sched)
			}
		}
		if p.ID == 0 {
			if p.Scheduler != "" && sched != def {
				return errAt(path+".scheduler", "Pool-0 has the default scheduler %s", def)
			}
			if p.CPUs != "" {
				return errAt(path+".cpus", "Pool-0 gets every online CPU no other pool takes")
			}
			if p.Name != "" {
				pool0.name = p.Name
			}
			pool0.params = p.Params
			continue
		}
		set, err := parseList(path+".cpus", p.CPUs)
		if err != nil {
			return err
		}
		if set.Has(0) {
			return errAt(path+".cpus", "CPU 0 never leaves Pool-0")
		}
		if !set.SubsetOf(online) {
			return errAt(path+".cpus", "CPUs %s are not online", set.Diff(online))
		}
		if both := set.Intersect(taken); !both.IsEmpty() {
			return errAt(path+".cpus", "CPUs %s are in another pool", both)
		}
		taken = taken.Union(set)
		name := p.Name
		if name == "" {
			name = "Pool-" + strconv.FormatUint(uint64(p.ID), 10)
		}
		hw.pools = append(hw.pools, hwPool{id: p.ID, name: name, sched: sched, cpus: set, params: p.Params})
	}
	if len(s.Pools)+1 > 2*int(hw.nrCPUIDs) {
		return errAt("pools", "at most %d pools (2 × nr_cpu_ids)", 2*hw.nrCPUIDs)
	}
	pool0.cpus = online.Diff(taken)
	hw.pools = append([]hwPool{pool0}, hw.pools...)
	for i, p := range hw.pools {
		if err := checkPoolParams(p); err != nil {
			path := "pools"
			for j, sp := range s.Pools {
				if sp.ID == p.id {
					path = fmt.Sprintf("pools[%d].params", j)
				}
			}
			_ = i
			return errAt(path, "%v", err)
		}
	}
	return nil
}

// expandCPUs generates the physical CPUs and their topology. It returns
// the number of NUMA nodes and a parser of spec CPU lists (node: items
// and "all" expand against this topology).
func (s *Spec) expandCPUs(hw *hardware) (int, func(path, list string) (cpuset.Set, error), error) {
	c := s.CPUs
	if c.Sockets < 1 || c.CoresPerSocket < 1 || c.ThreadsPerCore < 1 {
		return 0, nil, errAt("cpus", "sockets, coresPerSocket and threadsPerCore must be at least 1")
	}
	total := c.Sockets * c.CoresPerSocket * c.ThreadsPerCore
	if total > maxNrCPUs {
		return 0, nil, errAt("cpus", "%d CPUs, at most %d", total, maxNrCPUs)
	}
	nodes := c.Nodes
	if nodes == 0 {
		nodes = 1
	}
	switch {
	case nodes < 1:
		return 0, nil, errAt("cpus.nodes", "want at least 1 node")
	case nodes <= c.Sockets && c.Sockets%nodes != 0:
		return 0, nil, errAt("cpus.nodes", "%d sockets do not spread evenly over %d nodes", c.Sockets, nodes)
	case nodes > c.Sockets && (nodes%c.Sockets != 0 || c.CoresPerSocket%(nodes/c.Sockets) != 0):
		return 0, nil, errAt("cpus.nodes", "%d nodes do not split %d sockets of %d cores evenly", nodes, c.Sockets, c.CoresPerSocket)
	}
	if nodes > 64 {
		return 0, nil, errAt("cpus.nodes", "at most 64 NUMA nodes (MAX_NUMNODES)")
	}
	hw.nrCPUIDs = uint32(total)
	if c.MaxCPUID != nil {
		if *c.MaxCPUID+1 < uint32(total) || *c.MaxCPUID >= maxNrCPUs {
			return 0, nil, errAt("cpus.maxCPUID", "must be between %d (the last CPU) and %d", total-1, maxNrCPUs-1)
		}
		hw.nrCPUIDs = *c.MaxCPUID + 1
	}
	hw.threadsPerCore = uint32(c.ThreadsPerCore)
	threadBits := uint32(bits.Len(uint(c.ThreadsPerCore - 1)))
	coreBits := uint32(bits.Len(uint(c.CoresPerSocket - 1)))
	perSocket := uint32(1) << (threadBits + coreBits)
	if c.APICIDsPerSocket != 0 {
		if c.APICIDsPerSocket < uint32(c.CoresPerSocket*c.ThreadsPerCore) {
			return 0, nil, errAt("cpus.apicIDsPerSocket", "must be at least %d", c.CoresPerSocket*c.ThreadsPerCore)
		}
		perSocket = c.APICIDsPerSocket
	}
	if c.APICIDs != nil && len(c.APICIDs) != total {
		return 0, nil, errAt("cpus.apicIDs", "%d ids for %d CPUs", len(c.APICIDs), total)
	}
	if c.ACPIIDs != nil && len(c.ACPIIDs) != total {
		return 0, nil, errAt("cpus.acpiIDs", "%d ids for %d CPUs", len(c.ACPIIDs), total)
	}
	hw.cpus = make([]hwCPU, hw.nrCPUIDs)
	nodeCPUs := make([]cpuset.Set, nodes)
	i := 0
	for sk := 0; sk < c.Sockets; sk++ {
		for co := 0; co < c.CoresPerSocket; co++ {
			// Sockets spread over the nodes, or nodes split sockets
			// into equal groups of cores.
			node := sk / max(c.Sockets/nodes, 1)
			if nodes > c.Sockets {
				per := nodes / c.Sockets
				node = sk*per + co/(c.CoresPerSocket/per)
			}
			for th := 0; th < c.ThreadsPerCore; th++ {
				cp := &hw.cpus[i]
				cp.present, cp.online = true, true
				cp.socket, cp.core, cp.thread, cp.node = uint32(sk), uint32(co), uint32(th), uint32(node)
				cp.apicID = uint32(sk)*perSocket + uint32(co)<<threadBits | uint32(th)
				cp.acpiID = uint32(i)
				if c.APICIDs != nil {
					cp.apicID = c.APICIDs[i]
				}
				if c.ACPIIDs != nil {
					cp.acpiID = c.ACPIIDs[i]
				}
				cp.coreKey = uint64(sk)<<32 | uint64(co)
				i++
			}
		}
	}
	seenAPIC := map[uint32]int{}
	for id := 0; id < total; id++ {
		if prev, dup := seenAPIC[hw.cpus[id].apicID]; dup {
			return 0, nil, errAt("cpus.apicIDs", "CPUs %d and %d have the same APIC id %d", prev, id, hw.cpus[id].apicID)
		}
		seenAPIC[hw.cpus[id].apicID] = id
	}
	if !hw.smt && c.ThreadsPerCore > 1 {
		for id := range total {
			if hw.cpus[id].thread != 0 {
				hw.cpus[id].online = false
			}
		}
	}
	parseList := func(path, list string) (cpuset.Set, error) {
		if strings.TrimSpace(list) == "" {
			return cpuset.Set{}, nil
		}
		set, err := cpuset.Parse(list, specTopo{n: int(hw.nrCPUIDs), nodes: nodeCPUs})
		if err != nil {
			return set, errAt(path, "%v", err)
		}
		if m := set.Max(); m >= int(hw.nrCPUIDs) {
			return set, errAt(path, "CPU %d is beyond maxCPUID %d", m, hw.nrCPUIDs-1)
		}
		return set, nil
	}
	absent, err := parseList("cpus.absent", c.Absent)
	if err != nil {
		return 0, nil, err
	}
	if absent.Has(0) {
		return 0, nil, errAt("cpus.absent", "CPU 0 (the boot CPU) must be present")
	}
	for _, id := range absent.IDs() {
		hw.cpus[id] = hwCPU{}
	}
	offline, err := parseList("cpus.offline", c.Offline)
	if err != nil {
		return 0, nil, err
	}
	if offline.Has(0) {
		return 0, nil, errAt("cpus.offline", "CPU 0 (the boot CPU) is always online")
	}
	for _, id := range offline.IDs() {
		if !hw.cpus[id].present {
			return 0, nil, errAt("cpus.offline", "CPU %d is not present", id)
		}
		hw.cpus[id].online = false
	}
	for id := range hw.cpus {
		if hw.cpus[id].present {
			nodeCPUs[hw.cpus[id].node] = nodeCPUs[hw.cpus[id].node].Add(id)
		}
	}
	return nodes, parseList, nil
}

// expandXen checks the Xen build: version, strings, build id and the
// boot options.
func (s *Spec) expandXen(hw *hardware) error {
	maj, min, ok := strings.Cut(s.Xen.Version, ".")
	var err1, err2 error
	hw.major, err1 = strconv.Atoi(maj)
	hw.minor, err2 = strconv.Atoi(min)
	if !ok || err1 != nil || err2 != nil || hw.major < 0 || hw.minor < 0 || hw.major > 0x7fff || hw.minor > 0xffff {
		return errAt("xen.version", "want major.minor such as \"4.17\", have %q", s.Xen.Version)
	}
	if len(s.Xen.Extraversion) > 15 {
		return errAt("xen.extraversion", "at most 15 bytes (xen_extraversion_t)")
	}
	if len(s.Xen.CommandLine) > 1023 {
		return errAt("xen.commandLine", "at most 1023 bytes (xen_commandline_t)")
	}
	if s.Xen.BuildID != "" {
		b, err := hex.DecodeString(s.Xen.BuildID)
		if err != nil || len(b) > 256 {
			return errAt("xen.buildID", "want at most 256 bytes in hex")
		}
		hw.buildID = b
	}
	for i, c := range s.Xen.Capabilities {
		bit, ok := capNames[c]
		if !ok {
			return errAt(fmt.Sprintf("xen.capabilities[%d]", i), "unknown capability %q", c)
		}
		hw.caps |= bit
	}
	hw.extra, hw.cmdline, hw.cpuKHz = s.Xen.Extraversion, s.Xen.CommandLine, s.Xen.CPUKHz
	if err := s.expandBuild(hw); err != nil {
		return err
	}
	if hw.cpuKHz == 0 {
		hw.cpuKHz = 2000000
	}
	hw.gpaddrBits = 48
	if s.Xen.GPAddrBits != 0 {
		if s.Xen.GPAddrBits < 32 || s.Xen.GPAddrBits > 64 {
			return errAt("xen.gpaddrBits", "want 32 to 64")
		}
		hw.gpaddrBits = s.Xen.GPAddrBits
	}
	// x86_capability words of a common server CPU (fpu ... hypervisor):
	// what xl info prints as hw_caps. Informational only.
	hw.hwCap = [8]uint32{0xbfebfbff, 0x77fefbff, 0x2c100800, 0x00000121, 0x0000000f, 0x009c27ab, 0x00000000, 0x00000100}
	if s.Xen.HWCaps != "" {
		words := strings.Split(s.Xen.HWCaps, ":")
		if len(words) != len(hw.hwCap) {
			return errAt("xen.hwCaps", "want %d hex words joined by ':', as xl info prints hw_caps", len(hw.hwCap))
		}
		for i, w := range words {
			v, err := strconv.ParseUint(w, 16, 32)
			if err != nil {
				return errAt("xen.hwCaps", "word %d (%q) is not a 32-bit hex number", i+1, w)
			}
			hw.hwCap[i] = uint32(v)
		}
	}
	hw.smt = s.Xen.SMT == nil || *s.Xen.SMT
	hw.park = s.Xen.ParkOfflineCPUs == nil || *s.Xen.ParkOfflineCPUs
	return nil
}

// expandSchedulers checks the built schedulers and the default one.
func (s *Spec) expandSchedulers(hw *hardware) error {
	if len(s.Schedulers.Built) == 0 {
		return errAt("schedulers.built", "at least one scheduler must be built")
	}
	for i, n := range s.Schedulers.Built {
		sc, err := hypercall.ParseScheduler(n)
		if err != nil {
			return errAt(fmt.Sprintf("schedulers.built[%d]", i), "%v", err)
		}
		for _, b := range hw.built {
			if b == sc {
				return errAt(fmt.Sprintf("schedulers.built[%d]", i), "%s listed twice", n)
			}
		}
		hw.built = append(hw.built, sc)
	}
	def, err := hypercall.ParseScheduler(s.Schedulers.Default)
	if err != nil {
		return errAt("schedulers.default", "%v", err)
	}
	if !hw.isBuilt(def) {
		return errAt("schedulers.default", "%s is not built", def)
	}
	hw.defaultSched = def
	return nil
}

// expand validates s and builds the hardware from it, section by section
// in the order the later ones need: xen, cpus, memory, schedulers, pools,
// domains, then the PCI devices.
func (s *Spec) expand() (*hardware, error) {
	hw := &hardware{}
	if err := s.expandXen(hw); err != nil {
		return nil, err
	}
	nodes, parseList, err := s.expandCPUs(hw)
	if err != nil {
		return nil, err
	}
	totalMiB, err := s.expandMemory(hw, nodes)
	if err != nil {
		return nil, err
	}
	if err := s.expandSchedulers(hw); err != nil {
		return nil, err
	}
	if err := s.expandPools(hw, parseList); err != nil {
		return nil, err
	}
	if err := s.expandDomains(hw, totalMiB); err != nil {
		return nil, err
	}
	if err := s.expandPCI(hw); err != nil {
		return nil, err
	}
	return hw, nil
}

func (hw *hardware) isBuilt(s hypercall.Scheduler) bool {
	for _, b := range hw.built {
		if b == s {
			return true
		}
	}
	return false
}

// checkPoolParams applies the putinfo range checks to boot parameters.
func checkPoolParams(p hwPool) error {
	if p.params == nil {
		return nil
	}
	pp := p.params
	switch p.sched {
	case hypercall.SchedCredit:
		c := defaultCreditParams()
		c.apply(pp)
		if e := c.check(); e != 0 {
			return fmt.Errorf("credit parameters out of range (tslice 1-1000 ms, ratelimit 0 or 100-500000 µs and ≤ tslice, migration delay ≤ 100000 µs)")
		}
	case hypercall.SchedCredit2:
		if pp.TsliceMS != nil || pp.MigrationDelayUS != nil {
			return fmt.Errorf("credit2 has only ratelimitUS")
		}
		if pp.RatelimitUS != nil && !ratelimitOK(*pp.RatelimitUS) {
			return fmt.Errorf("ratelimitUS must be 0 or 100-500000")
		}
	default:
		return fmt.Errorf("%s has no pool parameters here", p.sched)
	}
	return nil
}

func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	h := strings.ReplaceAll(s, "-", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 || len(s) != 36 {
		return u, fmt.Errorf("want a UUID like 01234567-89ab-cdef-0123-456789abcdef, have %q", s)
	}
	copy(u[:], b)
	return u, nil
}

// derivedUUID makes a stable version-4 style UUID from seed.
func derivedUUID(seed string) [16]byte {
	var u [16]byte
	sum := sha256.Sum256([]byte(seed))
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// SchedNames is a list of scheduler names. In YAML a bare null is the
// null scheduler: yaml.v3 would otherwise drop it from a []string
// without a word, leaving a spec with one scheduler fewer than written.
type SchedNames []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (n *SchedNames) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: want a list of scheduler names", node.Line)
	}
	out := make(SchedNames, 0, len(node.Content))
	for _, c := range node.Content {
		switch {
		case c.Kind == yaml.ScalarNode && c.Tag == "!!null" && c.Value == "null":
			out = append(out, "null")
		case c.Kind == yaml.ScalarNode && c.Tag != "!!null":
			out = append(out, c.Value)
		default:
			return fmt.Errorf("line %d: %q is not a scheduler name", c.Line, c.Value)
		}
	}
	*n = out
	return nil
}
