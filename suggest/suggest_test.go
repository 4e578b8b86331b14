package suggest

import "testing"

func TestClosest(t *testing.T) {
	cmds := []string{"cpupool-list", "cpupool-create", "cpupool-destroy", "pcpu-list", "version"}
	for word, want := range map[string]string{
		"cpupool-lst":  "cpupool-list",
		"cpupol-list":  "cpupool-list",
		"cpupool-lsit": "cpupool-list",
		"verison":      "version",
		"pcpu-lits":    "pcpu-list",
		"bogus":        "",
		"cpupool-list": "",
		"xyz":          "",
		"CPUPOOL-LIST": "cpupool-list",
	} {
		if got := Closest(word, cmds); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
	pools := []string{"Pool-0", "spare", "rt"}
	for word, want := range map[string]string{"pool-0": "Pool-0", "sprae": "spare", "rtt": "rt", "nope": ""} {
		if got := Closest(word, pools); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
}
