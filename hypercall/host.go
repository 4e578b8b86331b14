package hypercall

import (
	"bytes"
	"errors"
	"os"
	"syscall"
)

// hostPaths are the files through which Linux exposes Xen. Tests point
// them into a temporary directory.
type hostPaths struct {
	devXen       string   // /dev/xen: the directory of Xen device nodes
	procXen      string   // /proc/xen: xenfs
	privcmd      []string // privcmd device candidates, in order
	hypercall    string   // hypercall buffer device (Linux ≥ 4.18)
	capabilities string   // xenfs capabilities file: "control_d" in dom0
	evtchn       string   // event channel device
	gntdev       string   // grant mapping device
	gntalloc     string   // grant allocation device
}

var defaultPaths = hostPaths{
	devXen:       "/dev/xen",
	procXen:      "/proc/xen",
	privcmd:      []string{"/dev/xen/privcmd", "/proc/xen/privcmd"},
	hypercall:    "/dev/xen/hypercall",
	capabilities: "/proc/xen/capabilities",
	evtchn:       "/dev/xen/evtchn",
	gntdev:       "/dev/xen/gntdev",
	gntalloc:     "/dev/xen/gntalloc",
}

// host is how Open looks at the machine; tests replace the functions.
type host struct {
	paths hostPaths
	// open opens a device read-write and close-on-exec.
	open     func(path string) (int, error)
	readFile func(path string) ([]byte, error)
	exists   func(path string) bool
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkXen classifies the host before any device is opened: no Xen at all,
// or a Xen guest rather than dom0. It returns nil when the host may be
// dom0; capsKnown tells whether the capabilities file said so (xenfs may
// not be mounted, and then confirmDom0 asks Xen instead).
func (h host) checkXen() (capsKnown bool, err error) {
	if !h.exists(h.paths.devXen) && !h.exists(h.paths.procXen) {
		return false, newSentinelError(ErrNoXen, "open",
			"not running on Xen: neither "+h.paths.devXen+" nor "+h.paths.procXen+" exists")
	}
	caps, err := h.readFile(h.paths.capabilities)
	if err != nil {
		return false, nil
	}
	if !bytes.Contains(caps, []byte("control_d")) {
		return true, newSentinelError(ErrNotDom0, "open",
			"not running in dom0: "+h.paths.capabilities+" does not list control_d (this is a Xen guest)")
	}
	return true, nil
}

// openDev opens the first existing of paths, classifying failures. what
// names the driver for the message when none exists.
func (h host) openDev(paths []string, what string) (int, string, error) {
	for _, p := range paths {
		if !h.exists(p) {
			continue
		}
		fd, err := h.open(p)
		if err == nil {
			return fd, p, nil
		}
		return -1, p, openError(p, err)
	}
	return -1, "", newSentinelError(ErrNoXen, "open",
		"no "+joinOr(paths)+": the "+what+" driver is not loaded")
}

// openError classifies a failed open of a Xen device.
func openError(path string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return &OpError{Op: "open " + path, Meaning: err.Error()}
	}
	switch {
	case errno == syscall.Errno(xenEACCES) || errno == syscall.Errno(xenEPERM):
		return &OpError{Op: "open " + path, Meaning: "permission denied: xgo must run as root in dom0", Err: errno, sentinel: ErrPermission}
	case errno == syscall.Errno(xenENOENT) || errno == syscall.Errno(xenENODEV) || errno == syscall.Errno(xenENXIO):
		// ENOENT, ENODEV, ENXIO: the node exists but no driver is behind it.
		return &OpError{Op: "open " + path, Meaning: "no Xen driver behind the device node", Err: errno, sentinel: ErrNoXen}
	}
	return &OpError{Op: "open " + path, Err: errno}
}

func joinOr(paths []string) string {
	s := ""
	for i, p := range paths {
		if i > 0 {
			s += " or "
		}
		s += p
	}
	return s
}
