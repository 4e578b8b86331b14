// Package xenbus holds the xenbus device states of Xen's
// public/io/xenbus.h, which every split driver's frontend and backend
// write to their "state" nodes in XenStore, and reads them the way Linux's
// xenbus_read_driver_state does.
//
// It is shared by the vsnd provisioning code (package sound), the Go vsnd
// backend (sound/backend) and the simulated frontend (internal/vsndfront),
// so the three agree on one definition.
package xenbus
