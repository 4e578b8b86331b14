//go:build xenlab

package suite

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Issue #15, item 6: what packaging/systemd/xgo-vsnd-backend.service
// grants `xgo vsnd-backend`, measured. The lab's dom0 has no systemd, so
// the "vsnd-sandbox" helper below rebuilds the unit's sandbox by hand
// around the backend, then a guest connects and plays through it:
//
//	CapabilityBoundingSet= AmbientCapabilities=   every capability dropped (bounding,
//	                                              effective, permitted, inheritable, ambient)
//	NoNewPrivileges=yes                           PR_SET_NO_NEW_PRIVS
//	DeviceAllow= (gntdev, evtchn, xenbus)         a private /dev/xen with only those nodes:
//	                                              no /dev/xen/privcmd
//	ProtectSystem=strict, StateDirectory=         every mount read-only (/run and its
//	                                              XenStore socket too) except the WAV directory
//	PrivateTmp=yes                                a private tmpfs on /tmp
//	ProtectProc=invisible ProcSubset=pid          a new procfs, hidepid=invisible,subset=pid
//	                                              (xenfs's /proc/xen hidden under it)
//	PrivateNetwork=yes                            a new network namespace
//	PrivateUsers=yes                              a user namespace mapping only root,
//	                                              made after the mounts (as systemd does)
//	SystemCallFilter= and the other               a seccomp filter from systemd 252's groups
//	seccomp-based settings                        (vbSeccomp) that kills the backend on any
//	                                              call the unit would refuse
//
// What it does not rebuild is the device cgroup (DevicePolicy=closed):
// the private /dev/xen stands for it.

// vbCapNames are the capabilities by number (linux/capability.h).
var vbCapNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// vbCapsWAVDir is the unit's StateDirectory: the sandbox's only writable
// directory, outside the private /tmp.
const vbCapsWAVDir = "/var/lib/xgo/vsnd"

// vbSandboxDevs are the /dev/xen nodes of the unit's DeviceAllow=.
var vbSandboxDevs = []string{"gntdev", "evtchn", "xenbus"}

