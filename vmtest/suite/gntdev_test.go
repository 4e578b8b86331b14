//go:build xenlab

package suite

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/hypercall"
)

// The grant-mapping test plays both ends of a PV device: inside a domU
// the "gnt-frontend" function grants pages to dom0 with gntalloc and
// offers an unbound event channel, as a frontend does; in dom0 the test
// maps them with hypercall.Gntdev, as xgo's vsnd backend does.

const gntPages = 3

// gntPattern is the byte the frontend writes at offset i of its pages.
func gntPattern(i int) byte { return byte(i*7 + i/4096*13 + 1) }

var _ = RegisterDomUFunc("gnt-frontend", func(args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "gnt-frontend: "+format+"\n", a...)
		return 1
	}
	a, err := hypercall.OpenGntalloc()
	if err != nil {
		return fail("%v", err)
	}
	defer a.Close()
	gr, err := a.Alloc(0, gntPages, true)
	if err != nil {
		return fail("%v", err)
	}
	mem := gr.Bytes()
	for i := range mem {
		mem[i] = gntPattern(i)
	}
	e, err := hypercall.OpenEvtchn()
	if err != nil {
		return fail("%v", err)
	}
	defer e.Close()
	port, err := e.BindUnboundPort(0)
	if err != nil {
		return fail("%v", err)
	}
	var refs []string
	for _, r := range gr.Refs() {
		refs = append(refs, strconv.FormatUint(uint64(r), 10))
	}
	xsw := func(k, v string) error {
		out, err := exec.Command("xenstore-write", "data/xgo-gnt/"+k, v).CombinedOutput()
		if err != nil {
			return fmt.Errorf("xenstore-write %s: %v %s", k, err, out)
		}
		return nil
	}
	for _, kv := range [][2]string{{"refs", strings.Join(refs, ",")}, {"port", strconv.FormatUint(uint64(port), 10)}, {"state", "ready"}} {
		if err := xsw(kv[0], kv[1]); err != nil {
			return fail("%v", err)
		}
	}
	wait := func(what string) error {
		e.SetReadDeadline(time.Now().Add(60 * time.Second))
		ports, err := e.Pending()
		if err != nil {
			return fmt.Errorf("waiting for %s: %v", what, err)
		}
		if len(ports) != 1 || ports[0] != port {
			return fmt.Errorf("waiting for %s: ports %v fired, want [%d]", what, ports, port)
		}
		return e.Unmask(ports...)
	}
	// dom0 maps the pages, checks them, writes every byte's complement
	// and notifies.
	if err := wait("dom0's notify"); err != nil {
		return fail("%v", err)
	}
	for i := range mem {
		if mem[i] != ^gntPattern(i) {
			return fail("byte %d (page %d) = %#02x after dom0's notify, want %#02x", i, i/4096, mem[i], ^gntPattern(i))
		}
	}
	fmt.Printf("event on port %d; dom0 wrote all %d bytes\n", port, len(mem))
	if err := xsw("state", "checked"); err != nil {
		return fail("%v", err)
	}
	// dom0 then arms an unmap notification (clear byte 5, send an event)
	// and unmaps.
	if err := wait("the unmap notification"); err != nil {
		return fail("%v", err)
	}
	if mem[5] != 0 || mem[6] != ^gntPattern(6) {
		return fail("after dom0's unmap: byte 5 = %#02x (want 0), byte 6 = %#02x", mem[5], mem[6])
	}
	fmt.Println("unmap notification: byte cleared, event received")
	if err := gr.Free(); err != nil {
		return fail("%v", err)
	}
	return 0
})

