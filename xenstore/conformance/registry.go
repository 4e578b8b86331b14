package conformance

import (
	"sort"
	"strings"
)

var registry = map[string]*Scenario{}

func register(sc *Scenario) {
	if _, dup := registry[sc.Name]; dup {
		panic("conformance: scenario " + sc.Name + " registered twice")
	}
	registry[sc.Name] = sc
}

// Scenarios returns every scenario, sorted by name.
func Scenarios() []*Scenario {
	out := make([]*Scenario, 0, len(registry))
	for _, k := range sortedKeys(registry) {
		out = append(out, registry[k])
	}
	return out
}

// Lookup returns the scenario called name, or nil.
func Lookup(name string) *Scenario { return registry[name] }

// Differences lists every override, sorted by daemon and scenario, for
// documentation.
func Differences() []struct {
	Scenario string
	Override
} {
	var out []struct {
		Scenario string
		Override
	}
	for _, sc := range Scenarios() {
		for _, o := range sc.Overrides {
			out = append(out, struct {
				Scenario string
				Override
			}{sc.Name, o})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.Compare(out[i].Daemon, out[j].Daemon) < 0 })
	return out
}
