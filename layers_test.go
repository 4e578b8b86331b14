package xgo

import (
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "xgo.dev/xgo"

// layers gives each package (by path below the module, longest prefix
// wins) its rank. A package may import packages of a lower rank, or of its
// own rank; never of a higher one. Every package must be listed, so a new
// package is placed in the architecture deliberately.
var layers = map[string]int{
	"cmd":             60, // CLI wiring, rendering, exit codes
	"completion":      50,
	"batch":           40,
	"layout":          40, // desired-state files: diff and apply, on top of batch
	"host":            45, // opens real Xen or the simulated host, builds the managers
	"pcpu":            30,
	"cpupool":         30,
	"sched":           30,
	"sound":           30,
	"xstool":          30, // what the xenstore-* tools do beyond one request
	"xensim":          20,
	"xensim/simguest": 20,
	"hypercall":       10,
	"xenstore":        10,
	"xendev":          10,
	"sound/sndif":     10, // the vsnd wire format (sndif.h), shared by the backend and the sim guest
	"cpuset":          5,  // pure data, imports nothing of the module
	"naming":          5,  // the toolstack's names and paths, imports nothing of the module
	"yamlerr":         5,  // yaml.v3 error positions, imports nothing of the module
	"yamlnode":        5,  // yaml.v3 nodes of the files xgo writes, imports nothing of the module
	"suggest":         5,  // "did you mean", imports nothing of the module
	".":               0,  // the module root holds only documentation
}

// outside the product: test infrastructure may import anything, and
// nothing in the product may import it. internal/ holds the harnesses
// that only tests use (the XenStore conformance suite, the simulator's
// scenarios, scripted peers and frontends); what --sim needs ships in
// xensim.
var infrastructure = []string{"vmtest", "internal"}

// sysAllowed are the only packages that may import golang.org/x/sys.
var sysAllowed = []string{"hypercall", "xenstore"}

func TestLayers(t *testing.T) {
	imports := moduleImports(t, ".")
	if len(imports) == 0 {
		t.Fatal("found no packages: is the test running in the module root?")
	}
	for _, v := range checkLayers(imports) {
		t.Error(v)
	}
}

// TestBinaryLinksNoTestCode walks what cmd/xgo links, through every
// package's non-test imports: no test infrastructure and no package
// testing may be among them.
func TestBinaryLinksNoTestCode(t *testing.T) {
	if bad := testCodeLinked(moduleImports(t, "."), "cmd/xgo"); len(bad) > 0 {
		t.Errorf("cmd/xgo links test code: %s", strings.Join(bad, "; "))
	}
}

func TestBinaryLinksNoTestCodeCatches(t *testing.T) {
	imports := map[string][]string{
		"cmd/xgo":            {module + "/sound", "fmt"},
		"sound":              {module + "/internal/vsndfront"},
		"internal/vsndfront": {"testing"},
		"xensim":             {"testing"},
	}
	if got := testCodeLinked(imports, "cmd/xgo"); len(got) != 1 {
		t.Fatalf("want 1 finding, got %q", got)
	}
	imports["cmd/xgo"] = append(imports["cmd/xgo"], module+"/xensim")
	if got := testCodeLinked(imports, "cmd/xgo"); len(got) != 2 {
		t.Fatalf("want 2 findings, got %q", got)
	}
}

// testCodeLinked lists the chains from root to a test-only package or to
// package testing.
func testCodeLinked(imports map[string][]string, root string) []string {
	var bad []string
	seen := map[string]bool{}
	var walk func(pkg, chain string)
	walk = func(pkg, chain string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		if isInfrastructure(pkg) {
			bad = append(bad, chain)
			return
		}
		for _, imp := range imports[pkg] {
			if imp == "testing" || strings.HasPrefix(imp, "testing/") {
				bad = append(bad, chain+" -> "+imp)
				continue
			}
			if dep, ok := strings.CutPrefix(imp, module+"/"); ok {
				walk(dep, chain+" -> "+dep)
			}
		}
	}
	walk(root, root)
	sort.Strings(bad)
	return bad
}

// TestLayersCatchViolations proves the checker can fail.
func TestLayersCatchViolations(t *testing.T) {
	bad := map[string][]string{
		"xenstore":     {module + "/cpupool"},            // client imports domain
		"pcpu":         {module + "/cmd/xgo"},            // domain imports CLI
		"sound":        {"golang.org/x/sys/unix"},        // x/sys outside the client layer
		"cpupool":      {module + "/vmtest/suite"},       // product imports test infrastructure
		"newpkg":       nil,                              // unplaced package
		"xensim":       {module + "/xenstore/xenstored"}, // allowed: lower rank
		"cmd/xgo":      {module + "/batch"},              // allowed
		"vmtest/suite": {module + "/cmd/xgo"},            // allowed: infrastructure
	}
	got := checkLayers(bad)
	if len(got) != 5 {
		t.Fatalf("want 5 violations, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
}

func checkLayers(imports map[string][]string) []string {
	var out []string
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		if isInfrastructure(pkg) {
			continue
		}
		from, ok := rank(pkg)
		if !ok {
			out = append(out, pkg+": package has no layer; add it to layers in layers_test.go")
			continue
		}
		for _, imp := range imports[pkg] {
			if strings.HasPrefix(imp, "golang.org/x/sys") && !hasPrefixIn(pkg, sysAllowed) {
				out = append(out, pkg+" imports "+imp+": only "+strings.Join(sysAllowed, ", ")+" may use golang.org/x/sys")
				continue
			}
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if dep == "" {
				dep = "."
			}
			if isInfrastructure(dep) {
				out = append(out, pkg+" imports "+dep+": the product must not depend on test infrastructure")
				continue
			}
			to, ok := rank(dep)
			if ok && to > from {
				out = append(out, pkg+" imports "+dep+": imports must point down the layers (rank "+
					strconv.Itoa(from)+" -> "+strconv.Itoa(to)+")")
			}
		}
	}
	return out
}

func rank(pkg string) (int, bool) {
	best, r := "", 0
	for prefix, v := range layers {
		if (pkg == prefix || strings.HasPrefix(pkg, prefix+"/")) && len(prefix) > len(best) {
			best, r = prefix, v
		}
	}
	return r, best != ""
}

func isInfrastructure(pkg string) bool { return hasPrefixIn(pkg, infrastructure) }

func hasPrefixIn(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

// moduleImports maps each package directory (relative to root) to the
// imports of its non-test files. Test files may import what they need.
func moduleImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		// Files of build-time binaries (//go:build manpages) are not
		// the product's: only what a default build compiles counts.
		if ok, err := build.Default.MatchFile(filepath.Dir(p), d.Name()); err != nil || !ok {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		if dir == "" {
			dir = "."
		}
		dir = path.Clean(dir)
		if _, ok := out[dir]; !ok {
			out[dir] = nil
		}
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			out[dir] = append(out[dir], s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
