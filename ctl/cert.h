/*
 * cert.h: "stunnelctl cert": the network's small PKI, offline.  Make the
 * CA (ca.key, ca.crt and an empty ca.crl in one directory), issue node
 * certificates signed by it, revoke them into the CRL, sign the CRL again
 * with a new next update, show a certificate or CRL, print a
 * certificate's SPKI pin, print the "ca" list of a network from its
 * organisations' CA certificates.  Everything goes through GnuTLS's
 * X.509 API; no daemon is involved.
 */
#ifndef CERT_H
#define CERT_H

/**
 * cert_main(argc, argv): run "stunnelctl cert ${argv}[0] ${argv}[1] ...",
 * the ${argc} words after "cert": ca, issue, revoke, crl, show, pin or
 * trust and their options.  Messages go to stdout, failures to stderr as
 * "stunnelctl: FILE: reason".  Return the exit status: 0 done, 1 failure,
 * 2 usage error.
 */
int	cert_main(int argc, char *const argv[]);

#endif /* !CERT_H */
