/**
 * @file queues.h
 * @brief Queues between processes: `multiprocessing.Queue`, `JoinableQueue` and `SimpleQueue`.
 *
 * A queue is a ring of pickled messages in memory shared by every process that holds it. put()
 * pickles the value in the calling process and copies it into the ring before it returns; get()
 * copies a message out and unpickles it in the calling process. There is no feeder thread and
 * nothing is buffered inside a process, so:
 *
 * - a value that cannot be pickled, or is too large for the ring, fails in put() itself
 *   (#MP_EENCODE, #MP_EMSGSIZE) and takes no slot;
 * - a process that puts and exits at once loses nothing, and a process never waits at exit for
 *   its data to be read: joining a child before draining its queue cannot deadlock;
 * - qsize(), empty() and full() are exact the moment put() returns.
 *
 * Make a queue *before* starting the processes that use it: a forked child inherits the handle
 * and shares the queue, as a Python child inherits a Queue passed in `args`. Each process frees
 * its own handle when it is done (a child may simply exit).
 *
 * **Sizes.** maxsize counts messages, as in CPython. Independently, the ring has a capacity in
 * bytes: 2 GiB by default (#MP_QUEUE_RING_DEFAULT, see #mp_queue_opts_t). It is virtual memory:
 * a queue holds real memory only for the messages waiting in it, plus at most 1 MiB that it
 * keeps for small traffic (consumed parts of the ring are handed back to the kernel as the
 * consumers pass them). So an "unbounded" queue holds up to 2 GiB of pending messages, and only
 * when that is full does put() wait, exactly as it waits on a full bounded queue. A single
 * message (its pickle, plus 8 bytes) larger than the ring is refused with #MP_EMSGSIZE: it is
 * never streamed in pieces.
 *
 * **Timeouts** follow every other libmp call: `double` seconds, #MP_FOREVER for Python's `None`,
 * a negative timeout counts as 0, NaN is #MP_EINVAL, and with `block` 0 the timeout is ignored.
 * Where Python raises `queue.Empty` or `queue.Full`, libmp returns #MP_EEMPTY / #MP_EFULL for a
 * call that did not block and #MP_ETIMEDOUT for one whose timeout ran out.
 *
 * **Where libmp differs from CPython, on purpose.**
 * - Pickling errors are the caller's (CPython's feeder thread prints them and drops the item).
 * - A process killed while it holds the queue's internal lock (in the middle of a put or a get)
 *   does not wedge the queue: the next process to lock it takes it over at once. Every change
 *   to the ring is committed by one store, so the queue is left as it was before the dead
 *   call, or as it is after it: never a half-written message, never a duplicate. A message
 *   whose get() committed just before its consumer died is gone with that consumer, as it would
 *   be had the consumer died a moment after get() returned. CPython's queue deadlocks here.
 * - A consumer can learn that every producer has gone: after mp_queue_close_put() in the
 *   consumer, get() returns #MP_EOF once the queue is empty and no other process can put.
 *   CPython's get() blocks for ever.
 * - JoinableQueue's join() takes a timeout (CPython's has none, python/cpython#104448).
 * - A Queue's or SimpleQueue's put() waits only when the ring is full (2 GiB by default), never
 *   on a pipe buffer; CPython's feeder buffers without limit, its SimpleQueue blocks at 64 KiB.
 * - A queue cannot be sent through a Pipe or put on a queue: its handle is not an #mp_obj_t, so
 *   inheritance is the only way to share it (CPython raises RuntimeError at run time).
 *
 * **Fault injection.** For tests of the above, the environment variable `MP_FAULT` names a
 * point at which a process kills itself with SIGKILL: `queue.put.copy` (half of the message
 * written, lock held), `queue.put.commit` (committed, lock still held), `queue.get.copy` (message
 * copied out, not committed, lock held) or `queue.get.commit`. `MP_FAULT=queue.put.copy:3` dies
 * at the third time a process reaches the point. It is read at a process's first queue call.
 *
 * @defgroup mp_queues Queues
 * @{
 */
#ifndef MP_QUEUES_H
#define MP_QUEUES_H

#include <stddef.h>

#include "mp/common.h"
#include "mp/object.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief The default capacity of a queue's ring in bytes: 2 GiB of virtual memory. */
#define MP_QUEUE_RING_DEFAULT ((size_t)2 << 30)

/** @brief The smallest ring: 64 KiB. */
#define MP_QUEUE_RING_MIN ((size_t)64 << 10)

