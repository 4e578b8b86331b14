//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// stdoutTerm reports no terminal where xgo does not know how to ask.
func stdoutTerm(*os.File) termInfo { return termInfo{} }
