//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// stdoutTerm reports whether f is a terminal and its width, the way
// xenstore-ls decides it: the TIOCGWINSZ ioctl succeeds only on a tty.
func stdoutTerm(f *os.File) termInfo {
	var ws struct{ row, col, xpixel, ypixel uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return termInfo{}
	}
	return termInfo{tty: true, width: int(ws.col)}
}
