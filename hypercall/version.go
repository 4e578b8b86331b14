package hypercall

import (
	"fmt"
	"strconv"
	"strings"
)

// EnvXenVersion names the environment variable that forces the ABI of a
// given Xen release, e.g. XGO_XEN_VERSION=4.19, instead of the one
// matching XENVER_version. It is meant for experts running a hypervisor
// whose interface versions are known to match a supported release (such
// as a distribution's patched build, or an -unstable tree).
const EnvXenVersion = "XGO_XEN_VERSION"

// ABI is the set of interface versions xgo uses with the running
// hypervisor. Xen rejects a sysctl, domctl or platform_op whose
// interface_version is not exactly its own with EACCES.
type ABI struct {
	// Major and Minor name the Xen release whose ABI is used.
	Major, Minor int
	// Sysctl, Domctl and Platform are XEN_SYSCTL_INTERFACE_VERSION,
	// XEN_DOMCTL_INTERFACE_VERSION and XENPF_INTERFACE_VERSION.
	Sysctl, Domctl, Platform uint32
	// Forced is true when the ABI was chosen through XGO_XEN_VERSION.
	Forced bool
}

// String returns e.g. "Xen 4.17 (sysctl 0x15, domctl 0x15, platform 0x3000001)".
func (a ABI) String() string {
	s := fmt.Sprintf("Xen %d.%d (sysctl %#x, domctl %#x, platform %#x)", a.Major, a.Minor, a.Sysctl, a.Domctl, a.Platform)
	if a.Forced {
		s += " forced by " + EnvXenVersion
	}
	return s
}

// physinfoV14 reports whether physinfo has the 4.16 layout.
func (a ABI) physinfoV14() bool { return a.Sysctl < 0x15 }

// abiTable lists the supported releases. Sources: the
// XEN_SYSCTL_INTERFACE_VERSION, XEN_DOMCTL_INTERFACE_VERSION and
// XENPF_INTERFACE_VERSION defines of xen/include/public/{sysctl,domctl,
// platform}.h at each RELEASE-4.x.0 tag (xen-abi.md §2.2; 4.16's domctl
// version 0x14 read from domctl.h at RELEASE-4.16.0). Point releases keep
// their branch's versions.
var abiTable = []ABI{
	{Major: 4, Minor: 16, Sysctl: 0x14, Domctl: 0x14, Platform: xenpfInterfaceVersion},
	{Major: 4, Minor: 17, Sysctl: 0x15, Domctl: 0x15, Platform: xenpfInterfaceVersion},
	{Major: 4, Minor: 18, Sysctl: 0x15, Domctl: 0x16, Platform: xenpfInterfaceVersion},
	{Major: 4, Minor: 19, Sysctl: 0x15, Domctl: 0x17, Platform: xenpfInterfaceVersion},
	{Major: 4, Minor: 20, Sysctl: 0x15, Domctl: 0x17, Platform: xenpfInterfaceVersion},
	{Major: 4, Minor: 21, Sysctl: 0x16, Domctl: 0x17, Platform: xenpfInterfaceVersion},
	{Major: 4, Minor: 22, Sysctl: 0x16, Domctl: 0x18, Platform: xenpfInterfaceVersion},
}

// supportedRange is how error messages name abiTable.
const supportedRange = "4.16 to 4.22"

// lookupABI returns the table entry for a release.
func lookupABI(major, minor int) (ABI, bool) {
	for _, a := range abiTable {
		if a.Major == major && a.Minor == minor {
			return a, true
		}
	}
	return ABI{}, false
}

// selectABI picks the ABI for the hypervisor that reported major.minor,
// honouring a forced version (the value of XGO_XEN_VERSION, "" if unset).
func selectABI(major, minor int, forced string) (ABI, error) {
	if forced != "" {
		fmaj, fmin, err := parseMajorMinor(forced)
		if err != nil {
			return ABI{}, newSentinelError(ErrNotSupported, "selecting the Xen ABI",
				fmt.Sprintf("%s=%q is not a Xen version: want MAJOR.MINOR, e.g. 4.19", EnvXenVersion, forced))
		}
		a, ok := lookupABI(fmaj, fmin)
		if !ok {
			return ABI{}, newSentinelError(ErrNotSupported, "selecting the Xen ABI",
				fmt.Sprintf("Xen %d.%d (forced by %s) is not supported by xgo (supported: %s)", fmaj, fmin, EnvXenVersion, supportedRange))
		}
		a.Forced = true
		return a, nil
	}
	a, ok := lookupABI(major, minor)
	if !ok {
		return ABI{}, newSentinelError(ErrNotSupported, "selecting the Xen ABI",
			fmt.Sprintf("Xen %d.%d is not supported by xgo (supported: %s; %s=4.x forces the ABI of a supported release)", major, minor, supportedRange, EnvXenVersion))
	}
	return a, nil
}

// parseMajorMinor parses "4.19" (a trailing ".patch" or extra is ignored,
// so "4.19.1" and "4.19-rc" work too).
func parseMajorMinor(s string) (int, int, error) {
	s = strings.TrimSpace(s)
	maj, rest, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, fmt.Errorf("no minor version in %q", s)
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	major, err1 := strconv.Atoi(maj)
	minor, err2 := strconv.Atoi(rest[:end])
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return 0, 0, fmt.Errorf("bad version %q", s)
	}
	return major, minor, nil
}
