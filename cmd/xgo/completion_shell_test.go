package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The completion scripts are tested in the shells themselves: bash is
// driven through tmux like a person at a terminal (type, press Tab,
// read the screen); zsh and fish scripts are checked for syntax. CI
// installs tmux, zsh and fish (.ci/run); a machine without them fails
// these tests rather than skipping them, since a script that was never
// run in its shell is not tested.

// buildXgo builds the static binary into dir and returns its path.
func buildXgo(t *testing.T, dir string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("no go command on PATH")
	}
	bin := filepath.Join(dir, "xgo")
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (make test-deps installs it)", name)
	}
	return p
}

// runBin runs the built xgo and fails the test if it fails.
func runBin(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xgo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestCompletionInBash sources "xgo completion bash" in an interactive
// bash inside tmux, on a simulated host with a pool "rt" and three vsnd
// cards on domu1, and presses Tab.
func TestCompletionInBash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives bash in tmux")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the shells are tested on Linux")
	}
	tmux := needTool(t, "tmux")
	bash := needTool(t, "bash")
	dir := t.TempDir()
	bin := buildXgo(t, dir)
	state := filepath.Join(dir, "host.state")
	env := []string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=" + dir, "XGO_SIM=" + state, "TERM=xterm", "LANG=C", "HISTFILE=/dev/null"}
	runBin(t, bin, env, "sim", "init")
	runBin(t, bin, env, "cpupool-create", "name=rt")
	for _, name := range []string{"A", "B", "C"} {
		runBin(t, bin, env, "vsnd-attach", "domu1", "CARD, short-name="+name, "PCM, name=Analog", "STREAM, unique-id=alsa<hw:0;0>, type=p")
	}
	script := filepath.Join(dir, "xgo.bash")
	if err := os.WriteFile(script, []byte(runBin(t, bin, env, "completion", "bash")), 0o644); err != nil {
		t.Fatal(err)
	}

	sock := filepath.Join(dir, "tmux.sock")
	tm := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tmux, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	shell := "env -i " + strings.Join(env, " ") + " PS1='$ ' " + bash + " --norc --noprofile -i"
	tm("new-session", "-d", "-s", "t", "-x", "160", "-y", "40", shell)
	defer func() {
		_ = exec.Command(tmux, "-S", sock, "kill-server").Run()
		for i := 0; i < 50; i++ { // the server removes its socket as it exits
			if _, err := os.Stat(sock); err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	tm("send-keys", "-t", "t", "source "+script+" && clear", "Enter")

	// waitScreen polls the pane until re matches it.
	waitScreen := func(what string, re *regexp.Regexp) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		var screen string
		for time.Now().Before(deadline) {
			screen = tm("capture-pane", "-p", "-t", "t")
			if re.MatchString(screen) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: the screen never matched %s:\n%s", what, re, screen)
	}
	clearLine := func() {
		tm("send-keys", "-t", "t", "C-u", "")
		tm("send-keys", "-t", "t", "clear", "Enter")
		waitScreen("clear", regexp.MustCompile(`^\$\s*$`))
	}
	waitScreen("prompt", regexp.MustCompile(`(?m)^\$\s*$`))

	// Two candidates with no common prefix: the second Tab lists them.
	tm("send-keys", "-t", "t", "xgo cpupool-cpu-add ", "Tab", "Tab")
	waitScreen("cpupool-cpu-add <TAB>", regexp.MustCompile(`(?m)^Pool-0\s+rt\s*$`))
	clearLine()

	tm("send-keys", "-t", "t", "xgo vsnd-detach domu1 ", "Tab", "Tab")
	waitScreen("vsnd-detach domu1 <TAB>", regexp.MustCompile(`(?m)^0\s+1\s+2\s*$`))
	clearLine()

	// One candidate completes in place.
	tm("send-keys", "-t", "t", "xgo cpupool-mig", "Tab")
	waitScreen("cpupool-mig<TAB>", regexp.MustCompile(`(?m)^\$ xgo cpupool-migrate\s*$`))
	// Not Domain-0, which cannot move: the first Tab completes "domu",
	// the next two list domu1 and domu2.
	tm("send-keys", "-t", "t", "Tab")
	waitScreen("cpupool-migrate <TAB>", regexp.MustCompile(`(?m)^\$ xgo cpupool-migrate domu\s*$`))
	tm("send-keys", "-t", "t", "Tab", "Tab")
	waitScreen("cpupool-migrate domu<TAB>", regexp.MustCompile(`(?m)^domu1\s+domu2\s*$`))
	clearLine()

	// CPU ids in number order, not sorted as text (0 1 10 11 ... 2).
	tm("send-keys", "-t", "t", "xgo pcpu-offline ", "Tab", "Tab")
	waitScreen("pcpu-offline <TAB>", regexp.MustCompile(`(?m)^0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9\s+10\s+11\s+12\s+13\s+14\s+15\s*$`))
	clearLine()

	// A flag value after "=", which readline splits a word at.
	tm("send-keys", "-t", "t", "xgo pcpu-list --output=js", "Tab")
	waitScreen("--output=js<TAB>", regexp.MustCompile(`(?m)^\$ xgo pcpu-list --output=json\s*$`))
	clearLine()

	// Without a host to read: nothing offered, and nothing printed.
	broken := filepath.Join(dir, "broken.state")
	if err := os.WriteFile(broken, []byte("not a state file"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm("send-keys", "-t", "t", "xgo --sim="+broken+" cpupool-destroy ", "Tab", "Tab")
	time.Sleep(time.Second)
	if screen := tm("capture-pane", "-p", "-t", "t"); strings.Count(strings.TrimSpace(screen), "\n") != 0 || strings.Contains(screen, "xgo:") {
		t.Errorf("completion without a host printed something:\n%s", screen)
	}
}

// TestCompletionScriptsSyntax checks the zsh and fish scripts with the
// shells' own parsers, and that the zsh script defines its function
// when sourced.
func TestCompletionScriptsSyntax(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the shells")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the shells are tested on Linux")
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			path := needTool(t, sh)
			r := runXgo(t, testDeps(t), "completion", sh)
			if r.code != 0 || r.stdout == "" {
				t.Fatalf("xgo completion %s: %+v", sh, r)
			}
			f := filepath.Join(t.TempDir(), "script")
			if err := os.WriteFile(f, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
				t.Fatalf("%s -n: %v\n%s", sh, err, out)
			}
		})
	}
}

