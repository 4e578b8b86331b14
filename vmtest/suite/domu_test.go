//go:build xenlab

package suite

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The probe runs inside the domU: it shows that a binary from dom0 runs
// there and that its stdout, stderr, arguments and exit code come back.
var _ = RegisterDomUFunc("probe", func(args []string) int {
	hv, _ := os.ReadFile("/sys/hypervisor/type")
	domid, err := exec.Command("xenstore-read", "domid").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: xenstore-read domid: %v\n", err)
		return 1
	}
	_, err = os.Stat("/sys/module/snd_xen_front")
	fmt.Printf("probe: in-domu=%v hypervisor=%s domid=%s snd_xen_front=%v args=%s\n", InDomU(),
		strings.TrimSpace(string(hv)), strings.TrimSpace(string(domid)), err == nil, strings.Join(args, "|"))
	fmt.Fprintln(os.Stderr, "probe: this is stderr")
	return 3
})

// TestXenDomURoundTrip starts the lab's tiny PV domU, sees it in xl list,
// gets the output of a program run inside it back to dom0, and destroys it.
func TestXenDomURoundTrip(t *testing.T) {
	d, r := RunFuncInDomU(t, DomUOptions{Modules: []string{"snd-xen-front"}}, "probe", "a b", "c")
	t.Logf("domU %s (domid %d) ran the probe:\n%s", d.Name, d.ID, r)

	if r.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", r.ExitCode)
	}
	want := fmt.Sprintf("probe: in-domu=true hypervisor=xen domid=%d snd_xen_front=true args=a b|c\n", d.ID)
	if r.Stdout != want {
		t.Errorf("stdout = %q, want %q", r.Stdout, want)
	}
	if r.Stderr != "probe: this is stderr\n" {
		t.Errorf("stderr = %q", r.Stderr)
	}

	list := MustRun(t, "xl", "list")
	if !strings.Contains(list, d.Name) {
		t.Errorf("xl list does not show %s:\n%s", d.Name, list)
	}
	// The domU wrote its progress into its own XenStore home over its own
	// connection (/dev/xen/xenbus).
	if got := XenstoreRead(t, d.Path("data/xgo-state")); got != "done" {
		t.Errorf("%s = %q, want done", d.Path("data/xgo-state"), got)
	}
	if got := XenstoreRead(t, d.Path("name")); got != d.Name {
		t.Errorf("%s = %q, want %s", d.Path("name"), got, d.Name)
	}

	d.Destroy(t)
	if list := MustRun(t, "xl", "list"); strings.Contains(list, d.Name) {
		t.Errorf("xl list still shows %s after destroy:\n%s", d.Name, list)
	}
}
