/* Queue, JoinableQueue and SimpleQueue: the handles, pickling in the caller, closing, and the
 * "put side" through which a consumer learns that every producer has gone. The ring, its lock
 * and its waits are in queues_ring.c.
 *
 * The put side is a pipe whose write end every process that may put holds, exactly as every
 * holder of a CPython Queue holds the write end of its pipe: the kernel hands it to each forked
 * child atomically with the fork and closes it when a process ends, however it ends, so there
 * is no registry to keep and no window in which a new child is not yet counted. Nobody writes to
 * it; a consumer that gave up its own end sees POLLHUP on the read end once no end is left. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pickle_impl.h"
#include "queues_impl.h"

#define SMALL_MSG 264 /* messages up to this size are read on the stack: a quick pickle fits */
#define RING_MAX ((size_t)1 << 40)

/* ===== making and freeing ====================================================================== */

static int ring_size(size_t want, uint64_t *cap)
{
    if (want == 0)
        want = MP_QUEUE_RING_DEFAULT;
    if (want > RING_MAX)
        return mp__fail(MP_EINVAL, "ring of %zu bytes is larger than 1 TiB", want);
    uint64_t c = MP_QUEUE_RING_MIN;
    while (c < want)
        c <<= 1;
    *cap = c;
    return 0;
}

static void release(struct mp_queue_s *q)
{
    if (q->eof_rd >= 0)
        close(q->eof_rd);
    if (q->eof_wr >= 0)
        close(q->eof_wr);
    q->eof_rd = q->eof_wr = -1;
}

static int make(struct mp_queue_s *q, int kind, long maxsize, const mp_queue_opts_t *opts)
{
    uint64_t cap = 0;
    int rc = ring_size(opts->ring_bytes, &cap);
    if (rc < 0)
        return rc;
    if (opts->protocol < -1 || opts->protocol > MP_PICKLE_HIGHEST_PROTOCOL)
        return mp__fail(MP_EINVAL, "pickle protocol %d is not in -1..%d", opts->protocol,
                        MP_PICKLE_HIGHEST_PROTOCOL);
    q->kind = kind;
    q->protocol = opts->protocol;
    q->eof_rd = q->eof_wr = -1;
    if (kind != MP__Q_SIMPLE) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
            return mp__fail(-errno, "queue: pipe2: %s", strerror(errno));
        q->eof_rd = fds[0];
        q->eof_wr = fds[1];
    }
    rc = mp__q_shared_new(&q->sh, kind, maxsize, cap);
    if (rc < 0) {
        release(q);
        return rc;
    }
    q->ring = (unsigned char *)q->sh + MP__Q_RING_OFF;
    return 0;
}

int mp_queue_new_ex(mp_queue_t **out, long maxsize, const mp_queue_opts_t *opts)
{
    static const mp_queue_opts_t defaults = MP_QUEUE_OPTS_INIT;
    MP__NEED(out);
    *out = NULL;
    if (!opts)
        opts = &defaults;
    mp_queue_t *q = calloc(1, sizeof *q);
    if (!q)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = make(q, opts->joinable ? MP__Q_JOINABLE : MP__Q_QUEUE, maxsize, opts);
    if (rc < 0) {
        free(q);
        return rc;
    }
    *out = q;
    return 0;
}

int mp_queue_new(mp_queue_t **out, long maxsize)
{
    MP__NEED(out);
    return mp_queue_new_ex(out, maxsize, NULL);
}

int mp_jqueue_new(mp_queue_t **out, long maxsize)
{
    MP__NEED(out);
    mp_queue_opts_t o = MP_QUEUE_OPTS_INIT;
    o.joinable = 1;
    return mp_queue_new_ex(out, maxsize, &o);
}

void mp_queue_free(mp_queue_t *q)
{
    if (!q)
        return;
    release(q);
    mp__shm_free(q->sh);
    free(q);
}

/* ===== checks ================================================================================== */

/* The caller has refused a NULL queue already (MP__NEED names the public call). */
static int check_open(const struct mp_queue_s *q, int putting)
{
    if (q->closed)
        return mp__fail(MP_ECLOSED,
                        q->kind == MP__Q_SIMPLE ? "handle is closed" : "Queue is closed");
    if (putting && q->put_closed)
        return mp__fail(MP_ECLOSED, "this process gave up putting on the queue "
                                    "(mp_queue_close_put)");
    return 0;
}

