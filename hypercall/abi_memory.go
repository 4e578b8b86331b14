package hypercall

// This file mirrors the parts of Xen's xen/include/public/memory.h that
// xgo uses (numbers unchanged RELEASE-4.16.0 … RELEASE-4.22.0).

// XENMEM_* sub-commands of __HYPERVISOR_memory_op (memory.h). Both take a
// NULL argument and return a count of pages as the hypercall's result;
// the header says "the call never fails". On x86 they return
// mem_sharing_get_nr_saved_mfns() and mem_sharing_get_nr_shared_mfns()
// (xen/arch/x86/mm.c arch_memory_op), which are 0 in a build without
// CONFIG_MEM_SHARING; on Arm they return 0.
const (
	xenmemGetSharingFreedPages  = 18 // XENMEM_get_sharing_freed_pages
	xenmemGetSharingSharedPages = 19 // XENMEM_get_sharing_shared_pages
)
