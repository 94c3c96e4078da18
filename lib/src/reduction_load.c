/* The child's side: each persistent id the parent wrote (reduction_dump.c) becomes a handle
 * over the same shared state, owned by its value.
 *
 * An id is read as hostile input: its shape, its kind, every descriptor index and every offset
 * are checked before anything is mapped, and what is then read from the shared memory itself is
 * checked by the primitive (a barrier's party count, a queue's ring size) before it is used. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "object_impl.h"
#include "pickle_impl.h"
#include "queues_impl.h"
#include "reduction_impl.h"
#include "sharedctypes_impl.h"
#include "synchronize_impl.h"

#define PID_MAX 6

typedef struct {
    const int *fd;
    size_t n;
} fdset_t;

/* How many ints each kind's id holds, its kind included. */
static const unsigned char pid_len[] = {
    [MP_HANDLE_LOCK] = 3,           [MP_HANDLE_RLOCK] = 3,
    [MP_HANDLE_SEMAPHORE] = 3,      [MP_HANDLE_BOUNDED_SEMAPHORE] = 3,
    [MP_HANDLE_CONDITION] = 6,      [MP_HANDLE_EVENT] = 3,
    [MP_HANDLE_BARRIER] = 3,        [MP_HANDLE_QUEUE] = 6,
    [MP_HANDLE_JOINABLE_QUEUE] = 6, [MP_HANDLE_SIMPLE_QUEUE] = 4,
    [MP_HANDLE_CONNECTION] = 4,     [MP_HANDLE_VALUE] = 6,
    [MP_HANDLE_ARRAY] = 6,
};

/* The id as ints: a tuple of 3 to PID_MAX ints (no bool, nothing big), of the length its
 * kind (v[0]) wants. */
static int read_pid(const mp_obj_t *pid, long long *v)
{
    size_t n = 0;
    mp_obj_t *const *item = pid->type == MP_TYPE_TUPLE ? mp__seq_items(pid, &n) : NULL;
    if (!item || n < 3 || n > PID_MAX)
        return mp__fail(MP_EDECODE, "not a tuple of 3 to %d ints", PID_MAX);
    for (size_t i = 0; i < n; i++) {
        int64_t x;
        if (item[i]->type != MP_TYPE_INT || mp_int_as_int64(item[i], &x) < 0)
            return mp__fail(MP_EDECODE, "item %zu is not an int", i);
        v[i] = (long long)x;
    }
    if (v[0] < 0 || v[0] > MP_HANDLE_ARRAY)
        return mp__fail(MP_EDECODE, "unknown handle kind %lld", v[0]);
    if (n != pid_len[v[0]])
        return mp__fail(MP_EDECODE, "%zu items for a kind %lld handle, which has %d", n, v[0],
                        pid_len[v[0]]);
    return 0;
}

/* The child's descriptor for index i of the parent's list; with `optional`, -1 stays -1. */
static int fd_at(const fdset_t *s, long long i, int optional, int *fd)
{
    *fd = -1;
    if (optional && i == -1)
        return 0;
    if (i < 0 || (unsigned long long)i >= s->n || s->fd[i] < 0)
        return mp__fail(MP_EDECODE, "descriptor index %lld is not one of the %zu given", i, s->n);
    *fd = s->fd[i];
    return 0;
}

static int offset_of(long long v, size_t *off)
{
    if (v < 0)
        return mp__fail(MP_EDECODE, "negative offset %lld", v);
    *off = (size_t)v;
    return 0;
}

/* Lock and RLock, Semaphore, Event, Barrier: memory at (v[1], v[2]). */
static int import_sync(const fdset_t *s, const long long *v, void **h)
{
    int fd, rc = fd_at(s, v[1], 0, &fd);
    size_t off = 0;
    if (rc == 0)
        rc = offset_of(v[2], &off);
    if (rc < 0)
        return rc;
    switch (v[0]) {
    case MP_HANDLE_LOCK:
    case MP_HANDLE_RLOCK:
        return mp__lock_import(fd, off, v[0] == MP_HANDLE_RLOCK, (mp_lock_t **)h);
    case MP_HANDLE_EVENT:
        return mp__event_import(fd, off, (mp_event_t **)h);
    case MP_HANDLE_BARRIER:
        return mp__barrier_import(fd, off, (mp_barrier_t **)h);
    default:
        rc = mp__sem_import(fd, off, (mp_sem_t **)h);
        if (rc == 0 && mp__sem_bounded(*h) != (v[0] == MP_HANDLE_BOUNDED_SEMAPHORE)) {
            mp_sem_free(*h);
            *h = NULL;
            rc = mp__fail(MP_EDECODE, "the semaphore's bound does not match its kind");
        }
        return rc;
    }
}

/* The memory at (v[1], v[2]) and the lock that goes with it, `lv` = (kind, memory, offset);
 * a kind of -1 is no lock where `optional` allows it. */
static int mem_and_lock(const fdset_t *s, const long long *v, const long long *lv, int optional,
                        const char *what, int *fd, size_t *off, mp_lock_t **lock)
{
    *lock = NULL;
    int rc = fd_at(s, v[1], 0, fd);
    if (rc == 0)
        rc = offset_of(v[2], off);
    if (rc < 0 || (optional && lv[0] == -1))
        return rc;
    if (lv[0] != MP_HANDLE_LOCK && lv[0] != MP_HANDLE_RLOCK)
        return mp__fail(MP_EDECODE, "a %s's lock of kind %lld", what, lv[0]);
    return import_sync(s, lv, (void **)lock);
}