/* The deadline of a call that may block; with block 0 the timeout is ignored, NaN included. */
static int deadline_of(int block, double timeout, double *deadline)
{
    *deadline = 0;
    return block ? mp__deadline(timeout, deadline) : 0;
}

/* The put side is empty: no process holds the pipe's write end any more. */
static int producers_gone(const struct mp_queue_s *q)
{
    struct pollfd p = {.fd = q->eof_rd, .events = 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

static mp__q_eof_fn eof_check(const struct mp_queue_s *q)
{
    return q->put_closed && q->eof_rd >= 0 ? producers_gone : NULL;
}

/* ===== ints and short bytes without the general codec ============================================
 *
 * Most values a busy queue carries are small ints (counters, indexes, ids) and short bytes, and
 * for them the general encoder and decoder cost several times what the ring does: callgrind
 * counted 1,260 instructions per put and 3,120 per get of an int on W3a, the ring's own part
 * about 300 of each. These two write and read exactly the bytes mp_pickle_dumps() writes for
 * such a value, so a message is the same whichever path wrote it, and the general decoder still
 * reads every other pickle (and refuses what is not one). */

/* The pickle of an int within int64 (protocols 2 to 5) or of a bytes shorter than 256 bytes
 * (3 to 5) into b (SMALL_MSG bytes): its length, or 0 for any other value or protocol. */
static size_t quick_dumps(const mp_obj_t *o, int protocol, unsigned char *b)
{
    if (protocol < 0)
        protocol = MP_PICKLE_DEFAULT_PROTOCOL;
    if (protocol < 2)
        return 0;
    size_t n = 2;
    b[0] = MP__OP_PROTO;
    b[1] = (unsigned char)protocol;
    if (o->type == MP_TYPE_INT && !(o->flags & MP__F_BIG)) {
        int64_t v = MP__SMALL(o)->v;
        uint64_t u = (uint64_t)v;
        size_t width = 8;
        if (v >= 0 && v < 0x100) {
            b[n++] = MP__OP_BININT1, width = 1;
        } else if (v >= 0 && v < 0x10000) {
            b[n++] = MP__OP_BININT2, width = 2;
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            b[n++] = MP__OP_BININT, width = 4;
        } else { /* LONG1: the fewest bytes whose top bit still gives the sign */
            while (width > 1 && (int64_t)(u << (72 - 8 * width)) >> (72 - 8 * width) == v)
                width--;
            b[n++] = MP__OP_LONG1;
            b[n++] = (unsigned char)width;
        }
        for (size_t i = 0; i < width; i++)
            b[n++] = (unsigned char)(u >> (8 * i));
    } else if (o->type == MP_TYPE_BYTES && protocol >= 3 && MP__STR(o)->len < 0x100) {
        size_t len = MP__STR(o)->len;
        b[n++] = MP__OP_SHORT_BINBYTES;
        b[n++] = (unsigned char)len;
        memcpy(b + n, MP__STR(o)->data, len);
        n += len;
    } else {
        return 0;
    }
    b[n++] = MP__OP_STOP;
    return n;
}

/* The value of a pickle that quick_dumps() writes: 1 with *out (NULL when out of memory), or
 * 0 when b holds anything else. */
static int quick_loads(const unsigned char *b, size_t len, mp_obj_t **out)
{
    if (len < 5 || b[0] != MP__OP_PROTO || b[1] < 2 || b[1] > MP_PICKLE_HIGHEST_PROTOCOL ||
        b[len - 1] != MP__OP_STOP)
        return 0;
    size_t width, at = 3;
    switch (b[2]) {
    case MP__OP_BININT1:
        width = 1;
        break;
    case MP__OP_BININT2:
        width = 2;
        break;
    case MP__OP_BININT:
        width = 4;
        break;
    case MP__OP_LONG1:
        width = b[at++];
        break;
    case MP__OP_SHORT_BINBYTES:
        if (b[1] < 3 || len != 5u + b[3])
            return 0;
        *out = mp_bytes(b + 4, b[3]);
        return 1;
    default:
        return 0;
    }
    if (width == 0 || width > 8 || len != at + width + 1)
        return 0;
    uint64_t u = 0;
    for (size_t i = 0; i < width; i++)
        u |= (uint64_t)b[at + i] << (8 * i);
    int64_t v = (int64_t)u;
    if (b[2] != MP__OP_BININT1 && b[2] != MP__OP_BININT2) /* signed: extend the top bit */
        v = (int64_t)(u << (64 - 8 * width)) >> (64 - 8 * width);
    *out = mp_int(v);
    return 1;
}

/* ===== Queue =================================================================================== */

int mp_queue_put_bytes(mp_queue_t *q, const void *buf, size_t len, int block, double timeout)
{
    MP__NEED(q);
    double deadline = 0;
    int rc = check_open(q, 1);
    if (rc == 0 && !buf && len)
        rc = mp__fail(MP_EINVAL, "buf is NULL");
    if (rc == 0)
        rc = deadline_of(block, timeout, &deadline);
    return rc < 0 ? rc : mp__q_put(q, buf, len, block, deadline);
}

int mp_queue_put(mp_queue_t *q, const mp_obj_t *obj, int block, double timeout)
{
    MP__NEED(q);
    MP__NEED(obj);
    double deadline = 0;
    int rc = check_open(q, 1);
    if (rc == 0)
        rc = deadline_of(block, timeout, &deadline);
    if (rc < 0)
        return rc;
    unsigned char quick[SMALL_MSG];
    size_t len = quick_dumps(obj, q->protocol, quick);
    if (len)
        return mp__q_put(q, quick, len, block, deadline);
    void *data;
    rc = mp_pickle_dumps(obj, q->protocol, &data, &len); /* here, so its error is the caller's */
    if (rc < 0)
        return rc;
    rc = mp__q_put(q, data, len, block, deadline);
    free(data);
    return rc;
}

int mp_queue_put_nowait(mp_queue_t *q, const mp_obj_t *obj)
{
    MP__NEED(q);
    MP__NEED(obj);
    return mp_queue_put(q, obj, 0, 0);
}

int mp_queue_get_bytes(mp_queue_t *q, void **out, size_t *len, int block, double timeout)
{
    MP__NEED(q);
    MP__NEED(out);
    MP__NEED(len);
    double deadline = 0;
    int rc = check_open(q, 0);
    if (rc == 0)
        rc = deadline_of(block, timeout, &deadline);
    if (rc < 0)
        return rc;
    *out = NULL;
    return mp__q_get(q, NULL, 0, out, len, block, deadline, eof_check(q));
}

int mp_queue_get_bytes_into(mp_queue_t *q, void *buf, size_t size, size_t *len, int block,
                            double timeout)
{
    MP__NEED(q);
    MP__NEED(len);
    double deadline = 0;
    int rc = check_open(q, 0);
    if (rc == 0 && !buf && size)
        rc = mp__fail(MP_EINVAL, "%s: buf is NULL and size is not 0", __func__);
    if (rc == 0)
        rc = deadline_of(block, timeout, &deadline);
    return rc < 0 ? rc : mp__q_get(q, buf, size, NULL, len, block, deadline, eof_check(q));
}

int mp_queue_get(mp_queue_t *q, mp_obj_t **out, int block, double timeout)
{
    MP__NEED(out);
    *out = NULL;
    MP__NEED(q);
    double deadline = 0;
    int rc = check_open(q, 0);
    if (rc == 0)
        rc = deadline_of(block, timeout, &deadline);
    if (rc < 0)
        return rc;
    unsigned char small[SMALL_MSG];
    void *data;
    size_t len;
    rc = mp__q_get(q, small, sizeof small, &data, &len, block, deadline, eof_check(q));
    if (rc < 0)
        return rc;
    if (data == small && quick_loads(small, len, out))
        rc = *out ? 0 : mp__fail(MP_ENOMEM, "out of memory");
    else
        rc = mp_pickle_loads(data, len, out); /* outside the lock, as CPython unpickles */
    if (data != small)
        free(data);
    return rc;
}

int mp_queue_get_nowait(mp_queue_t *q, mp_obj_t **out)
{
    MP__NEED(out);
    *out = NULL;
    MP__NEED(q);
    return mp_queue_get(q, out, 0, 0);
}

long mp_queue_qsize(mp_queue_t *q)
{
    MP__NEED(q);
    mp__qstate_t st;
    int rc = mp__q_snapshot(q, &st);
    if (rc < 0)
        return rc;
    return st.count > (uint64_t)LONG_MAX ? LONG_MAX : (long)st.count;
}

int mp_queue_empty(mp_queue_t *q)
{
    MP__NEED(q);
    long n = mp_queue_qsize(q);
    return n < 0 ? (int)n : n == 0;
}

int mp_queue_full(mp_queue_t *q)
{
    MP__NEED(q);
    long n = mp_queue_qsize(q);
    if (n < 0)
        return (int)n;
    return q->sh->maxsize > 0 && n >= q->sh->maxsize;
}

int mp_queue_close_put(mp_queue_t *q)
{
    MP__NEED(q);
    if (q->kind == MP__Q_SIMPLE)
        return mp__fail(MP_EINVAL, "a SimpleQueue has no put side to close");
    if (q->eof_wr >= 0)
        close(q->eof_wr);
    q->eof_wr = -1;
    q->put_closed = 1;
    return 0;
}

int mp_queue_close(mp_queue_t *q)
{
    MP__NEED(q);
    release(q);
    q->put_closed = 1;
    q->closed = 1;
    return 0;
}

int mp_queue_join_thread(mp_queue_t *q)
{
    MP__NEED(q);
    if (!q->closed)
        return mp__fail(MP_ESTATE, "Queue is not closed");
    return 0; /* nothing is ever buffered in a process: there is nothing to wait for */
}

int mp_queue_cancel_join_thread(mp_queue_t *q)
{
    MP__NEED(q);
    return 0;
}

int mp_queue_stats(mp_queue_t *q, mp_queue_stats_t *st)
{
    MP__NEED(q);
    MP__NEED(st);
    mp__qstate_t s;
    int rc = mp__q_snapshot(q, &s);
    if (rc == 0)
        rc = mp__q_memory(q, &st->memory);
    if (rc < 0)
        return rc;
    st->items = (size_t)s.count;
    st->bytes = (size_t)(s.tail - s.head);
    st->ring_bytes = (size_t)q->sh->cap;
    st->unfinished = (size_t)s.unfinished;
    st->recoveries = atomic_load(&q->sh->recoveries);
    return 0;
}

/* ===== JoinableQueue =========================================================================== */

static int check_joinable(const struct mp_queue_s *q)
{
    if (q->kind != MP__Q_JOINABLE)
        return mp__fail(MP_EINVAL, "not a JoinableQueue");
    return 0;
}

int mp_jqueue_task_done(mp_queue_t *q)
{
    MP__NEED(q);
    int rc = check_joinable(q);
    return rc < 0 ? rc : mp__q_task_done(q);
}

int mp_jqueue_join(mp_queue_t *q, double timeout)
{
    MP__NEED(q);
    double deadline = 0;
    int rc = check_joinable(q);
    if (rc == 0)
        rc = mp__deadline(timeout, &deadline);
    return rc < 0 ? rc : mp__q_join(q, deadline);
}

/* ===== SimpleQueue ============================================================================= */

int mp_squeue_new(mp_squeue_t **out)
{
    static const mp_queue_opts_t defaults = MP_QUEUE_OPTS_INIT;
    MP__NEED(out);
    *out = NULL;
    mp_squeue_t *s = calloc(1, sizeof *s);
    if (!s)
        return mp__fail(MP_ENOMEM, "out of memory");
    int rc = make(&s->q, MP__Q_SIMPLE, 0, &defaults);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void mp_squeue_free(mp_squeue_t *s)
{
    if (!s)
        return;
    mp__shm_free(s->q.sh);
    free(s);
}

int mp_squeue_put(mp_squeue_t *s, const mp_obj_t *obj)
{
    MP__NEED(s);
    MP__NEED(obj);
    return mp_queue_put(&s->q, obj, 1, MP_FOREVER);
}

int mp_squeue_get(mp_squeue_t *s, mp_obj_t **out)
{
    MP__NEED(out);
    *out = NULL;
    MP__NEED(s);
    return mp_queue_get(&s->q, out, 1, MP_FOREVER);
}

int mp_squeue_empty(mp_squeue_t *s)
{
    MP__NEED(s);
    int rc = check_open(&s->q, 0);
    return rc < 0 ? rc : mp_queue_empty(&s->q);
}

int mp_squeue_close(mp_squeue_t *s)
{
    MP__NEED(s);
    s->q.closed = 1;
    s->q.put_closed = 1;
    return 0;
}
