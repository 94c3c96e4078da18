/* Listener and Client: sockets bound and connected by address, and the handshake run on each
 * new connection (listener_auth.c).
 *
 * The listening socket is non-blocking: poll(2) may say a client waits and the client may be
 * gone (reset) before accept(2) runs, and a blocking accept would then wait past the timeout.
 * What accept returns is blocking, as CPython's connections are.
 *
 * A failed handshake fails that one accept and closes that one connection; the listener stays
 * as it was, so the next accept serves the next client. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener_impl.h"

enum { DEFAULT_BACKLOG = 1, PATH_TRIES = 16 };
#define HANDSHAKE_TIMEOUT 10.0

struct mp_listener_s {
    int fd;
    char *address; /* the bound address, in listener.h's form */
    char *last;    /* the last client's address, NULL before the first */
    char *unlink;  /* the path to remove at close, for a Unix socket in the file system */
    void *key;     /* the authkey (a copy), NULL for none */
    size_t keylen;
    double hs_timeout;
};

static int sys_fail(const char *what)
{
    return mp__fail(mp__errno(), "%s: %s", what, strerror(errno));
}

/* A bound, listening socket on `a`. Returns the descriptor or a code. */
static int bind_listen(const mp__addr_t *a, int backlog)
{
    int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return sys_fail("socket");
    int one = 1; /* as CPython on POSIX: a restarted server may rebind at once */
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const char *failed = bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0 ? "bind"
                         : listen(fd, backlog) < 0                             ? "listen"
                                                                               : NULL;
    if (failed) {
        int rc = sys_fail(failed);
        close(fd);
        return rc;
    }
    return fd;
}

/* Binds `address`, or a fresh arbitrary one (a random Unix path may be taken: try another). */
static int bind_address(const char *address, int family, int backlog, mp__addr_t *a)
{
    int rc = -EADDRINUSE;
    for (int i = 0; i < (address ? 1 : PATH_TRIES) && rc == -EADDRINUSE; i++) {
        rc = address ? mp__addr_parse(address, family, a)
                     : mp__addr_arbitrary(family == MP_AF_AUTO ? MP_AF_UNIX : family, a);
        if (rc == 0)
            rc = bind_listen(a, backlog);
    }
    return rc;
}

static int set_key(mp_listener_t *l, const void *authkey, size_t authkey_len)
{
    if (!authkey)
        return 0;
    /* One byte more than the key, so that an empty key is a non-NULL pointer too. */
    if (!(l->key = malloc(authkey_len + 1)))
        return mp__fail(MP_ENOMEM, "out of memory");
    memcpy(l->key, authkey, authkey_len);
    l->keylen = authkey_len;
    return 0;
}

int mp_listener_new(mp_listener_t **out, const char *address, mp_family_t family, int backlog,
                    const void *authkey, size_t authkey_len)
{
    MP__NEED(out);
    *out = NULL;
    if ((int)family < MP_AF_AUTO || family > MP_AF_INET6)
        return mp__fail(MP_EINVAL, "unknown family %d", (int)family);
    mp_listener_t *l = calloc(1, sizeof *l);
    if (!l)
        return mp__fail(MP_ENOMEM, "out of memory");
    l->hs_timeout = HANDSHAKE_TIMEOUT;
    mp__addr_t a;
    int rc = set_key(l, authkey, authkey_len);
    l->fd =
        rc < 0 ? rc : bind_address(address, family, backlog > 0 ? backlog : DEFAULT_BACKLOG, &a);
    if (l->fd < 0) {
        rc = l->fd;
        mp_listener_free(l);
        return rc;
    }
    socklen_t len = sizeof a.sa;
    if (getsockname(l->fd, (struct sockaddr *)&a.sa, &len) == 0)
        a.len = len;
    l->address = mp__addr_format((const struct sockaddr *)&a.sa, a.len);
    if (a.path)
        l->unlink = strdup(((const struct sockaddr_un *)&a.sa)->sun_path);
    if (!l->address || (a.path && !l->unlink)) {
        mp_listener_free(l);
        return mp__fail(MP_ENOMEM, "out of memory");
    }
    *out = l;
    return 0;
}

/* Both halves of the handshake in one time limit: the listener challenges first, the client
 * answers first (CPython's order, which each side must keep or both would wait to read). */
static int handshake(mp_conn_t *c, const void *key, size_t keylen, double limit, int listener)
{
    double start = mp__now();
    int rc = listener ? mp_deliver_challenge(c, key, keylen, limit)
                      : mp_answer_challenge(c, key, keylen, limit);
    if (rc < 0)
        return rc;
    limit -= mp__now() - start;
    return listener ? mp_answer_challenge(c, key, keylen, limit)
                    : mp_deliver_challenge(c, key, keylen, limit);
}

