/**
 * @file pool.h
 * @brief `multiprocessing.Pool`: worker processes that run tasks, with results that come back
 *        pickled, and no hang when a worker dies (docs/pages/pool.md tells the story).
 *
 * A task is a plain function registered by name with MP_TASK() (the tutorial's rule: a task must
 * be a module-level function, and its arguments and results must pickle). It takes the call's
 * positional arguments as a tuple and its keyword arguments as a dict (or NULL), and returns a
 * new value, or NULL after mp_task_raise() to fail as a Python function raises:
 * @code
 * static mp_obj_t *sqr(mp_obj_t *args, mp_obj_t *kwargs)
 * {
 *     long long x;
 *     if (mp_parse(args, "(L)", &x) != 0)
 *         return mp_task_raise("TypeError", "sqr() takes one int");
 *     return mp_int(x * x);
 * }
 * MP_TASK(sqr);
 * @endcode
 *
 * Beyond CPython:
 * - a worker that dies (SIGKILL, a crash, `_exit()` in a task) fails the task it was running
 *   with #MP_EWORKERLOST, naming the worker's pid and how it ended; the pool starts a
 *   replacement and tasks that had not started yet run elsewhere. CPython's get() waits for ever.
 * - terminate(), and a pool freed while running, fail every unfinished result with
 *   #MP_ECLOSED instead of leaving get() to wait for ever.
 * - an initializer that fails breaks the pool (every task fails with #MP_ERUNTIME and its
 *   message) instead of restarting workers in a loop.
 *
 * Callbacks run in the pool's own thread, as CPython runs them in its result-handler thread:
 * they must not block for long, and may call any pool function except mp_pool_join() and
 * mp_pool_free() of their own pool.
 *
 * @defgroup mp_pool Pool
 * @{
 */
#ifndef MP_POOL_H
#define MP_POOL_H

#include <stddef.h>
#include <sys/types.h>

#include "mp/common.h"
#include "mp/context.h"
#include "mp/object.h"
#include "mp/process.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A pool of worker processes. */
typedef struct mp_pool_s mp_pool_t;

/** The result of an asynchronous call (apply_async, map_async, starmap_async); refcounted. */
typedef struct mp_async_result_s mp_async_result_t;

/** The iterator of imap() and imap_unordered(). */
typedef struct mp_imap_s mp_imap_t;

/**
 * @brief A task: `args` is a tuple (never NULL), `kwargs` a dict or NULL. Returns a new
 *        reference, or NULL after mp_task_raise(). Neither argument is the task's to free.
 */
typedef mp_obj_t *(*mp_task_t)(mp_obj_t *args, mp_obj_t *kwargs);

/**
 * @brief Fails the running task as `raise exc_type(message)` does in Python; returns NULL, so
 *        that a task can `return mp_task_raise(...)`.
 * @param exc_type the exception's name ("KeyError"); NULL means "Exception".
 * @param fmt      printf format of the message, or NULL for none.
 * @return NULL.
 * @pyequiv ``raise KeyError('...')`` inside a function a Pool runs.
 */
