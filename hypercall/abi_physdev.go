package hypercall

import "structs"

// This file mirrors the parts of Xen's xen/include/public/physdev.h that
// xgo uses (unchanged RELEASE-4.16.0 … RELEASE-4.22.0).

// physdevPCIDevice mirrors struct physdev_pci_device (physdev.h): a PCI
// device's segment, bus and devfn (device<<3 | function), 4 bytes, no
// padding. XEN_SYSCTL_pcitopoinfo takes an array of them.
type physdevPCIDevice struct {
	_     structs.HostLayout
	Seg   uint16 // uint16_t seg
	Bus   uint8  // uint8_t bus
	DevFn uint8  // uint8_t devfn
}