// "vsnd-sandbox": run in dom0 as
//
//	suite.test -lab.domu-func=vsnd-sandbox -- KEEP FILTER USERS WAVDIR PROGRAM ARGS...
//
// it builds the sandbox above on one OS thread, keeping only the
// capabilities named in KEEP (comma-separated, or "none"), with the
// seccomp filter if FILTER is "seccomp" (refusals fail with EPERM, as in
// the unit) or "seccomp-kill" (refusals kill), none if "none", in a user
// namespace of its own if USERS is "private" (PrivateUsers=; "host": not),
// and execs PROGRAM on that thread.
var _ = RegisterDomUFunc("vsnd-sandbox", func(args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "vsnd-sandbox: "+format+"\n", a...)
		return 125
	}
	if len(args) < 5 {
		return fail("usage: KEEP FILTER USERS WAVDIR PROGRAM ARGS...")
	}
	keepArg, filter, users, wavDir, argv := args[0], args[1], args[2], args[3], args[4:]

	// Namespaces, mounts and credentials are per thread until execve,
	// which takes the calling thread's: all of it on this one.
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_NEWNET); err != nil {
		return fail("unshare: %v", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fail("making / private: %v", err)
	}

	// DeviceAllow=: a /dev/xen with only the allowed nodes.
	type node struct {
		name string
		mode uint32
		rdev uint64
	}
	var nodes []node
	for _, n := range vbSandboxDevs {
		var st unix.Stat_t
		if err := unix.Stat("/dev/xen/"+n, &st); err != nil {
			fmt.Fprintf(os.Stderr, "vsnd-sandbox: /dev/xen/%s: %v (left out)\n", n, err)
			continue
		}
		nodes = append(nodes, node{n, st.Mode, st.Rdev})
	}
	if err := unix.Mount("tmpfs", "/dev/xen", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755"); err != nil {
		return fail("tmpfs on /dev/xen: %v", err)
	}
	var made []string
	for _, n := range nodes {
		if err := unix.Mknod("/dev/xen/"+n.name, n.mode, int(n.rdev)); err != nil {
			return fail("mknod /dev/xen/%s: %v", n.name, err)
		}
		made = append(made, n.name)
	}

	// PrivateTmp=.
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return fail("tmpfs on /tmp: %v", err)
	}
	// StateDirectory=: the WAV directory, its own mount so that it stays
	// writable when everything else goes read-only.
	if err := unix.Mount(wavDir, wavDir, "", unix.MS_BIND, ""); err != nil {
		return fail("bind %s: %v", wavDir, err)
	}

	// ProtectSystem=strict: every other mount read-only (the API file
	// systems /dev and /proc stay as they are, as systemd leaves them;
	// ProtectKernelTunables= makes /sys read-only, so it is here too).
	mounts, err := vbMountPoints()
	if err != nil {
		return fail("%v", err)
	}
	var ro []string
	for _, m := range mounts {
		if m.point == wavDir || m.point == "/tmp" || m.point == "/dev" || strings.HasPrefix(m.point, "/dev/") ||
			m.point == "/proc" || strings.HasPrefix(m.point, "/proc/") {
			continue
		}
		flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY)
		for _, o := range strings.Split(m.opts, ",") {
			switch o {
			case "nosuid":
				flags |= unix.MS_NOSUID
			case "nodev":
				flags |= unix.MS_NODEV
			case "noexec":
				flags |= unix.MS_NOEXEC
			}
		}
		if err := unix.Mount("", m.point, "", flags, ""); err != nil {
			return fail("read-only %s: %v", m.point, err)
		}
		ro = append(ro, m.point)
	}

	// ProtectProc=invisible, ProcSubset=pid: a procfs of processes only,
	// over the old one (and over xenfs's /proc/xen).
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "hidepid=invisible,subset=pid"); err != nil {
		return fail("procfs subset=pid: %v", err)
	}

	note := fmt.Sprintf("/dev/xen: %s; read-only: %s; writable: %s, private /tmp; /proc subset=pid; new network namespace",
		strings.Join(made, " "), strings.Join(ro, " "), wavDir)
	switch users {
	case "host":
		return vbSandboxCreds(keepArg, filter, note, argv)
	case "private":
		// PrivateUsers=: a user namespace that maps root to root alone.
		// A Go program has threads, which unshare(CLONE_NEWUSER) refuses:
		// busybox's unshare makes it, then the second stage drops the
		// capabilities inside it. The mounts above stay as they are: their
		// namespace belongs to the host's user namespace.
		un, err := exec.LookPath("unshare")
		if err != nil {
			return fail("%v", err)
		}
		self, err := os.Executable()
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(os.Stderr, "vsnd-sandbox: %s; user namespace mapping only root (unshare -r)\n", note)
		uargv := append([]string{un, "-r", self, "-lab.domu-func=vsnd-sandbox-creds", "--", keepArg, filter, "user namespace"}, argv...)
		err = syscall.Exec(un, uargv, os.Environ())
		return fail("exec %s: %v", un, err)
	}
	return fail("USERS %q: want host or private", users)
})

// "vsnd-sandbox-creds" is the helper's second stage: KEEP FILTER NOTE
// PROGRAM ARGS...: no_new_privs, the capabilities, the seccomp filter,
// then exec PROGRAM.
var _ = RegisterDomUFunc("vsnd-sandbox-creds", func(args []string) int {
	if len(args) < 4 {
		fmt.Fprintf(os.Stderr, "vsnd-sandbox-creds: usage: KEEP FILTER NOTE PROGRAM ARGS...\n")
		return 125
	}
	runtime.LockOSThread()
	return vbSandboxCreds(args[0], args[1], args[2], args[3:])
})

