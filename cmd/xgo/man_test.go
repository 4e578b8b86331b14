package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestManPages generates the pages as "make man" does and renders each
// with groff, failing on any warning; man(1) renders the one the issue
// names.
func TestManPages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if r := runXgo(t, testDeps(t), "__man", dir); r.code != 0 || r.stderr != "" {
		t.Fatalf("xgo __man: %+v", r)
	}
	for _, want := range []string{"xgo.1", "xgo-cpupool-cpu-move.1", "xgo-xenstore-read.1", "xgo-pcpu-online.1", "xgo-completion.1"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("no page %s: %v", want, err)
		}
	}
	for _, unwanted := range []string{"xgo-__man.1", "xgo-help.1"} {
		if _, err := os.Stat(filepath.Join(dir, unwanted)); err == nil {
			t.Errorf("page %s generated for a hidden command", unwanted)
		}
	}
	groff := needTool(t, "groff")
	pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	if len(pages) < 20 {
		t.Fatalf("only %d pages", len(pages))
	}
	for _, p := range pages {
		out, err := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", p).CombinedOutput()
		if err != nil || len(out) != 0 {
			t.Errorf("groff %s: %v\n%s", filepath.Base(p), err, out)
		}
		data, _ := os.ReadFile(p)
		if base := filepath.Base(p); base != "xgo.1" && !strings.Contains(string(data), ".SH EXAMPLES") && !strings.Contains(string(data), ".SH COMMANDS") {
			t.Errorf("%s has neither examples nor subcommands", base)
		}
	}
	man := needTool(t, "man")
	cmd := exec.Command(man, "-l", filepath.Join(dir, "xgo-cpupool-cpu-move.1"))
	cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=80")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("man -l: %v", err)
	}
	for _, want := range []string{"xgo-cpupool-cpu-move - Move cpus", "SYNOPSIS", "xgo cpupool-cpu-move <cpu-list> <pool>", "EXAMPLES", "xgo cpupool-cpu-move 2-3 rt"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("man -l output lacks %q:\n%s", want, out)
		}
	}
}
