// Package simguest runs package backend without Xen: an in-memory
// hypervisor (Xen) with domains whose memory is pages, a grant table per
// domain and interdomain event channels, and a Frontend that drives the
// real sndif protocol over them the way Linux's snd-xen-front does
// (publish the transport, OPEN with a page directory, HW_PARAM_QUERY,
// TRIGGER, WRITE or READ, CUR_POS events, CLOSE).
//
// Grants are real sharing, not copies: a page a guest granted and the
// backend's mapping of it are the same memory. Several references map as
// one contiguous buffer only when the guest's pages are adjacent in its
// memory, which is how Frontend allocates its buffers (a mapping of
// scattered pages fails with EINVAL, where a real gntdev would map them).
package simguest