// vbSandboxCreds, on the calling (locked) thread: NoNewPrivileges=, then
// the capabilities (the bounding set first, since dropping needs
// CAP_SETPCAP, then ambient, then effective, permitted and inheritable in
// one capset), then the seccomp filter; then it execs argv.
func vbSandboxCreds(keepArg, filter, note string, argv []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "vsnd-sandbox: "+format+"\n", a...)
		return 125
	}
	var keep uint64
	if keepArg != "none" {
		for _, n := range strings.Split(keepArg, ",") {
			i := vbCapIndex(n)
			if i < 0 {
				return fail("unknown capability %q", n)
			}
			keep |= 1 << i
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail("no_new_privs: %v", err)
	}
	// Every capability this kernel has: PR_CAPBSET_READ fails past the last.
	for c := 0; c < 64; c++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err != nil {
			break
		}
		if keep&(1<<c) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fail("dropping capability %d from the bounding set: %v", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fail("clearing the ambient set: %v", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(keep), Permitted: uint32(keep)},
		{Effective: uint32(keep >> 32), Permitted: uint32(keep >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fail("capset: %v", err)
	}
	seccomp := "no seccomp filter"
	switch filter {
	case "seccomp":
		if err := vbSeccomp(false); err != nil {
			return fail("%v", err)
		}
		// The filter is on: sched_setaffinity (@resources) to the
		// thread's own CPUs, which needs no privilege, is refused.
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(0, &set); err != nil {
			return fail("sched_getaffinity under the filter: %v", err)
		}
		if err := unix.SchedSetaffinity(0, &set); err != unix.EPERM {
			return fail("sched_setaffinity under the filter: %v, want EPERM", err)
		}
		seccomp = "seccomp filter, refusing with EPERM (sched_setaffinity: EPERM)"
	case "seccomp-kill":
		if err := vbSeccomp(true); err != nil {
			return fail("%v", err)
		}
		seccomp = "seccomp filter, killing on a refused call"
	case "none":
	default:
		return fail("FILTER %q: want seccomp, seccomp-kill or none", filter)
	}
	fmt.Fprintf(os.Stderr, "vsnd-sandbox: %s; keep %s; no_new_privs; %s; exec %s\n", note, keepArg, seccomp, strings.Join(argv, " "))
	err := syscall.Exec(argv[0], argv, os.Environ())
	return fail("exec %s: %v", argv[0], err)
}

func vbCapIndex(name string) int {
	for i, n := range vbCapNames {
		if strings.EqualFold(n, name) || strings.EqualFold(strings.TrimPrefix(n, "CAP_"), name) {
			return i
		}
	}
	return -1
}

type vbMount struct{ point, opts string }

// vbMountPoints lists this mount namespace's mounts (mountinfo's fifth
// and sixth fields), parents before children.
func vbMountPoints() ([]vbMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []vbMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 6 {
			continue
		}
		// Mount points escape blanks as \040 and so on.
		p, err := strconv.Unquote(`"` + strings.ReplaceAll(fl[4], `"`, `\"`) + `"`)
		if err != nil {
			p = fl[4]
		}
		out = append(out, vbMount{p, fl[5]})
	}
	return out, sc.Err()
}

// vbSandboxed is a `xgo vsnd-backend` started in the sandbox.
type vbSandboxed struct {
	vbBackend
	keep    string
	filter  string
	users   string
	stopped sync.Once
}

// stop sends SIGTERM and checks that the backend exits 0 within 15 s;
// only the first call does anything.
func (b *vbSandboxed) stop(t *testing.T) {
	b.stopped.Do(func() {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-b.done:
			if err != nil {
				t.Errorf("sandboxed xgo vsnd-backend (keep %s) did not exit cleanly on SIGTERM: %v", b.keep, err)
			}
		case <-time.After(15 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.done
			t.Errorf("sandboxed xgo vsnd-backend (keep %s) still running 15 s after SIGTERM; killed", b.keep)
		}
		if !t.Failed() {
			t.Logf("sandboxed xgo vsnd-backend (keep %s, filter %s, users %s) exited 0 on SIGTERM", b.keep, b.filter, b.users)
		}
		t.Logf("sandboxed xgo vsnd-backend's log (keep %s):\n%s", b.keep, indent(b.stderr.String()))
	})
}

// startSandboxedBackend starts `xgo vsnd-backend --wav-dir DIR -v ARGS`
// through the vsnd-sandbox helper with only the capabilities in keep, the
// helper's filter (seccomp, seccomp-kill or none) and users (private or
// host), and stops it with SIGTERM when the test ends, checking that it
// exits 0.
func startSandboxedBackend(t *testing.T, keep, filter, users string, args ...string) *vbSandboxed {
	t.Helper()
	xgo := XgoPath(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(vbCapsWAVDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(vbCapsWAVDir, 0o700); err != nil {
		t.Fatal(err)
	}
	b := &vbSandboxed{vbBackend: vbBackend{stderr: &syncBuffer{}, dir: vbCapsWAVDir, done: make(chan error, 1)}, keep: keep, filter: filter, users: users}
	argv := append([]string{"-lab.domu-func=vsnd-sandbox", "--", keep, filter, users, vbCapsWAVDir, xgo, "vsnd-backend", "--wav-dir", vbCapsWAVDir, "-v"}, args...)
	b.cmd = exec.Command(self, argv...)
	b.cmd.Stdout, b.cmd.Stderr = b.stderr, b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() { b.stop(t) })
	// Once the helper has exec'd, /proc/PID/exe is xgo.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", b.cmd.Process.Pid)); err == nil && exe == xgo {
			break
		}
		if !b.alive() || time.Now().After(deadline) {
			t.Fatalf("the vsnd-sandbox helper did not exec xgo (alive %v):\n%s", b.alive(), b.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return b
}

// proof logs what the kernel says about the running backend: its
// capability sets and no_new_privs, its /dev/xen, and its mounts.
func (b *vbSandboxed) proof(t *testing.T) {
	t.Helper()
	pid := b.cmd.Process.Pid
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("backend status: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "Cap") || strings.HasPrefix(l, "NoNewPrivs") || strings.HasPrefix(l, "Seccomp:") {
			lines = append(lines, l)
		}
	}
	t.Logf("backend pid %d /proc/%d/status:\n%s", pid, pid, indent(strings.Join(lines, "\n")))
	if m, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", pid)); err == nil {
		t.Logf("its uid_map: %s", strings.Join(strings.Fields(string(m)), " "))
	}
	if b.keep == "none" {
		for _, l := range lines {
			if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[0], "Cap") && strings.Trim(f[1], "0") != "" {
				t.Errorf("the backend has capabilities: %s", l)
			}
		}
	}
	var devs []string
	_ = filepath.WalkDir(fmt.Sprintf("/proc/%d/root/dev/xen", pid), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			devs = append(devs, d.Name())
		}
		return nil
	})
	t.Logf("the backend's /dev/xen: %s", strings.Join(devs, " "))
	for _, d := range devs {
		if d == "privcmd" {
			t.Errorf("the backend's /dev/xen has privcmd")
		}
	}
	// XenStore: over its socket on the read-only /run, not over the
	// xenbus device that Dial falls back to (both are in the sandbox).
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	var targets []string
	sockets := 0
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue
		}
		targets = append(targets, fd.Name()+"->"+l)
		if strings.HasPrefix(l, "socket:") {
			sockets++
		}
		if l == "/dev/xen/xenbus" {
			t.Errorf("the backend talks to XenStore over /dev/xen/xenbus, not over /run/xenstored/socket")
		}
	}
	t.Logf("the backend's open files: %s", strings.Join(targets, " "))
	if sockets == 0 {
		t.Errorf("the backend has no socket open: not connected to /run/xenstored/socket")
	}
	mi, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	var ms []string
	for _, l := range strings.Split(strings.TrimSpace(string(mi)), "\n") {
		if f := strings.Fields(l); len(f) >= 6 {
			ms = append(ms, f[4]+" "+f[5])
		}
	}
	t.Logf("the backend's mounts (point, per-mount options):\n%s", indent(strings.Join(ms, "\n")))
}

