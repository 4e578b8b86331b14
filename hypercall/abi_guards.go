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
	_ = [1]struct{}{}[unsafe.Sizeof(sysctlOp{})-136]                 // struct xen_sysctl
	_ = [1]struct{}{}[unsafe.Sizeof(domctlOp{})-144]                 // struct xen_domctl
	_ = [1]struct{}{}[unsafe.Sizeof(platformOp{})-136]               // struct xen_platform_op
	_ = [1]struct{}{}[unsafe.Sizeof(sysctlARINC653Schedule{})-2064]  // struct xen_sysctl_arinc653_schedule
	_ = [1]struct{}{}[unsafe.Sizeof(domctlSchedparamVCPU{})-16]      // struct xen_domctl_schedparam_vcpu
)
