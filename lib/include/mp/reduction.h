/**
 * @file reduction.h
 * @brief Handles as values: how a Lock, a Queue or a Connection reaches a child under every
 *        start method (`multiprocessing.reduction` and `context.assert_spawning`).
 *
 * A process's arguments are values (#mp_obj_t). To give a child a synchronisation primitive, a
 * queue or a connection, wrap the handle in a value and put it in the arguments:
 * @code
 *   mp_obj_t *args = mp_build("(Ni)", mp_lock_obj(lock), 42);
 *   mp_process_new(&p, worker, args, &opts);    // worker is MP_TARGET(worker)
 *   ...
 *   static void worker(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
 *   {
 *       mp_lock_t *lock;
 *       if (mp_obj_as_lock(mp_tuple_get(args, 0), &lock) < 0) mp_exit(1);
 *       ...
 *   }
 * @endcode
 * The same program runs unchanged under fork, spawn and forkserver. Under fork the child
 * inherits the handle as it inherits all memory. Under spawn and forkserver the arguments are
 * pickled inside mp_process_start(): each handle becomes a persistent reference to the shared
 * memory and the descriptors behind it, which the child receives (by inheritance across exec,
 * or SCM_RIGHTS from the fork server) and maps again. That is the only time a handle is
 * pickled: mp_pickle_dumps(), mp_conn_send() and mp_queue_put() of a value holding a handle fail
 * with #MP_EENCODE and CPython's message "Lock objects should only be shared between processes
 * through inheritance".
 *
 * A handle value borrows its handle: the caller keeps the handle alive (does not free it) while
 * any value wrapping it may be used. In a spawned or forkserver child the handles rebuilt from
 * the arguments belong to their values and live as long as the arguments (the whole run of the
 * target). Two values wrapping the same handle compare equal; a handle value is hashable (by
 * identity, as Python objects without `__eq__`).
 *
 * @defgroup mp_reduction Handles as values
 * @{
 */
#ifndef MP_REDUCTION_H
#define MP_REDUCTION_H

#include "mp/common.h"
#include "mp/connection.h"
#include "mp/object.h"
#include "mp/queues.h"
#include "mp/synchronize.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief What a handle value wraps; mp_handle_kind() tells. */
typedef enum {
    MP_HANDLE_LOCK,              /**< a Lock (mp_lock_new()). */
    MP_HANDLE_RLOCK,             /**< an RLock (mp_rlock_new()). */
    MP_HANDLE_SEMAPHORE,         /**< a Semaphore (mp_sem_new()). */
    MP_HANDLE_BOUNDED_SEMAPHORE, /**< a BoundedSemaphore (mp_bsem_new()). */
    MP_HANDLE_CONDITION,         /**< a Condition (mp_cond_new()), with its lock. */
    MP_HANDLE_EVENT,             /**< an Event (mp_event_new()). */
    MP_HANDLE_BARRIER,           /**< a Barrier (mp_barrier_new()). */
    MP_HANDLE_QUEUE,             /**< a Queue (mp_queue_new()). */
    MP_HANDLE_JOINABLE_QUEUE,    /**< a JoinableQueue (mp_jqueue_new()). */
    MP_HANDLE_SIMPLE_QUEUE,      /**< a SimpleQueue (mp_squeue_new()). */
    MP_HANDLE_CONNECTION,        /**< a Connection (mp_pipe()). */
    MP_HANDLE_VALUE,             /**< a Value or RawValue (mp_value_new()). */
    MP_HANDLE_ARRAY              /**< an Array or RawArray (mp_array_new()). */
} mp_handle_kind_t;

/**
 * @brief Wraps a Lock or an RLock in a value.
 * @param l the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `l` is NULL or memory is short.
 * @pyequiv passing a `multiprocessing.Lock()` in `Process(args=...)`.
 */
MP_EXTERN mp_obj_t *mp_lock_obj(mp_lock_t *l);
/**
 * @brief Wraps a Semaphore or BoundedSemaphore in a value; as mp_lock_obj().
 * @param s the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `s` is NULL or memory is short.
 * @pyequiv passing it in `Process(args=(sem,))`.
 */
MP_EXTERN mp_obj_t *mp_sem_obj(mp_sem_t *s);
/**
 * @brief Wraps a Condition (its lock goes with it) in a value; as mp_lock_obj().
 * @param c the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `c` is NULL or memory is short.
 * @pyequiv passing it in `Process(args=(cond,))`.
 */
