package yamlerr

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// TestAt: syntax errors are placed where the mistake is, not on the line
// before (yaml.v3's 0-based line of parser errors).
func TestAt(t *testing.T) {
	for _, tt := range []struct {
		data      string
		line, col int
		msg       string
	}{
		{"version: 1\nsteps:\n  - cpupool-create: {name: x\n  - b: 1\n", 3, 21, `"{" is not closed: did not find expected ',' or '}'`},
		{"version: 1\nsteps:\n  - cpupool-cpu-add: {pool: x, cpus: [1, 2}\n", 3, 38, `"[" is not closed: did not find expected ',' or ']'`},
		{"version: 1\nsteps: [\n", 2, 8, `"[" is not closed: did not find expected node content`},
		{"a: 1\nb: [1, '[',\n  2, # [\n  3\nc: 4\n", 2, 4, `"[" is not closed: did not find expected ',' or ']'`},
		{"version: 1\nsteps:\n  - a: 'x\n", 3, 1, "found unexpected end of stream"},
		{"version: 1\nsteps:\n\t- a: 1\n", 3, 1, "found character that cannot start any token"},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tt.data), &n)
		if err == nil {
			t.Fatalf("%q parsed", tt.data)
		}
		line, col, msg := At([]byte(tt.data), err)
		if line != tt.line || col != tt.col || msg != tt.msg {
			t.Errorf("At(%q, %v) = %d:%d %q, want %d:%d %q", tt.data, err, line, col, msg, tt.line, tt.col, tt.msg)
		}
	}
}
