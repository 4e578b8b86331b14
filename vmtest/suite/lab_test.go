//go:build xenlab

// Shared helpers of the lab suite. The suite runs as root in the lab's
// dom0, where the dom0 init has set up:
//
//	PATH          the real Xen 4.17 tools: xl, xenstore-*, xenpm, xen-hptool, ...
//	XGO_LAB=1     we are in the lab
//	XGO_XENSTORED xenstored or oxenstored: the XenStore daemon of this boot
//	XGO_BIN       the freshly built xgo binary (unset while cmd/xgo has no main)
//
// and /xgo/start-domu and /xgo/domu-run, which the DomU helpers wrap.

package suite

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// CommandTimeout bounds every command Run starts. A command that is still
// running then is killed and fails the test: a hung xl must not eat the
// whole boot's time budget.
var CommandTimeout = 60 * time.Second

// domUFuncFlag makes the test binary run a registered domU function instead
// of the tests (see RegisterDomUFunc).
var domUFuncFlag = flag.String("lab.domu-func", "", "run this RegisterDomUFunc function and exit (used inside a domU)")

func TestMain(m *testing.M) {
	flag.Parse()
	if *domUFuncFlag != "" {
		os.Exit(runDomUFunc(*domUFuncFlag, flag.Args()))
	}
	if os.Getenv("XGO_LAB") != "1" {
		fmt.Println("suite: not in the Xen lab's dom0 (XGO_LAB is not 1): nothing to do; run `make vmtest`")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Daemon returns the XenStore daemon of this boot: "xenstored" (C) or
// "oxenstored" (OCaml).
func Daemon() string { return os.Getenv("XGO_XENSTORED") }

// labXen is the Xen release xenlab booted (XGO_LAB_XEN in run.conf):
// "4.17" or "4.20". Checks whose answer differs between releases pin
// each release's answer with it.
func labXen() string {
	if v := os.Getenv("XGO_LAB_XEN"); v != "" {
		return v
	}
	return "4.17"
}

// Result is what a finished command printed and returned.
type Result struct {
	Cmd      string
	Stdout   string
	Stderr   string
	ExitCode int
}

func (r Result) String() string {
	return fmt.Sprintf("%s: exit status %d\nstdout:\n%s\nstderr:\n%s", r.Cmd, r.ExitCode,
		indent(r.Stdout), indent(r.Stderr))
}

func indent(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// Run runs a command and returns its output and exit code whatever the
// exit code is. It fails the test when the command cannot be started or
// does not finish within CommandTimeout.
func Run(t testing.TB, name string, args ...string) Result {
	t.Helper()
	return RunWithTimeout(t, CommandTimeout, name, args...)
}

// RunWithTimeout is Run with its own time limit.
func RunWithTimeout(t testing.TB, timeout time.Duration, name string, args ...string) Result {
	t.Helper()
	return runEnv(t, timeout, nil, name, args...)
}

// runEnv is RunWithTimeout with an environment (nil: ours).
func runEnv(t testing.TB, timeout time.Duration, env []string, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A daemon the command leaves behind (xl create forks one) must not
	// keep us waiting for its copy of our pipes.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := Result{
		Cmd:    strings.Join(append([]string{name}, args...), " "),
		Stdout: stdout.String(),
		Stderr: stderr.String(),
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s: still running after %s, killed\n%s", r.Cmd, timeout, r)
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", r.Cmd, err)
	}
	return r
}

// MustRun runs a command, fails the test unless it exits 0, and returns its
// stdout without the trailing newline.
func MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	r := Run(t, name, args...)
	if r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	return strings.TrimRight(r.Stdout, "\n")
}

// XgoPath returns the xgo binary built for this run, and skips the test
// when there is none (cmd/xgo has no main package yet).
func XgoPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv("XGO_BIN")
	if p == "" {
		t.Skip("no xgo binary in this run (cmd/xgo has no main package yet)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("XGO_BIN=%s: %v", p, err)
	}
	return p
}

// Xgo runs the xgo binary with args, like Run.
func Xgo(t testing.TB, args ...string) Result {
	t.Helper()
	return Run(t, XgoPath(t), args...)
}

// XenstoreRead reads a XenStore node with the C client and fails the test
// when that fails.
func XenstoreRead(t testing.TB, path string) string {
	t.Helper()
	return MustRun(t, "xenstore-read", path)
}

// ---------------------------------------------------------------- domUs

// DomUOptions configure a lab domU. The zero value is the default tiny
// guest: 128 MiB, 1 vCPU, Pool-0, no disk, no network.
type DomUOptions struct {
	Name        string        // default: derived from the test name, unique
	MemoryMiB   int           // default 128
	VCPUs       int           // default 1
	Pool        string        // cpupool; default Pool-0
	ExtraConfig string        // extra xl.cfg lines, verbatim
	Cmdline     string        // extra kernel arguments
	Modules     []string      // kernel modules to load at boot: snd-xen-front, xen-netfront, xen-blkfront
	Initramfs   string        // a cpio archive to add to the domU's root
	Timeout     time.Duration // for booting, and for a payload's result; default 120s
}

// DomU is a running lab domU. It is destroyed when the test that started
// it ends; Destroy frees its memory earlier.
type DomU struct {
	Name string
	ID   int
}

var domUSeq atomic.Int32

var nameUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

func (o *DomUOptions) env(t testing.TB) []string {
	if o.Name == "" {
		n := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
		n = strings.TrimPrefix(n, "testxen")
		if len(n) > 40 {
			n = n[:40]
		}
		o.Name = fmt.Sprintf("xgo-%s-%d", strings.Trim(n, "-"), domUSeq.Add(1))
	}
	if o.Timeout == 0 {
		o.Timeout = 120 * time.Second
	}
	env := os.Environ()
	add := func(k, v string) {
		if v != "" && v != "0" {
			env = append(env, k+"="+v)
		}
	}
	add("XGO_DOMU_MEMORY", strconv.Itoa(o.MemoryMiB))
	add("XGO_DOMU_VCPUS", strconv.Itoa(o.VCPUs))
	add("XGO_DOMU_POOL", o.Pool)
	add("XGO_DOMU_CFG", o.ExtraConfig)
	cmdline := o.Cmdline
	if len(o.Modules) > 0 {
		cmdline += " xgo.modprobe=" + strings.Join(o.Modules, ",")
	}
	add("XGO_DOMU_CMDLINE", strings.TrimSpace(cmdline))
	add("XGO_DOMU_TIMEOUT", strconv.Itoa(int(o.Timeout.Seconds())))
	return env
}

// StartDomU creates a lab domU and waits until its init is up (it has
// written data/xgo-state in its XenStore home). The test fails if it does
// not come up.
func StartDomU(t testing.TB, opts DomUOptions) *DomU {
	t.Helper()
	env := opts.env(t)
	args := []string{opts.Name}
	if opts.Initramfs != "" {
		args = append(args, opts.Initramfs)
	}
	d := &DomU{Name: opts.Name}
	t.Cleanup(func() { d.destroyQuietly() })
	r := runEnv(t, opts.Timeout+30*time.Second, env, "/xgo/start-domu", args...)
	if r.ExitCode != 0 {
		t.Fatalf("starting domU %s failed\n%s", opts.Name, r)
	}
	id, err := strconv.Atoi(strings.TrimSpace(r.Stdout))
	if err != nil {
		t.Fatalf("start-domu printed no domid\n%s", r)
	}
	d.ID = id
	return d
}

// RunInDomU boots a fresh lab domU, runs binary (a static executable in
// dom0's file system) inside it once with args and XGO_IN_DOMU=1, and
// returns what it printed and its exit code. The domU keeps running until
// the test ends or Destroy is called. The test fails if the domU does not
// boot or no result comes back within opts.Timeout.
func RunInDomU(t testing.TB, opts DomUOptions, binary string, args ...string) (*DomU, Result) {
	t.Helper()
	env := opts.env(t)
	outDir := t.TempDir()
	d := &DomU{Name: opts.Name}
	t.Cleanup(func() { d.destroyQuietly() })
	cmdArgs := append([]string{"-k", "-o", outDir, opts.Name, binary}, args...)
	r := runEnv(t, 2*opts.Timeout+30*time.Second, env, "/xgo/domu-run", cmdArgs...)
	rcText, err := os.ReadFile(filepath.Join(outDir, "rc"))
	if r.ExitCode != 0 || err != nil {
		t.Fatalf("running %s in domU %s failed\n%s", binary, opts.Name, r)
	}
	stdout, _ := os.ReadFile(filepath.Join(outDir, "stdout"))
	stderr, _ := os.ReadFile(filepath.Join(outDir, "stderr"))
	rc, err := strconv.Atoi(strings.TrimSpace(string(rcText)))
	if err != nil {
		t.Fatalf("domu-run wrote a bad exit code %q", rcText)
	}
	if id, err := strconv.Atoi(strings.TrimSpace(MustRun(t, "xl", "domid", opts.Name))); err == nil {
		d.ID = id
	}
	return d, Result{
		Cmd:      fmt.Sprintf("(in domU %s) %s %s", opts.Name, binary, strings.Join(args, " ")),
		Stdout:   string(stdout),
		Stderr:   string(stderr),
		ExitCode: rc,
	}
}

// Destroy destroys the domU and fails the test if it is still there.
func (d *DomU) Destroy(t testing.TB) {
	t.Helper()
	if r := Run(t, "xl", "destroy", d.Name); r.ExitCode != 0 {
		t.Errorf("xl destroy %s failed\n%s", d.Name, r)
	}
	if r := Run(t, "xl", "domid", d.Name); r.ExitCode == 0 {
		t.Errorf("domU %s still exists after xl destroy", d.Name)
	}
}

func (d *DomU) destroyQuietly() {
	if exec.Command("xl", "domid", d.Name).Run() == nil {
		_ = exec.Command("xl", "destroy", d.Name).Run()
	}
}

// ConsoleLog returns what the domU printed on its console so far
// (xenconsoled's guest log).
func (d *DomU) ConsoleLog(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("/var/log/xen/console/guest-" + d.Name + ".log")
	if err != nil {
		t.Fatalf("console log of %s: %v", d.Name, err)
	}
	return strings.ReplaceAll(string(b), "\r", "")
}

// Path returns the domU's XenStore home, /local/domain/ID, plus rel.
func (d *DomU) Path(rel string) string {
	p := "/local/domain/" + strconv.Itoa(d.ID)
	if rel != "" {
		p += "/" + strings.TrimPrefix(rel, "/")
	}
	return p
}

// ------------------------------------------------- code that runs in a domU

var (
	domUFuncsMu sync.Mutex
	domUFuncs   = map[string]func(args []string) int{}
)

// RegisterDomUFunc registers fn under name, so that RunFuncInDomU can run it
// inside a domU (call it from an init function or a package-level var). In
// the domU, fn runs in this same test binary instead of the tests, with
// XGO_IN_DOMU=1; what it prints on stdout and stderr and the int it returns
// come back to the test in dom0.
func RegisterDomUFunc(name string, fn func(args []string) int) bool {
	domUFuncsMu.Lock()
	defer domUFuncsMu.Unlock()
	if _, dup := domUFuncs[name]; dup {
		panic("RegisterDomUFunc: " + name + " registered twice")
	}
	domUFuncs[name] = fn
	return true
}

func runDomUFunc(name string, args []string) int {
	domUFuncsMu.Lock()
	fn := domUFuncs[name]
	domUFuncsMu.Unlock()
	if fn == nil {
		var known []string
		for n := range domUFuncs {
			known = append(known, n)
		}
		sort.Strings(known)
		fmt.Fprintf(os.Stderr, "no domU function %q; registered: %s\n", name, strings.Join(known, ", "))
		return 2
	}
	return fn(args)
}

// RunFuncInDomU runs the function registered as name inside a fresh domU
// (this test binary is the payload) and returns its output and exit code.
func RunFuncInDomU(t testing.TB, opts DomUOptions, name string, args ...string) (*DomU, Result) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return RunInDomU(t, opts, self, append([]string{"-lab.domu-func=" + name, "--"}, args...)...)
}

// InDomU reports whether this process runs inside a lab domU.
func InDomU() bool { return os.Getenv("XGO_IN_DOMU") == "1" }

// syncBuffer is a bytes.Buffer that a process writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