MP_EXTERN mp_obj_t *mp_cond_obj(mp_cond_t *c);
/**
 * @brief Wraps a Event in a value; as mp_lock_obj().
 * @param e the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `e` is NULL or memory is short.
 * @pyequiv passing it in `Process(args=(event,))`.
 */
MP_EXTERN mp_obj_t *mp_event_obj(mp_event_t *e);
/**
 * @brief Wraps a Barrier; as mp_lock_obj().
 *
 * A barrier's action is a function pointer: it reaches a forked child, but a spawned one finds
 * it only by a name (MP_BARRIER_ACTION(), with a NULL `arg`); starting a spawn or forkserver
 * child with a Barrier whose action has no name, or has an arg, fails with #MP_EENCODE.
 * @param b the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `b` is NULL or memory is short.
 * @pyequiv passing it in `Process(args=(barrier,))`.
 */
MP_EXTERN mp_obj_t *mp_barrier_obj(mp_barrier_t *b);
/**
 * @brief Wraps a Queue or JoinableQueue in a value; as mp_lock_obj().
 * @param q the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `q` is NULL or memory is short.
 * @pyequiv passing it in `Process(args=(queue,))`.
 */
MP_EXTERN mp_obj_t *mp_queue_obj(mp_queue_t *q);
/**
 * @brief Wraps a SimpleQueue in a value; as mp_lock_obj().
 * @param q the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `q` is NULL or memory is short.
 * @pyequiv passing it in `Process(args=(simple_queue,))`.
 */
MP_EXTERN mp_obj_t *mp_squeue_obj(mp_squeue_t *q);
/**
 * @brief Wraps one end of a Pipe; as mp_lock_obj().
 *
 * An end with read-ahead bytes not yet delivered (mp_conn_set_readahead()) cannot be handed to
 * a spawned child without losing them: starting one fails with #MP_EENCODE.
 * @param c the handle; it must outlive the value.
 * @return a new reference; NULL with mp_errmsg() set if `c` is NULL or memory is short.
 * @pyequiv passing it in `Process(args=(conn,))`.
 */
MP_EXTERN mp_obj_t *mp_conn_obj(mp_conn_t *c);

/**
 * @brief What a handle value wraps.
 * @param o a value.
 * @return its #mp_handle_kind_t; #MP_EINVAL if `o` is NULL or not a handle value.
 * @pyequiv `type(o)` for a multiprocessing object.
 */
MP_EXTERN int mp_handle_kind(const mp_obj_t *o);

/**
 * @brief The Lock or RLock a value wraps.
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a Lock or RLock.
 * @pyequiv using the Lock the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_lock(const mp_obj_t *o, mp_lock_t **out);
/**
 * @brief The Semaphore or BoundedSemaphore a value wraps; as mp_obj_as_lock().
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a Semaphore or BoundedSemaphore.
 * @pyequiv using the Semaphore or BoundedSemaphore the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_sem(const mp_obj_t *o, mp_sem_t **out);
/**
 * @brief The Condition a value wraps; as mp_obj_as_lock().
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a Condition.
 * @pyequiv using the Condition the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_cond(const mp_obj_t *o, mp_cond_t **out);
/**
 * @brief The Event a value wraps; as mp_obj_as_lock().
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a Event.
 * @pyequiv using the Event the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_event(const mp_obj_t *o, mp_event_t **out);
/**
 * @brief The Barrier a value wraps; as mp_obj_as_lock().
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a Barrier.
 * @pyequiv using the Barrier the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_barrier(const mp_obj_t *o, mp_barrier_t **out);
/**
 * @brief The Queue or JoinableQueue a value wraps; as mp_obj_as_lock().
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a Queue or JoinableQueue.
 * @pyequiv using the Queue or JoinableQueue the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_queue(const mp_obj_t *o, mp_queue_t **out);
/**
 * @brief The SimpleQueue a value wraps; as mp_obj_as_lock().
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a SimpleQueue.
 * @pyequiv using the SimpleQueue the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_squeue(const mp_obj_t *o, mp_squeue_t **out);
/**
 * @brief The Connection a value wraps; as mp_obj_as_lock().
 * @param o   the value (usually an item of the target's `args`).
 * @param out receives the handle, borrowed from `o`.
 * @return 0; #MP_EINVAL with a message naming what `o` is if it does not wrap a Connection.
 * @pyequiv using the Connection the child received in its arguments.
 */
MP_EXTERN int mp_obj_as_conn(const mp_obj_t *o, mp_conn_t **out);

#ifdef __cplusplus
}
#endif

/** @} */
#endif /* MP_REDUCTION_H */