// TestXenGntdevMapDomUPages maps a domU's granted pages in dom0 with
// hypercall.Gntdev, checks their bytes both ways and the interdomain
// event channel, that a bad grant reference fails cleanly and maps
// nothing, and the unmap notification.
func TestXenGntdevMapDomUPages(t *testing.T) {
	if Daemon() != "xenstored" {
		t.Skip("the grant device does not depend on the XenStore daemon")
	}
	d, result := StartFuncInDomU(t, DomUOptions{Modules: []string{"xen-gntalloc", "xen-evtchn"}}, "gnt-frontend")
	home := d.Path("data/xgo-gnt")
	waitXenstore(t, home+"/state", "ready", 60*time.Second)
	var refs []uint32
	for _, s := range strings.Split(XenstoreRead(t, home+"/refs"), ",") {
		r, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			t.Fatalf("refs %q: %v", s, err)
		}
		refs = append(refs, uint32(r))
	}
	remote, err := strconv.ParseUint(XenstoreRead(t, home+"/port"), 10, 32)
	if err != nil || len(refs) != gntPages {
		t.Fatalf("the frontend published refs %v, port %d (%v)", refs, remote, err)
	}

	g, err := hypercall.OpenGntdev()
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	start := time.Now()
	m, err := g.Map(uint32(d.ID), refs, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("mapped %d pages of domain %d (refs %v) in %v", len(refs), d.ID, refs, time.Since(start))
	defer m.Unmap()
	mem := m.Bytes()
	if len(mem) != gntPages*4096 {
		t.Fatalf("mapping of %d bytes", len(mem))
	}
	for i := range mem {
		if mem[i] != gntPattern(i) {
			t.Fatalf("byte %d (page %d) = %#02x, want %#02x", i, i/4096, mem[i], gntPattern(i))
		}
	}

	// A bad reference among good ones fails the whole map and leaves
	// nothing behind; the good mapping is untouched.
	for _, bad := range [][]uint32{{refs[0], 1 << 20}, {0xfffffff0}} {
		bm, err := g.Map(uint32(d.ID), bad, false)
		var oe *hypercall.OpError
		if err == nil || !errors.As(err, &oe) {
			if bm != nil {
				bm.Unmap()
			}
			t.Errorf("mapping refs %v = %v, want an *OpError", bad, err)
			continue
		}
		t.Logf("refs %v: %v", bad, err)
	}
	// And a domain that does not exist.
	if _, err := g.Map(31000, refs[:1], false); err == nil {
		t.Errorf("mapping a grant of domain 31000 succeeded")
	} else {
		t.Logf("domain 31000: %v", err)
	}
	if n := g.MappedPages(); n != gntPages {
		t.Errorf("MappedPages = %d after the failed maps, want %d", n, gntPages)
	}
	if mem[4096] != gntPattern(4096) {
		t.Errorf("the failed maps disturbed the good one")
	}

	// The cost of one map + unmap of the 3 pages, as the backend pays it
	// for a guest's buffers (docs/perf.md).
	const rounds = 200
	start = time.Now()
	for range rounds {
		rm, err := g.Map(uint32(d.ID), refs, false)
		if err != nil {
			t.Fatal(err)
		}
		if rm.Bytes()[8191] != gntPattern(8191) {
			t.Fatalf("a read-only mapping reads %#02x at 8191", rm.Bytes()[8191])
		}
		if err := rm.Unmap(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("PERF gntdev: Map+Unmap of %d pages: %v per round (%d rounds)", len(refs), time.Since(start)/rounds, rounds)
	if n := g.MappedPages(); n != gntPages {
		t.Errorf("MappedPages = %d after %d map/unmap rounds, want %d", n, rounds, gntPages)
	}

	for i := range mem {
		mem[i] = ^mem[i]
	}
	e, err := hypercall.OpenEvtchn()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	local, err := e.BindInterdomain(uint32(d.ID), uint32(remote))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Notify(local); err != nil {
		t.Fatal(err)
	}
	waitXenstore(t, home+"/state", "checked", 60*time.Second)

	if err := m.NotifyOnUnmap(5, local, true); err != nil {
		t.Fatal(err)
	}
	if err := m.Unmap(); err != nil {
		t.Fatal(err)
	}
	if err := m.Unmap(); err != nil {
		t.Errorf("second Unmap: %v", err)
	}
	if n := g.MappedPages(); n != 0 {
		t.Errorf("MappedPages = %d after Unmap", n)
	}
	r := result(t)
	t.Logf("domU said:\n%s", r)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "unmap notification: byte cleared, event received") {
		t.Errorf("the frontend did not see everything:\n%s", r)
	}
}

// waitXenstore polls path until it reads want, failing the test after
// limit.
func waitXenstore(t *testing.T, path, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, err := exec.Command("xenstore-read", path).Output()
		if err == nil && strings.TrimSpace(string(out)) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not %q after %v (last: %q, %v)", path, want, limit, out, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartFuncInDomU is RunFuncInDomU without the wait: it boots a domU
// that runs the function registered as name (this test binary is the
// payload) and returns once the domU's init is up, so the test can talk
// to the function while it runs. result waits (opts.Timeout) for the
// function to end and returns what it printed and its exit code.
func StartFuncInDomU(t *testing.T, opts DomUOptions, name string, args ...string) (*DomU, func(testing.TB) Result) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	stage := t.TempDir()
	if err := os.MkdirAll(filepath.Join(stage, "root/xgo-run"), 0o755); err != nil {
		t.Fatal(err)
	}
	MustRun(t, "cp", self, filepath.Join(stage, "root/xgo-run/payload"))
	argv := append([]string{"-lab.domu-func=" + name, "--"}, args...)
	if err := os.WriteFile(filepath.Join(stage, "root/xgo-run/args"), []byte(strings.Join(argv, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cpio := filepath.Join(stage, "payload.cpio")
	MustRun(t, "sh", "-c", "cd "+filepath.Join(stage, "root")+" && find . | cpio -o -H newc >"+cpio+" 2>/dev/null")
	opts.Initramfs = cpio
	d := StartDomU(t, opts)
	limit := opts.Timeout
	if limit == 0 {
		limit = 120 * time.Second
	}
	return d, func(t testing.TB) Result {
		t.Helper()
		deadline := time.Now().Add(limit)
		log := "/var/log/xen/console/guest-" + d.Name + ".log"
		for {
			b, _ := os.ReadFile(log)
			text := strings.ReplaceAll(string(b), "\r", "")
			if i := strings.Index(text, "\nXGO-DOMU-EXIT rc="); i >= 0 {
				rcLine, _, _ := strings.Cut(text[i+len("\nXGO-DOMU-EXIT rc="):], "\n")
				rc, err := strconv.Atoi(strings.TrimSpace(rcLine))
				if err != nil {
					t.Fatalf("bad exit line %q in %s", rcLine, log)
				}
				return Result{
					Cmd:      fmt.Sprintf("(in domU %s) %s", d.Name, name),
					Stdout:   decodeDomUStream(t, text, "XGO-DOMU-1:"),
					Stderr:   decodeDomUStream(t, text, "XGO-DOMU-2:"),
					ExitCode: rc,
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no result from %s in domU %s after %v; console:\n%s", name, d.Name, limit, tail(text, 40))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func decodeDomUStream(t testing.TB, console, prefix string) string {
	var sb strings.Builder
	for _, l := range strings.Split(console, "\n") {
		if s, ok := strings.CutPrefix(l, prefix); ok {
			sb.WriteString(strings.TrimSpace(s))
		}
	}
	b, err := base64.StdEncoding.DecodeString(sb.String())
	if err != nil {
		t.Errorf("decoding %s lines: %v", prefix, err)
	}
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
