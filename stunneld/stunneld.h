/*
 * stunneld.h: the configuration as plain data.  conf.c fills these
 * structures from the libconfig file; every other module reads them and
 * none of them includes <libconfig.h>.
 */
#ifndef STUNNELD_H
#define STUNNELD_H

#include <stddef.h>
#include <stdint.h>

#define SD_HOST_MAX		255	/* longest SOCKS5 domain name */
#define SD_WORKERS_MAX		64	/* workers of one tunnel (conf.c writes it out) */
#define SD_DEFAULT_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1"
#define SD_DEFAULT_CONTROL	"/run/stunneld/control.sock"
#define SD_ALPN			"stunneld/1"
#define SD_DEFAULT_MARK		0x5354	/* "ST": SO_MARK of stunneld's own sockets */

enum tunnel_mode {
	TUNNEL_SOCKS,		/* SOCKS5 in, TLS out */
	TUNNEL_TLS,		/* TLS in, TCP out */
	TUNNEL_REDIRECT		/* NAT-redirected TCP in, TLS out: a socks
				 * tunnel whose request is the original
				 * destination */
};

/* 1 if a tunnel of ${mode} dials TLS for a plaintext client (socks, redirect). */
static inline int
tunnel_dials_tls(enum tunnel_mode mode)
{
	return (mode == TUNNEL_SOCKS || mode == TUNNEL_REDIRECT);
}

/* "host:port" as written; host is unbracketed, "*" and port 0 are wildcards. */
struct hostport {
	char		host[SD_HOST_MAX + 1];
	uint16_t	port;
};

/*
 * A member added to struct tls_conf, struct route_conf or struct
 * tunnel_conf must be compared by conf_tunnel_equal() in conf.c (a config
 * line is not: a reload that only moves a line restarts nothing), and
 * goes into its list in tests/unit/t_tunnel_equal.c, whose build fails
 * until it is there and whose run fails if conf_tunnel_equal() ignores it.
 */

/*
 * One trust anchor of the list form of "ca": a file of CA certificates
 * (one organisation's, its old and new CA during a rotation), the names
 * they may vouch for and their own CRL.
 */
struct ca_conf {
	char	*file;
	char	**names;	/* as written; nnames == 0: any name */
	size_t	 nnames;
	char	*crl;		/* NULL: none */
	int	 line;		/* config lines, for FILE:LINE messages */
	int	 crl_line;
};

/* A tunnel's effective TLS settings (global tls block merged with its own). */
struct tls_conf {
	char	*cert;
	char	*key;
	char	*ca;		/* the file form; NULL with the list form */
	struct ca_conf *cas;	/* the list form: ncas scoped anchors */
	size_t	 ncas;
	char	*crl;		/* NULL: none */
	char	*priority;
	int	 crl_strict;	/* refuse peers whose chain's CRL is past its next update */
	int	 cert_line;	/* config lines, for FILE:LINE messages */
	int	 key_line;
	int	 ca_line;
	int	 crl_line;
	int	 priority_line;
};

struct route_conf {
	struct hostport	 match;		/* "*" host / port 0 match anything */
	int		 has_connect;
	struct hostport	 connect;	/* "*" host / port 0 keep the requested one */
	char		*peer;		/* NULL: the destination must be proven */
	int		 deny;
	int		 line;
};

struct tunnel_conf {
	char			*name;
	int			 line;
	enum tunnel_mode	 mode;
	struct hostport		 listen;
	int			 listen_line;
	struct hostport		 connect;	/* tls mode only */
	struct route_conf	*routes;	/* socks mode only */
	size_t			 nroutes;
	char			**allow;	/* tls mode only; names, wildcards, sha256: pins */
	size_t			 nallow;
	char			*socks_user;	/* NULL: no RFC 1929 authentication */
	char			*socks_pass;	/* read from password_file */
	struct tls_conf		 tls;
	unsigned int		 max_connections;
	unsigned int		 workers;	/* processes sharing the listen address */
	unsigned int		 handshake_timeout;	/* seconds */
	unsigned int		 connect_timeout;	/* seconds */
	unsigned int		 idle_timeout;		/* seconds, 0 = none */
	int			 loopback_per_peer;	/* tls mode: connect to a
							 * loopback target from
							 * 127.x.y.z of the peer */
};

struct sd_conf {
	char			*file;
	char			*control_socket;
	char			*pid_file;	/* NULL: none */
	char			*user;		/* NULL: keep the starting user */
	char			*group;
	int			 log_level;	/* LOG_ERR .. LOG_DEBUG from syslog.h */
	unsigned int		 shutdown_timeout;
	int			 sandbox;	/* workers run under seccomp */
	int			 reload_on_change;	/* watch the TLS files (watch.c) */
	uint32_t		 mark;		/* SO_MARK of outgoing sockets, 0: none */
	int			 mark_line;	/* 0: the default */
	struct tunnel_conf	*tunnels;
	size_t			 ntunnels;
};

#endif /* !STUNNELD_H */
