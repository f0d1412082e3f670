/*
 * sandbox.h: what a worker may still do once it serves.  On Linux a
 * seccomp allow-list (libseccomp): the system calls a relay, its name
 * resolver and a certificate reload need.  Anything else fails with
 * EPERM; calls that only an intruder would make (exec, ptrace, mount,
 * module and key management...) kill the process, and the supervisor
 * logs the signal.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

/**
 * sandbox_enter(): confine this process (and threads it starts later).
 * Return 0, or -1 with the reason logged.
 */
int	sandbox_enter(void);

/** sandbox_available(): 1 if this build can sandbox. */
int	sandbox_available(void);

#endif /* !SANDBOX_H */
