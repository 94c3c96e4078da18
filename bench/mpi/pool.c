/*
 * W9 libmp: a Pool on MPI ranks, or on as many worker processes, runs COUNT tasks. Started by
 * the driver as `mpirun -np RANKS mpi-pool COUNT MODE`: rank 0 times, the other ranks are the
 * MPI pool's workers (RANKS - 1 of them), and a process pool has as many (fork):
 *   map, proc-map         (W9a) one mp_pool_map() of x*x over the ints 0..COUNT-1, automatic
 *                         chunksize;
 *   map1ms, proc-map1ms   (W9b) one mp_pool_map() over COUNT tasks of 1 ms of CPU each
 *                         (bench_spin(), calibrated on rank 0 and sent with each task).
 * Time per task. The pool is made, and each worker has run a task, before the clock starts.
 */
#include "common.h"
#include "pool_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mp.h>
#include <mp/pool_mpi.h>

int main(int argc, char **argv)
{
    static const char *const modes[] = {"map", "map1ms", "proc-map", "proc-map1ms", NULL};
    bench_args_t a;
    int err = mp_mpi_init(&argc, &argv);
    if (err != 0)
        pool_fail("mp_mpi_init", err);
    bench_parse(argc, argv, modes, &a);
    int proc = strncmp(a.mode, "proc-", 5) == 0;
    uint64_t steps = strstr(a.mode, "1ms") ? bench_spin_calibrate(1e-3) : 0;
    mp_pool_opts_t o = MP_POOL_OPTS_INIT;
    o.processes = mp_mpi_size() - 1;
    err = proc ? mp_get_context("fork", &o.context) : mp_mpi_context(&o.context);
    mp_pool_t *p;
    if (err != 0 || (err = mp_pool_new(&p, &o)) != 0)
        pool_fail("mp_pool_new", err);
    run_map(p, sqr, o.processes, -1, 0); /* one task a worker, before the clock */
    double seconds =
        steps ? run_map(p, spin, a.count, (long long)steps, (int64_t)(bench_spin(steps) & 0xff))
              : run_map(p, sqr, a.count, -1, 0);
    if ((err = mp_pool_close(p)) != 0 || (err = mp_pool_join(p)) != 0)
        pool_fail("mp_pool_close + mp_pool_join", err);
    mp_pool_free(p);
    bench_report(a.count, seconds);
    return 0;
}
