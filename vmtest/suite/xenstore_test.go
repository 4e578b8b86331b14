//go:build xenlab

package suite

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"xgo.dev/xgo/internal/conformance"
	"xgo.dev/xgo/xenstore"
)

// The XenStore conformance suite (package internal/conformance) on the
// real daemon of this boot: every scenario's transcript must equal the
// committed one (generated from the in-process daemon), with the
// scenario's overrides for this daemon applied.
//
// dom0's connections are the daemon's socket. The guest's connection is a
// real one: /dev/xen/xenbus inside a lab domU, where this test binary runs
// as an agent (RegisterDomUFunc) and executes the operations the
// scenarios send it over the domU's console, raw mode, one base64 line
// per request and per result.

const (
	xsAgentFunc = "xenstore-conformance-agent"
	xsConsole   = "/dev/hvc0"
)

var _ = RegisterDomUFunc(xsAgentFunc, func(args []string) int {
	// Never outlive the test that drives us.
	time.AfterFunc(90*time.Second, func() {
		fmt.Fprintln(os.Stderr, "agent: no quit request within 90s")
		os.Exit(4)
	})
	con, err := os.OpenFile(xsConsole, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "agent: %v\n", err)
		return 2
	}
	fmt.Println("agent: console open")
	if err := makeRaw(con); err != nil {
		fmt.Fprintf(os.Stderr, "agent: raw mode on %s: %v\n", xsConsole, err)
		return 2
	}
	tap := conformance.NewTap()
	c, err := xenstore.DialXenbus(xenstore.XenbusPath, &xenstore.Config{Trace: tap})
	if err != nil {
		fmt.Fprintf(os.Stderr, "agent: %v\n", err)
		return 2
	}
	ex := conformance.NewExecutor(c, tap)
	defer ex.Close()
	start := time.Now()
	err = conformance.ServeAgent(context.Background(), con, con, ex)
	fmt.Printf("agent: served for %s: %v\n", time.Since(start).Round(time.Millisecond), err)
	if err != nil {
		fmt.Fprintf(os.Stderr, "agent: last trace lines:\n%s\n", strings.Join(tap.Recent(), "\n"))
		return 1
	}
	return 0
})

// makeRaw puts a terminal in raw mode (cfmakeraw): no echo, no line
// editing or length limit, no character translation.
func makeRaw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			serr = err
			return
		}
		tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		tio.Cflag &^= unix.CSIZE | unix.PARENB
		tio.Cflag |= unix.CS8
		tio.Cc[unix.VMIN] = 1
		tio.Cc[unix.VTIME] = 0
		serr = unix.IoctlSetTermios(int(fd), unix.TCSETS, tio)
	})
	if err != nil {
		return err
	}
	return serr
}

func dialXenstored() (io.ReadWriteCloser, error) { return net.Dial("unix", xenstore.SocketPath) }

// xsRun is what the driver collected: each scenario's transcript or the
// harness error that stopped it.
type xsRun struct {
	logf        func(format string, args ...any)
	transcripts map[string]string
	errs        map[string]error
	domUWatches int
	took        map[string]time.Duration
}