// vbSandboxPlay boots a guest, starts the backend in the sandbox with the
// capabilities in keep, serving only that guest by name (--domain NAME,
// resolved in XenStore), attaches a card with `xgo vsnd-attach --wait`
// and has the guest play half a second of tone: it reports whether the
// card reached Connected, and checks the WAV file bit for bit.
func vbSandboxPlay(t *testing.T, pool, keep, filter, users string) bool {
	t.Helper()
	d, result := StartFuncInDomU(t, DomUOptions{Modules: []string{"snd-xen-front"}, Pool: pool, ExtraConfig: vbPin(2)}, "vsnd-guest", "second")
	defer d.destroyQuietly()
	be := startSandboxedBackend(t, keep, filter, users, "--domain", d.Name)
	// Stopped here, so that the exit status of each try is its own: a
	// call the seccomp-kill filter refuses, on SIGTERM too, shows as an
	// exit by SIGSYS.
	defer be.stop(t)
	start := time.Now()
	r := Xgo(t, "vsnd-attach", "--wait", d.Name, "CARD, short-name=xgo-caps, "+vbCardParams,
		"PCM, name=main", "STREAM, unique-id=wav:caps.wav, type=p")
	if r.ExitCode != 0 {
		t.Logf("keep %s: xgo vsnd-attach --wait failed:\n%s\nbackend log:\n%s", keep, r, be.stderr)
		be.proof(t)
		return false
	}
	t.Logf("keep %s: xgo vsnd-attach --wait: Connected after %v", keep, time.Since(start).Round(time.Millisecond))
	be.proof(t)
	MustRun(t, "xenstore-write", d.Path("data/xgo-vsnd/go"), "1")
	res := result(t)
	t.Logf("guest:\n%s", res)
	if res.ExitCode != 0 {
		t.Errorf("keep %s: the guest could not play:\n%s\nbackend log:\n%s", keep, res, be.stderr)
		return true
	}
	// Where in the WAV directory caps.wav lands (directly, or in the
	// guest's own directory) is the routing's business: find it.
	var found string
	deadline := time.Now().Add(10 * time.Second)
	for found == "" && time.Now().Before(deadline) {
		_ = filepath.WalkDir(vbCapsWAVDir, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.Name() == "caps.wav" {
				found = p
			}
			return nil
		})
		time.Sleep(100 * time.Millisecond)
	}
	if found == "" {
		t.Errorf("keep %s: no caps.wav under %s; backend log:\n%s", keep, vbCapsWAVDir, be.stderr)
		return true
	}
	vbCompareTone(t, found, vbFinalised(t, found, 10*time.Second), vbRate/2)
	if !be.alive() {
		t.Errorf("keep %s: the sandboxed backend is gone:\n%s", keep, be.stderr)
	}
	return true
}

