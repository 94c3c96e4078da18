/* A queue handle rebuilt in a process started by exec (spawn, forkserver), from the memfd of its
 * shared part and the put side's pipe, which the parent sent as descriptors.
 *
 * The put side's rule (queues.c) holds here as under fork: this process may put, so it holds a
 * write end of its own, and gives it up when the handle is freed or closed. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queues_impl.h"

/* A descriptor of the handle's own, close-on-exec as every one libmp makes; -1 stays -1. */
static int own_copy(int fd, int *out)
{
    *out = -1;
    if (fd < 0)
        return 0;
    *out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return *out >= 0 ? 0 : mp__fail(mp__errno(), "queue: dup: %s", strerror(errno));
}

int mp__queue_import(int kind, int protocol, int memfd, size_t offset, int eof_rd, int eof_wr,
                     void **out)
{
    *out = NULL;
    mp_squeue_t *s = calloc(1, kind == MP__Q_SIMPLE ? sizeof(mp_squeue_t) : sizeof(mp_queue_t));
    if (!s)
        return mp__fail(MP_ENOMEM, "out of memory");
    struct mp_queue_s *q = &s->q;
    q->kind = kind;
    q->protocol = protocol;
    q->eof_rd = q->eof_wr = -1;
    int rc = own_copy(eof_rd, &q->eof_rd);
    if (rc == 0)
        rc = own_copy(eof_wr, &q->eof_wr);
    if (rc == 0)
        rc = mp__q_shared_adopt(memfd, offset, kind, &q->sh);
    if (rc < 0) {
        if (q->eof_rd >= 0)
            close(q->eof_rd);
        if (q->eof_wr >= 0)
            close(q->eof_wr);
        free(s);
        return rc;
    }
    q->ring = (unsigned char *)q->sh + MP__Q_RING_OFF;
    q->put_closed = kind != MP__Q_SIMPLE && q->eof_wr < 0;
    *out = s;
    return 0;
}
