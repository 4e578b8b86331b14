// Package suite holds the lab suite: Go tests that run as root inside a real
// Xen 4.17 dom0 booted under QEMU by vmtest/cmd/xenlab (`make vmtest`).
//
// Every test file carries the build tag xenlab, so `go test ./...` on a
// host builds none of them. The conventions for adding a test (names
// TestXen..., the helpers in lab_test.go, running code inside a domU) are in
// vmtest/README.md.
package suite