// runDom0Scenarios runs the scenarios that need no domU. They run before
// the agent's domU is created, not beside it: the watch scenario watches
// @introduceDomain, and the domU's introduction would fire it at a step
// the transcript does not expect (seen in the lab).
func runDom0Scenarios(ctx context.Context, logf func(string, ...any)) *xsRun {
	run := &xsRun{logf: logf, transcripts: map[string]string{}, errs: map[string]error{}, took: map[string]time.Duration{}}
	env := &conformance.Env{Daemon: Daemon(), DialDom0: dialXenstored}
	// Likewise a domain of an earlier test still dying would fire
	// @releaseDomain: wait for Domain-0 to be alone.
	quiet := time.Now()
	for {
		out, err := exec.Command("xl", "list").Output()
		if err == nil && strings.Count(strings.TrimSpace(string(out)), "\n") == 1 {
			break
		}
		if time.Since(quiet) > 30*time.Second {
			logf("other domains are still listed after 30s; the watch scenario may see their events:\n%s", out)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t0 := time.Now()
	for _, sc := range conformance.Scenarios() {
		if sc.DomU {
			continue
		}
		start := time.Now()
		run.transcripts[sc.Name], run.errs[sc.Name] = conformance.Run(ctx, sc, env)
		run.took[sc.Name] = time.Since(start)
		run.logf("scenario %s: %s, error %v", sc.Name, run.took[sc.Name].Round(time.Millisecond), run.errs[sc.Name])
	}
	run.logf("dom0 scenarios: %s", time.Since(t0).Round(time.Millisecond))
	return run
}

// driveScenarios waits for the agent in the domU called name and runs the
// guest scenarios through it, adding to run. It does not touch t: it runs
// beside RunFuncInDomU.
func driveScenarios(ctx context.Context, name string, run *xsRun) *xsRun {
	env := &conformance.Env{Daemon: Daemon(), DialDom0: dialXenstored}
	var guest []*conformance.Scenario
	for _, sc := range conformance.Scenarios() {
		if sc.DomU {
			guest = append(guest, sc)
		}
	}

	fail := func(err error) *xsRun {
		run.logf("guest scenarios not run: %v", err)
		exec.Command("xl", "destroy", name).Run() // the agent waits for nobody
		for _, sc := range guest {
			run.errs[sc.Name] = err
		}
		return run
	}
	t1 := time.Now()
	remote, id, closeCon, err := connectAgent(ctx, name, run)
	if err != nil {
		return fail(err)
	}
	defer closeCon()
	run.logf("agent in domU %d answered after %s", id, time.Since(t1).Round(time.Millisecond))
	k, err := domainWatches(ctx, id)
	if err != nil {
		remote.Do(ctx, conformance.Op{Kind: conformance.OpQuit})
		return fail(err)
	}
	run.domUWatches = k
	env.DomU, env.DomUID, env.DomUWatches = remote, id, k
	for _, sc := range guest {
		start := time.Now()
		run.transcripts[sc.Name], run.errs[sc.Name] = conformance.Run(ctx, sc, env)
		run.took[sc.Name] = time.Since(start)
		run.logf("scenario %s: %s, error %v", sc.Name, run.took[sc.Name].Round(time.Millisecond), run.errs[sc.Name])
	}
	remote.Do(ctx, conformance.Op{Kind: conformance.OpQuit})
	return run
}

// connectAgent waits for the domU, opens its console (the pty xenconsoled
// gives it) and waits until the agent answers.
func connectAgent(ctx context.Context, name string, run *xsRun) (*conformance.Remote, uint32, func(), error) {
	deadline := time.Now().Add(110 * time.Second)
	for {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, 0, nil, fmt.Errorf("no agent answered in domU %s within 110s", name)
		}
		id, tty, ok := domUConsole(name)
		if !ok {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		run.logf("domU %s is domain %d, console %s", name, id, tty)
		remote, closeCon, err := handshake(ctx, name, id, tty, run)
		if err == nil {
			return remote, id, closeCon, nil
		}
		run.logf("%v", err)
	}
}

// domUConsole finds the domain called name and its console's pty.
func domUConsole(name string) (uint32, string, bool) {
	out, err := exec.Command("xl", "domid", name).Output()
	if err != nil {
		return 0, "", false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 32)
	if err != nil {
		return 0, "", false
	}
	p, err := exec.Command("xenstore-read", fmt.Sprintf("/local/domain/%d/console/tty", n)).Output()
	if err != nil || strings.TrimSpace(string(p)) == "" {
		return 0, "", false
	}
	return uint32(n), strings.TrimSpace(string(p)), true
}

// handshake opens the console and waits until the agent answers, as long
// as the domain is still the one called name.
func handshake(ctx context.Context, name string, id uint32, tty string, run *xsRun) (*conformance.Remote, func(), error) {
	con, err := os.OpenFile(tty, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := makeRaw(con); err != nil {
		con.Close()
		return nil, nil, fmt.Errorf("raw mode on %s: %w", tty, err)
	}
	var mu sync.Mutex
	noise := 0
	remote := conformance.NewRemote(bufio.NewReader(con), con)
	remote.Noise = func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if noise++; noise <= 100 {
			run.logf("console: %q", line)
		}
	}
	// The agent starts once the domU's init is up; until it has the
	// console in raw mode our requests may be lost.
	remote.Timeout = 2 * time.Second
	for ctx.Err() == nil {
		r := remote.Do(ctx, conformance.Op{Kind: conformance.OpSync})
		if !strings.HasPrefix(r.Text, "harness:") {
			remote.Timeout = 60 * time.Second
			return remote, func() { con.Close() }, nil
		}
		if now, _, ok := domUConsole(name); !ok || now != id {
			break
		}
	}
	con.Close()
	return nil, nil, fmt.Errorf("domain %d (%s) went away before its agent answered", id, name)
}

// domainWatches asks the daemon how many watches domain id holds (its
// kernel registers a few): C xenstored's "quota ID" control command,
// oxenstored's "watches" listing.
func domainWatches(ctx context.Context, id uint32) (int, error) {
	c, err := xenstore.DialSocket(xenstore.SocketPath, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if Daemon() == "oxenstored" {
		out, err := c.Control(ctx, "watches")
		if err != nil {
			return 0, fmt.Errorf("oxenstored control watches: %w", err)
		}
		n := 0
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, fmt.Sprintf("watch D%d:", id)) {
				n++
			}
		}
		return n, nil
	}
	out, err := c.Control(ctx, "quota", strconv.FormatUint(uint64(id), 10))
	if err != nil {
		return 0, fmt.Errorf("xenstored control quota %d: %w", id, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.TrimSpace(k) == "watches" {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no watch count in %q", out)
}

// runAgentDomU is RunFuncInDomU for the agent, with one more try when
// the lab itself failed (domu-run's exit 125: the domU did not start).
// xl create occasionally dies in the lab: libxl's monitoring child once
// aborted with "malloc(): unsorted double linked list corrupted". The
// driver finds the domain again by name.
func runAgentDomU(t *testing.T, opts DomUOptions) (Result, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		return Result{}, err
	}
	t.Cleanup(func() { exec.Command("xl", "destroy", opts.Name).Run() })
	for attempt := 1; ; attempt++ {
		begun := time.Now()
		env := opts.env(t)
		out := t.TempDir()
		r := runEnv(t, 2*opts.Timeout+30*time.Second, env, "/xgo/domu-run",
			"-k", "-o", out, opts.Name, self, "-lab.domu-func="+xsAgentFunc, "--")
		rcText, err := os.ReadFile(filepath.Join(out, "rc"))
		if r.ExitCode == 0 && err == nil {
			stdout, _ := os.ReadFile(filepath.Join(out, "stdout"))
			stderr, _ := os.ReadFile(filepath.Join(out, "stderr"))
			rc, err := strconv.Atoi(strings.TrimSpace(string(rcText)))
			if err != nil {
				return r, fmt.Errorf("domu-run wrote a bad exit code %q", rcText)
			}
			return Result{Cmd: "(in domU " + opts.Name + ") agent", Stdout: string(stdout), Stderr: string(stderr), ExitCode: rc}, nil
		}
		exec.Command("xl", "destroy", opts.Name).Run()
		// Only a quick failure (xl create died) is worth a second domU
		// within the boot's time budget.
		if attempt == 2 || time.Since(begun) > 40*time.Second {
			return r, fmt.Errorf("running the agent in domU %s failed (attempt %d):\n%s", opts.Name, attempt, r)
		}
		t.Logf("running the agent in domU %s failed, trying once more:\n%s", opts.Name, r)
	}
}

// TestXenXenstoreConformance runs the conformance suite on this boot's
// daemon: dom0 scenarios over the socket, guest scenarios from inside one
// domU over its xenbus device.
func TestXenXenstoreConformance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	name := "xgo-xenstore-conformance"
	done := make(chan *xsRun, 1)
	dom0 := runDom0Scenarios(ctx, t.Logf)
	go func() { done <- driveScenarios(ctx, name, dom0) }()
	var run *xsRun
	// However this test ends (runEnv may call t.Fatal), the driver has
	// finished before it does: it logs through t.
	t.Cleanup(func() {
		cancel()
		if run == nil {
			run = <-done
		}
	})
	start := time.Now()
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile("/var/log/xen/console/guest-" + name + ".log"); err == nil {
				t.Logf("the domU's console:\n%s", b)
			}
		}
	})
	r, err := runAgentDomU(t, DomUOptions{Name: name, Timeout: 60 * time.Second})
	run = <-done
	t.Logf("daemon %s: scenarios and domU took %s; the domain had %d watches of its kernel", Daemon(),
		time.Since(start).Round(time.Millisecond), run.domUWatches)
	switch {
	case err != nil:
		t.Errorf("%v", err)
	case r.ExitCode != 0:
		t.Errorf("the agent in the domU failed:\n%s", r)
	default:
		t.Logf("agent: %s", strings.TrimSpace(r.Stdout))
	}
	exec.Command("xl", "destroy", name).Run()

	for _, sc := range conformance.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			got := run.transcripts[sc.Name]
			if err := run.errs[sc.Name]; err != nil {
				t.Fatalf("%v\ntranscript so far:\n%s", err, got)
			}
			t.Logf("%s", run.took[sc.Name].Round(time.Millisecond))
			if report := conformance.Check(sc, Daemon(), got); report != "" {
				t.Errorf("%s\nfull transcript:\n%s", report, got)
			}
		})
	}
}
