/* The calls the files of Listener and Client share: listener_addr.c (address strings and socket
 * addresses), listener.c (sockets, accept, connect) and listener_auth.c (the handshake).
 * conformance/test_listener_hostile.c also checks mp__auth_response and mp__auth_verify
 * against CPython's own verdicts, so they are declared here rather than kept static. */
#ifndef MP_LISTENER_IMPL_H
#define MP_LISTENER_IMPL_H

#include <stddef.h>
#include <sys/socket.h>

#include "mp_internal.h"

/* The longest message either side of a handshake reads: CPython's recv_bytes(256). */
enum { MP__HS_MAX = 256 };

/* An address as the socket calls take it. `path` is set for a Unix socket with a name in the
 * file system (the file close() unlinks). */
typedef struct {
    struct sockaddr_storage sa;
    socklen_t len;
    int path;
} mp__addr_t;

/* Parses an address string of listener.h's forms, resolving a host name; MP_EINVAL for one
 * that does not parse or is not of `family` (an mp_family_t), with mp_errmsg() saying why. */
int mp__addr_parse(const char *address, int family, mp__addr_t *out);

/* An address for a NULL one: 127.0.0.1:0, [::1]:0, or a new random path in the temporary
 * directory ($TMPDIR, else /tmp): a name taken already is the caller's to retry. */
int mp__addr_arbitrary(int family, mp__addr_t *out);

/* A socket address in listener.h's string form, malloc'd; "" for an unnamed Unix socket; NULL
 * when out of memory. */
char *mp__addr_format(const struct sockaddr *sa, socklen_t len);

/* CPython's _create_response(): the answer to the challenge body `msg` (after #CHALLENGE#).
 * Writes at most MP__HS_MAX bytes to `out`. Returns 0, or MP_EPROTO for a challenge no CPython
 * would answer (too short, an unknown digest). */
int mp__auth_response(const void *key, size_t keylen, const unsigned char *msg, size_t n,
                      unsigned char *out, size_t *outlen);

/* CPython's _verify_challenge(): 0 if `resp` proves the key for challenge body `msg`, else
 * MP_EAUTH with the reason in mp_errmsg(). */
int mp__auth_verify(const void *key, size_t keylen, const unsigned char *msg, size_t n,
                    const unsigned char *resp, size_t rlen);

#endif /* MP_LISTENER_IMPL_H */
