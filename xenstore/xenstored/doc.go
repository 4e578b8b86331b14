// Package xenstored is an in-process XenStore daemon that behaves on the
// wire like C xenstored 4.17.
//
// It is used by tests, by the simulated Xen host (xgo --sim) and, started
// from the CLI, as a stand-alone daemon for demos.
package xenstored
