package hypercall

import "structs"

// This file mirrors Xen's xen/include/public/hypfs.h, the hypervisor file
// system (Xen ≥ 4.14, CONFIG_HYPFS), unchanged 4.14–4.22 apart from
// comments and a typedef. The behaviour notes are from
// xen/common/hypfs.c (do_hypfs_op, hypfs_read, hypfs_get_path_user).

// hypervisorHypfsOp is __HYPERVISOR_hypfs_op (xen.h). A hypervisor built
// without CONFIG_HYPFS has no handler: the hypercall fails with ENOSYS.
const hypervisorHypfsOp = 42

// Sub-operations of __HYPERVISOR_hypfs_op(cmd, path, path_len, buf,
// buf_len).
const (
	// hypfsOpGetVersion returns the highest interface version; all four
	// arguments must be 0 (else EINVAL).
	hypfsOpGetVersion = 0 // XEN_HYPFS_OP_get_version
	// hypfsOpRead writes a xen_hypfs_direntry to buf and, if buf_len
	// holds it, the node's contents right after it. A buffer shorter
	// than the direntry is EINVAL; one that holds the direntry but not
	// the contents is ENOBUFS with the direntry (and so the needed
	// size) written.
	hypfsOpRead          = 1 // XEN_HYPFS_OP_read
	hypfsOpWriteContents = 2 // XEN_HYPFS_OP_write_contents
)

const (
	// hypfsVersion is XEN_HYPFS_VERSION, the interface version xgo
	// speaks.
	hypfsVersion = 1
	// hypfsMaxPathLen is XEN_HYPFS_MAX_PATHLEN: path_len counts the
	// trailing NUL, and a longer path is EINVAL.
	hypfsMaxPathLen = 1024
)

// HypfsType is a node's type (XEN_HYPFS_TYPE_*).
type HypfsType uint8

// Node types.
const (
	HypfsDir    HypfsType = 0 // XEN_HYPFS_TYPE_DIR: contents are dirlistentries
	HypfsBlob   HypfsType = 1 // XEN_HYPFS_TYPE_BLOB
	HypfsString HypfsType = 2 // XEN_HYPFS_TYPE_STRING: NUL-terminated
	HypfsUint   HypfsType = 3 // XEN_HYPFS_TYPE_UINT: little-endian, content_len bytes
	HypfsInt    HypfsType = 4 // XEN_HYPFS_TYPE_INT
	HypfsBool   HypfsType = 5 // XEN_HYPFS_TYPE_BOOL
)

// HypfsEncoding is how a node's contents are encoded (XEN_HYPFS_ENC_*).
type HypfsEncoding uint8

// Encodings.
const (
	HypfsPlain HypfsEncoding = 0 // XEN_HYPFS_ENC_PLAIN
	HypfsGzip  HypfsEncoding = 1 // XEN_HYPFS_ENC_GZIP: e.g. /buildinfo/config
)

// hypfsDirentry mirrors struct xen_hypfs_direntry: 12 bytes, no padding.
type hypfsDirentry struct {
	_           structs.HostLayout
	Type        uint8  // uint8_t type: XEN_HYPFS_TYPE_*
	Encoding    uint8  // uint8_t encoding: XEN_HYPFS_ENC_*
	Pad         uint16 // uint16_t pad: returned as 0
	ContentLen  uint32 // uint32_t content_len: current length of data
	MaxWriteLen uint32 // uint32_t max_write_len: 0 if read-only
}

// hypfsDirlistentry mirrors the fixed part of struct
// xen_hypfs_dirlistentry: {xen_hypfs_direntry_t e; uint16_t off_next;
// char name[];}. The NUL-terminated name starts at offset 14
// (hypfsDirlistNameOff); off_next is the distance to the next entry, 0
// for the last one. C's sizeof is 16 (aligned to 4), as is this struct's.
type hypfsDirlistentry struct {
	_       structs.HostLayout
	E       hypfsDirentry
	OffNext uint16
}

// hypfsDirlistNameOff is offsetof(struct xen_hypfs_dirlistentry, name).
const hypfsDirlistNameOff = 14
