package hypercall

import "testing"

// FuzzParsePCIDevice: whatever parses prints back as a name that parses
// to the same device, and String always has libxl's shape.
func FuzzParsePCIDevice(f *testing.F) {
	for _, s := range []string{"0000:00:1f.3", "0001:af:00.0", "ffff:ff:1f.7", "0:0:0.0", "0000:00:20.8", "0000:00:1f", ".", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePCIDevice(s)
		if err != nil {
			return
		}
		name := d.String()
		if len(name) != len("0000:00:00.0") {
			t.Fatalf("%q → %v prints as %q", s, d, name)
		}
		d2, err := ParsePCIDevice(name)
		if err != nil || d2 != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, name, d2, err)
		}
	})
}
