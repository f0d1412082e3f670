/*
 * notify.h: the systemd readiness protocol (sd_notify(3)) without
 * libsystemd: one datagram per state change to $NOTIFY_SOCKET.  Without
 * that variable every call does nothing.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

/**
 * notify_send(state): send ${state} ("READY=1", "RELOADING=1",
 * "STOPPING=1", "STATUS=...") to the service manager, if there is one.
 * Return 0 if sent or not wanted, -1 on failure.
 */
int	notify_send(const char *state);

#endif /* !NOTIFY_H */
