package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// image is the cached, run-independent part of the lab (build-base.sh).
type image struct {
	Dir     string
	Xen     string // uncompressed Xen ELF
	Vmlinux string // uncompressed dom0 kernel
	Base    string // dom0 root, newc cpio
}

func imageAt(dir string) image {
	return image{
		Dir:     dir,
		Xen:     filepath.Join(dir, "xen"),
		Vmlinux: filepath.Join(dir, "vmlinux"),
		Base:    filepath.Join(dir, "base.cpio"),
	}
}

// Command lines. Xen owns COM1 (QEMU's first serial port) for itself and
// dom0's hvc0; dom0 sees the second port as ttyS1 and writes the test output
// there. dom0 gets 2 of the 4 pCPUs' worth of vCPUs: tests need pCPUs 0-3.
const (
	xenCmdline = "console=com1 com1=115200,8n1 dom0_mem=768M,max:768M " +
		"loglvl=all guest_loglvl=all bootscrub=0 dom0_max_vcpus=2"
	dom0Cmdline = "console=hvc0 earlyprintk=xen rdinit=/init panic=5 quiet " +
		"rodata=off mitigations=off audit=0"
)

// qemuArgs is the QEMU command line for one boot. consoleLog receives COM1
// (Xen and dom0 console) unless interactive, when COM1 is on our terminal.
func qemuArgs(img image, initrd, consoleLog, testOut string, interactive bool) []string {
	args := []string{
		"-machine", "q35",
		"-accel", "tcg,thread=multi",
		// SMAP kills the PV dom0 at its first exception; see NOTES.md.
		"-cpu", "max,-smap",
		"-smp", "4",
		"-m", "2048",
		"-nodefaults", "-display", "none", "-no-reboot",
	}
	if interactive {
		// Ctrl-a x quits, Ctrl-a c is the QEMU monitor; Ctrl-C goes to dom0.
		args = append(args,
			"-chardev", "stdio,id=con,mux=on,signal=off",
			"-serial", "chardev:con",
			"-mon", "chardev=con,mode=readline")
	} else {
		args = append(args, "-monitor", "none", "-serial", "file:"+consoleLog)
	}
	args = append(args,
		"-serial", "file:"+testOut,
		"-kernel", img.Xen,
		"-append", xenCmdline,
		// Multiboot modules: the dom0 kernel with its command line, then
		// the initramfs. Commas separate modules, so double them inside.
		"-initrd", qemuEscape(img.Vmlinux+" "+dom0Cmdline)+","+qemuEscape(initrd),
	)
	return args
}

func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// bootSpec is one boot of the lab.
type bootSpec struct {
	Label       string // shown before each line, e.g. the daemon name
	Dir         string // where the logs of this boot go
	Initrd      string
	BootTimeout time.Duration // to reach dom0's /init
	Timeout     time.Duration // for the whole boot
	EchoConsole bool          // copy the serial console to our output live
}

// attempt is what one QEMU run produced.
type attempt struct {
	Events      map[string]labEvent
	Parser      *suiteParser
	Err         error // the lab failed (as opposed to a test failing)
	ReachedDom0 bool
	Wall        time.Duration
	ConsoleLog  string
	TestLog     string
	QemuLog     string // the command line, then QEMU's own messages
}

// event returns when the host saw ev, and whether it did.
func (a *attempt) event(ev string) (time.Duration, bool) {
	e, ok := a.Events[ev]
	return e.Host, ok
}

