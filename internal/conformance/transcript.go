package conformance

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed testdata/*.txt
var goldens embed.FS

// GoldenFile is where the committed transcript of a scenario is, relative
// to the package directory.
func GoldenFile(name string) string { return "testdata/" + name + ".txt" }

// Golden returns the committed transcript of a scenario.
func Golden(name string) (string, error) {
	b, err := fs.ReadFile(goldens, GoldenFile(name))
	if err != nil {
		return "", fmt.Errorf("no committed transcript for scenario %s: %w", name, err)
	}
	return string(b), nil
}

// Expected is the transcript sc must give on daemon: the committed one
// with the daemon's overrides applied.
func Expected(sc *Scenario, daemon string) (string, error) {
	g, err := Golden(sc.Name)
	if err != nil {
		return "", err
	}
	return ApplyOverrides(g, sc, daemon)
}

// ApplyOverrides applies sc's overrides for daemon to the transcript
// want. Each override must match exactly once.
func ApplyOverrides(want string, sc *Scenario, daemon string) (string, error) {
	for _, o := range sc.Overrides {
		if o.Daemon != daemon {
			continue
		}
		match := strings.TrimSuffix(o.Match, "\n") + "\n"
		if n := strings.Count(want, match); n != 1 {
			return "", fmt.Errorf("scenario %s: override for %s matches %d times (want once):\n%s", sc.Name, daemon, n, match)
		}
		repl := ""
		if o.Want != "" {
			repl = strings.TrimSuffix(o.Want, "\n") + "\n"
		}
		want = strings.Replace(want, match, repl, 1)
	}
	return want, nil
}

// Check compares a transcript with the expected one for daemon and
// returns "" if they are equal, else a readable report with a diff.
func Check(sc *Scenario, daemon, got string) string {
	want, err := Expected(sc, daemon)
	if err != nil {
		return err.Error() + "\n--- transcript got:\n" + got
	}
	if got == want {
		return ""
	}
	return fmt.Sprintf("scenario %s on %s: the transcript differs from %s (- expected, + got):\n%s",
		sc.Name, daemon, GoldenFile(sc.Name), Diff(want, got))
}

// Diff is a line diff of a and b: unchanged lines start with two spaces,
// lines only in a with "- ", only in b with "+ ". Long unchanged runs are
// shortened to their first and last two lines.
func Diff(a, b string) string {
	x := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	y := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	// Longest common subsequence, by dynamic programming (transcripts
	// are a few hundred lines).
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	var same []string
	flush := func() {
		if len(same) > 5 {
			out = append(out, same[:2]...)
			out = append(out, fmt.Sprintf("  ... (%d equal lines)", len(same)-4))
			out = append(out, same[len(same)-2:]...)
		} else {
			out = append(out, same...)
		}
		same = nil
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			same = append(same, "  "+x[i])
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			flush()
			out = append(out, "+ "+y[j])
			j++
		default:
			flush()
			out = append(out, "- "+x[i])
			i++
		}
	}
	flush()
	return strings.Join(out, "\n") + "\n"
}
