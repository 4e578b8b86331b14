// Command xenlab runs xgo's lab suite on real Xen: it boots Xen 4.17 with a
// Debian Linux 6.1 PV dom0 under QEMU (software emulation), once per
// XenStore daemon, runs the Go tests of vmtest/suite inside dom0 as root next
// to xl and xenstore-*, and reports per-test results and timings.
//
// Usage (from the module root; `make vmtest` and `make vm-shell` do this):
//
//	go run ./vmtest/cmd/xenlab [test] [flags]   boot, run the suite, report
//	go run ./vmtest/cmd/xenlab shell [flags]    boot to an interactive dom0 shell
//	go run ./vmtest/cmd/xenlab root             build or find the cached base image
//
// The exit status is 0 only when every boot reached its end and no test
// failed. See vmtest/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

var daemons = []string{"xenstored", "oxenstored"}

type config struct {
	mode         string // test, shell, root
	root         string // module root
	out          string // holds one directory per run, and "latest"
	runDir       string // this run's binaries and logs
	cache        string
	xen          string // Xen release: 4.17 (bookworm) or 4.20 (trixie)
	daemons      []string
	run          string
	suiteArgs    []string
	ldflags      string
	bootTimeout  time.Duration
	timeout      time.Duration
	suiteTimeout time.Duration
	// oxenstoredRun selects the tests of the oxenstored boot when -run is
	// not given: only tests whose result can depend on the XenStore daemon
	// need a second boot.
	oxenstoredRun string
	retries       int
	echoConsole   bool
	skipXgo       bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{mode: "test"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.mode, args = args[0], args[1:]
	}
	switch c.mode {
	case "test", "shell", "root":
	default:
		return nil, fmt.Errorf("unknown mode %q: want test, shell or root", c.mode)
	}
	fs := flag.NewFlagSet("xenlab "+c.mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	daemonList := fs.String("daemons", env("XGO_VMTEST_DAEMONS", strings.Join(daemons, ",")),
		"XenStore daemons to boot with, one boot each (shell: the first) [$XGO_VMTEST_DAEMONS]")
	fs.StringVar(&c.run, "run", env("XGO_VMTEST_RUN", ""), "run only the tests matching this regexp (go test -run) [$XGO_VMTEST_RUN]")
	fs.StringVar(&c.oxenstoredRun, "oxenstored-run", env("XGO_VMTEST_OXENSTORED_RUN", defaultOxenstoredRun),
		"without -run: the tests of the oxenstored boot (the xenstored boot runs all) [$XGO_VMTEST_OXENSTORED_RUN]")
	suiteArgs := fs.String("args", env("XGO_VMTEST_ARGS", ""), "more arguments for suite.test, space-separated [$XGO_VMTEST_ARGS]")
	fs.StringVar(&c.out, "out", "", "where each run's binaries and logs go (default MODULE/vmtest/out)")
	fs.StringVar(&c.xen, "xen", env("XGO_VMTEST_XEN", "4.17"), "Xen release to boot: 4.17 (Debian bookworm) or 4.20 (Debian trixie) [$XGO_VMTEST_XEN]")
	fs.StringVar(&c.cache, "cache", env("XGO_VMTEST_CACHE", ""), "cache for packages and the base image (default ~/.cache/xgo-vmtest) [$XGO_VMTEST_CACHE]")
	fs.StringVar(&c.ldflags, "ldflags", env("XGO_LDFLAGS", "-s -w"), "go build -ldflags for xgo [$XGO_LDFLAGS]")
	fs.DurationVar(&c.bootTimeout, "boot-timeout", 150*time.Second, "per boot: time allowed to reach dom0's /init")
	fs.DurationVar(&c.timeout, "timeout", 1320*time.Second, "per boot: time allowed for boot and suite")
	fs.DurationVar(&c.suiteTimeout, "suite-timeout", 1200*time.Second, "go test -timeout inside dom0")
	fs.IntVar(&c.retries, "retries", 1, "boot again this many times when a boot never reaches dom0")
	fs.BoolVar(&c.echoConsole, "console", false, "also stream the Xen/dom0 serial console")
	fs.BoolVar(&c.skipXgo, "skip-xgo", false, "do not build xgo (tests that need it skip); for when cmd/xgo is mid-change")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.xen != "4.17" && c.xen != "4.20" {
		return nil, fmt.Errorf("unknown Xen release %q: want 4.17 or 4.20", c.xen)
	}
	for _, d := range strings.Split(*daemonList, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if d != "xenstored" && d != "oxenstored" {
			return nil, fmt.Errorf("unknown XenStore daemon %q: want xenstored or oxenstored", d)
		}
		c.daemons = append(c.daemons, d)
	}
	if len(c.daemons) == 0 {
		return nil, errors.New("no XenStore daemon selected")
	}
	c.suiteArgs = strings.Fields(*suiteArgs)
	if c.run != "" {
		c.suiteArgs = append(c.suiteArgs, "-test.run="+c.run)
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "xenlab:", err)
		return 2
	}
	if err := c.locate(); err != nil {
		fmt.Fprintln(stderr, "xenlab:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := &printer{w: stdout}

	t0 := time.Now()
	img, err := c.baseImage(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "xenlab:", err)
		return 1
	}
	baseTime := time.Since(t0)
	out.Printf("", "xenlab: Xen %s, base image %s (%s)", c.xen, img.Dir, round(baseTime))
	if c.mode == "root" {
		if m, err := os.ReadFile(filepath.Join(img.Dir, "manifest.txt")); err == nil {
			fmt.Fprint(stdout, string(m))
		}
		return 0
	}

	t1 := time.Now()
	bins, err := c.buildBinaries(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "xenlab:", err)
		return 1
	}
	buildTime := time.Since(t1)
	out.Printf("", "xenlab: built %s (%s)", bins, round(buildTime))

	if c.mode == "shell" {
		return c.shell(img, bins, stderr)
	}

	var boots []*bootRun
	for _, d := range c.daemons {
		b := c.runBoot(ctx, img, bins, d, out)
		boots = append(boots, b)
		if ctx.Err() != nil {
			break
		}
	}
	return report(stdout, boots, timings{base: baseTime, build: buildTime, total: time.Since(t0)})
}

