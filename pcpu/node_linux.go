//go:build linux

package pcpu

import "syscall"

// ReadNodeInfo is dom0's uname, the first lines of xl info; nil if uname
// fails.
func ReadNodeInfo() *NodeInfo {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return nil
	}
	return &NodeInfo{
		Host:    utsString(u.Nodename[:]),
		Release: utsString(u.Release[:]),
		Version: utsString(u.Version[:]),
		Machine: utsString(u.Machine[:]),
	}
}

// utsString converts a NUL-terminated utsname field (int8 or uint8,
// depending on the architecture).
func utsString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
