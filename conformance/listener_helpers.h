/* Helpers of the Listener suite: a well-behaved client in a child, and raw sockets for the
 * peers that misbehave (test_listener_hostile.c), which must speak bytes no libmp call would
 * write. */
#ifndef MP_CONFORMANCE_LISTENER_HELPERS_H
#define MP_CONFORMANCE_LISTENER_HELPERS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conn_helpers.h"

/* The tcase of test_listener_hostile.c. */
TCase *mp_tcase_listener_hostile(void);

#define KEY "secret"
#define KEYLEN (sizeof KEY - 1)

/* The exit codes of the client job (listener_client() below). */
enum { CLIENT_OK = 0, CLIENT_WRONG_RC = 1, CLIENT_NO_ECHO = 2 };

/* A client in a child: connects to `address` with `key` (or without one) and expects mp_client
 * to return `want`; when it succeeds, it sends ("hello", pid) and waits for the value back. */
mp_process_t *listener_client(const char *address, const char *key, int want);

/* Accepts the child's connection, echoes its value and joins it (asserting exit 0). */
static inline void serve_client(mp_listener_t *l, mp_process_t *p)
{
    mp_conn_t *c = NULL;
    ck_assert_mp(mp_listener_accept(l, 30, &c), 0);
    mp_obj_t *v = NULL;
    ck_assert_mp(mp_conn_recv(c, &v), 0);
    ck_assert_mp(mp_conn_send(c, v), 0);
    mp_obj_decref(v);
    ck_assert_int_eq(child_exit_code(p, 30), CLIENT_OK);
    mp_conn_free(c);
}

/* What a listener must still do after any bad peer: accept a good client. */
static inline void accepts_good_client(mp_listener_t *l, const char *key)
{
    serve_client(l, listener_client(mp_listener_address(l), key, 0));
}

/* A socket address for a listener's address string (the forms listener.h gives). */
static inline socklen_t raw_sockaddr(const char *address, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (address[0] == '@' || address[0] == '/') {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        size_t n = strlen(address);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, address, n);
        if (address[0] == '@') { /* CPython's length: no trailing NUL */
            un->sun_path[0] = '\0';
            return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        }
        return (socklen_t)sizeof *un;
    }
    const char *colon = strrchr(address, ':');
    char host[64];
    int v6 = address[0] == '[';
    snprintf(host, sizeof host, "%.*s", (int)(colon - address - 2 * v6), address + v6);
    if (v6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)atoi(colon + 1));
        ck_assert_int_eq(inet_pton(AF_INET6, host, &in6->sin6_addr), 1);
        return sizeof *in6;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)atoi(colon + 1));
    ck_assert_int_eq(inet_pton(AF_INET, host, &in->sin_addr), 1);
    return sizeof *in;
}

/* A plain socket connected to the listener, not yet accepted (the backlog holds it). */
static inline int raw_connect(const mp_listener_t *l)
{
    struct sockaddr_storage ss;
    socklen_t len = raw_sockaddr(mp_listener_address(l), &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&ss, len) == 0, "connect: %s", strerror(errno));
    return fd;
}

static inline void raw_send(int fd, const void *buf, size_t n)
{
    ck_assert_int_eq(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* A frame as CPython writes one: a 4-byte big-endian length, then the payload. */
static inline void raw_frame(int fd, const void *buf, size_t n)
{
    unsigned char h[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    raw_send(fd, h, 4);
    if (n)
        raw_send(fd, buf, n);
}

/* Reads one frame of at most `size` bytes (waiting 5 s at most); its length. */
static inline size_t raw_recv_frame(int fd, unsigned char *buf, size_t size)
{
    unsigned char h[4];
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ck_assert_int_eq(recv(fd, h, 4, MSG_WAITALL), 4);
    size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    ck_assert_uint_le(n, size);
    ck_assert_int_eq(recv(fd, buf, n, MSG_WAITALL), (ssize_t)n);
    return n;
}

#endif /* MP_CONFORMANCE_LISTENER_HELPERS_H */
