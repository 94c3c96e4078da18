/* Handles as values (reduction.h): wrapping a handle, what each kind is called, and the way back
 * from a value to its handle. Sending them to a process started by exec is reduction_dump.c and
 * reduction_load.c.
 *
 * The names are CPython's classes. `refused` is the class CPython's pickling refusal names,
 * which is not always the object's own: an Event and a Barrier pickle their Condition first. */
#include "object_impl.h"
#include "queues_impl.h"
#include "reduction_impl.h"
#include "sharedctypes_impl.h"
#include "synchronize_impl.h"

#define SYNC "multiprocessing.synchronize"
#define QUEUES "multiprocessing.queues"

static void free_lock(void *h)
{
    mp_lock_free(h);
}
static void free_sem(void *h)
{
    mp_sem_free(h);
}
static void free_cond(void *h)
{
    mp_cond_free(h);
}
static void free_event(void *h)
{
    mp_event_free(h);
}
static void free_barrier(void *h)
{
    mp_barrier_free(h);
}
static void free_queue(void *h)
{
    mp_queue_free(h);
}
static void free_squeue(void *h)
{
    mp_squeue_free(h);
}
static void free_conn(void *h)
{
    mp_conn_free(h);
}
static void free_array(void *h)
{
    mp_array_free(h);
}

static const mp__handle_type_t types[] = {
    [MP_HANDLE_LOCK] = {"Lock", SYNC, "Lock", free_lock},
    [MP_HANDLE_RLOCK] = {"RLock", SYNC, "RLock", free_lock},
    [MP_HANDLE_SEMAPHORE] = {"Semaphore", SYNC, "Semaphore", free_sem},
    [MP_HANDLE_BOUNDED_SEMAPHORE] = {"BoundedSemaphore", SYNC, "BoundedSemaphore", free_sem},
    [MP_HANDLE_CONDITION] = {"Condition", SYNC, "Condition", free_cond},
    [MP_HANDLE_EVENT] = {"Event", SYNC, "Condition", free_event},
    [MP_HANDLE_BARRIER] = {"Barrier", SYNC, "Condition", free_barrier},
    [MP_HANDLE_QUEUE] = {"Queue", QUEUES, "Queue", free_queue},
    [MP_HANDLE_JOINABLE_QUEUE] = {"JoinableQueue", QUEUES, "JoinableQueue", free_queue},
    [MP_HANDLE_SIMPLE_QUEUE] = {"SimpleQueue", QUEUES, "SimpleQueue", free_squeue},
    [MP_HANDLE_CONNECTION] = {"Connection", "multiprocessing.connection", "Connection", free_conn},
    [MP_HANDLE_VALUE] = {"Synchronized", "multiprocessing.sharedctypes", "Synchronized",
                         free_array},
    [MP_HANDLE_ARRAY] = {"SynchronizedArray", "multiprocessing.sharedctypes", "SynchronizedArray",
                         free_array},
};

mp_obj_t *mp__handle_obj(mp_handle_kind_t kind, void *handle, int owned)
{
    mp_obj_t *o = mp__handle_new((int)kind, handle, &types[kind], owned);
    if (!o && owned)
        types[kind].free(handle);
    return o;
}

mp_obj_t *mp_lock_obj(mp_lock_t *l)
{
    MP__NEED_OR(l, NULL);
    return mp__handle_obj(l->recursive ? MP_HANDLE_RLOCK : MP_HANDLE_LOCK, l, 0);
}

mp_obj_t *mp_sem_obj(mp_sem_t *s)
{
    MP__NEED_OR(s, NULL);
    return mp__handle_obj(mp__sem_bounded(s) ? MP_HANDLE_BOUNDED_SEMAPHORE : MP_HANDLE_SEMAPHORE, s,
                          0);
}

mp_obj_t *mp_cond_obj(mp_cond_t *c)
{
    MP__NEED_OR(c, NULL);
    return mp__handle_obj(MP_HANDLE_CONDITION, c, 0);
}

mp_obj_t *mp_event_obj(mp_event_t *e)
{
    MP__NEED_OR(e, NULL);
    return mp__handle_obj(MP_HANDLE_EVENT, e, 0);
}

