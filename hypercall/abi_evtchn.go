package hypercall

import "structs"

// This file mirrors Linux's event channel device UAPI,
// include/uapi/xen/evtchn.h (also tools/include/xen-sys/Linux/evtchn.h in
// Xen). All ioctls have direction _IOC_NONE and type 'E'; the bind
// ioctls return the new local port.

// ioctlEvtchnBindVIRQ: struct ioctl_evtchn_bind_virq {unsigned int virq;}.
type ioctlEvtchnBindVIRQ struct {
	_    structs.HostLayout
	VIRQ uint32
}

// ioctlEvtchnBindInterdomain: struct ioctl_evtchn_bind_interdomain
// {unsigned int remote_domain, remote_port;}.
type ioctlEvtchnBindInterdomain struct {
	_            structs.HostLayout
	RemoteDomain uint32
	RemotePort   uint32
}

// ioctlEvtchnBindUnboundPort: struct ioctl_evtchn_bind_unbound_port
// {unsigned int remote_domain;}.
type ioctlEvtchnBindUnboundPort struct {
	_            structs.HostLayout
	RemoteDomain uint32
}

// ioctlEvtchnPort is struct ioctl_evtchn_unbind and struct
// ioctl_evtchn_notify, both {unsigned int port;}.
type ioctlEvtchnPort struct {
	_    structs.HostLayout
	Port uint32
}

// Event channel ioctl numbers: _IOC(_IOC_NONE, 'E', nr, sizeof(arg)).
const (
	ioctlEvtchnBindVIRQNr        = iocNone<<iocDirShift | 'E'<<iocTypeShift | 0<<iocNRShift | 4<<iocSizeShift // 0x44500
	ioctlEvtchnBindInterdomainNr = iocNone<<iocDirShift | 'E'<<iocTypeShift | 1<<iocNRShift | 8<<iocSizeShift // 0x84501
	ioctlEvtchnBindUnboundPortNr = iocNone<<iocDirShift | 'E'<<iocTypeShift | 2<<iocNRShift | 4<<iocSizeShift // 0x44502
	ioctlEvtchnUnbindNr          = iocNone<<iocDirShift | 'E'<<iocTypeShift | 3<<iocNRShift | 4<<iocSizeShift // 0x44503
	ioctlEvtchnNotifyNr          = iocNone<<iocDirShift | 'E'<<iocTypeShift | 4<<iocNRShift | 4<<iocSizeShift // 0x44504
	ioctlEvtchnResetNr           = iocNone<<iocDirShift | 'E'<<iocTypeShift | 5<<iocNRShift | 0<<iocSizeShift // 0x4505
	evtchnPortSize               = 4                                                                          // sizeof(evtchn_port_t): read() and write() move u32 port numbers
	evtchnMaxReadPorts           = 1024                                                                       // ports per read (one 4 KiB page, as the driver caps reads at PAGE_SIZE)
)
