/**
 * @file pool_transport.h
 * @brief A Pool whose workers are not child processes: the hook that lets another engine (the
 *        MPI ranks of pool_mpi.h) carry the pool's tasks, with every mp/pool.h call unchanged.
 *
 * A transport gives the pool, for each worker slot, a stream socket carrying the pool's own
 * frames (pickled units one way, pickled replies the other) and a sentinel that becomes readable
 * when the worker ended. The pool does the rest as for processes: ordering, chunks, errors,
 * maxtasksperchild, close and terminate. On the worker's side, mp_pool_serve() answers the
 * frames of one such stream. The core library knows no engine: a transport is a table of
 * functions wrapped in a context by mp_context_from_transport(), and chosen as any other
 * context is, through #mp_pool_opts_t's `context`.
 *
 * @defgroup mp_pool_transport Pool transports
 * @{
 */
#ifndef MP_POOL_TRANSPORT_H
#define MP_POOL_TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>

#include "mp/common.h"
#include "mp/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A started worker, as the pool polls it. */
typedef struct mp_pool_link_s {
    int fd;       /**< a stream socket, the pool's end; the pool closes it. */
    int sentinel; /**< readable once the worker ended; the transport's, valid until reap. */
    pid_t id;     /**< what mp_pool_worker_pids() reports for it (an MPI rank). */
} mp_pool_link_t;

/** Where a pool's workers run; every function is called from one thread at a time. */
typedef struct mp_pool_transport_s {
    /** The context's start method name ("mpi"). */
    const char *method;
    /** The prefix of the workers' names ("MPIPoolWorker"); a loss message names the worker. */
    const char *worker_class;
    /** How many workers it can give; also the pool's default size. */
    int (*capacity)(void *ctx);
    /** Starts the worker of `slot` with `spec` (for mp_pool_serve()); 0 or a negative error. */
    int (*start)(void *ctx, int slot, const void *spec, size_t len, mp_pool_link_t *out);
    /** Ends the worker of `slot` at once (terminate, or a worker that broke the protocol). */
    void (*stop)(void *ctx, int slot);
    /** After the sentinel fired: the worker's exit code (-signal), and the slot is free again. */
    int (*reap)(void *ctx, int slot);
    /** Passed as-is to each. */
    void *ctx;
} mp_pool_transport_t;

/**
 * @brief Wraps a transport in a context, to give as #mp_pool_opts_t's `context`.
 * @param t the transport; it must outlive every pool made with the context.
 * @param[out] out the context (the same one for the same transport); it lives as long as the
 *        program, as the three built-in ones do.
 *        mp_process_start() refuses it (#MP_EINVAL): it starts Pool workers only.
 * @return 0; #MP_EINVAL for a table without a method name or a function; #MP_ENOMEM.
 * @pyequiv `multiprocessing.get_context(method)` for a method the program brings (as
 *          mpi4py.futures brings MPIPoolExecutor).
 */
MP_EXTERN int mp_context_from_transport(const mp_pool_transport_t *t, const mp_context_t **out);

/**
 * @brief Serves one worker's stream: runs the initializer, then answers units until the pool's
 *        end closes, the task limit, or a message that is not the pool's.
 * @param fd   the worker's end of the stream; not closed here.
 * @param spec the bytes the transport's start() was given.
 * @param len  their length.
 * @return the worker's exit code: 0, or 1 when the spec does not parse or the initializer failed
 *         (the pool was told).
 * @pyequiv `multiprocessing.pool.worker(inqueue, outqueue, initializer, initargs, maxtasks)`.
 */
MP_EXTERN int mp_pool_serve(int fd, const void *spec, size_t len);

#ifdef __cplusplus
}
#endif

/** @} */
#endif /* MP_POOL_TRANSPORT_H */