/**
 * @brief A Queue or a JoinableQueue (one handle type: a JoinableQueue is a Queue with
 *        task_done() and join(), as in Python, where it is a subclass).
 * @pyequiv `multiprocessing.queues.Queue`, `multiprocessing.queues.JoinableQueue`
 */
typedef struct mp_queue_s mp_queue_t;

/**
 * @brief Optional settings of mp_queue_new_ex(); start from #MP_QUEUE_OPTS_INIT.
 */
typedef struct mp_queue_opts_s {
    /** Capacity of the ring in bytes, rounded up to a power of two and to at least
     *  #MP_QUEUE_RING_MIN; more than 1 TiB is refused. 0 means #MP_QUEUE_RING_DEFAULT. Only
     *  the part that holds messages costs memory. */
    size_t ring_bytes;
    /** The pickle protocol put() writes: 0 to 5, or -1 for the default (see
     *  mp_pickle_dumps()). get() reads every protocol. */
    int protocol;
    /** Non-zero for a JoinableQueue. */
    int joinable;
} mp_queue_opts_t;

/** @brief Default settings: the default ring, the default protocol, not joinable. */
#define MP_QUEUE_OPTS_INIT                                                                         \
    {                                                                                              \
        0, -1, 0                                                                                   \
    }

/**
 * @brief What mp_queue_stats() reports: a snapshot of the queue's shared state.
 */
typedef struct mp_queue_stats_s {
    size_t items;      /**< messages in the ring (what mp_queue_qsize() returns). */
    size_t bytes;      /**< ring bytes those messages take, 8-byte headers and padding included. */
    size_t ring_bytes; /**< the ring's capacity in bytes. */
    size_t memory;     /**< bytes of shared memory the queue holds now: the pages in use. */
    size_t unfinished; /**< JoinableQueue: messages put and not yet marked task_done(). */
    unsigned recoveries; /**< times a process took the queue over from a lock holder that died. */
} mp_queue_stats_t;

/** @defgroup mp_queue Queue
 *  @ingroup mp_queues
 *  @{ */

/**
 * @brief Makes a Queue.
 * @param[out] out   the new queue; free it with mp_queue_free().
 * @param maxsize    the most messages it holds; 0 or negative for no limit but the ring's bytes.
 * @return 0; #MP_EINVAL if out is NULL; #MP_ENOMEM, #MP_EMFILE or a negative errno if shared
 *         memory or the descriptors cannot be made.
 * @pyequiv `multiprocessing.Queue(maxsize=0)`
 */
MP_EXTERN int mp_queue_new(mp_queue_t **out, long maxsize);

/**
 * @brief Makes a Queue or a JoinableQueue with settings.
 * @param[out] out   the new queue; free it with mp_queue_free().
 * @param maxsize    the most messages it holds; 0 or negative for no limit but the ring's bytes.
 * @param opts       NULL for the defaults, or the settings.
 * @return 0; #MP_EINVAL for a NULL out, a ring size out of range or a protocol outside -1..5;
 *         #MP_ENOMEM, #MP_EMFILE or a negative errno if resources cannot be made.
 * @pyequiv `multiprocessing.Queue(maxsize)` or `multiprocessing.JoinableQueue(maxsize)`, with
 *          the ring's size and the pickle protocol that Python does not let you choose.
 */
MP_EXTERN int mp_queue_new_ex(mp_queue_t **out, long maxsize, const mp_queue_opts_t *opts);

/**
 * @brief Frees this process's handle; other processes keep theirs and the queue itself.
 *
 * The process stops counting as one that may put (see mp_queue_close_put()).
 * @param q the queue, or NULL (nothing happens).
 * @pyequiv dropping the last reference to the queue in this process.
 */
MP_EXTERN void mp_queue_free(mp_queue_t *q);

/**
 * @brief Puts a value: pickles it here, then copies it into the ring.
 *
 * Waits while the queue holds maxsize messages or the ring has no room for this one.
 * @param q       the queue.
 * @param obj     the value.
 * @param block   0: never wait (the timeout is ignored).
 * @param timeout the most seconds to wait; #MP_FOREVER for no limit.
 * @return 0 once the message is in the queue; #MP_EFULL (not blocking) or #MP_ETIMEDOUT when
 *         the queue stayed full; #MP_EENCODE when the value cannot be pickled at the queue's
 *         protocol and #MP_EMSGSIZE when its pickle is larger than the ring (the queue is
 *         unchanged); #MP_ECLOSED after mp_queue_close() or mp_queue_close_put() in this
 *         process; #MP_EINVAL for a NULL argument or a NaN timeout; #MP_ENOMEM.
 * @pyequiv `multiprocessing.Queue.put(obj, block=True, timeout=None)`
 */
