// Package xensim is the simulated Xen host behind `xgo --sim`.
//
// It implements the same interfaces that package hypercall and package
// xenstore give the domain packages, backed by a model of a Xen 4.17 host
// whose rules and errnos come from Xen's sources and are checked against a
// real hypervisor in the lab (see vmtest/). Its XenStore is the in-process
// daemon of package xenstore/xenstored.
package xensim
