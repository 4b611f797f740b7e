/* seccomp_default.c - Docker's default profile as tables (the allow list,
 * the syscalls each capability unlocks) and the rules built from them for
 * one capability set: personality, socket and clone with argument rules. */
#include "seccomp_priv.h"

#include <errno.h>
#include <stddef.h>

#include "caps.h"
#include "runtime/lib/util.h"

/* Docker's default allow list (unconditional part), x86-64 plus its 32-bit
 * compat names; names a kernel or libseccomp does not know are skipped. */
static const char *const allow_always[] = {
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "_llseek",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "_newselect",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pselect6_time64",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "sigprocmask",
    "sigreturn",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
    /* x86-64 only; Docker also allows ptrace on kernels >= 4.8, where it
     * can no longer be used to bypass seccomp. */
    "arch_prctl",
    "modify_ldt",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    NULL,
};

struct cap_group {
	int cap;
	const char *const *names;
};

static const char *const g_sys_admin[] = {
    "bpf",
    "clone3",
    "fanotify_init",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "lookup_dcookie",
    "mount",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "perf_event_open",
    "quotactl",
    "quotactl_fd",
    "setdomainname",
    "sethostname",
    "setns",
    "syslog",
    "umount",
    "umount2",
    "unshare",
    NULL,
};
static const char *const g_dac_read_search[] = {"open_by_handle_at", NULL};
static const char *const g_sys_boot[] = {"reboot", NULL};
static const char *const g_sys_chroot[] = {"chroot", NULL};
static const char *const g_sys_module[] = {"delete_module", "init_module", "finit_module", NULL};
static const char *const g_sys_pacct[] = {"acct", NULL};
static const char *const g_sys_ptrace[] = {"kcmp", "pidfd_getfd", "process_madvise", NULL};
static const char *const g_sys_rawio[] = {"iopl", "ioperm", NULL};
static const char *const g_sys_time[] = {"settimeofday", "stime", "clock_settime",
					 "clock_settime64", NULL};
static const char *const g_sys_tty[] = {"vhangup", NULL};
static const char *const g_sys_nice[] = {"get_mempolicy", "mbind", "set_mempolicy",
					 "set_mempolicy_home_node", NULL};
static const char *const g_syslog[] = {"syslog", NULL};
static const char *const g_bpf[] = {"bpf", NULL};
static const char *const g_perfmon[] = {"perf_event_open", NULL};

static const struct cap_group cap_groups[] = {
    {2, g_dac_read_search},
    {21, g_sys_admin},
    {22, g_sys_boot},
    {18, g_sys_chroot},
    {16, g_sys_module},
    {20, g_sys_pacct},
    {19, g_sys_ptrace},
    {17, g_sys_rawio},
    {25, g_sys_time},
    {26, g_sys_tty},
    {23, g_sys_nice},
    {34, g_syslog},
    {39, g_bpf},
    {38, g_perfmon},
};

#define CAP_SYS_ADMIN_BIT 21
/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define CLONE_NS_FLAGS 0x7E020000ull
#define AF_VSOCK_NR 40

static int add_names(scmp_filter_ctx ctx, const char *const *names, struct berr *e)
{
	for (; *names; names++) {
		int r = sc_add_rule(ctx, *names, SCMP_ACT_ALLOW, 0, NULL, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, struct berr *e)
{
#if defined(__x86_64__)
	static const uint32_t extra[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		int r = seccomp_arch_add(ctx, extra[i]);
		if (r < 0 && r != -EEXIST)
			return berr_set(e, -r, "seccomp add architecture");
	}
#endif
	return 0;
}

int sc_build_default(scmp_filter_ctx ctx, uint64_t caps, struct berr *e)
{
	static const uint64_t personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
	int r = add_arches(ctx, e);

	if (r == 0)
		r = add_names(ctx, allow_always, e);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(personas); i++) {
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_EQ, personas[i], 0);
		r = sc_add_rule(ctx, "personality", SCMP_ACT_ALLOW, 1, &a, e);
	}
	if (r == 0) {
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_NE, AF_VSOCK_NR, 0);
		r = sc_add_rule(ctx, "socket", SCMP_ACT_ALLOW, 1, &a, e);
	}
	if (r == 0 && caps_has(caps, CAP_SYS_ADMIN_BIT)) {
		r = sc_add_rule(ctx, "clone", SCMP_ACT_ALLOW, 0, NULL, e);
	} else if (r == 0) {
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0);
		r = sc_add_rule(ctx, "clone", SCMP_ACT_ALLOW, 1, &a, e);
		/* ENOSYS, so libcs fall back to clone, where flags are visible. */
		if (r == 0)
			r = sc_add_rule(ctx, "clone3", SCMP_ACT_ERRNO(ENOSYS), 0, NULL, e);
	}
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(cap_groups); i++) {
		if (caps_has(caps, cap_groups[i].cap))
			r = add_names(ctx, cap_groups[i].names, e);
	}
	return r;
}
