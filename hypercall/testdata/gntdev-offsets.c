/* gntdev-offsets.c: prints the sizes, offsets and ioctl numbers of Linux's
 * grant device UAPI that hypercall/abi_gntdev_test.go checks.
 * Built against Debian bookworm's linux-libc-dev (Linux 6.1 headers):
 *   gcc gntdev-offsets.c && ./a.out > gntdev-offsets.x86_64.txt
 *   aarch64-linux-gnu-gcc -static gntdev-offsets.c && qemu-aarch64-static ./a.out > gntdev-offsets.aarch64.txt
 * gntdev.h uses grant_ref_t and domid_t (for the grant copy segment) but
 * defines neither; they are Xen's uint32_t and uint16_t. */
#include <stdio.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/types.h>
typedef __u32 grant_ref_t;
typedef __u16 domid_t;
#include <xen/gntdev.h>
#include <xen/gntalloc.h>
#define S(t) printf("size %s %zu\n", #t, sizeof(t))
#define O(t,f) printf("off %s.%s %zu\n", #t, #f, offsetof(t,f))
#define I(n) printf("%s %#lx\n", #n, (unsigned long)(n))
int main(void){
 S(struct ioctl_gntdev_grant_ref);O(struct ioctl_gntdev_grant_ref,domid);O(struct ioctl_gntdev_grant_ref,ref);
 S(struct ioctl_gntdev_map_grant_ref);O(struct ioctl_gntdev_map_grant_ref,count);O(struct ioctl_gntdev_map_grant_ref,pad);O(struct ioctl_gntdev_map_grant_ref,index);O(struct ioctl_gntdev_map_grant_ref,refs);
 S(struct ioctl_gntdev_unmap_grant_ref);O(struct ioctl_gntdev_unmap_grant_ref,index);O(struct ioctl_gntdev_unmap_grant_ref,count);O(struct ioctl_gntdev_unmap_grant_ref,pad);
 S(struct ioctl_gntdev_unmap_notify);O(struct ioctl_gntdev_unmap_notify,index);O(struct ioctl_gntdev_unmap_notify,action);O(struct ioctl_gntdev_unmap_notify,event_channel_port);
 S(struct ioctl_gntalloc_alloc_gref);O(struct ioctl_gntalloc_alloc_gref,domid);O(struct ioctl_gntalloc_alloc_gref,flags);O(struct ioctl_gntalloc_alloc_gref,count);O(struct ioctl_gntalloc_alloc_gref,index);O(struct ioctl_gntalloc_alloc_gref,gref_ids);
 S(struct ioctl_gntalloc_dealloc_gref);O(struct ioctl_gntalloc_dealloc_gref,index);O(struct ioctl_gntalloc_dealloc_gref,count);
 S(struct ioctl_gntalloc_unmap_notify);O(struct ioctl_gntalloc_unmap_notify,index);O(struct ioctl_gntalloc_unmap_notify,action);O(struct ioctl_gntalloc_unmap_notify,event_channel_port);
 I(IOCTL_GNTDEV_MAP_GRANT_REF);I(IOCTL_GNTDEV_UNMAP_GRANT_REF);I(IOCTL_GNTDEV_SET_UNMAP_NOTIFY);
 I(IOCTL_GNTALLOC_ALLOC_GREF);I(IOCTL_GNTALLOC_DEALLOC_GREF);I(IOCTL_GNTALLOC_SET_UNMAP_NOTIFY);
 I(UNMAP_NOTIFY_CLEAR_BYTE);I(UNMAP_NOTIFY_SEND_EVENT);I(GNTALLOC_FLAG_WRITABLE);
 return 0;}
