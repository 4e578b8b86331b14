// Package xstool is what the xenstore-* tools (tools/xs-clients in Xen)
// do beyond one request to xenstored, so that xgo's xenstore commands
// behave as they do: several reads or writes in one transaction, rm -t
// removing the parents it leaves empty, chmod -r and -u walking the tree,
// xenstore-ls's depth-first listing and its exact text layout, several
// watches merged into one stream of events, and the quoting of values
// (sanitise_value, unsanitise_value).
//
// It sees XenStore only through the xenstore package's interfaces, so it
// works alike on a real host, on the simulated one and against the
// in-process daemon.
package xstool
