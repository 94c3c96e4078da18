/**
 * @file pool_mpi.h
 * @brief Pool workers as MPI ranks (Open MPI): the same mp/pool.h calls, with workers on other
 *        ranks, maybe other hosts (docs/pages/mpi.md tells how to start and what faults do).
 *
 * In its own library, build/lib/libmp_mpi.a, built when Open MPI is present; link it before
 * libmp.a (it uses the static library's internals) and add `pkg-config --libs ompi-c`.
 * Start the program with `mpirun -np N ./prog`; every rank calls mp_mpi_init() early in main.
 * Rank 0 returns and goes on; every other rank serves the pools rank 0 makes and exits when
 * rank 0 ends, never returning. A pool made with the context of mp_mpi_context() has one
 * worker per other rank (N - 1 by default):
 * @code
 * int main(int argc, char **argv)
 * {
 *     mp_mpi_init(&argc, &argv);  // ranks 1..N-1 never return
 *     const mp_context_t *mpi;
 *     mp_mpi_context(&mpi);
 *     mp_pool_opts_t o = MP_POOL_OPTS_INIT;
 *     o.context = mpi;
 *     mp_pool_t *pool;
 *     mp_pool_new(&pool, &o);     // then map, imap, apply_async... as with processes
 * }
 * @endcode
 *
 * Faults: a task that raises fails its call with #MP_ETASK, a result that does not pickle with
 * #MP_EENCODE, and a task that crashes or exits with #MP_EWORKERLOST, as in the process Pool
 * (tasks run in a child process of their rank, which lives on). A rank that dies itself makes
 * Open MPI abort the whole job: mpirun kills every rank and exits non-zero; the caller on rank
 * 0 never gets a result, and never hangs. terminate() fails unfinished calls at once, and each
 * rank kills the child its running task is in (SIGKILL): no task runs on after its pool.
 *
 * @defgroup mp_pool_mpi MPI Pool
 * @{
 */
#ifndef MP_POOL_MPI_H
#define MP_POOL_MPI_H

#include "mp/common.h"
#include "mp/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Starts MPI and, on every rank but 0, serves pool workers until rank 0 ends.
 * @param argc main's `&argc`, or NULL.
 * @param argv main's `&argv`, or NULL.
 * @return 0 on rank 0 (mp_mpi_finalize() is then registered with atexit()); on other ranks it
 *         does not return (exit status 0 when rank 0 ended normally). #MP_ERUNTIME when MPI
 *         cannot start or gives less than MPI_THREAD_SERIALIZED; #MP_ESTATE when called twice.
 * @pyequiv running a program with `mpirun -np N python -m mpi4py.futures prog.py`, where rank 0
 *          runs the program and the others serve `MPIPoolExecutor`.
 */
MP_EXTERN int mp_mpi_init(int *argc, char ***argv);

/**
 * @brief The context whose pools have MPI ranks as workers (start method "mpi").
 * @param[out] out the context, for #mp_pool_opts_t's `context`.
 * @return 0; #MP_ESTATE before mp_mpi_init().
 * @pyequiv `mpi4py.futures.MPIPoolExecutor` in place of `multiprocessing.Pool`.
 */
MP_EXTERN int mp_mpi_context(const mp_context_t **out);

/**
 * @brief How many ranks the job has (workers plus rank 0).
 * @return the size of MPI_COMM_WORLD, or #MP_ESTATE before mp_mpi_init().
 * @pyequiv `MPI.COMM_WORLD.Get_size()`.
 */
MP_EXTERN int mp_mpi_size(void);

/**
 * @brief Tells the serving ranks to exit and ends MPI; called at exit by itself. Free every MPI
 *        pool first: a task still running on a rank is waited for.
 * @return 0 (also when already done); #MP_ERUNTIME when MPI reported an error.
 * @pyequiv the shutdown of `mpi4py.futures` workers at the end of the program.
 */
MP_EXTERN int mp_mpi_finalize(void);

#ifdef __cplusplus
}
#endif

/** @} */
#endif /* MP_POOL_MPI_H */
