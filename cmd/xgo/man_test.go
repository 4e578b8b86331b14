//go:build manpages

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"xgo.dev/xgo/internal/manpage"
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

// TestManExitStatusAndEnvironment: every page, the root's and each
// command's, has EXIT STATUS with every code and ENVIRONMENT with every
// variable xgo reads (found in the module's sources, so a new one cannot
// be left out).
func TestManExitStatusAndEnvironment(t *testing.T) {
	t.Parallel()
	vars := map[string]bool{}
	re := regexp.MustCompile(`"(XGO[A-Z_]*|XENSTORED_PATH|XDG_STATE_HOME)"`)
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "vmtest" || d.Name() == "bin" || strings.HasPrefix(d.Name(), ".")) && path != "../.." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			vars[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) < 5 {
		t.Fatalf("found only %v in the sources", vars)
	}
	for name, page := range manpage.Pages(newApp(testDeps(t)), manInfo()) {
		exit, env, ok := strings.Cut(page, ".SH ENVIRONMENT\n")
		if !ok || !strings.Contains(exit, ".SH EXIT STATUS\n") {
			t.Errorf("%s lacks EXIT STATUS or ENVIRONMENT", name)
			continue
		}
		_, exit, _ = strings.Cut(exit, ".SH EXIT STATUS\n")
		for code := 0; code <= 5; code++ {
			if !strings.Contains(exit, fmt.Sprintf(".TP\n.B %d\n", code)) {
				t.Errorf("%s: EXIT STATUS lacks %d", name, code)
			}
		}
		for v := range vars {
			if !strings.Contains(env, ".B "+v+"\n") {
				t.Errorf("%s: ENVIRONMENT lacks %s", name, v)
			}
		}
	}
}