/* (kind, memory, offset, lock memory, lock offset, lock kind). */
static int import_cond(const fdset_t *s, const long long *v, void **h)
{
    long long lv[3] = {v[5], v[3], v[4]};
    int fd;
    size_t off = 0;
    mp_lock_t *lock;
    int rc = mem_and_lock(s, v, lv, 0, "Condition", &fd, &off, &lock);
    return rc < 0 ? rc : mp__cond_import(fd, off, lock, (mp_cond_t **)h);
}

/* (kind, memory, offset, protocol[, eof_rd, eof_wr]). */
static int import_queue(const fdset_t *s, const long long *v, void **h)
{
    static const int qkind[] = {[MP_HANDLE_QUEUE] = MP__Q_QUEUE,
                                [MP_HANDLE_JOINABLE_QUEUE] = MP__Q_JOINABLE,
                                [MP_HANDLE_SIMPLE_QUEUE] = MP__Q_SIMPLE};
    int simple = v[0] == MP_HANDLE_SIMPLE_QUEUE;
    int fd, rd = -1, wr = -1, rc = fd_at(s, v[1], 0, &fd);
    size_t off = 0;
    if (rc == 0)
        rc = offset_of(v[2], &off);
    if (rc == 0 && (v[3] < -1 || v[3] > MP_PICKLE_HIGHEST_PROTOCOL))
        rc = mp__fail(MP_EDECODE, "pickle protocol %lld", v[3]);
    if (rc == 0 && !simple)
        rc = fd_at(s, v[4], 0, &rd);
    if (rc == 0 && !simple)
        rc = fd_at(s, v[5], 1, &wr);
    return rc < 0 ? rc : mp__queue_import(qkind[v[0]], (int)v[3], fd, off, rd, wr, h);
}

/* (kind, socket or pipe end, readable, writable). */
static int import_conn(const fdset_t *s, const long long *v, void **h)
{
    int fd, rc = fd_at(s, v[1], 0, &fd);
    if (rc == 0 && (v[2] < 0 || v[2] > 1 || v[3] < 0 || v[3] > 1 || !(v[2] | v[3])))
        rc = mp__fail(MP_EDECODE, "a Connection's directions (%lld, %lld)", v[2], v[3]);
    if (rc < 0)
        return rc;
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0)
        return mp__fail(mp__errno(), "Connection: dup: %s", strerror(errno));
    rc = mp_conn_from_fd((mp_conn_t **)h, own, (int)v[2], (int)v[3]);
    if (rc < 0)
        close(own);
    return rc;
}

/* (kind, memory, offset, lock kind or -1, lock memory, lock offset). */
static int import_sct(const fdset_t *s, const long long *v, void **h)
{
    int fd;
    size_t off = 0;
    mp_lock_t *lock;
    int rc = mem_and_lock(s, v, v + 3, 1, "Value or Array", &fd, &off, &lock);
    struct mp_array_s *a = NULL;
    if (rc == 0)
        rc = mp__sct_import(fd, off, lock, &a);
    if (rc < 0 || !a) {
        mp_lock_free(lock);
        return rc < 0 ? rc : MP_ENOMEM;
    }
    if (v[0] == MP_HANDLE_VALUE && a->len != 1) {
        size_t n = a->len;
        mp_array_free(a); /* and the lock it now owns */
        return mp__fail(MP_EDECODE, "a Value of %zu elements", n);
    }
    *h = a;
    return 0;
}

static int persistent_load(const mp_obj_t *pid, void *ud, mp_obj_t **out)
{
    long long v[PID_MAX] = {0};
    void *h = NULL;
    int rc = read_pid(pid, v);
    if (rc < 0)
        return rc;
    switch (v[0]) {
    case MP_HANDLE_CONDITION:
        rc = import_cond(ud, v, &h);
        break;
    case MP_HANDLE_QUEUE:
    case MP_HANDLE_JOINABLE_QUEUE:
    case MP_HANDLE_SIMPLE_QUEUE:
        rc = import_queue(ud, v, &h);
        break;
    case MP_HANDLE_CONNECTION:
        rc = import_conn(ud, v, &h);
        break;
    case MP_HANDLE_VALUE:
    case MP_HANDLE_ARRAY:
        rc = import_sct(ud, v, &h);
        break;
    default:
        rc = import_sync(ud, v, &h);
    }
    if (rc < 0)
        return rc;
    *out = mp__handle_obj((mp_handle_kind_t)v[0], h, 1);
    return *out ? 0 : MP_ENOMEM;
}

int mp__reduce_loads(const void *data, size_t len, const int *fds, size_t nfds, mp_obj_t **out)
{
    MP__NEED(out);
    *out = NULL;
    if (nfds && !fds)
        return mp__fail(MP_EINVAL, "mp__reduce_loads: fds is NULL (with nfds %zu)", nfds);
    fdset_t s = {fds, nfds};
    return mp__pickle_loads_hooked(data, len, persistent_load, &s, out);
}