// TestXenVsndBackendCaps: with no capability at all, no /dev/xen/privcmd,
// a read-only system, the unit's namespaces (its own user namespace too)
// and its seccomp filter made to kill on any call it refuses, `xgo
// vsnd-backend --domain NAME` resolves the guest, its card reaches
// Connected, the guest's playback lands bit-exact in the WAV directory,
// and the backend exits 0 on SIGTERM. Should the card not connect, it
// tries again without the user namespace, then without the filter, then
// with each likely capability alone, to name what the unit lacks.
func TestXenVsndBackendCaps(t *testing.T) {
	if Daemon() != "xenstored" {
		t.Skip("xenstored's boot runs the vsnd backend tests")
	}
	pool := vbPool(t)
	if vbSandboxPlay(t, pool, "none", "seccomp-kill", "private") {
		return
	}
	t.Errorf("in the full sandbox the card never reached Connected; trying in the host's user namespace")
	if vbSandboxPlay(t, pool, "none", "seccomp-kill", "host") {
		t.Errorf("in the host's user namespace it connects: PrivateUsers= is what stops it")
		return
	}
	if vbSandboxPlay(t, pool, "none", "none", "host") {
		t.Errorf("without the seccomp filter it connects: the filter is what stops it")
		return
	}
	for _, c := range []string{"CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_SYS_ADMIN", "CAP_IPC_LOCK", "CAP_SYS_RESOURCE", "CAP_FOWNER"} {
		if vbSandboxPlay(t, pool, c, "none", "host") {
			t.Errorf("%s alone is enough", c)
			return
		}
	}
	t.Errorf("no single capability of those tried is enough")
}
