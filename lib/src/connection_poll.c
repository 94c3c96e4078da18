/* Waiting for a Connection to have something to read: Connection.poll and
 * multiprocessing.connection.wait, over poll(2). A connection whose read-ahead buffer holds bytes
 * is ready without asking the kernel. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "connection_impl.h"

int mp_conn_poll(mp_conn_t *c, double timeout)
{
    MP__NEED(c);
    double deadline;
    int rc = mp__conn_check(c, 1, 0);
    if (rc < 0 || (rc = mp__deadline(timeout, &deadline)) < 0)
        return rc;
    if (mp__conn_buffered(c))
        return 1;
    rc = mp__poll_until(mp_conn_fileno(c), POLLIN, deadline);
    return rc < 0 ? mp__fail(rc, "poll: %s", strerror(-rc)) : rc;
}

/* Fills the pollfd array; a connection with read-ahead bytes is ready already, and then the
 * poll must not block. */
static int fill_pollfds(const mp_waitable_t *objs, size_t n, struct pollfd *pfd, double *deadline)
{
    for (size_t i = 0; i < n; i++) {
        if (objs[i].conn && !mp_conn_closed(objs[i].conn) && mp__conn_buffered(objs[i].conn))
            *deadline = 0;
        int fd = objs[i].conn ? mp_conn_fileno(objs[i].conn) : objs[i].fd;
        if (fd < 0)
            return objs[i].conn ? fd : mp__fail(MP_EINVAL, "wait: object %zu: invalid fd", i);
        pfd[i] = (struct pollfd){.fd = fd, .events = POLLIN, .revents = 0};
    }
    return 0;
}

int mp_wait(const mp_waitable_t *objs, size_t n, double timeout, unsigned char *ready)
{
    if (n) { /* an empty list may be NULL: wait([]) only sleeps */
        MP__NEED(objs);
        MP__NEED(ready);
    }
    double deadline;
    int rc = mp__deadline(timeout, &deadline);
    if (rc < 0)
        return rc;
    struct pollfd small[16] = {{0}}, *pfd = n <= 16 ? small : calloc(n, sizeof *pfd);
    if (!pfd)
        return mp__fail(MP_ENOMEM, "out of memory");
    if ((rc = fill_pollfds(objs, n, pfd, &deadline)) == 0)
        rc = mp__poll_many(pfd, n, deadline);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        if (pfd[i].revents & POLLNVAL) {
            rc = mp__fail(MP_EINVAL, "wait: object %zu: bad file descriptor", i);
            break;
        }
        ready[i] = (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 ||
                   (objs[i].conn && mp__conn_buffered(objs[i].conn));
    }
    if (pfd != small)
        free(pfd);
    if (rc < 0)
        return rc;
    int count = 0;
    for (size_t i = 0; i < n; i++)
        count += ready[i];
    return count;
}
