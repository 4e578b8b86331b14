// Package xendev holds what a backend needs from the host's Xen devices,
// as small role interfaces: Grants and Mapping (mapping the pages a
// guest granted, /dev/xen/gntdev on a real host) and Events (event
// channels, /dev/xen/evtchn). Package sound/backend drives them, and
// package xensim/simguest implements them in memory for tests and
// --sim, so neither depends on the other.
//
// It is the client layer's device package: the gntdev, gntalloc and
// evtchn drivers (now in package hypercall) and future ALSA PCM code
// belong here.
package xendev
