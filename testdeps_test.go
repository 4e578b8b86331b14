package xgo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// testTools are the programs the tests run besides go and bash: tmux,
// zsh and fish for the completion tests, groff and man for the man pages,
// ansible-playbook (Debian's ansible-core) for the Ansible collection's.
// make test installs them (scripts/test-deps.sh), so a fresh Debian
// machine passes make test with nothing installed by hand.
var testTools = map[string]string{"tmux": "tmux", "zsh": "zsh", "fish": "fish", "groff": "groff-base", "man": "man-db", "ansible-playbook": "ansible-core"}

// TestMakeTestInstallsTestTools runs scripts/test-deps.sh against stub
// apt-get, sudo and id programs on a PATH that holds only them (and the
// tools said to be present): it installs exactly the missing packages,
// after one apt-get update, through sudo -n only when not root.
func TestMakeTestInstallsTestTools(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the script is for Debian")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env")
	}
	script, err := filepath.Abs("scripts/test-deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		uid     string
		present []string
		want    string // the apt-get calls, one a line
	}{
		{"nothing missing", "1000", []string{"tmux", "zsh", "fish", "groff", "man", "ansible-playbook"}, ""},
		{"shells missing, not root", "1000", []string{"tmux", "groff", "man", "ansible-playbook"},
			"sudo -n apt-get update -q\nsudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends zsh fish\n"},
		{"everything missing, root", "0", nil,
			"apt-get update -q\nenv DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tmux zsh fish groff-base man-db ansible-core\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			log := filepath.Join(dir, "log")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			stub := func(name, body string) {
				t.Helper()
				if err := os.WriteFile(filepath.Join(bin, name), []byte("#!"+bash+"\n"+body+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, tool := range tt.present {
				stub(tool, "exit 0")
			}
			stub("id", "echo "+tt.uid)
			// env is logged only when sudo did not already log the line.
			stub("env", `[ -n "$IN_SUDO" ] || echo "env $*" >>`+log+"\nexport IN_ENV=1\nexec "+envBin+` "$@"`)
			stub("sudo", `echo "sudo $*" >>`+log+"\n[ \"$1\" = -n ] && shift\nexport IN_SUDO=1\nexec \"$@\"")
			// apt-get "installs" a package by creating its tools.
			var install strings.Builder
			for tool, pkg := range testTools {
				install.WriteString(`for p in "$@"; do [ "$p" = ` + pkg + ` ] && printf '#!` + bash + `\nexit 0\n' >` + filepath.Join(bin, tool) + ` && chmod +x ` + filepath.Join(bin, tool) + "; done\n")
			}
			stub("apt-get", `[ -n "$IN_SUDO" ] || [ -n "$IN_ENV" ] || echo "apt-get $*" >>`+log+"\n"+
				"PATH=/usr/bin:/bin\n"+install.String()+"exit 0")
			cmd := exec.Command(bash, script)
			cmd.Env = []string{"PATH=" + bin}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("test-deps.sh: %v\n%s", err, out)
			}
			got, _ := os.ReadFile(log)
			if string(got) != tt.want {
				t.Errorf("apt-get calls:\n%s\nwant:\n%s\noutput:\n%s", got, tt.want, out)
			}
		})
	}
}

// TestMakeTestRunsTestDeps checks that make test (and make unit) run
// scripts/test-deps.sh before the tests, and that CI leaves installing
// to make test.
func TestMakeTestRunsTestDeps(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make")
	}
	for _, target := range []string{"test", "unit"} {
		out, err := exec.Command(makeBin, "-n", "-s", target).CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, err, out)
		}
		deps := strings.Index(string(out), "scripts/test-deps.sh")
		gotest := strings.Index(string(out), "test -race")
		if deps < 0 || gotest < 0 || deps > gotest {
			t.Errorf("make %s does not run scripts/test-deps.sh before the unit tests:\n%s", target, out)
		}
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ci), "apt-get") {
		t.Errorf(".ci/run installs packages itself; make test should")
	}
	script, err := os.ReadFile("scripts/test-deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	for tool, pkg := range testTools {
		if !strings.Contains(string(script), tool+":"+pkg) {
			t.Errorf("scripts/test-deps.sh does not install %s (package %s)", tool, pkg)
		}
	}
}