MP_EXTERN mp_obj_t *mp_task_raise(const char *exc_type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** @cond PRIVATE */
MP_EXTERN int mp__task_register(mp_target_entry_t *e, mp_task_t fn);
/** @endcond */

/**
 * @brief Registers `fn` (a #mp_task_t) as a task known by its own name; write it at file scope
 *        after the function: `MP_TASK(sqr);`.
 *
 * Every task a pool runs must be registered, under every start method: a worker started by spawn
 * or forkserver is a fresh run of the program and finds the function by this name, as CPython's
 * workers unpickle a function by its qualified name. Names are program-wide.
 * @pyequiv a module-level `def` given to a Pool method.
 */
#define MP_TASK(fn)                                                                                \
    static void __attribute__((constructor(101))) mp__register_task_##fn(void)                     \
    {                                                                                              \
        static mp_target_entry_t mp__task_##fn;                                                    \
        mp__task_##fn.name = #fn;                                                                  \
        mp__task_register(&mp__task_##fn, fn);                                                     \
    }                                                                                              \
    static void __attribute__((constructor)) mp__enter_task_##fn(void)                             \
    {                                                                                              \
        mp__spawn_hook();                                                                          \
    }                                                                                              \
    typedef int mp__task_##fn##_registered_t

/**
 * @brief The registered task called `name`, or NULL (mp_errmsg() says why).
 * @param name the name MP_TASK() gave it (the function's own).
 * @return the task, or NULL.
 * @pyequiv unpickling a function by its qualified name.
 */
MP_EXTERN mp_task_t mp_task_lookup(const char *name);

/** "None" for an int option of #mp_pool_opts_t: the cpu count, or no limit. */
#define MP_POOL_DEFAULT (-2147483647 - 1)

/** The options of mp_pool_new(), as Pool()'s keyword arguments; start from #MP_POOL_OPTS_INIT. */
typedef struct mp_pool_opts_s {
    /** How many workers; #MP_POOL_DEFAULT for mp_cpu_count() (for a transport's context, as
     *  many as it gives; more is #MP_EINVAL). Below 1 is #MP_EINVAL. */
    int processes;
    /** NULL, or a registered task run once in each new worker with `initargs`. */
    mp_task_t initializer;
    /** A tuple, or NULL for `()`. */
    mp_obj_t *initargs;
    /** Tasks a worker runs before it is replaced; #MP_POOL_DEFAULT for no limit; < 1 EINVAL. */
    int maxtasksperchild;
    /** The start method of the workers; NULL for the default context; or the context of a
     *  transport (pool_transport.h), such as the MPI ranks of pool_mpi.h. */
    const mp_context_t *context;
} mp_pool_opts_t;

/** Pool(): the cpu count of workers, no initializer, no task limit, the default context. */
#define MP_POOL_OPTS_INIT                                                                          \
    {                                                                                              \
        MP_POOL_DEFAULT, NULL, NULL, MP_POOL_DEFAULT, NULL                                         \
    }

/** Callbacks of an asynchronous call; run in the pool's thread (see the file's notes). */
typedef struct mp_pool_callbacks_s {
    /** Called with the result (a borrowed reference) when the call succeeds; may be NULL. */
    void (*callback)(mp_obj_t *result, void *ctx);
    /** Called when it fails: the error code and the result, to read with
     *  mp_async_result_error(); may be NULL. */
    void (*error_callback)(int err, mp_async_result_t *r, void *ctx);
    /** Passed as-is to both. */
    void *ctx;
} mp_pool_callbacks_t;

/**
 * @brief Makes a pool and starts its workers.
 * @param[out] out the pool; free it with mp_pool_free().
 * @param opts NULL for #MP_POOL_OPTS_INIT.
 * @return 0; #MP_EINVAL (processes or maxtasksperchild below 1, an unregistered initializer, or
 *         initargs that are not a tuple), #MP_EDAEMON inside a daemonic process, #MP_EENCODE
 *         when initargs cannot be sent, or a start error of the first worker.
 * @pyequiv `multiprocessing.Pool(processes, initializer, initargs, maxtasksperchild, context)`.
 */
MP_EXTERN int mp_pool_new(mp_pool_t **out, const mp_pool_opts_t *opts);

/**
 * @brief Runs `fn(*args, **kwargs)` in a worker and waits for its result.
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param args a tuple, or NULL for `()`.
 * @param kwargs a dict, or NULL.
 * @param[out] result the result (a new reference).
 * @return 0, or the error mp_async_result_get() would give.
 * @pyequiv `Pool.apply(func, args=(), kwds={})`.
 */
MP_EXTERN int mp_pool_apply(mp_pool_t *p, mp_task_t fn, mp_obj_t *args, mp_obj_t *kwargs,
                            mp_obj_t **result);

/**
 * @brief Sends `fn(*args, **kwargs)` to a worker; the result arrives later.
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param args a tuple, or NULL for `()`.
 * @param kwargs a dict, or NULL.
 * @param cb   NULL for no callbacks.
 * @param[out] out the result, to wait on; free it with mp_async_result_free().
 * @return 0; #MP_ECLOSED ("Pool not running") after close or terminate; #MP_EINVAL for an
 *         unregistered task; #MP_EENCODE when the arguments cannot be pickled (nothing is sent).
 * @pyequiv `Pool.apply_async(func, args, kwds, callback, error_callback)`.
 */
MP_EXTERN int mp_pool_apply_async(mp_pool_t *p, mp_task_t fn, mp_obj_t *args, mp_obj_t *kwargs,
                                  const mp_pool_callbacks_t *cb, mp_async_result_t **out);

/**
 * @brief `fn(item)` for each item of a list or tuple, in chunks; waits for the list of results.
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param iterable a list or tuple.
 * @param chunksize items sent to a worker at once; 0 for CPython's default,
 *        ceil(len / (4 * processes)).
 * @param[out] result a list, in input order.
 * @return 0, or the first failed chunk's error (as mp_async_result_get()).
 * @pyequiv `Pool.map(func, iterable, chunksize=None)`.
 */
MP_EXTERN int mp_pool_map(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                          mp_obj_t **result);

/**
 * @brief The asynchronous mp_pool_map(): the result's value is the list.
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param iterable a list or tuple.
 * @param chunksize as mp_pool_map().
 * @param cb   NULL for no callbacks.
 * @param[out] out the result, to wait on; free it with mp_async_result_free().
 * @return 0, or an error as mp_pool_apply_async() gives.
 * @pyequiv `Pool.map_async(func, iterable, chunksize, callback, error_callback)`.
 */
MP_EXTERN int mp_pool_map_async(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                                const mp_pool_callbacks_t *cb, mp_async_result_t **out);

/**
 * @brief As mp_pool_map(), each item being a tuple of arguments: `fn(*item)`.
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param iterable a list or tuple of tuples.
 * @param chunksize as mp_pool_map().
 * @param[out] result a list, in input order.
 * @return as mp_pool_map().
 * @pyequiv `Pool.starmap(func, iterable, chunksize=None)`.
 */
MP_EXTERN int mp_pool_starmap(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                              mp_obj_t **result);

/**
 * @brief The asynchronous mp_pool_starmap().
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param iterable a list or tuple of tuples.
 * @param chunksize as mp_pool_map().
 * @param cb   NULL for no callbacks.
 * @param[out] out the result, to wait on; free it with mp_async_result_free().
 * @return 0, or an error as mp_pool_apply_async() gives.
 * @pyequiv `Pool.starmap_async(func, iterable, chunksize, callback, error_callback)`.
 */
MP_EXTERN int mp_pool_starmap_async(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable,
                                    size_t chunksize, const mp_pool_callbacks_t *cb,
                                    mp_async_result_t **out);

/**
 * @brief A lazy map: results are taken one by one with mp_imap_next(), in input order.
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param iterable a list or tuple.
 * @param chunksize 0 means 1, CPython's default for imap.
 * @param[out] out the iterator; free it with mp_imap_free().
 * @return 0, or an error as mp_pool_apply_async() gives.
 * @pyequiv `Pool.imap(func, iterable, chunksize=1)`.
 */
MP_EXTERN int mp_pool_imap(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable, size_t chunksize,
                           mp_imap_t **out);

/**
 * @brief As mp_pool_imap(), results in the order they finish; each exactly once.
 * @param p    the pool.
 * @param fn   a registered task (MP_TASK()).
 * @param iterable a list or tuple.
 * @param chunksize 0 means 1.
 * @param[out] out the iterator; free it with mp_imap_free().
 * @return 0, or an error as mp_pool_apply_async() gives.
 * @pyequiv `Pool.imap_unordered(func, iterable, chunksize=1)`.
 */
MP_EXTERN int mp_pool_imap_unordered(mp_pool_t *p, mp_task_t fn, mp_obj_t *iterable,
                                     size_t chunksize, mp_imap_t **out);

/**
 * @brief The next result of an imap.
 * @param it the iterator.
 * @param timeout seconds, or #MP_FOREVER (CPython's None).
 * @param[out] value a new reference (only on 0).
 * @return 0; #MP_ESTOP when every result was taken; #MP_ETIMEDOUT; or the error of that item's
 *         task (as mp_async_result_get()); later items can still be taken.
 * @pyequiv `IMapIterator.next(timeout=None)`.
 */
MP_EXTERN int mp_imap_next(mp_imap_t *it, double timeout, mp_obj_t **value);

/**
 * @brief Frees an imap iterator; results not yet taken are dropped as they arrive.
 * @param it the iterator, or NULL.
 * @pyequiv dropping the last reference to an `IMapIterator`.
 */
MP_EXTERN void mp_imap_free(mp_imap_t *it);

/**
 * @brief Waits for the result and gives its value.
 * @param r the result.
 * @param timeout seconds, or #MP_FOREVER (CPython's None).
 * @param[out] value a new reference (only on 0); NULL to only wait and check.
 * @return 0; #MP_ETIMEDOUT; #MP_ETASK when the task raised (mp_async_result_error() gives its
 *         exception); #MP_EWORKERLOST when its worker died; #MP_EENCODE when the result could not
 *         be pickled (CPython's MaybeEncodingError); #MP_ECLOSED when the pool was terminated
 *         first; #MP_ERUNTIME when the pool's initializer failed.
 * @pyequiv `AsyncResult.get(timeout=None)`.
 */
MP_EXTERN int mp_async_result_get(mp_async_result_t *r, double timeout, mp_obj_t **value);

/**
 * @brief Waits until the result is ready or the timeout passes.
 * @param r the result.
 * @param timeout seconds, or #MP_FOREVER.
 * @return 0 when ready; #MP_ETIMEDOUT.
 * @pyequiv `AsyncResult.wait(timeout=None)`.
 */
MP_EXTERN int mp_async_result_wait(mp_async_result_t *r, double timeout);

/**
 * @brief Whether the result is ready (a value or an error).
 * @param r the result.
 * @return 1 when ready, else 0.
 * @pyequiv `AsyncResult.ready()`.
 */
MP_EXTERN int mp_async_result_ready(mp_async_result_t *r);

/**
 * @brief Whether the call succeeded.
 * @param r the result.
 * @param[out] ok 1 or 0.
 * @return 0; #MP_EINVAL ("... not ready") before the result is ready.
 * @pyequiv `AsyncResult.successful()`.
 */
MP_EXTERN int mp_async_result_successful(mp_async_result_t *r, int *ok);

/** How a call failed: CPython's exception (and remote traceback) in C terms. */
typedef struct mp_task_error_s {
    int code;             /**< the error mp_async_result_get() returns. */
    const char *exc_type; /**< "KeyError", "WorkerLostError", "MaybeEncodingError"... */
    const char *message;  /**< the exception's message (the worker's pid and status for a loss). */
    pid_t worker_pid;     /**< the worker that ran the task, or 0. */
    int worker_exitcode;  /**< for #MP_EWORKERLOST: its exit code, -signal if killed; else 0. */
} mp_task_error_t;

/**
 * @brief The error of a failed call; the strings live as long as the result.
 * @param r the result.
 * @param[out] out the error.
 * @return 0; #MP_EINVAL when the result is not ready or succeeded.
 * @pyequiv the exception `AsyncResult.get()` raises, with its `__cause__` (RemoteTraceback).
 */
MP_EXTERN int mp_async_result_error(const mp_async_result_t *r, mp_task_error_t *out);

/**
 * @brief Drops the caller's reference; the pool keeps its own until the call finishes.
 * @param r the result, or NULL.
 * @pyequiv dropping the last reference to an `AsyncResult`.
 */
MP_EXTERN void mp_async_result_free(mp_async_result_t *r);

/**
 * @brief No new tasks; the workers exit when the queued tasks are done.
 * @param p    the pool.
 * @return 0; #MP_EINVAL for NULL.
 * @pyequiv `Pool.close()`.
 */
MP_EXTERN int mp_pool_close(mp_pool_t *p);

/**
 * @brief Stops the workers at once (SIGTERM); unfinished results fail with #MP_ECLOSED.
 * @param p    the pool.
 * @return 0; #MP_EINVAL for NULL.
 * @pyequiv `Pool.terminate()`.
 */
MP_EXTERN int mp_pool_terminate(mp_pool_t *p);

/**
 * @brief Waits for the workers to exit, after close or terminate.
 * @param p    the pool.
 * @return 0; #MP_EBUSY ("Pool is still running") before close or terminate.
 * @pyequiv `Pool.join()`.
 */
MP_EXTERN int mp_pool_join(mp_pool_t *p);

/**
 * @brief The start of a `with` block: checks that the pool runs.
 * @param p    the pool.
 * @return 0; #MP_ECLOSED ("Pool not running") after close or terminate.
 * @pyequiv `Pool.__enter__()`.
 */
MP_EXTERN int mp_pool_enter(mp_pool_t *p);

/**
 * @brief The end of a `with` block: terminate(), as CPython's (not close and join).
 * @param p    the pool.
 * @return as mp_pool_terminate().
 * @pyequiv `Pool.__exit__()`.
 */
MP_EXTERN int mp_pool_exit(mp_pool_t *p);

/**
 * @brief Terminates a pool still running, joins its workers and frees it. No process is left.
 * @param p the pool, or NULL.
 * @pyequiv the pool's finalizer (`Pool.__del__` and its `_terminate` Finalize).
 */
MP_EXTERN void mp_pool_free(mp_pool_t *p);

/**
 * @brief The pids of the live workers.
 * @param p    the pool.
 * @param buf room for `cap` pids, or NULL to count.
 * @param cap the room in `buf`.
 * @return how many workers there are (may exceed `cap`), or a negative error.
 * @pyequiv `[w.pid for w in pool._pool]` (a private member in CPython).
 */
MP_EXTERN int mp_pool_worker_pids(mp_pool_t *p, pid_t *buf, size_t cap);

/**
 * @brief How many workers the pool keeps.
 * @param p    the pool.
 * @return the count given at creation (or the cpu count).
 * @pyequiv `pool._processes` (private in CPython).
 */
MP_EXTERN int mp_pool_processes(const mp_pool_t *p);

#ifdef __cplusplus
}
#endif

#endif /* MP_POOL_H */
/** @} */