MP_EXTERN int mp_queue_put(mp_queue_t *q, const mp_obj_t *obj, int block, double timeout);

/**
 * @brief Puts a value without waiting: mp_queue_put(q, obj, 0, 0).
 * @param q   the queue.
 * @param obj the value.
 * @return as mp_queue_put(); #MP_EFULL when the queue is full.
 * @pyequiv `multiprocessing.Queue.put_nowait(obj)`
 */
MP_EXTERN int mp_queue_put_nowait(mp_queue_t *q, const mp_obj_t *obj);

/**
 * @brief Takes the oldest message and unpickles it here.
 * @param q       the queue.
 * @param[out] out the value, a new reference; NULL on failure.
 * @param block   0: never wait (the timeout is ignored).
 * @param timeout the most seconds to wait; #MP_FOREVER for no limit.
 * @return 0; #MP_EEMPTY (not blocking) or #MP_ETIMEDOUT when no message came; #MP_EOF when the
 *         queue is empty and no process can put any more (only after mp_queue_close_put() in
 *         this process); #MP_EDECODE when the message does not unpickle (it is consumed: a
 *         message put with mp_queue_put_bytes(), say); #MP_ECLOSED after mp_queue_close() in
 *         this process; #MP_EINVAL for a NULL argument or a NaN timeout; #MP_ENOMEM.
 * @pyequiv `multiprocessing.Queue.get(block=True, timeout=None)`
 */
MP_EXTERN int mp_queue_get(mp_queue_t *q, mp_obj_t **out, int block, double timeout);

/**
 * @brief Takes a message without waiting: mp_queue_get(q, out, 0, 0).
 * @param q        the queue.
 * @param[out] out the value, a new reference; NULL on failure.
 * @return as mp_queue_get(); #MP_EEMPTY when the queue is empty.
 * @pyequiv `multiprocessing.Queue.get_nowait()`
 */
MP_EXTERN int mp_queue_get_nowait(mp_queue_t *q, mp_obj_t **out);

/**
 * @brief Puts bytes as one message, without pickling.
 *
 * For C programs that frame their own data. A message put this way is read back with
 * mp_queue_get_bytes(); mp_queue_get() would try to unpickle it.
 * @param q       the queue.
 * @param buf     the bytes (may be NULL when len is 0).
 * @param len     how many.
 * @param block   0: never wait (the timeout is ignored).
 * @param timeout the most seconds to wait; #MP_FOREVER for no limit.
 * @return as mp_queue_put(), without #MP_EENCODE.
 * @pyequiv none: Python's Queue always pickles; `Connection.send_bytes()` is the nearest.
 */
MP_EXTERN int mp_queue_put_bytes(mp_queue_t *q, const void *buf, size_t len, int block,
                                 double timeout);

/**
 * @brief Takes the oldest message as bytes, without unpickling.
 * @param q        the queue.
 * @param[out] out the message, malloc'd (free it with free()); never NULL on success, even for
 *                 an empty message.
 * @param[out] len its length.
 * @param block    0: never wait (the timeout is ignored).
 * @param timeout  the most seconds to wait; #MP_FOREVER for no limit.
 * @return as mp_queue_get(), without #MP_EDECODE.
 * @pyequiv none: Python's Queue always unpickles; `Connection.recv_bytes()` is the nearest.
 */
MP_EXTERN int mp_queue_get_bytes(mp_queue_t *q, void **out, size_t *len, int block, double timeout);

/**
 * @brief Takes the oldest message as bytes into the caller's buffer, without allocating.
 * @param q        the queue.
 * @param buf      where the message goes (may be NULL when size is 0).
 * @param size     the room in buf.
 * @param[out] len the message's length; when the message is longer than size, its length.
 * @param block    0: never wait (the timeout is ignored).
 * @param timeout  the most seconds to wait; #MP_FOREVER for no limit.
 * @return as mp_queue_get_bytes(); #MP_EMSGSIZE when the oldest message is longer than size:
 *         it stays in the queue, and *len says how much room it needs.
 * @pyequiv none: `Connection.recv_bytes_into()` is the nearest (it consumes a message that
 *          does not fit and raises BufferTooShort).
 */
MP_EXTERN int mp_queue_get_bytes_into(mp_queue_t *q, void *buf, size_t size, size_t *len, int block,
                                      double timeout);

