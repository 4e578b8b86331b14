package naming

import "testing"

type item struct {
	id    uint32
	name  string
	named bool
}

func TestFind(t *testing.T) {
	items := []item{{0, "Domain-0", true}, {3, "web", true}, {5, "", false}, {7, "web", true}, {9, "12", true}}
	id := func(i item) uint32 { return i.id }
	name := func(i item) (string, bool) { return i.name, i.named }
	for _, tc := range []struct {
		q    string
		bits int
		want int
	}{
		{"web", 16, 1},    // the lowest id wins
		{"7", 16, 3},      // digits are an id
		{"12", 16, -1},    // ... never a name
		{"", 16, -1},      // an unnamed domain is not named ""
		{"5", 16, 2},      // an id needs no name
		{"70000", 16, -1}, // does not fit a domid
		{"Domain-0", 16, 0},
		{"0x3", 16, -1},
	} {
		if got := Find(items, tc.q, tc.bits, id, name); got != tc.want {
			t.Errorf("Find(%q) = %d, want %d", tc.q, got, tc.want)
		}
	}
}

func TestIsIDAndPaths(t *testing.T) {
	for q, want := range map[string]bool{"0": true, "007": true, "": false, "-1": false, "1a": false, "٣": false} {
		if IsID(q) != want {
			t.Errorf("IsID(%q) = %v", q, !want)
		}
	}
	if DomainNamePath(4) != "/local/domain/4/name" || PoolNamePath(2) != "/local/pool/2/name" {
		t.Error(DomainNamePath(4), PoolNamePath(2))
	}
}
