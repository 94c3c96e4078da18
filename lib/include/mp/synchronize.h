/**
 * @file synchronize.h
 * @brief Synchronisation between processes: `multiprocessing.Lock`, `RLock`, `Semaphore`,
 *        `BoundedSemaphore`, `Condition`, `Event` and `Barrier`.
 *
 * Each object lives in shared memory that libmp allocates; what a constructor hands back is an
 * opaque handle. Make the object *before* starting the processes that use it: a forked child
 * inherits the handle and shares the object, exactly as a Python child inherits a Lock passed
 * in `args`. Each process frees its own handle when it is done (a child may simply exit).
 *
 * Timeouts follow the rules of #MP_FOREVER, as every other libmp call does: `double` seconds,
 * #MP_FOREVER for Python's `None`, a negative timeout counts as 0, NaN is #MP_EINVAL; with `block`
 * 0 the timeout is ignored. Where Python returns False, libmp returns #MP_EAGAIN (not blocking) or
 * #MP_ETIMEDOUT (timed out). Signals with handlers do not interrupt a wait: it goes on for the time
 * left.
 *
 * **Where libmp differs from CPython: dead processes.** CPython's primitives are counters
 * without owners, so a process that dies holding a Lock or RLock, or inside a Barrier, leaves
 * the others waiting for ever (python/cpython#88304, #123899). In libmp a Lock or RLock records
 * the process that holds it; when that process ends while it still holds the lock (killed, or
 * exited), the next process to acquire it gets it together with #MP_EOWNERDEAD, within about
 * 50 ms. The data the lock guarded may be half-updated: repair it and call
 * mp_lock_make_consistent(); release it without doing so and the lock is *poisoned*: every
 * later acquire fails at once with #MP_ENOTRECOVERABLE. A Condition's lock behaves the same, and
 * a waiter that dies in mp_cond_wait() never blocks a notify. A party that dies while waiting
 * in a Barrier breaks it (#MP_EBROKEN for the others). Semaphores have no owner, in CPython and
 * here: a count a dead process would have given back stays taken.
 *
 * @defgroup mp_synchronize Synchronisation
 * @{
 */
#ifndef MP_SYNCHRONIZE_H
#define MP_SYNCHRONIZE_H

