/*
 * t_sandbox.c: the worker's seccomp filter, entered in a forked child:
 * a call only an intruder makes (execve, ptrace, setuid) ends the process
 * with SIGSYS, one outside the allow-list (chdir) fails with EPERM and the
 * process lives on, and what a relay needs still works.  85-daemon checks
 * that a running worker carries the filter; this checks the filter
 * itself on machines where a debugger cannot make a worker call execve.
 */
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "test.h"

enum probe { PROBE_EXEC, PROBE_PTRACE, PROBE_SETUID, PROBE_DENIED,
    PROBE_RELAY };

/* Run ${p} in a sandboxed child; return its wait status. */
static int
run_sandboxed(enum probe p)
{
	char *const	 argv[] = { "/bin/true", NULL };
	pid_t		 pid;
	int		 status, sv[2];
	char		 c = 'x';

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		if (sandbox_enter() != 0)
			_exit(100);
		switch (p) {
		case PROBE_EXEC:
			execve(argv[0], argv, NULL);
			_exit(101);
		case PROBE_PTRACE:
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			_exit(101);
		case PROBE_SETUID:
			(void)setuid(0);
			_exit(101);
		case PROBE_DENIED:
			/* chdir is not on the list: refused, not fatal */
			_exit(chdir("/") == -1 && errno == EPERM ? 0 : 102);
		case PROBE_RELAY:
			if (pipe(sv) != 0 ||
			    write(sv[1], &c, 1) != 1 ||
			    read(sv[0], &c, 1) != 1 ||
			    socket(AF_INET, SOCK_STREAM, 0) == -1)
				_exit(103);
			_exit(0);
		}
		_exit(104);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return (-1);
	return (status);
}

static int
killed_by_sigsys(int status)
{
	return (status != -1 && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGSYS);
}

static int
exited_zero(int status)
{
	return (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
	log_init(1, LOG_WARNING);
	if (!sandbox_available()) {
		printf("t_sandbox: this build has no seccomp support\n");
		return (77);
	}
	CHECK(killed_by_sigsys(run_sandboxed(PROBE_EXEC)));
	CHECK(killed_by_sigsys(run_sandboxed(PROBE_PTRACE)));
	CHECK(killed_by_sigsys(run_sandboxed(PROBE_SETUID)));
	CHECK(exited_zero(run_sandboxed(PROBE_DENIED)));
	CHECK(exited_zero(run_sandboxed(PROBE_RELAY)));
	TEST_DONE();
}