/**
 * @brief The number of messages in the queue, exact at the moment of the call.
 * @param q the queue.
 * @return the count (>= 0); #MP_EINVAL for NULL; #MP_EBROKEN if the queue is damaged.
 * @pyequiv `multiprocessing.Queue.qsize()` (exact here; CPython's counts a feeder's buffer
 *          too and raises NotImplementedError on macOS).
 */
MP_EXTERN long mp_queue_qsize(mp_queue_t *q);

/**
 * @brief Whether the queue holds no message, at the moment of the call.
 * @param q the queue.
 * @return 1 empty, 0 not; #MP_EINVAL for NULL; #MP_EBROKEN if the queue is damaged.
 * @pyequiv `multiprocessing.Queue.empty()` (exact here: false as soon as a put() returned;
 *          CPython's can stay true until the feeder thread has written).
 */
MP_EXTERN int mp_queue_empty(mp_queue_t *q);

/**
 * @brief Whether the queue holds maxsize messages, at the moment of the call.
 * @param q the queue.
 * @return 1 full, 0 not (always 0 without a maxsize); #MP_EINVAL for NULL; #MP_EBROKEN if the
 *         queue is damaged.
 * @pyequiv `multiprocessing.Queue.full()`
 */
MP_EXTERN int mp_queue_full(mp_queue_t *q);

/**
 * @brief Closes the queue for this process: no more put or get here.
 *
 * Idempotent. Other processes are not affected; messages already put stay in the queue. The
 * process stops counting as one that may put, as after mp_queue_close_put(). qsize(), empty(),
 * full(), the JoinableQueue calls and mp_queue_stats() still work.
 * @param q the queue.
 * @return 0; #MP_EINVAL for NULL.
 * @pyequiv `multiprocessing.Queue.close()`
 */
MP_EXTERN int mp_queue_close(mp_queue_t *q);

/**
 * @brief Waits for this process's buffered data to be written: with no feeder thread, nothing
 *        is ever buffered, so it returns at once.
 * @param q the queue.
 * @return 0 after mp_queue_close(); #MP_ESTATE before it, as CPython asserts; #MP_EINVAL for
 *         NULL.
 * @pyequiv `multiprocessing.Queue.join_thread()`
 */
MP_EXTERN int mp_queue_join_thread(mp_queue_t *q);

/**
 * @brief Stops this process from waiting at exit for its buffered data: libmp never waits at
 *        exit for a queue, so it does nothing, and no data is ever lost by it.
 * @param q the queue.
 * @return 0; #MP_EINVAL for NULL.
 * @pyequiv `multiprocessing.Queue.cancel_join_thread()`
 */
MP_EXTERN int mp_queue_cancel_join_thread(mp_queue_t *q);

/**
 * @brief Declares that this process will put no more, so that its get() can tell when every
 *        producer has gone.
 *
 * A queue counts the processes that may put: the one that made it and every process forked
 * from such a process while it held the queue (each holds the queue's "put side", as every
 * holder of a CPython Queue holds the write end of its pipe). A process leaves that set when it
 * calls this, mp_queue_close() or mp_queue_free(), or when it ends in any way, SIGKILL included.
 * Once it has left, this process's get() returns #MP_EOF as soon as the queue is empty and the
 * set is empty, instead of waiting for ever (within 50 ms of the last producer's end).
 *
 * Call it after starting the producers: a process forked from this one afterwards cannot put
 * either (its put() returns #MP_ECLOSED), just as a pipe end closed before a fork is not
 * inherited. Idempotent.
 * @param q the queue.
 * @return 0; #MP_EINVAL for NULL or a SimpleQueue.
 * @pyequiv none: CPython's get() blocks for ever when the producers are gone. This is the
 *          queue's counterpart of closing a Pipe's write end in the reader.
 */
MP_EXTERN int mp_queue_close_put(mp_queue_t *q);

/**
 * @brief A snapshot of the queue's state: messages, bytes, memory, recoveries.
 * @param q        the queue.
 * @param[out] st  the figures.
 * @return 0; #MP_EINVAL for a NULL argument; #MP_EBROKEN if the queue is damaged.
 * @pyequiv none (libmp only).
 */
MP_EXTERN int mp_queue_stats(mp_queue_t *q, mp_queue_stats_t *st);

/** @} */