// locate finds the module root and fills in the default directories.
func (c *config) locate() error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == os.DevNull {
		return errors.New("run xenlab inside the xgo module")
	}
	c.root = filepath.Dir(mod)
	if c.out == "" {
		c.out = filepath.Join(c.root, "vmtest", "out")
	}
	if c.out, err = filepath.Abs(c.out); err != nil {
		return err
	}
	if strings.Contains(c.out, ",") {
		// QEMU's -initrd list is comma-separated; escaping works, but a
		// path like this is more likely a mistake.
		return fmt.Errorf("work directory %q contains a comma", c.out)
	}
	if c.cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/root" // as build-base.sh does without $HOME
		}
		c.cache = filepath.Join(home, ".cache", "xgo-vmtest")
	}
	if c.mode == "root" {
		return nil
	}
	// Each run gets its own directory, so that runs started at the same
	// time from one tree (engineers, CI) do not overwrite each other's
	// binaries and logs; "latest" points at the newest.
	name := fmt.Sprintf("%s-%s-%d", c.mode, time.Now().Format("20060102-150405"), os.Getpid())
	c.runDir = filepath.Join(c.out, name)
	if err := os.MkdirAll(filepath.Join(c.runDir, "bin"), 0o755); err != nil {
		return err
	}
	latest := filepath.Join(c.out, "latest")
	_ = os.Remove(latest)
	_ = os.Symlink(name, latest)
	pruneRuns(c.out, 6)
	return nil
}

// pruneRuns removes all but the newest keep run directories.
func pruneRuns(out string, keep int) {
	entries, err := os.ReadDir(out)
	if err != nil {
		return
	}
	var runs []string
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && (strings.HasPrefix(n, "test-") || strings.HasPrefix(n, "shell-")) {
			runs = append(runs, n)
		}
	}
	// Names sort by start time after the mode prefix.
	sort.Slice(runs, func(i, j int) bool {
		return runs[i][strings.IndexByte(runs[i], '-'):] < runs[j][strings.IndexByte(runs[j], '-'):]
	})
	for len(runs) > keep {
		_ = os.RemoveAll(filepath.Join(out, runs[0]))
		runs = runs[1:]
	}
}