// boot runs QEMU once, streaming the test channel to out as it arrives.
func boot(ctx context.Context, img image, spec bootSpec, out *printer) *attempt {
	a := &attempt{
		Events:     map[string]labEvent{},
		Parser:     newSuiteParser(),
		ConsoleLog: filepath.Join(spec.Dir, "console.log"),
		TestLog:    filepath.Join(spec.Dir, "test.out"),
		QemuLog:    filepath.Join(spec.Dir, "qemu.log"),
	}
	os.Remove(a.ConsoleLog)
	os.Remove(a.TestLog)
	qlog, err := os.Create(a.QemuLog)
	if err != nil {
		a.Err = err
		return a
	}
	defer qlog.Close()

	cmd := exec.Command("qemu-system-x86_64", qemuArgs(img, spec.Initrd, a.ConsoleLog, a.TestLog, false)...)
	cmd.Stdout, cmd.Stderr = qlog, qlog
	fmt.Fprintf(qlog, "%s\n\n", shellQuote(cmd.Args))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		a.Err = fmt.Errorf("starting QEMU: %w", err)
		return a
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	tail := &fileTail{path: a.TestLog}
	ctail := &fileTail{path: a.ConsoleLog}
	line := func(s string) {
		s = strings.TrimRight(s, "\r")
		if ev, ok := parseLabLine(s); ok {
			ev.Host = time.Since(start)
			if _, seen := a.Events[ev.Name]; !seen {
				a.Events[ev.Name] = ev
			}
			if ev.Name == evDom0Up {
				a.ReachedDom0 = true
			}
			out.Printf(spec.Label, "lab: %s (at %s)", ev.Text, round(ev.Host))
			return
		}
		a.Parser.Line(s)
		out.Printf(spec.Label, "%s", s)
	}
	xen := &panicWatch{}
	poll := func() {
		tail.lines(line)
		ctail.lines(func(s string) {
			s = strings.TrimRight(s, "\r")
			xen.line(s)
			if spec.EchoConsole {
				out.Printf(spec.Label+" console", "%s", s)
			}
		})
	}

	kill := func(why error) {
		if a.Err == nil {
			a.Err = why
		}
		_ = cmd.Process.Kill()
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var qemuErr error
	cancelled := ctx.Done()
loop:
	for {
		select {
		case qemuErr = <-exited:
			break loop
		case <-cancelled:
			kill(ctx.Err())
			cancelled = nil
		case <-tick.C:
		}
		poll()
		el := time.Since(start)
		_, done := a.Events[evDone]
		switch {
		case a.Err != nil:
		case !a.ReachedDom0 && el > spec.BootTimeout:
			kill(fmt.Errorf("the boot did not reach dom0's /init within %s", spec.BootTimeout))
		case el > spec.Timeout:
			kill(fmt.Errorf("boot timed out after %s (limit for boot and suite)", spec.Timeout))
		case done && el-a.Events[evDone].Host > 30*time.Second:
			kill(errors.New("dom0 said done but QEMU did not power off within 30s"))
		case xen.panicked(time.Second):
			// Xen says it reboots in five seconds, but under QEMU
			// with -no-reboot it was seen to hang there until the
			// boot's time limit instead.
			kill(errors.New(xen.message()))
		}
	}
	a.Wall = time.Since(start)
	poll()
	tail.flush(line)

	if a.Err == nil {
		if ev, ok := a.Events[evLabError]; ok {
			a.Err = fmt.Errorf("dom0 setup failed: %s", strings.TrimPrefix(ev.Text, evLabError+" "))
		} else if _, ok := a.Events[evDone]; !ok {
			msg := "QEMU exited before dom0 finished"
			if !a.ReachedDom0 {
				msg = "QEMU exited before the boot reached dom0's /init"
			}
			if qemuErr != nil {
				msg += " (" + qemuErr.Error() + ")"
			}
			a.Err = errors.New(msg + ": Xen or the dom0 kernel probably crashed; see the console log")
		}
	}
	return a
}

// fileTail reads a file that another process appends to, line by line.
type fileTail struct {
	path string
	f    *os.File
	rest []byte
}

func (t *fileTail) lines(fn func(string)) {
	if t.f == nil {
		f, err := os.Open(t.path)
		if err != nil {
			return // QEMU has not created it yet
		}
		t.f = f
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := t.f.Read(buf)
		t.rest = append(t.rest, buf[:n]...)
		if n == 0 || err != nil {
			break
		}
	}
	for {
		i := bytes.IndexByte(t.rest, '\n')
		if i < 0 {
			return
		}
		fn(string(t.rest[:i]))
		t.rest = t.rest[i+1:]
	}
}

// flush hands over a last line that has no newline, and closes the file.
func (t *fileTail) flush(fn func(string)) {
	if len(t.rest) > 0 {
		fn(string(t.rest))
		t.rest = nil
	}
	if t.f != nil {
		t.f.Close()
	}
}

// lastLines returns up to n lines from the end of a file.
func lastLines(path string, n int) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{fmt.Sprintf("(cannot read %s: %v)", path, err)}
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(data), "\r", ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// interactive boots with the serial console on our terminal.
func interactive(img image, initrd, dir string) error {
	cmd := exec.Command("qemu-system-x86_64",
		qemuArgs(img, initrd, "", filepath.Join(dir, "test.out"), true)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

// printer prefixes lines with a label, so two boots' output stays apart.
type printer struct{ w io.Writer }

func (p *printer) Printf(label, format string, args ...any) {
	if label != "" {
		format = "[" + label + "] " + format
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// panicWatch reads the hypervisor's console for a Xen panic, so that a
// boot whose Xen died ends at once with the reason rather than at its
// time limit.
type panicWatch struct {
	at     time.Time // when "Panic on CPU" was seen; zero if never
	header string    // "Panic on CPU 3:"
	reason string    // the line after the banner, e.g. "FATAL PAGE FAULT"
	rip    string    // the call trace's first frame (the faulting function)
	banner bool      // inside the "****" banner after the panic line
}

func (w *panicWatch) line(s string) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "(XEN)"))
	switch {
	case w.at.IsZero() && strings.Contains(s, "] R ") && strings.HasPrefix(s, "[<"):
		// A call trace's first frame, "[<addr>] R func+off/len": keep the
		// last one seen before the panic.
		w.rip = s[strings.Index(s, "] R ")+4:]
	case strings.HasPrefix(s, "Panic on CPU") && w.at.IsZero():
		w.at, w.header, w.banner = time.Now(), s, true
	case w.banner && w.reason == "" && s != "" && !strings.HasPrefix(s, "****"):
		w.reason = s
	}
}

// panicked reports whether Xen panicked at least grace ago (the banner's
// remaining lines have had time to arrive).
func (w *panicWatch) panicked(grace time.Duration) bool {
	return !w.at.IsZero() && time.Since(w.at) >= grace
}

func (w *panicWatch) message() string {
	msg := "Xen panicked (" + strings.TrimSuffix(w.header, ":")
	if w.reason != "" {
		msg += ": " + w.reason
	}
	if w.rip != "" {
		msg += " in " + w.rip
	}
	return msg + "); see the console log and docs/xen-behaviour.md"
}
