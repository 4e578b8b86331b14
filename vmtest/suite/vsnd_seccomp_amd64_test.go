//go:build xenlab && amd64

package suite

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// vbSeccomp installs on the calling thread (so on what it execs next) the
// seccomp filter that xgo-vsnd-backend.service's settings give the
// backend, as systemd 252 builds it with libseccomp, in spirit if not
// instruction for instruction:
//
//	SystemCallArchitectures=native  another architecture or the x32 ABI: killed
//	SystemCallFilter=               vbSystemService allowed, anything else fails
//	SystemCallErrorNumber=EPERM     with EPERM
//	RestrictAddressFamilies=AF_UNIX socket() of another family: EAFNOSUPPORT
//	MemoryDenyWriteExecute=yes      mmap writable and executable, mprotect and
//	                                pkey_mprotect executable: EPERM
//	RestrictNamespaces=yes          clone and unshare with CLONE_NEW*, setns: EPERM;
//	                                clone3: ENOSYS (systemd's answer, so that
//	                                libc falls back to clone)
//	LockPersonality=yes             personality() other than a query or PER_LINUX: EPERM
//
// RestrictRealtime= is in it too (sched_setscheduler is in @resources);
// RestrictSUIDSGID= (chmod and open with S_ISUID/S_ISGID) is not.
//
// With kill, every refusal kills the process instead (the lab's dom0
// boots with audit=0, so refusals are not logged): a backend that lives
// through its work and exits 0 made no call the unit refuses.
func vbSeccomp(kill bool) error {
	const (
		ldNR   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge    = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		and    = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
		ret    = unix.BPF_RET | unix.BPF_K
		allow  = unix.SECCOMP_RET_ALLOW
		die    = unix.SECCOMP_RET_KILL_PROCESS
		arg0   = 16 // offsetof(struct seccomp_data, args[0]), low 32 bits
		arg2   = 32
		nsMask = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
			unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP
	)
	refuse := func(errno unix.Errno) uint32 {
		if kill {
			return die
		}
		return unix.SECCOMP_RET_ERRNO | uint32(errno)
	}
	eperm := refuse(unix.EPERM)
	st := func(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
	jmp := func(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
	}
	p := []unix.SockFilter{
		st(ldNR, 4), // arch
		jmp(jeq, unix.AUDIT_ARCH_X86_64, 1, 0),
		st(ret, die),
		st(ldNR, 0),                // nr
		jmp(jge, 0x40000000, 0, 1), // __X32_SYSCALL_BIT
		st(ret, die),
	}
	allowed := map[uintptr]bool{}
	for _, nr := range vbSystemService {
		allowed[nr] = true
	}
	// Calls with argument checks: each block ends in a ret, so skipping
	// it leaves the call's number in A for the next test.
	special := map[uintptr][]unix.SockFilter{
		unix.SYS_SOCKET: {st(ldNR, arg0), jmp(jeq, unix.AF_UNIX, 0, 1), st(ret, allow),
			st(ret, refuse(unix.EAFNOSUPPORT))},
		unix.SYS_MMAP: {st(ldNR, arg2), st(and, unix.PROT_WRITE|unix.PROT_EXEC),
			jmp(jeq, unix.PROT_WRITE|unix.PROT_EXEC, 0, 1), st(ret, eperm), st(ret, allow)},
		unix.SYS_MPROTECT: {st(ldNR, arg2), st(and, unix.PROT_EXEC), jmp(jeq, unix.PROT_EXEC, 0, 1),
			st(ret, eperm), st(ret, allow)},
		unix.SYS_PKEY_MPROTECT: {st(ldNR, arg2), st(and, unix.PROT_EXEC), jmp(jeq, unix.PROT_EXEC, 0, 1),
			st(ret, eperm), st(ret, allow)},
		unix.SYS_CLONE:   {st(ldNR, arg0), st(and, nsMask), jmp(jeq, 0, 0, 1), st(ret, allow), st(ret, eperm)},
		unix.SYS_UNSHARE: {st(ldNR, arg0), st(and, nsMask), jmp(jeq, 0, 0, 1), st(ret, allow), st(ret, eperm)},
		unix.SYS_SETNS:   {st(ret, eperm)},
		unix.SYS_CLONE3:  {st(ret, refuse(unix.ENOSYS))},
		unix.SYS_PERSONALITY: {st(ldNR, arg0), jmp(jeq, 0xffffffff, 1, 0), jmp(jeq, 0 /* PER_LINUX */, 0, 1),
			st(ret, allow), st(ret, eperm)},
	}
	for _, nr := range []uintptr{unix.SYS_SOCKET, unix.SYS_MMAP, unix.SYS_MPROTECT, unix.SYS_PKEY_MPROTECT,
		unix.SYS_CLONE, unix.SYS_UNSHARE, unix.SYS_SETNS, unix.SYS_CLONE3, unix.SYS_PERSONALITY} {
		if !allowed[nr] {
			continue // denied whatever its arguments
		}
		b := special[nr]
		p = append(p, jmp(jeq, uint32(nr), 0, uint8(len(b))))
		p = append(p, b...)
	}
	for _, nr := range vbSystemService {
		if special[nr] == nil {
			p = append(p, jmp(jeq, uint32(nr), 0, 1), st(ret, allow))
		}
	}
	p = append(p, st(ret, eperm))
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: &p[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); e != 0 {
		return fmt.Errorf("seccomp: %v (%d instructions)", e, len(p))
	}
	return nil
}

// vbSystemService is what SystemCallFilter=@system-service followed by
// SystemCallFilter=~@privileged @resources allows on x86_64, as
// xgo-vsnd-backend.service says: systemd 252's groups (Debian bookworm,
// "systemd-analyze syscall-filter"), expanded, less the calls x86_64 does
// not have (<asm/unistd_64.h> of linux-libc-dev 6.1).
var vbSystemService = []uintptr{
	unix.SYS_ACCEPT, unix.SYS_ACCEPT4, unix.SYS_ACCESS, unix.SYS_ADD_KEY,
	unix.SYS_ALARM, unix.SYS_ARCH_PRCTL, unix.SYS_BIND, unix.SYS_BRK,
	unix.SYS_CAPGET, unix.SYS_CHDIR, unix.SYS_CHMOD, unix.SYS_CLOCK_GETRES,
	unix.SYS_CLOCK_GETTIME, unix.SYS_CLOCK_NANOSLEEP, unix.SYS_CLONE,
	unix.SYS_CLONE3, unix.SYS_CLOSE, unix.SYS_CLOSE_RANGE, unix.SYS_CONNECT,
	unix.SYS_COPY_FILE_RANGE, unix.SYS_CREAT, unix.SYS_DUP, unix.SYS_DUP2,
	unix.SYS_DUP3, unix.SYS_EPOLL_CREATE, unix.SYS_EPOLL_CREATE1,
	unix.SYS_EPOLL_CTL, unix.SYS_EPOLL_CTL_OLD, unix.SYS_EPOLL_PWAIT,
	unix.SYS_EPOLL_PWAIT2, unix.SYS_EPOLL_WAIT, unix.SYS_EPOLL_WAIT_OLD,
	unix.SYS_EVENTFD, unix.SYS_EVENTFD2, unix.SYS_EXECVE, unix.SYS_EXECVEAT,
	unix.SYS_EXIT, unix.SYS_EXIT_GROUP, unix.SYS_FACCESSAT,
	unix.SYS_FACCESSAT2, unix.SYS_FADVISE64, unix.SYS_FALLOCATE,
	unix.SYS_FCHDIR, unix.SYS_FCHMOD, unix.SYS_FCHMODAT, unix.SYS_FCNTL,
	unix.SYS_FDATASYNC, unix.SYS_FGETXATTR, unix.SYS_FLISTXATTR,
	unix.SYS_FLOCK, unix.SYS_FORK, unix.SYS_FREMOVEXATTR, unix.SYS_FSETXATTR,
	unix.SYS_FSTAT, unix.SYS_FSTATFS, unix.SYS_FSYNC, unix.SYS_FTRUNCATE,
	unix.SYS_FUTEX, unix.SYS_FUTEX_WAITV, unix.SYS_FUTIMESAT,
	unix.SYS_GET_MEMPOLICY, unix.SYS_GET_ROBUST_LIST, unix.SYS_GET_THREAD_AREA,
	unix.SYS_GETCPU, unix.SYS_GETCWD, unix.SYS_GETDENTS, unix.SYS_GETDENTS64,
	unix.SYS_GETEGID, unix.SYS_GETEUID, unix.SYS_GETGID, unix.SYS_GETGROUPS,
	unix.SYS_GETITIMER, unix.SYS_GETPEERNAME, unix.SYS_GETPGID,
	unix.SYS_GETPGRP, unix.SYS_GETPID, unix.SYS_GETPPID, unix.SYS_GETPRIORITY,
	unix.SYS_GETRANDOM, unix.SYS_GETRESGID, unix.SYS_GETRESUID,
	unix.SYS_GETRLIMIT, unix.SYS_GETRUSAGE, unix.SYS_GETSID,
	unix.SYS_GETSOCKNAME, unix.SYS_GETSOCKOPT, unix.SYS_GETTID,
	unix.SYS_GETTIMEOFDAY, unix.SYS_GETUID, unix.SYS_GETXATTR,
	unix.SYS_INOTIFY_ADD_WATCH, unix.SYS_INOTIFY_INIT, unix.SYS_INOTIFY_INIT1,
	unix.SYS_INOTIFY_RM_WATCH, unix.SYS_IO_CANCEL, unix.SYS_IO_DESTROY,
	unix.SYS_IO_GETEVENTS, unix.SYS_IO_PGETEVENTS, unix.SYS_IO_SETUP,
	unix.SYS_IO_SUBMIT, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER,
	unix.SYS_IO_URING_SETUP, unix.SYS_IOCTL, unix.SYS_IOPRIO_GET,
	unix.SYS_KCMP, unix.SYS_KEYCTL, unix.SYS_KILL, unix.SYS_LGETXATTR,
	unix.SYS_LINK, unix.SYS_LINKAT, unix.SYS_LISTEN, unix.SYS_LISTXATTR,
	unix.SYS_LLISTXATTR, unix.SYS_LREMOVEXATTR, unix.SYS_LSEEK,
	unix.SYS_LSETXATTR, unix.SYS_LSTAT, unix.SYS_MADVISE, unix.SYS_MEMBARRIER,
	unix.SYS_MEMFD_CREATE, unix.SYS_MKDIR, unix.SYS_MKDIRAT, unix.SYS_MKNOD,
	unix.SYS_MKNODAT, unix.SYS_MLOCK, unix.SYS_MLOCK2, unix.SYS_MLOCKALL,
	unix.SYS_MMAP, unix.SYS_MPROTECT, unix.SYS_MQ_GETSETATTR,
	unix.SYS_MQ_NOTIFY, unix.SYS_MQ_OPEN, unix.SYS_MQ_TIMEDRECEIVE,
	unix.SYS_MQ_TIMEDSEND, unix.SYS_MQ_UNLINK, unix.SYS_MREMAP,
	unix.SYS_MSGCTL, unix.SYS_MSGGET, unix.SYS_MSGRCV, unix.SYS_MSGSND,
	unix.SYS_MSYNC, unix.SYS_MUNLOCK, unix.SYS_MUNLOCKALL, unix.SYS_MUNMAP,
	unix.SYS_NAME_TO_HANDLE_AT, unix.SYS_NANOSLEEP, unix.SYS_NEWFSTATAT,
	unix.SYS_OPEN, unix.SYS_OPENAT, unix.SYS_OPENAT2, unix.SYS_PAUSE,
	unix.SYS_PERSONALITY, unix.SYS_PIDFD_OPEN, unix.SYS_PIDFD_SEND_SIGNAL,
	unix.SYS_PIPE, unix.SYS_PIPE2, unix.SYS_POLL, unix.SYS_PPOLL,
	unix.SYS_PRCTL, unix.SYS_PREAD64, unix.SYS_PREADV, unix.SYS_PREADV2,
	unix.SYS_PRLIMIT64, unix.SYS_PROCESS_MADVISE, unix.SYS_PROCESS_VM_READV,
	unix.SYS_PROCESS_VM_WRITEV, unix.SYS_PSELECT6, unix.SYS_PWRITE64,
	unix.SYS_PWRITEV, unix.SYS_PWRITEV2, unix.SYS_READ, unix.SYS_READAHEAD,
	unix.SYS_READLINK, unix.SYS_READLINKAT, unix.SYS_READV, unix.SYS_RECVFROM,
	unix.SYS_RECVMMSG, unix.SYS_RECVMSG, unix.SYS_REMAP_FILE_PAGES,
	unix.SYS_REMOVEXATTR, unix.SYS_RENAME, unix.SYS_RENAMEAT,
	unix.SYS_RENAMEAT2, unix.SYS_REQUEST_KEY, unix.SYS_RESTART_SYSCALL,
	unix.SYS_RMDIR, unix.SYS_RSEQ, unix.SYS_RT_SIGACTION,
	unix.SYS_RT_SIGPENDING, unix.SYS_RT_SIGPROCMASK, unix.SYS_RT_SIGQUEUEINFO,
	unix.SYS_RT_SIGRETURN, unix.SYS_RT_SIGSUSPEND, unix.SYS_RT_SIGTIMEDWAIT,
	unix.SYS_RT_TGSIGQUEUEINFO, unix.SYS_SCHED_GET_PRIORITY_MAX,
	unix.SYS_SCHED_GET_PRIORITY_MIN, unix.SYS_SCHED_GETAFFINITY,
	unix.SYS_SCHED_GETATTR, unix.SYS_SCHED_GETPARAM,
	unix.SYS_SCHED_GETSCHEDULER, unix.SYS_SCHED_RR_GET_INTERVAL,
	unix.SYS_SCHED_YIELD, unix.SYS_SELECT, unix.SYS_SEMCTL, unix.SYS_SEMGET,
	unix.SYS_SEMOP, unix.SYS_SEMTIMEDOP, unix.SYS_SENDFILE, unix.SYS_SENDMMSG,
	unix.SYS_SENDMSG, unix.SYS_SENDTO, unix.SYS_SET_ROBUST_LIST,
	unix.SYS_SET_THREAD_AREA, unix.SYS_SET_TID_ADDRESS, unix.SYS_SETFSGID,
	unix.SYS_SETGID, unix.SYS_SETITIMER, unix.SYS_SETNS, unix.SYS_SETPGID,
	unix.SYS_SETREGID, unix.SYS_SETRESGID, unix.SYS_SETSID,
	unix.SYS_SETSOCKOPT, unix.SYS_SETXATTR, unix.SYS_SHMAT, unix.SYS_SHMCTL,
	unix.SYS_SHMDT, unix.SYS_SHMGET, unix.SYS_SHUTDOWN, unix.SYS_SIGALTSTACK,
	unix.SYS_SIGNALFD, unix.SYS_SIGNALFD4, unix.SYS_SOCKET,
	unix.SYS_SOCKETPAIR, unix.SYS_SPLICE, unix.SYS_STAT, unix.SYS_STATFS,
	unix.SYS_STATX, unix.SYS_SYMLINK, unix.SYS_SYMLINKAT, unix.SYS_SYNC,
	unix.SYS_SYNC_FILE_RANGE, unix.SYS_SYNCFS, unix.SYS_SYSINFO, unix.SYS_TEE,
	unix.SYS_TGKILL, unix.SYS_TIME, unix.SYS_TIMER_CREATE,
	unix.SYS_TIMER_DELETE, unix.SYS_TIMER_GETOVERRUN, unix.SYS_TIMER_GETTIME,
	unix.SYS_TIMER_SETTIME, unix.SYS_TIMERFD_CREATE, unix.SYS_TIMERFD_GETTIME,
	unix.SYS_TIMERFD_SETTIME, unix.SYS_TIMES, unix.SYS_TKILL,
	unix.SYS_TRUNCATE, unix.SYS_UMASK, unix.SYS_UNAME, unix.SYS_UNLINK,
	unix.SYS_UNLINKAT, unix.SYS_UNSHARE, unix.SYS_USERFAULTFD, unix.SYS_UTIME,
	unix.SYS_UTIMENSAT, unix.SYS_UTIMES, unix.SYS_VFORK, unix.SYS_VMSPLICE,
	unix.SYS_WAIT4, unix.SYS_WAITID, unix.SYS_WRITE, unix.SYS_WRITEV,
}
