package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// The console of a lab boot in which Xen 4.17.7 crashed in csched_tick
// (docs/xen-behaviour.md), from the hypervisor's register dump on.
func TestPanicWatchNamesTheCrash(t *testing.T) {
	b, err := os.ReadFile("testdata/xen-panic-console.txt")
	if err != nil {
		t.Fatal(err)
	}
	w := &panicWatch{}
	for _, l := range strings.Split(string(b), "\n") {
		w.line(l)
	}
	if w.at.IsZero() {
		t.Fatal("the panic was not seen")
	}
	if w.panicked(time.Hour) {
		t.Error("panicked before its grace time")
	}
	want := "Xen panicked (Panic on CPU 3: FATAL PAGE FAULT in common/sched/credit.c#csched_tick+0x44/0x440); see the console log and docs/xen-behaviour.md"
	if got := w.message(); got != want {
		t.Errorf("message\n got %s\nwant %s", got, want)
	}
}

func TestPanicWatchQuietConsole(t *testing.T) {
	w := &panicWatch{}
	for _, l := range []string{
		"(XEN) Xen call trace:",
		"(XEN)    [<ffff82d040246374>] R common/sched/credit.c#csched_tick+0x44/0x440",
		"(XEN) *** Dumping CPU0 host state: ***",
		"[    1.234] Kernel panic is not a Xen panic",
	} {
		w.line(l)
	}
	if w.panicked(0) {
		t.Errorf("a console without a Xen panic was taken for one: %s", w.message())
	}
}
