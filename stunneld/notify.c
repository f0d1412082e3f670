/*
 * notify.c: sd_notify(3) in a few lines.  $NOTIFY_SOCKET names a UNIX
 * datagram socket, "@" at the start meaning the abstract namespace.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/**
 * notify_send(state): send ${state} ("READY=1", "RELOADING=1",
 * "STOPPING=1", "STATUS=...") to the service manager, if there is one.
 * Return 0 if sent or not wanted, -1 on failure.
 */
int
notify_send(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 len;
	socklen_t		 salen;
	int			 fd, rc = 0;

	if (path == NULL || path[0] == '\0')
		return (0);
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET: unusable address %s", path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '@' ? 0 : 1));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("NOTIFY_SOCKET: socket");
		return (-1);
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, salen) < 0) {
		log_warn("NOTIFY_SOCKET: %s", path);
		rc = -1;
	}
	close(fd);
	return (rc);
}
