/*
 * sandbox.c: the worker's seccomp filter.  The allow-list was taken from
 * what the integration tests make a worker call (strace -f -c), plus the
 * calls of the same family that glibc may pick instead on another kernel
 * (open/openat, stat/newfstatat/statx, poll/ppoll...).
 */
#include <sys/prctl.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "log.h"
#include "sandbox.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>

/* The system calls a worker lives on. */
static const char *const sandbox_allowed[] = {
	/* sockets and the relay; setsockopt() also sets SO_MARK and
	 * getsockopt() reads a redirect's SO_ORIGINAL_DST: no call of
	 * its own (and no capset(): CAP_NET_ADMIN is kept for SO_MARK by
	 * main.c before any worker exists) */
	"read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg",
	"sendmsg", "sendmmsg", "recvmmsg", "close", "shutdown", "accept",
	"accept4", "connect", "socket", "bind", "listen", "getsockname",
	"getpeername", "getsockopt", "setsockopt", "fcntl", "ioctl",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
	"epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6",
	"eventfd", "eventfd2", "pipe", "pipe2", "dup", "dup2", "dup3",
	/* files: certificate reloads, /etc/hosts and resolv.conf */
	"open", "openat", "stat", "fstat", "lstat", "newfstatat", "statx",
	"lseek", "access", "faccessat", "faccessat2", "readlink",
	"readlinkat", "getdents64",
	/* memory */
	"mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
	/* time */
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep",
	/* threads of the resolver, signals, the process itself */
	"clone", "clone3", "futex", "set_robust_list", "get_robust_list",
	"rseq", "sched_yield", "sched_getaffinity", "gettid", "getpid",
	"getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"rt_sigtimedwait", "tgkill", "tkill", "kill", "exit", "exit_group",
	"restart_syscall", "getrandom", "uname", "sysinfo", "prlimit64",
	"getrlimit", "set_tid_address", "prctl", "getcwd",
	NULL
};

/* Calls that have no business in a worker: they end it. */
static const char *const sandbox_fatal[] = {
	"execve", "execveat", "ptrace", "process_vm_readv",
	"process_vm_writev", "mount", "umount2", "pivot_root", "chroot",
	"init_module", "finit_module", "delete_module", "kexec_load",
	"kexec_file_load", "bpf", "perf_event_open", "add_key",
	"request_key", "keyctl", "setuid", "setgid", "setreuid", "setregid",
	"setresuid", "setresgid", "setgroups", "unshare", "setns",
	"personality", "reboot", "swapon", "swapoff", "acct",
	NULL
};

/**
 * sandbox_enter(): confine this process (and threads it starts later).
 * Return 0, or -1 with the reason logged.
 */
int
sandbox_enter(void)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 nr, rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_warn("sandbox: PR_SET_NO_NEW_PRIVS");
		return (-1);
	}
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		log_warnx("sandbox: seccomp_init failed");
		return (-1);
	}
	for (i = 0; sandbox_allowed[i] != NULL; i++) {
		/* a name this architecture does not have is no error */
		if ((nr = seccomp_syscall_resolve_name(sandbox_allowed[i])) ==
		    __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			goto fail;
	}
	for (i = 0; sandbox_fatal[i] != NULL; i++) {
		if ((nr = seccomp_syscall_resolve_name(sandbox_fatal[i])) ==
		    __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr,
		    0)) < 0)
			goto fail;
	}
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	log_debug("sandbox: seccomp filter loaded");
	return (0);

fail:
	log_warnx("sandbox: cannot install the seccomp filter: %s",
	    strerror(-rc));
	seccomp_release(ctx);
	return (-1);
}

/** sandbox_available(): 1 if this build can sandbox. */
int
sandbox_available(void)
{
	return (1);
}

#else /* !HAVE_SECCOMP */

/**
 * sandbox_enter(): confine this process (and threads it starts later).
 * Return 0, or -1 with the reason logged.
 */
int
sandbox_enter(void)
{
	log_warnx("sandbox: this build has no seccomp support");
	return (-1);
}

/** sandbox_available(): 1 if this build can sandbox. */
int
sandbox_available(void)
{
	return (0);
}

#endif /* HAVE_SECCOMP */
