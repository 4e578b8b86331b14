// Package cpupool implements xl's cpupool commands and xgo's atomic ones.
//
// Pools are a hypervisor object (XEN_SYSCTL_cpupool_op) with a toolstack
// name kept in XenStore at /local/pool/<id>/name (and a uuid), exactly as
// libxl keeps it, so pools made by xl and by xgo are visible to both. A
// pool argument is an id when it is all digits and a name otherwise, as in
// libxl; domains likewise (/local/domain/<id>/name).
//
// Every change is made in two phases. A Plan* method reads the host,
// checks the whole request (cpu 0 never leaves Pool-0, a pool with domains
// keeps a cpu, cpus are online, names are unique, ...) and returns a Plan:
// the list of hypercalls and XenStore changes it would make. Printing the
// plan is the dry run. Plan.Execute then makes the changes and, when Xen
// refuses one midway, undoes the ones already made in reverse order, so
// the host is left as it was (cpupool-cpu-add and -cpu-remove instead go
// on past a refused cpu, as xl does, and report it).
//
// Errors say what is wrong in an admin's terms, naming the pool, cpu or
// domain ("cpu 3 is not in cpupool 'rt' (it is in 'Pool-0')"), and match
// ErrInvalid (a bad argument), ErrNotFound, ErrRefused (the request does
// not fit the host), ErrPartial, and through Unwrap the errno of the
// hypercall that failed.
//
// The package sees Xen only through hypercall.Hypervisor and a XenStore
// connection, so it runs unchanged against the simulated host of package
// xensim.
package cpupool