/** @defgroup mp_jqueue JoinableQueue
 *  @ingroup mp_queues
 *  A JoinableQueue is an #mp_queue_t made by mp_jqueue_new(): every call of the Queue group
 *  works on it, and each put() adds one unfinished task.
 *  @{ */

/**
 * @brief Makes a JoinableQueue.
 * @param[out] out   the new queue; free it with mp_queue_free().
 * @param maxsize    the most messages it holds; 0 or negative for no limit but the ring's bytes.
 * @return as mp_queue_new().
 * @pyequiv `multiprocessing.JoinableQueue(maxsize=0)`
 */
MP_EXTERN int mp_jqueue_new(mp_queue_t **out, long maxsize);

/**
 * @brief Marks one task taken from the queue as done.
 * @param q the JoinableQueue.
 * @return 0; #MP_EOVERFLOW when there is no unfinished task ("task_done() called too many
 *         times", Python's ValueError); #MP_EINVAL for NULL or a queue that is not joinable.
 * @pyequiv `multiprocessing.JoinableQueue.task_done()`
 */
MP_EXTERN int mp_jqueue_task_done(mp_queue_t *q);

/**
 * @brief Waits until every message ever put has been marked done.
 * @param q       the JoinableQueue.
 * @param timeout the most seconds to wait; #MP_FOREVER for CPython's join().
 * @return 0; #MP_ETIMEDOUT; #MP_EINVAL for NULL, a NaN timeout or a queue that is not joinable.
 * @pyequiv `multiprocessing.JoinableQueue.join()`, plus the timeout CPython lacks.
 */
MP_EXTERN int mp_jqueue_join(mp_queue_t *q, double timeout);

/** @} */

/** @defgroup mp_squeue SimpleQueue
 *  @ingroup mp_queues
 *  @{ */

/**
 * @brief A SimpleQueue: unbounded, without timeouts, with the ring and the rules of a Queue.
 * @pyequiv `multiprocessing.queues.SimpleQueue`
 */
typedef struct mp_squeue_s mp_squeue_t;

/**
 * @brief Makes a SimpleQueue.
 * @param[out] out the new queue; free it with mp_squeue_free().
 * @return 0; #MP_EINVAL if out is NULL; #MP_ENOMEM or a negative errno if shared memory cannot
 *         be made.
 * @pyequiv `multiprocessing.SimpleQueue()`
 */
MP_EXTERN int mp_squeue_new(mp_squeue_t **out);

/**
 * @brief Frees this process's handle; other processes keep theirs.
 * @param q the queue, or NULL (nothing happens).
 * @pyequiv dropping the last reference to the SimpleQueue in this process.
 */
MP_EXTERN void mp_squeue_free(mp_squeue_t *q);

/**
 * @brief Puts a value, pickled here; waits only if the ring (2 GiB) is full.
 * @param q   the queue.
 * @param obj the value.
 * @return 0; #MP_EENCODE / #MP_EMSGSIZE as mp_queue_put(); #MP_ECLOSED after
 *         mp_squeue_close(); #MP_EINVAL for a NULL argument; #MP_ENOMEM.
 * @pyequiv `multiprocessing.SimpleQueue.put(obj)`
 */
MP_EXTERN int mp_squeue_put(mp_squeue_t *q, const mp_obj_t *obj);

/**
 * @brief Takes the oldest message, waiting as long as it takes.
 * @param q        the queue.
 * @param[out] out the value, a new reference; NULL on failure.
 * @return 0; #MP_EDECODE; #MP_ECLOSED after mp_squeue_close(); #MP_EINVAL for a NULL argument;
 *         #MP_ENOMEM.
 * @pyequiv `multiprocessing.SimpleQueue.get()`
 */
MP_EXTERN int mp_squeue_get(mp_squeue_t *q, mp_obj_t **out);

/**
 * @brief Whether the queue holds no message.
 * @param q the queue.
 * @return 1 empty, 0 not; #MP_ECLOSED after mp_squeue_close(); #MP_EINVAL for NULL.
 * @pyequiv `multiprocessing.SimpleQueue.empty()`
 */
MP_EXTERN int mp_squeue_empty(mp_squeue_t *q);

/**
 * @brief Closes the queue for this process: put, get and empty fail afterwards with
 *        #MP_ECLOSED ("handle is closed"). Idempotent; other processes are not affected.
 * @param q the queue.
 * @return 0; #MP_EINVAL for NULL.
 * @pyequiv `multiprocessing.SimpleQueue.close()`
 */
MP_EXTERN int mp_squeue_close(mp_squeue_t *q);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* MP_QUEUES_H */
