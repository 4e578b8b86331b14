package hypercall

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestSelectABI(t *testing.T) {
	// Expected numbers: xen-abi.md §2.2; 4.16's domctl 0x14 from domctl.h at
	// RELEASE-4.16.0.
	want := map[string][2]uint32{
		"4.16": {0x14, 0x14},
		"4.17": {0x15, 0x15},
		"4.18": {0x15, 0x16},
		"4.19": {0x15, 0x17},
		"4.20": {0x15, 0x17},
		"4.21": {0x16, 0x17},
		"4.22": {0x16, 0x18},
	}
	for v, w := range want {
		maj, min, _ := parseMajorMinor(v)
		a, err := selectABI(maj, min, "")
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		if a.Sysctl != w[0] || a.Domctl != w[1] || a.Platform != 0x03000001 || a.Forced {
			t.Errorf("%s: ABI = %+v, want sysctl %#x domctl %#x", v, a, w[0], w[1])
		}
		if a.physinfoV14() != (v == "4.16") {
			t.Errorf("%s: physinfoV14 = %v", v, a.physinfoV14())
		}
	}
	for _, v := range [][2]int{{4, 15}, {4, 23}, {5, 0}, {3, 4}} {
		_, err := selectABI(v[0], v[1], "")
		if !errors.Is(err, ErrNotSupported) {
			t.Errorf("%d.%d: err = %v, want ErrNotSupported", v[0], v[1], err)
		}
		if err != nil && !strings.Contains(err.Error(), "Xen "+itoa(v[0])+"."+itoa(v[1])+" is not supported by xgo") {
			t.Errorf("%d.%d: message %q", v[0], v[1], err)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestSelectABIForced(t *testing.T) {
	a, err := selectABI(4, 23, "4.19")
	if err != nil || a.Major != 4 || a.Minor != 19 || a.Domctl != 0x17 || !a.Forced {
		t.Errorf("forced 4.19 on 4.23: %+v, %v", a, err)
	}
	if !strings.Contains(a.String(), "forced by XGO_XEN_VERSION") {
		t.Errorf("String = %q", a.String())
	}
	if a, err := selectABI(4, 17, " 4.22.1 "); err != nil || a.Minor != 22 {
		t.Errorf("4.22.1: %+v, %v", a, err)
	}
	for _, bad := range []string{"4", "four.nineteen", "4.x", "4.15", "5.0"} {
		_, err := selectABI(4, 17, bad)
		if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "XGO_XEN_VERSION") {
			t.Errorf("forced %q: err = %v", bad, err)
		}
	}
}

func TestDebugEnabled(t *testing.T) {
	for v, want := range map[string]bool{
		"":                      false,
		"hypercall":             true,
		"xenstore,hypercall":    true,
		" xenstore , hypercall": true,
		"hypercall=1":           true,
		"hypercall=0":           false,
		"hypercalls":            false,
		"xenstore":              false,
	} {
		if got := debugEnabled(v, "hypercall"); got != want {
			t.Errorf("debugEnabled(%q) = %v", v, got)
		}
	}
}
