package conformance

import (
	"sort"
	"strings"
	"sync"
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
	attach()
	out := make([]*Scenario, 0, len(registry))
	for _, k := range sortedKeys(registry) {
		out = append(out, registry[k])
	}
	return out
}

// Lookup returns the scenario called name, or nil.
func Lookup(name string) *Scenario {
	attach()
	return registry[name]
}

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

// addOverrides records overrides for daemon of a scenario; they are
// attached when the scenarios are first looked up (init order across
// files does not matter).
func addOverrides(name, daemon string, os []Override) {
	for _, o := range os {
		o.Daemon = daemon
		pending = append(pending, pendingOverride{name, o})
	}
}

type pendingOverride struct {
	name string
	o    Override
}

var (
	pending    []pendingOverride
	attachOnce sync.Once
)

func attach() {
	attachOnce.Do(func() {
		for _, p := range pending {
			sc := registry[p.name]
			if sc == nil {
				panic("conformance: overrides for unknown scenario " + p.name)
			}
			sc.Overrides = append(sc.Overrides, p.o)
		}
	})
}
