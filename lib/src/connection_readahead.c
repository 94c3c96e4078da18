/* Read-ahead, an opt-in of a connection: one read(2) fills a buffer with as many messages as
 * have arrived, and later messages come out of memory. It saves a system call or two per small
 * message (a stream of 64-byte messages nearly doubles in speed), at a price that is the reason
 * it is not the default: bytes in the buffer belong to this process alone. A child that
 * inherits the end, or a peer that receives it, would not see them; so a buffer that is not
 * empty is refused (MP_ESTATE) in any other process, and cannot be passed with send_conn. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connection_impl.h"

enum { RBUF = 64 * 1024 };

int mp_conn_set_readahead(mp_conn_t *c, int on)
{
    MP__NEED(c);
    int rc = mp__conn_check(c, 1, 0);
    if (rc < 0)
        return rc;
    if (!on && mp__conn_buffered(c))
        return mp__fail(MP_EBUSY, "read-ahead still holds %zu bytes", mp__conn_buffered(c));
    if (on && !c->rbuf && !(c->rbuf = malloc(RBUF)))
        return mp__fail(MP_ENOMEM, "out of memory");
    c->readahead = !!on;
    return 0;
}

size_t mp__conn_buffered(const mp_conn_t *c)
{
    return c->rlen - c->rpos;
}

/* One read(2) into the empty buffer. Returns bytes read, 0 at end of file, or a code. */
static ssize_t fill(mp_conn_t *c)
{
    c->rpos = c->rlen = 0;
    c->rowner = getpid();
    for (;;) {
        ssize_t r = read(c->fd, c->rbuf, RBUF);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET)
            return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return mp__fail(-errno, "read: %s", strerror(errno));
        int rc = mp__poll_until(c->fd, POLLIN, (double)INFINITY);
        if (rc < 0)
            return rc;
    }
}

int mp__conn_read_ahead(mp_conn_t *c, void *buf, size_t n, size_t *got)
{
    size_t have = 0;
    if (mp__conn_buffered(c) && c->rowner != getpid()) {
        *got = 0;
        return mp__fail(MP_ESTATE, "this end holds read-ahead data of process %d", (int)c->rowner);
    }
    while (have < n) {
        size_t take = mp__conn_buffered(c);
        if (take) {
            take = take < n - have ? take : n - have;
            memcpy((char *)buf + have, c->rbuf + c->rpos, take);
            c->rpos += take;
            have += take;
            continue;
        }
        if (n - have >= RBUF) { /* a large payload: straight into place, no copy */
            size_t more = 0;
            int rc = mp__read_exact(c->fd, (char *)buf + have, n - have, &more);
            *got = have + more;
            return rc;
        }
        ssize_t r = fill(c);
        if (r <= 0) {
            *got = have;
            return r == 0 ? MP_EOF : (int)r;
        }
        c->rlen = (size_t)r;
    }
    *got = have;
    return 0;
}
