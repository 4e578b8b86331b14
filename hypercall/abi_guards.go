package hypercall

import "unsafe"

// Compile-time size guards for the structs whose size the kernel or Xen
// fixes: the build breaks if one of them drifts (a negative or too large
// constant index). TestABILayout checks the offsets.
var (
	_ = [1]struct{}{}[unsafe.Sizeof(privcmdHypercall{})-48]          // struct privcmd_hypercall
	_ = [1]struct{}{}[unsafe.Sizeof(ioctlEvtchnBindVIRQ{})-4]        // struct ioctl_evtchn_bind_virq
	_ = [1]struct{}{}[unsafe.Sizeof(ioctlEvtchnBindInterdomain{})-8] // struct ioctl_evtchn_bind_interdomain
	_ = [1]struct{}{}[unsafe.Sizeof(ioctlEvtchnBindUnboundPort{})-4] // struct ioctl_evtchn_bind_unbound_port
	_ = [1]struct{}{}[unsafe.Sizeof(ioctlEvtchnPort{})-4]            // struct ioctl_evtchn_{unbind,notify}
	_ = [1]struct{}{}[unsafe.Sizeof(gntdevGrantRef{})-8]             // struct ioctl_gntdev_grant_ref
	_ = [1]struct{}{}[unsafe.Sizeof(gntdevMapGrantRef{})-16]         // struct ioctl_gntdev_map_grant_ref without refs[1]
	_ = [1]struct{}{}[unsafe.Sizeof(gntdevUnmapGrantRef{})-16]       // struct ioctl_gntdev_unmap_grant_ref
	_ = [1]struct{}{}[unsafe.Sizeof(gntdevUnmapNotify{})-16]         // struct ioctl_gnt{dev,alloc}_unmap_notify
	_ = [1]struct{}{}[unsafe.Sizeof(gntallocAllocGref{})-16]         // struct ioctl_gntalloc_alloc_gref without gref_ids[1]
	_ = [1]struct{}{}[unsafe.Sizeof(gntallocDeallocGref{})-16]       // struct ioctl_gntalloc_dealloc_gref
	_ = [1]struct{}{}[unsafe.Sizeof(sysctlOp{})-136]                 // struct xen_sysctl
	_ = [1]struct{}{}[unsafe.Sizeof(domctlOp{})-144]                 // struct xen_domctl
	_ = [1]struct{}{}[unsafe.Sizeof(platformOp{})-136]               // struct xen_platform_op
	_ = [1]struct{}{}[unsafe.Sizeof(sysctlARINC653Schedule{})-2064]  // struct xen_sysctl_arinc653_schedule
	_ = [1]struct{}{}[unsafe.Sizeof(domctlSchedparamVCPU{})-16]      // struct xen_domctl_schedparam_vcpu
)
