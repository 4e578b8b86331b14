package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// productTags are the build tags of the product binary; the Makefile's
// BUILD_TAGS must say the same (TestInitBudget checks it).
const productTags = "urfave_cli_no_docs"

// initBudget is the most the package initialisers of the product binary
// may allocate, in bytes. Every xgo command pays it before main runs, and
// in a PV dom0 each page it touches is a trip through Xen. Measured at
// 108 KB (yaml.v3 26 KB, tablewriter's regexps 22 KB and the unicode
// tables they pull 11 KB, go-runewidth 8 KB, completion 8 KB, the rest
// under 5 KB each); it was 1.06 MB with tablewriter v1 and urfave/cli's
// docs.
const initBudget = 120 << 10

// heavyAtInit are packages known to be expensive at init that the
// product must not link again.
var heavyAtInit = []string{
	"github.com/russross/blackfriday",       // urfave/cli's docs: 214 KB at init
	"github.com/cpuguy83/go-md2man",         // the same
	"github.com/olekukonko/tablewriter/pkg", // tablewriter v1's width tables: 663 KB
	"github.com/olekukonko/errors",          // tablewriter v1
	"github.com/olekukonko/ll",              // tablewriter v1
	"github.com/fatih/color",                // tablewriter v1
}

// initLine is one line of GODEBUG=inittrace=1: "init PKG @T ms, D ms
// clock, B bytes, A allocs".
var initLine = regexp.MustCompile(`^init (\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`)

// TestInitBudget builds xgo as the Makefile does and runs `xgo version`
// with GODEBUG=inittrace=1: package initialisers must allocate at most
// initBudget bytes, and none of heavyAtInit may be linked. Allocation
// counts, not times: the test cannot depend on the machine's speed.
func TestInitBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the product is built for Linux")
	}
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^BUILD_TAGS\s*:=\s*` + regexp.QuoteMeta(productTags) + `\s*$`).Match(mk) {
		t.Fatalf("the Makefile's BUILD_TAGS is not %q: the product and this test would measure different binaries", productTags)
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "xgo")
	cmd := exec.Command(gobin, "build", "-trimpath", "-tags", productTags, "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.Command(bin, "version")
	run.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("xgo version: %v\n%s", err, out)
	}
	total, lines := 0, 0
	var top []string
	for _, l := range strings.Split(string(out), "\n") {
		m := initLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		lines++
		n, _ := strconv.Atoi(m[2])
		total += n
		if n >= 4096 {
			top = append(top, m[1]+" "+m[2])
		}
		for _, h := range heavyAtInit {
			if strings.HasPrefix(m[1], h) {
				t.Errorf("%s is linked again (%s bytes at init)", m[1], m[2])
			}
		}
	}
	if lines == 0 {
		t.Fatalf("no inittrace lines in xgo version's output:\n%s", out)
	}
	if total > initBudget {
		t.Errorf("package inits allocate %d bytes, budget %d; the largest: %s", total, initBudget, strings.Join(top, ", "))
	}
	t.Logf("package inits: %d bytes in %d packages; the largest: %s", total, lines, strings.Join(top, ", "))
}
