package hypercall

import (
	"os"
	"strings"
)

// PCISysfsDir is where Linux lists the PCI devices it sees: in dom0,
// those of the host that Xen lets dom0 own.
const PCISysfsDir = "/sys/bus/pci/devices"

// ReadPCIDevices returns the devices named in a directory laid out like
// PCISysfsDir, in directory order (not sorted), which is the order libxl
// passes them to XEN_SYSCTL_pcitopoinfo and xl info -n prints them
// (libxl__pci_topology_init reads the directory with readdir). Names
// starting with a dot are skipped; any other name that is not a PCI
// device name is an error, as it is for libxl.
func ReadPCIDevices(dir string) ([]PCIDevice, error) {
	const op = "list PCI devices"
	f, err := os.Open(dir)
	if err != nil {
		return nil, &OpError{Op: op, Target: dir, Meaning: "dom0 lists no PCI devices (no sysfs, or not Linux)", Err: errnoOf(err), sentinel: ErrNotSupported}
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, sysfsError(op, dir, err)
	}
	var out []PCIDevice
	for _, n := range names {
		if strings.HasPrefix(n, ".") {
			continue
		}
		d, err := ParsePCIDevice(n)
		if err != nil {
			return nil, &OpError{Op: op, Target: dir, Meaning: err.Error()}
		}
		out = append(out, d)
	}
	return out, nil
}
