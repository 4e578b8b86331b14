//go:build !linux

package pcpu

// ReadNodeInfo is nil off Linux: there is no dom0 to describe.
func ReadNodeInfo() *NodeInfo { return nil }
