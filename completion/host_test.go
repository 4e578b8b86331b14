package completion

import (
	"context"
	"slices"
	"syscall"
	"testing"

	"xgo.dev/xgo/xensim"
)

// TestHostSchedulers: the candidates are the built schedulers when the
// build configuration is readable, and the default plus the pools'
// otherwise (never a guess).
func TestHostSchedulers(t *testing.T) {
	spec, err := xensim.ParseSpec([]byte(`
xen: {version: "4.17"}
cpus: {sockets: 1, coresPerSocket: 4, threadsPerCore: 1}
memory: {nodeMiB: [4096]}
schedulers: {built: [credit, credit2, rtds, "null"], default: credit2}
pools:
  - {id: 1, name: rt, scheduler: credit, cpus: "3"}
domains:
  - {name: Domain-0, domid: 0, vcpus: 1, memoryMiB: 1024}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h, err := xensim.NewHost(spec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewHost(h, nil).Schedulers(context.Background())
	if want := []string{"credit", "credit2", "rtds", "null"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("built known: %v, %v; want %v", got, err, want)
	}
	if err := h.FailAlways(xensim.OpHypfsRead, syscall.ENOENT); err != nil {
		t.Fatal(err)
	}
	got, err = NewHost(h, nil).Schedulers(context.Background())
	if want := []string{"credit2", "credit"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("built unknown: %v, %v; want %v", got, err, want)
	}
}
