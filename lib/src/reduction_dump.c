/* The parent's side of sending handles to a process started by exec (spawn, forkserver): each
 * handle value is pickled as a persistent id, a tuple of ints naming its kind, its shared
 * memory (an index into the descriptor list and an offset) and its own descriptors.
 *
 * The ids carry no address: the child maps the memfds wherever it likes, and every handle is
 * rebuilt around the pointer to its shared state (synchronize_impl.h, "the handles"). */
#include <limits.h>

#include "connection_impl.h"
#include "object_impl.h"
#include "pickle_dump_impl.h"
#include "queues_impl.h"
#include "reduction_impl.h"
#include "sharedctypes_impl.h"
#include "shm_impl.h"
#include "synchronize_impl.h"

/* The index of fd in the list, added if it is not there: the child gets each descriptor once,
 * however many handles share it (every small object of one arena chunk has the same memfd). */
static int fd_index(mp__fdlist_t *l, int fd, long long *idx)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->fd[i] == fd) {
            *idx = (long long)i;
            return 0;
        }
    }
    if (l->n == MP__FDLIST_MAX)
        return mp__fail(MP_EENCODE, "the arguments hold handles on more than %d descriptors",
                        MP__FDLIST_MAX);
    *idx = (long long)l->n;
    l->fd[l->n++] = fd;
    return 0;
}

static int fd_index_opt(mp__fdlist_t *l, int fd, long long *idx)
{
    *idx = -1;
    return fd < 0 ? 0 : fd_index(l, fd, idx);
}

/* Which memfd and offset hold the shared state `sh`. */
static int mem_ref(mp__fdlist_t *l, const void *sh, long long *idx, long long *off)
{
    int fd;
    size_t o, size;
    int rc = mp__shm_export(sh, &fd, &o, &size);
    if (rc < 0)
        return rc;
    *off = (long long)o;
    return fd_index(l, fd, idx);
}

static mp_obj_t *built(mp_obj_t *pid, int *rc)
{
    if (!pid && *rc == 0)
        *rc = mp__fail(MP_ENOMEM, "out of memory");
    return pid;
}

/* Lock, RLock, Semaphore, Event, Barrier: (kind, memory, offset). */
static mp_obj_t *sync_pid(mp__fdlist_t *l, int kind, const void *handle, int *rc)
{
    long long idx = 0, off = 0;
    *rc = mem_ref(l, *(void *const *)handle, &idx, &off);
    return *rc < 0 ? NULL : built(mp_build("(iLL)", kind, idx, off), rc);
}

/* Condition: (kind, memory, offset, its lock's memory, offset, kind). */
static mp_obj_t *cond_pid(mp__fdlist_t *l, mp_cond_t *c, int *rc)
{
    const mp_lock_t *lock = mp_cond_lock(c);
    long long idx = 0, off = 0, lidx = 0, loff = 0;
    *rc = mem_ref(l, *(void **)c, &idx, &off);
    if (*rc == 0)
        *rc = mem_ref(l, lock->sh, &lidx, &loff);
    int lkind = lock->recursive ? MP_HANDLE_RLOCK : MP_HANDLE_LOCK;
    return *rc < 0
               ? NULL
               : built(mp_build("(iLLLLi)", MP_HANDLE_CONDITION, idx, off, lidx, loff, lkind), rc);
}

/* Queue, JoinableQueue: (kind, memory, offset, protocol, eof_rd, eof_wr); a SimpleQueue has no
 * put side: (kind, memory, offset, protocol). */
static mp_obj_t *queue_pid(mp__fdlist_t *l, int kind, const struct mp_queue_s *q, int *rc)
{
    long long idx = 0, off = 0, rd = -1, wr = -1;
    if (q->closed)
        *rc = mp__fail(MP_EENCODE, "a closed %s cannot be sent to another process",
                       kind == MP_HANDLE_SIMPLE_QUEUE ? "SimpleQueue" : "Queue");
    else
        *rc = mem_ref(l, q->sh, &idx, &off);
    if (*rc == 0 && kind == MP_HANDLE_SIMPLE_QUEUE)
        return built(mp_build("(iLLi)", kind, idx, off, q->protocol), rc);
    if (*rc == 0)
        *rc = fd_index_opt(l, q->eof_rd, &rd);
    if (*rc == 0)
        *rc = fd_index_opt(l, q->eof_wr, &wr);
    return *rc < 0 ? NULL : built(mp_build("(iLLiLL)", kind, idx, off, q->protocol, rd, wr), rc);
}

/* Connection: (kind, socket, readable, writable). */
static mp_obj_t *conn_pid(mp__fdlist_t *l, const mp_conn_t *c, int *rc)
{
    long long idx = 0;
    if (c->fd < 0)
        *rc = mp__fail(MP_EENCODE, "a closed Connection cannot be sent to another process");
    else if (mp__conn_buffered(c))
        *rc = mp__fail(MP_EENCODE, "a Connection holding read-ahead bytes cannot be sent to a "
                                   "process started by spawn or forkserver: they would be lost");
    else
        *rc = fd_index(l, c->fd, &idx);
    return *rc < 0
               ? NULL
               : built(mp_build("(iLii)", MP_HANDLE_CONNECTION, idx, c->readable, c->writable), rc);
}

/* Value, Array: (kind, memory, offset, lock kind, lock memory, lock offset); a raw one has lock
 * kind -1 and no lock memory (-1, 0). */
static mp_obj_t *sct_pid(mp__fdlist_t *l, int kind, const struct mp_array_s *a, int *rc)
{
    long long idx = 0, off = 0, lidx = -1, loff = 0;
    int lkind = -1;
    *rc = mem_ref(l, a->sh, &idx, &off);
    if (*rc == 0 && a->lock) {
        lkind = a->lock->recursive ? MP_HANDLE_RLOCK : MP_HANDLE_LOCK;
        *rc = mem_ref(l, a->lock->sh, &lidx, &loff);
    }
    return *rc < 0 ? NULL : built(mp_build("(iLLiLL)", kind, idx, off, lkind, lidx, loff), rc);
}

static int persistent_id(const mp_obj_t *o, void *ud, mp_obj_t **pid)
{
    mp__fdlist_t *l = ud;
    const mp__handle_t *h = MP__HANDLE(o);
    int rc = 0;
    switch (h->kind) {
    case MP_HANDLE_CONDITION:
        *pid = cond_pid(l, h->handle, &rc);
        break;
    case MP_HANDLE_BARRIER:
        rc = mp__barrier_exportable(h->handle);
        *pid = rc < 0 ? NULL : sync_pid(l, h->kind, h->handle, &rc);
        break;
    case MP_HANDLE_QUEUE:
    case MP_HANDLE_JOINABLE_QUEUE:
    case MP_HANDLE_SIMPLE_QUEUE:
        *pid = queue_pid(l, h->kind, h->handle, &rc);
        break;
    case MP_HANDLE_CONNECTION:
        *pid = conn_pid(l, h->handle, &rc);
        break;
    case MP_HANDLE_VALUE:
    case MP_HANDLE_ARRAY:
        *pid = sct_pid(l, h->kind, h->handle, &rc);
        break;
    default:
        *pid = sync_pid(l, h->kind, h->handle, &rc);
    }
    return rc;
}

int mp__reduce_dumps(const mp_obj_t *obj, mp__fdlist_t *fds, void **out, size_t *len)
{
    MP__NEED(obj);
    MP__NEED(fds);
    MP__NEED(out);
    MP__NEED(len);
    *out = NULL;
    return mp__pickle_dumps_hooked(obj, -1, persistent_id, fds, out, len);
}
