package xendev

// Grants maps pages other domains granted to this one: on a real host
// /dev/xen/gntdev (hypercall.Gntdev, through backend.GntdevGrants), in
// tests and --sim package simguest's in-memory grant table.
type Grants interface {
	// Map maps the pages domid granted under refs into one contiguous
	// mapping, read-only unless writable. A bad reference is an error,
	// never a crash.
	Map(domid uint32, refs []uint32, writable bool) (Mapping, error)
}

// Mapping is mapped grant pages.
type Mapping interface {
	Bytes() []byte // 4096 × len(refs) octets
	Unmap() error  // idempotent
}

// Events is an event channel handle: on a real host /dev/xen/evtchn
// (*hypercall.Evtchn fits it as is), in tests package simguest's
// in-memory channels.
type Events interface {
	BindInterdomain(domid, remotePort uint32) (uint32, error)
	Unbind(port uint32) error
	Notify(port uint32) error
	// Pending blocks until bound ports fire and returns them; each is
	// masked until Unmask. It fails once the handle is closed.
	Pending() ([]uint32, error)
	Unmask(ports ...uint32) error
	Close() error
}
