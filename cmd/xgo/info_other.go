//go:build !linux

package main

import "xgo.dev/xgo/pcpu"

// nodeInfo is nil off Linux: there is no dom0 to describe.
func nodeInfo() *pcpu.NodeInfo { return nil }
