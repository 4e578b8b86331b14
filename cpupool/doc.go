// Package cpupool implements xl's cpupool commands and xgo's atomic ones.
//
// Pools are a hypervisor object (XEN_SYSCTL_cpupool_op) with a toolstack
// name kept in XenStore at /local/pool/<id>/name, exactly as libxl keeps it,
// so pools made by xl and by xgo are visible to both. Operations that touch
// several CPUs or domains validate the whole request first and roll back
// the steps already done when Xen refuses one midway.
package cpupool