/* A message is written whole (header and payload in one call), so Nagle's algorithm has
 * nothing to merge; what it does is hold a message written right after another until the
 * peer's delayed ACK, 40 ms later: the first value after a handshake (CPython's connections
 * wait so). A hint: a socket that refuses it works as before. */
static void no_delay(int fd, int family)
{
    int one = 1;
    if (family == AF_INET || family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Waits for a connection and takes it: the new descriptor, or a code. */
static int take_one(mp_listener_t *l, double deadline)
{
    for (;;) {
        int rc = mp__poll_until(l->fd, POLLIN, deadline);
        if (rc < 0)
            return mp__fail(rc, "poll: %s", strerror(-rc));
        if (rc == 0)
            return mp__fail(MP_ETIMEDOUT, "no client connected in time");
        struct sockaddr_storage ss = {0};
        socklen_t len = sizeof ss;
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
        if (fd < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED))
            continue; /* gone before we took it: wait for the next */
        if (fd < 0)
            return sys_fail("accept");
        no_delay(fd, ss.ss_family);
        char *who = mp__addr_format((const struct sockaddr *)&ss, len);
        if (!who) {
            close(fd);
            return mp__fail(MP_ENOMEM, "out of memory");
        }
        free(l->last);
        l->last = who;
        return fd;
    }
}

int mp_listener_accept(mp_listener_t *l, double timeout, mp_conn_t **out)
{
    MP__NEED(l);
    MP__NEED(out);
    *out = NULL;
    double deadline;
    int rc = mp__deadline(timeout, &deadline);
    if (rc < 0)
        return rc;
    if (l->fd < 0)
        return mp__fail(MP_ECLOSED, "listener is closed");
    int fd = take_one(l, deadline);
    if (fd < 0)
        return fd;
    mp_conn_t *c = NULL;
    if ((rc = mp_conn_from_fd(&c, fd, 1, 1)) < 0) {
        close(fd);
        return rc;
    }
    if (l->key && (rc = handshake(c, l->key, l->keylen, l->hs_timeout, 1)) < 0) {
        mp_conn_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int mp_listener_set_handshake_timeout(mp_listener_t *l, double seconds)
{
    MP__NEED(l);
    if (!(seconds > 0))
        return mp__fail(MP_EINVAL, "handshake timeout must be more than 0");
    l->hs_timeout = seconds;
    return 0;
}

const char *mp_listener_address(const mp_listener_t *l)
{
    MP__NEED_OR(l, NULL);
    return l->address;
}

const char *mp_listener_last_accepted(const mp_listener_t *l)
{
    MP__NEED_OR(l, NULL);
    return l->last;
}

int mp_listener_fileno(const mp_listener_t *l)
{
    MP__NEED_OR(l, -1);
    return l->fd;
}

int mp_listener_close(mp_listener_t *l)
{
    MP__NEED(l);
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
    if (l->unlink) {
        (void)unlink(l->unlink); /* as CPython: gone already is no error */
        free(l->unlink);
        l->unlink = NULL;
    }
    return 0;
}

void mp_listener_free(mp_listener_t *l)
{
    if (!l)
        return;
    mp_listener_close(l);
    free(l->address);
    free(l->last);
    free(l->key);
    free(l);
}

/* ===== Client =============================================================================== */

/* connect(2) that a signal cannot leave half done: after EINTR the connection goes on in the
 * background, and its outcome is read once the socket is writable. */
static int connect_to(int fd, const mp__addr_t *a)
{
    if (connect(fd, (const struct sockaddr *)&a->sa, a->len) == 0)
        return 0;
    if (errno != EINTR)
        return sys_fail("connect");
    int rc = mp__poll_until(fd, POLLOUT, (double)INFINITY), err = 0;
    socklen_t len = sizeof err;
    if (rc < 0)
        return mp__fail(rc, "poll: %s", strerror(-rc));
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return sys_fail("getsockopt");
    return err ? mp__fail(-err, "connect: %s", strerror(err)) : 0;
}

int mp_client(mp_conn_t **out, const char *address, mp_family_t family, const void *authkey,
              size_t authkey_len)
{
    MP__NEED(out);
    MP__NEED(address);
    *out = NULL;
    mp__addr_t a;
    int rc = mp__addr_parse(address, family, &a);
    if (rc < 0)
        return rc;
    int fd = socket(a.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sys_fail("socket");
    no_delay(fd, a.sa.ss_family);
    mp_conn_t *c = NULL;
    if ((rc = connect_to(fd, &a)) < 0 || (rc = mp_conn_from_fd(&c, fd, 1, 1)) < 0) {
        close(fd);
        return rc;
    }
    if (authkey && (rc = handshake(c, authkey, authkey_len, HANDSHAKE_TIMEOUT, 0)) < 0) {
        mp_conn_free(c);
        return rc;
    }
    *out = c;
    return 0;
}