// TestCompletionOrderInFish asks fish itself for the candidates (complete
// -C), which it would otherwise sort as text: cpu ids must come in number
// order, and the free cpus only for cpupool-cpu-add.
func TestCompletionOrderInFish(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs fish")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the shells are tested on Linux")
	}
	fish := needTool(t, "fish")
	dir := t.TempDir()
	bin := buildXgo(t, dir)
	state := filepath.Join(dir, "host.state")
	env := []string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=" + dir, "XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + dir, "XGO_SIM=" + state, "LANG=C"}
	runBin(t, bin, env, "sim", "init")
	runBin(t, bin, env, "cpupool-create", "name=rt")
	runBin(t, bin, env, "cpupool-cpu-remove", "Pool-0", "2,9-11")
	script := filepath.Join(dir, "xgo.fish")
	if err := os.WriteFile(script, []byte(runBin(t, bin, env, "completion", "fish")), 0o644); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"xgo pcpu-offline ":         "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
		"xgo cpupool-cpu-add rt ":   "2 9 10 11",
		"xgo cpupool-cpu-add rt 9,": "9,2 9,10 9,11",
	} {
		cmd := exec.Command(fish, "--no-config", "-c", "source "+script+"; complete -C '"+line+"'")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		if got := strings.Join(strings.Fields(string(out)), " "); got != want {
			t.Errorf("fish: %q<TAB> = %q, want %q", line, got, want)
		}
	}
}
