package hypercall

import (
	"bytes"
	"errors"
	"syscall"
)

// xenVersionCall issues __HYPERVISOR_xen_version(cmd, buf).
func (x *Xen) xenVersionCall(cmd uint64, sub string, buf []byte) (uintptr, error) {
	return x.do(&call{
		hc:   hypervisorXenVersion,
		arg:  [5]uint64{cmd, uint64(addrOf(buf))},
		kind: OpXenVersion,
		op:   "xen_version " + sub,
		req:  buf,
	})
}

// versionNumber returns XENVER_version: major<<16 | minor.
func (x *Xen) versionNumber() (uint32, error) {
	var v uintptr
	err := x.run("xen_version version", 0, func(*arena) error {
		var err error
		v, err = x.xenVersionCall(xenverVersion, "version", nil)
		return err
	})
	return uint32(v), err
}

// buildIDMax is the build id buffer xgo offers; Xen's are 20-byte SHA-1s.
const buildIDMax = 256

// XenVersion implements Hypervisor. It costs four hypercalls.
func (x *Xen) XenVersion() (XenVersion, error) {
	var out XenVersion
	hdr := sizeOf[xenBuildIDHeader]()
	n := arenaSize(xenExtraversionLen, xenCommandlineLen, hdr+buildIDMax)
	err := x.run("xen_version", n, func(a *arena) error {
		v, err := x.xenVersionCall(xenverVersion, "version", nil)
		if err != nil {
			return err
		}
		out.Major, out.Minor = int(uint32(v)>>16), int(uint32(v)&0xFFFF)

		extra := a.take(xenExtraversionLen)
		if _, err := x.xenVersionCall(xenverExtraversion, "extraversion", extra); err != nil {
			return err
		}
		out.Extra = cString(extra)

		cmdline := a.take(xenCommandlineLen)
		if _, err := x.xenVersionCall(xenverCommandline, "commandline", cmdline); err != nil {
			return err
		}
		out.CommandLine = cString(cmdline)

		bid := a.take(hdr + buildIDMax)
		view[xenBuildIDHeader](bid).Len = buildIDMax
		r, err := x.xenVersionCall(xenverBuildID, "build_id", bid)
		switch {
		case err == nil:
			if int(r) > buildIDMax {
				r = buildIDMax
			}
			out.BuildID = append([]byte(nil), bid[hdr:hdr+int(r)]...)
		case errors.Is(err, syscall.Errno(xenENODATA)), errors.Is(err, syscall.Errno(xenENOSYS)),
			errors.Is(err, syscall.Errno(xenEPERM)):
			// Built without a build id, a hypervisor without the
			// sub-command, or an XSM policy hiding it: not an error, just
			// no id.
		default:
			return err
		}
		return nil
	})
	return out, err
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// XenBuildInfo implements Hypervisor. It costs four hypercalls, the ones
// libxl_get_version_info makes for these fields, in its order.
func (x *Xen) XenBuildInfo() (XenBuildInfo, error) {
	var out XenBuildInfo
	ccSize, ppSize := sizeOf[xenCompileInfo](), sizeOf[xenPlatformParameters]()
	n := arenaSize(ccSize, xenCapabilitiesLen, xenChangesetLen, ppSize)
	err := x.run("xen_version", n, func(a *arena) error {
		cc := a.take(ccSize)
		if _, err := x.xenVersionCall(xenverCompileInfo, "compile_info", cc); err != nil {
			return err
		}
		ci := view[xenCompileInfo](cc)
		out.Compiler = cString(ci.Compiler[:])
		out.CompileBy = cString(ci.CompileBy[:])
		out.CompileDomain = cString(ci.CompileDomain[:])
		out.CompileDate = cString(ci.CompileDate[:])

		caps := a.take(xenCapabilitiesLen)
		if _, err := x.xenVersionCall(xenverCapabilities, "capabilities", caps); err != nil {
			return err
		}
		out.Capabilities = cString(caps)

		cs := a.take(xenChangesetLen)
		if _, err := x.xenVersionCall(xenverChangeset, "changeset", cs); err != nil {
			return err
		}
		out.Changeset = cString(cs)

		pp := a.take(ppSize)
		if _, err := x.xenVersionCall(xenverPlatformParm, "platform_parameters", pp); err != nil {
			return err
		}
		out.VirtStart = view[xenPlatformParameters](pp).VirtStart
		return nil
	})
	return out, err
}
