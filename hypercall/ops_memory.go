package hypercall

// memoryCount issues __HYPERVISOR_memory_op(cmd, NULL) for a sub-command
// whose result is a count.
func (x *Xen) memoryCount(cmd uint64, sub string) (uint64, error) {
	r, err := x.do(&call{
		hc:   hypervisorMemoryOp,
		arg:  [5]uint64{cmd, 0},
		kind: OpMemSharing,
		op:   "memory_op " + sub,
	})
	return uint64(r), err
}

// MemSharing implements Hypervisor with XENMEM_get_sharing_freed_pages
// and XENMEM_get_sharing_shared_pages, as libxl_get_physinfo does (two
// hypercalls, no hypercall memory).
func (x *Xen) MemSharing() (MemSharing, error) {
	var out MemSharing
	err := x.run("memory_op", 0, func(*arena) error {
		var err error
		if out.FreedPages, err = x.memoryCount(xenmemGetSharingFreedPages, "get_sharing_freed_pages"); err != nil {
			return err
		}
		out.SharedPages, err = x.memoryCount(xenmemGetSharingSharedPages, "get_sharing_shared_pages")
		return err
	})
	return out, err
}