#include "mp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup mp_lock Lock and RLock
 *  @ingroup mp_synchronize
 *  @{ */

/**
 * @brief A Lock or an RLock (one handle type, so that a Condition can take either).
 *
 * A **Lock** is not recursive, and any process or thread may release it (CPython's Lock is a
 * SemLock). An **RLock** belongs to the thread that acquired it: that thread may acquire it again,
 * and only it may release it; a forked child never owns its parent's RLock (as in CPython: the
 * owner is a process and thread pair).
 */
typedef struct mp_lock_s mp_lock_t;

/**
 * @brief Makes a Lock, free.
 * @param[out] out the new lock; free it with mp_lock_free().
 * @return 0; #MP_ENOMEM, or a negative errno if shared memory cannot be made.
 * @pyequiv `multiprocessing.Lock()`
 */
MP_EXTERN int mp_lock_new(mp_lock_t **out);

/**
 * @brief Makes an RLock (recursive lock), free.
 * @param[out] out the new lock; free it with mp_lock_free().
 * @return 0; #MP_ENOMEM, or a negative errno if shared memory cannot be made.
 * @pyequiv `multiprocessing.RLock()`
 */
MP_EXTERN int mp_rlock_new(mp_lock_t **out);

/**
 * @brief Frees this process's handle of a Lock or RLock; other processes keep theirs.
 * @param l the lock, or NULL (nothing happens).
 * @pyequiv dropping the last reference to the lock in this process.
 */
MP_EXTERN void mp_lock_free(mp_lock_t *l);

/**
 * @brief Acquires the lock.
 *
 * A Lock is not recursive: its holder's second acquire waits like anyone else's. An RLock that
 * the calling thread holds is acquired again at once (its count goes up), whatever `block`
 * and `timeout` say.
 * @param l       the lock.
 * @param block   0: try once and return at once (the timeout is ignored).
 * @param timeout when blocking: seconds to wait at most; #MP_FOREVER waits for ever; negative
 *                counts as 0.
 * @return 0 when acquired; #MP_EAGAIN (not blocking) or #MP_ETIMEDOUT when it was held
 *         throughout (Python's False); #MP_EOWNERDEAD: acquired, but its previous holder died
 *         holding it (see mp_lock_make_consistent()); #MP_ENOTRECOVERABLE: poisoned, not
 *         acquired; #MP_EINVAL for a NaN timeout.
 * @pyequiv `multiprocessing.Lock.acquire(block=True, timeout=None)` and
 *          `multiprocessing.RLock.acquire(block=True, timeout=None)`
 */
MP_EXTERN int mp_lock_acquire(mp_lock_t *l, int block, double timeout);

/**
 * @brief Releases the lock.
 *
 * A Lock may be released by any process or thread. An RLock only by the thread that holds it,
 * once per acquire; the last release frees it.
 * @param l the lock.
 * @return 0; #MP_EOVERFLOW when a Lock is not held (Python's ValueError "semaphore or lock
 *         released too many times"); #MP_ENOTOWNER when the calling thread does not hold the
 *         RLock (Python's AssertionError); #MP_ENOTRECOVERABLE when it is poisoned. Releasing
 *         after #MP_EOWNERDEAD without mp_lock_make_consistent() returns 0 and poisons it.
 * @pyequiv `multiprocessing.Lock.release()` and `multiprocessing.RLock.release()`
 */
MP_EXTERN int mp_lock_release(mp_lock_t *l);

/**
 * @brief Marks a lock taken over from a dead holder as repaired.
 *
 * Call it after an acquire returned #MP_EOWNERDEAD and the data the lock guards is consistent
 * again; the lock then works as before.
 * @param l the lock, held by the calling process (an RLock: by the calling thread).
 * @return 0; #MP_EINVAL when the lock was not taken over from a dead holder; #MP_ENOTOWNER
 *         when the caller does not hold it.
 * @pyequiv none: CPython has no way to see that a holder died (it waits for ever). This is
 *          `pthread_mutex_consistent()`.
 */
MP_EXTERN int mp_lock_make_consistent(mp_lock_t *l);

/**
 * @brief Whether the calling thread holds the lock.
 * @param l the lock.
 * @return 1 or 0; 0 for a NULL lock (mp_errmsg() says so).
 * @pyequiv `lock._semlock._is_mine()` (a private member CPython's own tests use).
 */
MP_EXTERN int mp_lock_is_mine(const mp_lock_t *l);

/**
 * @brief How many times the calling thread holds an RLock (for a Lock: 1 if it holds it).
 * @param l the lock.
 * @return the count; 0 when the calling thread does not hold it; #MP_EINVAL for NULL.
 * @pyequiv `rlock._semlock._count()` (private in CPython; `repr(rlock)` shows it).
 */
MP_EXTERN int mp_lock_count(const mp_lock_t *l);

/** @} */

/** @defgroup mp_sem Semaphore and BoundedSemaphore
 *  @ingroup mp_synchronize
 *  @{ */

/** @brief A Semaphore or a BoundedSemaphore. Semaphores have no owner: any process may
 *         release. */
typedef struct mp_sem_s mp_sem_t;

/** The largest value a semaphore can hold (Linux's SEM_VALUE_MAX). */
#define MP_SEM_VALUE_MAX 2147483647L

/**
 * @brief Makes a Semaphore whose release may raise the value above its initial one.
 * @param[out] out the new semaphore; free it with mp_sem_free().
 * @param value    the initial value, 0 to #MP_SEM_VALUE_MAX (Python's default is 1).
 * @return 0; #MP_EINVAL when the value is negative (Python's OSError EINVAL) or above
 *         #MP_SEM_VALUE_MAX (Python's OverflowError); #MP_ENOMEM.
 * @pyequiv `multiprocessing.Semaphore(value=1)`
 */
MP_EXTERN int mp_sem_new(mp_sem_t **out, long value);

/**
 * @brief Makes a BoundedSemaphore: its value may never go above the initial one.
 * @param[out] out the new semaphore; free it with mp_sem_free().
 * @param value    the initial and largest value, 0 to #MP_SEM_VALUE_MAX (Python's default 1).
 * @return 0; #MP_EINVAL; #MP_ENOMEM.
 * @pyequiv `multiprocessing.BoundedSemaphore(value=1)`
 */
MP_EXTERN int mp_bsem_new(mp_sem_t **out, long value);

/**
 * @brief Frees this process's handle of a semaphore.
 * @param s the semaphore, or NULL.
 * @pyequiv dropping the last reference in this process.
 */
MP_EXTERN void mp_sem_free(mp_sem_t *s);

/**
 * @brief Decrements the value, waiting while it is 0.
 * @param s       the semaphore.
 * @param block   0: try once (the timeout is ignored).
 * @param timeout when blocking: seconds at most; #MP_FOREVER; negative counts as 0.
 * @return 0; #MP_EAGAIN or #MP_ETIMEDOUT (Python's False); #MP_EINVAL for a NaN timeout.
 * @pyequiv `multiprocessing.Semaphore.acquire(block=True, timeout=None)`
 */
MP_EXTERN int mp_sem_acquire(mp_sem_t *s, int block, double timeout);

/**
 * @brief Increments the value and wakes one waiter.
 *
 * The bound check of a BoundedSemaphore and the increment are one atomic step (CPython checks,
 * then posts: two processes may both pass its check).
 * @param s the semaphore.
 * @return 0; #MP_EOVERFLOW at #MP_SEM_VALUE_MAX, or at the bound of a BoundedSemaphore (the
 *         value is unchanged; Python's ValueError "semaphore or lock released too many times").
 * @pyequiv `multiprocessing.Semaphore.release()`, `multiprocessing.BoundedSemaphore.release()`
 */
MP_EXTERN int mp_sem_release(mp_sem_t *s);

/**
 * @brief The current value.
 * @param s the semaphore.
 * @return the value (0 to #MP_SEM_VALUE_MAX); #MP_EINVAL for NULL.
 * @pyequiv `multiprocessing.Semaphore.get_value()`
 */
MP_EXTERN int mp_sem_get_value(const mp_sem_t *s);

/** @} */

/** @defgroup mp_cond Condition
 *  @ingroup mp_synchronize
 *  @{ */

/** @brief A condition variable over a Lock or an RLock. */
typedef struct mp_cond_s mp_cond_t;

/**
 * @brief A predicate for mp_cond_wait_for(): returns non-zero when the awaited state holds.
 * @param arg the `arg` given to mp_cond_wait_for().
 * @return 0 for false; any other value is true and is handed back to the caller.
 * @pyequiv the `predicate` callable of `Condition.wait_for()`.
 */
typedef int (*mp_predicate_t)(void *arg);

/**
 * @brief Makes a Condition over `lock`, or over a new RLock of its own.
 * @param[out] out the new condition; free it with mp_cond_free().
 * @param lock     a Lock or RLock that must outlive the condition, or NULL to make an RLock
 *                 that the condition owns (and frees).
 * @return 0; #MP_ENOMEM, or a negative errno if shared memory cannot be made.
 * @pyequiv `multiprocessing.Condition(lock=None)`
 */
MP_EXTERN int mp_cond_new(mp_cond_t **out, mp_lock_t *lock);

/**
 * @brief Frees this process's handle of a condition (and of the RLock it made, if any).
 * @param c the condition, or NULL.
 * @pyequiv dropping the last reference in this process.
 */
MP_EXTERN void mp_cond_free(mp_cond_t *c);

/**
 * @brief The condition's lock: the one given to mp_cond_new(), or the RLock it made.
 * @param c the condition.
 * @return the lock (owned by the condition when it made it); NULL for a NULL condition
 *         (mp_errmsg() says so).
 * @pyequiv `Condition._lock` (private in CPython).
 */
MP_EXTERN mp_lock_t *mp_cond_lock(mp_cond_t *c);

/**
 * @brief Acquires the condition's lock: mp_lock_acquire() on it.
 * @param c       the condition.
 * @param block   0: try once.
 * @param timeout when blocking: seconds at most; #MP_FOREVER.
 * @return as mp_lock_acquire().
 * @pyequiv `multiprocessing.Condition.acquire(block=True, timeout=None)`
 */
MP_EXTERN int mp_cond_acquire(mp_cond_t *c, int block, double timeout);

/**
 * @brief Releases the condition's lock: mp_lock_release() on it.
 * @param c the condition.
 * @return as mp_lock_release().
 * @pyequiv `multiprocessing.Condition.release()`
 */
MP_EXTERN int mp_cond_release(mp_cond_t *c);

/**
 * @brief Releases the lock (all the way, for an RLock held several times), waits for a
 *        notify or the timeout, and acquires the lock again as many times as before.
 *
 * The lock is held again on return whatever happened, as in CPython. A wait whose timeout
 * ends just as it is notified may report either outcome.
 * @param c       the condition; the calling thread must hold its lock.
 * @param timeout seconds at most; #MP_FOREVER; negative counts as 0.
 * @return 0 when notified; #MP_ETIMEDOUT (Python's False); #MP_ENOTOWNER when the calling
 *         thread does not hold the lock (nothing waits; Python's AssertionError "must acquire()
 *         condition before using wait()"); #MP_EOWNERDEAD when, getting the lock back, it was
 *         taken over from a process that died holding it (held; see
 *         mp_lock_make_consistent()); #MP_EINVAL for a NaN timeout.
 * @pyequiv `multiprocessing.Condition.wait(timeout=None)`
 */
MP_EXTERN int mp_cond_wait(mp_cond_t *c, double timeout);

/**
 * @brief Waits until `pred(arg)` is true: checks it first, then after each wake-up, until the
 *        timeout.
 * @param c       the condition; the calling thread must hold its lock.
 * @param pred    the predicate, called with the lock held.
 * @param arg     passed to `pred`.
 * @param timeout seconds at most for the whole call; #MP_FOREVER.
 * @param[out] value NULL, or where the last value of `pred` goes (0 on a timeout).
 * @return 0 when the predicate is true; #MP_ETIMEDOUT when it is still false at the deadline
 *         (Python returns the false value); the errors of mp_cond_wait().
 * @pyequiv `multiprocessing.Condition.wait_for(predicate, timeout=None)`
 */
MP_EXTERN int mp_cond_wait_for(mp_cond_t *c, mp_predicate_t pred, void *arg, double timeout,
                               int *value);

/**
 * @brief Wakes at most `n` of the processes and threads waiting on the condition.
 *
 * Unlike CPython's, it does not wait for the woken ones to wake, so a waiter that died never
 * blocks it (python/cpython#75158).
 * @param c the condition; the calling thread must hold its lock.
 * @param n how many to wake at most (Python's default is 1).
 * @return 0 (also with no waiter); #MP_ENOTOWNER when the caller does not hold the lock
 *         (Python's AssertionError "lock is not owned").
 * @pyequiv `multiprocessing.Condition.notify(n=1)`
 */
MP_EXTERN int mp_cond_notify(mp_cond_t *c, unsigned n);

/**
 * @brief Wakes every process and thread waiting on the condition.
 * @param c the condition; the calling thread must hold its lock.
 * @return 0; #MP_ENOTOWNER.
 * @pyequiv `multiprocessing.Condition.notify_all()`
 */
MP_EXTERN int mp_cond_notify_all(mp_cond_t *c);

/** @} */

/** @defgroup mp_event Event
 *  @ingroup mp_synchronize
 *  @{ */

/** @brief An event: a flag that processes set, clear and wait for. */
typedef struct mp_event_s mp_event_t;

/**
 * @brief Makes an Event, not set.
 * @param[out] out the new event; free it with mp_event_free().
 * @return 0; #MP_ENOMEM, or a negative errno if shared memory cannot be made.
 * @pyequiv `multiprocessing.Event()`
 */
MP_EXTERN int mp_event_new(mp_event_t **out);

/**
 * @brief Frees this process's handle of an event.
 * @param e the event, or NULL.
 * @pyequiv dropping the last reference in this process.
 */
MP_EXTERN void mp_event_free(mp_event_t *e);

/**
 * @brief Whether the flag is set.
 * @param e the event.
 * @return 1 or 0; 0 for a NULL event (mp_errmsg() says so).
 * @pyequiv `multiprocessing.Event.is_set()`
 */
MP_EXTERN int mp_event_is_set(const mp_event_t *e);

/**
 * @brief Sets the flag and wakes every waiter (setting it again does nothing).
 * @param e the event; NULL does nothing but set mp_errmsg().
 * @pyequiv `multiprocessing.Event.set()`
 */
MP_EXTERN void mp_event_set(mp_event_t *e);

/**
 * @brief Clears the flag (clearing it again does nothing).
 * @param e the event; NULL does nothing but set mp_errmsg().
 * @pyequiv `multiprocessing.Event.clear()`
 */
MP_EXTERN void mp_event_clear(mp_event_t *e);

/**
 * @brief Waits until the flag is set, or the timeout.
 *
 * A set() that comes during the wait counts even if a clear() follows before the waiter runs
 * (CPython then reports the flag as it finds it, False; threading.Event reports True, as here).
 * @param e       the event.
 * @param timeout seconds at most; #MP_FOREVER; negative counts as 0.
 * @return 0 when the flag is (or was, during the wait) set; #MP_ETIMEDOUT (Python's False);
 *         #MP_EINVAL for a NaN timeout.
 * @pyequiv `multiprocessing.Event.wait(timeout=None)`
 */
MP_EXTERN int mp_event_wait(mp_event_t *e, double timeout);

/** @} */

/** @defgroup mp_barrier Barrier
 *  @ingroup mp_synchronize
 *  @{ */

/** @brief A barrier for a fixed number of parties. */
typedef struct mp_barrier_s mp_barrier_t;

/**
 * @brief The action of a barrier, run by the last party to arrive before any party leaves.
 * @param arg the `arg` given to mp_barrier_new() (as the arriving process sees it).
 * @return 0, or a negative code: the barrier then breaks, the last party gets this code and
 *         the others #MP_EBROKEN.
 * @pyequiv the `action` callable of `Barrier(parties, action)`.
 */
typedef int (*mp_barrier_action_t)(void *arg);

/**
 * @brief One entry of the table of Barrier actions known by name; MP_BARRIER_ACTION() makes it.
 * Treat the fields as private.
 */
typedef struct mp_barrier_action_entry_s {
    /** @cond PRIVATE */
    const char *name;
    mp_barrier_action_t fn;
    struct mp_barrier_action_entry_s *next;
    /** @endcond */
} mp_barrier_action_entry_t;

/**
 * @brief Registers `fn` (a #mp_barrier_action_t) as a Barrier action known by its own name,
 *        before main() runs. Write it once at file scope after the function:
 *        `MP_BARRIER_ACTION(report);`.
 *
 * A Barrier made with a registered action and a NULL `arg` can be handed to a child started by
 * spawn or forkserver (reduction.h): the child finds the action by name, as a spawned Python
 * child unpickles the action by its qualified name. Names are program-wide.
 * @pyequiv a module-level function given as `Barrier(parties, action=fn)`.
 */
#define MP_BARRIER_ACTION(fn)                                                                      \
    static void __attribute__((constructor(101))) mp__register_action_##fn(void)                   \
    {                                                                                              \
        static mp_barrier_action_entry_t mp__action_##fn = {#fn, fn, NULL};                        \
        mp_barrier_action_register(&mp__action_##fn);                                              \
    }                                                                                              \
    typedef int mp__action_##fn##_registered_t

/**
 * @brief Adds an entry to the table of Barrier actions known by name (MP_BARRIER_ACTION()
 *        calls it).
 * @param e the entry; it must live as long as the program. Adding one entry twice adds it once.
 * @return 0; #MP_EINVAL if `e`, its name or its function is NULL.
 * @pyequiv defining the action at module level (what makes it picklable by reference).
 */
MP_EXTERN int mp_barrier_action_register(mp_barrier_action_entry_t *e);

/** The timeout of mp_barrier_wait() that means "the barrier's own default" (Python's
 *  `wait(timeout=None)`). */
#define MP_BARRIER_DEFAULT (-(double)INFINITY)

/**
 * @brief Makes a Barrier for `parties` parties.
 * @param[out] out the new barrier; free it with mp_barrier_free().
 * @param parties  how many parties must call mp_barrier_wait() for all of them to pass; at
 *                 least 1 (CPython accepts 0 and then waits until the timeout: @ref deviations).
 * @param action   NULL, or a function the last arriving party runs before any party passes.
 *                 Registered with MP_BARRIER_ACTION() and with a NULL `arg`, it also runs in
 *                 children started by spawn or forkserver; otherwise such children cannot be
 *                 given the barrier (#MP_EENCODE from mp_process_start()).
 * @param arg      passed to `action`.
 * @param timeout  the default timeout of mp_barrier_wait(); #MP_FOREVER for none.
 * @return 0; #MP_EINVAL when parties is 0 or the timeout NaN; #MP_ENOMEM.
 * @pyequiv `multiprocessing.Barrier(parties, action=None, timeout=None)`
 */
MP_EXTERN int mp_barrier_new(mp_barrier_t **out, unsigned parties, mp_barrier_action_t action,
                             void *arg, double timeout);

/**
 * @brief Frees this process's handle of a barrier.
 * @param b the barrier, or NULL.
 * @pyequiv dropping the last reference in this process.
 */
MP_EXTERN void mp_barrier_free(mp_barrier_t *b);

/**
 * @brief Waits until every party has called it, then all pass together.
 *
 * A wait that times out breaks the barrier, for itself and every other party. So does a party
 * that dies while it waits (CPython would wait for ever).
 * @param b       the barrier.
 * @param timeout seconds at most; #MP_BARRIER_DEFAULT for the barrier's default; #MP_FOREVER.
 * @param[out] index NULL, or the party's arrival index, 0 for the first to arrive and
 *                 `parties - 1` for the last (the one that ran the action).
 * @return 0; #MP_EBROKEN when the barrier is or becomes broken (abort, reset, a timeout, a
 *         failed action, a dead party; Python's threading.BrokenBarrierError); the action's
 *         own code for the party that ran a failing action; #MP_EINVAL for a NaN timeout.
 * @pyequiv `multiprocessing.Barrier.wait(timeout=None)`
 */
MP_EXTERN int mp_barrier_wait(mp_barrier_t *b, double timeout, unsigned *index);

/**
 * @brief Puts the barrier back to its empty state; parties waiting now get #MP_EBROKEN.
 * @param b the barrier.
 * @return 0.
 * @pyequiv `multiprocessing.Barrier.reset()`
 */
MP_EXTERN int mp_barrier_reset(mp_barrier_t *b);

/**
 * @brief Breaks the barrier: waiting and later parties get #MP_EBROKEN until mp_barrier_reset().
 * @param b the barrier.
 * @return 0.
 * @pyequiv `multiprocessing.Barrier.abort()`
 */
MP_EXTERN int mp_barrier_abort(mp_barrier_t *b);

/**
 * @brief The number of parties the barrier needs.
 * @param b the barrier.
 * @return the number given to mp_barrier_new(); 0 for a NULL barrier (mp_errmsg() says so).
 * @pyequiv `multiprocessing.Barrier.parties`
 */
MP_EXTERN unsigned mp_barrier_parties(const mp_barrier_t *b);

/**
 * @brief How many parties are waiting now.
 * @param b the barrier.
 * @return the number, 0 unless the barrier is filling; 0 for a NULL barrier (mp_errmsg() says
 *         so).
 * @pyequiv `multiprocessing.Barrier.n_waiting`
 */
MP_EXTERN unsigned mp_barrier_n_waiting(const mp_barrier_t *b);

/**
 * @brief Whether the barrier is broken.
 * @param b the barrier.
 * @return 1 or 0; 0 for a NULL barrier (mp_errmsg() says so).
 * @pyequiv `multiprocessing.Barrier.broken`
 */
MP_EXTERN int mp_barrier_broken(const mp_barrier_t *b);

/** @} */

#ifdef __cplusplus
}
#endif
/** @} */
#endif /* MP_SYNCHRONIZE_H */