// bootLock serializes lab boots on this machine: two emulated 4-CPU
// machines on 2 cores would each run slower than their timeouts allow.
func (c *config) bootLock(out *printer, label string) (unlock func(), err error) {
	if err := os.MkdirAll(c.cache, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(c.cache, ".boot.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		out.Printf(label, "waiting for another lab boot on this machine to finish (lock %s)", f.Name())
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
	}
	return func() { f.Close() }, nil
}

// baseImage runs build-base.sh, which prints the image directory last.
func (c *config) baseImage(stderr io.Writer) (image, error) {
	cmd := exec.Command("bash", filepath.Join(c.root, "vmtest", "image", "build-base.sh"))
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), "XGO_VMTEST_CACHE="+c.cache, "XGO_VMTEST_XEN="+c.xen)
	outb, err := cmd.Output()
	if err != nil {
		return image{}, fmt.Errorf("building the base image: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	img := imageAt(lines[len(lines)-1])
	for _, f := range []string{img.Xen, img.Vmlinux, img.Base} {
		if _, err := os.Stat(f); err != nil {
			return image{}, fmt.Errorf("base image incomplete: %w", err)
		}
	}
	return img, nil
}

// binaries are the per-run, freshly built static programs.
type binaries struct {
	Suite string // suite.test
	Xgo   string // "" while cmd/xgo has no main package
	Hello string // the start-up floor, vmtest/cmd/hello
	Note  string
}

func (b binaries) String() string {
	s := "suite.test"
	if b.Xgo != "" {
		s += " and xgo"
	}
	if b.Note != "" {
		s += " (" + b.Note + ")"
	}
	return s
}

func (c *config) goCmd(stderr io.Writer, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	return cmd
}

func (c *config) buildBinaries(stderr io.Writer) (binaries, error) {
	b := binaries{Suite: filepath.Join(c.runDir, "bin", "suite.test")}
	if err := c.goCmd(stderr, "test", "-c", "-tags", "xenlab", "-o", b.Suite, "./vmtest/suite").Run(); err != nil {
		return b, fmt.Errorf("building the lab suite: %w", err)
	}
	if c.skipXgo {
		b.Note = "-skip-xgo: tests needing xgo skip"
		return b, nil
	}
	// cmd/xgo may not have a main package yet.
	list := c.goCmd(stderr, "list", "-f", "{{.Name}}", "./cmd/xgo")
	list.Stdout, list.Stderr = nil, nil
	name, err := list.CombinedOutput()
	switch {
	case err != nil && strings.Contains(string(name), "no Go files"):
		b.Note = "cmd/xgo has no Go files yet: tests needing xgo skip"
		return b, nil
	case err != nil:
		return b, fmt.Errorf("go list ./cmd/xgo: %v\n%s", err, name)
	case strings.TrimSpace(string(name)) != "main":
		b.Note = "cmd/xgo is not a main package yet: tests needing xgo skip"
		return b, nil
	}
	xgo := filepath.Join(c.runDir, "bin", "xgo")
	if err := c.goCmd(stderr, "build", "-trimpath", "-ldflags", c.ldflags, "-o", xgo, "./cmd/xgo").Run(); err != nil {
		return b, fmt.Errorf("building xgo: %w", err)
	}
	b.Xgo = xgo
	// The start-up floor the suite compares xgo with: a static Go
	// "hello", built as xgo is.
	hello := filepath.Join(c.runDir, "bin", "hello")
	if err := c.goCmd(stderr, "build", "-trimpath", "-ldflags", c.ldflags, "-o", hello, "./vmtest/cmd/hello").Run(); err != nil {
		return b, fmt.Errorf("building hello: %w", err)
	}
	b.Hello = hello
	return b, nil
}

// defaultOxenstoredRun: the tests that talk to XenStore or check the boot.
// Hypercall-level tests (pcpu, cpupool, scheduler, simulator scenarios) give
// the same result whichever daemon runs, so they run on the xenstored boot
// only, which keeps the lab within its time budget. The hostile vsnd guest
// runs on both: what it can write to its own frontend directory, and when
// the backend sees it, is the daemon's business.
const defaultOxenstoredRun = `^TestXen(Dom0|DomU|Xenstore|Xgo|VsndBackendHostileGuest$)`

// suiteArgsFor returns suite.test's arguments for one daemon's boot.
func (c *config) suiteArgsFor(daemon string) []string {
	if c.run == "" && daemon == "oxenstored" && c.oxenstoredRun != "" {
		return append(append([]string(nil), c.suiteArgs...), "-test.run="+c.oxenstoredRun)
	}
	return c.suiteArgs
}

// initrd writes base.cpio followed by the per-run overlay: run.conf, the
// suite's arguments, suite.test and xgo.
func (c *config) initrd(img image, bins binaries, daemon, mode, dir string) (string, error) {
	conf := fmt.Sprintf("XGO_MODE=%s\nXGO_XENSTORED=%s\nXGO_SUITE_TIMEOUT=%s\nXGO_LAB_XEN=%s\n",
		mode, daemon, c.suiteTimeout, c.xen)
	var suiteArgs strings.Builder
	for _, a := range c.suiteArgsFor(daemon) {
		suiteArgs.WriteString(a + "\n")
	}
	entries := []cpioEntry{
		{Name: "xgo/run.conf", Mode: 0o644, Data: []byte(conf)},
		{Name: "xgo/suite.args", Mode: 0o644, Data: []byte(suiteArgs.String())},
		{Name: "xgo/suite.test", Mode: 0o755, Src: bins.Suite},
	}
	if bins.Xgo != "" {
		entries = append(entries, cpioEntry{Name: "xgo/bin/xgo", Mode: 0o755, Src: bins.Xgo})
	}
	if bins.Hello != "" {
		entries = append(entries, cpioEntry{Name: "xgo/bin/hello", Mode: 0o755, Src: bins.Hello})
	}
	path := filepath.Join(dir, "initrd.cpio")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	base, err := os.Open(img.Base)
	if err != nil {
		return "", err
	}
	defer base.Close()
	if _, err := io.Copy(f, base); err != nil {
		return "", err
	}
	if err := writeCPIO(f, entries); err != nil {
		return "", fmt.Errorf("packing the overlay: %w", err)
	}
	return path, f.Close()
}

// bootRun is one daemon's boot, after retries.
type bootRun struct {
	Daemon   string
	Attempts []*attempt
	Err      error // setting up the boot failed before QEMU ran
}

func (b *bootRun) last() *attempt {
	if len(b.Attempts) == 0 {
		return nil
	}
	return b.Attempts[len(b.Attempts)-1]
}

func (c *config) runBoot(ctx context.Context, img image, bins binaries, daemon string, out *printer) *bootRun {
	b := &bootRun{Daemon: daemon}
	dir := filepath.Join(c.runDir, daemon)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Err = err
		return b
	}
	initrd, err := c.initrd(img, bins, daemon, "test", dir)
	if err != nil {
		b.Err = err
		return b
	}
	spec := bootSpec{
		Label:       daemon,
		Dir:         dir,
		Initrd:      initrd,
		BootTimeout: c.bootTimeout,
		Timeout:     c.timeout,
		EchoConsole: c.echoConsole,
	}
	// The initramfs is 90 MB; the logs are what is worth keeping.
	defer os.Remove(initrd)
	unlock, err := c.bootLock(out, daemon)
	if err != nil {
		b.Err = err
		return b
	}
	defer unlock()
	for try := 0; try <= c.retries; try++ {
		out.Printf(daemon, "booting Xen + dom0 (attempt %d, XenStore daemon %s)", try+1, daemon)
		a := boot(ctx, img, spec, out)
		b.Attempts = append(b.Attempts, a)
		if a.ReachedDom0 || ctx.Err() != nil {
			break
		}
		out.Printf(daemon, "boot never reached dom0: %v", a.Err)
		printConsoleTail(out, daemon, a, 60)
		// Keep the failed attempt's console log next to the next one's.
		_ = os.Rename(a.ConsoleLog, fmt.Sprintf("%s.attempt%d", a.ConsoleLog, try+1))
		a.ConsoleLog = fmt.Sprintf("%s.attempt%d", a.ConsoleLog, try+1)
	}
	return b
}

func printConsoleTail(out *printer, label string, a *attempt, n int) {
	out.Printf(label, "---- last %d lines of the serial console (%s)", n, a.ConsoleLog)
	for _, l := range lastLines(a.ConsoleLog, n) {
		out.Printf(label+" console", "%s", l)
	}
	out.Printf(label, "---- end of console")
}

func (c *config) shell(img image, bins binaries, stderr io.Writer) int {
	d := c.daemons[0]
	dir := filepath.Join(c.runDir, "shell")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "xenlab:", err)
		return 1
	}
	initrd, err := c.initrd(img, bins, d, "shell", dir)
	if err != nil {
		fmt.Fprintln(stderr, "xenlab:", err)
		return 1
	}
	fmt.Fprintf(stderr, "xenlab: booting Xen + dom0 with %s; the dom0 shell comes up in ~15-30 s.\n"+
		"xenlab: leave with `exit` or `poweroff -f` (QEMU: Ctrl-a x).\n", d)
	if err := interactive(img, initrd, dir); err != nil {
		fmt.Fprintln(stderr, "xenlab: qemu:", err)
		return 1
	}
	return 0
}