mp_obj_t *mp_barrier_obj(mp_barrier_t *b)
{
    MP__NEED_OR(b, NULL);
    return mp__handle_obj(MP_HANDLE_BARRIER, b, 0);
}

mp_obj_t *mp_queue_obj(mp_queue_t *q)
{
    MP__NEED_OR(q, NULL);
    return mp__handle_obj(q->kind == MP__Q_JOINABLE ? MP_HANDLE_JOINABLE_QUEUE : MP_HANDLE_QUEUE, q,
                          0);
}

mp_obj_t *mp_squeue_obj(mp_squeue_t *q)
{
    MP__NEED_OR(q, NULL);
    return mp__handle_obj(MP_HANDLE_SIMPLE_QUEUE, q, 0);
}

mp_obj_t *mp_conn_obj(mp_conn_t *c)
{
    MP__NEED_OR(c, NULL);
    return mp__handle_obj(MP_HANDLE_CONNECTION, c, 0);
}

mp_obj_t *mp_value_obj(mp_value_t *v)
{
    MP__NEED_OR(v, NULL);
    return mp__handle_obj(MP_HANDLE_VALUE, v, 0);
}

mp_obj_t *mp_array_obj(mp_array_t *a)
{
    MP__NEED_OR(a, NULL);
    return mp__handle_obj(MP_HANDLE_ARRAY, a, 0);
}

int mp_handle_kind(const mp_obj_t *o)
{
    MP__NEED(o);
    if (o->type != MP_TYPE_HANDLE)
        return mp__fail(MP_EINVAL, "mp_handle_kind: expected a handle value, got %s",
                        mp__obj_type_name(o));
    return MP__HANDLE(o)->kind;
}

/* The handle o wraps if it is of kind k1 or k2; else MP_EINVAL naming what was wanted and what
 * came, as a Python call given the wrong object says. */
static int unwrap(const char *fn, const mp_obj_t *o, int k1, int k2, void *out)
{
    if (!o)
        return mp__fail(MP_EINVAL, "%s: o is NULL", fn);
    if (!out)
        return mp__fail(MP_EINVAL, "%s: out is NULL", fn);
    int k = o->type == MP_TYPE_HANDLE ? MP__HANDLE(o)->kind : -1;
    if (k < 0 || (k != k1 && k != k2))
        return mp__fail(MP_EINVAL, "%s: expected a %s%s%s, got %s", fn, types[k1].name,
                        k2 != k1 ? " or " : "", k2 != k1 ? types[k2].name : "",
                        mp__obj_type_name(o));
    *(void **)out = MP__HANDLE(o)->handle;
    return 0;
}

int mp_obj_as_lock(const mp_obj_t *o, mp_lock_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_LOCK, MP_HANDLE_RLOCK, out);
}

int mp_obj_as_sem(const mp_obj_t *o, mp_sem_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_SEMAPHORE, MP_HANDLE_BOUNDED_SEMAPHORE, out);
}

int mp_obj_as_cond(const mp_obj_t *o, mp_cond_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_CONDITION, MP_HANDLE_CONDITION, out);
}

int mp_obj_as_event(const mp_obj_t *o, mp_event_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_EVENT, MP_HANDLE_EVENT, out);
}

int mp_obj_as_barrier(const mp_obj_t *o, mp_barrier_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_BARRIER, MP_HANDLE_BARRIER, out);
}

int mp_obj_as_queue(const mp_obj_t *o, mp_queue_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_QUEUE, MP_HANDLE_JOINABLE_QUEUE, out);
}

int mp_obj_as_squeue(const mp_obj_t *o, mp_squeue_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_SIMPLE_QUEUE, MP_HANDLE_SIMPLE_QUEUE, out);
}

int mp_obj_as_conn(const mp_obj_t *o, mp_conn_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_CONNECTION, MP_HANDLE_CONNECTION, out);
}

int mp_obj_as_value(const mp_obj_t *o, mp_value_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_VALUE, MP_HANDLE_VALUE, out);
}

int mp_obj_as_array(const mp_obj_t *o, mp_array_t **out)
{
    return unwrap(__func__, o, MP_HANDLE_ARRAY, MP_HANDLE_ARRAY, out);
}
